/* Events: what hosts report that is not a number, one row each. They are
 * rare (a mod checker's verdict, a backup that failed), so each is its own
 * small transaction and the statements are prepared per call rather than
 * held open with the ingest path's. */
#include "store_private.h"

int store_event_add(struct store *s, const char *host, int64_t ts_ms, const char *severity,
		    const char *kind, const char *message, struct error *err)
{
	sqlite3_stmt *st;
	if (!host || !severity || !kind)
		return error_set(err, "%s: an event needs a host, a severity and a kind", s->path);
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO event(ts, host, severity, kind, message) "
			       "VALUES(?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "storing an event", err);
	sqlite3_bind_int64(st, 1, ts_ms);
	sqlite3_bind_text(st, 2, host, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, severity, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, message ? message : "", -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_sqlite_error(s, "storing an event", err);
	sqlite3_finalize(st);
	return rc;
}

static const char *text(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	return t ? t : "";
}

int store_events(struct store *s, int64_t since_ms, const char *host, int limit,
		 store_event_fn fn, void *arg, struct error *err)
{
	sqlite3_stmt *st;
	/* Newest first; id breaks ties so events of one second keep the order
	 * they arrived in (reversed). A negative LIMIT is no limit. */
	const char *sql = host ? "SELECT id, ts, host, severity, kind, message FROM event "
				 "WHERE host = ?2 AND ts >= ?1 ORDER BY ts DESC, id DESC LIMIT ?3"
			       : "SELECT id, ts, host, severity, kind, message FROM event "
				 "WHERE ts >= ?1 ORDER BY ts DESC, id DESC LIMIT ?3";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "reading events", err);
	sqlite3_bind_int64(st, 1, since_ms);
	if (host)
		sqlite3_bind_text(st, 2, host, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, limit > 0 ? limit : -1);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_event ev = {
			.id = sqlite3_column_int64(st, 0),
			.ts_ms = sqlite3_column_int64(st, 1),
			.host = text(st, 2),
			.severity = text(st, 3),
			.kind = text(st, 4),
			.message = text(st, 5),
		};
		fn(arg, &ev);
	}
	rc = rc == SQLITE_DONE ? 0 : store_sqlite_error(s, "reading events", err);
	sqlite3_finalize(st);
	return rc;
}
