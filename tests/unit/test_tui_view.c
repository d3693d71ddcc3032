/* tui view: the filter language, sorting, grouping and collapse, marks,
 * and a rebuild of a 2000-host fleet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/view.h"

/* solo sits before any section, so it is "ungrouped"; mc-eu-3 is in eu and
 * quake (listed under eu, the first); minecraft holds eu and us. */
static const char *inventory =
	"solo\n"
	"[eu]\n"
	"mc-eu-1\nmc-eu-2\nmc-eu-3\n"
	"[us]\n"
	"mc-us-1\nmc-us-2\n"
	"[quake]\n"
	"q-1\nmc-eu-3\n"
	"[minecraft:children]\n"
	"eu\nus\n"
	"[empty]\n";

static struct fleet fleet;

static struct host *H(const char *name)
{
	struct host *h = fleet_find(&fleet, name);
	if (!h)
		fail_msg("no host %s", name);
	return h;
}

static int setup(void **state)
{
	(void)state;
	struct error err;
	if (fleet_load_string(&fleet, inventory, "fleet.conf", &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	struct host *h = H("mc-eu-1");
	host_set_metric(h, "cpu.util", 10);
	host_set_metric(h, "mem.used_pct", 50);
	host_set_metric(h, "game.players", 5);
	host_set_metric(h, "game.tps", 20);
	host_set_metric(h, "net.rx_bps", 1000);
	host_set_metric(h, "net.tx_bps", 500);
	host_set_metric(h, "load.1", 0.5);
	host_set_state(h, HOST_UP, FAULT_NONE, NULL);
	h = H("mc-eu-2");
	host_set_metric(h, "cpu.util", 95);
	host_set_metric(h, "mem.used_pct", 91);
	host_set_metric(h, "disk.used_pct", 40);
	host_set_metric(h, "game.players", 58);
	host_set_metric(h, "game.tps", 14.2);
	host_set_metric(h, "net.rx_bps", 5e6);
	host_set_state(h, HOST_UP, FAULT_NONE, NULL);
	h = H("mc-eu-3");
	host_set_metric(h, "cpu.util", 50);
	host_set_state(h, HOST_DOWN, FAULT_AUTH, "auth failed");
	h = H("mc-us-1");
	host_set_metric(h, "cpu.util", 80);
	host_set_state(h, HOST_CONNECTING, FAULT_NONE, NULL);
	/* mc-us-2: no metrics, state unknown */
	h = H("q-1");
	host_set_metric(h, "cpu.util", 30);
	host_set_metric(h, "game.tps", 60);
	host_set_state(h, HOST_UP, FAULT_NONE, NULL);
	h = H("solo");
	host_set_metric(h, "cpu.util", 70);
	host_set_metric(h, "load.1", 4.5);
	host_set_metric(h, "disk.used_pct", 85);
	host_set_state(h, HOST_UP, FAULT_NONE, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fleet_free(&fleet);
	return 0;
}

/* The hosts a filter matches, space-separated in fleet order. */
static char *matching(const char *text)
{
	struct view_filter *f = NULL;
	struct error err;
	if (view_filter_parse(text, &f, &err) < 0)
		fail_msg("'%s': %s", text, err.msg);
	struct buf b = { 0 };
	buf_puts(&b, "");
	for (size_t i = 0; i < fleet.nhosts; i++)
		if (view_filter_match(f, &fleet.hosts[i]))
			buf_printf(&b, "%s%s", b.len ? " " : "", fleet.hosts[i].name);
	view_filter_free(f);
	return b.data;
}

static void expect_match(const char *text, const char *want)
{
	char *got = matching(text);
	if (strcmp(got, want) != 0)
		fail_msg("filter '%s' matched '%s', want '%s'", text, got, want);
	free(got);
}

static void expect_error(const char *text, const char *want)
{
	struct view_filter *f = (struct view_filter *)&fleet; /* must stay untouched */
	struct error err = { { 0 } };
	if (view_filter_parse(text, &f, &err) == 0)
		fail_msg("filter '%s' parsed, want an error", text);
	assert_ptr_equal(f, (struct view_filter *)&fleet);
	if (!strstr(err.msg, want))
		fail_msg("filter '%s': error '%s' lacks '%s'", text, err.msg, want);
}

/* Rows as text: "[eu 3] mc-eu-1 ..." with "[us 2 +]" for a collapsed group. */
static char *rows_text(const struct fleet_view *v)
{
	struct buf b = { 0 };
	buf_puts(&b, "");
	for (size_t i = 0; i < v->nrows; i++) {
		const struct view_row *r = &v->rows[i];
		if (b.len)
			buf_puts(&b, " ");
		if (r->kind == ROW_GROUP)
			buf_printf(&b, "[%s %d%s]", r->group, r->count, r->collapsed ? " +" : "");
		else
			buf_puts(&b, r->host->name);
	}
	return b.data;
}

static void expect_rows(const struct fleet_view *v, const char *want)
{
	char *got = rows_text(v);
	if (strcmp(got, want) != 0)
		fail_msg("rows '%s', want '%s'", got, want);
	free(got);
}

static void test_columns(void **state)
{
	(void)state;
	for (int c = 0; c < COL_COUNT; c++)
		assert_int_equal(view_col_parse(view_col_name((enum view_col)c)), c);
	assert_string_equal(view_col_name(COL_NET), "net");
	assert_int_equal(view_col_parse("CPU"), COL_CPU);
	assert_int_equal(view_col_parse("bogus"), -1);
	assert_int_equal(view_col_parse(NULL), -1);
	assert_string_equal(view_col_name(COL_COUNT), "?");

	assert_true(view_sort_value(H("mc-eu-1"), COL_CPU) == 10);
	assert_true(view_sort_value(H("mc-eu-1"), COL_RAM) == 50);
	assert_true(view_sort_value(H("mc-eu-1"), COL_NET) == 1500);
	assert_true(view_sort_value(H("mc-eu-2"), COL_NET) == 5e6); /* rx alone */
	assert_true(view_sort_value(H("mc-eu-2"), COL_DISK) == 40);
	assert_true(view_sort_value(H("mc-eu-2"), COL_PLAYERS) == 58);
	assert_true(view_sort_value(H("q-1"), COL_TPS) == 60);
	assert_true(isnan(view_sort_value(H("mc-us-2"), COL_CPU)));
	assert_true(isnan(view_sort_value(H("mc-us-2"), COL_NET)));
	assert_true(isnan(view_sort_value(H("mc-eu-1"), COL_ALERT)));
	assert_true(isnan(view_sort_value(H("mc-eu-1"), COL_HOST)));
}

static void test_filter_text_group_state(void **state)
{
	(void)state;
	expect_match("", "solo mc-eu-1 mc-eu-2 mc-eu-3 mc-us-1 mc-us-2 q-1");
	expect_match("   ", "solo mc-eu-1 mc-eu-2 mc-eu-3 mc-us-1 mc-us-2 q-1");
	expect_match("eu", "mc-eu-1 mc-eu-2 mc-eu-3");
	expect_match("MC-EU", "mc-eu-1 mc-eu-2 mc-eu-3");
	expect_match("-1", "mc-eu-1 mc-us-1 q-1");
	expect_match("zzz", "");
	expect_match("@eu", "mc-eu-1 mc-eu-2 mc-eu-3");
	expect_match("@quake", "mc-eu-3 q-1");
	expect_match("@minecraft", "mc-eu-1 mc-eu-2 mc-eu-3 mc-us-1 mc-us-2");
	expect_match("@ungrouped", "solo");
	expect_match("@all", "solo mc-eu-1 mc-eu-2 mc-eu-3 mc-us-1 mc-us-2 q-1");
	expect_match("@nosuch", "");
	expect_match("state:up", "solo mc-eu-1 mc-eu-2 q-1");
	expect_match("state:DOWN", "mc-eu-3");
	expect_match("state:connecting", "mc-us-1");
	expect_match("state:unknown", "mc-us-2");
	expect_match("!state:up", "mc-eu-3 mc-us-1 mc-us-2");
	expect_match("!@minecraft", "solo q-1");
	expect_match("!eu", "solo mc-us-1 mc-us-2 q-1");
	expect_match("!!eu", "mc-eu-1 mc-eu-2 mc-eu-3");
}

static void test_filter_metrics(void **state)
{
	(void)state;
	expect_match("cpu>80", "mc-eu-2");
	expect_match("cpu>=80", "mc-eu-2 mc-us-1");
	expect_match("cpu<30", "mc-eu-1");
	expect_match("cpu<=30", "mc-eu-1 q-1");
	expect_match("cpu=50", "mc-eu-3");
	expect_match("cpu==50", "mc-eu-3");
	/* != needs the metric too: mc-us-2 has no cpu */
	expect_match("cpu!=50", "solo mc-eu-1 mc-eu-2 mc-us-1 q-1");
	/* A missing metric matches no comparison, and so its negation does. */
	expect_match("!cpu>80", "solo mc-eu-1 mc-eu-3 mc-us-1 mc-us-2 q-1");
	expect_match("CPU>90%", "mc-eu-2");
	expect_match("ram>60", "mc-eu-2");
	expect_match("disk>=40", "solo mc-eu-2");
	expect_match("players>10", "mc-eu-2");
	expect_match("tps<19", "mc-eu-2");
	expect_match("tps>=20", "mc-eu-1 q-1");
	expect_match("net>1k", "mc-eu-1 mc-eu-2");
	expect_match("net>1.5K", "mc-eu-2");
	expect_match("net>=1.5K", "mc-eu-1 mc-eu-2");
	expect_match("net>4M", "mc-eu-2");
	expect_match("net<1G", "mc-eu-1 mc-eu-2");
	expect_match("net>1G", "");
	expect_match("load.1>4", "solo");
	expect_match("load.1<1", "mc-eu-1");
	expect_match("no.such>0", "");
	expect_match("!no.such>0", "solo mc-eu-1 mc-eu-2 mc-eu-3 mc-us-1 mc-us-2 q-1");
	expect_match("cpu>-1", "solo mc-eu-1 mc-eu-2 mc-eu-3 mc-us-1 q-1");
	expect_match("alert>0", ""); /* no alert data yet */
}

static void test_filter_combined(void **state)
{
	(void)state;
	expect_match("@eu state:up", "mc-eu-1 mc-eu-2");
	expect_match("@minecraft cpu>=50", "mc-eu-2 mc-eu-3 mc-us-1");
	expect_match("@minecraft !cpu>=50", "mc-eu-1 mc-us-2");
	expect_match("mc state:up cpu<50", "mc-eu-1");
	expect_match("  @eu\t -2  ", "mc-eu-2");
	expect_match("@quake !q", "mc-eu-3");
	expect_match("state:up state:down", "");
}

static void test_filter_errors(void **state)
{
	(void)state;
	expect_error("cpu>>3", "'cpu>>3'");
	expect_error("cpu>>3", "'>3' is not a number");
	expect_error("state:sleepy", "'state:sleepy': unknown state");
	expect_error("@", "'@': group name missing");
	expect_error("!", "'!': nothing after");
	expect_error("cpu>", "'cpu>': number missing");
	expect_error(">3", "'>3': metric name missing");
	expect_error("foo>3", "'foo>3': unknown metric");
	expect_error("host>3", "'host>3': only numeric columns");
	expect_error("cpu>80x", "'80x' is not a number");
	expect_error("cpu>8m", "'8m' is not a number");
	expect_error("cpu>nan", "is not a number");
	expect_error("stat:up", "'stat:up': unknown key");
	expect_error("@eu cpu>>3 q", "'cpu>>3'"); /* the bad one among good ones */
	expect_error("!cpu<=x", "'!cpu<=x'");
	expect_error("@a>b", "not a group name");
	expect_error("a$b>3", "not a metric name");
	char longterm[400];
	memset(longterm, 'x', sizeof longterm - 1);
	longterm[sizeof longterm - 1] = '\0';
	expect_error(longterm, "too long");
	struct view_filter *f = NULL;
	assert_int_equal(view_filter_parse(NULL, &f, NULL), 0); /* NULL: empty */
	assert_true(view_filter_match(f, H("solo")));
	view_filter_free(f);
	assert_int_equal(view_filter_parse("cpu>>1", &f, NULL), -1); /* err may be NULL */
	assert_true(view_filter_match(NULL, H("solo")));
	view_filter_free(NULL);
}

static void test_set_filter(void **state)
{
	(void)state;
	struct fleet_view v;
	view_init(&v, &fleet);
	assert_int_equal(v.nshown, fleet.nhosts);
	assert_null(v.filter_text);
	struct error err;
	assert_int_equal(view_set_filter(&v, "@eu", &err), 0);
	assert_string_equal(v.filter_text, "@eu");
	expect_rows(&v, "mc-eu-1 mc-eu-2 mc-eu-3");
	assert_int_equal(view_set_filter(&v, "@eu cpu>>3", &err), -1);
	assert_non_null(strstr(err.msg, "cpu>>3"));
	assert_string_equal(v.filter_text, "@eu"); /* old one kept */
	view_rebuild(&v);
	expect_rows(&v, "mc-eu-1 mc-eu-2 mc-eu-3");
	assert_int_equal(v.nshown, 3);
	assert_int_equal(view_set_filter(&v, " ", &err), 0);
	assert_null(v.filter);
	assert_null(v.filter_text);
	assert_int_equal(v.nshown, fleet.nhosts);
	view_free(&v);
}

static void expect_sort(enum view_col col, bool desc, const char *want)
{
	struct fleet_view v;
	view_init(&v, &fleet);
	v.sort = col;
	v.sort_desc = desc;
	view_rebuild(&v);
	char *got = rows_text(&v);
	if (strcmp(got, want) != 0)
		fail_msg("sort %s %s: '%s', want '%s'", view_col_name(col), desc ? "desc" : "asc",
			 got, want);
	free(got);
	view_free(&v);
}

static void test_sort(void **state)
{
	(void)state;
	expect_sort(COL_HOST, false, "mc-eu-1 mc-eu-2 mc-eu-3 mc-us-1 mc-us-2 q-1 solo");
	expect_sort(COL_HOST, true, "solo q-1 mc-us-2 mc-us-1 mc-eu-3 mc-eu-2 mc-eu-1");
	/* No value: last in both directions, by name among themselves. */
	expect_sort(COL_CPU, false, "mc-eu-1 q-1 mc-eu-3 solo mc-us-1 mc-eu-2 mc-us-2");
	expect_sort(COL_CPU, true, "mc-eu-2 mc-us-1 solo mc-eu-3 q-1 mc-eu-1 mc-us-2");
	expect_sort(COL_TPS, false, "mc-eu-2 mc-eu-1 q-1 mc-eu-3 mc-us-1 mc-us-2 solo");
	expect_sort(COL_TPS, true, "q-1 mc-eu-1 mc-eu-2 mc-eu-3 mc-us-1 mc-us-2 solo");
	expect_sort(COL_NET, true, "mc-eu-2 mc-eu-1 mc-eu-3 mc-us-1 mc-us-2 q-1 solo");
	expect_sort(COL_DISK, false, "mc-eu-2 solo mc-eu-1 mc-eu-3 mc-us-1 mc-us-2 q-1");
	expect_sort(COL_RAM, true, "mc-eu-2 mc-eu-1 mc-eu-3 mc-us-1 mc-us-2 q-1 solo");
	expect_sort(COL_PLAYERS, false, "mc-eu-1 mc-eu-2 mc-eu-3 mc-us-1 mc-us-2 q-1 solo");
	/* Ties by name, ascending even when the column descends. */
	expect_sort(COL_ALERT, true, "mc-eu-1 mc-eu-2 mc-eu-3 mc-us-1 mc-us-2 q-1 solo");
	expect_sort(COL_STATE, false, "mc-us-1 mc-eu-3 mc-us-2 mc-eu-1 mc-eu-2 q-1 solo");
	expect_sort(COL_STATE, true, "mc-eu-1 mc-eu-2 q-1 solo mc-us-2 mc-eu-3 mc-us-1");
	/* First groups: eu, eu, eu, us, us, quake, ungrouped */
	expect_sort(COL_GROUP, false, "mc-eu-1 mc-eu-2 mc-eu-3 q-1 solo mc-us-1 mc-us-2");
	expect_sort(COL_GROUP, true, "mc-us-1 mc-us-2 solo q-1 mc-eu-1 mc-eu-2 mc-eu-3");
}

/* By the worst alert firing, from the severities the console hands the
 * view; hosts with none last, by name. */
static void test_sort_by_alert(void **state)
{
	(void)state;
	unsigned char *sev = calloc(fleet.nhosts, 1);
	sev[H("mc-us-2")->id] = 3;
	sev[H("q-1")->id] = 2;
	sev[H("mc-eu-3")->id] = 2;
	sev[H("solo")->id] = 1;
	struct fleet_view v;
	view_init(&v, &fleet);
	v.alert_sev = sev;
	v.sort = COL_ALERT;
	v.sort_desc = true;
	view_rebuild(&v);
	char *got = rows_text(&v);
	assert_string_equal(got, "mc-us-2 mc-eu-3 q-1 solo mc-eu-1 mc-eu-2 mc-us-1");
	free(got);
	v.sort_desc = false;
	view_rebuild(&v);
	got = rows_text(&v);
	assert_string_equal(got, "solo mc-eu-3 q-1 mc-us-2 mc-eu-1 mc-eu-2 mc-us-1");
	free(got);
	view_free(&v);
	free(sev);
}

static void test_sort_ties_by_name(void **state)
{
	(void)state;
	struct fleet f;
	struct error err;
	assert_int_equal(fleet_load_string(&f, "d\nb\nc\na\n", "t", &err), 0);
	for (size_t i = 0; i < f.nhosts; i++)
		host_set_metric(&f.hosts[i], "cpu.util", 5);
	struct fleet_view v;
	view_init(&v, &f);
	v.sort = COL_CPU;
	v.sort_desc = true;
	view_rebuild(&v);
	expect_rows(&v, "a b c d");
	host_set_metric(fleet_find(&f, "c"), "cpu.util", 6);
	view_rebuild(&v);
	expect_rows(&v, "c a b d");
	view_free(&v);
	fleet_free(&f);
}

/* Names in natural order (ls -v), by name and as the tie-break, grouped
 * or not, either direction. */
static void test_sort_natural(void **state)
{
	(void)state;
	struct fleet f;
	struct error err;
	assert_int_equal(fleet_load_string(&f, "[db]\ndb-12\ndb-7\ndb-10\ndb-11\n"
				   "[mc]\nmc-eu-10\nmc-eu-2\nmc-eu-1\n", "t", &err), 0);
	struct fleet_view v;
	view_init(&v, &f);
	expect_rows(&v, "db-7 db-10 db-11 db-12 mc-eu-1 mc-eu-2 mc-eu-10");
	v.sort_desc = true;
	view_rebuild(&v);
	expect_rows(&v, "mc-eu-10 mc-eu-2 mc-eu-1 db-12 db-11 db-10 db-7");
	v.sort_desc = false;
	v.grouped = true;
	view_rebuild(&v);
	expect_rows(&v, "[db 4] db-7 db-10 db-11 db-12 [mc 3] mc-eu-1 mc-eu-2 mc-eu-10");
	v.grouped = false;
	v.sort = COL_CPU; /* no values: ties, broken by name */
	view_rebuild(&v);
	expect_rows(&v, "db-7 db-10 db-11 db-12 mc-eu-1 mc-eu-2 mc-eu-10");
	view_free(&v);
	fleet_free(&f);
}

static void test_grouping(void **state)
{
	(void)state;
	struct fleet_view v;
	view_init(&v, &fleet);
	v.grouped = true;
	view_rebuild(&v);
	/* Inventory order, ungrouped last; minecraft and empty list nobody
	 * first, so they get no header. */
	expect_rows(&v, "[eu 3] mc-eu-1 mc-eu-2 mc-eu-3 [us 2] mc-us-1 mc-us-2 "
			"[quake 1] q-1 [ungrouped 1] solo");
	for (size_t i = 0; i < v.nrows; i++)
		if (v.rows[i].kind == ROW_HOST && strcmp(v.rows[i].host->name, "mc-eu-3") == 0)
			assert_string_equal(v.rows[i].group, "eu");
	assert_int_equal(v.nshown, 7);

	/* Sorted within each group. */
	v.sort = COL_CPU;
	v.sort_desc = true;
	view_rebuild(&v);
	expect_rows(&v, "[eu 3] mc-eu-2 mc-eu-3 mc-eu-1 [us 2] mc-us-1 mc-us-2 "
			"[quake 1] q-1 [ungrouped 1] solo");

	/* Counts follow the filter; groups left empty vanish. */
	struct error err;
	assert_int_equal(view_set_filter(&v, "state:up", &err), 0);
	expect_rows(&v, "[eu 2] mc-eu-2 mc-eu-1 [quake 1] q-1 [ungrouped 1] solo");

	/* Collapsed: header with its count, no hosts; nshown still counts them. */
	view_toggle_collapse(&v, "eu");
	expect_rows(&v, "[eu 2 +] [quake 1] q-1 [ungrouped 1] solo");
	assert_int_equal(v.nshown, 4);
	view_toggle_collapse(&v, "ungrouped");
	expect_rows(&v, "[eu 2 +] [quake 1] q-1 [ungrouped 1 +]");
	view_toggle_collapse(&v, "eu");
	expect_rows(&v, "[eu 2] mc-eu-2 mc-eu-1 [quake 1] q-1 [ungrouped 1 +]");
	view_toggle_collapse(&v, NULL); /* harmless */

	/* Ungrouped view: rows still say each host's group. */
	v.grouped = false;
	view_rebuild(&v);
	expect_rows(&v, "mc-eu-2 solo q-1 mc-eu-1");
	assert_string_equal(v.rows[1].group, "ungrouped");
	assert_string_equal(v.rows[0].group, "eu");

	assert_int_equal(view_set_filter(&v, "zzz", &err), 0);
	v.grouped = true;
	view_rebuild(&v);
	assert_int_equal(v.nrows, 0);
	assert_int_equal(v.nshown, 0);
	view_free(&v);
}

static void test_marks(void **state)
{
	(void)state;
	struct fleet_view v;
	view_init(&v, &fleet);
	assert_int_equal(view_marked_count(&v), 0);
	view_mark(&v, H("q-1"), true);
	view_mark(&v, H("solo"), true);
	view_mark(&v, H("solo"), true);
	assert_int_equal(view_marked_count(&v), 2);
	assert_true(v.marked[H("q-1")->id]);
	view_mark(&v, H("solo"), false);
	assert_int_equal(view_marked_count(&v), 1);
	view_mark(&v, NULL, true); /* harmless */

	/* Every host passing the filter, in collapsed groups too. */
	struct error err;
	assert_int_equal(view_set_filter(&v, "@minecraft", &err), 0);
	v.grouped = true;
	view_toggle_collapse(&v, "us");
	view_mark_shown(&v, true);
	assert_int_equal(view_marked_count(&v), 6);
	assert_true(v.marked[H("mc-us-2")->id]);
	assert_false(v.marked[H("solo")->id]);
	assert_int_equal(view_set_filter(&v, "state:up", &err), 0);
	view_mark_shown(&v, false);
	assert_int_equal(view_marked_count(&v), 3); /* mc-eu-3 mc-us-1 mc-us-2 */
	assert_true(v.marked[H("mc-eu-3")->id]);
	assert_false(v.marked[H("q-1")->id]);
	view_free(&v);
}

static void test_empty_fleet(void **state)
{
	(void)state;
	struct fleet f = { 0 };
	struct fleet_view v;
	view_init(&v, &f);
	v.grouped = true;
	view_rebuild(&v);
	assert_int_equal(v.nrows, 0);
	view_mark_shown(&v, true);
	assert_int_equal(view_marked_count(&v), 0);
	view_free(&v);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_big_fleet(void **state)
{
	(void)state;
	enum { N = 2000, GROUPS = 20 };
	struct buf inv = { 0 };
	for (int g = 0; g < GROUPS; g++) {
		buf_printf(&inv, "[g%02d]\n", g);
		for (int i = g; i < N; i += GROUPS)
			buf_printf(&inv, "h%04d\n", i);
	}
	struct fleet f;
	struct error err;
	assert_int_equal(fleet_load_string(&f, inv.data, "big", &err), 0);
	buf_free(&inv);
	assert_int_equal(f.nhosts, N);
	for (size_t i = 0; i < f.nhosts; i++) {
		struct host *h = &f.hosts[i];
		int n = atoi(h->name + 1);
		if (n % 10 != 0) /* every tenth host has no cpu */
			host_set_metric(h, "cpu.util", (double)((n * 37) % 101));
		host_set_state(h, n % 7 == 0 ? HOST_DOWN : HOST_UP, FAULT_NONE, NULL);
	}
	struct fleet_view v;
	view_init(&v, &f);
	v.sort = COL_CPU;
	v.sort_desc = true;
	v.grouped = true;
	assert_int_equal(view_set_filter(&v, "state:up !cpu<20", &err), 0);

	const int runs = 20;
	double t0 = now_ms();
	for (int r = 0; r < runs; r++)
		view_rebuild(&v);
	double per = (now_ms() - t0) / runs;
	printf("view_rebuild: %zu hosts, %zu shown, %.3f ms a rebuild\n", f.nhosts, v.nshown,
	       per);

	/* Check against a slow count and the order rules. */
	size_t want = 0;
	for (size_t i = 0; i < f.nhosts; i++) {
		struct host *h = &f.hosts[i];
		double c = view_sort_value(h, COL_CPU);
		if (h->state == HOST_UP && !(c < 20))
			want++;
	}
	assert_int_equal(v.nshown, want);
	assert_int_equal(v.nrows, want + GROUPS);
	int groups = 0;
	size_t hosts = 0;
	const struct view_row *prev = NULL;
	for (size_t i = 0; i < v.nrows; i++) {
		const struct view_row *r = &v.rows[i];
		if (r->kind == ROW_GROUP) {
			groups++;
			prev = NULL;
			continue;
		}
		hosts++;
		assert_true(host_in_group(r->host, r->group));
		if (prev) {
			double a = view_sort_value(prev->host, COL_CPU);
			double b = view_sort_value(r->host, COL_CPU);
			assert_false(isnan(a) && !isnan(b)); /* missing ones last */
			if (!isnan(a) && !isnan(b)) {
				assert_true(a >= b);
				if (a == b)
					assert_true(strcmp(prev->host->name, r->host->name) < 0);
			}
		}
		prev = r;
	}
	assert_int_equal(groups, GROUPS);
	assert_int_equal(hosts, want);
	view_mark_shown(&v, true);
	assert_int_equal(view_marked_count(&v), want);
	view_free(&v);
	fleet_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_filter_text_group_state),
		cmocka_unit_test(test_filter_metrics),
		cmocka_unit_test(test_filter_combined),
		cmocka_unit_test(test_filter_errors),
		cmocka_unit_test(test_set_filter),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_sort_by_alert),
		cmocka_unit_test(test_sort_ties_by_name),
		cmocka_unit_test(test_sort_natural),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_empty_fleet),
		cmocka_unit_test(test_big_fleet),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
