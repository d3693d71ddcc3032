/* collect: turning what hosts print into metrics.
 * linux: one long-lived exec channel per host runs a small POSIX sh loop
 * (src/collect/linux_probe.sh, sent on stdin) that prints one framed
 * snapshot of /proc per interval; the parser turns consecutive frames into
 * rates and percentages. */
#ifndef FLEETOP_COLLECT_H
#define FLEETOP_COLLECT_H

#include "fleetop/core.h"

/* Called once per metric of a completed frame. */
typedef void (*metric_emit_fn)(void *arg, const char *metric, double value);

/* The exec command line that starts the probe (the script itself goes on
 * stdin): interval and mounts are its arguments. Caller frees. */
char *linux_probe_command(int64_t interval_ms, char *const *mounts, int nmounts);
/* The probe script text (sent on the channel's stdin, then EOF). */
const char *linux_probe_script(void);
/* The word a simulator looks for in an exec command to know it is the probe. */
#define LINUX_PROBE_MARK "fleetop-probe"

struct linux_parser;
/* host names the host in error messages. */
struct linux_parser *linux_parser_new(const char *host);
void linux_parser_free(struct linux_parser *p);
/* Feeds stdout bytes as they arrive (any split). For each complete frame,
 * emits its metrics (rates need two frames, so the first frame emits only
 * gauges). A bad frame is skipped whole with a one-line error naming the
 * host and what was wrong, and parsing resumes at the next frame. Returns
 * the number of frames completed, or -1 if some frame was bad (err set;
 * good frames in the same data were still emitted). */
int linux_parser_feed(struct linux_parser *p, const char *data, size_t len,
		      metric_emit_fn emit, void *arg, struct error *err);

/* Custom collectors: a command run on the host over SSH (see
 * fleetop-collectors(7)) prints JSON lines, each one of
 *   {"metric":"plugin.dynmap.tick_ms","value":3.2[,"ts":UNIX_SECONDS]}
 *   {"metrics":{"a.b":1,"c":2}[,"ts":...]}
 *   {"event":"mod_incompatible","severity":"warning","message":"..."}
 * Metric names get the prefix "custom."; severity is info, warning or
 * critical (default info). */
enum custom_kind { CUSTOM_METRIC, CUSTOM_EVENT };
#define CUSTOM_MAX_LINE 65536
struct custom_item {
	enum custom_kind kind;
	char metric[128];   /* "custom." + the name the line gave */
	double value;       /* finite */
	int64_t ts_ms;      /* 0: the line gave none (use the time it arrived) */
	char event[64];     /* event kind */
	char severity[16];  /* "info", "warning" or "critical" */
	char message[512];  /* cleaned to one printable line */
};
typedef void (*custom_emit_fn)(void *arg, const struct custom_item *item);
/* Parses one line (without its newline). Emits each item it holds and
 * returns how many (0 for a blank line), or -1 with a one-line reason in
 * err (nothing emitted: a line is taken whole or not at all). */
int custom_parse_line(const char *line, size_t len, custom_emit_fn emit, void *arg,
		      struct error *err);

/* The collector: runs the linux probe on every up host over the pool and
 * turns its frames into samples; polls game servers (game_poller.c), runs
 * the game-process probe and custom collectors (custom_runner.c). It restarts a probe that ends or goes
 * silent; per-host interval and mounts come from host vars
 * `collect_interval` and `collect_mounts`, else from settings. */
struct loop;
struct ssh_pool;
struct settings;
struct host;
struct collector;
typedef void (*sample_fn)(void *arg, struct host *h, const char *metric, int64_t ts_ms,
			  double value);
struct collector *collector_new(struct loop *loop, struct ssh_pool *pool,
				const struct settings *s, sample_fn on_sample, void *arg);
void collector_free(struct collector *c);
/* Events (custom collectors' and others'): ts_ms is wall time. */
typedef void (*event_fn)(void *arg, struct host *h, int64_t ts_ms, const char *severity,
			 const char *kind, const char *message);
void collector_on_event(struct collector *c, event_fn fn, void *arg);
/* Starts what does not need SSH for h: its game server's queries (vars
 * game=, query_port= ...; see fleetop.conf(5)). Call once per host. */
void collector_watch(struct collector *c, struct host *h);
/* Game polls completed for h (each one sets game.up to 1 or 0). */
uint64_t collector_game_polls(const struct collector *c, const struct host *h);
/* Call when a host comes up / goes down (from the pool's state callback). */
void collector_host_up(struct collector *c, struct host *h);
void collector_host_down(struct collector *c, struct host *h);
/* Frames received from h since its probe started. */
uint64_t collector_frames(const struct collector *c, const struct host *h);
uint64_t collector_samples_total(const struct collector *c);
/* Distinct series h has made ([collect] max_series_per_host caps them), and
 * its samples refused for a new name past the cap or a name that is not
 * safe to keep (see series_cap.h). */
size_t collector_series(const struct collector *c, const struct host *h);
uint64_t collector_series_refused(const struct collector *c, const struct host *h);

#endif
