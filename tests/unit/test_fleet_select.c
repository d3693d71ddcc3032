/* fleet: selection patterns, and the host model (metrics, state, lookups). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/fleet.h"

static const char *inventory =
	"[eu]\n"
	"mc-01\nmc-02\nmc-03\nmc-10\n"
	"[us]\n"
	"mc-1\nmc-2\nmc-12\n"
	"[quake]\n"
	"q-a\nq-b\nq-c\n"
	"[web]\n"
	"web1.eu\nweb2.eu\nweb3.eu\n"
	"[minecraft:children]\n"
	"eu\nus\n"
	"[empty]\n"
	"[mc-extra]\n"
	"x1\n";

static struct fleet fleet;

static int setup(void **state)
{
	(void)state;
	struct error err;
	if (fleet_load_string(&fleet, inventory, "fleet.conf", &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fleet_free(&fleet);
	return 0;
}

/* Selects and returns the chosen names, space-separated in fleet order. */
static char *sel(const char *pattern)
{
	unsigned char *s = xmalloc(fleet.nhosts);
	memset(s, 7, fleet.nhosts); /* every entry must be written */
	struct error err;
	if (fleet_select(&fleet, pattern, s, &err) < 0)
		fail_msg("'%s': %s", pattern, err.msg);
	struct buf b = { 0 };
	buf_puts(&b, "");
	for (size_t i = 0; i < fleet.nhosts; i++) {
		assert_true(s[i] == 0 || s[i] == 1);
		if (s[i])
			buf_printf(&b, "%s%s", b.len ? " " : "", fleet.hosts[i].name);
	}
	free(s);
	return b.data;
}

static void expect(const char *pattern, const char *want)
{
	char *got = sel(pattern);
	if (strcmp(got, want) != 0) /* a NULL pattern is "no selection": everyone */
		fail_msg("'%s' selected '%s', want '%s'", pattern ? pattern : "(none)", got, want);
	free(got);
}

static void expect_error(const char *pattern, const char *want)
{
	unsigned char *s = xcalloc(fleet.nhosts, 1);
	struct error err = { { 0 } };
	int rc = fleet_select(&fleet, pattern, s, &err);
	free(s);
	if (rc == 0)
		fail_msg("'%s' should fail with '%s'", pattern, want);
	if (strcmp(err.msg, want) != 0)
		fail_msg("'%s': got '%s', want '%s'", pattern, err.msg, want);
}

static const char *everyone = "mc-01 mc-02 mc-03 mc-10 mc-1 mc-2 mc-12 q-a q-b q-c web1.eu "
			      "web2.eu web3.eu x1";

static void test_all(void **state)
{
	(void)state;
	expect(NULL, everyone);
	expect("", everyone);
	expect("  , ", everyone);
	expect("all", everyone);
	expect("*", everyone);
	expect("@all", everyone);
}

static void test_names_groups_globs(void **state)
{
	(void)state;
	expect("mc-1", "mc-1");
	expect("@eu", "mc-01 mc-02 mc-03 mc-10");
	expect("eu", "mc-01 mc-02 mc-03 mc-10"); /* bare group name, as in Ansible */
	expect("@minecraft", "mc-01 mc-02 mc-03 mc-10 mc-1 mc-2 mc-12");
	expect("q-*", "q-a q-b q-c");
	expect("web?.eu", "web1.eu web2.eu web3.eu");
	expect("q-[ab]", "q-a q-b");  /* a glob class */
	expect("q-[!a]", "q-b q-c");
	expect("mc-?", "mc-1 mc-2");
	/* Globs match group names too (Ansible): mc-extra's host comes along. */
	expect("mc-*", "mc-01 mc-02 mc-03 mc-10 mc-1 mc-2 mc-12 x1");
	expect("@mc-*", "x1");
	expect("quake,web1.eu", "q-a q-b q-c web1.eu");
	expect("quake web1.eu\tmc-2", "mc-2 q-a q-b q-c web1.eu");
	expect("q-a,q-a,@quake", "q-a q-b q-c");
}

static void test_ranges(void **state)
{
	(void)state;
	/* Dash form, zero-padded: exactly two digits. */
	expect("mc-[01-03]", "mc-01 mc-02 mc-03");
	expect("mc-[01-12]", "mc-01 mc-02 mc-03 mc-10 mc-12");
	/* Unpadded: no leading zeros, so mc-01 is not mc-[1-12]. */
	expect("mc-[1-12]", "mc-10 mc-1 mc-2 mc-12");
	expect("mc-[1:12]", "mc-10 mc-1 mc-2 mc-12");
	expect("mc-[1:12:2]", "mc-1");
	expect("mc-[0:12:2]", "mc-10 mc-2 mc-12");
	expect("q-[a-b]", "q-a q-b");
	expect("q-[b:c]", "q-b q-c");
	expect("web[2-3].eu", "web2.eu web3.eu");
	expect("mc-[0-1]*", "mc-01 mc-02 mc-03 mc-10 mc-1 mc-12");
	expect("mc-[1-99999999]", "mc-10 mc-1 mc-2 mc-12");
	expect("@[e-f]*", "mc-01 mc-02 mc-03 mc-10");
}

static void test_negation(void **state)
{
	(void)state;
	expect("@minecraft !@us", "mc-01 mc-02 mc-03 mc-10");
	expect("@minecraft,!mc-0*", "mc-10 mc-1 mc-2 mc-12");
	/* Order does not matter: union of positives minus negatives. */
	expect("!mc-0* @minecraft", "mc-10 mc-1 mc-2 mc-12");
	/* Only negatives: everything else. */
	expect("!@minecraft !web*", "q-a q-b q-c x1");
	expect("!all", "");
	expect("mc-1 !mc-1", "");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("mc-9*", "no host or group matches 'mc-9*'");
	expect_error("@eu,nosuch", "no host or group matches 'nosuch'");
	expect_error("!mc-9*", "no host or group matches 'mc-9*'");
	expect_error("@nosuch", "no group matches '@nosuch'");
	expect_error("@mc-1", "no group matches '@mc-1'");
	expect_error("@empty", "group 'empty' has no hosts");
	expect_error("@ungrouped", "group 'ungrouped' has no hosts");
	expect_error("@", "'@' without a group name in the selection");
	expect_error("mc-1 !", "'!' without a host or group after it in the selection");
	expect_error("mc-[5-1]", "selection term 'mc-[5-1]': range [5-1]: begin is after end");
	expect_error("mc-[01-1]",
		     "selection term 'mc-[01-1]': range [01-1]: begin and end must have the same "
		     "width when zero-padded");
	/* A glob does not reach the implicit groups: "al*" is not "all". */
	expect_error("al*", "no host or group matches 'al*'");
	expect_error("@ungr*", "no group matches '@ungr*'");
	expect_error("MC-1", "no host or group matches 'MC-1'"); /* case matters, as in Ansible */
	char *longterm = xmalloc(2000);
	memset(longterm, 'a', 1999);
	longterm[1999] = '\0';
	unsigned char s[32];
	struct error err;
	assert_int_equal(fleet_select(&fleet, longterm, s, &err), -1);
	assert_non_null(strstr(err.msg, "longer than"));
	free(longterm);
	/* The selection is untouched on error. */
	memset(s, 9, sizeof s);
	assert_int_equal(fleet_select(&fleet, "q-a nosuch", s, &err), -1);
	assert_int_equal(s[0], 9);
}

static void test_pathological_glob(void **state)
{
	(void)state;
	/* Backtracking without a memo would take ages here. */
	struct buf b = { 0 };
	buf_puts(&b, "[g]\n");
	for (int i = 0; i < 50; i++) {
		buf_puts(&b, "h");
		for (int k = 0; k < 60; k++)
			buf_puts(&b, "a");
		buf_printf(&b, "%d\n", i);
	}
	struct fleet f;
	struct error err;
	assert_int_equal(fleet_load_string(&f, b.data, "t", &err), 0);
	unsigned char s[50];
	assert_int_equal(fleet_select(&f, "*a*a*a*a*a*a*a*a*a*a*a*a*[1-9]*[1-9]*[1-9]b", s, &err),
			 -1);
	assert_int_equal(fleet_select(&f, "h*a*a*a*a*a*a*a*a*a*a*a[0-9]", s, &err), 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(s[i], i < 10);
	fleet_free(&f);
	buf_free(&b);
}

static void test_hand_built_fleet(void **state)
{
	(void)state;
	/* Other modules' tests may build a fleet by hand: no index, lookups
	 * and selection still work. */
	char *groups_a[] = { "eu" };
	struct host hosts[3] = {
		{ .id = 0, .name = "a", .groups = groups_a, .ngroups = 1 },
		{ .id = 1, .name = "b" },
		{ .id = 2, .name = "c", .groups = groups_a, .ngroups = 1 },
	};
	struct group groups[] = { { .name = "all" }, { .name = "eu" } };
	struct fleet f = { .hosts = hosts, .nhosts = 3, .groups = groups, .ngroups = 2 };
	assert_ptr_equal(fleet_find(&f, "b"), &hosts[1]);
	assert_null(fleet_find(&f, "d"));
	assert_ptr_equal(fleet_group(&f, "eu"), &groups[1]);
	unsigned char s[3];
	struct error err;
	assert_int_equal(fleet_select(&f, "@eu", s, &err), 0);
	assert_true(s[0] && !s[1] && s[2]);
	assert_int_equal(fleet_select(&f, "!c", s, &err), 0);
	assert_true(s[0] && s[1] && !s[2]);
}

static int sign(int c)
{
	return c < 0 ? -1 : c > 0;
}

/* a sorts before b, and b after a. */
static void before(const char *a, const char *b)
{
	if (fleet_name_cmp(a, b) >= 0 || fleet_name_cmp(b, a) <= 0)
		fail_msg("'%s' should sort before '%s' (got %d and %d)", a, b, fleet_name_cmp(a, b),
			 fleet_name_cmp(b, a));
}

static int name_qsort_cmp(const void *a, const void *b)
{
	return fleet_name_cmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_natural_order(void **state)
{
	(void)state;
	/* ls -v's order: digit runs by value. */
	before("db-7", "db-10");
	before("db-10", "db-11");
	before("db-12", "db-70");
	before("mc-eu-2", "mc-eu-10");
	before("web2.eu", "web10.eu");
	before("a9", "a10");
	before("a9b", "a10a"); /* the number decides before the letter after it */
	/* Equal prefixes; digits at the end. */
	assert_int_equal(fleet_name_cmp("db-1", "db-1"), 0);
	assert_int_equal(fleet_name_cmp("", ""), 0);
	before("", "a");
	assert_int_equal(fleet_name_cmp(NULL, ""), 0);
	before(NULL, "a");
	before("db", "db-1");
	before("db-", "db-0");
	before("db-1", "db-1a");
	before("db-1", "db-1-1");
	before("mc1", "mc1x");
	/* Leading zeros: by value first, then strcmp for a total order. */
	before("db-07", "db-8");
	before("db-9", "db-010");
	before("db-007", "db-07");
	before("db-07", "db-7");
	before("h-0", "h-00x"); /* zero runs are worth 0, then 'x' decides */
	before("h-000", "h-1");
	/* Digits beside other characters compare as characters do. */
	before("a-1", "a1");  /* '-' < '1' */
	before("a1", "aa");   /* '1' < 'a' */
	before("a1", "a_");   /* '1' < '_' */
	/* Runs far past 64 bits: no overflow, no wrap. */
	before("h-18446744073709551615", "h-18446744073709551616");
	before("h-99999999999999999999998", "h-99999999999999999999999");
	before("h-99999999999999999999999", "h-100000000000000000000000");
	before("h-000000000000000000000000000000002", "h-10");
	before("h-9223372036854775807", "h-9223372036854775808");
	char huge_a[600], huge_b[600];
	memset(huge_a, '9', sizeof huge_a - 1);
	memcpy(huge_b, huge_a, sizeof huge_b);
	huge_a[sizeof huge_a - 1] = huge_b[sizeof huge_b - 1] = '\0';
	huge_b[300] = '8';
	before(huge_b, huge_a);
	/* A consistent order over a mixed set: antisymmetric and transitive. */
	const char *names[] = { "db-10", "db-7", "db-07", "db-007", "db-11", "db", "db-1a", "db-1",
				"mc-eu-10", "mc-eu-2", "mc-eu-02", "a1", "aa", "a-1", "", "h-0",
				"h-00", "h-00x", "x99999999999999999999", "x100000000000000000000",
				"web10.eu", "web2.eu", "web2.eu2", "web2.eu10" };
	size_t n = sizeof names / sizeof names[0];
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(fleet_name_cmp(names[i], names[i]), 0);
		for (size_t j = 0; j < n; j++) {
			int ij = sign(fleet_name_cmp(names[i], names[j]));
			assert_int_equal(ij, -sign(fleet_name_cmp(names[j], names[i])));
			if (i != j)
				assert_int_not_equal(ij, 0);
			for (size_t k = 0; k < n; k++)
				if (ij < 0 && fleet_name_cmp(names[j], names[k]) < 0 &&
				    fleet_name_cmp(names[i], names[k]) >= 0)
					fail_msg("not transitive: %s < %s < %s", names[i], names[j],
						 names[k]);
		}
	}
	const char *sorted[] = { "db-10", "db-7", "db-11", "db-12" };
	qsort(sorted, 4, sizeof *sorted, name_qsort_cmp);
	assert_string_equal(sorted[0], "db-7");
	assert_string_equal(sorted[1], "db-10");
	assert_string_equal(sorted[3], "db-12");
}

static void test_sorted_hosts(void **state)
{
	(void)state;
	/* The shared inventory, in natural order: mc-01 and mc-1 are both 1. */
	uint32_t ids[32];
	size_t n = fleet_sorted(&fleet, NULL, ids);
	assert_int_equal(n, fleet.nhosts);
	struct buf b = { 0 };
	buf_puts(&b, "");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", fleet.hosts[ids[i]].name);
	assert_string_equal(b.data, "mc-01 mc-1 mc-02 mc-2 mc-03 mc-10 mc-12 q-a q-b q-c web1.eu "
				    "web2.eu web3.eu x1");
	buf_free(&b);
	/* Only the selected ones. */
	unsigned char s[32];
	struct error err;
	assert_int_equal(fleet_select(&fleet, "@us,mc-10", s, &err), 0);
	n = fleet_sorted(&fleet, s, ids);
	assert_int_equal(n, 4);
	assert_string_equal(fleet.hosts[ids[0]].name, "mc-1");
	assert_string_equal(fleet.hosts[ids[1]].name, "mc-2");
	assert_string_equal(fleet.hosts[ids[2]].name, "mc-10");
	assert_string_equal(fleet.hosts[ids[3]].name, "mc-12");
	/* An empty fleet. */
	struct fleet none = { 0 };
	assert_int_equal(fleet_sorted(&none, NULL, ids), 0);
}

static void test_metrics(void **state)
{
	(void)state;
	struct host h = { .name = "h" };
	double v = 0;
	assert_false(host_get_metric(&h, "cpu.util", &v));
	const char *names[] = { "net.rx_bps", "cpu.util", "mem.used_pct", "disk.used_pct",
				"game.players", "game.tps", "custom.a", "custom.b", "custom.c",
				"load.1", "load.5", "load.15", "zz", "aa" };
	size_t n = sizeof names / sizeof *names;
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < n; i++)
			host_set_metric(&h, names[i], (double)(i * 10 + (size_t)round));
	assert_int_equal(h.nmetrics, n);
	for (size_t i = 0; i < n; i++) {
		assert_true(host_get_metric(&h, names[i], &v));
		assert_true(v == (double)(i * 10 + 2));
	}
	for (size_t i = 1; i < h.nmetrics; i++)
		assert_true(strcmp(h.metrics[i - 1].name, h.metrics[i].name) < 0);
	host_set_metric(&h, "cpu.util", NAN);
	assert_true(host_get_metric(&h, "cpu.util", &v));
	assert_true(isnan(v));
	assert_true(host_get_metric(&h, "aa", NULL));
	for (size_t i = 0; i < h.nmetrics; i++)
		free(h.metrics[i].name);
	free(h.metrics);
	free(h.rings);

	/* Many metrics and a hot loop stay cheap. */
	struct host big = { .name = "big" };
	char name[32];
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof name, "custom.m%03d", (i * 7) % 200);
		host_set_metric(&big, name, i);
	}
	assert_int_equal(big.nmetrics, 200);
	for (int k = 0; k < 10000; k++)
		host_set_metric(&big, "custom.m100", k);
	assert_true(host_get_metric(&big, "custom.m100", &v) && v == 9999);
	for (size_t i = 0; i < big.nmetrics; i++)
		free(big.metrics[i].name);
	free(big.metrics);
	free(big.rings);
}

static void test_state(void **state)
{
	(void)state;
	struct host h = { .name = "h" };
	host_set_state(&h, HOST_DOWN, FAULT_AUTH, "auth failed\r\n(publickey)\n");
	assert_int_equal(h.state, HOST_DOWN);
	assert_int_equal(h.fault, FAULT_AUTH);
	assert_string_equal(h.error, "auth failed (publickey)");
	int64_t since = h.state_since_ms;
	assert_true(since > 1600000000000LL);
	h.state_since_ms = since - 5000;
	/* Still down for another reason: the state's start does not move. */
	host_set_state(&h, HOST_DOWN, FAULT_TIMEOUT, "timed out after %ds", 10);
	assert_string_equal(h.error, "timed out after 10s");
	assert_int_equal(h.state_since_ms, since - 5000);
	host_set_state(&h, HOST_UP, FAULT_NONE, NULL);
	assert_string_equal(h.error, "");
	assert_true(h.state_since_ms >= since);
	char long_msg[600];
	memset(long_msg, 'x', sizeof long_msg - 1);
	long_msg[sizeof long_msg - 1] = '\0';
	host_set_state(&h, HOST_DOWN, FAULT_PROTOCOL, "%s", long_msg);
	assert_int_equal(strlen(h.error), sizeof h.error - 1);

	assert_string_equal(host_state_name(HOST_UNKNOWN), "unknown");
	assert_string_equal(host_state_name(HOST_CONNECTING), "connecting");
	assert_string_equal(host_state_name(HOST_UP), "up");
	assert_string_equal(host_state_name(HOST_DOWN), "down");
	assert_string_equal(host_fault_name(FAULT_NONE), "none");
	assert_string_equal(host_fault_name(FAULT_REFUSED), "refused");
	assert_string_equal(host_fault_name(FAULT_TIMEOUT), "timeout");
	assert_string_equal(host_fault_name(FAULT_UNREACHABLE), "unreachable");
	assert_string_equal(host_fault_name(FAULT_AUTH), "auth");
	assert_string_equal(host_fault_name(FAULT_HOSTKEY_UNKNOWN), "hostkey_unknown");
	assert_string_equal(host_fault_name(FAULT_HOSTKEY_CHANGED), "hostkey_changed");
	assert_string_equal(host_fault_name(FAULT_PROTOCOL), "protocol");
	assert_string_equal(host_fault_name(FAULT_CLOSED), "closed");
}

static void test_lookups_at_scale(void **state)
{
	(void)state;
	struct buf b = { 0 };
	buf_puts(&b, "[big]\nn[00000:09999]\n");
	struct fleet f;
	struct error err;
	assert_int_equal(fleet_load_string(&f, b.data, "t", &err), 0);
	assert_int_equal(f.nhosts, 10000);
	char name[16];
	for (int round = 0; round < 10; round++)
		for (int i = 0; i < 10000; i++) {
			snprintf(name, sizeof name, "n%05d", i);
			struct host *h = fleet_find(&f, name);
			assert_non_null(h);
			assert_int_equal(h->id, i);
		}
	unsigned char *s = xmalloc(f.nhosts);
	assert_int_equal(fleet_select(&f, "n0[0-4]*,n09999 !n00[0-8]??", s, &err), 0);
	size_t count = 0;
	for (size_t i = 0; i < f.nhosts; i++)
		count += s[i];
	assert_int_equal(count, 5000 - 900 + 1);
	assert_int_equal(fleet_select(&f, "n[00000-09999]", s, &err), 0);
	free(s);
	fleet_free(&f);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_names_groups_globs),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_negation),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_pathological_glob),
		cmocka_unit_test(test_hand_built_fleet),
		cmocka_unit_test(test_natural_order),
		cmocka_unit_test(test_sorted_hosts),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_state),
		cmocka_unit_test(test_lookups_at_scale),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
