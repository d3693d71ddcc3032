/* What the cli's files share: the command table and the runtime that the
 * commands which talk to hosts run on. */
#ifndef FLEETOP_CLI_H
#define FLEETOP_CLI_H

#include <stdio.h>

#include "fleetop/alert.h"
#include "fleetop/collect.h"
#include "fleetop/core.h"
#include "fleetop/fleet.h"
#include "fleetop/loop.h"
#include "fleetop/settings.h"
#include "fleetop/ssh.h"
#include "fleetop/store.h"

/* Exit codes, documented in fleetop(1). */
#define EXIT_OK 0
#define EXIT_SOME_FAILED 1
#define EXIT_USAGE 2

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};
extern const struct command cmd_console, cmd_hosts, cmd_check, cmd_status, cmd_history,
	cmd_events, cmd_alerts, cmd_notify, cmd_collect, cmd_sim, cmd_demo;

/* Prints "fleetop: msg" to stderr and returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) FT_PRINTF(1, 2);

/* inventory.c: loads inventory (NULL: fleet.conf beside s's fleetop.conf)
 * into f. Whoever prints the error of a failed load calls cli_fleet_hint
 * right after it: when the file did not exist, it prints what to write
 * there (an example inventory) and points to `fleetop demo`. */
int cli_fleet_load(struct fleet *f, const char *inventory, const struct settings *s,
		   struct error *err);
void cli_fleet_hint(FILE *out);

/* Opens the history named by s (its data folder), with s's retention. */
int cli_store_open(const struct settings *s, struct store **out, struct error *err);

enum runtime_flags {
	RUNTIME_STORE = 1,   /* open the SQLite history and store samples */
	RUNTIME_COLLECT = 2, /* run the probe on hosts that come up */
	RUNTIME_ALERTS = 4,  /* evaluate rules.conf, notify per notify.conf (needs STORE) */
	RUNTIME_HUP_RELOADS = 8, /* SIGHUP re-reads rules.conf and notify.conf (headless);
				 * otherwise it ends the run like SIGTERM (a closed terminal) */
};

struct runtime {
	struct settings settings;
	struct fleet fleet;
	unsigned char *selected; /* by host id */
	size_t nselected;
	struct loop *loop;
	struct ssh_pool *pool;
	struct collector *collector;
	struct store *store;
	unsigned flags;
	uint64_t flush_timer, prune_timer;
	bool interrupted;
	bool reload;             /* SIGHUP seen */
	/* alerting (runtime_alerts.c) */
	struct rule_set *rules;
	struct notify_config *notify;
	struct alert_engine *alerts;
	struct notify_sender *sender;
	uint64_t alert_timer, changed_timer;
	int64_t changed_last_ms;
	bool watching;          /* game queries started (once, at the first run) */
};

/* Loads settings (FLEETOP_HOME/XDG, or config_path) and the inventory
 * (fleet_path or config_dir/fleet.conf), then selects hosts. */
int runtime_open(struct runtime *e, const char *config_path, const char *fleet_path,
		const char *selection, unsigned flags, struct error *err);
/* Connects every selected host and starts its game queries (once). */
void runtime_start(struct runtime *e);
/* runtime_start, then runs the loop until done(arg) is true,
 * timeout_ms passes (-1: none) or SIGINT/SIGTERM. */
void runtime_run(struct runtime *e, bool (*done)(struct runtime *, void *), void *arg,
		int64_t timeout_ms);
void runtime_close(struct runtime *e);
/* Writes the samples waiting (when the history's backoff lets it). */
void runtime_flush(struct runtime *e);
/* runtime_alerts.c */
int runtime_alerts_open(struct runtime *e, struct error *err);
void runtime_alerts_sample(struct runtime *e, struct host *h, const char *metric, int64_t ts_ms,
			  double value);
/* Re-reads rules.conf and notify.conf; msg says what was loaded or why not
 * (the old ones stay). */
int runtime_alerts_reload(struct runtime *e, char *msg, size_t size);
void runtime_alerts_close(struct runtime *e);

/* Common options every host command takes. */
struct common_opts {
	const char *config;     /* -c FILE: fleetop.conf */
	const char *inventory;  /* -i FILE: fleet.conf */
	bool accept_new;
	bool json;
	int64_t timeout_ms;
};

struct tui_opts;
/* cmd_console.c: the console on an opened runtime; console_option takes
 * --read-only, -T/--theme and --ascii. */
int console_on_runtime(struct runtime *e, const char *title, const struct tui_opts *to);
int console_option(int opt, const char *arg, struct tui_opts *to);

#endif
