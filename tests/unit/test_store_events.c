/* The store's events: add, query by time, host and count, newest first,
 * pruning with the 1m tier, reopening, and the upgrade of a history file
 * written before events existed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/store.h"

#define MIN 60000LL
#define HOUR 3600000LL
#define DAY (24 * HOUR)

static char dir[64];
static char *path;

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/fleetop-events-XXXXXX");
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
	if (store_open(&s, path, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	return s;
}

/* What a query returned, copied out of the callback (its strings do not
 * outlive it). */
#define MAXEV 64
struct got {
	int n;
	int64_t id[MAXEV], ts[MAXEV];
	char host[MAXEV][64], sev[MAXEV][16], kind[MAXEV][64], msg[MAXEV][600];
};

static void collect(void *arg, const struct store_event *ev)
{
	struct got *g = arg;
	assert_true(g->n < MAXEV);
	g->id[g->n] = ev->id;
	g->ts[g->n] = ev->ts_ms;
	str_copy(g->host[g->n], ev->host, sizeof g->host[0]);
	str_copy(g->sev[g->n], ev->severity, sizeof g->sev[0]);
	str_copy(g->kind[g->n], ev->kind, sizeof g->kind[0]);
	str_copy(g->msg[g->n], ev->message, sizeof g->msg[0]);
	g->n++;
}

static struct got g;

static int query(struct store *s, int64_t since, const char *host, int limit)
{
	struct error err;
	memset(&g, 0, sizeof g);
	if (store_events(s, since, host, limit, collect, &g, &err) < 0)
		fail_msg("%s", err.msg);
	return g.n;
}

static void add(struct store *s, const char *host, int64_t ts, const char *sev, const char *kind,
		const char *msg)
{
	struct error err;
	if (store_event_add(s, host, ts, sev, kind, msg, &err) < 0)
		fail_msg("%s", err.msg);
}

static void test_add_and_query(void **state)
{
	(void)state;
	struct store *s = open_store();
	int64_t now = time_wall_ms();
	assert_int_equal(query(s, 0, NULL, 0), 0);
	add(s, "mc-1", now - 3 * HOUR, "info", "backup.done", "backup of world took 41s");
	add(s, "mc-2", now - 2 * HOUR, "warning", "mod_incompatible", "Dynmap 3.7 needs Paper 1.20.4");
	add(s, "mc-1", now - 1 * HOUR, "critical", "disk", "/srv 99% full");
	add(s, "q3-1", now - 30 * MIN, "info", "map", "q3dm17");
	/* Newest first. */
	assert_int_equal(query(s, 0, NULL, 0), 4);
	assert_string_equal(g.host[0], "q3-1");
	assert_string_equal(g.kind[1], "disk");
	assert_string_equal(g.sev[1], "critical");
	assert_string_equal(g.msg[1], "/srv 99% full");
	assert_int_equal(g.ts[1], now - HOUR);
	assert_string_equal(g.host[2], "mc-2");
	assert_string_equal(g.sev[2], "warning");
	assert_string_equal(g.msg[3], "backup of world took 41s");
	for (int i = 1; i < 4; i++)
		assert_true(g.ts[i - 1] > g.ts[i] && g.id[i] > 0);
	/* Since: inclusive. */
	assert_int_equal(query(s, now - 2 * HOUR, NULL, 0), 3);
	assert_int_equal(query(s, now - 2 * HOUR + 1, NULL, 0), 2);
	assert_int_equal(query(s, now, NULL, 0), 0);
	/* Host. */
	assert_int_equal(query(s, 0, "mc-1", 0), 2);
	assert_string_equal(g.kind[0], "disk");
	assert_string_equal(g.kind[1], "backup.done");
	assert_int_equal(query(s, now - 2 * HOUR, "mc-1", 0), 1);
	assert_int_equal(query(s, 0, "nope", 0), 0);
	assert_int_equal(query(s, 0, "mc", 0), 0); /* exact, not a prefix */
	/* Limit: the newest ones. */
	assert_int_equal(query(s, 0, NULL, 2), 2);
	assert_string_equal(g.host[0], "q3-1");
	assert_string_equal(g.kind[1], "disk");
	assert_int_equal(query(s, 0, "mc-1", 1), 1);
	assert_string_equal(g.kind[0], "disk");
	assert_int_equal(query(s, 0, NULL, -5), 4); /* negative: no limit */
	assert_int_equal(query(s, 0, NULL, 100), 4);
	store_close(s);
}

static void test_same_time_and_strings(void **state)
{
	(void)state;
	struct store *s = open_store();
	int64_t t = time_wall_ms() - MIN;
	/* Same time stamp: the one added last comes first. */
	add(s, "h", t, "info", "first", "1");
	add(s, "h", t, "info", "second", "2");
	add(s, "h", t, "info", "third", "3");
	assert_int_equal(query(s, 0, NULL, 0), 3);
	assert_string_equal(g.kind[0], "third");
	assert_string_equal(g.kind[2], "first");
	/* Strings are copied when added: the caller's buffer may change. */
	char host[64], msg[600];
	strcpy(host, "it's \"quoted\"; DROP TABLE event; --");
	memset(msg, 'x', 511);
	msg[511] = '\0';
	memcpy(msg, "Zo\xc3\xab ", 5);
	add(s, host, t + 1, "warning", "k", msg);
	host[0] = 'X';
	msg[0] = 'X';
	/* A NULL message is stored empty. */
	add(s, "h", t + 2, "info", "empty", NULL);
	assert_int_equal(query(s, 0, NULL, 0), 5);
	assert_string_equal(g.kind[0], "empty");
	assert_string_equal(g.msg[0], "");
	assert_string_equal(g.host[1], "it's \"quoted\"; DROP TABLE event; --");
	assert_int_equal(strlen(g.msg[1]), 511);
	assert_memory_equal(g.msg[1], "Zo\xc3\xab ", 5);
	assert_int_equal(query(s, 0, "it's \"quoted\"; DROP TABLE event; --", 0), 1);
	/* Missing host, severity or kind is refused. */
	struct error err;
	assert_int_equal(store_event_add(s, NULL, t, "info", "k", "m", &err), -1);
	assert_int_equal(store_event_add(s, "h", t, NULL, "k", "m", &err), -1);
	assert_int_equal(store_event_add(s, "h", t, "info", NULL, "m", &err), -1);
	assert_non_null(strstr(err.msg, path));
	store_close(s);
}

static void test_prune_and_reopen(void **state)
{
	(void)state;
	struct store *s = open_store();
	struct error err;
	int64_t now = time_wall_ms();
	/* Default 1m retention is 30 days. */
	add(s, "h", now - 40 * DAY, "info", "ancient", "");
	add(s, "h", now - 30 * DAY - MIN, "info", "just_too_old", "");
	add(s, "h", now - 29 * DAY, "warning", "kept", "");
	add(s, "h", now - MIN, "critical", "recent", "");
	int64_t sid = store_series(s, "h", "cpu.util", &err);
	assert_int_equal(store_add(s, sid, now - MIN, 5, &err), 0);
	assert_true(store_flush(s, &err) >= 0);
	assert_int_equal(store_prune(s, now, &err), 0);
	assert_int_equal(query(s, 0, NULL, 0), 2);
	assert_string_equal(g.kind[0], "recent");
	assert_string_equal(g.kind[1], "kept");
	store_close(s);
	/* Reopened: still there, the samples too. */
	s = open_store();
	assert_int_equal(query(s, 0, NULL, 0), 2);
	assert_string_equal(g.kind[1], "kept");
	assert_string_equal(g.sev[1], "warning");
	struct store_point *p;
	size_t n;
	assert_int_equal(store_query(s, "h", "cpu.util", now - HOUR, now, STORE_RAW, &p, &n, &err), 0);
	assert_int_equal(n, 1);
	free(p);
	store_close(s);
	/* A shorter 1m retention prunes events with it. */
	struct store_opts o = { .retention_1m_ms = HOUR };
	assert_int_equal(store_open(&s, path, &o, &err), 0);
	assert_int_equal(store_prune(s, now, &err), 0);
	assert_int_equal(query(s, 0, NULL, 0), 1);
	assert_string_equal(g.kind[0], "recent");
	store_close(s);
}

static int user_version(const char *p)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int v = -1;
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* A history file from before events: what version 1 left (no event table,
 * user_version 1), with samples in it. Opening upgrades it in place. */
static void test_upgrade_from_version_1(void **state)
{
	(void)state;
	struct store *s = open_store();
	struct error err;
	int64_t now = time_wall_ms();
	int64_t sid = store_series(s, "h", "cpu.util", &err);
	assert_int_equal(store_add(s, sid, now - 2 * MIN, 42, &err), 0);
	assert_true(store_flush(s, &err) >= 0);
	add(s, "h", now - MIN, "info", "gone", "dropped with the table");
	store_close(s);
	int latest = user_version(path);
	assert_true(latest >= 2);

	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* Back to version 1: without the events (2) and alerting (3) tables. */
	assert_int_equal(sqlite3_exec(db,
				      "DROP TABLE event; DROP TABLE alert; DROP TABLE alert_log;"
				      "DROP TABLE silence; DROP TABLE maintenance;"
				      "DROP TABLE alert_group; DROP TABLE outbox;"
				      "PRAGMA user_version=1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(user_version(path), 1);
	/* Until it is upgraded, events cannot be stored (the path is named). */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "SELECT count(*) FROM event", NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);

	s = open_store();
	assert_int_equal(user_version(path), latest);
	assert_int_equal(query(s, 0, NULL, 0), 0);
	add(s, "h", now, "warning", "after", "upgrade");
	assert_int_equal(query(s, 0, "h", 0), 1);
	assert_string_equal(g.msg[0], "upgrade");
	/* The samples written before the upgrade are intact. */
	struct store_point *p;
	size_t n;
	assert_int_equal(store_query(s, "h", "cpu.util", now - HOUR, now, STORE_RAW, &p, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(p[0].avg == 42);
	free(p);
	store_close(s);

	/* Both indexes exist, and a query by host uses one. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE "
					    "type='index' AND tbl_name='event'", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT * FROM event WHERE "
					    "host='h' AND ts >= 0 ORDER BY ts DESC", -1, &st, NULL),
			 SQLITE_OK);
	bool indexed = false;
	while (sqlite3_step(st) == SQLITE_ROW)
		indexed |= strstr((const char *)sqlite3_column_text(st, 3), "event_host_ts") != NULL;
	sqlite3_finalize(st);
	assert_true(indexed);
	sqlite3_close(db);
}

/* A table that is not there (a damaged file) is an error naming the file,
 * not a crash. */
static void test_errors(void **state)
{
	(void)state;
	struct store *s = open_store();
	store_close(s);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE event", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	s = open_store();
	struct error err;
	assert_int_equal(store_event_add(s, "h", 1, "info", "k", "m", &err), -1);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "event"));
	memset(&g, 0, sizeof g);
	assert_int_equal(store_events(s, 0, NULL, 0, collect, &g, &err), -1);
	assert_non_null(strstr(err.msg, "reading events"));
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_and_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_time_and_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upgrade_from_version_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
