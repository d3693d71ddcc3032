/* The runtime the host commands share: settings, inventory, the loop, the
 * ssh pool, the collector and the store, wired so that samples flow one
 * way: pool -> collector -> store. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define PRUNE_EVERY_MS (10 * 60 * 1000)

/* SIGINT and SIGTERM end the run; SIGHUP reloads rules and receivers
 * where the command asked for it (collect), and ends the run elsewhere. */
static void on_signal(struct loop *loop, int sig, void *arg)
{
	struct runtime *e = arg;
	if (sig == SIGHUP && (e->flags & RUNTIME_HUP_RELOADS)) {
		char msg[600];
		runtime_alerts_reload(e, msg, sizeof msg);
		return;
	}
	e->interrupted = true;
	loop_stop(loop);
}

static void on_state(void *arg, struct host *h)
{
	struct runtime *e = arg;
	if (!e->collector)
		return;
	if (h->state == HOST_UP)
		collector_host_up(e->collector, h);
	else
		collector_host_down(e->collector, h);
}

static void on_sample(void *arg, struct host *h, const char *metric, int64_t ts_ms, double value)
{
	struct runtime *e = arg;
	runtime_alerts_sample(e, h, metric, ts_ms, value);
	if (!e->store)
		return;
	struct error err;
	int64_t series = store_series(e->store, h->name, metric, &err);
	struct store_health sh;
	if (series < 0)
		store_health(e->store, &sh);
	/* A history that cannot be written said so once (store_health). */
	if ((series < 0 && sh.state == STORE_OK) ||
	    (series >= 0 && store_add(e->store, series, ts_ms, value, &err) < 0))
		log_warn("%s: not stored: %s", h->name, err.msg);
}

static void on_event(void *arg, struct host *h, int64_t ts_ms, const char *severity,
		     const char *kind, const char *message)
{
	struct runtime *e = arg;
	struct error err;
	if (e->store && store_event_add(e->store, h->name, ts_ms, severity, kind, message, &err) < 0)
		log_warn("%s: event not stored: %s", h->name, err.msg);
}

/* A write that fails is said by the store once, when it starts failing
 * (store_health), and retried with backoff: nothing to log here. */
void runtime_flush(struct runtime *e)
{
	struct error err;
	if (e->store)
		store_flush(e->store, &err);
}

static void on_flush(struct loop *loop, void *arg)
{
	struct runtime *e = arg;
	runtime_flush(e);
	log_report_suppressed(false);
	e->flush_timer = loop_timer_add(loop, e->settings.flush_interval_ms, on_flush, e);
}

static void on_prune(struct loop *loop, void *arg)
{
	struct runtime *e = arg;
	struct error err;
	if (store_prune(e->store, time_wall_ms(), &err) < 0)
		log_error("history: %s", err.msg);
	e->prune_timer = loop_timer_add(loop, PRUNE_EVERY_MS, on_prune, e);
}

int cli_store_open(const struct settings *s, struct store **out, struct error *err)
{
	char *db = settings_data_path(s, "fleetop.db");
	/* The tiers' retention is the fleet's; queries pick tiers by it. */
	struct store_opts so = {
		.retention_raw_ms = s->retention_raw_ms,
		.retention_1m_ms = s->retention_1m_ms,
		.retention_1h_ms = s->retention_1h_ms,
		.backlog_max = (size_t)s->store_backlog,
	};
	int rc = store_open(out, db, &so, err);
	free(db);
	return rc;
}

int runtime_open(struct runtime *e, const char *config_path, const char *fleet_path,
		const char *selection, unsigned flags, struct error *err)
{
	memset(e, 0, sizeof *e);
	e->flags = flags;
	settings_init(&e->settings);
	if (settings_load(&e->settings, config_path, err) < 0)
		return -1;
	/* The inventory sits beside the fleetop.conf that was read. */
	if (cli_fleet_load(&e->fleet, fleet_path, &e->settings, err) < 0)
		return -1;
	e->nselected = e->fleet.nhosts;
	e->selected = xcalloc(e->nselected + 1, 1);
	if (fleet_select(&e->fleet, selection, e->selected, err) < 0)
		return -1;
	fd_limit_raise();
	e->loop = loop_new();
	if (!e->loop)
		return error_set(err, "cannot create event loop: %s", strerror(errno));
	if (flags & RUNTIME_STORE) {
		if (mkdir_p(e->settings.data_dir, 0700, err) < 0 ||
		    cli_store_open(&e->settings, &e->store, err) < 0)
			return -1;
		e->flush_timer = loop_timer_add(e->loop, e->settings.flush_interval_ms, on_flush, e);
		e->prune_timer = loop_timer_add(e->loop, 1000, on_prune, e);
	}
	e->pool = ssh_pool_new(e->loop, &e->settings, on_state, e);
	if (flags & RUNTIME_COLLECT) {
		e->collector = collector_new(e->loop, e->pool, &e->settings, on_sample, e);
		collector_on_event(e->collector, on_event, e);
	}
	loop_signal_add(e->loop, SIGINT, on_signal, e);
	loop_signal_add(e->loop, SIGTERM, on_signal, e);
	loop_signal_add(e->loop, SIGHUP, on_signal, e);
	if ((flags & RUNTIME_ALERTS) && e->store && runtime_alerts_open(e, err) < 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* host_key_policy = off is for throwaway test fleets; anyone else must
 * hear of it at every start, on stderr, in the log and the console's
 * message line (log_warn reaches all three, whichever is in use). */
static void warn_host_keys_off(const struct runtime *e)
{
	if (e->settings.host_key_policy != HOST_KEY_OFF)
		return;
	log_warn("WARNING: host_key_policy = off%s%s: host keys are NOT checked, so anyone "
		 "between here and a host can pose as it and take what fleetop sends (commands, "
		 "RCON passwords); set host_key_policy = strict or accept-new in [ssh]",
		 e->settings.path ? " in " : "", e->settings.path ? e->settings.path : "");
}

void runtime_start(struct runtime *e)
{
	if (!e->watching)
		warn_host_keys_off(e);
	for (size_t i = 0; i < e->fleet.nhosts; i++) {
		if (!e->selected[i])
			continue;
		if (e->collector && !e->watching)
			collector_watch(e->collector, &e->fleet.hosts[i]);
		ssh_pool_connect(e->pool, &e->fleet.hosts[i]);
	}
	e->watching = true;
}

void runtime_run(struct runtime *e, bool (*done)(struct runtime *, void *), void *arg,
		int64_t timeout_ms)
{
	runtime_start(e);
	int64_t start = time_mono_ms();
	while (!e->interrupted) {
		if (done && done(e, arg))
			break;
		int64_t left = -1;
		if (timeout_ms >= 0) {
			left = timeout_ms - (time_mono_ms() - start);
			if (left <= 0)
				break;
		}
		/* done() is re-checked at least every 100 ms. */
		int wait = left < 0 || left > 100 ? 100 : (int)left;
		if (loop_run_once(e->loop, wait) < 0)
			break;
	}
}

void runtime_close(struct runtime *e)
{
	runtime_alerts_close(e);
	collector_free(e->collector);
	ssh_pool_free(e->pool);
	if (e->store) {
		runtime_flush(e);
		store_close(e->store);
	}
	log_report_suppressed(true);
	if (e->loop)
		loop_free(e->loop);
	fleet_free(&e->fleet);
	settings_free(&e->settings);
	free(e->selected);
}
