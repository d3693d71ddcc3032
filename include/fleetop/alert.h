/* alert: rules over metrics (rules.conf), the alert lifecycle (pending ->
 * firing -> resolved, acknowledgements, silences, maintenance windows),
 * grouping and inhibition, escalation policies, and notifications that go
 * through an outbox table in the history and are sent by libcurl on the
 * loop (notify.conf). See fleetop-rules(5) and fleetop-notify(5).
 *
 * Time: every function that decides something takes now_ms (wall clock,
 * ms since the epoch) from its caller, so tests drive a clock of their own. */
#ifndef FLEETOP_ALERT_H
#define FLEETOP_ALERT_H

#include <regex.h>

#include "fleetop/core.h"
#include "fleetop/fleet.h"
#include "fleetop/loop.h"
#include "fleetop/store.h"

enum alert_severity { SEV_NONE = 0, SEV_INFO, SEV_WARNING, SEV_CRITICAL };
const char *alert_severity_name(enum alert_severity s); /* "info", "warning", "critical" */
/* Accepts info, warning (warn), critical (crit); -1 when unknown. */
int alert_severity_parse(const char *s, enum alert_severity *out);

struct alert_label {
	char *key, *value;
};

/* ---- matchers (matcher.c): `key=value`, `key!=value`, `key=~regex`,
 * `key!~regex` (POSIX extended, anchored), comma-separated, all must hold.
 * Used by silences, policies and inhibition rules. A label that is absent
 * matches as the empty string (as in Alertmanager). */
enum matcher_op { MATCH_EQ, MATCH_NE, MATCH_RE, MATCH_NRE };
struct matcher {
	char *key, *value;
	enum matcher_op op;
	regex_t re; /* for MATCH_RE / MATCH_NRE */
};
struct matcher_set {
	struct matcher *m;
	size_t n;
};
/* Parses "rule=cpu_high,host=~mc-.*". Errors say which matcher and why. */
int matchers_parse(struct matcher_set *ms, const char *text, struct error *err);
bool matchers_match(const struct matcher_set *ms, const struct alert_label *labels, size_t n);
/* The text form again (for listing silences). Caller frees. */
char *matchers_format(const struct matcher_set *ms);
void matchers_free(struct matcher_set *ms);
const char *labels_get(const struct alert_label *labels, size_t n, const char *key);
/* Labels as a JSON object of strings (as the alert table and the outbox
 * keep them) and back; caller frees. labels_free frees the array too. */
char *labels_to_json(const struct alert_label *l, size_t n);
int labels_from_json(const char *json, struct alert_label **out, size_t *n, struct error *err);
void labels_free(struct alert_label *l, size_t n);

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

/* ---- notification (notification.c): what one send says ---- */
struct notify_alert {
	int64_t id;             /* alert id (fleetop alerts ack ID) */
	char *fingerprint;      /* stable: rule + host */
	char *status;           /* "firing" or "resolved" */
	char *rule, *host, *summary, *runbook; /* runbook may be NULL */
	enum alert_severity severity;
	struct alert_label *labels; /* every label: rule, host, severity, group, rule's, host's */
	size_t nlabels;
	double value;
	int64_t starts_ms, ends_ms; /* ends_ms 0 while firing */
	char *acked_by;         /* NULL unless acknowledged */
};
struct notification {
	char *key;              /* idempotency key: the outbox key, stable across resends */
	char *receiver;         /* receiver name in notify.conf */
	char *group_key;        /* e.g. {group="eu",rule="cpu_high"} */
	char *status;           /* "firing" while any alert fires, else "resolved" */
	char *title;            /* "14 hosts in @eu: CPU high", "mc-03: CPU 94% > 80%" */
	enum alert_severity severity; /* the highest of the alerts */
	struct alert_label *common_labels; /* labels all alerts share */
	size_t ncommon;
	struct notify_alert *alerts;
	size_t nalerts;
	int step;               /* escalation step (0 first) */
	int64_t created_ms;
};
/* JSON as kept in the outbox (no secrets in it). Caller frees. */
char *notification_to_json(const struct notification *n);
int notification_from_json(struct notification *n, const char *json, struct error *err);
void notification_free(struct notification *n);

/* ---- notify.conf (notify_conf.c) ---- */
enum receiver_type {
	RECV_DISCORD, RECV_SLACK, RECV_TEAMS, RECV_PAGERDUTY, RECV_WEBHOOK, RECV_EMAIL,
	RECV_SMS, RECV_COMMAND, RECV_GITHUB, RECV_JIRA,
};
const char *receiver_type_name(enum receiver_type t);

struct notify_receiver {
	char *name;
	enum receiver_type type;
	char *file; int line;
	char *url;              /* endpoint (secret for discord/slack/teams/webhook) */
	char *secret;           /* token/password/routing key from a 0600 file or env; NULL if none */
	char *user;             /* basic-auth user / account sid / email login */
	char *from;             /* email sender, sms sender */
	char **to;              /* email/sms recipients */
	size_t nto;
	char *project;          /* github owner/repo, jira project key */
	char *issue_type;       /* jira issue type (default Bug) */
	char **argv;            /* command hook */
	char *ca_file;          /* extra CA for TLS (self-signed test servers, private CAs) */
	int starttls;           /* email: 0 off, 1 try, 2 required (default) */
	bool send_resolved;
	int64_t timeout_ms;     /* per request, default 10s */
};

/* One escalation step: notify receivers `after` since the group fired,
 * if not every alert of the group is acknowledged by then. */
struct policy_step {
	int64_t after_ms;
	char **receivers;
	size_t nreceivers;
};
struct notify_policy {
	char *name;
	char *file; int line;
	struct matcher_set match;  /* empty: every alert */
	char **group_by;           /* label names; default rule, group */
	size_t ngroup_by;
	int64_t group_wait_ms, group_interval_ms, repeat_interval_ms; /* 30s, 5m, 4h */
	struct policy_step *steps;
	size_t nsteps;
};
struct inhibit_rule {
	char *name;
	struct matcher_set source, target;
	char **equal;              /* labels that must be equal in source and target */
	size_t nequal;
};
struct notify_config {
	char *path;                /* NULL: none read (no receivers, default policy) */
	struct notify_receiver *receivers;
	size_t nreceivers;
	struct notify_policy *policies; /* first match wins; always ends with a catch-all */
	size_t npolicies;
	struct inhibit_rule *inhibits;  /* default: host_unreachable mutes its host's others */
	size_t ninhibits;
};
/* Loads notify.conf; a missing file (missing_ok) gives the defaults.
 * Secrets are read here: a secret file others can read is refused (as
 * OpenSSH refuses such keys). Errors name file:line. On error cfg is empty. */
int notify_config_load(struct notify_config *cfg, const char *path, bool missing_ok,
		       struct error *err);
int notify_config_load_string(struct notify_config *cfg, const char *text, const char *name,
			      struct error *err);
void notify_config_free(struct notify_config *cfg);
const struct notify_receiver *notify_config_receiver(const struct notify_config *cfg,
						     const char *name);

/* ---- rendering (render_*.c): a notification -> the request a receiver takes ---- */
enum notify_request_kind { REQ_HTTP, REQ_SMTP, REQ_COMMAND };
struct notify_request {
	enum notify_request_kind kind;
	char *url;              /* http(s):// or smtp(s):// (may hold a secret: never log it) */
	char **headers;         /* "Content-Type: application/json", ... (may hold secrets) */
	size_t nheaders;
	char *body;             /* HTTP body / full RFC 5322 message / command's stdin */
	size_t body_len;
	char *userpwd;          /* "user:password" for basic auth / SMTP login, or NULL */
	char *mail_from;        /* SMTP */
	char **rcpt;
	size_t nrcpt;
	int starttls;           /* SMTP: 0 off, 1 try, 2 required */
	char *ca_file;
	char **argv;            /* command */
	int64_t timeout_ms;
	char *what;             /* safe to log: "discord-ops (discord)" */
};
int notify_render(const struct notify_receiver *r, const struct notification *n,
		  struct notify_request *req, struct error *err);
void notify_request_free(struct notify_request *req);

/* ---- delivery (sender.c): outbox rows -> requests, on the loop ---- */
struct notify_sender;
struct notify_sender_stats {
	uint64_t sent, retried, failed; /* failed: given up (permanent error) */
	size_t pending, in_flight;
};
struct notify_sender *notify_sender_new(struct loop *loop, struct store *st,
					const struct notify_config *cfg);
/* After a reload: later sends use cfg (the caller keeps it alive). */
void notify_sender_set_config(struct notify_sender *s, const struct notify_config *cfg);
/* New rows are in the outbox: look now rather than at the next poll. */
void notify_sender_kick(struct notify_sender *s);
void notify_sender_stats(const struct notify_sender *s, struct notify_sender_stats *st);
/* Stops; rows not confirmed stay in the outbox for the next start. */
void notify_sender_free(struct notify_sender *s);

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
