/* notify.conf inside: the reader collects each [kind name] section's keys
 * first, then builds a receiver, policy or inhibit rule from them, so a
 * check can name the line of any key whatever their order. */
#ifndef FLEETOP_ALERT_NOTIFY_PRIVATE_H
#define FLEETOP_ALERT_NOTIFY_PRIVATE_H

#include "fleetop/notify.h"

struct conf_kv {
	char *key, *value;
	int line;
};
struct conf_section {
	char *kind, *name; /* "receiver", "discord-ops" */
	int line;
	struct conf_kv *kv;
	size_t n, cap;
};

/* What a build needs to know about the file it reads. */
struct conf_ctx {
	const char *name;    /* for messages: the path, or a test's name */
	char *dir;           /* relative secret files start here */
	bool others_can_read; /* the file itself is readable by group/others */
};

/* The section's value of key (the last one), or NULL. */
const struct conf_kv *conf_get(const struct conf_section *s, const char *key);
/* "file:line: [kind name] " + message. */
int conf_fail(const struct conf_ctx *c, const struct conf_section *s, int line,
	      struct error *err, const char *fmt, ...) FT_PRINTF(5, 6);
/* A comma-separated list; empty items are an error. */
int conf_list(const struct conf_ctx *c, const struct conf_section *s, const struct conf_kv *kv,
	      char ***out, size_t *n, struct error *err);
void conf_strv_free(char **v, size_t n);
/* A relative path starts at the file's folder; ~/ is $HOME. Caller frees. */
char *conf_path(const struct conf_ctx *c, const char *v);

/* notify_secret.c: the one-line secret in a file only its owner can read,
 * or in an environment variable. Messages name the file or variable, never
 * what it holds. */
int notify_secret_file(const struct conf_ctx *c, const struct conf_section *s,
		       const struct conf_kv *kv, char **out, struct error *err);
int notify_secret_env(const struct conf_ctx *c, const struct conf_section *s,
		      const struct conf_kv *kv, char **out, struct error *err);

/* ---- receiver kinds ----
 * The keys of a [receiver NAME] section, as flags: what a kind takes and
 * what it needs. */
enum {
	RK_TYPE = 1 << 0,
	RK_URL = 1 << 1,          /* url, url_file, url_env */
	RK_SECRET = 1 << 2,       /* secret, secret_file, secret_env */
	RK_USER = 1 << 3,
	RK_FROM = 1 << 4,
	RK_TO = 1 << 5,
	RK_PROJECT = 1 << 6,
	RK_ISSUE_TYPE = 1 << 7,
	RK_COMMAND = 1 << 8,
	RK_CA_FILE = 1 << 9,
	RK_STARTTLS = 1 << 10,
	RK_SEND_RESOLVED = 1 << 11,
	RK_TIMEOUT = 1 << 12,
};
/* What every HTTP kind takes. */
#define RK_HTTP (RK_TYPE | RK_URL | RK_CA_FILE | RK_SEND_RESOLVED | RK_TIMEOUT)

enum receiver_transport { TRANSPORT_HTTP, TRANSPORT_SMTP, TRANSPORT_COMMAND };

struct receiver_kind {
	const char *name;             /* type = NAME in notify.conf */
	unsigned takes, needs;        /* RK_* */
	enum receiver_transport transport;
	const char *default_url;      /* NULL: url is needed (HTTP and SMTP kinds) */
	bool url_is_secret;           /* the URL alone lets anyone post: never shown */
	bool url_has_token;           /* a token in the URL itself (never over http://) */
	const char *secret_is;        /* the secret, as messages name it; NULL: "its secret" */
	bool send_resolved;           /* the default, as Alertmanager's for its kind */
	/* Checks and fills what only this kind has, after the keys every kind
	 * shares are read into r; NULL: nothing more. Errors by conf_fail. */
	int (*build)(const struct conf_ctx *c, const struct conf_section *s,
		     struct notify_receiver *r, struct error *err);
	/* The notification as this kind's request (render.c set the common part). */
	int (*render)(const struct notify_receiver *r, const struct notification *n,
		      struct notify_request *req, struct error *err);
};

/* receiver_kinds.c: the table, NULL-terminated. */
extern const struct receiver_kind *const receiver_kinds[];
extern const struct receiver_kind receiver_discord, receiver_slack, receiver_teams,
	receiver_pagerduty, receiver_webhook, receiver_email, receiver_sms, receiver_command,
	receiver_github, receiver_jira;

/* notify_receiver.c */
int notify_receiver_build(const struct conf_ctx *c, const struct conf_section *s,
			  struct notify_receiver *r, struct error *err);
void notify_receiver_free(struct notify_receiver *r);
/* The URL's host is this machine (127.0.0.0/8, ::1, localhost): clear
 * text to it crosses no network. */
bool notify_url_is_loopback(const char *url);
/* Splits a command line: spaces separate, '...' and "..." quote, \ escapes. */
int notify_split_command(const char *text, char ***argv, size_t *argc);

/* notify_policy.c */
int notify_policy_build(const struct conf_ctx *c, const struct conf_section *s,
			const struct notify_config *cfg, struct notify_policy *p,
			struct error *err);
void notify_policy_free(struct notify_policy *p);
void notify_policy_default(struct notify_policy *p, const char *name);
/* 1 when built, 0 when switched off (enabled = false). */
int notify_inhibit_build(const struct conf_ctx *c, const struct conf_section *s,
			 struct inhibit_rule *ir, struct error *err);
void notify_inhibit_free(struct inhibit_rule *ir);
void notify_inhibit_default(struct inhibit_rule *ir);

#endif
