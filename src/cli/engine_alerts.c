/* The engine's alerting: rules.conf and notify.conf from the config
 * folder, the alert engine fed by every sample, ticked on the loop, and
 * the sender that empties the outbox. A tick runs shortly after samples
 * arrive (so a crossing is seen within a fraction of a second, not at the
 * next whole second) and at least once a second for what time alone
 * changes (for, keep_firing_for, escalation, silences ending). SIGHUP
 * reloads both files; a bad file keeps the old one and says why. */
#include <stdlib.h>

#include "cli.h"

#define TICK_MAX_GAP_MS 1000 /* time-driven transitions */
#define TICK_MIN_GAP_MS 200  /* sample-driven ticks come at most this often */
#define TICK_AFTER_SAMPLE_MS 20

static int load_rules(struct engine *e, struct rule_set *rs, struct error *err)
{
	char *path = settings_config_path(&e->settings, "rules.conf");
	int rc = rules_load_file(rs, path, true, err);
	free(path);
	return rc;
}

static int load_notify(struct engine *e, struct notify_config *nc, struct error *err)
{
	char *path = settings_config_path(&e->settings, "notify.conf");
	int rc = notify_config_load(nc, path, true, err);
	free(path);
	return rc;
}

static void on_alert_tick(struct loop *loop, void *arg);

static void tick_at(struct engine *e, int64_t delay_ms)
{
	if (e->alert_timer)
		loop_timer_del(e->loop, e->alert_timer);
	e->alert_timer = loop_timer_add(e->loop, delay_ms, on_alert_tick, e);
	e->alert_tick_due = loop_now_ms(e->loop) + delay_ms;
}

static void on_alert_tick(struct loop *loop, void *arg)
{
	struct engine *e = arg;
	struct error err;
	e->alert_timer = 0;
	e->alert_last_tick = loop_now_ms(loop);
	int n = alert_engine_tick(e->alerts, time_wall_ms(), &err);
	if (n < 0)
		log_error("alerts: %s", err.msg);
	else if (n > 0 && e->sender)
		notify_sender_kick(e->sender);
	tick_at(e, TICK_MAX_GAP_MS);
}

void engine_alerts_sample(struct engine *e, struct host *h, const char *metric, int64_t ts_ms,
			  double value)
{
	if (!e->alerts)
		return;
	alert_engine_sample(e->alerts, h, metric, ts_ms, value);
	int64_t now = loop_now_ms(e->loop);
	int64_t when = e->alert_last_tick + TICK_MIN_GAP_MS;
	if (when < now + TICK_AFTER_SAMPLE_MS)
		when = now + TICK_AFTER_SAMPLE_MS;
	if (when < e->alert_tick_due)
		tick_at(e, when - now);
}

int engine_alerts_open(struct engine *e, struct error *err)
{
	e->rules = xcalloc(1, sizeof *e->rules);
	e->notify = xcalloc(1, sizeof *e->notify);
	if (load_rules(e, e->rules, err) < 0 || load_notify(e, e->notify, err) < 0)
		return -1;
	e->alerts = alert_engine_new(&e->fleet, e->store, time_wall_ms());
	if (alert_engine_set_rules(e->alerts, e->rules, err) < 0)
		return -1;
	alert_engine_set_notify(e->alerts, e->notify);
	e->sender = notify_sender_new(e->loop, e->store, e->notify);
	tick_at(e, TICK_MAX_GAP_MS);
	return 0;
}

void engine_alerts_reload(struct engine *e)
{
	if (!e->alerts)
		return;
	struct error err;
	struct rule_set *rs = xcalloc(1, sizeof *rs);
	struct notify_config *nc = xcalloc(1, sizeof *nc);
	if (load_rules(e, rs, &err) < 0 || load_notify(e, nc, &err) < 0 ||
	    alert_engine_set_rules(e->alerts, rs, &err) < 0) {
		log_error("reload: %s; keeping the rules and receivers in use", err.msg);
		/* set_rules failed before taking rs: the engine still has the old. */
		rules_free(rs);
		notify_config_free(nc);
		free(rs);
		free(nc);
		return;
	}
	alert_engine_set_notify(e->alerts, nc);
	notify_sender_set_config(e->sender, nc);
	rules_free(e->rules);
	notify_config_free(e->notify);
	free(e->rules);
	free(e->notify);
	e->rules = rs;
	e->notify = nc;
	log_info("reload: %zu rules from %s, %zu receivers", rs->n, rs->path,
		 nc->nreceivers);
}

void engine_alerts_close(struct engine *e)
{
	if (e->alert_timer)
		loop_timer_del(e->loop, e->alert_timer);
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
