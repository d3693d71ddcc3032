/* notify: telling people about alerts. The words alerts are described in
 * (severity, labels, matchers over labels), what one notification says,
 * notify.conf (receivers, routing policies with escalation steps,
 * inhibition rules), rendering a notification into the request a service
 * takes (one file a kind of receiver), and the outbox sender that delivers
 * those requests on the loop with libcurl and command hooks, retrying with
 * backoff. The alert module decides what to notify; this one delivers it.
 * See fleetop-notify(5).
 *
 * Time: every function that decides something takes now_ms (wall clock,
 * ms since the epoch) from its caller, so tests drive a clock of their own. */
#ifndef FLEETOP_NOTIFY_H
#define FLEETOP_NOTIFY_H

#include <regex.h>

#include "fleetop/core.h"
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
/* A kind of receiver (discord, email, command, ...): one file,
 * src/notify/render_NAME.c, describes it, and one row in receiver_kinds[]
 * (src/notify/receiver_kinds.c) makes notify.conf take `type = NAME`. */
struct receiver_kind;
const struct receiver_kind *receiver_kind_find(const char *name); /* NULL: no such kind */
const char *receiver_kind_name(const struct receiver_kind *k);    /* "discord" */
/* Every kind's name, comma-separated ("discord, slack, ... or jira"), for messages. */
const char *receiver_kind_names(void);

struct notify_receiver {
	char *name;
	const struct receiver_kind *kind;
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

#endif
