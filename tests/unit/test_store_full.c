/* The store when the history cannot be written: SQLITE_FULL (made with
 * PRAGMA max_page_count, which fails writes as a full disk does), a bounded
 * backlog dropping its oldest, retries with backoff, one error line and one
 * recovery line, and the stored counter counting every flush (forced ones
 * too); and the history's files 0600 whatever the umask. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleetop/store.h"
#include "store/store_private.h"

static char dir[64];
static char *path, *log_path;

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/fleetop-store-full-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path = xasprintf("%s/fleetop.db", dir);
	log_path = xasprintf("%s/log", dir);
	struct error err;
	log_set_level(LOG_INFO);
	if (log_set_file(log_path, &err) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_release_stderr();
	char *cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	free(path);
	free(log_path);
	return 0;
}

static int count_in_log(const char *needle)
{
	char *text = NULL;
	size_t len = 0;
	struct error err;
	if (file_read_all(log_path, &text, &len, &err) < 0)
		fail_msg("%s", err.msg);
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	free(text);
	return n;
}

static void set_max_pages(struct store *s, const char *how)
{
	char *sql = xasprintf("PRAGMA max_page_count = %s", how);
	assert_int_equal(sqlite3_exec(s->db, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
}

/* Every forced flush (batch_max reached inside store_add) is counted as
 * stored, as is the flush at the end; `collect` reported only the timer's. */
static void test_stored_counts_forced_flushes(void **state)
{
	(void)state;
	struct store *s;
	struct error err;
	struct store_opts o = { .batch_max = 100 };
	assert_int_equal(store_open(&s, path, &o, &err), 0);
	int64_t id = store_series(s, "mc-1", "cpu.util", &err);
	assert_true(id >= 0);
	int64_t t0 = time_wall_ms() - 3600000;
	for (int i = 0; i < 1050; i++)
		assert_int_equal(store_add(s, id, t0 + i, i, &err), 0);
	struct store_health h;
	store_health(s, &h);
	assert_int_equal(h.stored, 1000); /* ten forced flushes of 100 */
	assert_int_equal(h.waiting, 50);
	assert_int_equal(store_flush(s, &err), 50);
	store_health(s, &h);
	assert_int_equal(h.stored, 1050);
	assert_int_equal(h.waiting, 0);
	assert_int_equal(h.state, STORE_OK);
	assert_string_equal(h.message, "");
	store_close(s);
}

static void test_full_backlog_backoff_recovery(void **state)
{
	(void)state;
	struct store *s;
	struct error err;
	struct store_opts o = { .batch_max = 500, .backlog_max = 4000 };
	assert_int_equal(store_open(&s, path, &o, &err), 0);
	int64_t id = store_series(s, "mc-1", "cpu.util", &err);
	assert_true(id >= 0);
	int64_t now = time_wall_ms();
	int64_t t0 = now - 10000; /* the live minute: nothing compacts */
	int total = 0;
	for (; total < 1000; total++)
		assert_int_equal(store_add(s, id, t0 + total, total, &err), 0);
	assert_int_equal(store_flush_at(s, now, &err), 0);
	/* The file may not grow by a page more: writes fail as on a full disk. */
	set_max_pages(s, "1");
	/* Writes fail; store_add does not (and does not log a line a sample). */
	for (int i = 0; i < 3000; i++, total++)
		assert_int_equal(store_add(s, id, t0 + total, total, &err), 0);
	struct store_health h;
	store_health(s, &h);
	assert_int_equal(h.state, STORE_FULL);
	assert_int_equal(h.failures, 1); /* the one forced flush; then it waits for the timer */
	assert_non_null(strstr(h.message, "disk full (SQLITE_FULL)"));
	assert_non_null(strstr(h.message, path));
	assert_non_null(strstr(h.message, "free space on "));
	assert_int_equal(count_in_log("disk full (SQLITE_FULL)"), 1);

	/* Backoff: not before a second has passed; then 2 s, 4 s ... */
	int64_t t = now + 10;
	assert_int_equal(store_flush_at(s, t, &err), -1);
	store_health(s, &h);
	assert_int_equal(h.failures, 1);
	int64_t next = h.next_try_ms;
	assert_true(next > t && next <= t + 1000);
	assert_int_equal(store_flush_at(s, next, &err), -1);
	store_health(s, &h);
	assert_int_equal(h.failures, 2);
	assert_true(h.next_try_ms - next == 2000);
	next = h.next_try_ms;
	assert_int_equal(store_flush_at(s, next - 1, &err), -1);
	store_health(s, &h);
	assert_int_equal(h.failures, 2);
	assert_int_equal(store_flush_at(s, next, &err), -1);
	store_health(s, &h);
	assert_int_equal(h.failures, 3);
	assert_true(h.next_try_ms - next == 4000);

	/* The backlog is bounded: the oldest go, and are counted. */
	for (int i = 0; i < 20000; i++, total++)
		assert_int_equal(store_add(s, id, t0 + total, total, &err), 0);
	store_health(s, &h);
	assert_true(h.waiting <= 4000);
	assert_true(h.waiting >= 4000 - 4000 / 16);
	assert_int_equal(h.waiting_max, 4000);
	assert_int_equal(h.stored, 1000);
	assert_int_equal(h.stored + h.waiting + h.dropped, total);
	assert_int_equal((int64_t)s->capbatch <= 4000, 1); /* memory too, not only the count */
	/* Still the one error line, for all those samples and tries. */
	assert_int_equal(count_in_log("disk full"), 1);
	assert_int_equal(count_in_log("not stored"), 0);

	/* Room for a moment (as SQLite finds in its WAL): a write goes
	 * through, then fails again; the same outage, no new error line. */
	set_max_pages(s, "1073741823");
	int64_t waiting = h.waiting;
	t = h.next_try_ms;
	assert_int_equal(store_flush_at(s, t, &err), (int)waiting);
	store_health(s, &h);
	assert_int_equal(h.state, STORE_OK);
	int64_t pages = 0;
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(s->db, "PRAGMA page_count", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	pages = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	char *cap = xasprintf("%lld", (long long)pages);
	set_max_pages(s, cap);
	free(cap);
	for (int i = 0; i < 3000; i++, total++)
		assert_int_equal(store_add(s, id, t0 + total, total, &err), 0);
	t += 1000;
	assert_int_equal(store_flush_at(s, t, &err), -1);
	store_health(s, &h);
	assert_int_equal(h.state, STORE_FULL);
	assert_int_equal(count_in_log("disk full"), 1);
	assert_int_equal(count_in_log("recovered"), 0);

	/* Space again: the next due try writes the backlog, state ok; the
	 * outage is said over once writes have gone through for 30 s. */
	set_max_pages(s, "1073741823");
	waiting = h.waiting;
	int64_t stored = h.stored;
	t = h.next_try_ms;
	assert_int_equal(store_flush_at(s, t, &err), (int)waiting);
	store_health(s, &h);
	assert_int_equal(h.state, STORE_OK);
	assert_int_equal(h.waiting, 0);
	assert_int_equal(h.stored, stored + waiting);
	assert_int_equal(h.next_try_ms, 0);
	assert_string_equal(h.message, "");
	assert_int_equal(count_in_log("recovered"), 0);
	assert_int_equal(store_flush_at(s, t + 10000, &err), 0);
	assert_int_equal(count_in_log("recovered"), 0);
	assert_int_equal(store_flush_at(s, t + 30000, &err), 0);
	assert_int_equal(count_in_log("recovered"), 1);
	assert_int_equal(store_flush_at(s, t + 31000, &err), 0);
	assert_int_equal(count_in_log("recovered"), 1);
	waiting = h.stored - 1000;
	/* The newest samples are the ones kept. */
	struct store_point *pts;
	size_t n;
	assert_int_equal(store_query(s, "mc-1", "cpu.util", t0, t0 + total, STORE_RAW, &pts, &n, &err), 0);
	assert_int_equal(n, (size_t)(1000 + waiting));
	assert_true(pts[n - 1].avg == (double)(total - 1));
	free(pts);
	/* And later writes go at once again. */
	for (int i = 0; i < 10; i++, total++)
		assert_int_equal(store_add(s, id, t0 + total, total, &err), 0);
	assert_int_equal(store_flush_at(s, t + 32000, &err), 10);
	store_close(s);
}

/* A series that cannot be added while full: its sample is dropped and
 * counted, and no write is tried again before the backoff says. */
static void test_new_series_while_full(void **state)
{
	(void)state;
	struct store *s;
	struct error err;
	assert_int_equal(store_open(&s, path, NULL, &err), 0);
	set_max_pages(s, "1");
	/* Series fit in the pages there are, up to a point. */
	int i = 0;
	char name[32];
	for (; i < 100000; i++) {
		snprintf(name, sizeof name, "host-%d", i);
		if (store_series(s, name, "cpu.util", &err) < 0)
			break;
	}
	assert_true(i < 100000);
	int64_t before = time_wall_ms();
	assert_true(store_series(s, "new-host", "mem.used_pct", &err) < 0);
	struct store_health h;
	store_health(s, &h);
	assert_int_equal(h.state, STORE_FULL);
	assert_int_equal(h.dropped, 2);
	if (time_wall_ms() - before < 900)
		assert_int_equal(h.failures, 1); /* the second waited for its turn */
	set_max_pages(s, "1073741823");
	store_close(s);
}

static mode_t mode_of(const char *p)
{
	struct stat st;
	if (stat(p, &st) < 0)
		fail_msg("%s: missing", p);
	return st.st_mode & 07777;
}

static void test_files_are_private(void **state)
{
	(void)state;
	mode_t old = umask(0);
	struct store *s;
	struct error err;
	assert_int_equal(store_open(&s, path, NULL, &err), 0);
	int64_t id = store_series(s, "mc-1", "cpu.util", &err);
	assert_int_equal(store_add(s, id, time_wall_ms(), 1, &err), 0);
	assert_true(store_flush(s, &err) >= 0);
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(wal), 0600);
	assert_int_equal(mode_of(shm), 0600);
	store_close(s);
	/* Made readable by others (an older fleetop, a copy): narrowed at open. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(chmod(wal, 0666), 0);
	assert_int_equal(store_open(&s, path, NULL, &err), 0);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(wal), 0600);
	assert_true(count_in_log("was mode 0644") >= 1);
	store_close(s);
	free(wal);
	free(shm);
	umask(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stored_counts_forced_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_backlog_backoff_recovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_series_while_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_are_private, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
