/* Runs the linux probe on each up host and turns frames into samples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect_private.h"
#include "fleetop/text.h"
#include "fleetop/collect.h"
#include "fleetop/fleet.h"
#include "fleetop/loop.h"
#include "fleetop/settings.h"
#include "fleetop/ssh.h"
#include "series_cap.h"

#define RESTART_MIN_MS 2000
#define RESTART_MAX_MS 60000

struct probe {
	struct collector *col;
	struct host *host;
	struct ssh_exec *exec;
	struct linux_parser *parser;
	struct buf err;             /* first stderr bytes, for the reason it ended */
	uint64_t frames;
	int64_t interval_ms;
	int64_t last_frame_ms;      /* loop_awake_ms: silence while we could not listen is not the probe's */
	uint64_t watch_timer;       /* silence detection */
	uint64_t restart_timer;
	int restarts;
};

struct collector {
	struct loop *loop;
	struct ssh_pool *pool;
	const struct settings *settings;
	sample_fn on_sample;
	void *arg;
	struct host_slots probes; /* struct probe by host id */
	uint64_t samples;
	int64_t now_wall;      /* time stamp of the frame being emitted */
	struct game_poller *games;
	struct custom_runner *customs;
	event_fn on_event;
	void *event_arg;
	struct series_cap *series;
};

struct loop *collector_loop(struct collector *c)
{
	return c->loop;
}

struct ssh_pool *collector_pool(struct collector *c)
{
	return c->pool;
}

const struct settings *collector_settings(struct collector *c)
{
	return c->settings;
}

void collector_emit(struct collector *c, struct host *h, const char *metric, int64_t ts_ms,
		    double value)
{
	/* The one door from collectors to the model, the alert windows and the
	 * store: a name refused here is interned nowhere. */
	if (!series_cap_admit(c->series, h, metric))
		return;
	host_set_metric(h, metric, value);
	c->samples++;
	int64_t now = time_wall_ms();
	if (!ts_ms)
		ts_ms = now;
	if (ts_ms > h->last_sample_ms && ts_ms <= now)
		h->last_sample_ms = ts_ms;
	if (c->on_sample)
		c->on_sample(c->arg, h, metric, ts_ms, value);
}

void collector_event(struct collector *c, struct host *h, int64_t ts_ms, const char *severity,
		     const char *kind, const char *message)
{
	if (!ts_ms)
		ts_ms = time_wall_ms();
	/* A host's words: clean before the log, the store and the screen. */
	char *msg = text_sanitize_dup(message, strlen(message), 0);
	char *what = text_sanitize_dup(kind, strlen(kind), 0);
	log_info("%s: event %s (%s): %s", h->name, what, severity, msg);
	if (c->on_event)
		c->on_event(c->event_arg, h, ts_ms, severity, what, msg);
	free(what);
	free(msg);
}

void collector_on_event(struct collector *c, event_fn fn, void *arg)
{
	c->on_event = fn;
	c->event_arg = arg;
}

void collector_watch(struct collector *c, struct host *h)
{
	game_poller_watch(c->games, h);
}

uint64_t collector_game_polls(const struct collector *c, const struct host *h)
{
	return game_poller_polls(c->games, h);
}

static void probe_start(struct probe *p);

void **host_slot(struct host_slots *s, uint32_t id)
{
	if (id >= s->n) {
		size_t n = s->n ? s->n : 64;
		while (n <= id)
			n *= 2;
		s->v = xrealloc(s->v, n * sizeof *s->v);
		memset(s->v + s->n, 0, (n - s->n) * sizeof *s->v);
		s->n = n;
	}
	return &s->v[id];
}

void *host_slot_get(const struct host_slots *s, uint32_t id)
{
	return id < s->n ? s->v[id] : NULL;
}

int64_t collector_var_duration(const struct host *h, const char *key, int64_t dflt, int64_t min)
{
	const char *v = host_var(h, key);
	int64_t ms;
	if (v && parse_duration_ms(v, &ms) == 0 && ms >= min)
		return ms;
	if (v)
		log_warn("%s: %s=%s is not a duration of at least %lldms; using %lldms", h->name, key,
			 v, (long long)min, (long long)dflt);
	return dflt;
}

int64_t collector_restart_delay(int *restarts)
{
	int64_t wait = RESTART_MIN_MS;
	for (int i = 0; i < *restarts && wait < RESTART_MAX_MS; i++)
		wait *= 2;
	if (wait > RESTART_MAX_MS)
		wait = RESTART_MAX_MS;
	(*restarts)++;
	return wait;
}

static struct probe *probe_of(struct collector *c, struct host *h, bool create)
{
	if (!create)
		return host_slot_get(&c->probes, h->id);
	void **slot = host_slot(&c->probes, h->id);
	if (!*slot) {
		struct probe *p = xcalloc(1, sizeof *p);
		p->col = c;
		p->host = h;
		*slot = p;
	}
	return *slot;
}

static void emit(void *arg, const char *metric, double value)
{
	struct probe *p = arg;
	collector_emit(p->col, p->host, metric, p->col->now_wall, value);
}

static void on_stdout(void *arg, const char *data, size_t len)
{
	struct probe *p = arg;
	struct collector *c = p->col;
	struct error err = { { 0 } };
	c->now_wall = time_wall_ms();
	int n = linux_parser_feed(p->parser, data, len, emit, p, &err);
	if (n > 0) {
		p->frames += (uint64_t)n;
		p->last_frame_ms = loop_awake_ms(c->loop);
		p->restarts = 0;
	}
	if (n < 0) {
		/* Kept visible on the host; the frames around it still count. */
		str_copy(p->host->error, err.msg, sizeof p->host->error);
		log_warn("%s", err.msg);
	} else if (n > 0 && p->host->state == HOST_UP) {
		p->host->error[0] = '\0';
	}
}

static void on_stderr(void *arg, const char *data, size_t len)
{
	struct probe *p = arg;
	if (p->err.len < 300)
		buf_append(&p->err, data, len);
}

static void on_restart(struct loop *loop, void *arg)
{
	struct probe *p = arg;
	(void)loop;
	p->restart_timer = 0;
	if (p->host->state == HOST_UP)
		probe_start(p);
}

static void probe_retry_later(struct probe *p, const char *why)
{
	struct collector *c = p->col;
	int64_t wait = collector_restart_delay(&p->restarts);
	snprintf(p->host->error, sizeof p->host->error, "%s; probe restarts in %lds", why,
		 (long)(wait / 1000));
	text_sanitize(p->host->error, strlen(p->host->error), 0); /* the probe's stderr */
	log_warn("%s: %s", p->host->name, p->host->error);
	loop_timer_del(c->loop, p->restart_timer);
	p->restart_timer = loop_timer_add(c->loop, wait, on_restart, p);
}

static void on_exit_probe(void *arg, int status, const char *error)
{
	struct probe *p = arg;
	p->exec = NULL;
	loop_timer_del(p->col->loop, p->watch_timer);
	p->watch_timer = 0;
	if (p->host->state != HOST_UP)
		return; /* the connection went; the pool reports that */
	char why[256];
	char *e = buf_first_line(&p->err);
	if (error)
		snprintf(why, sizeof why, "probe failed: %s", error);
	else
		snprintf(why, sizeof why, "probe ended (exit %d)%s%.120s", status, *e ? ": " : "", e);
	probe_retry_later(p, why);
}

static const struct ssh_exec_cbs probe_cbs = { on_stdout, on_stderr, on_exit_probe };

static void on_watch(struct loop *loop, void *arg)
{
	struct probe *p = arg;
	p->watch_timer = 0;
	int64_t limit = 3 * p->interval_ms + 5000;
	int64_t quiet = loop_awake_ms(loop) - p->last_frame_ms;
	if (p->exec && quiet >= limit) {
		ssh_exec_cancel(p->exec);
		p->exec = NULL;
		char why[128];
		snprintf(why, sizeof why, "probe silent for %lds", (long)(quiet / 1000));
		probe_retry_later(p, why);
		return;
	}
	p->watch_timer = loop_timer_add(loop, limit - quiet, on_watch, p);
}

static int host_mounts(const struct collector *c, const struct host *h, char **mounts, int max,
		       char **storage)
{
	const char *v = host_var(h, "collect_mounts");
	if (!v) {
		for (int i = 0; i < c->settings->nmounts && i < max; i++)
			mounts[i] = c->settings->mounts[i];
		return c->settings->nmounts < max ? c->settings->nmounts : max;
	}
	*storage = xstrdup(v);
	int n = 0;
	for (char *save, *t = strtok_r(*storage, ", ", &save); t && n < max;
	     t = strtok_r(NULL, ", ", &save))
		mounts[n++] = t;
	return n;
}

static void probe_start(struct probe *p)
{
	struct collector *c = p->col;
	struct host *h = p->host;
	struct error err = { { 0 } };
	p->interval_ms = c->settings->interval_ms;
	const char *iv = host_var(h, "collect_interval");
	int64_t ms;
	if (iv && parse_duration_ms(iv, &ms) == 0 && ms >= 100)
		p->interval_ms = ms;
	char *mounts[SETTINGS_MAX_MOUNTS];
	char *storage = NULL;
	int nmounts = host_mounts(c, h, mounts, SETTINGS_MAX_MOUNTS, &storage);
	char *cmd = linux_probe_command(p->interval_ms, mounts, nmounts);
	free(storage);
	linux_parser_free(p->parser);
	p->parser = linux_parser_new(h->name);
	buf_reset(&p->err);
	p->frames = 0;
	const char *script = linux_probe_script();
	p->exec = ssh_pool_exec(c->pool, h, cmd, script, strlen(script), &probe_cbs, p, &err);
	free(cmd);
	if (!p->exec) {
		probe_retry_later(p, err.msg);
		return;
	}
	p->last_frame_ms = loop_awake_ms(c->loop);
	loop_timer_del(c->loop, p->watch_timer);
	p->watch_timer = loop_timer_add(c->loop, 3 * p->interval_ms + 5000, on_watch, p);
}

struct collector *collector_new(struct loop *loop, struct ssh_pool *pool,
				const struct settings *s, sample_fn on_sample, void *arg)
{
	struct collector *c = xcalloc(1, sizeof *c);
	c->loop = loop;
	c->pool = pool;
	c->settings = s;
	c->on_sample = on_sample;
	c->arg = arg;
	c->games = game_poller_new(c);
	c->customs = custom_runner_new(c);
	c->series = series_cap_new((size_t)s->max_series_per_host);
	return c;
}

static void probe_stop(struct probe *p)
{
	if (p->exec)
		ssh_exec_cancel(p->exec);
	p->exec = NULL;
	loop_timer_del(p->col->loop, p->watch_timer);
	loop_timer_del(p->col->loop, p->restart_timer);
	p->watch_timer = p->restart_timer = 0;
}

void collector_host_up(struct collector *c, struct host *h)
{
	struct probe *p = probe_of(c, h, true);
	if (!p->exec && !p->restart_timer)
		probe_start(p);
	game_poller_host_up(c->games, h);
	custom_runner_host_up(c->customs, h);
}

void collector_host_down(struct collector *c, struct host *h)
{
	struct probe *p = probe_of(c, h, false);
	if (p) {
		/* The pool already ended the channel (on_exit ran) or will. */
		loop_timer_del(c->loop, p->watch_timer);
		loop_timer_del(c->loop, p->restart_timer);
		p->watch_timer = p->restart_timer = 0;
		p->restarts = 0;
	}
	game_poller_host_down(c->games, h);
	custom_runner_host_down(c->customs, h);
}

uint64_t collector_frames(const struct collector *c, const struct host *h)
{
	const struct probe *p = host_slot_get(&c->probes, h->id);
	return p ? p->frames : 0;
}

uint64_t collector_samples_total(const struct collector *c)
{
	return c->samples;
}

size_t collector_series(const struct collector *c, const struct host *h)
{
	return series_cap_count(c->series, h);
}

uint64_t collector_series_refused(const struct collector *c, const struct host *h)
{
	return series_cap_refused(c->series, h);
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	game_poller_free(c->games);
	custom_runner_free(c->customs);
	for (size_t i = 0; i < c->probes.n; i++) {
		struct probe *p = c->probes.v[i];
		if (!p)
			continue;
		probe_stop(p);
		linux_parser_free(p->parser);
		buf_free(&p->err);
		free(p);
	}
	free(c->probes.v);
	series_cap_free(c->series);
	free(c);
}
