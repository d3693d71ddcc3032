/* Rules internals shared by expr.c, rules.c and windows.c (and their
 * tests): parsing one expression, and the window store's layout, which the
 * evaluator reads directly so a tick costs no copying. */
#ifndef ALERT_EXPR_PRIVATE_H
#define ALERT_EXPR_PRIVATE_H

#include "fleetop/alert.h"

/* Hostile or mistaken input stays bounded: no deep recursion, no huge trees. */
#define EXPR_MAX_LEN 4096
#define EXPR_MAX_DEPTH 64
#define EXPR_MAX_METRIC 200                    /* characters in one metric name */
#define EXPR_MAX_WINDOW_MS (24LL * 3600 * 1000) /* longest window a function reads */
/* A plain metric reference is the latest sample, if it is this fresh. */
#define EXPR_LOOKBACK_MS (5LL * 60 * 1000)
/* Samples kept per host and metric; a longer window is thinned to fit. */
#define WINDOWS_MAX_SAMPLES 4096
/* Host ids past this are ignored (they index an array). */
#define WINDOWS_MAX_HOSTS (1u << 22)

/* Parses one expression. It must be a condition (a comparison, and/or/not
 * or absent()). err gets "REASON (column N)", without a file prefix. */
struct expr *expr_parse(const char *text, struct error *err);
void expr_free(struct expr *e);
/* Calls fn for each metric e reads, with the window it reads it over (0:
 * only the latest sample and its time: plain references and absent()). */
typedef void (*expr_metric_fn)(void *arg, const char *metric, int64_t window_ms);
void expr_metrics(const struct expr *e, expr_metric_fn fn, void *arg);

/* {value} as a summary shows it: 94, 94.5, 1.5M, n/a. */
void expr_format_value(double v, char *out, size_t size);

/* ---- the window store ---- */
uint32_t windows_hash(const char *s); /* FNV-1a, what the store's table uses */

/* A ring of (time, value), oldest at head; cap is 0 or a power of two.
 * cum is a running sum of v from some base, rebased once a lap of the
 * ring: a window's sum is two reads, not a loop. It is exact for integers
 * and otherwise good to about 1e-12 of the largest value in the ring. */
struct win_sample {
	int64_t ts;
	double v;
	double cum;
};
struct win_series {
	struct win_sample *s;
	uint32_t cap, head, count;
};
static inline const struct win_sample *win_at(const struct win_series *s, uint32_t i)
{
	return &s->s[(s->head + i) & (s->cap - 1)];
}
/* The store's slot for metric, or -1 when it keeps none; hash is
 * windows_hash(metric). Slots stay valid until alert_windows_update or
 * alert_windows_free, and then alert_windows_serial changes: the evaluator
 * keeps a slot per metric reference and looks up again only then. */
long alert_windows_slot(const struct alert_windows *w, const char *metric, uint32_t hash);
uint64_t alert_windows_serial(const struct alert_windows *w);
/* The series in slot on host_id; NULL when the host has sent nothing yet. */
const struct win_series *alert_windows_at(const struct alert_windows *w, uint32_t host_id,
					  long slot);
/* The series of metric on host_id, or NULL when nothing of it is kept. */
const struct win_series *alert_windows_series(const struct alert_windows *w, uint32_t host_id,
					       const char *metric);
/* The window the store keeps metric for, or -1 when it keeps none. */
int64_t alert_windows_window(const struct alert_windows *w, const char *metric);

#endif
