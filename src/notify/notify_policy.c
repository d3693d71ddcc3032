/* [policy NAME] (which alerts, how they group, who hears of them when)
 * and [inhibit NAME] (which alerts mute which) of notify.conf. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "notify_private.h"

#define GROUP_WAIT_MS (30 * 1000)
#define GROUP_INTERVAL_MS (5 * 60 * 1000)
#define REPEAT_INTERVAL_MS (4LL * 3600 * 1000)

static bool label_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

static int matchers_key(const struct conf_ctx *c, const struct conf_section *s,
			const struct conf_kv *kv, struct matcher_set *ms, struct error *err)
{
	struct error e;
	if (matchers_parse(ms, kv->value, &e) < 0)
		return conf_fail(c, s, kv->line, err, "%s: %s", kv->key, e.msg);
	return 0;
}

static int labels_key(const struct conf_ctx *c, const struct conf_section *s,
		      const struct conf_kv *kv, char ***out, size_t *n, struct error *err)
{
	if (*kv->value == '\0')
		return conf_fail(c, s, kv->line, err, "%s is empty; name at least one label",
				 kv->key);
	if (conf_list(c, s, kv, out, n, err) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++)
		if (!label_name_ok((*out)[i]))
			return conf_fail(c, s, kv->line, err, "%s: '%.60s' is not a label name",
					 kv->key, (*out)[i]);
	return 0;
}

static int duration_key(const struct conf_ctx *c, const struct conf_section *s,
			const char *key, int64_t min_ms, int64_t *out, struct error *err)
{
	const struct conf_kv *kv = conf_get(s, key);
	if (!kv)
		return 0;
	if (parse_duration_ms(kv->value, out) < 0 || *out < min_ms)
		return conf_fail(c, s, kv->line, err, "%s '%.40s': expected a duration like %s",
				 key, kv->value, min_ms ? "5m" : "30s (0 for none)");
	return 0;
}

/* "[after] receiver[, receiver...]" */
static int parse_step(const struct conf_ctx *c, const struct conf_section *s,
		      const struct conf_kv *kv, const struct notify_config *cfg,
		      struct policy_step *st, struct error *err)
{
	memset(st, 0, sizeof *st);
	const char *v = kv->value;
	const char *sp = v + strcspn(v, " \t");
	const char *rest = v;
	if (*sp) {
		char *first = xstrndup(v, (size_t)(sp - v));
		int64_t ms;
		if (parse_duration_ms(first, &ms) == 0) {
			st->after_ms = ms;
			rest = sp;
		}
		free(first);
	}
	while (*rest == ' ' || *rest == '\t')
		rest++;
	int64_t ms;
	if (*rest == '\0' || (rest == v && parse_duration_ms(v, &ms) == 0 &&
			       !notify_config_receiver(cfg, v)))
		return conf_fail(c, s, kv->line, err, "step '%.60s' names no receiver; expected "
				 "'[AFTER] RECEIVER[, RECEIVER...]' like '5m mail'", v);
	struct conf_kv list = { kv->key, (char *)rest, kv->line };
	if (conf_list(c, s, &list, &st->receivers, &st->nreceivers, err) < 0)
		return -1;
	for (size_t i = 0; i < st->nreceivers; i++) {
		if (!notify_config_receiver(cfg, st->receivers[i]))
			return conf_fail(c, s, kv->line, err, "step names receiver '%.60s', which "
					 "is not defined (expected [receiver %.60s])",
					 st->receivers[i], st->receivers[i]);
	}
	return 0;
}

static const char *known_policy_keys[] = { "match", "group_by", "group_wait", "group_interval",
					   "repeat_interval", "step" };

int notify_policy_build(const struct conf_ctx *c, const struct conf_section *s,
			const struct notify_config *cfg, struct notify_policy *p,
			struct error *err)
{
	notify_policy_default(p, s->name);
	free(p->file);
	p->file = xstrdup(c->name);
	p->line = s->line;
	int rc = -1;
	for (size_t i = 0; i < s->n; i++) {
		bool known = false;
		for (size_t k = 0; k < sizeof known_policy_keys / sizeof *known_policy_keys; k++)
			known |= !strcmp(s->kv[i].key, known_policy_keys[k]);
		if (!known) {
			conf_fail(c, s, s->kv[i].line, err, "unknown key '%.40s' (expected match, "
				  "group_by, group_wait, group_interval, repeat_interval or step)",
				  s->kv[i].key);
			goto out;
		}
	}
	const struct conf_kv *kv;
	if ((kv = conf_get(s, "match")) && matchers_key(c, s, kv, &p->match, err) < 0)
		goto out;
	if ((kv = conf_get(s, "group_by"))) {
		conf_strv_free(p->group_by, p->ngroup_by);
		p->group_by = NULL;
		p->ngroup_by = 0;
		if (labels_key(c, s, kv, &p->group_by, &p->ngroup_by, err) < 0)
			goto out;
	}
	if (duration_key(c, s, "group_wait", 0, &p->group_wait_ms, err) < 0 ||
	    duration_key(c, s, "group_interval", 1000, &p->group_interval_ms, err) < 0 ||
	    duration_key(c, s, "repeat_interval", 1000, &p->repeat_interval_ms, err) < 0)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->kv[i].key, "step") != 0)
			continue;
		p->steps = xrealloc(p->steps, (p->nsteps + 1) * sizeof *p->steps);
		struct policy_step *st = &p->steps[p->nsteps++];
		if (parse_step(c, s, &s->kv[i], cfg, st, err) < 0)
			goto out;
		if (p->nsteps > 1 && st->after_ms < st[-1].after_ms) {
			conf_fail(c, s, s->kv[i].line, err, "steps must be in order of their delay: "
				  "this one comes earlier than the step before it");
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0)
		notify_policy_free(p);
	return rc;
}

void notify_policy_default(struct notify_policy *p, const char *name)
{
	memset(p, 0, sizeof *p);
	p->name = xstrdup(name);
	p->file = xstrdup("(defaults)");
	p->group_by = xcalloc(2, sizeof *p->group_by);
	p->group_by[0] = xstrdup("rule");
	p->group_by[1] = xstrdup("group");
	p->ngroup_by = 2;
	p->group_wait_ms = GROUP_WAIT_MS;
	p->group_interval_ms = GROUP_INTERVAL_MS;
	p->repeat_interval_ms = REPEAT_INTERVAL_MS;
}

void notify_policy_free(struct notify_policy *p)
{
	free(p->name);
	free(p->file);
	matchers_free(&p->match);
	conf_strv_free(p->group_by, p->ngroup_by);
	for (size_t i = 0; i < p->nsteps; i++)
		conf_strv_free(p->steps[i].receivers, p->steps[i].nreceivers);
	free(p->steps);
	memset(p, 0, sizeof *p);
}

/* ---- inhibit ---- */

int notify_inhibit_build(const struct conf_ctx *c, const struct conf_section *s,
			 struct inhibit_rule *ir, struct error *err)
{
	memset(ir, 0, sizeof *ir);
	static const char *known[] = { "source", "target", "equal", "enabled" };
	for (size_t i = 0; i < s->n; i++) {
		bool ok = false;
		for (size_t k = 0; k < sizeof known / sizeof *known; k++)
			ok |= !strcmp(s->kv[i].key, known[k]);
		if (!ok)
			return conf_fail(c, s, s->kv[i].line, err, "unknown key '%.40s' (expected "
					 "source, target, equal or enabled)", s->kv[i].key);
	}
	const struct conf_kv *kv = conf_get(s, "enabled");
	bool enabled = true;
	if (kv && !parse_bool(kv->value, &enabled))
		return conf_fail(c, s, kv->line, err, "enabled '%.40s': expected true or false",
				 kv->value);
	if (!enabled)
		return 0;
	const struct conf_kv *src = conf_get(s, "source"), *dst = conf_get(s, "target");
	if (!src || !dst)
		return conf_fail(c, s, s->line, err, "needs 'source' and 'target' matchers "
				 "(or enabled = false)");
	ir->name = xstrdup(s->name);
	if (matchers_key(c, s, src, &ir->source, err) < 0 ||
	    matchers_key(c, s, dst, &ir->target, err) < 0)
		goto fail;
	if (ir->source.n == 0 || ir->target.n == 0) {
		conf_fail(c, s, (ir->source.n ? dst : src)->line, err,
			  "%s is empty: it would match every alert",
			  ir->source.n ? "target" : "source");
		goto fail;
	}
	if ((kv = conf_get(s, "equal")) && *kv->value &&
	    labels_key(c, s, kv, &ir->equal, &ir->nequal, err) < 0)
		goto fail;
	return 1;
fail:
	notify_inhibit_free(ir);
	return -1;
}

void notify_inhibit_default(struct inhibit_rule *ir)
{
	memset(ir, 0, sizeof *ir);
	ir->name = xstrdup("host-down");
	struct error e;
	/* Constant text: these cannot fail. */
	matchers_parse(&ir->source, "rule=host_unreachable", &e);
	matchers_parse(&ir->target, "rule!=host_unreachable", &e);
	ir->equal = xcalloc(1, sizeof *ir->equal);
	ir->equal[0] = xstrdup("host");
	ir->nequal = 1;
}

void notify_inhibit_free(struct inhibit_rule *ir)
{
	free(ir->name);
	matchers_free(&ir->source);
	matchers_free(&ir->target);
	conf_strv_free(ir->equal, ir->nequal);
	memset(ir, 0, sizeof *ir);
}
