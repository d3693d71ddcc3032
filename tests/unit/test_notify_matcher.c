/* alert: label matchers (silences, policies, inhibit rules). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/notify.h"

static const struct alert_label labels[] = {
	{ "rule", "cpu_high" },
	{ "host", "mc-eu-03" },
	{ "severity", "critical" },
	{ "group", "eu" },
	{ "note", "a,b c" },
};
#define NL (sizeof labels / sizeof labels[0])

static bool matches(const char *text)
{
	struct matcher_set ms;
	struct error err = { { 0 } };
	if (matchers_parse(&ms, text, &err) < 0)
		fail_msg("parse '%s': %s", text, err.msg);
	bool m = matchers_match(&ms, labels, NL);
	matchers_free(&ms);
	return m;
}

static void test_ops(void **state)
{
	(void)state;
	assert_true(matches("rule=cpu_high"));
	assert_false(matches("rule=cpu"));
	assert_true(matches("rule!=cpu"));
	assert_false(matches("rule!=cpu_high"));
	/* Regexes are anchored at both ends, as in Prometheus. */
	assert_true(matches("host=~mc-eu-.*"));
	assert_false(matches("host=~eu"));
	assert_true(matches("host=~.*eu.*"));
	assert_true(matches("host!~db-.*"));
	assert_false(matches("host!~mc-.*"));
	assert_true(matches("host=~mc-(eu|us)-[0-9]{2}"));
	/* All must hold. */
	assert_true(matches("rule=cpu_high,severity=~crit.*,group!=us"));
	assert_false(matches("rule=cpu_high,group=us"));
	/* Spaces around, braces, quotes (for commas in a value), a trailing comma. */
	assert_true(matches(" rule = cpu_high , group=eu "));
	assert_true(matches("{rule=\"cpu_high\", group=~\"e.\"}"));
	assert_true(matches("note=\"a,b c\""));
	assert_true(matches("rule=cpu_high,"));
}

static void test_absent_labels(void **state)
{
	(void)state;
	/* An absent label is the empty string, as in Alertmanager. */
	assert_true(matches("dc="));
	assert_true(matches("dc=\"\""));
	assert_false(matches("dc=fra"));
	assert_true(matches("dc!=fra"));
	assert_true(matches("dc=~"));
	assert_true(matches("dc=~.*"));
	assert_false(matches("dc=~.+"));
	assert_true(matches("dc!~.+"));
	assert_false(matches("host="));
}

static void test_empty(void **state)
{
	(void)state;
	struct matcher_set ms;
	struct error err = { { 0 } };
	assert_int_equal(matchers_parse(&ms, "", &err), 0);
	assert_int_equal(ms.n, 0);
	assert_true(matchers_match(&ms, labels, NL)); /* no matcher: every alert */
	assert_true(matchers_match(&ms, NULL, 0));
	char *f = matchers_format(&ms);
	assert_string_equal(f, "");
	free(f);
	matchers_free(&ms);
	assert_int_equal(matchers_parse(&ms, "  {} ", &err), 0);
	assert_int_equal(ms.n, 0);
	matchers_free(&ms);
}

static void expect_error(const char *text, const char *want)
{
	struct matcher_set ms = { 0 };
	struct error err = { { 0 } };
	assert_int_equal(matchers_parse(&ms, text, &err), -1);
	assert_int_equal(ms.n, 0);
	assert_null(ms.m);
	if (!strstr(err.msg, want))
		fail_msg("'%s': error '%s' does not say '%s'", text, err.msg, want);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("host=~mc-[", "bad regular expression");
	expect_error("rule=a,host=~(x", "matcher 'host=~(x': bad regular expression");
	expect_error("rule", "expected =, !=, =~ or !~");
	expect_error("rule=a,,host=b", "matcher 2 is empty");
	expect_error(",rule=a", "matcher 1 is empty");
	expect_error("=a", "expected a label name");
	expect_error("1abc=a", "expected a label name");
	expect_error("note=\"open", "unterminated quote");
	expect_error("note=\"a\" b", "unexpected text after the quoted value");
	expect_error("{rule=a", "missing closing '}'");
	expect_error("{rule=a} x", "missing closing");
	expect_error("rule=\"a\"x=b", "unexpected text after the quoted value");
}

static void test_format_round_trip(void **state)
{
	(void)state;
	static const char *texts[] = {
		"rule=cpu_high",
		"rule=cpu_high,host=~mc-.*,group!=us,dc!~fra|ams",
		"note=\"a,b c\"",
		"note=\"say \\\"hi\\\" \\\\ bye\"",
		"dc=",
		"host=~mc-[0-9]{2}",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		struct matcher_set ms, again;
		struct error err = { { 0 } };
		assert_int_equal(matchers_parse(&ms, texts[i], &err), 0);
		char *f = matchers_format(&ms);
		assert_string_equal(f, texts[i]);
		assert_int_equal(matchers_parse(&again, f, &err), 0);
		assert_int_equal(again.n, ms.n);
		for (size_t j = 0; j < ms.n; j++) {
			assert_string_equal(again.m[j].key, ms.m[j].key);
			assert_string_equal(again.m[j].value, ms.m[j].value);
			assert_int_equal(again.m[j].op, ms.m[j].op);
		}
		free(f);
		matchers_free(&ms);
		matchers_free(&again);
	}
	/* Parsed forms that print canonically. */
	struct matcher_set ms;
	struct error err;
	assert_int_equal(matchers_parse(&ms, "{ rule = \"cpu\" , host =~ \"a.*\" }", &err), 0);
	char *f = matchers_format(&ms);
	assert_string_equal(f, "rule=cpu,host=~a.*");
	assert_int_equal(ms.m[1].op, MATCH_RE);
	free(f);
	matchers_free(&ms);
	matchers_free(&ms); /* twice is harmless */
}

static void test_value_keeps_equals(void **state)
{
	(void)state;
	struct alert_label l[] = { { "expr", "a=b" } };
	struct matcher_set ms;
	struct error err;
	assert_int_equal(matchers_parse(&ms, "expr=a=b", &err), 0);
	assert_int_equal(ms.n, 1);
	assert_string_equal(ms.m[0].value, "a=b");
	assert_true(matchers_match(&ms, l, 1));
	matchers_free(&ms);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_absent_labels),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_value_keeps_equals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
