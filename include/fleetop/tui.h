/* tui: the console. An ncurses screen of panes (fleet, host graphs,
 * alerts, ops) on the engine's loop: it draws when data changes, sleeps
 * in poll otherwise, and always gives the terminal back. */
#ifndef FLEETOP_TUI_H
#define FLEETOP_TUI_H

#include "fleetop/core.h"

struct loop;
struct fleet;
struct store;
struct settings;
struct alert_engine;

struct tui_ctx {
	struct loop *loop;
	struct fleet *fleet;
	struct store *store;          /* history for the host pane; may be NULL */
	const struct settings *settings;
	const char *title;            /* e.g. "fleetop" or "fleetop demo" */
	struct alert_engine *alerts;  /* open alerts, badges, ack/silence; may be NULL */
	/* `:reload`: re-reads rules.conf and notify.conf. 0 with a summary in
	 * msg, -1 with the error (the old ones stay). NULL: not offered. */
	int (*reload)(void *arg, char *msg, size_t size);
	void *reload_arg;
	/* Where the log goes while the screen is ours (stderr too); its
	 * warnings also show in the message line. NULL: /dev/null. */
	const char *log_path;
	/* Called once the screen and the log are set up, before the loop
	 * runs: starts collection, so its first warnings are the console's. */
	void (*start)(void *arg);
	void *start_arg;
};

struct tui_opts {
	bool read_only;    /* no action is possible (wall screens) */
	const char *theme; /* NULL: settings' theme */
	bool ascii;        /* force ASCII glyphs */
};

/* Runs the console until the user quits or the loop is stopped (SIGINT,
 * SIGTERM). Returns 0, or -1 with err when the terminal cannot be used. */
int tui_run(const struct tui_ctx *ctx, const struct tui_opts *opts, struct error *err);

#endif
