/* Grouping and escalation, after Alertmanager: firing alerts that are not
 * muted join the group their policy's group_by labels name. A new group
 * waits group_wait, then notifies its policy's first step; a group whose
 * alerts changed notifies again after group_interval; an unchanged one
 * repeats after repeat_interval. Escalation steps come due by the time
 * since the group began, unless every alert of it is acknowledged. When
 * the last alert resolves, receivers with send_resolved hear so at the
 * group's next group_interval and the group ends; an alert of it that fires
 * again before then carries the group on, so a flapping alert makes one
 * notification a group_interval rather than two a flap. A notification is
 * one outbox row a receiver, keyed by the group, when it began and its
 * sequence number, written in the tick's transaction with the group's new
 * state, so a crash before the commit makes the same rows with the same
 * keys again (but for a group's first notification: nothing of that group
 * was committed, so nothing was sent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_private.h"

static const char *const default_group_by[] = { "rule", "group" };

uint64_t alert_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void group_free(struct group_state *g)
{
	free(g->key);
	free(g->policy_name);
	free(g->last_digest);
	free(g->members);
}

void groups_free(struct alert_engine *ae)
{
	for (size_t i = 0; i < ae->ngroups; i++)
		group_free(&ae->groups[i]);
	free(ae->groups);
	ae->groups = NULL;
	ae->ngroups = ae->capgroups = 0;
}

static struct group_state *group_add(struct alert_engine *ae, const char *key,
				     const char *policy)
{
	if (ae->ngroups == ae->capgroups) {
		ae->capgroups = ae->capgroups ? ae->capgroups * 2 : 16;
		ae->groups = xrealloc(ae->groups, ae->capgroups * sizeof *ae->groups);
	}
	struct group_state *g = &ae->groups[ae->ngroups++];
	memset(g, 0, sizeof *g);
	g->key = xstrdup(key);
	g->policy_name = xstrdup(policy);
	g->policy = -1;
	g->last_digest = xstrdup("");
	return g;
}

static struct group_state *group_find(struct alert_engine *ae, const char *key,
				      const char *policy)
{
	for (size_t i = 0; i < ae->ngroups; i++) {
		if (strcmp(ae->groups[i].key, key) == 0 &&
		    strcmp(ae->groups[i].policy_name, policy) == 0)
			return &ae->groups[i];
	}
	return NULL;
}

static bool digest_has(const char *digest, int64_t id);

/* Whether a stored group told of an alert of this engine's hosts (read
 * back before the groups). */
static bool group_ours(const struct alert_engine *ae, const char *digest)
{
	for (size_t s = 0; s < ae->nslots; s++) {
		for (size_t h = 0; h < ae->fleet->nhosts; h++) {
			const struct alert_inst *a = &ae->slots[s].inst[h];
			if (ae->hosts[h] && a->id && digest_has(digest, a->id))
				return true;
		}
	}
	return false;
}

static void group_row(void *arg, const struct store_group *sg)
{
	struct alert_engine *ae = arg;
	/* A selection's engine leaves other engines' groups alone. */
	if (ae->hosts && !group_ours(ae, sg->last_digest))
		return;
	struct group_state *g = group_add(ae, sg->key, sg->policy);
	g->created_ms = sg->first_fired_ms;
	g->last_notified_ms = sg->last_notified_ms;
	free(g->last_digest);
	g->last_digest = xstrdup(sg->last_digest);
	g->step = sg->step;
	g->seq = sg->seq;
	g->notified = true;
}

int groups_load(struct alert_engine *ae, struct error *err)
{
	return store_groups(ae->store, group_row, ae, err);
}

static int policy_for(const struct alert_engine *ae, const struct alert_inst *a)
{
	if (!ae->notify)
		return -1;
	for (size_t p = 0; p < ae->notify->npolicies; p++) {
		if (matchers_match(&ae->notify->policies[p].match, a->labels, a->nlabels))
			return (int)p;
	}
	return -1;
}

/* {group="eu",rule="cpu_high"}: the group_by labels' values, in order. */
static char *group_key_of(const struct alert_engine *ae, int policy, const struct alert_inst *a)
{
	const char *const *by = default_group_by;
	size_t nby = 2;
	if (policy >= 0 && ae->notify->policies[policy].ngroup_by) {
		by = (const char *const *)ae->notify->policies[policy].group_by;
		nby = ae->notify->policies[policy].ngroup_by;
	}
	struct buf b = { 0 };
	buf_puts(&b, "{");
	for (size_t i = 0; i < nby; i++) {
		const char *v = labels_get(a->labels, a->nlabels, by[i]);
		buf_printf(&b, "%s%s=\"%s\"", i ? "," : "", by[i], v ? v : "");
	}
	buf_puts(&b, "}");
	buf_append(&b, "", 1);
	return (char *)b.data;
}

static void member_add(struct group_state *g, uint32_t slot, uint32_t host)
{
	if (g->nmembers == g->capmembers) {
		g->capmembers = g->capmembers ? g->capmembers * 2 : 8;
		g->members = xrealloc(g->members, g->capmembers * sizeof *g->members);
	}
	g->members[g->nmembers++] = (struct member){ slot, host };
}

static int member_order(const void *pa, const void *pb, void *arg)
{
	const struct member *a = pa, *b = pb;
	const struct alert_engine *ae = arg;
	int64_t ia = ae->slots[a->slot].inst[a->host].id, ib = ae->slots[b->slot].inst[b->host].id;
	return ia < ib ? -1 : ia > ib;
}

static char *digest_of(const struct alert_engine *ae, const struct group_state *g)
{
	struct buf b = { 0 };
	for (size_t i = 0; i < g->nmembers; i++) {
		const struct alert_inst *a = &ae->slots[g->members[i].slot].inst[g->members[i].host];
		buf_printf(&b, "%s%lld", i ? "," : "", (long long)a->id);
	}
	buf_append(&b, "", 1);
	return (char *)b.data;
}

static bool digest_has(const char *digest, int64_t id)
{
	char *end;
	for (const char *p = digest; *p; p = *end ? end + 1 : end) {
		long long v = strtoll(p, &end, 10);
		if (end == p)
			break;
		if (v == id)
			return true;
	}
	return false;
}

static struct alert_label *labels_copy(const struct alert_label *l, size_t n)
{
	struct alert_label *c = xcalloc(n + 1, sizeof *c);
	for (size_t i = 0; i < n; i++) {
		c[i].key = xstrdup(l[i].key);
		c[i].value = xstrdup(l[i].value);
	}
	return c;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void notify_alert_from_inst(struct notify_alert *na, const struct alert_engine *ae,
				   const struct member *m)
{
	const struct alert_rule *r = ae->slots[m->slot].rule;
	const struct alert_inst *a = &ae->slots[m->slot].inst[m->host];
	const char *host = ae->fleet->hosts[m->host].name;
	*na = (struct notify_alert){
		.id = a->id,
		.fingerprint = xasprintf("%s/%s", r->name, host),
		.status = xstrdup("firing"),
		.rule = xstrdup(r->name),
		.host = xstrdup(host),
		.summary = xstrdup(a->summary ? a->summary : r->name),
		.runbook = dup_or_null(r->runbook),
		.severity = r->severity,
		.labels = labels_copy(a->labels, a->nlabels),
		.nlabels = a->nlabels,
		.value = a->value,
		.starts_ms = a->fired_ms,
		.acked_by = dup_or_null(a->acked_by),
	};
}

/* A resolved alert is read back from the store (it left memory when it
 * resolved). One that is still open left the group because it is muted
 * now: it is not over, so it is not announced as resolved (as in
 * Alertmanager, a silenced alert just drops out). */
static void resolved_row(void *arg, const struct store_alert *a)
{
	struct notify_alert *na = arg;
	enum alert_severity sev = SEV_NONE;
	if (strcmp(a->state, "resolved") != 0)
		return;
	alert_severity_parse(a->severity, &sev);
	*na = (struct notify_alert){
		.id = a->id,
		.fingerprint = xstrdup(a->fingerprint),
		.status = xstrdup("resolved"),
		.rule = xstrdup(a->rule),
		.host = xstrdup(a->host),
		.summary = xstrdup(a->summary),
		.runbook = dup_or_null(a->runbook),
		.severity = sev,
		.value = a->value,
		.starts_ms = a->fired_ms ? a->fired_ms : a->started_ms,
		.ends_ms = a->resolved_ms ? a->resolved_ms : a->updated_ms,
		.acked_by = dup_or_null(a->acked_by),
	};
	struct error err;
	if (labels_from_json(a->labels, &na->labels, &na->nlabels, &err) < 0)
		log_warn("alert %lld: %s", (long long)a->id, err.msg);
}

static void pretty_rule(struct buf *b, const char *rule)
{
	for (const char *p = rule; *p; p++)
		buf_append(b, *p == '_' ? " " : p, 1);
}

/* "mc-03: CPU 94% over 2m", "14 hosts in @eu: cpu high", "3 alerts: ..." */
static char *title_of(const struct notify_alert *alerts, size_t n, const char *status)
{
	struct buf b = { 0 };
	if (n == 1) {
		buf_puts(&b, alerts[0].summary);
	} else {
		bool same_rule = true, same_group = true;
		const char *g0 = labels_get(alerts[0].labels, alerts[0].nlabels, "group");
		for (size_t i = 1; i < n; i++) {
			same_rule &= strcmp(alerts[i].rule, alerts[0].rule) == 0;
			const char *gi = labels_get(alerts[i].labels, alerts[i].nlabels, "group");
			same_group &= g0 && gi && strcmp(g0, gi) == 0;
		}
		if (same_rule) {
			buf_printf(&b, "%zu hosts", n);
			if (same_group)
				buf_printf(&b, " in @%s", g0);
			buf_puts(&b, ": ");
			pretty_rule(&b, alerts[0].rule);
		} else {
			buf_printf(&b, "%zu alerts", n);
			if (same_group)
				buf_printf(&b, " in @%s", g0);
			buf_puts(&b, ": ");
			for (size_t i = 0; i < n && i < 3; i++) {
				if (i)
					buf_puts(&b, ", ");
				pretty_rule(&b, alerts[i].rule);
			}
			if (n > 3)
				buf_puts(&b, ", ...");
		}
	}
	if (strcmp(status, "resolved") == 0)
		buf_puts(&b, " (resolved)");
	buf_append(&b, "", 1);
	return (char *)b.data;
}

static void common_labels(struct notification *n)
{
	if (!n->nalerts)
		return;
	const struct notify_alert *a0 = &n->alerts[0];
	n->common_labels = xcalloc(a0->nlabels + 1, sizeof *n->common_labels);
	for (size_t l = 0; l < a0->nlabels; l++) {
		bool all = true;
		for (size_t i = 1; i < n->nalerts && all; i++) {
			const char *v = labels_get(n->alerts[i].labels, n->alerts[i].nlabels,
						   a0->labels[l].key);
			all = v && strcmp(v, a0->labels[l].value) == 0;
		}
		if (all) {
			n->common_labels[n->ncommon].key = xstrdup(a0->labels[l].key);
			n->common_labels[n->ncommon].value = xstrdup(a0->labels[l].value);
			n->ncommon++;
		}
	}
}

/* The notification for a group now: its firing members, then those of the
 * last notification that have resolved since. */
static int notification_build(struct alert_engine *ae, struct group_state *g,
			      struct notification *n, int64_t now_ms, struct error *err)
{
	memset(n, 0, sizeof *n);
	size_t cap = g->nmembers + 1;
	for (const char *p = g->last_digest; *p; p++)
		cap += *p == ',';
	cap += 1;
	n->alerts = xcalloc(cap, sizeof *n->alerts);
	for (size_t i = 0; i < g->nmembers; i++)
		notify_alert_from_inst(&n->alerts[n->nalerts++], ae, &g->members[i]);
	char *end;
	for (const char *p = g->last_digest; *p && n->nalerts < cap; p = *end ? end + 1 : end) {
		long long id = strtoll(p, &end, 10);
		if (end == p)
			break;
		bool firing = false;
		for (size_t i = 0; i < g->nmembers && !firing; i++)
			firing = n->alerts[i].id == id;
		if (firing)
			continue;
		if (store_alert_get(ae->store, id, resolved_row, &n->alerts[n->nalerts], err) < 0)
			return -1;
		if (n->alerts[n->nalerts].status)
			n->nalerts++;
	}
	n->status = xstrdup(g->nmembers ? "firing" : "resolved");
	n->group_key = xstrdup(g->key);
	for (size_t i = 0; i < n->nalerts; i++) {
		if (n->alerts[i].severity > n->severity &&
		    (!g->nmembers || strcmp(n->alerts[i].status, "firing") == 0))
			n->severity = n->alerts[i].severity;
	}
	if (g->nmembers)
		n->title = title_of(n->alerts, g->nmembers, "firing");
	else if (n->nalerts)
		n->title = title_of(n->alerts, n->nalerts, "resolved");
	else
		n->title = xstrdup(""); /* every one left muted: nothing to say */
	common_labels(n);
	n->created_ms = now_ms;
	return 0;
}

static bool list_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0)
			return true;
	}
	return false;
}

/* Puts n in the outbox for the receivers of steps [from, to) (deduplicated),
 * only those with send_resolved when resolved_only. */
static int send_steps(struct alert_engine *ae, struct group_state *g, struct notification *n,
		      size_t from, size_t to, bool resolved_only, int64_t now_ms, struct error *err)
{
	const struct notify_policy *p = &ae->notify->policies[g->policy];
	char *done[64];
	size_t ndone = 0;
	uint64_t gh = alert_hash(g->policy_name) ^ alert_hash(g->key) * 31;
	int rc = 0;
	g->seq++;
	for (size_t s = from; s < to && s < p->nsteps && rc == 0; s++) {
		for (size_t r = 0; r < p->steps[s].nreceivers && rc == 0; r++) {
			const char *name = p->steps[s].receivers[r];
			const struct notify_receiver *recv = notify_config_receiver(ae->notify, name);
			if (!recv || list_has(done, ndone, name) || ndone == 64)
				continue;
			if (resolved_only && !recv->send_resolved)
				continue;
			done[ndone++] = (char *)name;
			free(n->key);
			free(n->receiver);
			/* created_ms tells a group's incidents apart: seq starts
			 * over when a group ends, and the outbox ignores a key it
			 * already holds. */
			n->key = xasprintf("fo-%016llx-%lld-%lld-%s", (unsigned long long)gh,
					   (long long)g->created_ms, (long long)g->seq, name);
			n->receiver = xstrdup(name);
			n->step = (int)s;
			char *json = notification_to_json(n);
			int added = store_outbox_add(ae->store, n->key, name, json, now_ms, err);
			free(json);
			if (added < 0) {
				rc = -1;
				break;
			}
			ae->queued += added;
			char *detail = xasprintf("%s: %s (%zu alerts, key %s)", name, n->title,
						 n->nalerts, n->key);
			rc = store_alert_log(ae->store, now_ms, n->nalerts ? n->alerts[0].id : 0,
					     "notified", NULL, detail, err);
			free(detail);
		}
	}
	return rc;
}

static int group_save(struct alert_engine *ae, struct group_state *g, const char *digest,
		      int64_t now_ms, struct error *err)
{
	char *d = xstrdup(digest); /* digest may be g->last_digest itself */
	free(g->last_digest);
	g->last_digest = d;
	g->last_notified_ms = now_ms;
	g->notified = true;
	struct store_group sg = { .key = g->key, .policy = g->policy_name,
				  .first_fired_ms = g->created_ms,
				  .last_notified_ms = now_ms, .last_digest = d,
				  .step = g->step, .seq = g->seq };
	return store_group_put(ae->store, &sg, err);
}

/* Steps due since the group began (in order; a later step never comes due
 * before an earlier one). */
static size_t steps_due(const struct notify_policy *p, int64_t elapsed)
{
	size_t k = 0;
	while (k < p->nsteps && p->steps[k].after_ms <= elapsed)
		k++;
	return k;
}

/* 0 (or -1 on a storage error); 1 for a group with no alert left that
 * has not said so yet: it stays until its group_interval. */
static int group_flush(struct alert_engine *ae, struct group_state *g, int64_t now_ms,
		       struct error *err)
{
	const struct notify_policy *p = &ae->notify->policies[g->policy];
	char *digest = digest_of(ae, g);
	bool all_acked = g->nmembers > 0;
	for (size_t i = 0; i < g->nmembers && all_acked; i++)
		all_acked = ae->slots[g->members[i].slot].inst[g->members[i].host].acked_by != NULL;
	bool changed = strcmp(digest, g->last_digest) != 0;
	struct notification n;
	int rc = 0;
	if (!g->nmembers) {
		/* Over: those who heard it began hear so at its group_interval,
		 * unless it carries on by then. */
		if (g->notified && *g->last_digest &&
		    now_ms - g->last_notified_ms < p->group_interval_ms) {
			free(digest);
			return 1;
		}
		if (g->notified && *g->last_digest) {
			rc = notification_build(ae, g, &n, now_ms, err);
			if (rc == 0 && n.nalerts)
				rc = send_steps(ae, g, &n, 0, (size_t)g->step, true, now_ms, err);
			notification_free(&n);
		}
		if (rc == 0 && g->notified)
			rc = store_group_del(ae->store, g->key, g->policy_name, err);
		free(digest);
		return rc;
	}
	size_t due = all_acked ? (size_t)g->step : steps_due(p, now_ms - g->created_ms);
	if (!g->notified) {
		if (now_ms - g->created_ms < p->group_wait_ms) {
			free(digest);
			return 0;
		}
		g->step = 0;
		rc = notification_build(ae, g, &n, now_ms, err);
		if (rc == 0)
			rc = send_steps(ae, g, &n, 0, due, false, now_ms, err);
		g->step = (int)due;
		notification_free(&n);
	} else if (due > (size_t)g->step) {
		/* Escalation: the new steps' receivers hear the group as it is;
		 * those reached before hear it too if it changed. */
		size_t reached = (size_t)g->step;
		rc = notification_build(ae, g, &n, now_ms, err);
		if (rc == 0)
			rc = send_steps(ae, g, &n, reached, due, false, now_ms, err);
		g->step = (int)due;
		notification_free(&n);
		if (rc == 0 && changed && reached > 0) {
			if (now_ms - g->last_notified_ms >= p->group_interval_ms) {
				rc = notification_build(ae, g, &n, now_ms, err);
				if (rc == 0)
					rc = send_steps(ae, g, &n, 0, reached, false, now_ms, err);
				notification_free(&n);
			} else {
				/* Too soon for those told before: they hear of the
				 * change at the group_interval, through the change
				 * branch, so the old digest and time stay. */
				free(digest);
				return group_save(ae, g, g->last_digest, g->last_notified_ms, err);
			}
		}
	} else if (changed && now_ms - g->last_notified_ms >= p->group_interval_ms) {
		bool grew = false;
		for (size_t i = 0; i < g->nmembers && !grew; i++) {
			int64_t id = ae->slots[g->members[i].slot].inst[g->members[i].host].id;
			grew = !digest_has(g->last_digest, id);
		}
		rc = notification_build(ae, g, &n, now_ms, err);
		if (rc == 0)
			rc = send_steps(ae, g, &n, 0, (size_t)g->step, !grew, now_ms, err);
		notification_free(&n);
	} else if (!changed && !all_acked && p->repeat_interval_ms > 0 &&
		   now_ms - g->last_notified_ms >= p->repeat_interval_ms) {
		rc = notification_build(ae, g, &n, now_ms, err);
		if (rc == 0)
			rc = send_steps(ae, g, &n, 0, (size_t)g->step, false, now_ms, err);
		notification_free(&n);
	} else {
		free(digest);
		return 0;
	}
	if (rc == 0)
		rc = group_save(ae, g, digest, now_ms, err);
	free(digest);
	return rc;
}

int groups_tick(struct alert_engine *ae, int64_t now_ms, struct error *err)
{
	for (size_t i = 0; i < ae->ngroups; i++) {
		ae->groups[i].nmembers = 0;
		ae->groups[i].policy = -1;
		if (ae->notify) {
			for (size_t p = 0; p < ae->notify->npolicies; p++) {
				if (strcmp(ae->notify->policies[p].name, ae->groups[i].policy_name) == 0)
					ae->groups[i].policy = (int)p;
			}
		}
	}
	for (size_t s = 0; s < ae->nslots; s++) {
		for (size_t h = 0; h < ae->fleet->nhosts; h++) {
			struct alert_inst *a = &ae->slots[s].inst[h];
			if (a->state == ALERT_INACTIVE)
				continue;
			int policy = policy_for(ae, a);
			char *key = group_key_of(ae, policy, a);
			if (!a->group_key || strcmp(a->group_key, key) != 0) {
				free(a->group_key);
				a->group_key = key;
			} else {
				free(key);
			}
			a->policy = policy;
			if (a->state != ALERT_FIRING || a->muted || policy < 0 || !ae->store)
				continue;
			const char *pname = ae->notify->policies[policy].name;
			struct group_state *g = group_find(ae, a->group_key, pname);
			if (!g) {
				g = group_add(ae, a->group_key, pname);
				g->created_ms = now_ms;
				g->policy = policy;
			}
			member_add(g, (uint32_t)s, (uint32_t)h);
		}
	}
	int rc = 0;
	for (size_t i = 0; i < ae->ngroups && rc == 0;) {
		struct group_state *g = &ae->groups[i];
		if (g->policy < 0) {
			/* Its policy went with a reload: forget it. */
			if (g->notified && (rc = engine_tx(ae, err)) == 0)
				rc = store_group_del(ae->store, g->key, g->policy_name, err);
		} else {
			if (g->nmembers)
				qsort_r(g->members, g->nmembers, sizeof *g->members, member_order,
					ae);
			bool lingers = false;
			if ((rc = engine_tx(ae, err)) == 0 && (rc = group_flush(ae, g, now_ms, err)) > 0) {
				lingers = true;
				rc = 0;
			}
			if (g->nmembers || lingers) {
				i++;
				continue;
			}
		}
		group_free(g);
		ae->groups[i] = ae->groups[--ae->ngroups];
	}
	return rc;
}
