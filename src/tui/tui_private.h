/* What the console's files share: the screen state, panes, drawing. */
#ifndef FLEETOP_TUI_PRIVATE_H
#define FLEETOP_TUI_PRIVATE_H

#include <curses.h>
#include <time.h>

#include "fleetop/alert.h"
#include "fleetop/fleet.h"
#include "fleetop/loop.h"
#include "fleetop/settings.h"
#include "fleetop/store.h"
#include "fleetop/tui.h"
#include "theme.h"
#include "view.h"
#include "widgets.h"

struct tui;
struct pane;

/* A pane is a struct with a small function table (htop's way): the
 * screen owns panes, a pane owns its state. */
struct pane_ops {
	const char *name;
	void (*draw)(struct pane *p, struct tui *t);
	/* Returns true when it used the key. */
	bool (*key)(struct pane *p, struct tui *t, int key);
	/* A click at (y, x) relative to the pane's inside. */
	void (*click)(struct pane *p, struct tui *t, int y, int x);
	void (*wheel)(struct pane *p, struct tui *t, int lines);
	void (*free)(struct pane *p);
};

struct pane {
	const struct pane_ops *ops;
	int y, x, h, w; /* frame, borders included */
	bool visible;
	void *state;
};

enum pane_id { PANE_FLEET, PANE_HOST, PANE_ALERTS, PANE_OPS, PANE_COUNT };

/* PROMPT_ASK: a question (ask_label) whose answer goes to ask_done. */
enum prompt_kind { PROMPT_NONE, PROMPT_COMMAND, PROMPT_FILTER, PROMPT_ASK };

#define PROMPT_MAX 256
#define HISTORY_MAX 64

struct tui {
	struct tui_ctx ctx;
	struct tui_opts opts;
	struct pane panes[PANE_COUNT];
	enum pane_id focus;
	bool zoom_host;           /* narrow screens: the host pane fills the body */
	bool show_alerts, show_ops, show_host_side;
	bool help;                /* the help overlay is open */
	struct fleet_view view;
	struct host *current;     /* the host under the cursor */
	enum glyphs glyphs;
	struct theme theme;
	enum color_depth depth;
	attr_t attr[ROLE_COUNT];
	bool dirty;               /* redraw at the next chance */
	uint64_t seen_generation;
	time_t drawn_second;      /* the clock in the title bar */
	uint64_t tick_timer;
	/* prompt */
	enum prompt_kind prompt;
	char line[PROMPT_MAX];
	size_t cursor;
	char *history[HISTORY_MAX];
	int nhistory, history_pos;
	char **completion;      /* what the last Tab offered that it allocated (theme names) */
	int ncompletion;
	char ask_label[160];
	void (*ask_done)(struct tui *t, const char *answer);
	char message[256];        /* one line under the panes, cleared by the next key */
	bool message_error;
	/* columns shown in the fleet pane */
	bool columns[COL_COUNT];
	char *prefs_path;
	int64_t frame_us;         /* time the last frame took to build */
	/* alerts (ctx.alerts): what the last frame showed, and each host's
	 * worst firing severity for the fleet view's alert sort */
	uint64_t seen_alerts;
	unsigned char *alert_sev;
	size_t nalert_sev;
};

/* draw.c */
void draw_text(struct tui *t, int y, int x, int maxw, enum theme_role role, const char *s);
void draw_fill(struct tui *t, int y, int x, int w, enum theme_role role);
void draw_frame(struct tui *t, struct pane *p, const char *title, bool focused);
void colors_apply(struct tui *t);
/* keymap.c */
/* A key's action (actions.c): runs on the loop with the console's state. */
typedef void (*tui_action_fn)(struct tui *t);
struct keybind {
	int key;
	const char *name;   /* as help shows it */
	tui_action_fn action;
	const char *help;
	bool changes;       /* an action: refused in read-only mode */
};
extern const struct keybind keymap[];
extern const size_t nkeymap;
/* The row of key (Enter in any of its forms), or NULL. */
const struct keybind *keymap_lookup(int key);
/* actions.c */
void act_quit(struct tui *t), act_help(struct tui *t), act_back(struct tui *t),
	act_command(struct tui *t), act_filter(struct tui *t), act_next_pane(struct tui *t),
	act_sort_next(struct tui *t), act_sort_prev(struct tui *t), act_sort_reverse(struct tui *t),
	act_group(struct tui *t), act_mark(struct tui *t), act_mark_all(struct tui *t),
	act_clear_marks(struct tui *t), act_open(struct tui *t), act_theme_next(struct tui *t),
	act_alerts(struct tui *t), act_toggle_alerts(struct tui *t), act_toggle_ops(struct tui *t),
	act_toggle_host(struct tui *t), act_redraw(struct tui *t), act_setup(struct tui *t),
	act_run(struct tui *t), act_configs(struct tui *t);
void help_draw(struct tui *t);
void fkeys_draw(struct tui *t, int y);
/* cmdline.c */
void prompt_open(struct tui *t, enum prompt_kind kind, const char *initial);
bool prompt_key(struct tui *t, int key);
void prompt_draw(struct tui *t, int y);
/* Asks label (e.g. "silence for: ") with initial text; Enter calls done
 * with the answer, Esc drops it. */
void prompt_ask(struct tui *t, const char *label, const char *initial,
		void (*done)(struct tui *t, const char *answer));
int prompt_col(const struct tui *t); /* the column the typed text starts at */
int command_run(struct tui *t, const char *line);
/* commands.c: the `:` commands, one row each (NULL-terminated). */
struct tui_command {
	const char *name, *alias;
	/* Runs with the rest of the line (trimmed, may be changed); -1 when it
	 * refused (it said why in the message line). */
	int (*run)(struct tui *t, const struct tui_command *k, char *arg);
	/* Candidates for the argument being typed; NULL: none. */
	int (*complete)(struct tui *t, const char *prefix, const char **out, int max);
	const char *help;
	bool changes;       /* refused in read-only mode */
};
extern const struct tui_command tui_commands[];
const struct tui_command *tui_command_find(const char *name);
void tui_completion_free(struct tui *t);
void tui_message(struct tui *t, bool error, const char *fmt, ...) FT_PRINTF(3, 4);
/* layout.c */
void layout_compute(struct tui *t);
void prefs_load(struct tui *t);
void prefs_save(struct tui *t);
int theme_switch(struct tui *t, const char *name, struct error *err);
/* "cpu,ram net": sets cols (host always on); unknown words are skipped and
 * the first one is returned in *bad (-1), so a caller may refuse or not. */
int columns_parse(char *list, bool cols[COL_COUNT], const char **bad);
/* "COLUMN [asc|desc]" into the view's sort; -1 (unchanged) if unknown. */
int sort_parse(struct tui *t, const char *arg);
int theme_dirs(const struct tui *t, const char **dirs, char **owned, int max);
/* tui.c */
void tui_redraw(struct tui *t);
void tui_focus_host(struct tui *t, struct host *h);
void tui_open_host(struct tui *t); /* the host pane for t->current, as Enter does */
/* panes */
extern const struct pane_ops pane_fleet_ops, pane_host_ops, pane_alerts_ops, pane_ops_ops;
void fleet_pane_sync_cursor(struct pane *p, struct tui *t);
void fleet_pane_select_host(struct pane *p, struct tui *t, struct host *h);
void host_pane_set_range(struct pane *p, struct tui *t, int64_t range_ms);
/* Until a range is picked the host pane fits it to the history: given the
 * range shown, its start and the oldest point read in it (INT64_MAX:
 * none), the next of the steps 5m, 1h, 24h, 7d when that history reaches
 * back to the start (within a sample interval or two), else range_ms. */
int64_t host_range_fit(int64_t range_ms, int64_t from_ms, int64_t oldest_ms,
		       int64_t interval_ms);
/* pane_alerts.c: a fingerprint of the open alerts (0 without an engine),
 * and how many fire unmuted (the title bar's count) */
uint64_t alerts_pane_digest(const struct tui *t);
size_t alerts_firing(const struct tui *t);
int fleet_pane_draw_bench(struct tui *t);
/* bench/tui-frame: builds nframes frames of the console for f on a
 * terminal of rows x cols writing to /dev/null, fleet pane alone
 * (fleet_only) or every pane; stores each frame's microseconds. */
int tui_bench_frames(struct fleet *f, int rows, int cols, bool fleet_only, int nframes,
		     int64_t *us, struct error *err);

#endif
