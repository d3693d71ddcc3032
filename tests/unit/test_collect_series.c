/* collect (series cap): which names are safe to keep, and that each host
 * gets at most cap distinct names for the life of the cap, with one warning
 * per host and kind however many samples it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/series_cap.h"
#include "fleetop/fleet.h"

static int warnings;
static char last_warning[1024];

static void on_log(void *arg, enum log_level level, const char *msg)
{
	(void)arg;
	if (level != LOG_WARN)
		return;
	warnings++;
	snprintf(last_warning, sizeof last_warning, "%s", msg);
}

static int setup(void **state)
{
	(void)state;
	warnings = 0;
	last_warning[0] = '\0';
	log_set_level(LOG_WARN);
	log_set_hook(on_log, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_set_hook(NULL, NULL);
	return 0;
}

static void good(const char *name)
{
	const char *why = series_name_check(name);
	if (why)
		fail_msg("\"%s\" refused: %s", name, why);
}

static void bad(const char *name, const char *want)
{
	const char *why = series_name_check(name);
	if (!why)
		fail_msg("\"%s\" accepted", name);
	if (!strstr(why, want))
		fail_msg("\"%s\": \"%s\", wanted \"%s\" in it", name, why, want);
}

static void test_names(void **state)
{
	(void)state;
	/* What the built-in collectors and custom collectors make. */
	good("cpu.util");
	good("load.1");
	good("custom.plugin.dynmap.tick_ms");
	good("custom.a-b_C9");
	good("disk.used_pct:/");
	good("disk.free_bytes:/var/lib/docker/overlay2/3f2a-b_c.d/merged");
	good("net.rx_bps:eth0.100");
	good("net.rx_bps:br-5d2f0c1e9a7b");
	good("net.tx_bps:veth1a2b3c4");
	good("x:a:b"); /* the instance may hold ':'; the metric ends at the first */

	bad("", "empty");
	bad(":eth0", "no metric name");
	bad("net.rx_bps:", "empty instance");
	bad("cpu util", "metric name");
	bad("cpu/util", "metric name");
	bad("cpu.util\n", "metric name");
	bad("custom.\x1b[31mred", "metric name");
	bad("custom.caf\xc3\xa9", "metric name");
	bad("net.rx_bps:eth0@if3", "instance");
	bad("disk.used_pct:/mnt/my disk", "instance");
	bad("disk.used_pct:/mnt/a\\040b", "instance");
	bad("net.rx_bps:eth\t0", "instance");
	bad("net.rx_bps:\x7f", "instance");

	/* 128 bytes is the longest; the check never reads far past it. */
	char name[300];
	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	name[128] = '\0';
	good(name);
	name[128] = 'a';
	name[129] = '\0';
	bad(name, "longer than 128 bytes");
	memcpy(name, "disk.used_pct:/", 15);
	name[128] = '\0';
	good(name);
	name[128] = 'x';
	bad(name, "longer than 128 bytes");
}

static struct host host_named(uint32_t id, const char *name)
{
	struct host h;
	memset(&h, 0, sizeof h);
	h.id = id;
	h.name = (char *)name;
	return h;
}

static void test_cap_keeps_old_refuses_new(void **state)
{
	(void)state;
	struct series_cap *sc = series_cap_new(3);
	struct host h = host_named(0, "mc-eu-1");
	assert_true(series_cap_admit(sc, &h, "cpu.util"));
	assert_true(series_cap_admit(sc, &h, "mem.used_pct"));
	assert_true(series_cap_admit(sc, &h, "cpu.util"));
	assert_true(series_cap_admit(sc, &h, "net.rx_bps:eth0"));
	assert_int_equal(series_cap_count(sc, &h), 3);
	assert_int_equal(warnings, 0);
	/* Full: a new name is refused, the old ones go on. */
	assert_false(series_cap_admit(sc, &h, "custom.req.0001"));
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(last_warning, "mc-eu-1"));
	assert_non_null(strstr(last_warning, "max_series_per_host=3"));
	assert_non_null(strstr(last_warning, "custom.req.0001"));
	assert_true(series_cap_admit(sc, &h, "net.rx_bps:eth0"));
	assert_true(series_cap_admit(sc, &h, "cpu.util"));
	assert_true(series_cap_admit(sc, &h, "mem.used_pct"));
	/* Refused again and again (the same name or others): counted, said once. */
	for (int i = 0; i < 1000; i++) {
		char n[64];
		snprintf(n, sizeof n, "custom.req.%d", i % 7);
		assert_false(series_cap_admit(sc, &h, n));
	}
	assert_int_equal(warnings, 1);
	assert_int_equal(series_cap_refused(sc, &h), 1001);
	assert_int_equal(series_cap_count(sc, &h), 3);

	/* A bad name is its own warning, once, and the name is cleaned in it. */
	assert_false(series_cap_admit(sc, &h, "net.rx_bps:\x1b[2Jevil"));
	assert_int_equal(warnings, 2);
	assert_non_null(strstr(last_warning, "net.rx_bps:?[2Jevil"));
	assert_null(strchr(last_warning, '\x1b'));
	assert_false(series_cap_admit(sc, &h, "cpu.util "));
	assert_false(series_cap_admit(sc, &h, ""));
	assert_int_equal(warnings, 2);
	assert_int_equal(series_cap_refused(sc, &h), 1004);

	/* Another host has its own room, count and warnings; a host id never
	 * seen (far beyond the others) has none of them. */
	struct host other = host_named(5000, "mc-us-2");
	assert_int_equal(series_cap_count(sc, &other), 0);
	assert_int_equal(series_cap_refused(sc, &other), 0);
	assert_true(series_cap_admit(sc, &other, "custom.req.0001"));
	assert_true(series_cap_admit(sc, &other, "custom.req.0002"));
	assert_true(series_cap_admit(sc, &other, "custom.req.0003"));
	assert_false(series_cap_admit(sc, &other, "custom.req.0004"));
	assert_int_equal(warnings, 3);
	assert_non_null(strstr(last_warning, "mc-us-2"));
	assert_int_equal(series_cap_refused(sc, &other), 1);
	assert_int_equal(series_cap_refused(sc, &h), 1004);
	series_cap_free(sc);
}

/* A hostile host: a hundred thousand new names end at the cap, each name
 * it was allowed is still allowed after, and the warning is one line
 * with an example cut short when the name is long. */
static void test_hostile_host(void **state)
{
	(void)state;
	struct series_cap *sc = series_cap_new(1024);
	struct host h = host_named(7, "evil");
	int admitted = 0;
	for (int i = 0; i < 100000; i++) {
		char n[64];
		snprintf(n, sizeof n, "custom.req.%08x-%d", (unsigned)i * 2654435761u, i);
		admitted += series_cap_admit(sc, &h, n);
	}
	assert_int_equal(admitted, 1024);
	assert_int_equal(series_cap_count(sc, &h), 1024);
	assert_int_equal(series_cap_refused(sc, &h), 100000 - 1024);
	assert_int_equal(warnings, 1);
	assert_null(strchr(last_warning, '\n'));
	for (int i = 0; i < 1024; i++) {
		char n[64];
		snprintf(n, sizeof n, "custom.req.%08x-%d", (unsigned)i * 2654435761u, i);
		assert_true(series_cap_admit(sc, &h, n));
	}
	assert_int_equal(series_cap_refused(sc, &h), 100000 - 1024);

	char long_name[200];
	memset(long_name, 'z', sizeof long_name - 1);
	long_name[sizeof long_name - 1] = '\0';
	assert_false(series_cap_admit(sc, &h, long_name));
	assert_int_equal(warnings, 2);
	assert_non_null(strstr(last_warning, "zzz...\""));
	assert_true(strlen(last_warning) < 300);
	series_cap_free(sc);
	series_cap_free(NULL);
}

/* A cap of one (the least fleetop.conf allows); 0 is taken as one. */
static void test_smallest_cap(void **state)
{
	(void)state;
	struct series_cap *sc = series_cap_new(0);
	struct host h = host_named(1, "tiny");
	assert_true(series_cap_admit(sc, &h, "cpu.util"));
	assert_false(series_cap_admit(sc, &h, "mem.used_pct"));
	assert_true(series_cap_admit(sc, &h, "cpu.util"));
	assert_int_equal(series_cap_count(sc, &h), 1);
	series_cap_free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_cap_keeps_old_refuses_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smallest_cap, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
