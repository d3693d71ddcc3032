/* The window store: recent samples of the metrics some rule reads, per
 * host, in rings sized by what the rules need. A sample of any other metric
 * costs one hash probe. Rings grow (doubling) while their samples all lie
 * inside the window and are thinned (every other sample dropped) past
 * WINDOWS_MAX_SAMPLES, so a long window at a short interval stays bounded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr_private.h"

struct win_metric {
	char *name;
	uint32_t hash;
	int64_t window_ms;
};

struct alert_windows {
	struct win_metric *metrics;
	size_t nmetrics;
	uint32_t *table; /* open addressing: metric index + 1, 0 empty */
	size_t tcap;
	struct win_series **hosts; /* by host id: nmetrics series, or NULL before its first sample */
	size_t nhosts;
	uint64_t serial;           /* changes whenever slots may have moved */
};

static uint64_t next_serial;

/* Time stamps outside this are nonsense (and would overflow arithmetic). */
#define TS_MAX 100000000000000LL /* year 5138 in ms */

uint32_t windows_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static long find_metric(const struct alert_windows *w, const char *name, uint32_t hash)
{
	if (!w->tcap)
		return -1;
	for (size_t j = hash & (w->tcap - 1);; j = (j + 1) & (w->tcap - 1)) {
		uint32_t slot = w->table[j];
		if (!slot)
			return -1;
		const struct win_metric *m = &w->metrics[slot - 1];
		if (m->hash == hash && strcmp(m->name, name) == 0)
			return (long)slot - 1;
	}
}

static void set_metrics(struct alert_windows *w, const struct rule_set *rs)
{
	w->serial = ++next_serial;
	size_t n = rs ? rs->nneeds : 0;
	w->metrics = n ? xcalloc(n, sizeof *w->metrics) : NULL;
	w->nmetrics = 0;
	w->tcap = 8;
	while (w->tcap < n * 2)
		w->tcap *= 2;
	w->table = xcalloc(w->tcap, sizeof *w->table);
	for (size_t i = 0; i < n; i++) {
		const struct window_need *need = &rs->needs[i];
		uint32_t h = windows_hash(need->metric);
		long have = find_metric(w, need->metric, h);
		if (have >= 0) {
			if (need->window_ms > w->metrics[have].window_ms)
				w->metrics[have].window_ms = need->window_ms;
			continue;
		}
		size_t j = h & (w->tcap - 1);
		while (w->table[j])
			j = (j + 1) & (w->tcap - 1);
		w->metrics[w->nmetrics] = (struct win_metric){ xstrdup(need->metric), h,
							       need->window_ms };
		w->table[j] = (uint32_t)++w->nmetrics;
	}
}

static void free_metrics(struct alert_windows *w)
{
	for (size_t i = 0; i < w->nmetrics; i++)
		free(w->metrics[i].name);
	free(w->metrics);
	free(w->table);
	w->metrics = NULL;
	w->table = NULL;
	w->nmetrics = w->tcap = 0;
}

static void series_free(struct win_series *s)
{
	free(s->s);
	memset(s, 0, sizeof *s);
}

struct alert_windows *alert_windows_new(const struct rule_set *rs)
{
	struct alert_windows *w = xcalloc(1, sizeof *w);
	set_metrics(w, rs);
	return w;
}

void alert_windows_free(struct alert_windows *w)
{
	if (!w)
		return;
	for (size_t h = 0; h < w->nhosts; h++) {
		if (!w->hosts[h])
			continue;
		for (size_t m = 0; m < w->nmetrics; m++)
			series_free(&w->hosts[h][m]);
		free(w->hosts[h]);
	}
	free(w->hosts);
	free_metrics(w);
	free(w);
}

void alert_windows_update(struct alert_windows *w, const struct rule_set *rs)
{
	struct alert_windows old = *w;
	set_metrics(w, rs);
	for (size_t h = 0; h < w->nhosts; h++) {
		struct win_series *prev = old.hosts[h];
		if (!prev)
			continue;
		struct win_series *cur = w->nmetrics ? xcalloc(w->nmetrics, sizeof *cur) : NULL;
		for (size_t m = 0; m < old.nmetrics; m++) {
			long to = find_metric(w, old.metrics[m].name, old.metrics[m].hash);
			if (to >= 0)
				cur[to] = prev[m];
			else
				series_free(&prev[m]);
		}
		free(prev);
		w->hosts[h] = cur;
	}
	free_metrics(&old);
}

/* Starts the running sum over at the oldest sample. */
static void series_rebase(struct win_series *s)
{
	double cum = 0;
	for (uint32_t k = 0; k < s->count; k++) {
		struct win_sample *x = &s->s[(s->head + k) & (s->cap - 1)];
		cum += x->v;
		x->cum = cum;
	}
}

/* Lays the ring out oldest first in an array of cap, keeping every step-th
 * sample counted back from the newest. */
static void series_relayout(struct win_series *s, uint32_t cap, uint32_t step)
{
	struct win_sample *out = xmalloc(cap * sizeof *out);
	uint32_t keep = (s->count + step - 1) / step;
	uint32_t first = s->count - 1 - (keep - 1) * step;
	for (uint32_t k = 0; k < keep; k++)
		out[k] = *win_at(s, first + k * step);
	free(s->s);
	s->s = out;
	s->cap = cap;
	s->head = 0;
	s->count = keep;
	series_rebase(s);
}

static void series_add(struct win_series *s, int64_t window_ms, int64_t ts, double v)
{
	double cum = v;
	if (s->count) {
		struct win_sample *last = &s->s[(s->head + s->count - 1) & (s->cap - 1)];
		if (ts < last->ts)
			return; /* late: the window moved on */
		if (ts == last->ts) {
			last->cum += v - last->v;
			last->v = v;
			return;
		}
		cum = last->cum + v;
		while (s->count && s->s[s->head].ts <= ts - window_ms) {
			s->head = (s->head + 1) & (s->cap - 1);
			s->count--;
		}
		if (!s->count)
			cum = v;
	}
	if (s->count == s->cap) {
		if (s->cap < WINDOWS_MAX_SAMPLES)
			series_relayout(s, s->cap ? s->cap * 2 : (window_ms ? 8 : 1), 1);
		else
			series_relayout(s, s->cap, 2);
		cum = (s->count ? win_at(s, s->count - 1)->cum : 0) + v;
	}
	uint32_t i = (s->head + s->count) & (s->cap - 1);
	s->s[i] = (struct win_sample){ ts, v, cum };
	s->count++;
	/* Once a lap of the ring: the sum then spans at most two laps. */
	if (i == s->cap - 1 && s->count > 1)
		series_rebase(s);
}

void alert_windows_add(struct alert_windows *w, uint32_t host_id, const char *metric,
		       int64_t ts_ms, double value)
{
	long m = find_metric(w, metric, windows_hash(metric));
	if (m < 0 || host_id >= WINDOWS_MAX_HOSTS || !isfinite(value) || ts_ms < 0 ||
	    ts_ms > TS_MAX)
		return;
	if (host_id >= w->nhosts) {
		size_t n = w->nhosts ? w->nhosts : 16;
		while (n <= host_id)
			n *= 2;
		w->hosts = xrealloc(w->hosts, n * sizeof *w->hosts);
		memset(w->hosts + w->nhosts, 0, (n - w->nhosts) * sizeof *w->hosts);
		w->nhosts = n;
	}
	if (!w->hosts[host_id])
		w->hosts[host_id] = xcalloc(w->nmetrics, sizeof **w->hosts);
	series_add(&w->hosts[host_id][m], w->metrics[m].window_ms, ts_ms, value);
}

void alert_windows_trim(struct alert_windows *w, int64_t now_ms)
{
	for (size_t h = 0; h < w->nhosts; h++) {
		if (!w->hosts[h])
			continue;
		for (size_t m = 0; m < w->nmetrics; m++) {
			struct win_series *s = &w->hosts[h][m];
			int64_t from = now_ms - w->metrics[m].window_ms;
			/* The newest sample stays while fresh: a plain reference
			 * reads it for EXPR_LOOKBACK_MS. */
			while (s->count && s->s[s->head].ts <= from &&
			       !(s->count == 1 && now_ms - s->s[s->head].ts <= EXPR_LOOKBACK_MS)) {
				s->head = (s->head + 1) & (s->cap - 1);
				s->count--;
			}
		}
	}
}

long alert_windows_slot(const struct alert_windows *w, const char *metric, uint32_t hash)
{
	return find_metric(w, metric, hash);
}

uint64_t alert_windows_serial(const struct alert_windows *w)
{
	return w->serial;
}

const struct win_series *alert_windows_at(const struct alert_windows *w, uint32_t host_id,
					  long slot)
{
	if (host_id >= w->nhosts || !w->hosts[host_id] || slot < 0)
		return NULL;
	return &w->hosts[host_id][slot];
}

const struct win_series *alert_windows_series(const struct alert_windows *w, uint32_t host_id,
					       const char *metric)
{
	return alert_windows_at(w, host_id, find_metric(w, metric, windows_hash(metric)));
}

int64_t alert_windows_window(const struct alert_windows *w, const char *metric)
{
	long m = find_metric(w, metric, windows_hash(metric));
	return m < 0 ? -1 : w->metrics[m].window_ms;
}
