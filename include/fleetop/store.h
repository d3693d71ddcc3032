/* store: the history, one SQLite file (WAL). Samples are batched in memory
 * and committed in one transaction per flush with prepared statements;
 * raw samples roll up into 1-minute and 1-hour tiers (avg, min, max), each
 * tier with its own retention, so the file stays bounded. */
#ifndef FLEETOP_STORE_H
#define FLEETOP_STORE_H

#include "fleetop/core.h"

struct store;

struct store_opts {
	int64_t retention_raw_ms; /* 0: defaults (48h, 30d, 2y) */
	int64_t retention_1m_ms;
	int64_t retention_1h_ms;
	size_t batch_max;         /* samples held before a flush is forced; 0: 65536 */
};

/* Opens (creating or migrating) the database at path. */
int store_open(struct store **out, const char *path, const struct store_opts *opts,
	       struct error *err);
void store_close(struct store *s); /* flushes what is pending */

/* Series ids are stable per (host, metric) and cached in memory. */
int64_t store_series(struct store *s, const char *host, const char *metric, struct error *err);
/* Appends to the pending batch (no I/O unless the batch is full). */
int store_add(struct store *s, int64_t series, int64_t ts_ms, double value, struct error *err);
/* Commits the pending batch in one transaction, then updates rollups for
 * every minute/hour that closed. Returns the number of samples committed. */
int store_flush(struct store *s, struct error *err);
/* The same with the clock given (tests, benches): minutes ending before
 * now_ms are compacted. */
int store_flush_at(struct store *s, int64_t now_ms, struct error *err);
/* Deletes what is older than each tier's retention (call now and then). */
int store_prune(struct store *s, int64_t now_ms, struct error *err);

enum store_tier { STORE_RAW, STORE_1M, STORE_1H, STORE_AUTO };
struct store_point {
	int64_t ts_ms;
	double avg, min, max; /* raw: all three the value */
};
/* Points of host/metric in [from, to]. STORE_AUTO picks the finest tier that
 * still holds `from`. *out is malloc'd, caller frees. */
int store_query(struct store *s, const char *host, const char *metric, int64_t from_ms,
		int64_t to_ms, enum store_tier tier, struct store_point **out, size_t *n,
		struct error *err);
/* Names of metrics stored for a host (for completion and errors). */
int store_metrics(struct store *s, const char *host, char ***names, size_t *n, struct error *err);

/* Events: things a host reported that are not numbers (custom collectors'
 * events, game server notices), kept with the history and pruned with the
 * 1m tier's retention. */
struct store_event {
	int64_t id;
	int64_t ts_ms;
	const char *host;
	const char *severity; /* info, warning, critical */
	const char *kind;     /* e.g. mod_incompatible */
	const char *message;
};
/* Committed at once (events are rare; they are not batched with samples). */
int store_event_add(struct store *s, const char *host, int64_t ts_ms, const char *severity,
		    const char *kind, const char *message, struct error *err);
typedef void (*store_event_fn)(void *arg, const struct store_event *ev);
/* Events since since_ms (host NULL: every host), newest first, at most limit
 * (0: no limit). The strings live only during the callback. */
int store_events(struct store *s, int64_t since_ms, const char *host, int limit,
		 store_event_fn fn, void *arg, struct error *err);

struct store_stats {
	int64_t samples_raw, rows_1m, rows_1h, series;
	int64_t committed_total; /* samples committed since open */
};
int store_stats(struct store *s, struct store_stats *st, struct error *err);

#endif
