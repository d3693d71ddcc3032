/* The store: round trips, rollups, late samples, retention, tiers,
 * migrations, bad input, and kill -9 during ingest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fleetop/store.h"

#define MIN 60000LL
#define HOUR 3600000LL

static char dir[64];
static char *path;

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/fleetop-store-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path = xasprintf("%s/fleetop.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	free(path);
	return 0;
}

static struct store *open_store(void)
{
	struct store *s = NULL;
	struct error err;
	struct store_opts o = { 0 };
	if (store_open(&s, path, &o, &err) < 0)
		fail_msg("%s", err.msg);
	return s;
}

/* Start of an hour well in the past, so every minute of it is closed. */
static int64_t past_hour(int hours_ago)
{
	int64_t now = time_wall_ms();
	return now - now % HOUR - hours_ago * HOUR;
}

static void test_round_trip_and_rollups(void **state)
{
	(void)state;
	struct store *s = open_store();
	struct error err;
	int64_t a = store_series(s, "mc-1", "cpu.util", &err);
	int64_t b = store_series(s, "mc-2", "cpu.util", &err);
	assert_true(a > 0 && b > 0 && a != b);
	assert_int_equal(store_series(s, "mc-1", "cpu.util", &err), a);
	int64_t t0 = past_hour(3);
	/* Three minutes at 1 s: a = 0..179, b = 100 constant. */
	for (int i = 0; i < 180; i++) {
		assert_int_equal(store_add(s, a, t0 + i * 1000, i, &err), 0);
		assert_int_equal(store_add(s, b, t0 + i * 1000, 100, &err), 0);
	}
	assert_int_equal(store_flush(s, &err), 360);
	struct store_point *p;
	size_t n;
	assert_int_equal(store_query(s, "mc-1", "cpu.util", t0, t0 + 3 * MIN, STORE_RAW, &p, &n, &err), 0);
	assert_int_equal(n, 180);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(p[i].ts_ms, t0 + (int64_t)i * 1000);
		assert_true(p[i].avg == (double)i);
	}
	free(p);
	assert_int_equal(store_query(s, "mc-1", "cpu.util", t0, t0 + 3 * MIN, STORE_1M, &p, &n, &err), 0);
	assert_int_equal(n, 3);
	for (int m = 0; m < 3; m++) {
		assert_int_equal(p[m].ts_ms, t0 + m * MIN);
		assert_true(fabs(p[m].avg - (m * 60 + 29.5)) < 1e-9);
		assert_true(p[m].min == m * 60 && p[m].max == m * 60 + 59);
	}
	free(p);
	/* The hour has ended, so it is rolled up too. */
	assert_int_equal(store_query(s, "mc-1", "cpu.util", t0, t0 + HOUR, STORE_1H, &p, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(fabs(p[0].avg - 89.5) < 1e-9);
	assert_true(p[0].min == 0 && p[0].max == 179);
	free(p);
	assert_int_equal(store_query(s, "mc-2", "cpu.util", t0, t0 + HOUR, STORE_1H, &p, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(p[0].avg == 100);
	free(p);
	/* A known series with nothing in the range (the console asks this
	 * for every graph of a fresh host): no points, no error. */
	assert_int_equal(store_query(s, "mc-1", "cpu.util", t0 - 10 * MIN, t0 - 5 * MIN, STORE_RAW, &p, &n, &err), 0);
	assert_int_equal(n, 0);
	free(p);
	/* Unknown series: no points, no error. */
	assert_int_equal(store_query(s, "nope", "cpu.util", t0, t0 + HOUR, STORE_RAW, &p, &n, &err), 0);
	assert_int_equal(n, 0);
	free(p);
	char **names;
	assert_int_equal(store_metrics(s, "mc-1", &names, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "cpu.util");
	free(names[0]);
	free(names);
	store_close(s);
}

static void test_late_sample_merges(void **state)
{
	(void)state;
	struct store *s = open_store();
	struct error err;
	int64_t id = store_series(s, "late", "x", &err);
	int64_t t0 = past_hour(5);
	store_add(s, id, t0 + 1000, 10, &err);
	store_add(s, id, t0 + 2000, 20, &err);
	store_flush(s, &err);
	/* Arrives after its minute (and hour) were compacted. */
	store_add(s, id, t0 + 3000, 60, &err);
	store_flush(s, &err);
	struct store_point *p;
	size_t n;
	assert_int_equal(store_query(s, "late", "x", t0, t0 + MIN, STORE_RAW, &p, &n, &err), 0);
	assert_int_equal(n, 3);
	free(p);
	assert_int_equal(store_query(s, "late", "x", t0, t0 + MIN, STORE_1M, &p, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(fabs(p[0].avg - 30) < 1e-9 && p[0].min == 10 && p[0].max == 60);
	free(p);
	assert_int_equal(store_query(s, "late", "x", t0, t0 + HOUR, STORE_1H, &p, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(fabs(p[0].avg - 30) < 1e-9 && p[0].max == 60);
	free(p);
	/* The same time stamp again: the last value wins. */
	store_add(s, id, t0 + 1000, 11, &err);
	store_flush(s, &err);
	assert_int_equal(store_query(s, "late", "x", t0, t0 + 1500, STORE_RAW, &p, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(p[0].avg == 11);
	free(p);
	store_close(s);
}

static void test_recent_survives_reopen(void **state)
{
	(void)state;
	struct store *s = open_store();
	struct error err;
	int64_t id = store_series(s, "r", "m", &err);
	int64_t now = time_wall_ms();
	store_add(s, id, now, 1, &err);
	store_add(s, id, now + 1, 2, &err);
	assert_int_equal(store_flush(s, &err), 2);
	store_close(s);
	s = open_store();
	struct store_point *p;
	size_t n;
	assert_int_equal(store_query(s, "r", "m", now - 1000, now + 1000, STORE_AUTO, &p, &n, &err), 0);
	assert_int_equal(n, 2);
	free(p);
	/* Reloaded into memory: compacting later still writes them. */
	struct store_stats st;
	assert_int_equal(store_stats(s, &st, &err), 0);
	assert_true(st.samples_raw >= 2);
	store_close(s);
}

static void test_retention_and_tiers(void **state)
{
	(void)state;
	struct store *s = NULL;
	struct error err;
	struct store_opts o = { .retention_raw_ms = 2 * HOUR, .retention_1m_ms = 6 * HOUR,
				.retention_1h_ms = 24 * HOUR };
	assert_int_equal(store_open(&s, path, &o, &err), 0);
	int64_t id = store_series(s, "ret", "m", &err);
	for (int h = 30; h >= 1; h--)
		store_add(s, id, past_hour(h) + 1000, h, &err);
	store_flush(s, &err);
	int64_t now = time_wall_ms();
	assert_int_equal(store_prune(s, now, &err), 0);
	struct store_point *p;
	size_t n;
	assert_int_equal(store_query(s, "ret", "m", now - 40 * HOUR, now, STORE_RAW, &p, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		assert_true(p[i].ts_ms >= now - 2 * HOUR - MIN);
	assert_true(n >= 1 && n <= 2);
	free(p);
	assert_int_equal(store_query(s, "ret", "m", now - 40 * HOUR, now, STORE_1M, &p, &n, &err), 0);
	assert_true(n >= 5 && n <= 6);
	free(p);
	assert_int_equal(store_query(s, "ret", "m", now - 40 * HOUR, now, STORE_1H, &p, &n, &err), 0);
	assert_true(n >= 23 && n <= 24);
	free(p);
	/* AUTO: a short recent range reads raw, a long one rollups. */
	assert_int_equal(store_query(s, "ret", "m", past_hour(1), now, STORE_AUTO, &p, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].ts_ms, past_hour(1) + 1000); /* raw keeps the second */
	free(p);
	assert_int_equal(store_query(s, "ret", "m", now - 20 * HOUR, now, STORE_AUTO, &p, &n, &err), 0);
	assert_true(n >= 19);
	free(p);
	store_close(s);
}

static void test_bad_input(void **state)
{
	(void)state;
	struct store *s = NULL;
	struct error err;
	assert_int_equal(store_open(&s, "/nonexistent/dir/fleetop.db", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/dir/fleetop.db"));
	s = open_store();
	int64_t id = store_series(s, "h", "m", &err);
	assert_int_equal(store_add(s, id, 1, NAN, &err), -1);
	assert_non_null(strstr(err.msg, "finite"));
	assert_int_equal(store_add(s, id, 1, INFINITY, &err), -1);
	store_close(s);
	/* A file from a newer fleetop is refused, not damaged. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(&s, path, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "newer"));
	/* Not a database at all. */
	char *junk = xasprintf("%s/junk.db", dir);
	assert_int_equal(file_write_atomic(junk, "this is not sqlite, not at all.........", 40, 0600, &err), 0);
	assert_int_equal(store_open(&s, junk, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "junk.db"));
	free(junk);
}

/* Processes that open a new file at once (the console and `fleetop alerts`
 * started together) all succeed: each migration runs once. */
static void test_first_open_by_many(void **state)
{
	(void)state;
	for (int round = 0; round < 5; round++) {
		char *p = xasprintf("%s/race%d.db", dir, round);
		pid_t kids[8];
		for (int i = 0; i < 8; i++) {
			kids[i] = fork();
			assert_true(kids[i] >= 0);
			if (kids[i] == 0) {
				struct store *s;
				struct error err;
				if (store_open(&s, p, NULL, &err) < 0) {
					fprintf(stderr, "child %d: %s\n", i, err.msg);
					_exit(1);
				}
				store_close(s);
				_exit(0);
			}
		}
		for (int i = 0; i < 8; i++) {
			int st;
			assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
			assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
		free(p);
	}
}

static void test_migrates_an_empty_file(void **state)
{
	(void)state;
	char *p2 = xasprintf("%s/empty.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(p2, &db), SQLITE_OK);
	sqlite3_close(db);
	struct store *s;
	struct error err;
	assert_int_equal(store_open(&s, p2, NULL, &err), 0);
	store_close(s);
	assert_int_equal(sqlite3_open(p2, &db), SQLITE_OK);
	sqlite3_stmt *st;
	sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 3); /* samples, events, alerting */
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(p2);
}

/* A child ingests batches and reports each commit; it is killed at a random
 * moment; every reported batch must be there and the file intact. */
static void test_kill9_during_ingest(void **state)
{
	(void)state;
	enum { SERIES = 300 };
	srand((unsigned)getpid());
	for (int round = 0; round < 5; round++) {
		char *p = xasprintf("%s/crash%d.db", dir, round);
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		int64_t base = past_hour(2);
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[0]);
			struct store *s;
			struct error err;
			if (store_open(&s, p, NULL, &err) < 0)
				_exit(1);
			int64_t ids[SERIES];
			for (int i = 0; i < SERIES; i++) {
				char m[32];
				snprintf(m, sizeof m, "m%d", i);
				ids[i] = store_series(s, "crash", m, &err);
			}
			for (int b = 0;; b++) {
				/* Odd batches are recent (stay in `recent`), even ones
				 * old (compacted at once): the kill hits both paths. */
				int64_t ts = b % 2 ? time_wall_ms() + b : base + (int64_t)b * 1000;
				for (int i = 0; i < SERIES; i++)
					store_add(s, ids[i], ts, b, &err);
				if (store_flush(s, &err) < 0)
					_exit(2);
				if (write(fds[1], &ts, sizeof ts) != sizeof ts)
					_exit(3);
			}
		}
		close(fds[1]);
		usleep(200000 + (useconds_t)(rand() % 600000));
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		int64_t tss[100000];
		size_t nb = 0;
		while (nb < 100000 && read(fds[0], &tss[nb], sizeof tss[0]) == sizeof tss[0])
			nb++;
		close(fds[0]);
		assert_true(nb > 0);
		sqlite3 *db;
		assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
		sqlite3_stmt *st;
		sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
		sqlite3_finalize(st);
		sqlite3_close(db);
		struct store *s;
		struct error err;
		struct store_opts o = { 0 };
		assert_int_equal(store_open(&s, p, &o, &err), 0);
		size_t missing = 0;
		for (size_t b = 0; b < nb; b++) {
			struct store_point *pts;
			size_t n;
			assert_int_equal(store_query(s, "crash", "m7", tss[b], tss[b], STORE_RAW, &pts, &n, &err), 0);
			if (n != 1 || pts[0].avg != (double)b)
				missing++;
			free(pts);
		}
		struct store_stats stt;
		assert_int_equal(store_stats(s, &stt, &err), 0);
		store_close(s);
		printf("round %d: %zu batches committed before kill -9, %zu missing, %lld samples on disk\n",
		       round, nb, missing, (long long)stt.samples_raw);
		assert_int_equal(missing, 0);
		assert_true(stt.samples_raw >= (int64_t)(nb * SERIES));
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_and_rollups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_sample_merges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recent_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_and_tiers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrates_an_empty_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_open_by_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill9_during_ingest, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
