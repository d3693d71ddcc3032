/* The game-process probe's parser: CPU from ticks over the host's uptime,
 * restarts, a process not found, world size, bad frames skipped whole. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collect/collect_private.h"

struct seen {
	char name[16][32];
	double value[16];
	int n;
};

static void emit(void *arg, const char *metric, double value)
{
	struct seen *s = arg;
	if (s->n < 16) {
		snprintf(s->name[s->n], sizeof s->name[0], "%s", metric);
		s->value[s->n++] = value;
	}
}

static bool get(const struct seen *s, const char *name, double *v)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name)) {
			*v = s->value[i];
			return true;
		}
	return false;
}

/* A real /proc/PID/stat line with a comm holding a space and a ')'. */
static char *frame(double uptime, int pid, long utime, long stime, long start, long rss_kb)
{
	char *f = NULL;
	int n = asprintf(&f,
			 "game-frame\nhz 100\nuptime %.2f\npid %d\n"
			 "stat %d (java ) x) S 1 %d %d 0 -1 4194560 100 0 0 0 %ld %ld 0 0 20 0 "
			 "45 0 %ld 4000000000 20000 18446744073709551615 1 1 0 0 0 0 0 4096 "
			 "17663 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
			 "rss_kb %ld\nthreads 45\ngame-end\n",
			 uptime, pid, pid, pid, pid, utime, stime, start, rss_kb);
	assert_true(n > 0);
	return f;
}

static int feed(struct game_proc_parser *p, const char *text, struct seen *s, char *note)
{
	struct error err;
	memset(s, 0, sizeof *s);
	return game_proc_parser_feed(p, text, strlen(text), emit, s, note, 200, &err);
}

static void test_cpu_from_two_frames(void **state)
{
	(void)state;
	struct game_proc_parser *p = game_proc_parser_new("h");
	struct seen s;
	char note[200];
	double v;
	char *f1 = frame(1000.00, 4242, 5000, 1000, 90000, 2048000);
	char *f2 = frame(1002.00, 4242, 5150, 1050, 90000, 2050000);
	assert_int_equal(feed(p, f1, &s, note), 1);
	assert_false(get(&s, "proc.cpu", &v)); /* a rate needs two frames */
	assert_true(get(&s, "proc.up", &v) && v == 1);
	assert_true(get(&s, "proc.uptime", &v) && fabs(v - 100.0) < 1e-9); /* 1000 - 90000/100 */
	assert_true(get(&s, "proc.threads", &v) && v == 45);
	assert_true(get(&s, "proc.rss_bytes", &v) && v == 2048000.0 * 1024);
	assert_int_equal(feed(p, f2, &s, note), 1);
	/* 200 ticks over 2 s at 100 Hz: one core's worth. */
	assert_true(get(&s, "proc.cpu", &v) && fabs(v - 100.0) < 1e-9);
	assert_string_equal(note, "");
	free(f1);
	free(f2);
	game_proc_parser_free(p);
}

static void test_restart_starts_rate_over(void **state)
{
	(void)state;
	struct game_proc_parser *p = game_proc_parser_new("h");
	struct seen s;
	char note[200];
	double v;
	char *f1 = frame(1000, 4242, 5000, 1000, 90000, 1000);
	char *f2 = frame(1001, 5555, 10, 5, 100050, 1000); /* new pid, fewer ticks */
	char *f3 = frame(1002, 5555, 60, 5, 100050, 1000);
	feed(p, f1, &s, note);
	feed(p, f2, &s, note);
	assert_false(get(&s, "proc.cpu", &v));
	assert_true(get(&s, "proc.uptime", &v) && fabs(v - 0.5) < 1e-9);
	feed(p, f3, &s, note);
	assert_true(get(&s, "proc.cpu", &v) && fabs(v - 50.0) < 1e-9);
	free(f1);
	free(f2);
	free(f3);
	game_proc_parser_free(p);
}

static void test_not_found_and_world(void **state)
{
	(void)state;
	struct game_proc_parser *p = game_proc_parser_new("h");
	struct seen s;
	char note[200];
	double v;
	assert_int_equal(feed(p, "game-frame\nhz 100\nuptime 5.00\nerror no process named java\n"
				 "world_kb 2048\ngame-end\n", &s, note), 1);
	assert_true(get(&s, "proc.up", &v) && v == 0);
	assert_true(get(&s, "game.world_bytes", &v) && v == 2048.0 * 1024);
	assert_string_equal(note, "no process named java");
	assert_int_equal(feed(p, "game-frame\nuptime 6\nworld_error du: cannot access 'w': No such file\n"
				 "game-end\n", &s, note), 1);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(note, "world size: du: cannot access"));
	game_proc_parser_free(p);
}

static void test_bad_frames_skipped_whole(void **state)
{
	(void)state;
	struct game_proc_parser *p = game_proc_parser_new("mc-1");
	struct seen s;
	char note[200];
	struct error err;
	const char *bad = "game-frame\nhz 100\nuptime 1\npid 12\nstat 12 (x) S 1 2\ngame-end\n";
	memset(&s, 0, sizeof s);
	assert_int_equal(game_proc_parser_feed(p, bad, strlen(bad), emit, &s, note, 200, &err), -1);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(err.msg, "mc-1: game probe: unreadable /proc/PID/stat"));
	const char *nohz = "game-frame\nuptime 1\npid 12\nstat 12 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19\ngame-end\n";
	assert_int_equal(game_proc_parser_feed(p, nohz, strlen(nohz), emit, &s, note, 200, &err), -1);
	/* An overlong line spoils its frame only; the next one counts. */
	size_t big = 10000;
	char *flood = malloc(big + 200);
	strcpy(flood, "game-frame\nhz 100\nstat ");
	size_t o = strlen(flood);
	memset(flood + o, 'A', big);
	strcpy(flood + o + big, "\ngame-end\ngame-frame\nuptime 3\nworld_kb 1\ngame-end\n");
	memset(&s, 0, sizeof s);
	assert_int_equal(game_proc_parser_feed(p, flood, strlen(flood), emit, &s, note, 200, &err), -1);
	double v;
	assert_true(get(&s, "game.world_bytes", &v) && v == 1024);
	free(flood);
	game_proc_parser_free(p);
}

static void test_split_anywhere(void **state)
{
	(void)state;
	char *f = frame(1000, 7, 1, 1, 1, 10);
	size_t len = strlen(f);
	for (size_t cut = 0; cut <= len; cut++) {
		struct game_proc_parser *p = game_proc_parser_new("h");
		struct seen s;
		memset(&s, 0, sizeof s);
		char note[200];
		struct error err;
		int a = game_proc_parser_feed(p, f, cut, emit, &s, note, 200, &err);
		int b = game_proc_parser_feed(p, f + cut, len - cut, emit, &s, note, 200, &err);
		assert_int_equal(a + b, 1);
		game_proc_parser_free(p);
	}
	free(f);
}

static void test_command_quotes_its_arguments(void **state)
{
	(void)state;
	char *cmd = game_proc_command(200, 60000, NULL, "mc server.service", "java", "/srv/it's");
	assert_string_equal(cmd, "exec /bin/sh -s fleetop-gameprobe 500 60000 '' 'mc server.service' "
				 "'java' '/srv/it'\\''s'");
	free(cmd);
	assert_non_null(strstr(game_proc_script(), "game-frame"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_from_two_frames),
		cmocka_unit_test(test_restart_starts_rate_over),
		cmocka_unit_test(test_not_found_and_world),
		cmocka_unit_test(test_bad_frames_skipped_whole),
		cmocka_unit_test(test_split_anywhere),
		cmocka_unit_test(test_command_quotes_its_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
