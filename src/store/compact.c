/* Compaction: once a minute has ended, its samples move from the batches in
 * `recent` into one packed chunk per series, with that minute's rollup, and
 * each ended hour is rolled up from its minutes. Each compaction is one
 * transaction that also advances compacted_until, so after a crash a
 * sample counts in `recent` (ts >= compacted_until) or in a chunk, never
 * both; at open, what `recent` holds past that mark is read into memory. */
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

/* Chunk codec: records of uvarint(ms since the minute) + 8-byte double.
 * Records concatenate, so late samples append to a stored chunk. */
void chunk_encode(const struct sample *v, size_t n, int64_t minute, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t off = (uint64_t)(v[i].ts - minute);
		unsigned char rec[16];
		size_t k = 0;
		do {
			rec[k++] = (unsigned char)((off & 0x7f) | (off > 0x7f ? 0x80 : 0));
			off >>= 7;
		} while (off);
		memcpy(rec + k, &v[i].value, 8);
		buf_append(out, rec, k + 8);
	}
}

int chunk_decode(const void *data, size_t len, int64_t minute, struct sample **out, size_t *n)
{
	const unsigned char *p = data, *end = p + len;
	size_t cap = len / 9 + 1;
	*out = xmalloc(cap * sizeof **out);
	*n = 0;
	while (p < end) {
		uint64_t off = 0;
		int shift = 0;
		while (p < end && (*p & 0x80) && shift < 28) {
			off |= (uint64_t)(*p++ & 0x7f) << shift;
			shift += 7;
		}
		if (p >= end || (*p & 0x80))
			goto bad;
		off |= (uint64_t)*p++ << shift;
		if (end - p < 8 || off >= (uint64_t)MINUTE_MS)
			goto bad;
		double v;
		memcpy(&v, p, 8);
		p += 8;
		if (*n == cap)
			*out = xrealloc(*out, (cap *= 2) * sizeof **out);
		(*out)[(*n)++] = (struct sample){ 0, minute + (int64_t)off, v };
	}
	return 0;
bad:
	free(*out);
	*out = NULL;
	*n = 0;
	return -1;
}

void store_buf_add(struct store *s, int64_t series, int64_t ts, double value)
{
	if (series < 0)
		return;
	if ((size_t)series >= s->nbufs) {
		size_t n = s->nbufs ? s->nbufs : 1024;
		while (n <= (size_t)series)
			n *= 2;
		s->bufs = xrealloc(s->bufs, n * sizeof *s->bufs);
		memset(s->bufs + s->nbufs, 0, (n - s->nbufs) * sizeof *s->bufs);
		s->nbufs = n;
	}
	struct series_buf *b = &s->bufs[series];
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->v = xrealloc(b->v, b->cap * sizeof *b->v);
	}
	b->id = series;
	b->v[b->n++] = (struct sample){ series, ts, value };
	if (ts < s->min_buffered_ts)
		s->min_buffered_ts = ts;
}

static void put_uvarint(struct buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t k = 0;
	do {
		tmp[k++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	buf_append(b, tmp, k);
}

static int get_uvarint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		unsigned char c = *(*p)++;
		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

void batch_encode(const struct sample *v, size_t n, struct buf *out, int64_t *max_ts)
{
	int64_t base = n ? v[0].ts : 0, mx = INT64_MIN;
	buf_append(out, &base, 8);
	for (size_t i = 0; i < n; i++) {
		put_uvarint(out, (uint64_t)v[i].series);
		int64_t d = (int64_t)((uint64_t)v[i].ts - (uint64_t)base);
		put_uvarint(out, ((uint64_t)d << 1) ^ (uint64_t)(d >> 63)); /* zigzag */
		buf_append(out, &v[i].value, 8);
		if (v[i].ts > mx)
			mx = v[i].ts;
	}
	*max_ts = mx;
}

int batch_decode(const void *data, size_t len, struct sample **out, size_t *n)
{
	const unsigned char *p = data, *end = p + len;
	*out = NULL;
	*n = 0;
	if (len < 8)
		return -1;
	int64_t base;
	memcpy(&base, p, 8);
	p += 8;
	size_t cap = (len - 8) / 10 + 1;
	*out = xmalloc(cap * sizeof **out);
	while (p < end) {
		uint64_t series, zz;
		if (get_uvarint(&p, end, &series) < 0 || get_uvarint(&p, end, &zz) < 0 ||
		    end - p < 8 || series > INT64_MAX) {
			free(*out);
			*out = NULL;
			*n = 0;
			return -1;
		}
		int64_t d = (int64_t)(zz >> 1) ^ -(int64_t)(zz & 1);
		double v;
		memcpy(&v, p, 8);
		p += 8;
		if (*n == cap)
			*out = xrealloc(*out, (cap *= 2) * sizeof **out);
		/* Wrapping add: a damaged blob may hold any bits. */
		int64_t ts = (int64_t)((uint64_t)base + (uint64_t)d);
		(*out)[(*n)++] = (struct sample){ (int64_t)series, ts, v };
	}
	return 0;
}

int store_load_recent(struct store *s, struct error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "SELECT data FROM recent ORDER BY id", -1, &st, NULL) !=
	    SQLITE_OK)
		return store_sqlite_error(s, "reading recent samples", err);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct sample *v;
		size_t n;
		if (batch_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &v,
				 &n) < 0) {
			log_warn("%s: skipped a damaged batch of recent samples", s->path);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if (v[i].ts >= s->compacted_until) /* older ones are in chunks */
				store_buf_add(s, v[i].series, v[i].ts, v[i].value);
		free(v);
	}
	sqlite3_finalize(st);
	return 0;
}

static int cmp_ts(const void *a, const void *b)
{
	const struct sample *x = a, *y = b;
	return (x->ts > y->ts) - (x->ts < y->ts);
}

static int bind_step(struct store *s, sqlite3_stmt *st, const char *what, struct error *err)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_sqlite_error(s, what, err);
	return 0;
}

static int set_meta(struct store *s, const char *key, int64_t v, struct error *err)
{
	sqlite3_bind_int64(s->set_meta, 1, v);
	sqlite3_bind_text(s->set_meta, 2, key, -1, SQLITE_STATIC);
	return bind_step(s, s->set_meta, "updating meta", err);
}

static int exec_range(struct store *s, const char *sql, int64_t a, int64_t b, int64_t c,
		      struct error *err)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_error(s, "preparing a rollup", err);
	int n = sqlite3_bind_parameter_count(st);
	sqlite3_bind_int64(st, 1, a);
	if (n >= 2)
		sqlite3_bind_int64(st, 2, b);
	if (n >= 3)
		sqlite3_bind_int64(st, 3, c);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_sqlite_error(s, "rolling up", err);
	return 0;
}

#define ROLL_HOUR_SQL                                                                     \
	"INSERT OR REPLACE INTO rollup_1h(hour, series, avg, min, max, n) "                \
	"SELECT ?1, series, sum(avg * n) / sum(n), min(min), max(max), sum(n) FROM rollup_1m " \
	"WHERE minute >= ?1 AND minute < ?1 + 3600000"

/* Writes the chunks and 1m rollups of series b's samples before cutoff. */
static int compact_series(struct store *s, struct series_buf *b, int64_t cutoff,
			  struct buf *scratch, struct error *err)
{
	qsort(b->v, b->n, sizeof *b->v, cmp_ts);
	size_t i = 0;
	while (i < b->n && b->v[i].ts < cutoff) {
		int64_t minute = b->v[i].ts - ((b->v[i].ts % MINUTE_MS) + MINUTE_MS) % MINUTE_MS;
		size_t j = i;
		double sum = 0, mn = b->v[i].value, mx = b->v[i].value;
		while (j < b->n && b->v[j].ts < minute + MINUTE_MS && b->v[j].ts < cutoff) {
			double v = b->v[j].value;
			sum += v;
			mn = v < mn ? v : mn;
			mx = v > mx ? v : mx;
			j++;
		}
		buf_reset(scratch);
		chunk_encode(b->v + i, j - i, minute, scratch);
		sqlite3_stmt *c = s->upsert_chunk;
		sqlite3_bind_int64(c, 1, minute);
		sqlite3_bind_int64(c, 2, b->id);
		sqlite3_bind_blob(c, 3, scratch->data, (int)scratch->len, SQLITE_STATIC);
		if (bind_step(s, c, "writing a chunk", err) < 0)
			return -1;
		sqlite3_stmt *r = s->upsert_1m;
		sqlite3_bind_int64(r, 1, minute);
		sqlite3_bind_int64(r, 2, b->id);
		sqlite3_bind_double(r, 3, sum / (double)(j - i));
		sqlite3_bind_double(r, 4, mn);
		sqlite3_bind_double(r, 5, mx);
		sqlite3_bind_int64(r, 6, (int64_t)(j - i));
		if (bind_step(s, r, "writing a rollup", err) < 0)
			return -1;
		/* A late sample in an hour already rolled up: roll it again. */
		if (minute < s->rolled_1h_until) {
			int64_t hour = minute - minute % HOUR_MS;
			if (exec_range(s, ROLL_HOUR_SQL " AND series = ?2 GROUP BY series", hour, b->id, 0,
				       err) < 0)
				return -1;
		}
		i = j;
	}
	return 0;
}

int store_write_late(struct store *s, struct sample *v, size_t n, struct error *err)
{
	/* Rare (a sample stamped before the last compaction): grouped per
	 * series, then the same path as compaction. */
	struct series_buf b = { 0 };
	struct buf scratch = { 0 };
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (v[i].series < 0)
			continue;
		b.id = v[i].series;
		b.n = 0;
		for (size_t j = i; j < n; j++)
			if (v[j].series == b.id) {
				if (b.n == b.cap)
					b.v = xrealloc(b.v, (b.cap = b.cap ? b.cap * 2 : 8) * sizeof *b.v);
				b.v[b.n++] = v[j];
				if (j > i)
					v[j].series = -1; /* taken */
			}
		rc = compact_series(s, &b, INT64_MAX, &scratch, err);
	}
	free(b.v);
	buf_free(&scratch);
	return rc;
}

int store_compact(struct store *s, int64_t now_ms, struct error *err)
{
	int64_t cutoff = (now_ms - COMPACT_GRACE_MS) / MINUTE_MS * MINUTE_MS;
	bool any = s->min_buffered_ts < cutoff;
	int64_t hour_cutoff = cutoff - cutoff % HOUR_MS;
	if (!any && hour_cutoff <= s->rolled_1h_until)
		return 0;
	if (store_exec(s, "BEGIN IMMEDIATE", err) < 0)
		return -1;
	struct buf scratch = { 0 };
	for (size_t k = 0; k < s->nbufs; k++)
		if (s->bufs[k].n && compact_series(s, &s->bufs[k], cutoff, &scratch, err) < 0)
			goto fail;
	if (any && exec_range(s, "DELETE FROM recent WHERE max_ts < ?", cutoff, 0, 0, err) < 0)
		goto fail;
	if (hour_cutoff > s->rolled_1h_until) {
		/* From the first stored minute, not from 1970, on a new file. */
		int64_t from = s->rolled_1h_until;
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(s->db, "SELECT min(minute) FROM rollup_1m WHERE minute >= ?", -1,
				       &st, NULL) == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, from);
			if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
				int64_t first = sqlite3_column_int64(st, 0);
				from = first - first % HOUR_MS;
			} else {
				from = hour_cutoff;
			}
			sqlite3_finalize(st);
		}
		for (int64_t h = from; h < hour_cutoff; h += HOUR_MS)
			if (exec_range(s, ROLL_HOUR_SQL " GROUP BY series", h, 0, 0, err) < 0)
				goto fail;
		if (set_meta(s, "rolled_1h_until", hour_cutoff, err) < 0)
			goto fail;
	}
	if (set_meta(s, "compacted_until", cutoff, err) < 0)
		goto fail;
	if (store_exec(s, "COMMIT", err) < 0)
		goto fail;
	buf_free(&scratch);
	s->compacted_until = cutoff;
	if (hour_cutoff > s->rolled_1h_until)
		s->rolled_1h_until = hour_cutoff;
	s->min_buffered_ts = INT64_MAX;
	for (size_t k = 0; k < s->nbufs; k++) {
		struct series_buf *b = &s->bufs[k];
		size_t w = 0;
		for (size_t i = 0; i < b->n; i++)
			if (b->v[i].ts >= cutoff) {
				if (b->v[i].ts < s->min_buffered_ts)
					s->min_buffered_ts = b->v[i].ts;
				b->v[w++] = b->v[i];
			}
		b->n = w;
	}
	return 0;
fail:
	buf_free(&scratch);
	store_exec(s, "ROLLBACK", NULL);
	return -1;
}

#define OUTBOX_KEEP_MS (7 * 24 * HOUR_MS)

int store_prune(struct store *s, int64_t now_ms, struct error *err)
{
	if (exec_range(s, "DELETE FROM chunk WHERE minute < ?", now_ms - s->opts.retention_raw_ms, 0,
		       0, err) < 0 ||
	    exec_range(s, "DELETE FROM recent WHERE max_ts < ?", now_ms - s->opts.retention_raw_ms, 0, 0,
		       err) < 0 ||
	    exec_range(s, "DELETE FROM rollup_1m WHERE minute < ?", now_ms - s->opts.retention_1m_ms,
		       0, 0, err) < 0 ||
	    exec_range(s, "DELETE FROM rollup_1h WHERE hour < ?", now_ms - s->opts.retention_1h_ms, 0,
		       0, err) < 0 ||
	    exec_range(s, "DELETE FROM event WHERE ts < ?", now_ms - s->opts.retention_1m_ms, 0, 0,
		       err) < 0)
		return -1;
	/* Alert history and its audit trail are small and kept as long as the
	 * hourly tier; notifications done are kept a week for `notify outbox`. */
	int64_t alerts_before = now_ms - s->opts.retention_1h_ms;
	if (exec_range(s, "DELETE FROM alert WHERE state = 'resolved' AND resolved < ?",
		       alerts_before, 0, 0, err) < 0 ||
	    exec_range(s, "DELETE FROM alert_log WHERE ts < ?", alerts_before, 0, 0, err) < 0 ||
	    exec_range(s, "DELETE FROM silence WHERE ends < ?", alerts_before, 0, 0, err) < 0 ||
	    exec_range(s, "DELETE FROM maintenance WHERE ends < ?", alerts_before, 0, 0, err) < 0 ||
	    exec_range(s, "DELETE FROM outbox WHERE state != 'pending' AND done < ?",
		       now_ms - OUTBOX_KEEP_MS, 0, 0, err) < 0)
		return -1;
	/* Keep the WAL from growing without bound between checkpoints. */
	sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return 0;
}
