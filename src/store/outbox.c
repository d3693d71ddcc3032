/* The outbox: notifications waiting to be sent. A row is added once per
 * idempotency key and stays "pending" until its send is confirmed, so after
 * a crash (even kill -9: every write here is its own committed transaction,
 * and the WAL outlives the process) exactly the unconfirmed rows go out
 * again, with the same key. Rows are few and writes rare, so statements are
 * prepared per call, as events.c does. */
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

static int prepare(struct store *s, const char *sql, sqlite3_stmt **st, const char *what,
		   struct error *err)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, what, err);
	return 0;
}

/* Steps a write statement to its end and finalizes it. */
static int finish(struct store *s, sqlite3_stmt *st, const char *what, struct error *err)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : store_sqlite_error(s, what, err);
	sqlite3_finalize(st);
	return rc;
}

int store_outbox_add(struct store *s, const char *key, const char *receiver, const char *body,
		     int64_t now_ms, struct error *err)
{
	sqlite3_stmt *st;
	if (!key || !*key || !receiver || !*receiver || !body)
		return error_set(err, "%s: an outbox row needs a key, a receiver and a body", s->path);
	if (prepare(s, "INSERT OR IGNORE INTO outbox(key, receiver, body, created, next_try) "
		       "VALUES(?,?,?,?,?)", &st, "adding to the outbox", err) < 0)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, receiver, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, body, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now_ms);
	sqlite3_bind_int64(st, 5, now_ms);
	if (finish(s, st, "adding to the outbox", err) < 0)
		return -1;
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
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

#define COLUMNS "id, key, receiver, body, state, created, next_try, done, tries, last_error"

/* Runs a SELECT of COLUMNS, handing each row to fn. */
static int each_row(struct store *s, sqlite3_stmt *st, store_outbox_fn fn, void *arg,
		    const char *what, struct error *err)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_outbox o = {
			.id = sqlite3_column_int64(st, 0),
			.key = text(st, 1),
			.receiver = text(st, 2),
			.body = text(st, 3),
			.state = text(st, 4),
			.created_ms = sqlite3_column_int64(st, 5),
			.next_try_ms = sqlite3_column_int64(st, 6),
			.done_ms = sqlite3_column_int64(st, 7),
			.tries = sqlite3_column_int(st, 8),
			.last_error = text_or_null(st, 9),
		};
		fn(arg, &o);
	}
	rc = rc == SQLITE_DONE ? 0 : store_sqlite_error(s, what, err);
	sqlite3_finalize(st);
	return rc;
}

int store_outbox_due(struct store *s, int64_t now_ms, int limit, store_outbox_fn fn, void *arg,
		     struct error *err)
{
	sqlite3_stmt *st;
	/* By due time, then by id: a row retried later does not jump ahead of
	 * rows that were due before it. The outbox_due index serves both. */
	if (prepare(s, "SELECT " COLUMNS " FROM outbox WHERE state = 'pending' AND next_try <= ? "
		       "ORDER BY next_try, id LIMIT ?", &st, "reading the outbox", err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, limit > 0 ? limit : -1);
	return each_row(s, st, fn, arg, "reading the outbox", err);
}

int64_t store_outbox_next(struct store *s, struct error *err)
{
	sqlite3_stmt *st;
	if (prepare(s, "SELECT min(next_try) FROM outbox WHERE state = 'pending'", &st,
		    "reading the outbox", err) < 0)
		return INT64_MAX;
	int64_t next = INT64_MAX;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		next = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_ROW)
		store_sqlite_error(s, "reading the outbox", err);
	sqlite3_finalize(st);
	return next;
}

/* Every outcome counts a try; only a pending row changes, so a late
 * outcome can never undo a confirmation. */
int store_outbox_sent(struct store *s, int64_t id, int64_t now_ms, struct error *err)
{
	sqlite3_stmt *st;
	if (prepare(s, "UPDATE outbox SET state = 'sent', done = ?, tries = tries + 1 "
		       "WHERE id = ? AND state = 'pending'", &st, "confirming a notification", err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_int64(st, 2, id);
	return finish(s, st, "confirming a notification", err);
}

int store_outbox_retry(struct store *s, int64_t id, int64_t next_try_ms, const char *error,
		       struct error *err)
{
	sqlite3_stmt *st;
	if (prepare(s, "UPDATE outbox SET next_try = ?, tries = tries + 1, last_error = ? "
		       "WHERE id = ? AND state = 'pending'", &st, "scheduling a retry", err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, next_try_ms);
	if (error)
		sqlite3_bind_text(st, 2, error, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_int64(st, 3, id);
	return finish(s, st, "scheduling a retry", err);
}

int store_outbox_failed(struct store *s, int64_t id, int64_t now_ms, const char *error,
			struct error *err)
{
	sqlite3_stmt *st;
	if (prepare(s, "UPDATE outbox SET state = 'failed', done = ?, tries = tries + 1, "
		       "last_error = ? WHERE id = ? AND state = 'pending'", &st,
		    "giving up a notification", err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, now_ms);
	sqlite3_bind_text(st, 2, error ? error : "failed", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, id);
	return finish(s, st, "giving up a notification", err);
}

int store_outbox_list(struct store *s, const char *state, int limit, store_outbox_fn fn,
		      void *arg, struct error *err)
{
	sqlite3_stmt *st;
	const char *sql = state ? "SELECT " COLUMNS " FROM outbox WHERE state = ?2 "
				  "ORDER BY id DESC LIMIT ?1"
				: "SELECT " COLUMNS " FROM outbox ORDER BY id DESC LIMIT ?1";
	if (prepare(s, sql, &st, "listing the outbox", err) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
	if (state)
		sqlite3_bind_text(st, 2, state, -1, SQLITE_TRANSIENT);
	return each_row(s, st, fn, arg, "listing the outbox", err);
}
