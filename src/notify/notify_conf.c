/* notify.conf: [receiver NAME], [policy NAME] and [inhibit NAME] sections.
 * The INI reader hands us lines; we keep each section's keys, then build
 * receivers first (policies name them), policies, and inhibit rules, and
 * fill in the defaults: a catch-all policy last and, when the file has no
 * [inhibit] at all, the host-down rule. See fleetop-notify(5). */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fleetop/settings.h"
#include "notify_private.h"

/* ---- helpers the builders share ---- */

const struct conf_kv *conf_get(const struct conf_section *s, const char *key)
{
	for (size_t i = s->n; i-- > 0;)
		if (strcmp(s->kv[i].key, key) == 0)
			return &s->kv[i];
	return NULL;
}

int conf_fail(const struct conf_ctx *c, const struct conf_section *s, int line,
	      struct error *err, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return error_set(err, "%s:%d: [%s %s] %s", c->name, line, s->kind, s->name, msg);
}

void conf_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int conf_list(const struct conf_ctx *c, const struct conf_section *s, const struct conf_kv *kv,
	      char ***out, size_t *n, struct error *err)
{
	*out = NULL;
	*n = 0;
	char *copy = xstrdup(kv->value);
	char *p = copy;
	for (;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		char *item = str_trim(p);
		if (*item == '\0') {
			free(copy);
			conf_strv_free(*out, *n);
			*out = NULL;
			*n = 0;
			return conf_fail(c, s, kv->line, err, "%s: empty item in the list", kv->key);
		}
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = xstrdup(item);
		if (!comma)
			break;
		p = comma + 1;
	}
	free(copy);
	return 0;
}

char *conf_path(const struct conf_ctx *c, const char *v)
{
	if (v[0] == '~' || v[0] == '/')
		return path_expand_home(v);
	return xasprintf("%s/%s", c->dir, v);
}

/* ---- collecting sections ---- */

struct reader {
	struct conf_ctx ctx;
	struct conf_section *secs;
	size_t n, cap;
	struct error *err;
};

static bool valid_name(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-@", *s))
			return false;
	return true;
}

static int on_section(struct reader *rd, const char *section, int line, struct error *err)
{
	const char *sp = section;
	while (*sp && !isspace((unsigned char)*sp))
		sp++;
	char *kind = xstrndup(section, (size_t)(sp - section));
	while (isspace((unsigned char)*sp))
		sp++;
	const char *name = sp;
	if (strcmp(kind, "receiver") && strcmp(kind, "policy") && strcmp(kind, "inhibit")) {
		error_set(err, "%s:%d: unknown section [%.60s]; expected [receiver NAME], "
			  "[policy NAME] or [inhibit NAME]", rd->ctx.name, line, section);
		free(kind);
		return -1;
	}
	if (!valid_name(name)) {
		error_set(err, "%s:%d: [%s] needs a name of letters, digits, '_', '.', '-' "
			  "(at most 64), as in [%s NAME]; got '%.60s'", rd->ctx.name, line, kind,
			  kind, name);
		free(kind);
		return -1;
	}
	for (size_t i = 0; i < rd->n; i++) {
		if (!strcmp(rd->secs[i].kind, kind) && !strcmp(rd->secs[i].name, name)) {
			error_set(err, "%s:%d: [%s %s] is already defined at line %d", rd->ctx.name,
				  line, kind, name, rd->secs[i].line);
			free(kind);
			return -1;
		}
	}
	if (rd->n == rd->cap) {
		rd->cap = rd->cap ? rd->cap * 2 : 8;
		rd->secs = xrealloc(rd->secs, rd->cap * sizeof *rd->secs);
	}
	rd->secs[rd->n++] = (struct conf_section){ .kind = kind, .name = xstrdup(name), .line = line };
	return 0;
}

static int on_line(void *arg, const char *section, const char *key, const char *value, int line,
		   struct error *err)
{
	struct reader *rd = arg;
	if (!key)
		return on_section(rd, section, line, err);
	if (rd->n == 0)
		return error_set(err, "%s:%d: '%s' is outside any section; start one with "
				 "[receiver NAME], [policy NAME] or [inhibit NAME]",
				 rd->ctx.name, line, key);
	struct conf_section *s = &rd->secs[rd->n - 1];
	/* Only `step` may repeat: a second url or match is a mistake. */
	const struct conf_kv *prev = conf_get(s, key);
	if (prev && strcmp(key, "step") != 0)
		return conf_fail(&rd->ctx, s, line, err, "'%s' is set twice (first at line %d)",
				 key, prev->line);
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->kv = xrealloc(s->kv, s->cap * sizeof *s->kv);
	}
	s->kv[s->n++] = (struct conf_kv){ xstrdup(key), xstrdup(value), line };
	return 0;
}

static void sections_free(struct reader *rd)
{
	for (size_t i = 0; i < rd->n; i++) {
		struct conf_section *s = &rd->secs[i];
		for (size_t j = 0; j < s->n; j++) {
			free(s->kv[j].key);
			free(s->kv[j].value);
		}
		free(s->kv);
		free(s->kind);
		free(s->name);
	}
	free(rd->secs);
}

/* ---- building ---- */

static void add_default_policy(struct notify_config *cfg)
{
	const char *name = "default";
	for (size_t i = 0; i < cfg->npolicies; i++)
		if (!strcmp(cfg->policies[i].name, name))
			name = "(default)";
	cfg->policies = xrealloc(cfg->policies, (cfg->npolicies + 1) * sizeof *cfg->policies);
	notify_policy_default(&cfg->policies[cfg->npolicies++], name);
}

static int build(struct notify_config *cfg, struct reader *rd, struct error *err)
{
	const struct conf_ctx *c = &rd->ctx;
	size_t nrecv = 0, npol = 0, ninh = 0;
	for (size_t i = 0; i < rd->n; i++) {
		const char *k = rd->secs[i].kind;
		nrecv += !strcmp(k, "receiver");
		npol += !strcmp(k, "policy");
		ninh += !strcmp(k, "inhibit");
	}
	cfg->receivers = nrecv ? xcalloc(nrecv, sizeof *cfg->receivers) : NULL;
	cfg->policies = xcalloc(npol + 1, sizeof *cfg->policies);
	cfg->inhibits = xcalloc(ninh ? ninh : 1, sizeof *cfg->inhibits);
	for (size_t i = 0; i < rd->n; i++) {
		if (strcmp(rd->secs[i].kind, "receiver") == 0) {
			if (notify_receiver_build(c, &rd->secs[i], &cfg->receivers[cfg->nreceivers],
						  err) < 0)
				return -1;
			cfg->nreceivers++;
		}
	}
	const struct notify_policy *catch_all = NULL;
	for (size_t i = 0; i < rd->n; i++) {
		const struct conf_section *s = &rd->secs[i];
		if (strcmp(s->kind, "policy") != 0)
			continue;
		if (catch_all)
			return conf_fail(c, s, s->line, err, "can never match: policy '%s' "
					 "(line %d) before it has no 'match' and takes every alert",
					 catch_all->name, catch_all->line);
		struct notify_policy *p = &cfg->policies[cfg->npolicies];
		if (notify_policy_build(c, s, cfg, p, err) < 0)
			return -1;
		cfg->npolicies++;
		if (p->match.n == 0)
			catch_all = p;
	}
	if (!catch_all)
		add_default_policy(cfg);
	for (size_t i = 0; i < rd->n; i++) {
		if (strcmp(rd->secs[i].kind, "inhibit") != 0)
			continue;
		int rc = notify_inhibit_build(c, &rd->secs[i], &cfg->inhibits[cfg->ninhibits], err);
		if (rc < 0)
			return -1;
		cfg->ninhibits += (size_t)rc;
	}
	/* No [inhibit] at all: the default. An [inhibit host-down] with
	 * enabled = false is how to have none. */
	if (ninh == 0)
		notify_inhibit_default(&cfg->inhibits[cfg->ninhibits++]);
	return 0;
}

static int load(struct notify_config *cfg, const char *text, const char *name,
		bool others_can_read, struct error *err)
{
	memset(cfg, 0, sizeof *cfg);
	struct reader rd = { .ctx = { .name = name, .others_can_read = others_can_read } };
	char *copy = xstrdup(name);
	char *dir = strchr(copy, '/') ? dirname(copy) : ".";
	rd.ctx.dir = xstrdup(dir);
	free(copy);
	int rc = ini_parse_sections(text, name, on_line, &rd, err);
	if (rc == 0)
		rc = build(cfg, &rd, err);
	sections_free(&rd);
	free(rd.ctx.dir);
	if (rc < 0) {
		notify_config_free(cfg);
		return -1;
	}
	return 0;
}

int notify_config_load_string(struct notify_config *cfg, const char *text, const char *name,
			      struct error *err)
{
	if (load(cfg, text, name, false, err) < 0)
		return -1;
	cfg->path = xstrdup(name);
	return 0;
}

int notify_config_load(struct notify_config *cfg, const char *path, bool missing_ok,
		       struct error *err)
{
	struct stat st;
	if (stat(path, &st) < 0 && errno == ENOENT && missing_ok)
		return load(cfg, "", "(defaults)", false, err);
	/* A command receiver in it runs as us: nobody else may write it. */
	char *text;
	size_t len;
	unsigned mode;
	if (file_read_trusted(path, &text, &len, &mode, err) < 0) {
		memset(cfg, 0, sizeof *cfg);
		return -1;
	}
	if (strlen(text) != len) {
		free(text);
		memset(cfg, 0, sizeof *cfg);
		return error_set(err, "%s: holds a NUL byte; is it a text file?", path);
	}
	int rc = load(cfg, text, path, (mode & 077) != 0, err);
	free(text);
	if (rc == 0)
		cfg->path = xstrdup(path);
	return rc;
}

void notify_config_free(struct notify_config *cfg)
{
	for (size_t i = 0; i < cfg->nreceivers; i++)
		notify_receiver_free(&cfg->receivers[i]);
	free(cfg->receivers);
	for (size_t i = 0; i < cfg->npolicies; i++)
		notify_policy_free(&cfg->policies[i]);
	free(cfg->policies);
	for (size_t i = 0; i < cfg->ninhibits; i++)
		notify_inhibit_free(&cfg->inhibits[i]);
	free(cfg->inhibits);
	free(cfg->path);
	memset(cfg, 0, sizeof *cfg);
}

const struct notify_receiver *notify_config_receiver(const struct notify_config *cfg,
						     const char *name)
{
	for (size_t i = 0; i < cfg->nreceivers; i++)
		if (strcmp(cfg->receivers[i].name, name) == 0)
			return &cfg->receivers[i];
	return NULL;
}
