/* The history store: open, series ids, batched ingest, queries. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_private.h"

#define DEFAULT_RAW_MS (48LL * HOUR_MS)
#define DEFAULT_1M_MS (30LL * 24 * HOUR_MS)
#define DEFAULT_1H_MS (2LL * 365 * 24 * HOUR_MS)
#define STORE_OPEN_WAIT_MS 10000

int store_sqlite_error(struct store *s, const char *what, struct error *err)
{
	s->last_code = sqlite3_extended_errcode(s->db);
	return error_set(err, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

int store_exec(struct store *s, const char *sql, struct error *err)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (err) /* not a ROLLBACK's after the error that matters */
			s->last_code = sqlite3_extended_errcode(s->db);
		error_set(err, "%s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int prepare(struct store *s, const char *sql, sqlite3_stmt **st, struct error *err)
{
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "preparing a statement", err);
	return 0;
}

static int64_t meta_get(struct store *s, const char *key)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key=?", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

int store_open(struct store **out, const char *path, const struct store_opts *opts,
	       struct error *err)
{
	struct store *s = xcalloc(1, sizeof *s);
	s->path = xstrdup(path);
	s->min_buffered_ts = INT64_MAX;
	if (opts)
		s->opts = *opts;
	if (!s->opts.retention_raw_ms)
		s->opts.retention_raw_ms = DEFAULT_RAW_MS;
	if (!s->opts.retention_1m_ms)
		s->opts.retention_1m_ms = DEFAULT_1M_MS;
	if (!s->opts.retention_1h_ms)
		s->opts.retention_1h_ms = DEFAULT_1H_MS;
	if (!s->opts.batch_max)
		s->opts.batch_max = 65536;
	if (!s->opts.backlog_max)
		s->opts.backlog_max = 1048576;
	if (s->opts.batch_max > s->opts.backlog_max)
		s->opts.batch_max = s->opts.backlog_max;
	*out = NULL;
	/* Processes opening one history at once (a console and `fleetop
	 * alerts` started together on a new file) take turns to set it up:
	 * switching a new file to WAL is not covered by the busy timeout. */
	int open_fd = -1;
	if (store_lock_wait(s, "open", STORE_OPEN_WAIT_MS, &open_fd, err) < 0) {
		store_close(s);
		return -1;
	}
	/* It holds host and player names and alert texts: 0600 whatever the
	 * umask (SQLite gives its -wal and -shm the file's mode). */
	if (*path && strcmp(path, ":memory:") && !str_starts_with(path, "file:")) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			if (fchmod(fd, 0600) < 0)
				log_warn("history %s: cannot make it 0600: %s", path, strerror(errno));
			close(fd);
		}
		store_files_private(path);
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		error_set(err, "cannot open history %s: %s", path,
			  s->db ? sqlite3_errmsg(s->db) : "out of memory");
		store_unlock(&open_fd);
		store_close(s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* The WAL stays when the last connection closes, so a process opening
	 * the file then never finds it half gone. */
	int persist = 1;
	sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	/* WAL: readers (fleetop history) never block the collector; NORMAL
	 * sync keeps every commit across a process crash (not a power cut). */
	int setup = store_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			       "PRAGMA foreign_keys=OFF; PRAGMA cache_size=-8192;"
			       /* Debian builds SQLite to zero deleted pages; pruning need not. */
			       "PRAGMA secure_delete=OFF;", err);
	if (setup == 0)
		setup = store_schema(s->db, path, err);
	store_unlock(&open_fd);
	if (setup < 0 ||
	    prepare(s, "INSERT INTO recent(max_ts, data) VALUES(?,?)", &s->ins_recent, err) < 0 ||
	    prepare(s, "INSERT INTO series(host, metric) VALUES(?,?)", &s->ins_series, err) < 0 ||
	    prepare(s, "SELECT id FROM series WHERE host=? AND metric=?", &s->sel_series, err) < 0 ||
	    prepare(s, "INSERT INTO chunk(minute, series, data) VALUES(?,?,?) "
		       "ON CONFLICT(minute, series) DO UPDATE SET data = data || excluded.data",
		    &s->upsert_chunk, err) < 0 ||
	    prepare(s, "INSERT INTO rollup_1m(minute, series, avg, min, max, n) VALUES(?,?,?,?,?,?) "
		       "ON CONFLICT(minute, series) DO UPDATE SET "
		       "avg = (avg * n + excluded.avg * excluded.n) / (n + excluded.n), "
		       "min = min(min, excluded.min), max = max(max, excluded.max), "
		       "n = n + excluded.n",
		    &s->upsert_1m, err) < 0 ||
	    prepare(s, "UPDATE meta SET value=? WHERE key=?", &s->set_meta, err) < 0) {
		store_close(s);
		return -1;
	}
	s->compacted_until = meta_get(s, "compacted_until");
	s->rolled_1h_until = meta_get(s, "rolled_1h_until");
	if (store_load_recent(s, err) < 0) {
		store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

static uint64_t hash_key(const char *host, const char *metric)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = host; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (const char *p = metric; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

static void cache_put(struct store *s, const char *host, const char *metric, int64_t id);

static void cache_grow(struct store *s)
{
	struct series_key *old = s->keys;
	size_t oldcap = s->capkeys;
	s->capkeys = oldcap ? oldcap * 2 : 1024;
	s->keys = xcalloc(s->capkeys, sizeof *s->keys);
	s->nkeys = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].host) {
			cache_put(s, old[i].host, old[i].metric, old[i].id);
			free(old[i].host);
			free(old[i].metric);
		}
	free(old);
}

static void cache_put(struct store *s, const char *host, const char *metric, int64_t id)
{
	if ((s->nkeys + 1) * 2 > s->capkeys)
		cache_grow(s);
	size_t i = hash_key(host, metric) & (s->capkeys - 1);
	while (s->keys[i].host)
		i = (i + 1) & (s->capkeys - 1);
	s->keys[i].host = xstrdup(host);
	s->keys[i].metric = xstrdup(metric);
	s->keys[i].id = id;
	s->nkeys++;
}

static int64_t cache_get(const struct store *s, const char *host, const char *metric)
{
	if (!s->capkeys)
		return -1;
	size_t i = hash_key(host, metric) & (s->capkeys - 1);
	while (s->keys[i].host) {
		if (!strcmp(s->keys[i].host, host) && !strcmp(s->keys[i].metric, metric))
			return s->keys[i].id;
		i = (i + 1) & (s->capkeys - 1);
	}
	return -1;
}

static int64_t series_lookup(struct store *s, const char *host, const char *metric)
{
	sqlite3_stmt *st = s->sel_series;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
	int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	return id;
}

int64_t store_series(struct store *s, const char *host, const char *metric, struct error *err)
{
	int64_t id = cache_get(s, host, metric);
	if (id >= 0)
		return id;
	id = series_lookup(s, host, metric);
	if (id < 0) {
		/* Its sample cannot wait without an id: it is dropped, and
		 * counted, while the history cannot be written. */
		int64_t now = time_wall_ms();
		if (!store_may_try(s, now)) {
			s->dropped_total++;
			s->dropped_outage++;
			return error_set(err, "%s", s->fail_msg);
		}
		sqlite3_stmt *st = s->ins_series;
		sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			int code = sqlite3_extended_errcode(s->db);
			store_sqlite_error(s, "adding a series", err);
			store_fail(s, now, code, err ? err->msg : sqlite3_errmsg(s->db));
			s->dropped_total++;
			s->dropped_outage++;
			return -1;
		}
		id = sqlite3_last_insert_rowid(s->db);
	}
	cache_put(s, host, metric, id);
	return id;
}

int store_add(struct store *s, int64_t series, int64_t ts_ms, double value, struct error *err)
{
	if (!isfinite(value))
		return error_set(err, "series %lld: value is not a finite number", (long long)series);
	store_backlog_make_room(s);
	if (s->nbatch == s->capbatch) {
		s->capbatch = s->capbatch ? s->capbatch * 2 : 4096;
		if (s->capbatch > s->opts.backlog_max)
			s->capbatch = s->opts.backlog_max;
		s->batch = xrealloc(s->batch, s->capbatch * sizeof *s->batch);
	}
	s->batch[s->nbatch++] = (struct sample){ series, ts_ms, value };
	/* While the history cannot be written, the flush timer retries (with
	 * backoff), not every sample. What a failure means is in store_health. */
	if (s->nbatch >= s->opts.batch_max && s->state == STORE_OK)
		store_flush(s, NULL);
	return 0;
}

int store_flush(struct store *s, struct error *err)
{
	return store_flush_at(s, time_wall_ms(), err);
}

static int flush_write(struct store *s, int64_t now_ms, bool *behind, struct error *err);

int store_flush_at(struct store *s, int64_t now_ms, struct error *err)
{
	if (!store_may_try(s, now_ms))
		return error_set(err, "%s: %s (next try in %llds)", s->path, s->fail_msg,
				 (long long)((s->retry_at_ms - now_ms + 999) / 1000));
	struct error local;
	if (!err)
		err = &local;
	bool behind = false;
	s->last_code = 0;
	int n = flush_write(s, now_ms, &behind, err);
	if (n < 0 || behind)
		store_fail(s, now_ms, s->last_code, err->msg);
	else
		store_recover(s, now_ms);
	return n;
}

/* The write of store_flush_at; samples committed are counted even when
 * the compaction after fails (it is tried again at the next flush). */
static int flush_write(struct store *s, int64_t now_ms, bool *behind, struct error *err)
{
	size_t n = s->nbatch;
	if (n == 0)
		return store_compact(s, now_ms, err) < 0 ? -1 : 0;
	/* Samples of minutes already compacted go straight to their chunks;
	 * the rest is one packed row. */
	size_t nlate = 0;
	for (size_t i = 0; i < n; i++)
		if (s->batch[i].ts < s->compacted_until) {
			struct sample t = s->batch[nlate];
			s->batch[nlate++] = s->batch[i];
			s->batch[i] = t;
		}
	if (store_exec(s, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	if (nlate && store_write_late(s, s->batch, nlate, err) < 0) {
		store_exec(s, "ROLLBACK", NULL);
		return -1;
	}
	if (n > nlate) {
		struct buf packed = { 0 };
		int64_t max_ts;
		batch_encode(s->batch + nlate, n - nlate, &packed, &max_ts);
		sqlite3_stmt *st = s->ins_recent;
		sqlite3_bind_int64(st, 1, max_ts);
		sqlite3_bind_blob(st, 2, packed.data, (int)packed.len, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		buf_free(&packed);
		if (rc != SQLITE_DONE) {
			store_sqlite_error(s, "storing samples", err);
			store_exec(s, "ROLLBACK", NULL);
			return -1; /* the batch stays pending for the next try */
		}
	}
	if (store_exec(s, "COMMIT", err) < 0) {
		store_exec(s, "ROLLBACK", NULL);
		return -1;
	}
	for (size_t i = nlate; i < n; i++)
		store_buf_add(s, s->batch[i].series, s->batch[i].ts, s->batch[i].value);
	s->nbatch = 0;
	s->committed_total += (int64_t)n;
	/* Stored all the same when compaction fails; the state says so. */
	*behind = store_compact(s, now_ms, err) < 0;
	return (int)n;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->db) {
		/* A last try, backoff or not; what cannot be written is lost,
		 * and said so. */
		s->last_try_ms = s->retry_at_ms = 0;
		struct error err;
		size_t n = s->nbatch;
		if (n && store_flush(s, &err) < 0)
			log_error("history %s: %zu samples not stored at exit: %s", s->path, n,
				  s->fail_msg);
		sqlite3_stmt *sts[] = { s->ins_recent, s->ins_series, s->sel_series, s->upsert_chunk,
					s->upsert_1m, s->set_meta };
		for (size_t i = 0; i < sizeof sts / sizeof sts[0]; i++)
			sqlite3_finalize(sts[i]);
		sqlite3_close(s->db);
	}
	for (size_t i = 0; i < s->capkeys; i++) {
		free(s->keys[i].host);
		free(s->keys[i].metric);
	}
	free(s->keys);
	for (size_t i = 0; i < s->nbufs; i++)
		free(s->bufs[i].v);
	free(s->bufs);
	free(s->batch);
	free(s->path);
	free(s);
}

/* Queries. */

static void points_push(struct store_point **pts, size_t *n, size_t *cap, struct store_point p)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*pts = xrealloc(*pts, *cap * sizeof **pts);
	}
	(*pts)[(*n)++] = p;
}

static int cmp_point(const void *a, const void *b)
{
	const struct store_point *x = a, *y = b;
	return (x->ts_ms > y->ts_ms) - (x->ts_ms < y->ts_ms);
}

static int query_raw(struct store *s, int64_t series, int64_t from, int64_t to,
		     struct store_point **pts, size_t *n, size_t *cap, struct error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db,
			       "SELECT minute, data FROM chunk WHERE minute >= ? AND minute <= ? "
			       "AND series = ?", -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "reading history", err);
	sqlite3_bind_int64(st, 1, from - from % MINUTE_MS);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, series);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct sample *v = NULL;
		size_t nv = 0;
		if (chunk_decode(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1),
				 sqlite3_column_int64(st, 0), &v, &nv) < 0)
			continue; /* a damaged chunk costs its minute, not the query */
		for (size_t i = 0; i < nv; i++)
			if (v[i].ts >= from && v[i].ts <= to)
				points_push(pts, n, cap, (struct store_point){ v[i].ts, v[i].value,
									 v[i].value, v[i].value });
		free(v);
	}
	sqlite3_finalize(st);
	/* Not yet compacted: held in memory (loaded from `recent` at open), so
	 * reading the live minutes costs this series' samples only. */
	if (series >= 0 && (size_t)series < s->nbufs) {
		const struct series_buf *b = &s->bufs[series];
		for (size_t i = 0; i < b->n; i++)
			if (b->v[i].ts >= from && b->v[i].ts <= to)
				points_push(pts, n, cap, (struct store_point){ b->v[i].ts, b->v[i].value,
									 b->v[i].value, b->v[i].value });
	}
	return 0;
}

static int query_rollup(struct store *s, const char *table, const char *col, int64_t series,
			int64_t from, int64_t to, struct store_point **pts, size_t *n, size_t *cap,
			struct error *err)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT %s, avg, min, max FROM %s WHERE %s >= ? AND %s <= ? "
		 "AND series = ?", col, table, col, col);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "reading history", err);
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, series);
	while (sqlite3_step(st) == SQLITE_ROW)
		points_push(pts, n, cap, (struct store_point){ sqlite3_column_int64(st, 0),
							 sqlite3_column_double(st, 1),
							 sqlite3_column_double(st, 2),
							 sqlite3_column_double(st, 3) });
	sqlite3_finalize(st);
	return 0;
}

int store_query(struct store *s, const char *host, const char *metric, int64_t from_ms,
		int64_t to_ms, enum store_tier tier, struct store_point **out, size_t *n,
		struct error *err)
{
	*out = NULL;
	*n = 0;
	int64_t series = cache_get(s, host, metric);
	if (series < 0)
		series = series_lookup(s, host, metric);
	if (series < 0)
		return 0;
	if (tier == STORE_AUTO) {
		int64_t now = time_wall_ms(), span = to_ms - from_ms;
		/* The finest tier that still holds `from`, and not more points
		 * than a screen can use. */
		if (from_ms >= now - s->opts.retention_raw_ms && span <= 2 * HOUR_MS)
			tier = STORE_RAW;
		else if (from_ms >= now - s->opts.retention_1m_ms && span <= 7 * 24 * HOUR_MS)
			tier = STORE_1M;
		else
			tier = STORE_1H;
	}
	size_t cap = 0;
	int rc;
	if (tier == STORE_RAW)
		rc = query_raw(s, series, from_ms, to_ms, out, n, &cap, err);
	else if (tier == STORE_1M)
		rc = query_rollup(s, "rollup_1m", "minute", series, from_ms, to_ms, out, n, &cap, err);
	else
		rc = query_rollup(s, "rollup_1h", "hour", series, from_ms, to_ms, out, n, &cap, err);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		return -1;
	}
	if (*n > 1)
		qsort(*out, *n, sizeof **out, cmp_point);
	/* The same time stamp twice (a re-sent sample): the last one wins. */
	size_t w = 0;
	for (size_t i = 0; i < *n; i++) {
		if (w > 0 && (*out)[w - 1].ts_ms == (*out)[i].ts_ms)
			w--;
		(*out)[w++] = (*out)[i];
	}
	*n = w;
	return 0;
}

int store_metrics(struct store *s, const char *host, char ***names, size_t *n, struct error *err)
{
	sqlite3_stmt *st;
	*names = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT metric FROM series WHERE host = ? ORDER BY metric", -1,
			       &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "listing metrics", err);
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	size_t cap = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			*names = xrealloc(*names, cap * sizeof **names);
		}
		(*names)[(*n)++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return 0;
}

static int64_t count_rows(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

int store_stats(struct store *s, struct store_stats *st, struct error *err)
{
	memset(st, 0, sizeof *st);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(s->db, "SELECT data FROM recent", -1, &q, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "counting samples", err);
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct sample *v;
		size_t n;
		if (batch_decode(sqlite3_column_blob(q, 0), (size_t)sqlite3_column_bytes(q, 0), &v,
				 &n) == 0) {
			for (size_t i = 0; i < n; i++)
				st->samples_raw += v[i].ts >= s->compacted_until;
			free(v);
		}
	}
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(s->db, "SELECT minute, data FROM chunk", -1, &q, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "counting samples", err);
	while (sqlite3_step(q) == SQLITE_ROW) {
		struct sample *v;
		size_t n;
		if (chunk_decode(sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1),
				 sqlite3_column_int64(q, 0), &v, &n) == 0) {
			st->samples_raw += (int64_t)n;
			free(v);
		}
	}
	sqlite3_finalize(q);
	st->rows_1m = count_rows(s, "SELECT count(*) FROM rollup_1m");
	st->rows_1h = count_rows(s, "SELECT count(*) FROM rollup_1h");
	st->series = count_rows(s, "SELECT count(*) FROM series");
	st->committed_total = s->committed_total;
	return 0;
}
