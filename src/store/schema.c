/* The schema and its migrations. PRAGMA user_version is the version; each
 * migration runs once, in order, in one transaction.
 *
 * Layout, chosen for thousands of interleaved series: every table is keyed
 * by time first, so writing never touches more than the tail of a B-tree.
 *   recent     committed batches not yet compacted: one packed blob per flush,
 *              so a flush costs one row however many samples it holds
 *   chunk      one row per (minute, series): that minute's raw samples, packed
 *   rollup_1m  one row per (minute, series): avg, min, max, n
 *   rollup_1h  one row per (hour, series)
 *   event      one row per event a host reported (rare; kept as text)
 * Reading one series seeks once per minute or hour of the range. */
#include <stdio.h>

#include "store_private.h"

static const char *const migrations[] = {
	/* 1 */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
	"CREATE TABLE series(id INTEGER PRIMARY KEY, host TEXT NOT NULL, metric TEXT NOT NULL,"
	"  UNIQUE(host, metric));"
	"CREATE TABLE recent(id INTEGER PRIMARY KEY, max_ts INTEGER NOT NULL, data BLOB NOT NULL);"
	"CREATE TABLE chunk(minute INTEGER NOT NULL, series INTEGER NOT NULL, data BLOB NOT NULL,"
	"  PRIMARY KEY(minute, series)) WITHOUT ROWID;"
	"CREATE TABLE rollup_1m(minute INTEGER NOT NULL, series INTEGER NOT NULL,"
	"  avg REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, n INTEGER NOT NULL,"
	"  PRIMARY KEY(minute, series)) WITHOUT ROWID;"
	"CREATE TABLE rollup_1h(hour INTEGER NOT NULL, series INTEGER NOT NULL,"
	"  avg REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, n INTEGER NOT NULL,"
	"  PRIMARY KEY(hour, series)) WITHOUT ROWID;"
	"INSERT INTO meta VALUES('compacted_until', 0), ('rolled_1h_until', 0);",
	/* 2: events. By time for `fleetop events` and pruning, by host and
	 * time for one host's. */
	"CREATE TABLE event(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, host TEXT NOT NULL,"
	"  severity TEXT NOT NULL, kind TEXT NOT NULL, message TEXT NOT NULL);"
	"CREATE INDEX event_ts ON event(ts);"
	"CREATE INDEX event_host_ts ON event(host, ts);",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int store_schema(sqlite3 *db, const char *path, struct error *err)
{
	sqlite3_stmt *st;
	int version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return error_set(err, "%s: %s", path, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > NMIGRATIONS)
		return error_set(err, "%s: history schema version %d is newer than this fleetop "
				 "understands (%d); use a newer fleetop", path, version, NMIGRATIONS);
	for (int v = version; v < NMIGRATIONS; v++) {
		char *msg = NULL;
		char set[64];
		snprintf(set, sizeof set, "PRAGMA user_version=%d;", v + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, set, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			error_set(err, "%s: migrating history to version %d: %s", path, v + 1,
				  msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}
