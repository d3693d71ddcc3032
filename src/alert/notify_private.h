/* notify.conf inside: the reader collects each [kind name] section's keys
 * first, then builds a receiver, policy or inhibit rule from them, so a
 * check can name the line of any key whatever their order. */
#ifndef FLEETOP_ALERT_NOTIFY_PRIVATE_H
#define FLEETOP_ALERT_NOTIFY_PRIVATE_H

#include "fleetop/alert.h"

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

/* notify_receiver.c */
int notify_receiver_build(const struct conf_ctx *c, const struct conf_section *s,
			  struct notify_receiver *r, struct error *err);
void notify_receiver_free(struct notify_receiver *r);
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
