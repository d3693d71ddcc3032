/* ssh_target_check: inventory values that ssh would misread (a space, a
 * shell or control character, a leading '-', '@' in a host, too long, a
 * port out of range) fail the host with a message naming it and the
 * variable; ordinary names, addresses and users pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "fleetop/fleet.h"
#include "fleetop/ssh.h"

static int check(const char *name, const char *address, const char *user, int port,
		 struct error *err)
{
	struct host h = { .name = (char *)name, .address = (char *)address, .user = (char *)user,
			  .port = port };
	memset(err, 0, sizeof *err);
	return ssh_target_check(&h, err);
}

static void test_good(void **state)
{
	(void)state;
	struct error err;
	static const char *const addrs[] = {
		"10.0.0.5", "web1.example.com", "::1", "fe80::1%eth0", "[2001:db8::1]",
		"host_with_underscore", "a", NULL,
	};
	for (int i = 0; addrs[i]; i++)
		assert_int_equal(check("web1", addrs[i], "deploy", 22, &err), 0);
	assert_int_equal(check("web1", NULL, NULL, 0, &err), 0);
	assert_int_equal(check("web1", NULL, "u-ser.name_1", 1, &err), 0);
	assert_int_equal(check("web1", NULL, NULL, 65535, &err), 0);
	char longest[256];
	memset(longest, 'a', 255);
	longest[255] = '\0';
	assert_int_equal(check("web1", longest, longest, 2222, &err), 0);
}

static void expect_bad(const char *address, const char *user, int port, const char *var,
		       const char *why)
{
	struct error err;
	assert_int_equal(check("mc-eu-01", address, user, port, &err), -1);
	if (!strstr(err.msg, "mc-eu-01") || !strstr(err.msg, var) || !strstr(err.msg, why))
		fail_msg("message '%s' lacks host, %s or '%s'", err.msg, var, why);
}

static void test_bad_address(void **state)
{
	(void)state;
	expect_bad("", NULL, 0, "ansible_host", "empty");
	expect_bad("-oProxyCommand=sh", NULL, 0, "ansible_host", "starts with '-'");
	expect_bad("10.0.0.5 -p 2222", NULL, 0, "ansible_host", "whitespace");
	expect_bad("web1\tx", NULL, 0, "ansible_host", "whitespace");
	expect_bad("web1\nweb2", NULL, 0, "ansible_host", "0x0a");
	expect_bad("web1\x7f", NULL, 0, "ansible_host", "0x7f");
	expect_bad("root@10.0.0.5", NULL, 0, "ansible_host", "'@'");
	expect_bad("a;reboot", NULL, 0, "ansible_host", "';'");
	expect_bad("$(reboot)", NULL, 0, "ansible_host", "'$'");
	expect_bad("`id`", NULL, 0, "ansible_host", "'`'");
	char toolong[257];
	memset(toolong, 'a', 256);
	toolong[256] = '\0';
	expect_bad(toolong, NULL, 0, "ansible_host", "256 characters");
}

static void test_bad_user(void **state)
{
	(void)state;
	expect_bad(NULL, "", 0, "ansible_user", "empty");
	expect_bad(NULL, "-l", 0, "ansible_user", "starts with '-'");
	expect_bad(NULL, "mc admin", 0, "ansible_user", "whitespace");
	expect_bad(NULL, "mc\r", 0, "ansible_user", "0x0d");
	expect_bad(NULL, "mc|sh", 0, "ansible_user", "'|'");
	expect_bad(NULL, "mc'", 0, "ansible_user", "'''");
}

static void test_bad_port(void **state)
{
	(void)state;
	expect_bad(NULL, NULL, -1, "ansible_port", "1-65535");
	expect_bad(NULL, NULL, 65536, "ansible_port", "1-65535");
	expect_bad("10.0.0.5", "mc", 1 << 20, "ansible_port", "1-65535");
}

static void test_bad_name(void **state)
{
	(void)state;
	struct error err;
	assert_int_equal(check("-oops", NULL, NULL, 0, &err), -1);
	assert_non_null(strstr(err.msg, "host name '-oops'"));
	/* Shown printable and cut short, whatever the name holds. */
	assert_int_equal(check("a\x1b[2Jb", NULL, NULL, 0, &err), -1);
	assert_null(strchr(err.msg, '\x1b'));
	assert_non_null(strstr(err.msg, "\\x1b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad_address),
		cmocka_unit_test(test_bad_user),
		cmocka_unit_test(test_bad_port),
		cmocka_unit_test(test_bad_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
