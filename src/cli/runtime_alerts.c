/* The runtime's alerting (it drives the alert engine): rules.conf and notify.conf from the config
 * folder, the alert engine fed by every sample, ticked on the loop, and
 * the sender that empties the outbox. The hosts that sent samples are
 * evaluated shortly after (so a crossing is seen within a few tens of
 * milliseconds, not at the next whole second), and every rule on every
 * host once a second for what time alone changes (for, keep_firing_for,
 * escalation, silences ending). SIGHUP (for collect) reloads both files;
 * a bad file keeps the old one and says why. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

#define FULL_TICK_MS 1000       /* every rule on every host: time-driven transitions */
#define CHANGED_TICK_GAP_MS 50  /* sample-driven ticks (hosts with new samples) at most this often */
#define CHANGED_TICK_DELAY_MS 20 /* let a burst of one round's samples gather */

static int load_rules(struct runtime *e, struct rule_set *rs, struct error *err)
{
	char *path = settings_config_beside(&e->settings, "rules.conf");
	int rc = rules_load_file(rs, path, true, err);
	free(path);
	return rc;
}

static int load_notify(struct runtime *e, struct notify_config *nc, struct error *err)
{
	char *path = settings_config_beside(&e->settings, "notify.conf");
	int rc = notify_config_load(nc, path, true, err);
	free(path);
	return rc;
}

static void after_tick(struct runtime *e, int n, struct error *err)
{
	if (n < 0)
		log_error("alerts: %s", err->msg);
	else if (n > 0 && e->sender)
		notify_sender_kick(e->sender);
}

static void on_full_tick(struct loop *loop, void *arg)
{
	struct runtime *e = arg;
	struct error err;
	after_tick(e, alert_engine_tick(e->alerts, time_wall_ms(), &err), &err);
	e->alert_timer = loop_timer_add(loop, FULL_TICK_MS, on_full_tick, e);
}

static void on_changed_tick(struct loop *loop, void *arg)
{
	struct runtime *e = arg;
	struct error err;
	e->changed_timer = 0;
	e->changed_last_ms = loop_now_ms(loop);
	after_tick(e, alert_engine_tick_changed(e->alerts, time_wall_ms(), &err), &err);
}

void runtime_alerts_sample(struct runtime *e, struct host *h, const char *metric, int64_t ts_ms,
			  double value)
{
	if (!e->alerts)
		return;
	alert_engine_sample(e->alerts, h, metric, ts_ms, value);
	if (e->changed_timer)
		return;
	int64_t now = loop_now_ms(e->loop);
	int64_t when = e->changed_last_ms + CHANGED_TICK_GAP_MS;
	if (when < now + CHANGED_TICK_DELAY_MS)
		when = now + CHANGED_TICK_DELAY_MS;
	e->changed_timer = loop_timer_add(e->loop, when - now, on_changed_tick, e);
}

int runtime_alerts_open(struct runtime *e, struct error *err)
{
	e->rules = xcalloc(1, sizeof *e->rules);
	e->notify = xcalloc(1, sizeof *e->notify);
	if (load_rules(e, e->rules, err) < 0 || load_notify(e, e->notify, err) < 0)
		return -1;
	e->alerts = alert_engine_new(&e->fleet, e->store, time_wall_ms());
	if (alert_engine_set_rules(e->alerts, e->rules, err) < 0)
		return -1;
	alert_engine_set_notify(e->alerts, e->notify);
	/* A selection's engine evaluates only its hosts (and hands the lead
	 * to an engine of the whole fleet, such as `fleetop collect`). */
	for (size_t i = 0; i < e->fleet.nhosts; i++) {
		if (!e->selected[i]) {
			alert_engine_set_hosts(e->alerts, e->selected);
			break;
		}
	}
	e->sender = notify_sender_new(e->loop, e->store, e->notify);
	e->alert_timer = loop_timer_add(e->loop, FULL_TICK_MS, on_full_tick, e);
	return 0;
}

int runtime_alerts_reload(struct runtime *e, char *msg, size_t size)
{
	if (!e->alerts) {
		snprintf(msg, size, "reload: alerting is not running");
		return -1;
	}
	struct error err;
	struct rule_set *rs = xcalloc(1, sizeof *rs);
	struct notify_config *nc = xcalloc(1, sizeof *nc);
	if (load_rules(e, rs, &err) < 0 || load_notify(e, nc, &err) < 0 ||
	    alert_engine_set_rules(e->alerts, rs, &err) < 0) {
		/* set_rules failed before taking rs: the engine still has the old. */
		rules_free(rs);
		notify_config_free(nc);
		free(rs);
		free(nc);
		snprintf(msg, size, "reload: %s; keeping the rules and receivers in use", err.msg);
		log_error("%s", msg);
		return -1;
	}
	alert_engine_set_notify(e->alerts, nc);
	notify_sender_set_config(e->sender, nc);
	rules_free(e->rules);
	notify_config_free(e->notify);
	free(e->rules);
	free(e->notify);
	e->rules = rs;
	e->notify = nc;
	snprintf(msg, size, "reload: %zu rules from %s, %zu receivers%s", rs->n, rs->path,
		 nc->nreceivers,
		 alert_engine_leads(e->alerts) ? ""
		 : " (another fleetop on this history evaluates the rules: reload that one)");
	log_info("%s", msg);
	return 0;
}

void runtime_alerts_close(struct runtime *e)
{
	if (e->alert_timer)
		loop_timer_del(e->loop, e->alert_timer);
	if (e->changed_timer)
		loop_timer_del(e->loop, e->changed_timer);
	e->alert_timer = e->changed_timer = 0;
	notify_sender_free(e->sender);
	alert_engine_free(e->alerts);
	if (e->rules) {
		rules_free(e->rules);
		free(e->rules);
	}
	if (e->notify) {
		notify_config_free(e->notify);
		free(e->notify);
	}
	e->sender = NULL;
	e->alerts = NULL;
	e->rules = NULL;
	e->notify = NULL;
}
