/* alert: rules.conf (every key, every refusal with file:line, all or
 * nothing), the shipped defaults (they load, and they fire when they
 * should on hand-made hosts), and summary templates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert/expr_private.h"

#define NOW 1764115200000LL
#define SEC 1000LL
#define MIN (60 * SEC)

static const struct alert_rule *find(const struct rule_set *rs, const char *name)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i].name, name) == 0)
			return &rs->rules[i];
	return NULL;
}

static void test_full_rule(void **state)
{
	(void)state;
	const char *text =
		"# fleet rules\n"
		"[cpu_high]\n"
		"expr = avg(cpu.util, 2m) > 80\n"
		"for = 1m\n"
		"keep_firing_for = 2m          # hysteresis\n"
		"severity = critical\n"
		"labels = team=ops, tier = prod ,\n"
		"summary = {host}: CPU {value}% over 2 minutes\n"
		"hosts = @eu,!mc-03\n"
		"runbook = https://wiki.example/runbooks/cpu#high\n"
		"\n"
		"[tps-low_2]\n"
		"expr = avg(game.tps, 1m) < 18\n"
		"clear = avg(game.tps, 1m) > 19\n";
	struct rule_set rs;
	struct error err = { { 0 } };
	assert_int_equal(rules_load_string(&rs, text, "rules.conf", &err), 0);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.path, "rules.conf");
	const struct alert_rule *r = &rs.rules[0];
	assert_string_equal(r->name, "cpu_high");
	assert_string_equal(r->file, "rules.conf");
	assert_int_equal(r->line, 2);
	assert_string_equal(r->expr_text, "avg(cpu.util, 2m) > 80");
	assert_non_null(r->expr);
	assert_null(r->clear_text);
	assert_null(r->clear);
	assert_int_equal(r->for_ms, MIN);
	assert_int_equal(r->keep_firing_for_ms, 2 * MIN);
	assert_int_equal(r->severity, SEV_CRITICAL);
	assert_int_equal(r->nlabels, 2);
	assert_string_equal(r->labels[0].key, "team");
	assert_string_equal(r->labels[0].value, "ops");
	assert_string_equal(r->labels[1].key, "tier");
	assert_string_equal(r->labels[1].value, "prod");
	assert_string_equal(r->summary, "{host}: CPU {value}% over 2 minutes");
	assert_string_equal(r->scope, "@eu,!mc-03");
	assert_string_equal(r->runbook, "https://wiki.example/runbooks/cpu#high");

	/* What is not given has its default. */
	r = &rs.rules[1];
	assert_string_equal(r->name, "tps-low_2");
	assert_int_equal(r->line, 12);
	assert_string_equal(r->clear_text, "avg(game.tps, 1m) > 19");
	assert_non_null(r->clear);
	assert_int_equal(r->for_ms, 0);
	assert_int_equal(r->keep_firing_for_ms, 0);
	assert_int_equal(r->severity, SEV_WARNING);
	assert_int_equal(r->nlabels, 0);
	assert_string_equal(r->summary, "{host}: {rule} ({value})");
	assert_null(r->scope);
	assert_null(r->runbook);

	/* What the window store must keep: each metric once, its longest window. */
	assert_int_equal(rs.nneeds, 2);
	assert_string_equal(rs.needs[0].metric, "cpu.util");
	assert_int_equal(rs.needs[0].window_ms, 2 * MIN);
	assert_string_equal(rs.needs[1].metric, "game.tps");
	assert_int_equal(rs.needs[1].window_ms, MIN);
	rules_free(&rs);
	assert_int_equal(rs.n, 0);
	assert_null(rs.rules);
	rules_free(&rs); /* twice is fine */
}

static void test_needs(void **state)
{
	(void)state;
	const char *text = "[a]\nexpr = cpu.util > 1 and absent(game.players, 10m)\n"
			   "[b]\nexpr = max(cpu.util, 5m) > 1 or host.up == 0\n"
			   "clear = rate(custom.x, 30s) > 1 and avg(cpu.util, 1m) < 2\n"
			   "[c]\nexpr = delta(game.players, 1m) < -5\n";
	struct rule_set rs;
	struct error err;
	assert_int_equal(rules_load_string(&rs, text, "r", &err), 0);
	assert_int_equal(rs.nneeds, 3);
	assert_string_equal(rs.needs[0].metric, "cpu.util");
	assert_int_equal(rs.needs[0].window_ms, 5 * MIN);
	assert_string_equal(rs.needs[1].metric, "custom.x");
	assert_int_equal(rs.needs[1].window_ms, 30 * SEC);
	assert_string_equal(rs.needs[2].metric, "game.players");
	assert_int_equal(rs.needs[2].window_ms, MIN);
	rules_free(&rs);
}

static void test_errors(void **state)
{
	(void)state;
	static const struct { const char *text, *want; } bad[] = {
		{ "expr = cpu.util > 1\n", "rules.conf:1: 'expr' is outside a [rule] section" },
		{ "[a]\nexpr = cpu.util > 1\n[a]\nexpr = cpu.util > 2\n",
		  "rules.conf:3: rule [a] is defined twice (first on line 1)" },
		{ "[CPU]\nexpr = cpu.util > 1\n", "rules.conf:1: rule name [CPU] may hold only a-z, "
		  "0-9, '_' and '-' (at most 64)" },
		{ "[cpu high]\nexpr = cpu.util > 1\n", "rules.conf:1: rule name [cpu high] may hold "
		  "only a-z, 0-9, '_' and '-' (at most 64)" },
		{ "[a]\nfor = 1m\n", "rules.conf:1: [a] has no expr" },
		{ "[a]\n[b]\nexpr = cpu.util > 1\n", "rules.conf:1: [a] has no expr" },
		{ "[a]\nexpr = cpu.util > 1\n[b]\n", "rules.conf:3: [b] has no expr" },
		{ "[a]\nexpr =\n", "rules.conf:2: [a] expr is empty" },
		{ "[a]\nexpr = cpu.util > 1\nexpr = cpu.util > 2\n",
		  "rules.conf:3: [a] expr is set twice (first on line 2)" },
		{ "[a]\nexpression = cpu.util > 1\n", "rules.conf:2: [a] unknown key 'expression' "
		  "(keys: expr, clear, for, keep_firing_for, severity, labels, summary, hosts, "
		  "runbook)" },
		{ "[a]\nexpr = cpu.util\n", "rules.conf:2: [a] expr: 'cpu.util' is a number, not a "
		  "condition; compare it, as in cpu.util > 80 (column 1)" },
		{ "\n\n[cpu_high]\nfor = 1m\n\n\n\n\n\n\n\nexpr = avg(cpu.util, 5m\n",
		  "rules.conf:12: [cpu_high] expr: expected ')' after 'avg(cpu.util, 5m' (column 17)" },
		{ "[a]\nexpr = cpu.util > 1\nclear = cpu.util <\n", "rules.conf:3: [a] clear: "
		  "expected a number, a metric or '(' after 'cpu.util <' (column 11)" },
		{ "[a]\nexpr = cpu.util > 1\nseverity = urgent\n", "rules.conf:3: [a] unknown "
		  "severity 'urgent' (info, warning, critical)" },
		{ "[a]\nexpr = cpu.util > 1\nfor = soon\n", "rules.conf:3: [a] for 'soon' is not a "
		  "duration (30s, 5m, 1h)" },
		{ "[a]\nexpr = cpu.util > 1\nfor = -5s\n", "rules.conf:3: [a] for '-5s' is not a "
		  "duration (30s, 5m, 1h)" },
		{ "[a]\nexpr = cpu.util > 1\nkeep_firing_for = 1h2\n", "rules.conf:3: [a] "
		  "keep_firing_for '1h2' is not a duration (30s, 5m, 1h)" },
		{ "[a]\nexpr = cpu.util > 1\nkeep_firing_for = 31d\n", "rules.conf:3: [a] "
		  "keep_firing_for '31d' is longer than 30d" },
		{ "[a]\nexpr = cpu.util > 1\nlabels = team\n", "rules.conf:3: [a] label 'team' is "
		  "not key=value" },
		{ "[a]\nexpr = cpu.util > 1\nlabels = te-am=ops\n", "rules.conf:3: [a] label name "
		  "'te-am' may hold only letters, digits and '_'" },
		{ "[a]\nexpr = cpu.util > 1\nlabels = =ops\n", "rules.conf:3: [a] label name '' may "
		  "hold only letters, digits and '_'" },
		{ "[a]\nexpr = cpu.util > 1\nlabels = team=\n", "rules.conf:3: [a] label 'team' has "
		  "no value" },
		{ "[a]\nexpr = cpu.util > 1\nlabels = team=a, team=b\n", "rules.conf:3: [a] label "
		  "'team' is given twice" },
		{ "[a]\nexpr = cpu.util > 1\nlabels = host=x\n", "rules.conf:3: [a] label 'host' is "
		  "set by fleetop itself" },
		{ "[a]\nexpr = cpu.util > 1\nlabels = severity=x\n", "rules.conf:3: [a] label "
		  "'severity' is set by fleetop itself" },
		{ "[a]\nexpr = cpu.util > 1\nsummary = \"\"\n", "rules.conf:3: [a] summary is empty" },
		{ "[a]\nexpr = cpu.util > 1\nhosts = \n", "rules.conf:3: [a] hosts is empty" },
		{ "[a]\nexpr = cpu.util > 1\nrunbook = a\tb\n", "rules.conf:3: [a] runbook holds a "
		  "control character" },
		{ "[a]\nexpr = cpu.util > 1\nsummary = \"x\n", "rules.conf:3: unterminated quote in "
		  "value of 'summary'" },
		{ "[a\nexpr = cpu.util > 1\n", "rules.conf:1: section header '[a' has no closing ']'" },
		{ "[a]\nex\x01pr = cpu.util > 1\n", "rules.conf:2: [a] unknown key 'ex?pr' (keys: "
		  "expr, clear, for, keep_firing_for, severity, labels, summary, hosts, runbook)" },
		{ "[a\x1b" "b]\n", "rules.conf:1: rule name [a?b] may hold only a-z, 0-9, '_' "
		  "and '-' (at most 64)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct rule_set rs;
		memset(&rs, 0xa5, sizeof rs);
		struct error err = { { 0 } };
		if (rules_load_string(&rs, bad[i].text, "rules.conf", &err) == 0)
			fail_msg("loads: %s", bad[i].text);
		if (strcmp(err.msg, bad[i].want) != 0)
			fail_msg("%s\n got  %s\n want %s", bad[i].text, err.msg, bad[i].want);
		/* Refused whole: rs is left empty. */
		assert_int_equal(rs.n, 0);
		assert_null(rs.rules);
		assert_int_equal(rs.nneeds, 0);
		assert_null(rs.path);
	}
}

static void test_all_or_nothing(void **state)
{
	(void)state;
	/* Nine good rules and one bad one: nothing is loaded. */
	struct buf b = { 0 };
	for (int i = 0; i < 9; i++)
		buf_printf(&b, "[r%d]\nexpr = cpu.util > %d\n", i, i);
	buf_puts(&b, "[bad]\nexpr = cpu.util >> 5\n");
	struct rule_set rs;
	struct error err;
	assert_int_equal(rules_load_string(&rs, b.data, "rules.conf", &err), -1);
	assert_string_equal(err.msg, "rules.conf:20: [bad] expr: expected a number, a metric or "
				     "'(' after 'cpu.util >' but found '>' (column 11)");
	assert_int_equal(rs.n, 0);
	/* Too many rules. */
	buf_reset(&b);
	for (int i = 0; i < 1001; i++)
		buf_printf(&b, "[r%d]\nexpr = cpu.util > 1\n", i);
	assert_int_equal(rules_load_string(&rs, b.data, "rules.conf", &err), -1);
	assert_string_equal(err.msg, "rules.conf:2001: more than 1000 rules");
	/* An empty file is no rules, which is allowed. */
	assert_int_equal(rules_load_string(&rs, "# nothing\n", "rules.conf", &err), 0);
	assert_int_equal(rs.n, 0);
	rules_free(&rs);
	buf_free(&b);
}

static void test_load_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/fleetop-rules-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/rules.conf", dir);
	struct rule_set rs;
	struct error err;
	/* Missing: the defaults when allowed, an error otherwise. */
	assert_int_equal(rules_load_file(&rs, path, true, &err), 0);
	assert_string_equal(rs.path, "(defaults)");
	assert_int_equal(rs.n, 6);
	rules_free(&rs);
	assert_int_equal(rules_load_file(&rs, path, false, &err), -1);
	assert_non_null(strstr(err.msg, path));
	assert_int_equal(rs.n, 0);
	/* Present and good. */
	const char *good = "[disk]\nexpr = disk.used_pct > 95\nseverity = crit\n";
	assert_int_equal(file_write_atomic(path, good, strlen(good), 0644, &err), 0);
	assert_int_equal(rules_load_file(&rs, path, true, &err), 0);
	assert_string_equal(rs.path, path);
	assert_int_equal(rs.n, 1);
	assert_string_equal(rs.rules[0].file, path);
	assert_int_equal(rs.rules[0].severity, SEV_CRITICAL);
	rules_free(&rs);
	/* Present and bad: an error naming the file, never the defaults. */
	const char *bad = "[disk]\nexpr = disk.used_pct > 95\nsevertiy = crit\n";
	assert_int_equal(file_write_atomic(path, bad, strlen(bad), 0644, &err), 0);
	assert_int_equal(rules_load_file(&rs, path, true, &err), -1);
	char *want = xasprintf("%s:3: [disk] unknown key 'severtiy'", path);
	assert_true(strncmp(err.msg, want, strlen(want)) == 0);
	free(want);
	assert_int_equal(rs.n, 0);
	/* A binary file. */
	assert_int_equal(file_write_atomic(path, "[a]\0x", 5, 0644, &err), 0);
	assert_int_equal(rules_load_file(&rs, path, true, &err), -1);
	assert_non_null(strstr(err.msg, "NUL byte"));
	/* Writable by the group: refused, never the defaults. */
	assert_int_equal(file_write_atomic(path, good, strlen(good), 0664, &err), 0);
	assert_int_equal(rules_load_file(&rs, path, true, &err), -1);
	assert_true(str_starts_with(err.msg, path));
	assert_non_null(strstr(err.msg, "is writable by its group (mode 0664)"));
	assert_int_equal(rs.n, 0);
	unlink(path);
	rmdir(dir);
	free(path);
}

/* ---- the shipped defaults, evaluated ---- */

struct world {
	struct rule_set rs;
	struct alert_windows *w;
	struct host h;
	struct expr_ctx ctx;
};

static void world_init(struct world *wd)
{
	memset(wd, 0, sizeof *wd);
	struct error err;
	if (rules_load_defaults(&wd->rs, &err) < 0)
		fail_msg("defaults: %s", err.msg);
	wd->w = alert_windows_new(&wd->rs);
	wd->h.id = 0;
	wd->h.name = "mc-1";
	wd->h.state = HOST_UP;
	wd->ctx = (struct expr_ctx){ &wd->h, wd->w, NOW, NOW - 10 * MIN };
}

static void world_free(struct world *wd)
{
	alert_windows_free(wd->w);
	rules_free(&wd->rs);
}

/* Feeds metric = v every step over the last span (ending now). */
static void feed(struct world *wd, const char *metric, int64_t span, int64_t step, double v)
{
	for (int64_t t = wd->ctx.now_ms - span; t <= wd->ctx.now_ms; t += step)
		alert_windows_add(wd->w, wd->h.id, metric, t, v);
}

static int truth(struct world *wd, const char *rule, bool clear)
{
	const struct alert_rule *r = find(&wd->rs, rule);
	assert_non_null(r);
	struct expr_result res;
	expr_eval(clear ? r->clear : r->expr, &wd->ctx, &res);
	return res.truth;
}

static void test_defaults(void **state)
{
	(void)state;
	struct world wd;
	world_init(&wd);
	static const struct { const char *name; enum alert_severity sev; bool has_clear; } want[] = {
		{ "host_unreachable", SEV_CRITICAL, false }, { "game_down", SEV_CRITICAL, false },
		{ "cpu_high", SEV_WARNING, true },           { "mem_high", SEV_WARNING, true },
		{ "disk_full", SEV_WARNING, true },          { "tps_low", SEV_WARNING, true },
	};
	assert_int_equal(wd.rs.n, 6);
	assert_string_equal(wd.rs.path, "(defaults)");
	for (size_t i = 0; i < 6; i++) {
		const struct alert_rule *r = find(&wd.rs, want[i].name);
		if (!r)
			fail_msg("no default rule %s", want[i].name);
		assert_int_equal(r->severity, want[i].sev);
		assert_int_equal(r->clear != NULL, want[i].has_clear);
		/* Hysteresis everywhere: a clear condition or keep_firing_for. */
		assert_true(r->clear || r->keep_firing_for_ms > 0);
		assert_non_null(strstr(r->summary, "{host}"));
		/* Critical ones are flagged within 30 s of the condition. */
		if (r->severity == SEV_CRITICAL)
			assert_true(r->for_ms <= 15 * SEC);
	}

	/* A healthy host: nothing holds. */
	feed(&wd, "cpu.util", MIN, SEC, 30);
	feed(&wd, "mem.used_pct", MIN, SEC, 50);
	feed(&wd, "disk.used_pct", MIN, SEC, 40);
	feed(&wd, "game.up", MIN, 5 * SEC, 1);
	feed(&wd, "game.tps", MIN, 5 * SEC, 20);
	const char *names[] = { "host_unreachable", "game_down", "cpu_high", "mem_high",
				"disk_full", "tps_low" };
	for (size_t i = 0; i < 6; i++)
		if (truth(&wd, names[i], false) != 0)
			fail_msg("%s holds on a healthy host", names[i]);
	assert_int_equal(truth(&wd, "cpu_high", true), 1);
	assert_int_equal(truth(&wd, "tps_low", true), 1);

	/* 30 seconds later everything is wrong. */
	wd.ctx.now_ms += 30 * SEC;
	feed(&wd, "cpu.util", 30 * SEC - SEC, SEC, 97);
	feed(&wd, "mem.used_pct", 30 * SEC - SEC, SEC, 95);
	feed(&wd, "disk.used_pct", 30 * SEC - SEC, SEC, 93);
	feed(&wd, "game.up", 25 * SEC, 5 * SEC, 0);
	feed(&wd, "game.tps", 30 * SEC - SEC, 5 * SEC, 12);
	for (size_t i = 1; i < 6; i++)
		if (truth(&wd, names[i], false) != 1)
			fail_msg("%s does not hold on a sick host", names[i]);
	assert_int_equal(truth(&wd, "cpu_high", true), 0);
	/* Back below the threshold but above the clear level: stays (no flapping). */
	wd.ctx.now_ms += 30 * SEC;
	feed(&wd, "cpu.util", 30 * SEC - SEC, SEC, 75);
	assert_int_equal(truth(&wd, "cpu_high", false), 0);
	assert_int_equal(truth(&wd, "cpu_high", true), 0);

	/* The host goes down: unreachable holds, the rest are undefined. */
	wd.h.state = HOST_DOWN;
	assert_int_equal(truth(&wd, "host_unreachable", false), 1);
	for (size_t i = 1; i < 6; i++)
		if (truth(&wd, names[i], false) != -1)
			fail_msg("%s is defined on a down host", names[i]);
	world_free(&wd);
}

static void test_summary(void **state)
{
	(void)state;
	const char *text = "[cpu_high]\nexpr = cpu.util > 80\nseverity = critical\n"
			   "labels = team=ops\n"
			   "summary = {host} ({dc}): CPU {value}% - {rule}/{severity} {team} "
			   "{nope} {} {a b} {{value}} {value\n"
			   "[plain]\nexpr = cpu.util > 80\n";
	struct rule_set rs;
	struct error err;
	assert_int_equal(rules_load_string(&rs, text, "r", &err), 0);
	struct alert_label labels[] = { { "host", "mc-3" }, { "dc", "fra" }, { "team", "web" } };
	char *s = rule_render_summary(&rs.rules[0], labels, 3, 94.26);
	/* The alert's labels win over the rule's own. */
	assert_string_equal(s, "mc-3 (fra): CPU 94.3% - cpu_high/critical web {nope} {} {a b} "
			       "{94.3} {value");
	free(s);
	s = rule_render_summary(&rs.rules[0], labels, 1, NAN);
	assert_string_equal(s, "mc-3 ({dc}): CPU n/a% - cpu_high/critical ops {nope} {} {a b} "
			       "{n/a} {value");
	free(s);
	s = rule_render_summary(&rs.rules[1], labels, 1, 2500000);
	assert_string_equal(s, "mc-3: plain (2.5M)");
	free(s);
	s = rule_render_summary(&rs.rules[1], NULL, 0, 81);
	assert_string_equal(s, "{host}: plain (81)");
	free(s);
	rules_free(&rs);
}

/* The man page's examples load, and its DEFAULT RULES are the shipped ones. */
static void test_man_page(void **state)
{
	(void)state;
	char *page;
	size_t len;
	struct error err;
	if (file_read_all(SOURCE_DIR "/man/fleetop-rules.5", &page, &len, &err) < 0)
		fail_msg("%s", err.msg);
	struct buf all = { 0 }, defaults = { 0 };
	buf_puts(&all, "");
	const char *p = page;
	int blocks = 0;
	while ((p = strstr(p, "\n.EX\n")) != NULL) {
		p += 5;
		const char *end = strstr(p, "\n.EE\n");
		assert_non_null(end);
		/* Which section is this block in? */
		const char *sh = page, *next;
		while ((next = strstr(sh + 1, "\n.SH ")) != NULL && next < p)
			sh = next;
		bool is_defaults = str_starts_with(sh, "\n.SH DEFAULT RULES");
		struct buf *b = is_defaults ? &defaults : &all;
		for (const char *q = p; q <= end; q++) {
			if (q[0] == '\\' && q[1] == '-')
				buf_append(b, "-", 1), q++;
			else if (q[0] == '\\' && q[1] == 'e')
				buf_append(b, "\\", 1), q++;
			else
				buf_append(b, q, 1);
		}
		blocks++;
		p = end;
	}
	free(page);
	assert_true(blocks >= 5);
	struct rule_set rs, def, man;
	if (rules_load_string(&rs, all.data, "man examples", &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(rs.n >= 8);
	rules_free(&rs);
	if (rules_load_string(&man, defaults.data, "man defaults", &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(rules_load_defaults(&def, &err), 0);
	assert_int_equal(man.n, def.n);
	for (size_t i = 0; i < def.n; i++) {
		const struct alert_rule *a = &def.rules[i], *b = &man.rules[i];
		assert_string_equal(a->name, b->name);
		assert_string_equal(a->expr_text, b->expr_text);
		assert_true((a->clear_text == NULL) == (b->clear_text == NULL));
		if (a->clear_text)
			assert_string_equal(a->clear_text, b->clear_text);
		assert_int_equal(a->for_ms, b->for_ms);
		assert_int_equal(a->keep_firing_for_ms, b->keep_firing_for_ms);
		assert_int_equal(a->severity, b->severity);
		assert_string_equal(a->summary, b->summary);
	}
	rules_free(&def);
	rules_free(&man);
	buf_free(&all);
	buf_free(&defaults);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_rule),
		cmocka_unit_test(test_needs),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_man_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
