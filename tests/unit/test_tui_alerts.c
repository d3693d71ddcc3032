/* tui alerts: the alerts pane's rows (grouping, folding, order, counts,
 * the cursor kept on its alert), group keys read back into labels and
 * titles, the matchers a silence takes, and the redraw digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/alert_view.h"

#define EU_CPU "{rule=\"cpu_high\",group=\"eu\"}"
#define US_CPU "{rule=\"cpu_high\",group=\"us\"}"

static struct alert_info A(int64_t id, const char *rule, const char *host, uint32_t host_id,
			   const char *key, enum alert_severity sev, enum alert_state st,
			   int64_t since)
{
	return (struct alert_info){ .id = id, .rule = rule, .host = host, .host_id = host_id,
				    .summary = "s", .group_key = key, .severity = sev,
				    .state = st, .since_ms = since, .value = 1 };
}

/* The engine's order: firing first, then severity, then age. */
static struct alert_info list[] = {
	{ 0 }, { 0 }, { 0 }, { 0 }, { 0 }, { 0 },
};

static void fill(void)
{
	list[0] = A(10, "host_unreachable", "mc-eu-3", 3, "{rule=\"host_unreachable\",group=\"eu\"}",
		    SEV_CRITICAL, ALERT_FIRING, 100);
	list[1] = A(11, "cpu_high", "mc-eu-1", 1, EU_CPU, SEV_WARNING, ALERT_FIRING, 200);
	list[2] = A(12, "cpu_high", "mc-us-1", 5, US_CPU, SEV_WARNING, ALERT_FIRING, 250);
	list[3] = A(13, "cpu_high", "mc-eu-2", 2, EU_CPU, SEV_WARNING, ALERT_FIRING, 300);
	list[4] = A(14, "tps_low", "mc-eu-2", 2, NULL, SEV_INFO, ALERT_PENDING, 400);
	list[5] = A(15, "cpu_high", "mc-eu-4", 4, EU_CPU, SEV_WARNING, ALERT_PENDING, 500);
}

static void test_groups_fold_and_order(void **state)
{
	(void)state;
	fill();
	struct alert_view v = { 0 };
	alert_view_build(&v, list, 6);
	/* unreachable alone, the eu cpu group (folded), us cpu alone, tps alone. */
	assert_int_equal(v.nrows, 4);
	assert_int_equal(v.rows[0].kind, AROW_ALERT);
	assert_int_equal(v.rows[0].alert->id, 10);
	assert_false(v.rows[0].member);
	assert_int_equal(v.rows[1].kind, AROW_GROUP);
	assert_string_equal(v.rows[1].group_key, EU_CPU);
	assert_true(v.rows[1].collapsed);
	assert_int_equal(v.rows[1].alert->id, 11); /* its most urgent member */
	assert_int_equal(v.rows[1].count, 3);
	assert_int_equal(v.rows[1].firing, 2);
	assert_int_equal(v.rows[1].pending, 1);
	assert_int_equal(v.rows[1].hosts, 3);
	assert_int_equal(v.rows[1].severity, SEV_WARNING);
	assert_int_equal(v.rows[1].since_ms, 200); /* the oldest firing one */
	assert_int_equal(v.rows[2].alert->id, 12);
	assert_int_equal(v.rows[3].alert->id, 14); /* no key: alone */
	/* Counts for the title: unmuted firing and pending. */
	assert_int_equal(v.firing, 4);
	assert_int_equal(v.pending, 2);
	assert_int_equal(v.muted, 0);

	alert_view_set_expanded(&v, EU_CPU, true);
	alert_view_build(&v, list, 6);
	assert_int_equal(v.nrows, 7);
	assert_false(v.rows[1].collapsed);
	assert_int_equal(v.rows[2].alert->id, 11);
	assert_int_equal(v.rows[3].alert->id, 13);
	assert_int_equal(v.rows[4].alert->id, 15); /* members in the engine's order */
	for (int i = 2; i <= 4; i++)
		assert_true(v.rows[i].member);
	assert_int_equal(v.rows[5].alert->id, 12);

	/* The cursor stays on its alert as rows move; folded away, on its group. */
	assert_int_equal(alert_view_find(&v, 13, EU_CPU, 0), 3);
	assert_int_equal(alert_view_find(&v, 12, US_CPU, 0), 5);
	alert_view_set_expanded(&v, EU_CPU, false);
	alert_view_build(&v, list, 6);
	assert_int_equal(alert_view_find(&v, 13, EU_CPU, 0), 1);
	assert_int_equal(alert_view_find(&v, 99, NULL, 2), 2);
	assert_int_equal(alert_view_find(&v, 99, NULL, 50), 3); /* clamped */
	alert_view_free(&v);
}

static void test_group_shrinks_and_expansion_forgotten(void **state)
{
	(void)state;
	fill();
	struct alert_view v = { 0 };
	alert_view_set_expanded(&v, EU_CPU, true);
	alert_view_build(&v, list, 6);
	assert_int_equal(v.nexpanded, 1);
	/* Two of the three resolve: the group of one is just its alert, and
	 * the cursor on the group goes to it. */
	struct alert_info two[] = { list[0], list[1] };
	alert_view_build(&v, two, 2);
	assert_int_equal(v.nrows, 2);
	assert_int_equal(v.rows[1].kind, AROW_ALERT);
	assert_false(v.rows[1].member);
	assert_int_equal(alert_view_find(&v, 0, EU_CPU, 0), 1);
	/* Gone, then back: it starts folded again. */
	assert_int_equal(v.nexpanded, 0);
	alert_view_build(&v, list, 6);
	assert_true(v.rows[1].collapsed);
	alert_view_build(&v, NULL, 0);
	assert_int_equal(v.nrows, 0);
	assert_int_equal(alert_view_find(&v, 10, EU_CPU, 3), 0);
	alert_view_free(&v);
}

static void test_group_counts_muted_acked(void **state)
{
	(void)state;
	fill();
	list[1].acked_by = "alice";
	list[3].muted = ALERT_MUTE_SILENCED;
	list[5].muted = ALERT_MUTE_INHIBITED;
	/* A rule that fires twice on one host under a group-only key. */
	list[2].group_key = EU_CPU;
	list[2].host_id = 1;
	struct alert_view v = { 0 };
	alert_view_build(&v, list, 6);
	const struct alert_row *g = &v.rows[1];
	assert_int_equal(g->kind, AROW_GROUP);
	assert_int_equal(g->count, 4);
	assert_int_equal(g->acked, 1);
	assert_int_equal(g->muted, 2);
	assert_int_equal(g->hosts, 3);
	assert_int_equal(v.muted, 2);
	assert_int_equal(v.firing, 3);
	assert_int_equal(v.pending, 1);
	alert_view_free(&v);
}

static void test_many_alerts(void **state)
{
	(void)state;
	enum { N = 3000 };
	struct alert_info *a = calloc(N, sizeof *a);
	char (*keys)[48] = calloc(N, sizeof *keys);
	char (*hosts)[16] = calloc(N, sizeof *hosts);
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof keys[i], "{rule=\"r%d\",group=\"g\"}", i % 7);
		snprintf(hosts[i], sizeof hosts[i], "h%d", i);
		a[i] = A(i + 1, "r", hosts[i], (uint32_t)i, keys[i], SEV_WARNING, ALERT_FIRING, i);
	}
	struct alert_view v = { 0 };
	alert_view_build(&v, a, N);
	assert_int_equal(v.nrows, 7);
	size_t total = 0;
	for (size_t i = 0; i < v.nrows; i++) {
		total += v.rows[i].count;
		assert_int_equal(v.rows[i].alert->id, (int64_t)i + 1); /* by first appearance */
	}
	assert_int_equal(total, N);
	alert_view_set_expanded(&v, keys[3], true);
	alert_view_build(&v, a, N);
	assert_int_equal(v.nrows, 7 + (N + 3) / 7);
	alert_view_free(&v);
	free(a);
	free(keys);
	free(hosts);
}

static void test_key_labels_and_titles(void **state)
{
	(void)state;
	struct alert_label *l;
	size_t n;
	assert_int_equal(alert_key_labels("{group=\"eu\",rule=\"cpu_high\"}", &l, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].key, "group");
	assert_string_equal(l[0].value, "eu");
	assert_string_equal(l[1].value, "cpu_high");
	labels_free(l, n);
	assert_int_equal(alert_key_labels("{dc=\"a \\\"b\\\", c\",x=\"\"}", &l, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(l[0].value, "a \"b\", c");
	assert_string_equal(l[1].value, "");
	labels_free(l, n);
	assert_int_equal(alert_key_labels("{}", &l, &n), 0);
	assert_int_equal(n, 0);
	static const char *const bad[] = {
		NULL, "", "group=\"eu\"", "{group=eu}", "{group=\"eu\"", "{group=\"eu}",
		"{=\"x\"}", "{a=\"1\"} tail", "{a=\"1\";b=\"2\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (alert_key_labels(bad[i], &l, &n) != -1 || l || n)
			fail_msg("'%s' should not parse", bad[i] ? bad[i] : "(null)");

	char out[128];
	assert_string_equal(alert_group_title(EU_CPU, " · ", out, sizeof out), "@eu · cpu_high");
	assert_string_equal(alert_group_title("{group=\"\",rule=\"r\",dc=\"x\"}", " - ", out, sizeof out),
			    "r - dc=x");
	assert_string_equal(alert_group_title("junk", " · ", out, sizeof out), "junk");
	assert_string_equal(alert_group_title(EU_CPU, " · ", out, 5), "@eu ");
}

static void test_silence_matchers(void **state)
{
	(void)state;
	struct alert_info a = A(1, "cpu_high", "mc-eu-1", 0, EU_CPU, SEV_WARNING, ALERT_FIRING, 0);
	char *m = alert_matchers_for_alert(&a);
	assert_string_equal(m, "rule=cpu_high,host=mc-eu-1");
	free(m);
	a.host = "odd,\"host\"";
	m = alert_matchers_for_alert(&a);
	assert_string_equal(m, "rule=cpu_high,host=\"odd,\\\"host\\\"\"");
	free(m);
	m = alert_matchers_for_group(EU_CPU);
	assert_string_equal(m, "rule=cpu_high,group=eu");
	free(m);
	m = alert_matchers_for_group("{rule=\"r\",group=\"\"}");
	assert_string_equal(m, "rule=r,group=\"\"");
	free(m);
	assert_null(alert_matchers_for_group("{}"));
	assert_null(alert_matchers_for_group("nonsense"));
	assert_null(alert_matchers_for_group(NULL));
}

static void test_digest(void **state)
{
	(void)state;
	fill();
	uint64_t d0 = alert_view_digest(list, 6);
	assert_true(d0 == alert_view_digest(list, 6));
	assert_true(d0 != alert_view_digest(list, 5));
	list[1].acked_by = "alice";
	uint64_t d1 = alert_view_digest(list, 6);
	assert_true(d1 != d0);
	list[1].acked_by = "bob";
	assert_true(alert_view_digest(list, 6) != d1);
	list[1].acked_by = NULL;
	assert_true(alert_view_digest(list, 6) == d0);
	list[5].state = ALERT_FIRING;
	assert_true(alert_view_digest(list, 6) != d0);
	list[5].state = ALERT_PENDING;
	list[2].muted = ALERT_MUTE_MAINTENANCE;
	assert_true(alert_view_digest(list, 6) != d0);
	assert_true(alert_view_digest(NULL, 0) != d0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_groups_fold_and_order),
		cmocka_unit_test(test_group_shrinks_and_expansion_forgotten),
		cmocka_unit_test(test_group_counts_muted_acked),
		cmocka_unit_test(test_many_alerts),
		cmocka_unit_test(test_key_labels_and_titles),
		cmocka_unit_test(test_silence_matchers),
		cmocka_unit_test(test_digest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
