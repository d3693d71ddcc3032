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
 *   alert      one row per alert (a rule on a host, from pending to resolved)
 *   alert_log  every transition, acknowledgement and notification: the audit trail
 *   silence    matchers muting notifications until an expiry
 *   maintenance hosts whose alerts are suppressed for a window
 *   alert_group what was last notified per group (grouping and escalation state)
 *   outbox     notifications to send; a row is deleted from "pending" only by
 *              its confirmation, so a restart resends exactly the unconfirmed
 * Reading one series seeks once per minute or hour of the range.
 * Migrations run in one transaction, all or none. */
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
	/* 3: alerting. */
	"CREATE TABLE alert(id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL, rule TEXT NOT NULL,"
	"  host TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL, labels TEXT NOT NULL,"
	"  summary TEXT NOT NULL, runbook TEXT, value REAL, group_key TEXT NOT NULL DEFAULT '',"
	"  started INTEGER NOT NULL, fired INTEGER, resolved INTEGER, updated INTEGER NOT NULL,"
	"  acked_by TEXT, acked_at INTEGER, ack_comment TEXT, muted INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX alert_open ON alert(state) WHERE state != 'resolved';"
	"CREATE INDEX alert_started ON alert(started);"
	"CREATE INDEX alert_fingerprint ON alert(fingerprint, started);"
	"CREATE TABLE alert_log(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, alert INTEGER,"
	"  what TEXT NOT NULL, who TEXT, detail TEXT);"
	"CREATE INDEX alert_log_ts ON alert_log(ts);"
	"CREATE INDEX alert_log_alert ON alert_log(alert, ts);"
	"CREATE TABLE silence(id INTEGER PRIMARY KEY, matchers TEXT NOT NULL, starts INTEGER NOT NULL,"
	"  ends INTEGER NOT NULL, created_by TEXT NOT NULL, comment TEXT, created INTEGER NOT NULL);"
	"CREATE TABLE maintenance(id INTEGER PRIMARY KEY, hosts TEXT NOT NULL, starts INTEGER NOT NULL,"
	"  ends INTEGER NOT NULL, created_by TEXT NOT NULL, comment TEXT, created INTEGER NOT NULL);"
	"CREATE TABLE alert_group(key TEXT NOT NULL, policy TEXT NOT NULL, first_fired INTEGER NOT NULL,"
	"  last_notified INTEGER NOT NULL, last_digest TEXT NOT NULL, step INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL, PRIMARY KEY(key, policy)) WITHOUT ROWID;"
	"CREATE TABLE outbox(id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, receiver TEXT NOT NULL,"
	"  body TEXT NOT NULL, created INTEGER NOT NULL, next_try INTEGER NOT NULL,"
	"  tries INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'pending',"
	"  done INTEGER, last_error TEXT);"
	"CREATE INDEX outbox_due ON outbox(state, next_try);",
};
#define NMIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static int user_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	*version = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int store_schema(sqlite3 *db, const char *path, struct error *err)
{
	int version;
	if (user_version(db, &version) < 0)
		return error_set(err, "%s: %s", path, sqlite3_errmsg(db));
	if (version > NMIGRATIONS)
		return error_set(err, "%s: history schema version %d is newer than this fleetop "
				 "understands (%d); use a newer fleetop", path, version, NMIGRATIONS);
	if (version == NMIGRATIONS)
		return 0;
	/* Another process (the console and `fleetop alerts` started at once on
	 * a new file) may be migrating too: take the write lock, then read the
	 * version again, so each migration runs once. */
	char *msg = NULL;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
	    user_version(db, &version) < 0) {
		error_set(err, "%s: migrating history: %s", path, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	for (int v = version; v < NMIGRATIONS; v++) {
		char set[64];
		snprintf(set, sizeof set, "PRAGMA user_version=%d;", v + 1);
		if (sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, set, NULL, NULL, &msg) != SQLITE_OK) {
			error_set(err, "%s: migrating history to version %d: %s", path, v + 1,
				  msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		error_set(err, "%s: migrating history: %s", path, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}
