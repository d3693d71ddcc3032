/* collect (custom collectors): each line form of fleetop-collectors(7), then
 * every way a user's command can print something else: names, values,
 * time stamps, severities, messages, sizes, and that a refused line emits
 * nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/collect.h"

#define MAXI 300

struct got {
	int n;
	struct custom_item items[MAXI];
};

static void collect(void *arg, const struct custom_item *it)
{
	struct got *g = arg;
	assert_true(g->n < MAXI);
	g->items[g->n++] = *it;
}

static struct got g;
static struct error err;

/* Parses s; returns the count and leaves the items in g. */
static int parse(const char *s)
{
	memset(&g, 0, sizeof g);
	memset(&err, 0, sizeof err);
	return custom_parse_line(s, strlen(s), collect, &g, &err);
}

/* s must be refused with an error containing want, emitting nothing. */
static void refused(const char *s, const char *want)
{
	int rc = parse(s);
	if (rc != -1)
		fail_msg("accepted (%d): %s", rc, s);
	assert_int_equal(g.n, 0);
	if (!strstr(err.msg, want))
		fail_msg("error for %s is \"%s\", wanted \"%s\" in it", s, err.msg, want);
	assert_null(strchr(err.msg, '\n'));
}

static void test_metric(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"metric\":\"plugin.dynmap.tick_ms\",\"value\":3.2}"), 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.items[0].kind, CUSTOM_METRIC);
	assert_string_equal(g.items[0].metric, "custom.plugin.dynmap.tick_ms");
	assert_true(g.items[0].value == 3.2);
	assert_int_equal(g.items[0].ts_ms, 0);
	/* Integers, negatives, exponents, whitespace around, unknown keys. */
	assert_int_equal(parse("  {\"metric\" : \"a\", \"value\" : -12, \"unit\":\"ms\", "
			       "\"tags\":{\"x\":[1,2]}}\t\r"), 1);
	assert_string_equal(g.items[0].metric, "custom.a");
	assert_true(g.items[0].value == -12);
	assert_int_equal(parse("{\"value\":1.5e3,\"metric\":\"x\"}"), 1);
	assert_true(g.items[0].value == 1500);
	/* Already prefixed: not doubled. */
	assert_int_equal(parse("{\"metric\":\"custom.backup.age_s\",\"value\":7}"), 1);
	assert_string_equal(g.items[0].metric, "custom.backup.age_s");
	/* "custom" alone or "customer" is a name like any other. */
	assert_int_equal(parse("{\"metric\":\"customer.count\",\"value\":7}"), 1);
	assert_string_equal(g.items[0].metric, "custom.customer.count");
}

static void test_booleans(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"metric\":\"db.ok\",\"value\":true}"), 1);
	assert_true(g.items[0].value == 1);
	assert_int_equal(parse("{\"metric\":\"db.ok\",\"value\":false}"), 1);
	assert_true(g.items[0].value == 0);
	assert_int_equal(parse("{\"metrics\":{\"up\":true,\"down\":false}}"), 2);
	assert_true(g.items[0].value == 1 && g.items[1].value == 0);
}

static void test_metrics(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"metrics\":{\"a.b\":1,\"c\":2,\"custom.d\":-0.5},\"ts\":1700000000}"),
			 3);
	assert_string_equal(g.items[0].metric, "custom.a.b");
	assert_string_equal(g.items[1].metric, "custom.c");
	assert_string_equal(g.items[2].metric, "custom.d");
	assert_true(g.items[2].value == -0.5);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(g.items[i].kind, CUSTOM_METRIC);
		assert_int_equal(g.items[i].ts_ms, 1700000000000LL);
	}
	/* Empty: nothing to emit, not an error. */
	assert_int_equal(parse("{\"metrics\":{}}"), 0);
	/* One bad entry refuses the line, even after good ones. */
	refused("{\"metrics\":{\"a\":1,\"b\":\"2\"}}", "value of metric \"b\" must be a number");
	refused("{\"metrics\":{\"a\":1,\"b c\":2}}", "metric name \"b c\"");
	refused("{\"metrics\":{\"a\":1,\"b\":null}}", "must be a number");
	refused("{\"metrics\":{\"a\":1,\"b\":[1]}}", "must be a number");
	refused("{\"metrics\":[1,2]}", "metrics must be an object");
	refused("{\"metrics\":5}", "metrics must be an object");
}

static void test_metrics_limit(void **state)
{
	(void)state;
	struct buf b = { 0 };
	buf_puts(&b, "{\"metrics\":{");
	for (int i = 0; i < 256; i++)
		buf_printf(&b, "%s\"m%d\":%d", i ? "," : "", i, i);
	buf_puts(&b, "}}");
	assert_int_equal(parse(b.data), 256);
	assert_string_equal(g.items[255].metric, "custom.m255");
	assert_true(g.items[255].value == 255);
	b.len -= 2;
	buf_puts(&b, ",\"m256\":1}}");
	refused(b.data, "more than 256 entries");
	buf_free(&b);
}

static void test_names(void **state)
{
	(void)state;
	refused("{\"metric\":\"a b\",\"value\":1}",
		"metric name \"a b\" has a character other than letters, digits, _ . -");
	refused("{\"metric\":\"\",\"value\":1}", "metric name \"\" is empty");
	refused("{\"metric\":\".a\",\"value\":1}", "starts or ends with '.'");
	refused("{\"metric\":\"a.\",\"value\":1}", "starts or ends with '.'");
	refused("{\"metric\":\"a..b\",\"value\":1}", "has '..'");
	refused("{\"metric\":\"a/b\",\"value\":1}", "character other than");
	refused("{\"metric\":\"caf\xc3\xa9\",\"value\":1}", "character other than");
	refused("{\"metric\":\"a\\u0001\",\"value\":1}", "character other than");
	refused("{\"metric\":5,\"value\":1}", "metric must be a string");
	refused("{\"metric\":null,\"value\":1}", "metric must be a string");
	/* Every allowed character, and the length limit exactly. */
	assert_int_equal(parse("{\"metric\":\"AZaz09_-.x-_\",\"value\":1}"), 1);
	assert_string_equal(g.items[0].metric, "custom.AZaz09_-.x-_");
	char line[512], name[128];
	memset(name, 'n', 100);
	name[100] = '\0';
	snprintf(line, sizeof line, "{\"metric\":\"%s\",\"value\":1}", name);
	assert_int_equal(parse(line), 1);
	assert_int_equal(strlen(g.items[0].metric), 107);
	/* "custom." + 100 characters is still within 100 of the user's own. */
	snprintf(line, sizeof line, "{\"metric\":\"custom.%s\",\"value\":1}", name + 7);
	assert_int_equal(parse(line), 1);
	name[100] = 'n';
	name[101] = '\0';
	snprintf(line, sizeof line, "{\"metric\":\"%s\",\"value\":1}", name);
	refused(line, "longer than 100 characters");
	/* A long bad name is quoted cut, not whole. */
	memset(name, '/', 120);
	name[120] = '\0';
	snprintf(line, sizeof line, "{\"metric\":\"%s\",\"value\":1}", name);
	refused(line, "\"////////////////////////////////////////...\"");
}

static void test_values(void **state)
{
	(void)state;
	refused("{\"metric\":\"a\",\"value\":\"3.2\"}", "value of metric \"a\" must be a number");
	refused("{\"metric\":\"a\",\"value\":null}", "must be a number");
	refused("{\"metric\":\"a\",\"value\":{}}", "must be a number");
	refused("{\"metric\":\"a\"}", "metric \"a\" has no value");
	/* Overflowing to infinity is not a finite number. */
	refused("{\"metric\":\"a\",\"value\":1e999}", "not a finite number");
	refused("{\"metric\":\"a\",\"value\":-1e999}", "not a finite number");
	/* Not JSON numbers at all. */
	refused("{\"metric\":\"a\",\"value\":NaN}", "not valid JSON");
	refused("{\"metric\":\"a\",\"value\":Infinity}", "not valid JSON");
	refused("{\"metric\":\"a\",\"value\":0x10}", "not valid JSON");
	assert_int_equal(parse("{\"metric\":\"a\",\"value\":1.7976931348623157e308}"), 1);
	assert_int_equal(parse("{\"metric\":\"a\",\"value\":-0}"), 1);
	assert_true(g.items[0].value == 0);
}

static void test_ts(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"metric\":\"a\",\"value\":1,\"ts\":1700000000.25}"), 1);
	assert_int_equal(g.items[0].ts_ms, 1700000000250LL);
	/* Milliseconds when it can only be milliseconds. */
	assert_int_equal(parse("{\"metric\":\"a\",\"value\":1,\"ts\":1700000000123}"), 1);
	assert_int_equal(g.items[0].ts_ms, 1700000000123LL);
	/* The bounds themselves are in. */
	assert_int_equal(parse("{\"metric\":\"a\",\"value\":1,\"ts\":946684800}"), 1);
	assert_int_equal(g.items[0].ts_ms, 946684800000LL);
	assert_int_equal(parse("{\"metric\":\"a\",\"value\":1,\"ts\":4102444800}"), 1);
	assert_int_equal(parse("{\"metric\":\"a\",\"value\":1,\"ts\":4102444800000}"), 1);
	assert_int_equal(g.items[0].ts_ms, 4102444800000LL);
	assert_int_equal(parse("{\"metric\":\"a\",\"value\":1,\"ts\":946684800000}"), 1);
	refused("{\"metric\":\"a\",\"value\":1,\"ts\":946684799}", "not between 2000-01-01");
	refused("{\"metric\":\"a\",\"value\":1,\"ts\":4102444801}", "not between 2000-01-01");
	refused("{\"metric\":\"a\",\"value\":1,\"ts\":0}", "ts 0 is not between");
	refused("{\"metric\":\"a\",\"value\":1,\"ts\":-1700000000}", "not between");
	/* Microseconds are neither. */
	refused("{\"metric\":\"a\",\"value\":1,\"ts\":1700000000000000}", "not between");
	refused("{\"metric\":\"a\",\"value\":1,\"ts\":99999999999}", "not between");
	refused("{\"metric\":\"a\",\"value\":1,\"ts\":1e999}", "ts is not a finite number");
	refused("{\"metric\":\"a\",\"value\":1,\"ts\":\"1700000000\"}", "ts must be a number");
	refused("{\"metric\":\"a\",\"value\":1,\"ts\":null}", "ts must be a number");
	/* Events take ts too; a bad ts refuses them as well. */
	assert_int_equal(parse("{\"event\":\"e\",\"message\":\"m\",\"ts\":1700000000}"), 1);
	assert_int_equal(g.items[0].ts_ms, 1700000000000LL);
	refused("{\"event\":\"e\",\"message\":\"m\",\"ts\":true}", "ts must be a number");
}

static void test_event(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"event\":\"mod_incompatible\",\"severity\":\"warning\","
			       "\"message\":\"Dynmap 3.7 needs Paper 1.20.4\"}"), 1);
	assert_int_equal(g.items[0].kind, CUSTOM_EVENT);
	assert_string_equal(g.items[0].event, "mod_incompatible");
	assert_string_equal(g.items[0].severity, "warning");
	assert_string_equal(g.items[0].message, "Dynmap 3.7 needs Paper 1.20.4");
	assert_string_equal(g.items[0].metric, "");
	assert_int_equal(g.items[0].ts_ms, 0);
	/* Default severity, and any case of the three. */
	assert_int_equal(parse("{\"event\":\"backup.done\",\"message\":\"\"}"), 1);
	assert_string_equal(g.items[0].severity, "info");
	assert_string_equal(g.items[0].message, "");
	assert_int_equal(parse("{\"event\":\"x\",\"severity\":\"CRITICAL\",\"message\":\"m\"}"), 1);
	assert_string_equal(g.items[0].severity, "critical");
	assert_int_equal(parse("{\"event\":\"x\",\"severity\":\"Info\",\"message\":\"m\"}"), 1);
	assert_string_equal(g.items[0].severity, "info");
	refused("{\"event\":\"x\",\"severity\":\"warn\",\"message\":\"m\"}",
		"severity \"warn\" is not info, warning or critical");
	refused("{\"event\":\"x\",\"severity\":\"\",\"message\":\"m\"}", "severity \"\" is not");
	refused("{\"event\":\"x\",\"severity\":2,\"message\":\"m\"}", "severity must be");
	refused("{\"event\":\"x\"}", "event \"x\" has no message");
	refused("{\"event\":\"x\",\"message\":42}", "message of event \"x\" must be a string");
	refused("{\"event\":7,\"message\":\"m\"}", "event must be a string");
	/* Kinds: the metric charset, 1..63, dots anywhere. */
	refused("{\"event\":\"\",\"message\":\"m\"}", "event kind \"\" is empty");
	refused("{\"event\":\"mod incompatible\",\"message\":\"m\"}",
		"event kind \"mod incompatible\" has a character other than");
	assert_int_equal(parse("{\"event\":\".a..b.\",\"message\":\"m\"}"), 1);
	char line[256], kind[80];
	memset(kind, 'k', 63);
	kind[63] = '\0';
	snprintf(line, sizeof line, "{\"event\":\"%s\",\"message\":\"m\"}", kind);
	assert_int_equal(parse(line), 1);
	assert_string_equal(g.items[0].event, kind);
	kind[63] = 'k';
	kind[64] = '\0';
	snprintf(line, sizeof line, "{\"event\":\"%s\",\"message\":\"m\"}", kind);
	refused(line, "longer than 63 characters");
	/* Extra keys are ignored, value included. */
	assert_int_equal(parse("{\"event\":\"x\",\"message\":\"m\",\"value\":3,\"host\":\"y\"}"), 1);
}

static void test_message_clean(void **state)
{
	(void)state;
	/* Line breaks and tabs become spaces, ends trimmed. */
	assert_int_equal(parse("{\"event\":\"x\",\"message\":\"  line one\\nline two\\tthree\\r\\n\"}"),
			 1);
	assert_string_equal(g.items[0].message, "line one line two three");
	/* Other control bytes (escaped or raw), escape sequences, bad UTF-8. */
	assert_int_equal(parse("{\"event\":\"x\",\"message\":\"a\\u0007b\\u001b[31mred\\u007f\"}"), 1);
	assert_string_equal(g.items[0].message, "a?b?[31mred?");
	assert_int_equal(parse("{\"event\":\"x\",\"message\":\"bad \xff\xfe utf8 \xc3\"}"), 1);
	assert_string_equal(g.items[0].message, "bad ?? utf8 ?");
	/* C1 controls, even well-formed, are not let through (CSI would start
	 * an escape sequence): a '?' for each of their two bytes. */
	assert_int_equal(parse("{\"event\":\"x\",\"message\":\"c1 \\u009b here\"}"), 1);
	assert_string_equal(g.items[0].message, "c1 ?? here");
	/* Good UTF-8 stays, escaped or raw. */
	assert_int_equal(parse("{\"event\":\"x\",\"message\":\"Zo\xc3\xab \\u00e9 \\ud83d\\ude00\"}"), 1);
	assert_string_equal(g.items[0].message, "Zo\xc3\xab \xc3\xa9 \xf0\x9f\x98\x80");
	/* An embedded NUL ends the message (C strings), nothing worse. */
	assert_int_equal(parse("{\"event\":\"x\",\"message\":\"before\\u0000after\"}"), 1);
	assert_string_equal(g.items[0].message, "before");
}

static void test_message_cut(void **state)
{
	(void)state;
	struct buf b = { 0 };
	buf_puts(&b, "{\"event\":\"x\",\"message\":\"");
	for (int i = 0; i < 2000; i++)
		buf_puts(&b, "a");
	buf_puts(&b, "\"}");
	assert_int_equal(parse(b.data), 1);
	assert_int_equal(strlen(g.items[0].message), 511);
	buf_free(&b);
	/* Multi-byte characters are never cut in half: 510 'a' then a
	 * two-byte character would end at 512. */
	buf_puts(&b, "{\"event\":\"x\",\"message\":\"");
	for (int i = 0; i < 510; i++)
		buf_puts(&b, "a");
	buf_puts(&b, "\xc3\xa9\xc3\xa9\"}");
	assert_int_equal(parse(b.data), 1);
	assert_int_equal(strlen(g.items[0].message), 510);
	buf_free(&b);
	/* A four-byte one straddling the end. */
	buf_puts(&b, "{\"event\":\"x\",\"message\":\"");
	for (int i = 0; i < 509; i++)
		buf_puts(&b, "a");
	buf_puts(&b, "\xf0\x9f\x98\x80\"}");
	assert_int_equal(parse(b.data), 1);
	assert_int_equal(strlen(g.items[0].message), 509);
	buf_free(&b);
}

static void test_blank(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_int_equal(parse("   "), 0);
	assert_int_equal(parse(" \t\r "), 0);
	memset(&g, 0, sizeof g);
	assert_int_equal(custom_parse_line(NULL, 0, collect, &g, &err), 0);
	assert_int_equal(g.n, 0);
}

static void test_not_object(void **state)
{
	(void)state;
	refused("[{\"metric\":\"a\",\"value\":1}]", "line is not a JSON object: \"[{\"metric\"");
	refused("42", "not a JSON object");
	refused("\"metric\"", "not a JSON object");
	refused("null", "not a JSON object");
	refused("Server started on port 25565", "not a JSON object: \"Server started");
	refused("{\"metric\":\"a\",\"value\":1", "not valid JSON");
	refused("{\"metric\":\"a\",\"value\":1,}", "not valid JSON");
	refused("{\"metric\":'a',\"value\":1}", "not valid JSON");
	refused("{}", "none of \"metric\", \"metrics\" or \"event\"");
	refused("{\"Metric\":\"a\",\"value\":1}", "none of");
	refused("{\"metric\":\"a\",\"value\":1}{\"metric\":\"b\",\"value\":2}",
		"more after its JSON object: \"{\"metric\":\"b\"");
	refused("{\"metric\":\"a\",\"value\":1} x", "more after its JSON object: \"x\"");
	refused("{\"metric\":\"a\",\"value\":1,\"event\":\"e\",\"message\":\"m\"}",
		"more than one of");
	refused("{\"metric\":\"a\",\"metrics\":{}}", "more than one of");
	/* Errors quote printable text only. */
	refused("\x1b[2J\x07 boom", "not a JSON object: \"?[2J? boom\"");
}

static void test_length(void **state)
{
	(void)state;
	/* Exactly CUSTOM_MAX_LINE bytes: taken (padding at the end is
	 * whitespace); one more: refused before parsing. */
	char *line = xmalloc(CUSTOM_MAX_LINE + 2);
	const char *head = "{\"metric\":\"a\",\"value\":1}";
	memset(line, ' ', CUSTOM_MAX_LINE + 1);
	memcpy(line, head, strlen(head));
	memset(&g, 0, sizeof g);
	assert_int_equal(custom_parse_line(line, CUSTOM_MAX_LINE, collect, &g, &err), 1);
	memset(&g, 0, sizeof g);
	assert_int_equal(custom_parse_line(line, CUSTOM_MAX_LINE + 1, collect, &g, &err), -1);
	assert_int_equal(g.n, 0);
	assert_non_null(strstr(err.msg, "longer than 65536 bytes"));
	/* A long message inside a maximal line still parses. */
	memset(line, 'a', CUSTOM_MAX_LINE);
	const char *ev = "{\"event\":\"x\",\"message\":\"";
	memcpy(line, ev, strlen(ev));
	memcpy(line + CUSTOM_MAX_LINE - 2, "\"}", 2);
	memset(&g, 0, sizeof g);
	assert_int_equal(custom_parse_line(line, CUSTOM_MAX_LINE, collect, &g, &err), 1);
	assert_int_equal(strlen(g.items[0].message), 511);
	free(line);
}

static void test_not_terminated(void **state)
{
	(void)state;
	/* The length is what counts, not a NUL: the bytes after it are not read
	 * as part of the line. */
	const char *s = "{\"metric\":\"a\",\"value\":1}garbage";
	memset(&g, 0, sizeof g);
	assert_int_equal(custom_parse_line(s, 24, collect, &g, &err), 1);
	assert_int_equal(custom_parse_line(s, 20, collect, &g, &err), -1);
	/* A NUL byte inside the line is refused (cJSON would take it for
	 * whitespace, or end a name at it). */
	const char nul[] = "{\"metric\":\"a\",\0\"value\":1}";
	assert_int_equal(custom_parse_line(nul, sizeof nul - 1, collect, &g, &err), -1);
	assert_non_null(strstr(err.msg, "NUL byte (at byte 15)"));
	const char nul2[] = "{\"metric\":\"a\0 b\",\"value\":1}";
	assert_int_equal(custom_parse_line(nul2, sizeof nul2 - 1, collect, &g, &err), -1);
	/* After the object too. */
	const char nul3[] = "{\"metric\":\"a\",\"value\":1}\0";
	assert_int_equal(custom_parse_line(nul3, sizeof nul3 - 1, collect, &g, &err), -1);
	assert_int_equal(g.n, 1); /* only the first, accepted call above */
}

static void test_deep(void **state)
{
	(void)state;
	/* Deep nesting in an ignored key is cJSON's limit, not our stack's. */
	struct buf b = { 0 };
	buf_puts(&b, "{\"metric\":\"a\",\"value\":1,\"x\":");
	for (int i = 0; i < 5000; i++)
		buf_puts(&b, "[");
	for (int i = 0; i < 5000; i++)
		buf_puts(&b, "]");
	buf_puts(&b, "}");
	refused(b.data, "not valid JSON");
	buf_free(&b);
	assert_int_equal(parse("{\"metric\":\"a\",\"value\":1,\"x\":[[[[{\"y\":[]}]]]]}"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metric),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_metrics_limit),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_ts),
		cmocka_unit_test(test_event),
		cmocka_unit_test(test_message_clean),
		cmocka_unit_test(test_message_cut),
		cmocka_unit_test(test_blank),
		cmocka_unit_test(test_not_object),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_not_terminated),
		cmocka_unit_test(test_deep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
