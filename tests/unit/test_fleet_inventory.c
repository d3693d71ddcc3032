/* fleet: the Ansible INI inventory, read as Ansible reads it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetop/fleet.h"

/* In the style of the INI examples in Ansible's "How to build your inventory". */
static const char *ansible_example =
	"# ungrouped hosts come first\n"
	"mail.example.com\n"
	"\n"
	"[webservers]\n"
	"foo.example.com\n"
	"bar.example.com http_port=8080\n"
	"www[01:03].example.com\n"
	"\n"
	"[dbservers]\n"
	"one.example.com\n"
	"db-[a:c].example.com ansible_user=postgres\n"
	"badwolf.example.com:5309\n"
	"\n"
	"[atlanta]\n"
	"host1 http_port=80 maxRequestsPerChild=808\n"
	"host2 http_port=303 maxRequestsPerChild=909 # a comment\n"
	"\n"
	"[atlanta:vars]\n"
	"ntp_server=ntp.atlanta.example.com\n"
	"proxy = proxy.atlanta.example.com\n"
	"\n"
	"[raleigh]\n"
	"host2 ansible_host=192.0.2.22 motd=\"hello # world\"  # real comment\n"
	"host3\n"
	"\n"
	"[southeast:children]\n"
	"atlanta\n"
	"raleigh   # a comment after a child\n"
	"\n"
	"[southeast:vars]\n"
	"some_server=foo.southeast.example.com\n"
	"halon_system_timeout=30\n"
	"ntp_server=ntp.southeast.example.com\n"
	"\n"
	"[usa:children]\n"
	"southeast\n"
	"northeast\n"
	"\n"
	"[northeast]\n"
	"\n"
	"[other]\n"
	"jumper ansible_port=5555 ansible_host=192.0.2.50 ansible_ssh_user='deploy user'\n"
	"legacy ansible_ssh_host=192.0.2.60 ansible_ssh_port=2200\n"
	"v6host ansible_host=2001:db8::1\n"
	"2001:db8::7\n"
	"\n"
	"[all:vars]\n"
	"ntp_server=ntp.example.com\n"
	"ansible_connection=ssh\n";

static struct fleet load_ok(const char *text)
{
	struct fleet f;
	struct error err = { { 0 } };
	int rc = fleet_load_string(&f, text, "fleet.conf", &err);
	if (rc != 0)
		fail_msg("unexpected error: %s", err.msg);
	return f;
}

/* The load fails and the message starts with want (file:line: ...). */
static void load_fails(const char *text, const char *want)
{
	struct fleet f;
	struct error err = { { 0 } };
	int rc = fleet_load_string(&f, text, "fleet.conf", &err);
	if (rc == 0) {
		fleet_free(&f);
		fail_msg("expected an error like '%s' for:\n%s", want, text);
	}
	if (strncmp(err.msg, want, strlen(want)) != 0)
		fail_msg("got '%s', want it to start with '%s'", err.msg, want);
	assert_null(strchr(err.msg, '\n'));
	assert_int_equal(f.nhosts, 0);
	assert_null(f.hosts);
}

static void assert_groups(const struct host *h, const char *const *want)
{
	size_t n = 0;
	for (; want[n]; n++)
		if (!host_in_group(h, want[n]))
			fail_msg("host %s should be in %s", h->name, want[n]);
	if (n != h->ngroups) {
		for (size_t i = 0; i < h->ngroups; i++)
			print_message("%s in %s\n", h->name, h->groups[i]);
		fail_msg("host %s: %zu groups, want %zu", h->name, h->ngroups, n);
	}
}

static void test_ansible_example(void **state)
{
	(void)state;
	struct fleet f = load_ok(ansible_example);
	assert_string_equal(f.path, "fleet.conf");

	/* Order of first appearance; ranges expanded in place. */
	const char *order[] = { "mail.example.com", "foo.example.com", "bar.example.com",
				"www01.example.com", "www02.example.com", "www03.example.com",
				"one.example.com", "db-a.example.com", "db-b.example.com",
				"db-c.example.com", "badwolf.example.com", "host1", "host2",
				"host3", "jumper", "legacy", "v6host", "2001:db8::7" };
	assert_int_equal(f.nhosts, sizeof order / sizeof *order);
	for (size_t i = 0; i < f.nhosts; i++) {
		assert_string_equal(f.hosts[i].name, order[i]);
		assert_int_equal(f.hosts[i].id, i);
		assert_ptr_equal(fleet_find(&f, order[i]), &f.hosts[i]);
		assert_string_equal(f.hosts[i].file, "fleet.conf");
	}
	assert_null(fleet_find(&f, "www04.example.com"));
	assert_null(fleet_find(&f, "host"));

	struct host *mail = fleet_find(&f, "mail.example.com");
	assert_int_equal(mail->line, 2);
	assert_groups(mail, (const char *[]){ "ungrouped", NULL });
	assert_true(host_in_group(mail, "all"));
	assert_false(host_in_group(mail, "webservers"));

	struct host *bar = fleet_find(&f, "bar.example.com");
	assert_string_equal(host_var(bar, "http_port"), "8080");
	assert_groups(bar, (const char *[]){ "webservers", NULL });
	assert_null(bar->address);
	assert_int_equal(bar->port, 0);
	assert_null(bar->user);

	struct host *dbb = fleet_find(&f, "db-b.example.com");
	assert_string_equal(dbb->user, "postgres");
	assert_int_equal(fleet_find(&f, "badwolf.example.com")->port, 5309);
	assert_string_equal(host_var(fleet_find(&f, "badwolf.example.com"), "ansible_port"),
			    "5309");

	/* host2: in atlanta and raleigh, vars from both lines merged, later wins. */
	struct host *h2 = fleet_find(&f, "host2");
	assert_int_equal(h2->line, 16);
	assert_groups(h2, (const char *[]){ "atlanta", "raleigh", "southeast", "usa", NULL });
	assert_string_equal(host_var(h2, "http_port"), "303");
	assert_string_equal(host_var(h2, "maxRequestsPerChild"), "909");
	assert_string_equal(host_var(h2, "motd"), "hello # world");
	assert_null(host_var(h2, "real"));
	assert_string_equal(h2->address, "192.0.2.22");

	/* Precedence: all:vars < southeast:vars < atlanta:vars < host vars. */
	struct host *h1 = fleet_find(&f, "host1");
	assert_string_equal(host_var(h1, "ntp_server"), "ntp.atlanta.example.com");
	assert_string_equal(host_var(h1, "proxy"), "proxy.atlanta.example.com");
	assert_string_equal(host_var(h1, "some_server"), "foo.southeast.example.com");
	assert_string_equal(host_var(h1, "halon_system_timeout"), "30");
	assert_string_equal(host_var(h1, "ansible_connection"), "ssh");
	struct host *h3 = fleet_find(&f, "host3");
	assert_string_equal(host_var(h3, "ntp_server"), "ntp.southeast.example.com");
	assert_null(host_var(h3, "proxy"));
	assert_string_equal(host_var(mail, "ntp_server"), "ntp.example.com");
	assert_groups(h3, (const char *[]){ "raleigh", "southeast", "usa", NULL });

	struct host *jumper = fleet_find(&f, "jumper");
	assert_string_equal(jumper->address, "192.0.2.50");
	assert_int_equal(jumper->port, 5555);
	assert_string_equal(jumper->user, "deploy user");
	struct host *legacy = fleet_find(&f, "legacy");
	assert_string_equal(legacy->address, "192.0.2.60");
	assert_int_equal(legacy->port, 2200);
	assert_string_equal(fleet_find(&f, "v6host")->address, "2001:db8::1");
	assert_int_equal(fleet_find(&f, "2001:db8::7")->port, 0);

	/* Groups: all and ungrouped always exist, then in order of appearance. */
	assert_string_equal(f.groups[0].name, "all");
	assert_string_equal(f.groups[1].name, "ungrouped");
	const struct group *se = fleet_group(&f, "southeast");
	assert_non_null(se);
	assert_int_equal(se->nchildren, 2);
	assert_string_equal(se->children[0], "atlanta");
	assert_string_equal(se->children[1], "raleigh");
	assert_int_equal(se->nvars, 3);
	assert_string_equal(se->vars[0].key, "some_server");
	const struct group *atl = fleet_group(&f, "atlanta");
	assert_string_equal(atl->vars[1].key, "proxy");
	assert_string_equal(atl->vars[1].value, "proxy.atlanta.example.com");
	assert_non_null(fleet_group(&f, "northeast"));
	assert_null(fleet_group(&f, "southwest"));
	const struct group *all = fleet_group(&f, "all");
	assert_int_equal(all->nvars, 2);
	/* "all" holds every group without a parent. */
	bool has_usa = false, has_atlanta = false;
	for (size_t i = 0; i < all->nchildren; i++) {
		has_usa |= strcmp(all->children[i], "usa") == 0;
		has_atlanta |= strcmp(all->children[i], "atlanta") == 0;
	}
	assert_true(has_usa);
	assert_false(has_atlanta);

	/* Metrics are freed with the fleet. */
	host_set_metric(h1, "cpu.util", 12.5);
	fleet_free(&f);
	assert_null(f.hosts);
	fleet_free(&f); /* twice is harmless */
}

static void test_ungrouped_and_all(void **state)
{
	(void)state;
	/* Listed first and again in a group: no longer ungrouped (Ansible's
	 * reconcile). Listed under [all] only: ungrouped. */
	struct fleet f = load_ok("a\nb\n[web]\na\n[all]\nc\n[ungrouped]\nd\n");
	assert_groups(fleet_find(&f, "a"), (const char *[]){ "web", NULL });
	assert_groups(fleet_find(&f, "b"), (const char *[]){ "ungrouped", NULL });
	assert_groups(fleet_find(&f, "c"), (const char *[]){ "ungrouped", NULL });
	assert_groups(fleet_find(&f, "d"), (const char *[]){ "ungrouped", NULL });
	fleet_free(&f);
}

static void test_precedence_depth_priority_name(void **state)
{
	(void)state;
	struct fleet f = load_ok("[a]\nh1\nh2 x=host\n"
				 "[b]\nh1\nh2\n"
				 "[c]\nh3\n"
				 "[d]\nh3\n"
				 "[a:vars]\nx=a\ny=a\n"
				 "[b:vars]\nx=b\n"
				 "[c:vars]\nx=c\nansible_group_priority=10\n"
				 "[d:vars]\nx=d\n"
				 "[top:children]\nb\n"
				 "[top:vars]\nx=top\ny=top\n");
	/* a is at depth 1, b at depth 2 (under top): b wins although a < b. */
	assert_string_equal(host_var(fleet_find(&f, "h1"), "x"), "b");
	assert_string_equal(host_var(fleet_find(&f, "h1"), "y"), "top"); /* same depth: by name */
	assert_string_equal(host_var(fleet_find(&f, "h2"), "x"), "host");
	/* Same depth: higher priority wins over the later name. */
	assert_string_equal(host_var(fleet_find(&f, "h3"), "x"), "c");
	fleet_free(&f);

	f = load_ok("[c]\nh3\n[d]\nh3\n[c:vars]\nx=c\n[d:vars]\nx=d\n");
	assert_string_equal(host_var(fleet_find(&f, "h3"), "x"), "d"); /* by name */
	fleet_free(&f);
}

static void test_aliases_layered(void **state)
{
	(void)state;
	/* The short names work, a host's own setting beats a group's even when
	 * the group used the ansible_ name, and ansible_ wins within one layer. */
	struct fleet f = load_ok("[g]\n"
				 "h1 host=10.0.0.1 port=2222 user=bob\n"
				 "h2 user=carol\n"
				 "h3 ansible_user=dave user=erin\n"
				 "h4 ansible_host=\"\"\n"
				 "[g:vars]\nansible_user=admin\nansible_port=22\n");
	struct host *h1 = fleet_find(&f, "h1");
	assert_string_equal(h1->address, "10.0.0.1");
	assert_int_equal(h1->port, 2222);
	assert_string_equal(h1->user, "bob");
	assert_string_equal(fleet_find(&f, "h2")->user, "carol");
	assert_int_equal(fleet_find(&f, "h2")->port, 22);
	assert_string_equal(fleet_find(&f, "h3")->user, "dave");
	assert_null(fleet_find(&f, "h4")->address);
	fleet_free(&f);
}

static void test_ranges(void **state)
{
	(void)state;
	struct fleet f = load_ok("[g]\n"
				 "r[1:2]-[a:b]\n"
				 "s[1:9:4]\n"
				 "t[:1]\n"
				 "u[08:10]\n"
				 "v[y:B]\n"
				 "mc-[01-02]\n");
	const char *want[] = { "r1-a", "r1-b", "r2-a", "r2-b", "s1", "s5", "s9", "t0",
			       "t1", "u08", "u09", "u10", "vy", "vz", "vA", "vB", "mc-01", "mc-02" };
	assert_int_equal(f.nhosts, sizeof want / sizeof *want);
	for (size_t i = 0; i < f.nhosts; i++)
		assert_string_equal(f.hosts[i].name, want[i]);
	fleet_free(&f);
}

static void test_quoting_and_comments(void **state)
{
	(void)state;
	struct fleet f = load_ok("\xef\xbb\xbf"
				 "; a semicolon comment\r\n"
				 "   # an indented comment\r\n"
				 "[g]   # comment after a section\r\n"
				 "h1 a='x y' b=\"say \\\"hi\\\"\" d=1 c=p#q e=2\r\n"
				 "h2 e=\"'inner'\" f=a\\ b\r\n"
				 "[g:vars]\r\n"
				 "v1 = \"quoted # kept\"\r\n"
				 "v2 = plain value # dropped\r\n"
				 "v3 = a#b\r\n"
				 "v4 =\r\n"
				 "v5 = 'single'\r\n");
	struct host *h1 = fleet_find(&f, "h1");
	assert_non_null(h1);
	assert_string_equal(host_var(h1, "a"), "x y");
	assert_string_equal(host_var(h1, "b"), "say \"hi\"");
	assert_string_equal(host_var(h1, "c"), "p"); /* shlex: '#' starts a comment */
	assert_string_equal(host_var(h1, "d"), "1");
	assert_null(host_var(h1, "e"));
	struct host *h2 = fleet_find(&f, "h2");
	assert_string_equal(host_var(h2, "e"), "inner"); /* literal_eval of 'inner' */
	assert_string_equal(host_var(h2, "f"), "a b");
	assert_string_equal(host_var(h1, "v1"), "quoted # kept");
	assert_string_equal(host_var(h1, "v2"), "plain value");
	assert_string_equal(host_var(h1, "v3"), "a#b");
	assert_string_equal(host_var(h1, "v4"), "");
	assert_string_equal(host_var(h1, "v5"), "single");
	fleet_free(&f);
}

static void test_children_declared_later(void **state)
{
	(void)state;
	/* A child may be named before its own section; vars may come before
	 * hosts once the group exists. Nested three deep. */
	struct fleet f = load_ok("[world:children]\neu\n"
				 "[eu:children]\neu-mc\n"
				 "[eu-mc]\nmc-eu-[1:3]\n"
				 "[eu:vars]\nregion=eu\n"
				 "[world:vars]\nregion=world\nplanet=earth\n");
	struct host *h = fleet_find(&f, "mc-eu-2");
	assert_groups(h, (const char *[]){ "world", "eu", "eu-mc", NULL });
	assert_string_equal(host_var(h, "region"), "eu");
	assert_string_equal(host_var(h, "planet"), "earth");
	fleet_free(&f);
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	load_fails("[g]\nmc-1\nmc-2:abc\n", "fleet.conf:3: port 'abc' of host mc-2 is not a number 1-65535");
	load_fails("[g]\nmc-1:0\n", "fleet.conf:2: port '0' of host mc-1");
	load_fails("[g]\nmc-1:70000\n", "fleet.conf:2: port '70000'");
	load_fails("[g]\n\n\nmc-1 ansible_port=abc\n",
		   "fleet.conf:4: port 'abc' of host mc-1 is not a number 1-65535");
	/* A bad port in group vars is reported at the vars line. */
	load_fails("[g]\nmc-1\n[g:vars]\nport=22x\n", "fleet.conf:4: port '22x' of host mc-1");
	load_fails("[g]\nh a=\"open\n", "fleet.conf:2: cannot read host line: a quote is not closed");
	load_fails("[g]\nh a=1 \\", "fleet.conf:2: cannot read host line");
	load_fails("[g]\nh a=1 oops\n", "fleet.conf:2: expected key=value after host h, got 'oops'");
	load_fails("[g]\nh =1\n", "fleet.conf:2: missing variable name");
	load_fails("[g]\nansible_user=root\n",
		   "fleet.conf:2: 'ansible_user=root' is a variable, not a host name");
	load_fails("a\n[bad group]\n", "fleet.conf:2: invalid section header '[bad group]'");
	load_fails("[g\n", "fleet.conf:1: invalid section header");
	load_fails("[g] junk\n", "fleet.conf:1: invalid section header");
	load_fails("[g:]\n", "fleet.conf:1: invalid section header");
	load_fails("\n[g:hostz]\n", "fleet.conf:2: section [g:hostz] has unknown type 'hostz'");
	load_fails("[g]\nh\n[typo:vars]\nx=1\n",
		   "fleet.conf:3: [typo:vars] is for group 'typo', which is not defined");
	load_fails("[p:children]\nok\nmissing\n[ok]\n",
		   "fleet.conf:3: [p:children] names group 'missing', which is not defined");
	load_fails("[a:children]\nb\n[b:children]\nc\n[c:children]\na\n",
		   "fleet.conf:6: groups loop through :children: a -> b -> c -> a");
	load_fails("[a]\nh\n[a:children]\na\n", "fleet.conf:4: groups loop through :children: a -> a");
	load_fails("[a:children]\nall\n", "fleet.conf:2: group 'all' cannot be a child");
	load_fails("[a:children]\nb c\n", "fleet.conf:2: expected a group name in [a:children]");
	load_fails("[a:vars]\n[a]\n[a:vars]\nnovalue\n", "fleet.conf:4: expected key=value in [a:vars]");
	load_fails("[a]\n[a:vars]\n = 1\n", "fleet.conf:3: missing variable name");
	load_fails("[a]\nh\n[a:vars]\nansible_group_priority=high\n",
		   "fleet.conf:4: ansible_group_priority 'high' of group a is not a number");
	load_fails("[we*b]\n", "fleet.conf:1: group name 'we*b' may not contain '*'");
	load_fails("[g]\nmc-[5:1]\n", "fleet.conf:2: host mc-[5:1]: range [5:1]: begin is after end");
	load_fails("[g]\nmc-[01:5]\n", "fleet.conf:2: host mc-[01:5]: range [01:5]: begin and end must have the same width");
	load_fails("[g]\nmc-[1:3:0]\n", "fleet.conf:2: host mc-[1:3:0]: range [1:3:0] has a step of 0");
	load_fails("[g]\nmc-[1:]\n", "fleet.conf:2: host mc-[1:]: range [1:] has no end value");
	load_fails("[g]\nmc-[1:c]\n", "fleet.conf:2: host mc-[1:c]: range [1:c] mixes letters");
	load_fails("[g]\nmc-[abc]\n", "fleet.conf:2: host mc-[abc]: '[' in 'mc-[abc]' does not start a range");
	load_fails("[g]\nmc-[1:2\n", "fleet.conf:2: host mc-[1:2: '[' in");
	load_fails("[g]\nx[0:200000]\n", "fleet.conf:2: host x[0:200000]: more than 100000 hosts");
	load_fails("[g]\nweb,1\n", "fleet.conf:2: host name 'web,1' may not contain ','");
	load_fails("[g]\n:22\n", "fleet.conf:2: missing host name");
	load_fails("# inventory\n---\nall:\n  hosts:\n",
		   "fleet.conf:2: this looks like a YAML inventory; fleetop reads only");
	load_fails("all:\n  hosts:\n    web1:\n", "fleet.conf:1: this looks like a YAML inventory");
	load_fails("{\"all\": {}}\n", "fleet.conf:1: this looks like a YAML inventory");
}

static void test_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/fleetop-inv-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/fleet.conf", dir);
	struct error err = { { 0 } };
	assert_int_equal(file_write_atomic(path, "[g]\nh1\nh2:x\n", 12, 0644, &err), 0);
	struct fleet f;
	assert_int_equal(fleet_load_file(&f, path, &err), -1);
	char *want = xasprintf("%s:3: port 'x' of host h2", path);
	assert_non_null(strstr(err.msg, want));
	free(want);
	assert_int_equal(file_write_atomic(path, "[g]\nh1\n", 7, 0644, &err), 0);
	assert_int_equal(fleet_load_file(&f, path, &err), 0);
	assert_string_equal(f.path, path);
	assert_string_equal(f.hosts[0].file, path);
	fleet_free(&f);
	assert_int_equal(file_write_atomic(path, "[g]\nh\0x\n", 8, 0644, &err), 0);
	assert_int_equal(fleet_load_file(&f, path, &err), -1);
	assert_non_null(strstr(err.msg, "NUL"));
	unlink(path);
	assert_int_equal(fleet_load_file(&f, path, &err), -1);
	assert_non_null(strstr(err.msg, path));
	rmdir(dir);
	free(path);
}

static void test_empty_inventory(void **state)
{
	(void)state;
	struct fleet f = load_ok("");
	assert_int_equal(f.nhosts, 0);
	assert_int_equal(f.ngroups, 2);
	fleet_free(&f);
	f = load_ok("# only comments\n\n;\n");
	assert_int_equal(f.nhosts, 0);
	fleet_free(&f);
}

static void test_ten_thousand_hosts(void **state)
{
	(void)state;
	struct buf b = { 0 };
	buf_puts(&b, "[all:vars]\nansible_user=mc\n");
	for (int g = 0; g < 100; g++) {
		buf_printf(&b, "[g%02d]\n", g);
		for (int i = 0; i < 100; i++)
			buf_printf(&b, "mc-%02d-%02d ansible_host=10.%d.%d.1 slot=%d\n", g, i, g, i, i);
		buf_printf(&b, "[g%02d:vars]\nregion=r%d\n", g, g % 4);
		buf_printf(&b, "[r%d:children]\ng%02d\n", g % 4, g);
	}
	for (int r = 0; r < 4; r++)
		buf_printf(&b, "[r%d]\n", r);
	/* And a range line covering all of them again. */
	buf_puts(&b, "[every]\nmc-[00:99]-[00:99]\n");
	struct fleet f = load_ok(b.data);
	assert_int_equal(f.nhosts, 10000);
	for (int g = 0; g < 100; g++) {
		for (int i = 0; i < 100; i++) {
			char name[32];
			snprintf(name, sizeof name, "mc-%02d-%02d", g, i);
			struct host *h = fleet_find(&f, name);
			assert_non_null(h);
			assert_int_equal(h->ngroups, 3);
			assert_string_equal(h->user, "mc");
		}
	}
	unsigned char *sel = xcalloc(f.nhosts, 1);
	struct error err;
	assert_int_equal(fleet_select(&f, "@r1 !mc-01-* mc-[00-99]-07", sel, &err), 0);
	size_t n = 0;
	for (size_t i = 0; i < f.nhosts; i++)
		n += sel[i];
	assert_int_equal(n, 2400 + 75);
	free(sel);
	fleet_free(&f);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ansible_example),
		cmocka_unit_test(test_ungrouped_and_all),
		cmocka_unit_test(test_precedence_depth_priority_name),
		cmocka_unit_test(test_aliases_layered),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_quoting_and_comments),
		cmocka_unit_test(test_children_declared_later),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_empty_inventory),
		cmocka_unit_test(test_ten_thousand_hosts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
