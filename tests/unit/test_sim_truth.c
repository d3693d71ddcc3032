/* sim ground truth and pinned clock: `--clock WHEN` is parsed strictly
 * and starts the model's day there whatever the hour; `--truth FILE`
 * writes a line a host a second with what the model holds (the CPU its
 * counters show, forced or not; a crashed game down; a dropped host down),
 * so a bench can judge alerts by it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim_ports.h"
#include "fleetop/core.h"
#include "fleetop/loop.h"
#include "fleetop/sim.h"
#include "sim/model.h"
#include "sim/sim_private.h"

static void test_clock_parse(void **state)
{
	(void)state;
	/* 2026-12-07 15:41:12 UTC */
	const double today = 1796658072;
	const double midnight = 1796601600;
	double t = -1;
	assert_int_equal(model_clock_parse("22:00", today, &t), 0);
	assert_true(t == midnight + 22 * 3600);
	assert_int_equal(model_clock_parse("04:05:06", today, &t), 0);
	assert_true(t == midnight + 4 * 3600 + 5 * 60 + 6);
	assert_int_equal(model_clock_parse("00:00", today, &t), 0);
	assert_true(t == midnight);
	assert_int_equal(model_clock_parse("2026-12-02T22:00", today, &t), 0);
	assert_true(t == midnight - 5 * 86400 + 22 * 3600);
	assert_int_equal(model_clock_parse("2024-02-29 23:59:59", today, &t), 0);
	assert_true(t == 1709251199);
	assert_int_equal(model_clock_parse("2000-01-01T00:00", today, &t), 0);
	assert_true(t == 946684800);
	static const char *const bad[] = {
		"", "4:00", " 4:00", "+4:00", "-1:00", "24:00", "12:60", "12:00:60", "12:00:",
		"12:00 ", "12:00Z", "1200", "12:0a", "2026-02-29T10:00", "2026-13-01T10:00",
		"2026-12-00T10:00", "2026-12-07", "2026-12-07T", "2026-12-07X10:00", "1969-12-31T23:00", "1970-01-01T00:00",
		"26-12-07T10:00", "2026-12-07T10:00:00.5", "now",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = 42;
		if (model_clock_parse(bad[i], today, &t) == 0)
			fail_msg("--clock %s was taken as %f", bad[i], t);
		assert_true(t == 42); /* nothing written */
	}
	assert_int_equal(model_clock_parse(NULL, today, &t), -1);
}

/* The day starts where --clock says: players (and so CPU) follow that
 * hour, not the hour the sim was started at. */
static void test_clock_pins_the_day(void **state)
{
	(void)state;
	const double midnight = 1796601600;
	int peak_players = 0, night_players = 0;
	for (int idx = 0; idx < 8; idx++) {
		/* Europe's evening (21:00 local is 20:00 UTC) against its dawn. */
		struct model_clock peak = { 1000, midnight + 20 * 3600, 1 };
		struct model_clock dawn = { 1000, midnight + 4 * 3600, 1 };
		struct model_host a = { 0 }, b = { 0 };
		model_host_init(&a, 5, idx, GAME_MINECRAFT, 1, &peak, 1000);
		model_host_init(&b, 5, idx, GAME_MINECRAFT, 1, &dawn, 1000);
		assert_int_equal(a.max_players, b.max_players); /* the same host */
		peak_players += a.players;
		night_players += b.players;
	}
	assert_true(peak_players > 5 * night_players);
}

static void run_for(struct loop *loop, int ms)
{
	int64_t until = time_mono_ms() + ms;
	while (time_mono_ms() < until)
		loop_run_once(loop, 10);
}

/* The field k=... of a truth line, or NULL. */
static const char *field(const char *line, const char *k, char *out, size_t size)
{
	char key[32];
	snprintf(key, sizeof key, " %s=", k);
	const char *p = strstr(line, key);
	if (!p)
		return NULL;
	p += strlen(key);
	size_t n = strcspn(p, " \n");
	if (n >= size)
		return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

/* The last truth line of host name in text, copied to out. */
static bool last_line_of(const char *text, const char *name, char *out, size_t size)
{
	char key[64];
	snprintf(key, sizeof key, " %s ", name);
	const char *found = NULL;
	for (const char *p = text; (p = strstr(p, key)); p++)
		found = p;
	if (!found)
		return false;
	while (found > text && found[-1] != '\n')
		found--;
	size_t n = strcspn(found, "\n");
	if (n >= size)
		return false;
	memcpy(out, found, n);
	out[n] = '\0';
	return true;
}

static void test_truth_file(void **state)
{
	(void)state;
	char d[] = "/tmp/fleetop-test-simtruth-XXXXXX";
	assert_non_null(mkdtemp(d));
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/truth.log", d);
	int base = sim_free_ports(3, 7307);
	struct loop *loop = loop_new();
	struct sim *s = NULL;
	struct error err;
	const double pinned = 1796601600 + 4 * 3600; /* 04:00 */
	struct sim_opts o = { .nhosts = 3, .dir = d, .port = base, .seed = 3, .flap_every_s = -1,
			      .time_scale = 60, .clock_start_s = pinned, .truth_path = path };
	/* A path it cannot write: refused, naming it. */
	char bad_path[PATH_MAX];
	snprintf(bad_path, sizeof bad_path, "%s/no/such/dir/truth.log", d);
	o.truth_path = bad_path;
	assert_int_equal(sim_start(loop, &o, &s, &err), -1);
	assert_null(s);
	assert_non_null(strstr(err.msg, bad_path));
	o.truth_path = path;

	/* stdout away: the control lines are not this test's. */
	fflush(stdout);
	int saved = dup(1);
	FILE *devnull = fopen("/dev/null", "w");
	dup2(fileno(devnull), 1);
	fclose(devnull);
	assert_int_equal(sim_start(loop, &o, &s, &err), 0);
	assert_true(s->clock.start_wall_s == pinned);
	struct sim_host *hot = &s->hosts[0], *crashed = NULL;
	for (int i = 0; i < s->nhosts; i++)
		if (s->hosts[i].query_port && i != 0)
			crashed = &s->hosts[i];
	assert_non_null(crashed);
	char line[128];
	snprintf(line, sizeof line, "cpu %s 95", hot->name);
	assert_int_equal(sim_control_exec(s, line, &err), 0);
	snprintf(line, sizeof line, "game %s down", crashed->name);
	assert_int_equal(sim_control_exec(s, line, &err), 0);
	run_for(loop, 3300);
	char hot_name[32], crashed_name[32];
	snprintf(hot_name, sizeof hot_name, "%s", hot->name);
	snprintf(crashed_name, sizeof crashed_name, "%s", crashed->name);
	sim_stop(s);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);

	char *text = NULL;
	assert_int_equal(file_read_all(path, &text, NULL, &err), 0);
	assert_true(strncmp(text, "# fleetop sim ground truth", 26) == 0);
	/* Three ticks of three hosts, give or take one on a loaded machine. */
	int lines = 0;
	for (const char *p = text; *p; p++)
		lines += *p == '\n' && p[1] && p[1] != '#';
	assert_in_range(lines, 2 * 3, 4 * 3);
	char last[512], v[32];
	assert_true(last_line_of(text, hot_name, last, sizeof last));
	/* The forced CPU, as the counters show it over the last second. */
	assert_non_null(field(last, "cpu", v, sizeof v));
	assert_true(fabs(atof(v) - 95) < 1.0);
	assert_non_null(field(last, "host", v, sizeof v));
	assert_string_equal(v, "up");
	/* The model's own clock: 04:00 plus three minutes or so of its day. */
	assert_non_null(field(last, "clock", v, sizeof v));
	assert_true(strncmp(v, "04:0", 4) == 0);
	assert_true(last_line_of(text, crashed_name, last, sizeof last));
	assert_non_null(field(last, "game", v, sizeof v));
	assert_string_equal(v, "down");
	assert_non_null(field(last, "tps", v, sizeof v));
	assert_string_equal(v, "-"); /* a game that does not answer has no TPS */
	assert_non_null(field(last, "cpu", v, sizeof v));
	assert_true(atof(v) >= 0 && atof(v) < 95); /* its own: 04:00 is quiet */
	/* Every line is whole and every figure in range. */
	for (char *p = text, *nl; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		assert_non_null(nl);
		*nl = '\0';
		if (*p != '#') {
			assert_non_null(field(p, "mem", v, sizeof v));
			assert_in_range((int)atof(v), 0, 100);
			assert_non_null(field(p, "disk", v, sizeof v));
			assert_in_range(atoi(v), 0, 100);
			assert_non_null(field(p, "players", v, sizeof v));
		}
	}
	free(text);
	loop_free(loop);
	char *cmd = xasprintf("rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_parse),
		cmocka_unit_test(test_clock_pins_the_day),
		cmocka_unit_test(test_truth_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
