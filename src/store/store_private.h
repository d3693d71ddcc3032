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
	/* health (health.c) */
	enum store_state state;
	int64_t state_since_ms;  /* wall time of the first failure */
	int64_t recovering_ms;   /* writes succeed again since (0: not recovering) */
	int64_t retry_at_ms, retry_delay_ms, last_try_ms;
	int last_code;           /* SQLite's code of the last error it reported */
	int fail_code;           /* SQLite's (extended) code of the last failure */
	char fail_msg[512];      /* and its words */
	char health_msg[1024];   /* store_health's message */
	char fs_where[512];      /* the file system holding the history, said when full */
	int64_t dropped_total, dropped_outage, failures;
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

/* health.c */
/* A write failed with SQLite code `code` (0: unknown; the words decide)
 * and err's message: the state changes (said once), the next try waits. */
void store_fail(struct store *s, int64_t now_ms, int code, const char *msg);
/* A write succeeded: back to ok (said once, when it was not). */
void store_recover(struct store *s, int64_t now_ms);
/* Whether a write may be tried at now_ms (ok, or the backoff is over). */
bool store_may_try(const struct store *s, int64_t now_ms);
/* Drops the oldest pending samples when the batch is at backlog_max. */
void store_backlog_make_room(struct store *s);
/* The history's files (db, -wal, -shm, -journal) readable by others are
 * narrowed to 0600, with a warning. */
void store_files_private(const char *path);

/* lock.c: store_lock, waiting up to timeout_ms for another holder. */
int store_lock_wait(struct store *s, const char *what, int64_t timeout_ms, int *lock_fd,
		    struct error *err);

#endif
