/* The alert engine's lifecycle: each tick, every rule on every host in its
 * scope; an alert goes pending when the condition holds, firing once it held
 * for `for`, and resolved when it no longer holds (after keep_firing_for, or
 * once the rule's clear condition holds). Every transition is a row in the
 * alert table and a line in the audit log, written in the tick's one
 * transaction with the notifications it causes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_private.h"

struct alert_engine *alert_engine_new(struct fleet *f, struct store *st, int64_t now_ms)
{
	struct alert_engine *ae = xcalloc(1, sizeof *ae);
	ae->fleet = f;
	ae->store = st;
	ae->started_ms = now_ms;
	ae->host_sev = xcalloc(f->nhosts + 1, sizeof *ae->host_sev);
	ae->dirty = xcalloc(f->nhosts + 1, 1);
	ae->lock_fd = -1;
	ae->follow_read_ms = INT64_MIN / 2;
	return ae;
}

static void view_clear(struct alert_engine *ae)
{
	if (ae->view_owned) {
		for (size_t i = 0; i < ae->nview; i++) {
			struct alert_info *v = &ae->view[i];
			free((char *)v->rule);
			free((char *)v->host);
			free((char *)v->summary);
			free((char *)v->runbook);
			free((char *)v->group_key);
			free((char *)v->acked_by);
		}
	}
	free(ae->view);
	ae->view = NULL;
	ae->nview = 0;
	ae->view_owned = false;
}

void inst_clear(struct alert_inst *a)
{
	free(a->summary);
	labels_free(a->labels, a->nlabels);
	free(a->acked_by);
	free(a->group_key);
	memset(a, 0, sizeof *a);
	a->policy = -1;
}

static void slots_free(struct rule_slot *slots, size_t n, size_t nhosts)
{
	for (size_t i = 0; i < n; i++) {
		if (slots[i].inst) {
			for (size_t h = 0; h < nhosts; h++)
				inst_clear(&slots[i].inst[h]);
		}
		free(slots[i].inst);
		free(slots[i].scope);
	}
	free(slots);
}

void alert_engine_free(struct alert_engine *ae)
{
	if (!ae)
		return;
	if (ae->in_tx)
		store_tx_rollback(ae->store);
	slots_free(ae->slots, ae->nslots, ae->fleet->nhosts);
	alert_windows_free(ae->win);
	mutes_free(ae);
	groups_free(ae);
	view_clear(ae);
	free(ae->host_sev);
	free(ae->dirty);
	store_unlock(&ae->lock_fd); /* the next engine on this history takes over */
	free(ae);
}

int engine_tx(struct alert_engine *ae, struct error *err)
{
	if (ae->in_tx || !ae->store)
		return 0;
	if (store_tx_begin(ae->store, err) < 0)
		return -1;
	ae->in_tx = true;
	return 0;
}

static void view_build(struct alert_engine *ae);

/* After a failed write the store holds the last committed state and memory
 * may be ahead of it (ids of rows rolled back, groups that think they
 * notified): forget what memory holds and read the store again at the next
 * tick, as a restart does. */
static void engine_resync(struct alert_engine *ae)
{
	for (size_t i = 0; i < ae->nslots; i++) {
		for (size_t h = 0; h < ae->fleet->nhosts; h++)
			inst_clear(&ae->slots[i].inst[h]);
	}
	groups_free(ae);
	ae->loaded = false;
}

static struct rule_slot *slot_find(struct alert_engine *ae, const char *rule)
{
	for (size_t i = 0; i < ae->nslots; i++) {
		if (strcmp(ae->slots[i].rule->name, rule) == 0)
			return &ae->slots[i];
	}
	return NULL;
}

/* Stores an alert's state (and logs what happened) in the tick's
 * transaction. */
static int inst_store(struct alert_engine *ae, const struct alert_rule *r, const struct host *h,
		      struct alert_inst *a, const char *what, int64_t now_ms, struct error *err)
{
	if (!ae->store)
		return 0;
	if (engine_tx(ae, err) < 0)
		return -1;
	const char *state = a->state == ALERT_FIRING ? "firing"
			  : a->state == ALERT_PENDING ? "pending" : "resolved";
	struct store_alert row = {
		.id = a->id,
		.rule = r->name,
		.host = h->name,
		.severity = alert_severity_name(r->severity),
		.state = state,
		.summary = a->summary,
		.runbook = r->runbook,
		.value = isfinite(a->value) ? a->value : 0,
		.group_key = a->group_key,
		.started_ms = a->since_ms,
		.fired_ms = a->fired_ms,
		.resolved_ms = a->state == ALERT_INACTIVE ? now_ms : 0,
		.updated_ms = now_ms,
		.muted = a->muted,
	};
	char *json = labels_to_json(a->labels, a->nlabels);
	row.labels = json;
	if (!a->id) {
		char *fp = xasprintf("%s/%s", r->name, h->name);
		row.fingerprint = fp;
		a->id = store_alert_insert(ae->store, &row, err);
		free(fp);
		free(json);
		if (a->id < 0) {
			a->id = 0;
			return -1;
		}
	} else {
		int rc = store_alert_update(ae->store, &row, err);
		free(json);
		if (rc < 0)
			return -1;
	}
	a->stored_ms = now_ms;
	a->stored_muted = a->muted;
	if (!what)
		return 0;
	char detail[64];
	snprintf(detail, sizeof detail, "value %.4g", row.value);
	return store_alert_log(ae->store, now_ms, a->id, what, NULL, detail, err);
}

static void label_add(struct alert_inst *a, const char *key, const char *value)
{
	for (size_t i = 0; i < a->nlabels; i++) {
		if (strcmp(a->labels[i].key, key) == 0) {
			free(a->labels[i].value);
			a->labels[i].value = xstrdup(value);
			return;
		}
	}
	a->labels = xrealloc(a->labels, (a->nlabels + 1) * sizeof *a->labels);
	a->labels[a->nlabels].key = xstrdup(key);
	a->labels[a->nlabels].value = xstrdup(value);
	a->nlabels++;
}

/* An alert's labels: rule (and alertname, for Alertmanager receivers),
 * host, severity, the host's first group, the rule's labels, and the
 * host's `label_NAME = value` inventory variables. */
static void inst_labels(struct alert_inst *a, const struct alert_rule *r, const struct host *h)
{
	label_add(a, "alertname", r->name);
	label_add(a, "rule", r->name);
	label_add(a, "host", h->name);
	label_add(a, "severity", alert_severity_name(r->severity));
	label_add(a, "group", h->ngroups ? h->groups[0] : "ungrouped");
	for (size_t i = 0; i < h->nvars; i++) {
		if (str_starts_with(h->vars[i].key, "label_") && h->vars[i].key[6])
			label_add(a, h->vars[i].key + 6, h->vars[i].value);
	}
	for (size_t i = 0; i < r->nlabels; i++)
		label_add(a, r->labels[i].key, r->labels[i].value);
}

static void inst_summary(struct alert_inst *a, const struct alert_rule *r)
{
	free(a->summary);
	a->summary = rule_render_summary(r, a->labels, a->nlabels, a->value);
}

struct open_row {
	int64_t id;
	char *rule, *host, *state, *acked_by;
	int64_t started_ms, fired_ms;
	double value;
	unsigned muted;
};

struct open_rows {
	struct open_row *v;
	size_t n;
};

static void collect_open(void *arg, const struct store_alert *a)
{
	struct open_rows *rows = arg;
	rows->v = xrealloc(rows->v, (rows->n + 1) * sizeof *rows->v);
	rows->v[rows->n++] = (struct open_row){
		.id = a->id,
		.rule = xstrdup(a->rule),
		.host = xstrdup(a->host),
		.state = xstrdup(a->state),
		.acked_by = a->acked_by ? xstrdup(a->acked_by) : NULL,
		.started_ms = a->started_ms,
		.fired_ms = a->fired_ms,
		.value = a->value,
		.muted = a->muted,
	};
}

static void open_rows_free(struct open_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++) {
		free(rows->v[i].rule);
		free(rows->v[i].host);
		free(rows->v[i].state);
		free(rows->v[i].acked_by);
	}
	free(rows->v);
}

/* At the first tick: the alerts a previous run left open carry on (so a
 * restart neither forgets nor re-announces them); those whose rule or host
 * is gone are resolved. Later: acknowledgements made by other processes. */
static int open_alerts_read(struct alert_engine *ae, bool first, int64_t now_ms,
			    struct error *err)
{
	struct open_rows rows = { 0 };
	int rc = store_alerts(ae->store, true, 0, 0, collect_open, &rows, err);
	for (size_t i = 0; rc == 0 && i < rows.n; i++) {
		struct open_row *o = &rows.v[i];
		struct rule_slot *slot = slot_find(ae, o->rule);
		struct host *h = fleet_find(ae->fleet, o->host);
		struct alert_inst *a = slot && h ? &slot->inst[h->id] : NULL;
		if (first && h && ae->hosts && !ae->hosts[h->id])
			continue; /* not ours to evaluate: left as it is */
		if (!first) {
			if (a && a->id == o->id) {
				free(a->acked_by);
				a->acked_by = o->acked_by ? xstrdup(o->acked_by) : NULL;
			}
			continue;
		}
		if (!a || (slot->scope && !slot->scope[h->id]) || a->state != ALERT_INACTIVE) {
			/* Its rule or host is gone: it cannot resolve by itself. */
			struct store_alert row = { .id = o->id, .state = "resolved",
						   .rule = o->rule, .host = o->host,
						   .severity = "none", .value = o->value,
						   .fired_ms = o->fired_ms, .resolved_ms = now_ms,
						   .updated_ms = now_ms };
			if (engine_tx(ae, err) < 0 || store_alert_update(ae->store, &row, err) < 0 ||
			    store_alert_log(ae->store, now_ms, o->id, "resolved", NULL,
					    "rule or host no longer defined", err) < 0)
				rc = -1;
			continue;
		}
		a->id = o->id;
		a->state = strcmp(o->state, "firing") == 0 ? ALERT_FIRING : ALERT_PENDING;
		a->since_ms = o->started_ms;
		a->fired_ms = o->fired_ms;
		a->last_true_ms = now_ms;
		a->stored_ms = now_ms;
		a->value = o->value;
		a->muted = a->stored_muted = o->muted;
		a->acked_by = o->acked_by ? xstrdup(o->acked_by) : NULL;
		inst_labels(a, slot->rule, h);
		inst_summary(a, slot->rule);
	}
	open_rows_free(&rows);
	return rc;
}

int alert_engine_set_rules(struct alert_engine *ae, const struct rule_set *rs,
			   struct error *err)
{
	size_t nhosts = ae->fleet->nhosts;
	struct rule_slot *slots = xcalloc(rs->n + 1, sizeof *slots);
	for (size_t i = 0; i < rs->n; i++) {
		const struct alert_rule *r = &rs->rules[i];
		slots[i].rule = r;
		slots[i].inst = xcalloc(nhosts + 1, sizeof *slots[i].inst);
		for (size_t h = 0; h < nhosts; h++)
			slots[i].inst[h].policy = -1;
		if (r->scope) {
			struct error serr;
			slots[i].scope = xcalloc(nhosts + 1, 1);
			if (fleet_select(ae->fleet, r->scope, slots[i].scope, &serr) < 0) {
				error_set(err, "%s:%d: hosts: %s", r->file ? r->file : rs->path,
					  r->line, serr.msg);
				slots_free(slots, i + 1, nhosts);
				return -1;
			}
		}
	}
	/* Alerts of rules that stay keep their state, and take the rule's
	 * labels, severity and summary as they are now; those of rules that
	 * went are resolved below. */
	for (size_t i = 0; i < rs->n; i++) {
		struct rule_slot *old = slot_find(ae, rs->rules[i].name);
		if (!old)
			continue;
		for (size_t h = 0; h < nhosts; h++) {
			if (old->inst[h].state == ALERT_INACTIVE ||
			    (slots[i].scope && !slots[i].scope[h]))
				continue;
			struct alert_inst *a = &slots[i].inst[h];
			*a = old->inst[h];
			memset(&old->inst[h], 0, sizeof old->inst[h]);
			old->inst[h].policy = -1;
			labels_free(a->labels, a->nlabels);
			a->labels = NULL;
			a->nlabels = 0;
			inst_labels(a, &rs->rules[i], &ae->fleet->hosts[h]);
			inst_summary(a, &rs->rules[i]);
		}
	}
	bool had_rules = ae->nslots > 0;
	struct rule_slot *old_slots = ae->slots;
	size_t old_n = ae->nslots;
	ae->slots = slots;
	ae->nslots = rs->n;
	ae->rules = rs;
	/* The samples the new rules still read are kept: windows and absent()
	 * do not start over on a reload. */
	if (ae->win)
		alert_windows_update(ae->win, rs);
	else
		ae->win = alert_windows_new(rs);
	/* Open alerts of rules that went: resolve them in the store; those of
	 * rules that stay: store their labels, severity and summary. A
	 * follower has none: the leader does this at its own reload. */
	if (had_rules && ae->store && ae->leader) {
		int64_t now = time_wall_ms();
		struct error werr;
		int wrc = 0;
		for (size_t i = 0; i < ae->nslots && wrc == 0; i++) {
			for (size_t h = 0; h < nhosts && wrc == 0; h++) {
				struct alert_inst *a = &ae->slots[i].inst[h];
				if (a->state != ALERT_INACTIVE && a->id)
					wrc = inst_store(ae, ae->slots[i].rule, &ae->fleet->hosts[h],
							 a, NULL, now, &werr);
			}
		}
		for (size_t i = 0; i < old_n && wrc == 0; i++) {
			for (size_t h = 0; h < nhosts && wrc == 0; h++) {
				struct alert_inst *a = &old_slots[i].inst[h];
				if (a->state == ALERT_INACTIVE || !a->id)
					continue;
				a->state = ALERT_INACTIVE;
				wrc = inst_store(ae, old_slots[i].rule, &ae->fleet->hosts[h], a,
						 "resolved", now, &werr);
			}
		}
		/* Committed now: the loop runs before the next tick, and the
		 * history's other writers (samples, the sender) must not land
		 * in (or BEGIN inside) this transaction. */
		if (ae->in_tx) {
			ae->in_tx = false;
			if (wrc < 0)
				store_tx_rollback(ae->store);
			else
				wrc = store_tx_commit(ae->store, &werr);
		}
		if (wrc < 0) {
			log_warn("alerts: %s", werr.msg);
			engine_resync(ae); /* the next tick resolves them from the store */
		}
	}
	/* The old rules' names are only read above: the caller frees them. */
	slots_free(old_slots, old_n, nhosts);
	if (ae->view_owned)
		ae->follow_read_ms = INT64_MIN / 2; /* a follower's own copies */
	else
		view_build(ae); /* the view pointed into the old rules and slots */
	return 0;
}

void alert_engine_set_notify(struct alert_engine *ae, const struct notify_config *nc)
{
	ae->notify = nc;
}

void alert_engine_sample(struct alert_engine *ae, const struct host *h, const char *metric,
			 int64_t ts_ms, double value)
{
	if (ae->win)
		alert_windows_add(ae->win, h->id, metric, ts_ms, value);
	if (h->id < ae->fleet->nhosts)
		ae->dirty[h->id] = 1;
}

/* What muting an open alert is, for the audit trail. */
static const char *mute_word(unsigned muted)
{
	if (muted & ALERT_MUTE_INHIBITED)
		return "inhibited";
	if (muted & ALERT_MUTE_MAINTENANCE)
		return "in maintenance";
	if (muted & ALERT_MUTE_SILENCED)
		return "silenced";
	return "unmuted";
}

/* An alert silenced, inhibited or back: stored (so `fleetop alerts` shows
 * it) and logged. */
static int mutes_store(struct alert_engine *ae, int64_t now_ms, struct error *err)
{
	for (size_t i = 0; i < ae->nslots; i++) {
		for (size_t h = 0; h < ae->fleet->nhosts; h++) {
			struct alert_inst *a = &ae->slots[i].inst[h];
			if (a->state == ALERT_INACTIVE || !a->id || a->muted == a->stored_muted)
				continue;
			if (inst_store(ae, ae->slots[i].rule, &ae->fleet->hosts[h], a,
				       mute_word(a->muted), now_ms, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* One rule on one host. */
static int evaluate(struct alert_engine *ae, struct rule_slot *slot, struct host *h,
		    int64_t now_ms, struct error *err)
{
	const struct alert_rule *r = slot->rule;
	struct alert_inst *a = &slot->inst[h->id];
	struct expr_ctx ctx = { .host = h, .win = ae->win, .now_ms = now_ms,
				.started_ms = ae->started_ms };
	struct expr_result res;
	expr_eval(r->expr, &ctx, &res);
	bool holds = res.truth == 1;
	if (holds) {
		a->last_true_ms = now_ms;
		a->value = res.value;
	}
	switch (a->state) {
	case ALERT_INACTIVE:
		if (!holds)
			return 0;
		a->since_ms = now_ms;
		a->state = r->for_ms > 0 ? ALERT_PENDING : ALERT_FIRING;
		a->fired_ms = a->state == ALERT_FIRING ? now_ms : 0;
		inst_labels(a, r, h);
		inst_summary(a, r);
		return inst_store(ae, r, h, a, a->state == ALERT_FIRING ? "firing" : "pending",
				  now_ms, err);
	case ALERT_PENDING:
		if (!holds) {
			a->state = ALERT_INACTIVE;
			int rc = inst_store(ae, r, h, a, "cleared", now_ms, err);
			inst_clear(a);
			return rc;
		}
		inst_summary(a, r);
		if (now_ms - a->since_ms < r->for_ms)
			return 0;
		a->state = ALERT_FIRING;
		a->fired_ms = now_ms;
		return inst_store(ae, r, h, a, "firing", now_ms, err);
	case ALERT_FIRING: {
		bool resolve;
		if (r->clear) {
			struct expr_result c;
			expr_eval(r->clear, &ctx, &c);
			resolve = c.truth == 1;
		} else {
			/* No data (a reload's empty windows, a probe restarting) is
			 * not yet the all-clear. */
			int64_t hold = r->keep_firing_for_ms;
			if (res.truth == -1 && hold < ALERT_NO_DATA_GRACE_MS)
				hold = ALERT_NO_DATA_GRACE_MS;
			resolve = !holds && now_ms - a->last_true_ms >= hold;
		}
		if (resolve) {
			if (!holds && isfinite(res.value))
				a->value = res.value;
			a->state = ALERT_INACTIVE;
			int rc = inst_store(ae, r, h, a, "resolved", now_ms, err);
			inst_clear(a);
			return rc;
		}
		if (holds)
			inst_summary(a, r);
		if (now_ms - a->stored_ms >= ALERT_VALUE_STORE_MS)
			return inst_store(ae, r, h, a, NULL, now_ms, err);
		return 0;
	}
	}
	return 0;
}

static int view_order(const void *pa, const void *pb)
{
	const struct alert_info *a = pa, *b = pb;
	if (a->state != b->state)
		return a->state == ALERT_FIRING ? -1 : 1;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->since_ms != b->since_ms)
		return a->since_ms < b->since_ms ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static void view_build(struct alert_engine *ae)
{
	size_t n = 0, nhosts = ae->fleet->nhosts;
	memset(ae->host_sev, 0, (nhosts + 1) * sizeof *ae->host_sev);
	for (size_t i = 0; i < ae->nslots; i++) {
		for (size_t h = 0; h < nhosts; h++)
			n += ae->slots[i].inst[h].state != ALERT_INACTIVE;
	}
	view_clear(ae);
	ae->view = xcalloc(n + 1, sizeof *ae->view);
	for (size_t i = 0; i < ae->nslots; i++) {
		const struct alert_rule *r = ae->slots[i].rule;
		for (size_t h = 0; h < nhosts; h++) {
			const struct alert_inst *a = &ae->slots[i].inst[h];
			if (a->state == ALERT_INACTIVE)
				continue;
			ae->view[ae->nview++] = (struct alert_info){
				.id = a->id,
				.rule = r->name,
				.host = ae->fleet->hosts[h].name,
				.summary = a->summary ? a->summary : r->name,
				.runbook = r->runbook,
				.group_key = a->group_key,
				.host_id = (uint32_t)h,
				.severity = r->severity,
				.state = a->state,
				.since_ms = a->state == ALERT_FIRING ? a->fired_ms : a->since_ms,
				.value = a->value,
				.acked_by = a->acked_by,
				.muted = a->muted,
			};
			if (a->state == ALERT_FIRING && !a->muted && r->severity > ae->host_sev[h])
				ae->host_sev[h] = r->severity;
		}
	}
	qsort(ae->view, ae->nview, sizeof *ae->view, view_order);
}

/* ---- leading and following ---- */

static void follow_row(void *arg, const struct store_alert *a)
{
	struct alert_engine *ae = arg;
	struct host *h = fleet_find(ae->fleet, a->host);
	enum alert_severity sev = SEV_NONE;
	if (!h || strcmp(a->state, "resolved") == 0)
		return; /* a host this fleet does not have */
	alert_severity_parse(a->severity, &sev);
	bool firing = strcmp(a->state, "firing") == 0;
	ae->view = xrealloc(ae->view, (ae->nview + 1) * sizeof *ae->view);
	ae->view[ae->nview++] = (struct alert_info){
		.id = a->id,
		.rule = xstrdup(a->rule),
		.host = xstrdup(h->name),
		.summary = xstrdup(a->summary && *a->summary ? a->summary : a->rule),
		.runbook = a->runbook ? xstrdup(a->runbook) : NULL,
		.group_key = xstrdup(a->group_key ? a->group_key : ""),
		.host_id = h->id,
		.severity = sev,
		.state = firing ? ALERT_FIRING : ALERT_PENDING,
		.since_ms = firing && a->fired_ms ? a->fired_ms : a->started_ms,
		.value = a->value,
		.acked_by = a->acked_by ? xstrdup(a->acked_by) : NULL,
		.muted = a->muted,
	};
	if (firing && !a->muted && sev > ae->host_sev[h->id])
		ae->host_sev[h->id] = sev;
}

/* A follower's (full) tick: the leader's open alerts, re-read when the
 * history changed. Its own samples only age. */
static int follow(struct alert_engine *ae, int64_t now_ms, struct error *err)
{
	if (ae->win)
		alert_windows_trim(ae->win, now_ms);
	memset(ae->dirty, 0, ae->fleet->nhosts);
	bool stale = now_ms - ae->follow_read_ms >= ALERT_MUTE_RELOAD_MS;
	if (!store_changed_elsewhere(ae->store) && !stale && ae->view_owned)
		return 0;
	ae->follow_read_ms = now_ms;
	view_clear(ae);
	ae->view_owned = true;
	memset(ae->host_sev, 0, (ae->fleet->nhosts + 1) * sizeof *ae->host_sev);
	if (store_alerts(ae->store, true, 0, 0, follow_row, ae, err) < 0)
		return -1;
	if (ae->nview)
		qsort(ae->view, ae->nview, sizeof *ae->view, view_order);
	return 0;
}

static void take_lead(struct alert_engine *ae)
{
	ae->leader = true;
	ae->loaded = false; /* carries on the open alerts, as a restart does */
	view_clear(ae);
	log_info("alerts: this process evaluates the rules%s", ae->hosts ? " of its hosts" : "");
}

/* Whether this engine leads now. An engine of the whole fleet leads while
 * it holds "alerts" (exclusive), once no selection's engine leads any
 * more. A selection's engine leads its hosts, holding "alerts-part"
 * (shared: engines of other selections lead theirs beside it), while no
 * engine of the whole fleet holds "alerts"; when one comes, it hands over. */
static bool lead(struct alert_engine *ae)
{
	struct error err;
	if (!ae->store)
		return true;
	if (ae->hosts) {
		if (store_lock_taken(ae->store, "alerts", true)) {
			if (ae->leader) {
				log_info("alerts: an engine of the whole fleet takes the rules over");
				store_unlock(&ae->lock_fd);
				ae->leader = false;
				engine_resync(ae);
			}
			return false;
		}
		if (ae->leader)
			return true;
		int held = store_lock_shared(ae->store, "alerts-part", &ae->lock_fd, &err);
		if (held < 0)
			log_warn("alerts: %s", err.msg);
		if (held != 1)
			return false;
		take_lead(ae);
		return true;
	}
	if (ae->leader)
		return true;
	int held = store_lock(ae->store, "alerts", &ae->lock_fd, &err);
	if (held < 0)
		log_warn("alerts: %s", err.msg);
	if (held != 1 || store_lock_taken(ae->store, "alerts-part", false))
		return false; /* another leads, or selections' engines still hand over */
	take_lead(ae);
	return true;
}

void alert_engine_set_hosts(struct alert_engine *ae, const unsigned char *selected)
{
	ae->hosts = selected;
}

bool alert_engine_leads(const struct alert_engine *ae)
{
	return ae->leader || !ae->store;
}

static int tick(struct alert_engine *ae, int64_t now_ms, bool all, struct error *err)
{
	int rc = 0;
	ae->queued = 0;
	/* Who leads is settled on full ticks (a second apart); a follower has
	 * nothing to do on a sample's. */
	if (ae->store && !all && !ae->leader)
		return 0;
	if (ae->store && all && !lead(ae))
		return follow(ae, now_ms, err) < 0 ? -1 : 0;
	if (ae->store && !ae->loaded) {
		if (open_alerts_read(ae, true, now_ms, err) < 0 || groups_load(ae, err) < 0 ||
		    mutes_load(ae, now_ms, err) < 0)
			rc = -1;
		ae->loaded = rc == 0;
		store_changed_elsewhere(ae->store); /* start counting from here */
	} else if (ae->store && (store_changed_elsewhere(ae->store) ||
				 now_ms - ae->mutes_read_ms >= ALERT_MUTE_RELOAD_MS)) {
		if (open_alerts_read(ae, false, now_ms, err) < 0 || mutes_load(ae, now_ms, err) < 0)
			rc = -1;
	}
	if (ae->win)
		alert_windows_trim(ae->win, now_ms);
	for (size_t i = 0; rc == 0 && i < ae->nslots; i++) {
		struct rule_slot *slot = &ae->slots[i];
		for (size_t h = 0; h < ae->fleet->nhosts; h++) {
			if ((slot->scope && !slot->scope[h]) || (!all && !ae->dirty[h]) ||
			    (ae->hosts && !ae->hosts[h]))
				continue;
			if (evaluate(ae, slot, &ae->fleet->hosts[h], now_ms, err) < 0) {
				rc = -1;
				break;
			}
		}
	}
	if (rc == 0)
		memset(ae->dirty, 0, ae->fleet->nhosts);
	if (rc == 0) {
		mutes_apply(ae, now_ms);
		rc = mutes_store(ae, now_ms, err);
	}
	if (rc == 0)
		rc = groups_tick(ae, now_ms, err);
	if (ae->in_tx) {
		ae->in_tx = false;
		if (rc < 0)
			store_tx_rollback(ae->store);
		else if (store_tx_commit(ae->store, err) < 0)
			rc = -1;
	}
	if (rc < 0 && ae->store)
		engine_resync(ae);
	view_build(ae);
	return rc < 0 ? -1 : ae->queued;
}

int alert_engine_tick(struct alert_engine *ae, int64_t now_ms, struct error *err)
{
	return tick(ae, now_ms, true, err);
}

int alert_engine_tick_changed(struct alert_engine *ae, int64_t now_ms, struct error *err)
{
	return tick(ae, now_ms, false, err);
}

void alert_engine_refresh(struct alert_engine *ae)
{
	ae->mutes_read_ms = INT64_MIN / 2;
	ae->follow_read_ms = INT64_MIN / 2;
}

size_t alert_engine_alerts(const struct alert_engine *ae, const struct alert_info **out)
{
	*out = ae->view;
	return ae->nview;
}

enum alert_severity alert_engine_host_severity(const struct alert_engine *ae, uint32_t host_id)
{
	return host_id < ae->fleet->nhosts ? ae->host_sev[host_id] : SEV_NONE;
}

int alert_engine_ack(struct alert_engine *ae, int64_t id, const char *who, const char *comment,
		     int64_t now_ms, struct error *err)
{
	if (ae->view_owned) { /* a follower: through the store, for the leader */
		for (size_t v = 0; v < ae->nview; v++) {
			if (ae->view[v].id != id)
				continue;
			if (alert_ack_store(ae->store, id, who, comment, now_ms, err) < 0)
				return -1;
			free((char *)ae->view[v].acked_by);
			ae->view[v].acked_by = who ? xstrdup(who) : NULL;
			return 1;
		}
		return 0;
	}
	for (size_t i = 0; i < ae->nslots; i++) {
		for (size_t h = 0; h < ae->fleet->nhosts; h++) {
			struct alert_inst *a = &ae->slots[i].inst[h];
			if (a->state == ALERT_INACTIVE || a->id != id)
				continue;
			if (ae->store && alert_ack_store(ae->store, id, who, comment, now_ms, err) < 0)
				return -1;
			free(a->acked_by);
			a->acked_by = who ? xstrdup(who) : NULL;
			for (size_t v = 0; v < ae->nview; v++) {
				if (ae->view[v].id == id)
					ae->view[v].acked_by = a->acked_by;
			}
			return 1;
		}
	}
	return 0;
}
