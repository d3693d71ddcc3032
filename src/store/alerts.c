/* Alerting's tables: alerts (one row from pending to resolved), the audit
 * log of every transition, acknowledgement and notification, silences and
 * maintenance windows, and what each notification group last sent. The
 * alert engine writes them once a tick inside one transaction; `fleetop
 * alerts` writes acks and silences from another process, which the engine
 * notices through PRAGMA data_version. Rows are few, so statements are
 * prepared per call. */
#include <stdio.h>
#include <string.h>

#include "store_private.h"

int store_tx_begin(struct store *s, struct error *err)
{
	return store_exec(s, "BEGIN IMMEDIATE", err);
}

int store_tx_commit(struct store *s, struct error *err)
{
	if (store_exec(s, "COMMIT", err) < 0) {
		store_exec(s, "ROLLBACK", NULL);
		return -1;
	}
	return 0;
}

void store_tx_rollback(struct store *s)
{
	store_exec(s, "ROLLBACK", NULL);
}

bool store_changed_elsewhere(struct store *s)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	if (sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	bool changed = s->data_version != 0 && v != s->data_version;
	s->data_version = v;
	return changed;
}

static const char *text_or_null(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

static const char *text(sqlite3_stmt *st, int col)
{
	const char *t = text_or_null(st, col);
	return t ? t : "";
}

static void bind_text(sqlite3_stmt *st, int col, const char *v)
{
	if (v)
		sqlite3_bind_text(st, col, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, col);
}

static void bind_time(sqlite3_stmt *st, int col, int64_t ms)
{
	if (ms)
		sqlite3_bind_int64(st, col, ms);
	else
		sqlite3_bind_null(st, col);
}

/* Runs a prepared write to its end. */
static int step_done(struct store *s, sqlite3_stmt *st, const char *what, struct error *err)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_sqlite_error(s, what, err);
	sqlite3_finalize(st);
	return rc;
}

int64_t store_alert_insert(struct store *s, const struct store_alert *a, struct error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO alert(fingerprint, rule, host, severity, state, labels,"
			       " summary, runbook, value, group_key, started, fired, resolved, updated)"
			       " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "storing an alert", err);
	bind_text(st, 1, a->fingerprint);
	bind_text(st, 2, a->rule);
	bind_text(st, 3, a->host);
	bind_text(st, 4, a->severity);
	bind_text(st, 5, a->state);
	bind_text(st, 6, a->labels ? a->labels : "{}");
	bind_text(st, 7, a->summary ? a->summary : "");
	bind_text(st, 8, a->runbook);
	sqlite3_bind_double(st, 9, a->value);
	bind_text(st, 10, a->group_key ? a->group_key : "");
	sqlite3_bind_int64(st, 11, a->started_ms);
	bind_time(st, 12, a->fired_ms);
	bind_time(st, 13, a->resolved_ms);
	sqlite3_bind_int64(st, 14, a->updated_ms);
	if (step_done(s, st, "storing an alert", err) < 0)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

int store_alert_update(struct store *s, const struct store_alert *a, struct error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE alert SET state=?2, value=?3, summary=?4, fired=?5, resolved=?6,"
			       " updated=?7, group_key=?8, severity=?9, muted=?10,"
			       " labels=coalesce(?11, labels), runbook=coalesce(?12, runbook)"
			       " WHERE id=?1", -1, &st,
			       NULL) != SQLITE_OK)
		return store_sqlite_error(s, "updating an alert", err);
	sqlite3_bind_int64(st, 1, a->id);
	bind_text(st, 2, a->state);
	sqlite3_bind_double(st, 3, a->value);
	bind_text(st, 4, a->summary ? a->summary : "");
	bind_time(st, 5, a->fired_ms);
	bind_time(st, 6, a->resolved_ms);
	sqlite3_bind_int64(st, 7, a->updated_ms);
	bind_text(st, 8, a->group_key ? a->group_key : "");
	bind_text(st, 9, a->severity);
	sqlite3_bind_int(st, 10, (int)a->muted);
	bind_text(st, 11, a->labels);
	bind_text(st, 12, a->runbook);
	return step_done(s, st, "updating an alert", err);
}

int store_alert_ack(struct store *s, int64_t id, const char *who, const char *comment,
		    int64_t now_ms, struct error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "UPDATE alert SET acked_by=?2, ack_comment=?3, acked_at=?4 WHERE id=?1",
			       -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "acknowledging an alert", err);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, who);
	bind_text(st, 3, who ? comment : NULL);
	bind_time(st, 4, who ? now_ms : 0);
	return step_done(s, st, "acknowledging an alert", err);
}

#define ALERT_COLUMNS \
	"id, fingerprint, rule, host, severity, state, labels, summary, runbook, value," \
	" group_key, started, fired, resolved, updated, acked_by, ack_comment, acked_at, muted"

static void alert_row(sqlite3_stmt *st, struct store_alert *a)
{
	*a = (struct store_alert){
		.id = sqlite3_column_int64(st, 0),
		.fingerprint = text(st, 1),
		.rule = text(st, 2),
		.host = text(st, 3),
		.severity = text(st, 4),
		.state = text(st, 5),
		.labels = text(st, 6),
		.summary = text(st, 7),
		.runbook = text_or_null(st, 8),
		.value = sqlite3_column_double(st, 9),
		.group_key = text(st, 10),
		.started_ms = sqlite3_column_int64(st, 11),
		.fired_ms = sqlite3_column_int64(st, 12),
		.resolved_ms = sqlite3_column_int64(st, 13),
		.updated_ms = sqlite3_column_int64(st, 14),
		.acked_by = text_or_null(st, 15),
		.ack_comment = text_or_null(st, 16),
		.acked_ms = sqlite3_column_int64(st, 17),
		.muted = (unsigned)sqlite3_column_int(st, 18),
	};
}

int store_alerts(struct store *s, bool open_only, int64_t since_ms, int limit,
		 store_alert_fn fn, void *arg, struct error *err)
{
	sqlite3_stmt *st;
	const char *sql = open_only
		? "SELECT " ALERT_COLUMNS " FROM alert WHERE state != 'resolved'"
		  " ORDER BY started DESC, id DESC LIMIT ?2"
		: "SELECT " ALERT_COLUMNS " FROM alert WHERE started >= ?1 OR resolved >= ?1"
		  " OR state != 'resolved' ORDER BY started DESC, id DESC LIMIT ?2";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "reading alerts", err);
	if (!open_only)
		sqlite3_bind_int64(st, 1, since_ms);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_alert a;
		alert_row(st, &a);
		fn(arg, &a);
	}
	rc = rc == SQLITE_DONE ? 0 : store_sqlite_error(s, "reading alerts", err);
	sqlite3_finalize(st);
	return rc;
}

int store_alert_get(struct store *s, int64_t id, store_alert_fn fn, void *arg,
		    struct error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT " ALERT_COLUMNS " FROM alert WHERE id = ?1", -1, &st,
			       NULL) != SQLITE_OK)
		return store_sqlite_error(s, "reading an alert", err);
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st), found = 0;
	if (rc == SQLITE_ROW) {
		struct store_alert a;
		alert_row(st, &a);
		fn(arg, &a);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		found = store_sqlite_error(s, "reading an alert", err);
	}
	sqlite3_finalize(st);
	return found;
}

int store_alert_log(struct store *s, int64_t ts_ms, int64_t alert_id, const char *what,
		    const char *who, const char *detail, struct error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO alert_log(ts, alert, what, who, detail) VALUES(?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "logging an alert change", err);
	sqlite3_bind_int64(st, 1, ts_ms);
	bind_time(st, 2, alert_id);
	bind_text(st, 3, what);
	bind_text(st, 4, who);
	bind_text(st, 5, detail);
	return step_done(s, st, "logging an alert change", err);
}

int store_alert_logs(struct store *s, int64_t since_ms, int64_t alert_id,
		     store_alert_log_fn fn, void *arg, struct error *err)
{
	sqlite3_stmt *st;
	const char *sql =
		"SELECT l.id, l.ts, l.alert, l.what, l.who, l.detail, a.rule, a.host"
		" FROM alert_log l LEFT JOIN alert a ON a.id = l.alert"
		" WHERE l.ts >= ?1 AND (?2 = 0 OR l.alert = ?2) ORDER BY l.ts, l.id";
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "reading the alert log", err);
	sqlite3_bind_int64(st, 1, since_ms);
	sqlite3_bind_int64(st, 2, alert_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_alert_log l = {
			.id = sqlite3_column_int64(st, 0),
			.ts_ms = sqlite3_column_int64(st, 1),
			.alert_id = sqlite3_column_int64(st, 2),
			.what = text(st, 3),
			.who = text_or_null(st, 4),
			.detail = text_or_null(st, 5),
			.rule = text_or_null(st, 6),
			.host = text_or_null(st, 7),
		};
		fn(arg, &l);
	}
	rc = rc == SQLITE_DONE ? 0 : store_sqlite_error(s, "reading the alert log", err);
	sqlite3_finalize(st);
	return rc;
}

static const char *mute_table(enum store_mute_kind kind)
{
	return kind == STORE_SILENCE ? "silence" : "maintenance";
}

int64_t store_mute_add(struct store *s, enum store_mute_kind kind, const char *what,
		       int64_t starts_ms, int64_t ends_ms, const char *who, const char *comment,
		       int64_t now_ms, struct error *err)
{
	sqlite3_stmt *st;
	char sql[160];
	snprintf(sql, sizeof sql,
		 "INSERT INTO %s(%s, starts, ends, created_by, comment, created)"
		 " VALUES(?,?,?,?,?,?)", mute_table(kind),
		 kind == STORE_SILENCE ? "matchers" : "hosts");
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "storing a silence", err);
	bind_text(st, 1, what);
	sqlite3_bind_int64(st, 2, starts_ms);
	sqlite3_bind_int64(st, 3, ends_ms);
	bind_text(st, 4, who ? who : "");
	bind_text(st, 5, comment);
	sqlite3_bind_int64(st, 6, now_ms);
	if (step_done(s, st, "storing a silence", err) < 0)
		return -1;
	return sqlite3_last_insert_rowid(s->db);
}

int store_mute_end(struct store *s, enum store_mute_kind kind, int64_t id, int64_t now_ms,
		   struct error *err)
{
	sqlite3_stmt *st;
	char sql[128];
	snprintf(sql, sizeof sql, "UPDATE %s SET ends = ?2 WHERE id = ?1 AND ends > ?2",
		 mute_table(kind));
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "ending a silence", err);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	if (step_done(s, st, "ending a silence", err) < 0)
		return -1;
	return sqlite3_changes(s->db) > 0;
}

int store_mutes(struct store *s, enum store_mute_kind kind, int64_t now_ms, store_mute_fn fn,
		void *arg, struct error *err)
{
	sqlite3_stmt *st;
	char sql[200];
	snprintf(sql, sizeof sql,
		 "SELECT id, %s, starts, ends, created_by, comment, created FROM %s"
		 " WHERE ends > ?1 ORDER BY starts, id",
		 kind == STORE_SILENCE ? "matchers" : "hosts", mute_table(kind));
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "reading silences", err);
	sqlite3_bind_int64(st, 1, now_ms);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_mute m = {
			.id = sqlite3_column_int64(st, 0),
			.kind = kind,
			.what = text(st, 1),
			.starts_ms = sqlite3_column_int64(st, 2),
			.ends_ms = sqlite3_column_int64(st, 3),
			.created_by = text(st, 4),
			.comment = text_or_null(st, 5),
			.created_ms = sqlite3_column_int64(st, 6),
		};
		fn(arg, &m);
	}
	rc = rc == SQLITE_DONE ? 0 : store_sqlite_error(s, "reading silences", err);
	sqlite3_finalize(st);
	return rc;
}

int store_group_put(struct store *s, const struct store_group *g, struct error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "INSERT OR REPLACE INTO alert_group(key, policy, first_fired,"
			       " last_notified, last_digest, step, seq) VALUES(?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "storing a notification group", err);
	bind_text(st, 1, g->key);
	bind_text(st, 2, g->policy);
	sqlite3_bind_int64(st, 3, g->first_fired_ms);
	sqlite3_bind_int64(st, 4, g->last_notified_ms);
	bind_text(st, 5, g->last_digest ? g->last_digest : "");
	sqlite3_bind_int(st, 6, g->step);
	sqlite3_bind_int64(st, 7, g->seq);
	return step_done(s, st, "storing a notification group", err);
}

int store_group_del(struct store *s, const char *key, const char *policy, struct error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM alert_group WHERE key = ?1 AND policy = ?2", -1,
			       &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "removing a notification group", err);
	bind_text(st, 1, key);
	bind_text(st, 2, policy);
	return step_done(s, st, "removing a notification group", err);
}

int store_groups(struct store *s, store_group_fn fn, void *arg, struct error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT key, policy, first_fired, last_notified, last_digest, step, seq"
			       " FROM alert_group", -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "reading notification groups", err);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_group g = {
			.key = text(st, 0),
			.policy = text(st, 1),
			.first_fired_ms = sqlite3_column_int64(st, 2),
			.last_notified_ms = sqlite3_column_int64(st, 3),
			.last_digest = text(st, 4),
			.step = sqlite3_column_int(st, 5),
			.seq = sqlite3_column_int64(st, 6),
		};
		fn(arg, &g);
	}
	rc = rc == SQLITE_DONE ? 0 : store_sqlite_error(s, "reading notification groups", err);
	sqlite3_finalize(st);
	return rc;
}
