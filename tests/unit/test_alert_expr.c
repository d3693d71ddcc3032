/* alert: the rule expression language (parse, types, evaluation with
 * undefined values) and the window store under it, on a clock of our own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/expr_private.h"

#define NOW 1764115200000LL /* 2025-11-26 00:00:00 UTC */
#define SEC 1000LL
#define MIN (60 * SEC)

/* A window store keeping every metric the tests read, for an hour. */
static struct window_need needs[] = {
	{ "cpu.util", 60 * MIN },  { "mem.used_pct", 60 * MIN }, { "custom.requests", 60 * MIN },
	{ "game.players", 0 },     { "game.tps", 60 * MIN },     { "disk.used_pct:/var", 0 },
	{ "custom.tick-ms", 0 },   { "custom.odd name", 0 },     { "game.up", 0 },
};

struct fx {
	struct rule_set rs;
	struct alert_windows *w;
	struct host h;
	struct expr_ctx ctx;
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof *f);
	f->rs.needs = needs;
	f->rs.nneeds = sizeof needs / sizeof needs[0];
	f->w = alert_windows_new(&f->rs);
	f->h.id = 3;
	f->h.name = "mc-1";
	f->h.state = HOST_UP;
	f->ctx = (struct expr_ctx){ &f->h, f->w, NOW, NOW - 60 * MIN };
	return f;
}

static void fx_free(struct fx *f)
{
	alert_windows_free(f->w);
	free(f);
}

static void add(struct fx *f, const char *metric, int64_t ago_ms, double v)
{
	alert_windows_add(f->w, f->h.id, metric, NOW - ago_ms, v);
}

static struct expr_result eval_text(struct fx *f, const char *text)
{
	struct error err = { { 0 } };
	struct expr *e = expr_parse(text, &err);
	if (!e)
		fail_msg("'%s' does not parse: %s", text, err.msg);
	struct expr_result r;
	expr_eval(e, &f->ctx, &r);
	expr_free(e);
	return r;
}

static void check(struct fx *f, const char *text, int truth, double value)
{
	struct expr_result r = eval_text(f, text);
	if (r.truth != truth)
		fail_msg("'%s': truth %d, want %d (value %g)", text, r.truth, truth, r.value);
	if (isnan(value)) {
		if (!isnan(r.value))
			fail_msg("'%s': value %g, want undefined", text, r.value);
	} else if (isnan(r.value) || fabs(r.value - value) > 1e-9 * (1 + fabs(value))) {
		fail_msg("'%s': value %g, want %g", text, r.value, value);
	}
}

static void test_arithmetic_and_precedence(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	check(f, "1 + 2 * 3 == 7", 1, 7);
	check(f, "(1 + 2) * 3 == 9", 1, 9);
	check(f, "2 - 3 - 4 == -5", 1, -5);
	check(f, "8 / 2 / 2 == 2", 1, 2);
	check(f, "-2 * -3 == 6", 1, 6);
	check(f, "- -2 == 2", 1, 2);
	check(f, "+2 == 2", 1, 2);
	check(f, "10 / 4 == 2.5", 1, 2.5);
	check(f, "1e6 == 1000000", 1, 1e6);
	check(f, "1.5e-3 * 1000 == 1.5", 1, 1.5);
	check(f, ".5 == 0.5", 1, 0.5);
	check(f, "10k == 10000 and 2M == 2000000 and 3G == 3e9 and 1T == 1e12", 1, 10000);
	check(f, "2Ki == 2048 and 1Mi == 1048576 and 1Gi == 1073741824 and 1Ti == 1099511627776",
	      1, 2048);
	check(f, "80% == 80", 1, 80);
	check(f, "abs(-3) == 3", 1, 3);
	check(f, "abs(2 - 5) * 2 == 6", 1, 6);
	check(f, "3 > 2", 1, 3);
	check(f, "3 >= 3", 1, 3);
	check(f, "3 < 2", 0, 3);
	check(f, "3 <= 2", 0, 3);
	check(f, "3 != 3", 0, 3);
	check(f, "3 != 4", 1, 3);
	/* and binds tighter than or; not tighter than and. */
	check(f, "1 > 0 or 1 > 0 and 0 > 1", 1, 1);
	check(f, "(1 > 0 or 1 > 0) and 0 > 1", 0, 0);
	check(f, "not 1 > 2 and 2 > 3", 0, 2);
	check(f, "not (1 > 2 and 2 > 3)", 1, 1);
	check(f, "not not 5 > 1", 1, 5);
	check(f, "NOT 1 > 2 AND 2 > 1", 1, 1);
	/* Division by zero and overflow are undefined, not infinite. */
	check(f, "1 / 0 > 0", -1, NAN);
	check(f, "1e300 * 1e300 > 0", -1, NAN);
	fx_free(f);
}

static void test_latest_value(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	check(f, "cpu.util > 50", -1, NAN); /* nothing yet */
	add(f, "cpu.util", 10 * SEC, 40);
	add(f, "cpu.util", 2 * SEC, 90);
	check(f, "cpu.util > 50", 1, 90);
	check(f, "last(cpu.util) == 90", 1, 90);
	check(f, "cpu.util * 2 - 80 == 100", 1, 100);
	/* Older than the 5 minute lookback: undefined. */
	f->ctx.now_ms = NOW - 2 * SEC + EXPR_LOOKBACK_MS;
	check(f, "cpu.util > 50", 1, 90);
	f->ctx.now_ms = NOW - 2 * SEC + EXPR_LOOKBACK_MS + 1;
	check(f, "cpu.util > 50", -1, NAN);
	f->ctx.now_ms = NOW;
	/* A host that is not up has no current values. */
	f->h.state = HOST_DOWN;
	check(f, "cpu.util > 50", -1, NAN);
	check(f, "avg(cpu.util, 1m) > 50", -1, NAN);
	check(f, "count(cpu.util, 1m) >= 0", -1, NAN);
	f->h.state = HOST_CONNECTING;
	check(f, "cpu.util > 50", -1, NAN);
	f->h.state = HOST_UP;
	/* Other hosts' samples are theirs. */
	alert_windows_add(f->w, 4, "cpu.util", NOW, 10);
	check(f, "cpu.util > 50", 1, 90);
	f->h.id = 4;
	check(f, "cpu.util > 50", 0, 10);
	f->h.id = 1000; /* a host never seen */
	check(f, "cpu.util > 50", -1, NAN);
	/* No store at all: undefined. */
	f->h.id = 3;
	f->ctx.win = NULL;
	check(f, "cpu.util > 50", -1, NAN);
	fx_free(f);
}

static void test_window_functions(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	/* cpu.util: 10, 20, ..., 100 at 100 s .. 10 s ago. */
	for (int i = 0; i < 10; i++)
		add(f, "cpu.util", (100 - 10 * i) * SEC, 10 * (i + 1));
	check(f, "avg(cpu.util, 5m) == 55", 1, 55);
	check(f, "min(cpu.util, 5m) == 10", 1, 10);
	check(f, "max(cpu.util, 5m) == 100", 1, 100);
	check(f, "sum(cpu.util, 5m) == 550", 1, 550);
	check(f, "count(cpu.util, 5m) == 10", 1, 10);
	check(f, "delta(cpu.util, 5m) == 90", 1, 90);
	/* The window holds samples newer than now - window: 50 s holds the
	 * samples of 40, 30, 20 and 10 s ago (70..100); the one 50 s ago is out. */
	check(f, "count(cpu.util, 50s) == 4", 1, 4);
	check(f, "avg(cpu.util, 50s) == 85", 1, 85);
	check(f, "min(cpu.util, 50s) == 70", 1, 70);
	check(f, "count(cpu.util, 51s) == 5", 1, 5);
	/* One sample: avg has it, delta and rate need two. */
	check(f, "avg(cpu.util, 15s) == 100", 1, 100);
	check(f, "delta(cpu.util, 15s) == 0", -1, NAN);
	check(f, "rate(cpu.util, 15s) > 0", -1, NAN);
	/* None in the window: undefined, but count is 0. */
	check(f, "avg(cpu.util, 5s) > 0", -1, NAN);
	check(f, "min(cpu.util, 5s) > 0", -1, NAN);
	check(f, "max(cpu.util, 5s) > 0", -1, NAN);
	check(f, "sum(cpu.util, 5s) > 0", -1, NAN);
	check(f, "count(cpu.util, 5s) == 0", 1, 0);
	check(f, "count(mem.used_pct, 5m) == 0", 1, 0);
	/* A window over the whole history works with a compound duration. */
	check(f, "count(cpu.util, 1h30m) == 10", 1, 10);
	fx_free(f);
}

/* stddev over the window; zscore: the newest sample against the ones before
 * it, undefined with fewer than 10 of those or when they never moved. */
static void test_stddev_and_zscore(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	/* tps 18, 22, 18, 22, ... at 110 s .. 20 s ago (10 samples: mean 20,
	 * sample standard deviation sqrt(40 / 9)), then 10 s ago a spike to 40. */
	for (int i = 0; i < 10; i++)
		add(f, "game.tps", (110 - 10 * i) * SEC, i % 2 ? 22 : 18);
	check(f, "stddev(game.tps, 5m) > 0", 1, sqrt(40.0 / 9));
	check(f, "zscore(game.tps, 5m) > 0", -1, NAN); /* the newest has 9 before it */
	add(f, "game.tps", 10 * SEC, 40);
	check(f, "zscore(game.tps, 5m) > 9", 1, 20.0 / sqrt(40.0 / 9));
	/* Its own window: 60 s holds 18/22 x5 and the 40: the baseline is 5. */
	check(f, "zscore(game.tps, 60s) > 0", -1, NAN);
	check(f, "stddev(game.tps, 15s) > 0", -1, NAN); /* one sample */
	check(f, "stddev(game.tps, 5s) > 0", -1, NAN);  /* none */
	/* A drop is negative. */
	add(f, "game.tps", 5 * SEC, 2);
	check(f, "zscore(game.tps, 5m) < -3", 1, (2 - 240.0 / 11) / 6.353238258056781);
	/* A baseline that never moved gives no scale: undefined, not infinite. */
	for (int i = 0; i < 12; i++)
		add(f, "cpu.util", (120 - 10 * i) * SEC, 50);
	add(f, "cpu.util", 1 * SEC, 51);
	check(f, "zscore(cpu.util, 5m) > 3", -1, NAN);
	check(f, "stddev(cpu.util, 5m) >= 0", 1, 0.27735009811261457);
	fx_free(f);
}

static void test_rate_with_counter_reset(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	/* A counter: +100/10 s, then it restarts from 0 and goes on at the same pace. */
	double v[] = { 1000, 1100, 1200, 1300, 50, 150, 250 };
	for (int i = 0; i < 7; i++)
		add(f, "custom.requests", (70 - 10 * i) * SEC, v[i]);
	/* Increases: 100 + 100 + 100 + 50 (reset: from 0 to 50) + 100 + 100 = 550
	 * over 60 s. */
	check(f, "rate(custom.requests, 2m) * 60 == 550", 1, 550);
	check(f, "rate(custom.requests, 25s) == 10", 1, 10);
	/* delta is last minus first: negative across the reset. */
	check(f, "delta(custom.requests, 2m) == -750", 1, -750);
	/* A steady counter. */
	struct fx *g = fx_new();
	for (int i = 0; i <= 60; i++)
		alert_windows_add(g->w, g->h.id, "custom.requests", NOW - (60 - i) * SEC, 5.0 * i);
	check(g, "rate(custom.requests, 1m) == 5", 1, 5);
	check(g, "rate(custom.requests, 10s) == 5", 1, 5);
	fx_free(g);
	fx_free(f);
}

static void test_absent(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	f->ctx.started_ms = NOW;
	/* Never seen: absent only once a whole window passed since watching began. */
	check(f, "absent(game.players, 2m)", 0, 0);
	f->ctx.now_ms = NOW + 2 * MIN - 1;
	check(f, "absent(game.players, 2m)", 0, 120 - 0.001);
	f->ctx.now_ms = NOW + 2 * MIN;
	check(f, "absent(game.players, 2m)", 1, 120);
	/* Seen 30 s ago: not absent. */
	alert_windows_add(f->w, f->h.id, "game.players", NOW + 90 * SEC, 7);
	check(f, "absent(game.players, 2m)", 0, 30);
	check(f, "not absent(game.players, 2m)", 1, 30);
	/* It stops: absent exactly 2 minutes after the last sample. */
	f->ctx.now_ms = NOW + 90 * SEC + 2 * MIN - 1;
	check(f, "absent(game.players, 2m)", 0, 120 - 0.001);
	f->ctx.now_ms = NOW + 90 * SEC + 2 * MIN;
	check(f, "absent(game.players, 2m)", 1, 120);
	/* absent() holds also while the host is down (it reads no value). */
	f->h.state = HOST_DOWN;
	check(f, "absent(game.players, 2m)", 1, 120);
	check(f, "absent(game.players, 2m) and game.players > 0", -1, NAN);
	/* Trimming everything away falls back to "never seen", which agrees. */
	alert_windows_trim(f->w, f->ctx.now_ms + 10 * MIN);
	f->ctx.now_ms += 10 * MIN;
	check(f, "absent(game.players, 2m)", 1, (double)(f->ctx.now_ms - NOW) / 1000);
	fx_free(f);
}

static void test_three_valued_logic(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	add(f, "cpu.util", 0, 90);
	add(f, "mem.used_pct", 0, 40);
	/* mem.used_pct is fresh, game.tps never came: undefined. */
	check(f, "game.tps > 1", -1, NAN);
	check(f, "game.tps + 1 > 0", -1, NAN);
	check(f, "-game.tps < 0", -1, NAN);
	check(f, "abs(game.tps) < 0", -1, NAN);
	check(f, "not game.tps > 1", -1, NAN);
	check(f, "1 < game.tps", -1, 1);
	/* false and undefined = false; true or undefined = true. */
	check(f, "game.tps > 1 and cpu.util < 50", 0, 90);
	check(f, "cpu.util < 50 and game.tps > 1", 0, 90);
	check(f, "game.tps > 1 and cpu.util > 50", -1, NAN);
	check(f, "cpu.util > 50 and game.tps > 1", -1, NAN);
	check(f, "game.tps > 1 or cpu.util > 50", 1, 90);
	check(f, "cpu.util > 50 or game.tps > 1", 1, 90);
	check(f, "game.tps > 1 or cpu.util < 50", -1, NAN);
	check(f, "cpu.util < 50 or game.tps > 1", -1, NAN);
	check(f, "game.tps > 1 or game.tps < 1", -1, NAN);
	/* The value shown is the left side of the comparison that decided. */
	check(f, "cpu.util > 80 and mem.used_pct > 50", 0, 40);
	check(f, "cpu.util > 80 and mem.used_pct > 30", 1, 90);
	check(f, "mem.used_pct > 30 and cpu.util > 80", 1, 40);
	check(f, "mem.used_pct > 50 or cpu.util > 80", 1, 90);
	check(f, "mem.used_pct > 50 or cpu.util > 95", 0, 40);
	check(f, "not cpu.util > 95", 1, 90);
	fx_free(f);
}

static void test_host_pseudo_metrics(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	check(f, "host.up == 1", 1, 1);
	f->h.state = HOST_DOWN;
	check(f, "host.up == 0", 1, 0);
	/* The first connect: not known yet. */
	f->h.state = HOST_CONNECTING;
	check(f, "host.up == 0", -1, NAN);
	f->h.state = HOST_UNKNOWN;
	check(f, "host.up == 0", -1, NAN);
	/* Retrying after a failure: still down. */
	f->h.state = HOST_CONNECTING;
	f->h.retry_at_ms = NOW - SEC;
	check(f, "host.up == 0", 1, 0);
	f->h.retry_at_ms = 0;
	f->h.last_sample_ms = NOW - 5 * SEC;
	check(f, "host.up == 0", 1, 0);
	/* host.sample_age: seconds since the host's last sample, in any state. */
	check(f, "host.sample_age == 5", 1, 5);
	f->h.last_sample_ms = 0;
	check(f, "host.sample_age > 0", -1, NAN);
	/* Without a host, nothing is known. */
	f->ctx.host = NULL;
	check(f, "host.up == 0", -1, NAN);
	check(f, "cpu.util > 0", -1, NAN);
	fx_free(f);
}

static void test_metric_names(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	add(f, "disk.used_pct:/var", 0, 93);
	add(f, "custom.tick-ms", 0, 55);
	add(f, "custom.odd name", 0, 1);
	check(f, "disk.used_pct:/var > 90", 1, 93);
	check(f, "disk.used_pct:/var>90", 1, 93);
	check(f, "custom.tick-ms > 50", 1, 55);
	check(f, "custom.tick-ms-5 > 50", -1, NAN); /* one name: custom.tick-ms-5 */
	check(f, "custom.tick-ms - 5 == 50", 1, 50);
	check(f, "`custom.odd name` == 1", 1, 1);
	check(f, "`custom.tick-ms`*2 == 110", 1, 110);
	/* Names of open families are fine even when nothing sends them. */
	check(f, "custom.nothing > 1", -1, NAN);
	check(f, "snmp.if_errors > 1", -1, NAN);
	fx_free(f);
}

static void test_parse_errors(void **state)
{
	(void)state;
	static const struct { const char *text, *want; } bad[] = {
		{ "", "empty expression" },
		{ "   ", "empty expression" },
		{ "avg(cpu.util, 5m", "expected ')' after 'avg(cpu.util, 5m' (column 17)" },
		{ "avg(cpu.util, 5m > 80", "expected ')' after 'avg(cpu.util, 5m' but found '>' "
		  "(column 18)" },
		{ "(cpu.util > 80", "expected ')' after '(cpu.util > 80' (column 15)" },
		{ "cpu.util >", "expected a number, a metric or '(' after 'cpu.util >' (column 11)" },
		{ "> 80", "expected a number, a metric or '(' at the start but found '>' (column 1)" },
		{ "cpu.util > 80 mem.used_pct", "expected an operator ('and', 'or', '>', '+', ...) "
		  "or the end after 'cpu.util > 80' but found 'mem.used_pct' (column 15)" },
		{ "cpu.util", "'cpu.util' is a number, not a condition; compare it, as in cpu.util > 80 "
		  "(column 1)" },
		{ "avg(cpu.util, 1m) + 5", "'avg(cpu.util, 1m) + 5' is a number, not a condition; "
		  "compare it, as in avg(cpu.util, 1m) + 5 > 80 (column 1)" },
		{ "cpu.util and mem.used_pct > 5", "'and' needs a condition, but 'cpu.util' is a "
		  "number (compare it, as in cpu.util > 0) (column 1)" },
		{ "cpu.util > 5 or 3", "'or' needs a condition, but '3' is a number (compare it, as "
		  "in 3 > 0) (column 17)" },
		{ "not cpu.util", "'not' needs a condition, but 'cpu.util' is a number (compare it, "
		  "as in cpu.util > 0) (column 5)" },
		{ "(cpu.util > 5) + 1 > 0", "'+' needs a number, but 'cpu.util > 5' is a condition "
		  "(column 2)" },
		{ "(1 > 0) > 0", "'>' needs a number, but '1 > 0' is a condition (column 2)" },
		{ "-(1 > 0) > 0", "'-' needs a number, but '1 > 0' is a condition (column 3)" },
		{ "abs(1 > 0) > 0", "abs needs a number, but '1 > 0' is a condition (column 5)" },
		{ "1 < cpu.util < 5", "comparisons do not chain (a < b < c); join them with 'and' "
		  "(column 14)" },
		{ "cpu.util && 1", "'&&' is not an operator here; use 'and' (column 10)" },
		{ "cpu.util > 1 || 1 > 0", "'||' is not an operator here; use 'or' (column 14)" },
		{ "cpu.util = 1", "'=' is not an operator here; use '==' to compare (column 10)" },
		{ "!cpu.util", "'!' is not an operator here; use 'not' (column 1)" },
		{ "cpu.util % 2 > 0", "'%' is not an operator here; there is no '%' operator "
		  "(column 10)" },
		{ "cpu.util > $x", "unexpected character '$' (column 12)" },
		{ "cpu.util > \x01", "unexpected byte 0x01 (column 12)" },
		{ "`cpu.util > 5", "metric name in backquotes has no closing '`' (column 1)" },
		{ "`` > 5", "empty metric name (column 1)" },
		{ "median(cpu.util, 5m) > 1", "unknown function 'median' (functions: avg, min, max, "
		  "sum, count, rate, delta, absent, last, abs, stddev, zscore) (column 1)" },
		{ "avg > 1", "'avg' is a function: avg(METRIC, WINDOW) (column 1)" },
		{ "last > 1", "'last' is a function: last(METRIC) (column 1)" },
		{ "avg(cpu.util) > 1", "avg() needs a window too, as in avg(cpu.util, 5m) (column 13)" },
		{ "avg(5, 1m) > 1", "avg() takes a metric name first, as in avg(cpu.util, 5m) "
		  "(column 5)" },
		{ "avg(cpu.util, x) > 1", "avg() needs a window (a duration: 30s, 5m, 1h) after the "
		  "metric, as in avg(cpu.util, 5m) (column 15)" },
		{ "avg(cpu.util, 5x) > 1", "window '5x' is not a duration (30s, 5m, 1h) (column 15)" },
		{ "avg(cpu.util, 500ms) > 1", "window '500ms' is shorter than 1s (column 15)" },
		{ "avg(cpu.util, 25h) > 1", "window '25h' is longer than 24h (column 15)" },
		{ "avg(cpu.util, 1m, 2m) > 1", "expected ')' after 'avg(cpu.util, 1m' but found ',' "
		  "(column 17)" },
		{ "last(cpu.util, 1m) > 1", "expected ')' after 'last(cpu.util' but found ',' "
		  "(column 14)" },
		{ "avg(host.up, 1m) > 0", "host.up has no history; use it on its own, as in host.up "
		  "== 0 (column 5)" },
		{ "cpu.utl > 80", "unknown metric 'cpu.utl' (cpu metrics: cpu.util, cpu.iowait, "
		  "cpu.steal) (column 1)" },
		{ "max(game.tsp, 1m) > 1", "unknown metric 'game.tsp' (game metrics: game.up, "
		  "game.players, game.players_max, game.bots, game.latency_ms, game.tps, game.mspt, "
		  "game.world_bytes) (column 5)" },
		{ "host.down == 1", "unknown metric 'host.down' (host metrics: host.up, "
		  "host.sample_age) (column 1)" },
		{ "`cpu.x` > 1", "unknown metric 'cpu.x' (cpu metrics: cpu.util, cpu.iowait, "
		  "cpu.steal) (column 1)" },
		{ "disk.used_pct: > 1", "metric 'disk.used_pct:' has an empty instance after ':' "
		  "(column 1)" },
		{ "custom.x. > 1", "bad metric name 'custom.x.' (a dot at the end or two in a row) "
		  "(column 1)" },
		{ "custom..x > 1", "bad metric name 'custom..x' (a dot at the end or two in a row) "
		  "(column 1)" },
		{ "cpu.util > 5m", "unknown unit 'm' after 5 (numbers take k M G T, Ki Mi Gi Ti or %; "
		  "durations go only in a function's window) (column 13)" },
		{ "cpu.util > 1e999", "number 1e999 is out of range (column 12)" },
		{ "cpu.util > 1e", "unknown unit 'e' after 1 (numbers take k M G T, Ki Mi Gi Ti or %; "
		  "durations go only in a function's window) (column 13)" },
		{ "cpu.util > ()", "expected a number, a metric or '(' after 'cpu.util > (' but found "
		  "')' (column 13)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct error err = { { 0 } };
		struct expr *e = expr_parse(bad[i].text, &err);
		if (e)
			fail_msg("'%s' parses", bad[i].text);
		if (strcmp(err.msg, bad[i].want) != 0)
			fail_msg("'%s':\n got  %s\n want %s", bad[i].text, err.msg, bad[i].want);
	}
}

static void test_limits(void **state)
{
	(void)state;
	struct error err;
	struct buf b = { 0 };
	/* Nesting: 60 parentheses are fine, 70 are refused, 100000 do not crash. */
	for (int i = 0; i < 60; i++)
		buf_puts(&b, "(");
	buf_puts(&b, "1 > 0");
	for (int i = 0; i < 60; i++)
		buf_puts(&b, ")");
	struct expr *e = expr_parse(b.data, &err);
	assert_non_null(e);
	expr_free(e);
	buf_reset(&b);
	for (int i = 0; i < 70; i++)
		buf_puts(&b, "(");
	buf_puts(&b, "1 > 0");
	for (int i = 0; i < 70; i++)
		buf_puts(&b, ")");
	assert_null(expr_parse(b.data, &err));
	assert_string_equal(err.msg, "expression nested deeper than 64 levels (column 65)");
	buf_reset(&b);
	for (int i = 0; i < 2000; i++)
		buf_puts(&b, "-");
	buf_puts(&b, "1 > 0");
	assert_null(expr_parse(b.data, &err));
	assert_string_equal(err.msg, "expression nested deeper than 64 levels (column 65)");
	buf_reset(&b);
	for (int i = 0; i < 500; i++)
		buf_puts(&b, "not ");
	buf_puts(&b, "1 > 0");
	assert_null(expr_parse(b.data, &err));
	assert_string_equal(err.msg, "expression nested deeper than 64 levels (column 257)");
	/* A long chain nests too (a + b + c is (a + b) + c). */
	buf_reset(&b);
	buf_puts(&b, "1");
	for (int i = 0; i < 100; i++)
		buf_puts(&b, "+1");
	buf_puts(&b, " > 0");
	assert_null(expr_parse(b.data, &err));
	assert_string_equal(err.msg, "expression nested deeper than 64 levels (column 1)");
	buf_reset(&b);
	for (int i = 0; i < 30; i++)
		buf_puts(&b, "cpu.util > 1 and ");
	buf_puts(&b, "1 > 0");
	e = expr_parse(b.data, &err);
	assert_non_null(e);
	expr_free(e);
	/* Length. */
	buf_reset(&b);
	buf_puts(&b, "1 > 0");
	while (b.len <= EXPR_MAX_LEN)
		buf_puts(&b, " ");
	assert_null(expr_parse(b.data, &err));
	assert_string_equal(err.msg, "expression longer than 4096 characters");
	/* A metric name. */
	buf_reset(&b);
	buf_puts(&b, "custom.");
	while (b.len <= EXPR_MAX_METRIC)
		buf_puts(&b, "x");
	buf_puts(&b, " > 0");
	assert_null(expr_parse(b.data, &err));
	assert_string_equal(err.msg, "metric name longer than 200 characters (column 1)");
	buf_free(&b);
}

struct seen {
	struct buf b;
};

static void collect(void *arg, const char *metric, int64_t window_ms)
{
	struct seen *s = arg;
	buf_printf(&s->b, "%s/%lld ", metric, (long long)window_ms);
}

static void test_metrics_read(void **state)
{
	(void)state;
	struct error err;
	struct expr *e = expr_parse("avg(cpu.util, 2m) > 80 and cpu.util > 90 and host.up == 1 "
				    "and absent(game.players, 5m) or rate(custom.x, 30s) > 1 "
				    "or last(game.tps) < 5",
				    &err);
	assert_non_null(e);
	struct seen s = { { 0 } };
	expr_metrics(e, collect, &s);
	assert_string_equal(s.b.data, "cpu.util/120000 cpu.util/0 game.players/0 "
				      "custom.x/30000 game.tps/0 ");
	buf_free(&s.b);
	expr_free(e);
}

static void test_windows_store(void **state)
{
	(void)state;
	struct window_need n[] = { { "cpu.util", MIN }, { "game.up", 0 } };
	struct rule_set rs = { .needs = n, .nneeds = 2 };
	struct alert_windows *w = alert_windows_new(&rs);
	assert_int_equal(alert_windows_window(w, "cpu.util"), MIN);
	assert_int_equal(alert_windows_window(w, "game.up"), 0);
	assert_int_equal(alert_windows_window(w, "mem.used_pct"), -1);
	/* Unneeded metrics and nonsense are not kept. */
	alert_windows_add(w, 0, "mem.used_pct", NOW, 1);
	assert_null(alert_windows_series(w, 0, "mem.used_pct"));
	alert_windows_add(w, 0, "cpu.util", NOW, NAN);
	alert_windows_add(w, 0, "cpu.util", -5, 1);
	alert_windows_add(w, WINDOWS_MAX_HOSTS, "cpu.util", NOW, 1);
	const struct win_series *s = alert_windows_series(w, 0, "cpu.util");
	assert_true(!s || s->count == 0);
	/* A host id far out grows the table. */
	alert_windows_add(w, 5000, "cpu.util", NOW, 7);
	s = alert_windows_series(w, 5000, "cpu.util");
	assert_non_null(s);
	assert_int_equal(s->count, 1);
	/* The ring keeps what lies within the window of the newest sample. */
	for (int i = 0; i < 200; i++)
		alert_windows_add(w, 1, "cpu.util", NOW + i * SEC, i);
	s = alert_windows_series(w, 1, "cpu.util");
	assert_int_equal(s->count, 60);
	assert_int_equal(win_at(s, 0)->ts, NOW + 140 * SEC);
	assert_true(win_at(s, 59)->v == 199);
	/* Late samples are dropped; one at the same time replaces the value. */
	alert_windows_add(w, 1, "cpu.util", NOW + 150 * SEC, -1);
	alert_windows_add(w, 1, "cpu.util", NOW + 199 * SEC, 1000);
	assert_int_equal(s->count, 60);
	assert_true(win_at(s, 59)->v == 1000);
	assert_true(win_at(s, 10)->v == 150);
	/* A latest-only metric keeps one. */
	for (int i = 0; i < 5; i++)
		alert_windows_add(w, 1, "game.up", NOW + i * SEC, i % 2);
	const struct win_series *g = alert_windows_series(w, 1, "game.up");
	assert_int_equal(g->count, 1);
	assert_true(win_at(g, 0)->v == 0);
	/* Trim: samples that left the window go, but the newest stays while
	 * a plain reference could read it. */
	alert_windows_trim(w, NOW + 199 * SEC + 30 * SEC);
	assert_int_equal(s->count, 30);
	alert_windows_trim(w, NOW + 199 * SEC + 4 * MIN);
	assert_int_equal(s->count, 1);
	alert_windows_trim(w, NOW + 199 * SEC + EXPR_LOOKBACK_MS + 1);
	assert_int_equal(s->count, 0);
	assert_int_equal(g->count, 0);
	alert_windows_free(w);
}

static void test_windows_thinning(void **state)
{
	(void)state;
	struct window_need n[] = { { "cpu.util", 24 * 60 * MIN } };
	struct rule_set rs = { .needs = n, .nneeds = 1 };
	struct alert_windows *w = alert_windows_new(&rs);
	for (int i = 0; i < 3 * WINDOWS_MAX_SAMPLES; i++)
		alert_windows_add(w, 0, "cpu.util", NOW + i * SEC, i);
	const struct win_series *s = alert_windows_series(w, 0, "cpu.util");
	assert_true(s->count <= WINDOWS_MAX_SAMPLES);
	assert_true(s->count >= WINDOWS_MAX_SAMPLES / 2);
	/* Oldest first, the newest kept, all in order, spanning the whole run. */
	assert_true(win_at(s, s->count - 1)->v == 3 * WINDOWS_MAX_SAMPLES - 1);
	assert_true(win_at(s, 0)->v < WINDOWS_MAX_SAMPLES / 2);
	for (uint32_t k = 1; k < s->count; k++)
		assert_true(win_at(s, k)->ts > win_at(s, k - 1)->ts);
	alert_windows_free(w);
}

static void test_windows_update(void **state)
{
	(void)state;
	struct window_need n1[] = { { "cpu.util", MIN }, { "game.up", 0 } };
	struct window_need n2[] = { { "cpu.util", 5 * MIN }, { "mem.used_pct", MIN } };
	struct rule_set rs1 = { .needs = n1, .nneeds = 2 }, rs2 = { .needs = n2, .nneeds = 2 };
	struct alert_windows *w = alert_windows_new(&rs1);
	for (int i = 0; i < 10; i++) {
		alert_windows_add(w, 2, "cpu.util", NOW + i * SEC, i);
		alert_windows_add(w, 2, "game.up", NOW + i * SEC, 1);
	}
	alert_windows_update(w, &rs2);
	assert_int_equal(alert_windows_window(w, "cpu.util"), 5 * MIN);
	assert_int_equal(alert_windows_window(w, "game.up"), -1);
	const struct win_series *s = alert_windows_series(w, 2, "cpu.util");
	assert_int_equal(s->count, 10);
	assert_null(alert_windows_series(w, 2, "game.up"));
	alert_windows_add(w, 2, "mem.used_pct", NOW, 50);
	assert_int_equal(alert_windows_series(w, 2, "mem.used_pct")->count, 1);
	alert_windows_add(w, 2, "cpu.util", NOW + 10 * SEC, 10);
	assert_int_equal(s->count, 11);
	alert_windows_update(w, NULL);
	assert_null(alert_windows_series(w, 2, "cpu.util"));
	alert_windows_add(w, 2, "cpu.util", NOW, 1);
	alert_windows_free(w);
	alert_windows_free(alert_windows_new(NULL));
}

/* avg and sum read a running sum: it must agree with adding up the window
 * across ring laps, growth, thinning and replaced samples. */
static void test_running_sum(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	struct error err;
	struct expr *e = expr_parse("avg(cpu.util, 90s) > 0", &err);
	struct expr *sum = expr_parse("sum(cpu.util, 1h) > 0", &err);
	assert_non_null(e);
	assert_non_null(sum);
	int64_t t0 = NOW - 3 * 3600 * SEC;
	unsigned seed = 7;
	for (int i = 0; i < 3 * 3600; i++) {
		double v = (double)(rand_r(&seed) % 1000) / 10.0;
		if (i % 1000 == 0)
			v = 1e6; /* a spike that must not stick in the sum */
		alert_windows_add(f->w, f->h.id, "cpu.util", t0 + i * SEC, v);
		if (i % 7 == 0) /* the same time again: replaces */
			alert_windows_add(f->w, f->h.id, "cpu.util", t0 + i * SEC, v / 2);
		if (i % 500 != 499)
			continue;
		f->ctx.now_ms = t0 + i * SEC;
		const struct win_series *s = alert_windows_series(f->w, f->h.id, "cpu.util");
		double want = 0, want_sum = 0;
		int n = 0;
		for (uint32_t k = 0; k < s->count; k++) {
			const struct win_sample *x = win_at(s, k);
			if (x->ts > f->ctx.now_ms - 90 * SEC)
				want += x->v, n++;
			if (x->ts > f->ctx.now_ms - 3600 * SEC)
				want_sum += x->v;
		}
		struct expr_result r;
		expr_eval(e, &f->ctx, &r);
		assert_int_equal(r.truth, 1);
		if (fabs(r.value - want / n) > 1e-6 * (1 + fabs(want / n)))
			fail_msg("at %d: avg %.9g, want %.9g", i, r.value, want / n);
		expr_eval(sum, &f->ctx, &r);
		if (fabs(r.value - want_sum) > 1e-6 * (1 + fabs(want_sum)))
			fail_msg("at %d: sum %.9g, want %.9g", i, r.value, want_sum);
	}
	/* Integers stay exact next to a huge one: no error count appears from
	 * nowhere once the spike has left the window. */
	struct fx *z = fx_new();
	for (int i = 0; i < 300; i++)
		alert_windows_add(z->w, z->h.id, "custom.requests", NOW - (300 - i) * SEC,
				  i == 100 ? 1e12 : (i < 150 ? 3 : 0));
	check(z, "sum(custom.requests, 2m) == 0", 1, 0);
	check(z, "sum(custom.requests, 1h) == 1e12 + 149 * 3", 1, 1e12 + 447);
	fx_free(z);
	/* Sums past a double's range: the window is added up alone. */
	struct fx *g = fx_new();
	for (int i = 0; i < 20; i++)
		alert_windows_add(g->w, g->h.id, "cpu.util", NOW - (20 - i) * SEC, i < 10 ? 1e308 : 1);
	check(g, "avg(cpu.util, 5s) == 1", 1, 1);
	fx_free(g);
	expr_free(e);
	expr_free(sum);
	fx_free(f);
}

/* The evaluator keeps each metric's slot in the store it last read and
 * looks again when given another store (or one whose rules changed). */
static void test_slot_cache(void **state)
{
	(void)state;
	struct fx *f = fx_new();
	struct window_need other[] = { { "mem.used_pct", 0 }, { "cpu.util", 0 } };
	struct rule_set rs = { .needs = other, .nneeds = 2 };
	struct alert_windows *w2 = alert_windows_new(&rs);
	alert_windows_add(f->w, f->h.id, "cpu.util", NOW, 10);
	alert_windows_add(w2, f->h.id, "cpu.util", NOW, 20);
	struct error err;
	struct expr *e = expr_parse("cpu.util > 0", &err);
	struct expr_result r;
	for (int i = 0; i < 3; i++) {
		f->ctx.win = f->w;
		expr_eval(e, &f->ctx, &r);
		assert_true(r.value == 10);
		f->ctx.win = w2;
		expr_eval(e, &f->ctx, &r);
		assert_true(r.value == 20);
	}
	alert_windows_update(w2, NULL);
	expr_eval(e, &f->ctx, &r);
	assert_int_equal(r.truth, -1);
	alert_windows_update(w2, &rs);
	alert_windows_add(w2, f->h.id, "cpu.util", NOW, 30);
	expr_eval(e, &f->ctx, &r);
	assert_true(r.value == 30);
	expr_free(e);
	alert_windows_free(w2);
	fx_free(f);
}

static void test_format_value(void **state)
{
	(void)state;
	static const struct { double v; const char *want; } cases[] = {
		{ 94, "94" },          { 94.26, "94.3" },       { 94.96, "95" },  { 0, "0" },
		{ -3, "-3" },          { -0.01, "0" },          { 0.5, "0.5" },   { 99999, "99999" },
		{ 123456, "123.5k" },  { 2000000, "2M" },       { 1.5e9, "1.5G" }, { -2.5e6, "-2.5M" },
		{ 1e30, "1000000000000E" }, { NAN, "n/a" },      { INFINITY, "inf" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[32];
		expr_format_value(cases[i].v, out, sizeof out);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("%g: got %s, want %s", cases[i].v, out, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arithmetic_and_precedence),
		cmocka_unit_test(test_latest_value),
		cmocka_unit_test(test_window_functions),
		cmocka_unit_test(test_stddev_and_zscore),
		cmocka_unit_test(test_rate_with_counter_reset),
		cmocka_unit_test(test_absent),
		cmocka_unit_test(test_three_valued_logic),
		cmocka_unit_test(test_host_pseudo_metrics),
		cmocka_unit_test(test_metric_names),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_metrics_read),
		cmocka_unit_test(test_windows_store),
		cmocka_unit_test(test_windows_thinning),
		cmocka_unit_test(test_windows_update),
		cmocka_unit_test(test_running_sum),
		cmocka_unit_test(test_slot_cache),
		cmocka_unit_test(test_format_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
