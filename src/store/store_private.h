/* What the store's files share. */
#ifndef FLEETOP_STORE_PRIVATE_H
#define FLEETOP_STORE_PRIVATE_H

#include <sqlite3.h>

#include "fleetop/store.h"

#define MINUTE_MS 60000LL
#define HOUR_MS 3600000LL
/* A minute is compacted this long after it ends, so samples stamped a
 * little late still land in it. */
#define COMPACT_GRACE_MS 5000

struct sample {
	int64_t series, ts;
	double value;
};

/* Samples of one series not yet compacted, in arrival order. */
struct series_buf {
	int64_t id;
	struct sample *v; /* only ts and value used */
	size_t n, cap;
};

struct series_key {
	char *host, *metric;
	int64_t id;
};

struct store {
	sqlite3 *db;
	char *path;
	struct store_opts opts;
	/* series cache: (host, metric) -> id, open addressing */
	struct series_key *keys;
	size_t nkeys, capkeys;
	/* pending batch (not yet committed) */
	struct sample *batch;
	size_t nbatch, capbatch;
	/* committed but not compacted samples, by series id */
	struct series_buf *bufs;
	size_t nbufs;
	int64_t compacted_until; /* every minute before this is in chunks */
	int64_t rolled_1h_until; /* every hour before this is in rollup_1h */
	int64_t committed_total;
	int64_t min_buffered_ts; /* earliest sample in bufs; INT64_MAX when none */
	int64_t data_version;    /* PRAGMA data_version last seen (store_changed_elsewhere) */
	sqlite3_stmt *ins_recent, *ins_series, *sel_series, *upsert_chunk, *upsert_1m,
		*set_meta;
};

int store_schema(sqlite3 *db, const char *path, struct error *err);
int store_exec(struct store *s, const char *sql, struct error *err);
int store_sqlite_error(struct store *s, const char *what, struct error *err);
/* compact.c */
int store_compact(struct store *s, int64_t now_ms, struct error *err);
int store_load_recent(struct store *s, struct error *err);
void store_buf_add(struct store *s, int64_t series, int64_t ts, double value);
/* Codec of a batch in `recent`: base time, then (series, ts, value) records. */
void batch_encode(const struct sample *v, size_t n, struct buf *out, int64_t *max_ts);
int batch_decode(const void *data, size_t len, struct sample **out, size_t *n);
/* Writes samples of minutes already compacted straight into chunks and rollups. */
int store_write_late(struct store *s, struct sample *v, size_t n, struct error *err);
/* Codec of a chunk: samples of one series in one minute. */
void chunk_encode(const struct sample *v, size_t n, int64_t minute, struct buf *out);
int chunk_decode(const void *data, size_t len, int64_t minute, struct sample **out, size_t *n);

/* lock.c: store_lock, waiting up to timeout_ms for another holder. */
int store_lock_wait(struct store *s, const char *what, int64_t timeout_ms, int *lock_fd,
		    struct error *err);

#endif
