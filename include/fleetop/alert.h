/* alert: rules over metrics (rules.conf) and the alert lifecycle (pending
 * -> firing -> resolved, acknowledgements, silences, maintenance windows,
 * inhibition), grouping by the policies of notify.conf and putting each
 * notification an escalation step calls for into the outbox, which the
 * notify module sends. See fleetop-rules(5).
 *
 * Time: every function that decides something takes now_ms (wall clock,
 * ms since the epoch) from its caller, so tests drive a clock of their own. */
#ifndef FLEETOP_ALERT_H
#define FLEETOP_ALERT_H

#include "fleetop/core.h"
#include "fleetop/fleet.h"
#include "fleetop/loop.h"
#include "fleetop/notify.h"
#include "fleetop/store.h"


/* ---- rules (expr.c, rules.c, windows.c) ---- */
struct expr; /* a parsed expression; opaque */

struct alert_rule {
	char *name;              /* the [section] name; also the `rule` label */
	char *file;              /* where it was defined, for messages */
	int line;
	char *expr_text;
	struct expr *expr;       /* fires while true */
	char *clear_text;        /* NULL: clears when expr is false */
	struct expr *clear;      /* when set, a firing alert resolves only once this is true */
	int64_t for_ms;          /* true this long before firing (pending until then) */
	int64_t keep_firing_for_ms; /* stays firing this long after the condition ends */
	enum alert_severity severity;
	struct alert_label *labels; /* the rule's own labels */
	size_t nlabels;
	char *summary;           /* template: {host} {value} {rule} {severity} {LABEL} */
	char *scope;             /* fleet selection pattern (`@eu,!mc-03`); NULL: every host */
	char *runbook;           /* URL or text; NULL: none */
};

/* A metric some rule reads, and the longest window it is read over (0 for
 * a plain latest-value reference). The window store keeps only these. */
struct window_need {
	char *metric;
	int64_t window_ms;
};

struct rule_set {
	struct alert_rule *rules;
	size_t n;
	char *path;               /* the file read, or "(defaults)" */
	struct window_need *needs;
	size_t nneeds;
};
/* Loads rules from path into rs (which must be empty). A missing file is
 * not an error when missing_ok: rs then gets the shipped defaults. Errors
 * name file:line and the reason; on error rs is left empty (so a reload
 * keeps the old set: load into a new rule_set, swap on success). */
int rules_load_file(struct rule_set *rs, const char *path, bool missing_ok, struct error *err);
int rules_load_string(struct rule_set *rs, const char *text, const char *name, struct error *err);
/* The shipped defaults (CPU, RAM, disk, unreachable, game, TPS). */
int rules_load_defaults(struct rule_set *rs, struct error *err);
void rules_free(struct rule_set *rs);

/* Recent samples of the metrics rules read, per host (windows.c). */
struct alert_windows;
struct alert_windows *alert_windows_new(const struct rule_set *rs);
void alert_windows_free(struct alert_windows *w);
/* Samples of metrics no rule reads are ignored at once (cheap). */
void alert_windows_add(struct alert_windows *w, uint32_t host_id, const char *metric,
		       int64_t ts_ms, double value);
/* Drops samples older than every window needs (call once a tick). */
void alert_windows_trim(struct alert_windows *w, int64_t now_ms);
/* After a reload: keeps what w holds of the metrics rs still reads (so
 * windows and absent() do not start over) and drops the rest. */
void alert_windows_update(struct alert_windows *w, const struct rule_set *rs);

struct expr_ctx {
	const struct host *host;
	const struct alert_windows *win;
	int64_t now_ms;
	int64_t started_ms;    /* when watching began: absent(m, 2m) of a metric never
				* seen turns true only 2m after this */
};
struct expr_result {
	int truth;     /* 1 true, 0 false, -1 undefined (no data) */
	double value;  /* the value to show: the left side of the deciding comparison */
};
void expr_eval(const struct expr *e, const struct expr_ctx *ctx, struct expr_result *out);
/* Summary with {host}, {value}, {rule}, {severity} and any label filled in.
 * Caller frees. */
char *rule_render_summary(const struct alert_rule *r, const struct alert_label *labels,
			  size_t nlabels, double value);


/* ---- the alert engine (engine.c, mute.c, group.c) ----
 * Evaluates the rules once a tick on every host in their scope, moves each
 * alert (a rule on a host) through pending -> firing -> resolved, applies
 * acknowledgements, silences, maintenance windows and inhibition, groups
 * what fires by the policy's labels and puts each notification a policy's
 * escalation step calls for into the outbox, in the same transaction as
 * the state it follows from. */
struct alert_engine;
struct alert_engine *alert_engine_new(struct fleet *f, struct store *st, int64_t now_ms);
void alert_engine_free(struct alert_engine *ae);
/* The engine keeps pointers to rs and nc: the caller keeps them alive and
 * sets new ones after a successful reload. A scope that selects nothing is
 * an error naming the rule's file:line (the old rules stay). */
int alert_engine_set_rules(struct alert_engine *ae, const struct rule_set *rs,
			   struct error *err);
void alert_engine_set_notify(struct alert_engine *ae, const struct notify_config *nc);
void alert_engine_sample(struct alert_engine *ae, const struct host *h, const char *metric,
			 int64_t ts_ms, double value);
/* Returns the number of notifications put in the outbox (kick the sender
 * when > 0), -1 on a storage error (state is then retried next tick). */
int alert_engine_tick(struct alert_engine *ae, int64_t now_ms, struct error *err);
/* The same for the hosts that sent samples since they were last evaluated
 * (what a sample-driven tick needs; a full tick a second does the rest:
 * for, keep_firing_for, hosts gone quiet). */
int alert_engine_tick_changed(struct alert_engine *ae, int64_t now_ms, struct error *err);
/* Silences, maintenance windows and acknowledgements are re-read from the
 * store at the next tick (after this process added one). */
void alert_engine_refresh(struct alert_engine *ae);
/* One engine a history file evaluates the rules and writes alerts and
 * notifications: the first to tick, until it ends (then the next takes
 * over at its next tick, carrying the open alerts on). The others follow:
 * they show the store's open alerts and acknowledge through it, so a
 * console beside `fleetop collect` does not raise or notify anything
 * twice. An engine given a host selection (alert_engine_set_hosts: by host
 * id, NULL every host; the caller keeps it alive) evaluates only those
 * hosts and leaves the alerts of the others as they are; engines of
 * several selections lead side by side (give them disjoint ones) while no
 * engine of the whole fleet runs, and hand over to one when it starts.
 * Without a store, an engine always leads. */
void alert_engine_set_hosts(struct alert_engine *ae, const unsigned char *selected);
bool alert_engine_leads(const struct alert_engine *ae);

enum alert_state { ALERT_INACTIVE, ALERT_PENDING, ALERT_FIRING };
#define ALERT_MUTE_SILENCED 1
#define ALERT_MUTE_MAINTENANCE 2
#define ALERT_MUTE_INHIBITED 4
struct alert_info {
	int64_t id;
	const char *rule, *host, *summary, *runbook, *group_key;
	uint32_t host_id;
	enum alert_severity severity;
	enum alert_state state;
	int64_t since_ms;       /* pending: since the condition held; firing: since it fired */
	double value;
	const char *acked_by;   /* NULL when not acknowledged */
	unsigned muted;         /* ALERT_MUTE_* */
};
/* The open alerts, firing first, then by severity and age; valid until the
 * next tick. */
size_t alert_engine_alerts(const struct alert_engine *ae, const struct alert_info **out);
/* The worst severity firing (and not muted) on a host: the fleet badge. */
enum alert_severity alert_engine_host_severity(const struct alert_engine *ae, uint32_t host_id);
/* Acknowledge (who != NULL) or un-acknowledge an alert by id; stored and
 * logged at once. 0 when no open alert has that id. */
int alert_engine_ack(struct alert_engine *ae, int64_t id, const char *who, const char *comment,
		     int64_t now_ms, struct error *err);

/* Shared by the engine and `fleetop alerts`: acknowledging by id, silences
 * and maintenance windows straight in the store, each logged in the audit
 * trail (actions.c). */
int alert_ack_store(struct store *st, int64_t id, const char *who, const char *comment,
		    int64_t now_ms, struct error *err); /* 1 done, 0 no open alert id */
int64_t alert_silence_add(struct store *st, const char *matchers, int64_t starts_ms,
			  int64_t ends_ms, const char *who, const char *comment, int64_t now_ms,
			  struct error *err);
int64_t alert_maintenance_add(struct store *st, const struct fleet *f, const char *hosts,
			      int64_t starts_ms, int64_t ends_ms, const char *who,
			      const char *comment, int64_t now_ms, struct error *err);
/* The user's name for who acknowledged or silenced: $USER, else uid. */
const char *alert_whoami(void);

#endif
