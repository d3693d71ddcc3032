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
	size_t backlog_max;       /* samples held while the history cannot be written
				   * (disk full); past it the oldest are dropped.
				   * 0: 1048576 (24 MiB) */
};

/* Opens (creating or migrating) the database at path. */
int store_open(struct store **out, const char *path, const struct store_opts *opts,
	       struct error *err);
void store_close(struct store *s); /* flushes what is pending */

/* Series ids are stable per (host, metric) and cached in memory. */
int64_t store_series(struct store *s, const char *host, const char *metric, struct error *err);
/* Appends to the pending batch (no I/O unless the batch is full and the
 * history writes). -1 only for a value that cannot be stored: a write that
 * fails shows in store_health, and the samples wait. */
int store_add(struct store *s, int64_t series, int64_t ts_ms, double value, struct error *err);
/* Commits the pending batch in one transaction, then updates rollups for
 * every minute/hour that closed. Returns the number of samples committed.
 * -1 with err when the write failed, or when an earlier one did and the
 * next try is not due yet (see store_health): nothing is lost then. */
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

/* ---- Alerting (alerts.c): alerts, their audit trail, silences,
 * maintenance windows and per-group notification state. The alert engine
 * keeps them; `fleetop alerts` reads and writes them from another process,
 * so every write commits at once (or inside store_tx_begin/commit). */
int store_tx_begin(struct store *s, struct error *err);
int store_tx_commit(struct store *s, struct error *err);
void store_tx_rollback(struct store *s);
/* True when another connection changed the file since the last call (acks,
 * silences from the cli); cheap (PRAGMA data_version). */
bool store_changed_elsewhere(struct store *s);

struct store_alert {
	int64_t id;
	const char *fingerprint, *rule, *host, *severity, *state; /* state: pending firing resolved */
	const char *labels;   /* JSON object */
	const char *summary, *runbook, *group_key; /* runbook may be NULL */
	double value;
	int64_t started_ms, fired_ms, resolved_ms, updated_ms; /* 0 when not yet */
	const char *acked_by, *ack_comment; /* NULL when not acknowledged */
	int64_t acked_ms;
	unsigned muted;       /* ALERT_MUTE_* bits the engine last saw (1 silenced,
			       * 2 maintenance, 4 inhibited) */
};
/* Inserts a (pending or firing) alert; returns its id, -1 on error. */
int64_t store_alert_insert(struct store *s, const struct store_alert *a, struct error *err);
/* Writes state, value, summary, severity, fired/resolved/updated, muted of
 * a->id, and its labels and runbook unless NULL. */
int store_alert_update(struct store *s, const struct store_alert *a, struct error *err);
int store_alert_ack(struct store *s, int64_t id, const char *who, const char *comment,
		    int64_t now_ms, struct error *err); /* who NULL: un-acknowledge */
typedef void (*store_alert_fn)(void *arg, const struct store_alert *a);
/* Alerts not resolved (open_only) or every alert started or resolved since
 * since_ms, newest first, at most limit (0: all). Strings live during fn. */
int store_alerts(struct store *s, bool open_only, int64_t since_ms, int limit,
		 store_alert_fn fn, void *arg, struct error *err);
/* 0 and fills nothing when no alert has that id: returns 1 when found. */
int store_alert_get(struct store *s, int64_t id, store_alert_fn fn, void *arg,
		    struct error *err);

int store_alert_log(struct store *s, int64_t ts_ms, int64_t alert_id, const char *what,
		    const char *who, const char *detail, struct error *err);
struct store_alert_log {
	int64_t id, ts_ms, alert_id; /* alert_id 0: not about one alert */
	const char *what, *who, *detail; /* who/detail may be NULL */
	const char *rule, *host; /* of the alert, NULL when none */
};
typedef void (*store_alert_log_fn)(void *arg, const struct store_alert_log *l);
/* Log since since_ms (alert_id 0: all), oldest first. */
int store_alert_logs(struct store *s, int64_t since_ms, int64_t alert_id,
		     store_alert_log_fn fn, void *arg, struct error *err);

/* Silences and maintenance windows: `what` is matchers (silence) or a host
 * selection (maintenance). */
enum store_mute_kind { STORE_SILENCE, STORE_MAINTENANCE };
struct store_mute {
	int64_t id;
	enum store_mute_kind kind;
	const char *what, *created_by, *comment;
	int64_t starts_ms, ends_ms, created_ms;
};
int64_t store_mute_add(struct store *s, enum store_mute_kind kind, const char *what,
		       int64_t starts_ms, int64_t ends_ms, const char *who, const char *comment,
		       int64_t now_ms, struct error *err);
/* Ends it now (expire early); 0 when no such id, 1 when ended. */
int store_mute_end(struct store *s, enum store_mute_kind kind, int64_t id, int64_t now_ms,
		   struct error *err);
typedef void (*store_mute_fn)(void *arg, const struct store_mute *m);
/* Those not ended at now_ms (including future ones). */
int store_mutes(struct store *s, enum store_mute_kind kind, int64_t now_ms, store_mute_fn fn,
		void *arg, struct error *err);

struct store_group {
	const char *key, *policy;
	int64_t first_fired_ms, last_notified_ms;
	const char *last_digest; /* what was in the last notification */
	int step;                /* escalation steps done */
	int64_t seq;             /* notifications sent for this group: part of the outbox key */
};
int store_group_put(struct store *s, const struct store_group *g, struct error *err);
int store_group_del(struct store *s, const char *key, const char *policy, struct error *err);
typedef void (*store_group_fn)(void *arg, const struct store_group *g);
int store_groups(struct store *s, store_group_fn fn, void *arg, struct error *err);

/* ---- Outbox (outbox.c): notifications to send. A row stays "pending"
 * until its send is confirmed (2xx, SMTP 250, exit 0), so after a crash the
 * unconfirmed rows go out again with the same key. */
struct store_outbox {
	int64_t id;
	const char *key, *receiver, *body, *state; /* state: pending sent failed */
	int64_t created_ms, next_try_ms, done_ms; /* done_ms 0 while pending */
	int tries;
	const char *last_error; /* NULL when none */
};
/* Adds a row; a key already there is left as it is (returns 0, else 1). */
int store_outbox_add(struct store *s, const char *key, const char *receiver, const char *body,
		     int64_t now_ms, struct error *err);
typedef void (*store_outbox_fn)(void *arg, const struct store_outbox *o);
/* Pending rows due at now_ms (next_try <= now), oldest first, at most limit. */
int store_outbox_due(struct store *s, int64_t now_ms, int limit, store_outbox_fn fn, void *arg,
		     struct error *err);
/* The earliest next_try of pending rows; INT64_MAX when none. */
int64_t store_outbox_next(struct store *s, struct error *err);
int store_outbox_sent(struct store *s, int64_t id, int64_t now_ms, struct error *err);
int store_outbox_retry(struct store *s, int64_t id, int64_t next_try_ms, const char *error,
		       struct error *err);
int store_outbox_failed(struct store *s, int64_t id, int64_t now_ms, const char *error,
			struct error *err);
/* Every row (newest first, at most limit; state NULL: any). */
int store_outbox_list(struct store *s, const char *state, int limit, store_outbox_fn fn,
		      void *arg, struct error *err);
/* One process a history file does a job (what = "outbox": sends the
 * outbox, so the console's sender and a `fleetop notify` beside it never
 * both send a row; "alerts": evaluates the rules and writes alerts, so a
 * console beside `fleetop collect` does not raise each alert twice): an
 * flock on "<db>-<what>.lock", which the OS drops when the process dies,
 * even on kill -9. *lock_fd starts at -1 and keeps the lock; close it to
 * let go. 1: held; 0: another process holds it; -1: error. */
int store_lock(struct store *s, const char *what, int *lock_fd, struct error *err);
/* Lets go of a lock taken by store_lock or store_lock_shared; *lock_fd is
 * -1 after (and may be -1 before). */
void store_unlock(int *lock_fd);
/* The same lock taken shared (several processes may hold it at once, and
 * none while one holds it exclusively): 1 held, 0 not, -1 error. */
int store_lock_shared(struct store *s, const char *what, int *lock_fd, struct error *err);
/* Whether another holder has "<db>-<what>.lock": exclusively (only), or
 * at all, shared or not (false for a history only this process sees).
 * The probe holds the lock a moment (shared when asking about exclusive
 * holders, so such probes do not disturb each other). */
bool store_lock_taken(struct store *s, const char *what, bool exclusively);

/* ---- Health (health.c): whether the history takes what it is given.
 * When a write fails (disk full, an I/O error, the file locked too long)
 * the samples wait in memory, at most backlog_max; past that the oldest
 * are dropped and counted. Flushes are retried with backoff (1 s, doubling
 * to 16 s; store_close tries once more), and the first that succeeds writes
 * the backlog. The store logs one error when writes start failing and one
 * info line when they have succeeded again for 30 s in a row (a failure
 * before that is the same outage); nothing in between. */
enum store_state { STORE_OK, STORE_FULL, STORE_ERROR };
struct store_health {
	enum store_state state;
	const char *message;  /* what is wrong and what to do; "" when ok; lives
			       * until the next call on s */
	int64_t since_ms;     /* wall time the state began (0: ok since open) */
	int64_t stored;       /* samples committed since open */
	int64_t waiting;      /* samples in memory not yet written */
	int64_t waiting_max;  /* the backlog's bound */
	int64_t dropped;      /* samples dropped since open (backlog full, or no
			       * series id could be written for them) */
	int64_t failures;     /* failed writes since open */
	int64_t next_try_ms;  /* wall time of the next write try; 0 when ok */
};
void store_health(struct store *s, struct store_health *h);
const char *store_state_name(enum store_state st); /* "ok", "full", "error" */

struct store_stats {
	int64_t samples_raw, rows_1m, rows_1h, series;
	int64_t committed_total; /* samples committed since open */
};
int store_stats(struct store *s, struct store_stats *st, struct error *err);

#endif
