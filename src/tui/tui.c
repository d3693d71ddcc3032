/* The console's screen: ncurses on the engine's loop. Keys arrive as stdin
 * readiness; data changes are noticed by a light timer comparing the
 * fleet's generation, so an idle console sleeps in the loop's poll. The
 * terminal is given back on quit, on SIGINT/SIGTERM (through the engine's
 * loop_stop) and on a crash signal. */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tui_private.h"

#define TICK_MS 250

static struct termios saved_termios;
static bool have_termios;

/* Crash: put the terminal back with async-signal-safe calls only, then
 * die of the same signal so the core dump and exit status stay true. */
static void on_crash(int sig)
{
	static const char reset[] = "\033[?1000l\033[?1002l\033[?1006l\033[0m\033[?25h\033[?1049l\r\n";
	if (write(STDOUT_FILENO, reset, sizeof reset - 1) < 0) {
		/* nothing more can be done */
	}
	if (have_termios)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	signal(sig, SIG_DFL);
	raise(sig);
}

void tui_focus_host(struct tui *t, struct host *h)
{
	t->current = h;
	struct pane *p = &t->panes[PANE_FLEET];
	/* Make sure it is listed: clear a filter that hides it. */
	bool listed = false;
	for (size_t i = 0; i < t->view.nrows; i++)
		listed |= t->view.rows[i].kind == ROW_HOST && t->view.rows[i].host == h;
	if (!listed) {
		struct error err;
		view_set_filter(&t->view, "", &err);
		if (t->view.grouped && h->ngroups) {
			for (size_t i = 0; i < t->view.ncollapsed; i++)
				if (!strcmp(t->view.collapsed[i], h->groups[0]))
					view_toggle_collapse(&t->view, h->groups[0]);
		}
		view_rebuild(&t->view);
	}
	fleet_pane_select_host(p, t, h);
	t->dirty = true;
}

void tui_open_host(struct tui *t)
{
	if (!t->current)
		return;
	if (COLS >= 160 && t->show_host_side) {
		t->focus = PANE_HOST;
	} else {
		t->zoom_host = true;
		t->focus = PANE_HOST;
		layout_compute(t);
	}
	t->dirty = true;
}

/* Each host's worst firing severity, for sorting by the alert column. */
static void alert_sev_fill(struct tui *t)
{
	struct fleet *f = t->ctx.fleet;
	if (!t->ctx.alerts) {
		t->view.alert_sev = NULL;
		return;
	}
	if (t->nalert_sev < f->nhosts) {
		free(t->alert_sev);
		t->alert_sev = xcalloc(f->nhosts, 1);
		t->nalert_sev = f->nhosts;
	}
	for (size_t i = 0; i < f->nhosts; i++)
		t->alert_sev[i] = (unsigned char)alert_engine_host_severity(t->ctx.alerts, (uint32_t)i);
	t->view.alert_sev = t->alert_sev;
}

/* The groups the inventory names: Ansible's implicit "all" and
 * "ungrouped" are always there and are not the user's. */
static size_t groups_named(const struct fleet *f)
{
	size_t n = 0;
	for (size_t i = 0; i < f->ngroups; i++)
		n += strcmp(f->groups[i].name, "all") && strcmp(f->groups[i].name, "ungrouped");
	return n;
}

static void draw_title(struct tui *t)
{
	struct fleet *f = t->ctx.fleet;
	size_t up = 0, down = 0, problems = 0;
	for (size_t i = 0; i < f->nhosts; i++) {
		up += f->hosts[i].state == HOST_UP;
		down += f->hosts[i].state == HOST_DOWN;
		problems += f->hosts[i].state == HOST_DOWN || (f->hosts[i].state == HOST_UP && f->hosts[i].error[0]);
	}
	draw_fill(t, 0, 0, COLS, ROLE_TITLE);
	char left[256], right[96], clock[16];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(clock, sizeof clock, "%H:%M:%S", &tm);
	const char *dot = t->glyphs == GLYPHS_UTF8 ? "·" : "-";
	/* With rules: the alerts firing and not muted; without: hosts in trouble. */
	if (t->ctx.alerts)
		problems = alerts_firing(t);
	size_t ngroups = groups_named(f);
	snprintf(left, sizeof left,
		 " %s  %zu host%s %s %zu group%s %s %zu alert%s    %zu up %s %zu down%s",
		 t->ctx.title ? t->ctx.title : "fleetop", f->nhosts, f->nhosts == 1 ? "" : "s", dot,
		 ngroups, ngroups == 1 ? "" : "s", dot, problems, problems == 1 ? "" : "s", up, dot,
		 down, t->opts.read_only ? "   [read-only]" : "");
	snprintf(right, sizeof right, "%s   ? help ", clock);
	draw_text(t, 0, 0, COLS, ROLE_TITLE, left);
	int lw = utf8_width(left);
	/* A history that cannot be written stands out here until it can (the
	 * log and the message line say why, once). */
	struct store_health sh = { .state = STORE_OK };
	if (t->ctx.store)
		store_health(t->ctx.store, &sh);
	if (sh.state != STORE_OK) {
		char tag[96];
		snprintf(tag, sizeof tag, "  history %s: %lld waiting, %lld dropped ",
			 sh.state == STORE_FULL ? "FULL" : "ERROR", (long long)sh.waiting,
			 (long long)sh.dropped);
		if (lw + 2 < COLS)
			draw_text(t, 0, lw + 2, COLS - lw - 2, ROLE_CRIT, tag);
		lw += 2 + utf8_width(tag);
	}
	int rw = (int)strlen(right);
	if (COLS - rw > lw + 1)
		draw_text(t, 0, COLS - rw, rw, ROLE_TITLE, right);
}

void tui_redraw(struct tui *t)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (LINES < 5 || COLS < 30) {
		erase();
		mvaddstr(0, 0, "fleetop: terminal too small");
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	alert_sev_fill(t);
	t->seen_alerts = alerts_pane_digest(t);
	view_rebuild(&t->view);
	draw_title(t);
	for (int i = 0; i < PANE_COUNT; i++)
		if (t->panes[i].visible && t->panes[i].ops->draw)
			t->panes[i].ops->draw(&t->panes[i], t);
	int bottom = LINES - 1;
	/* Rows the layout left (e.g. body too short for bottom panes). */
	if (t->prompt != PROMPT_NONE) {
		prompt_draw(t, bottom);
	} else if (t->message[0]) {
		draw_fill(t, bottom, 0, COLS, t->message_error ? ROLE_CRIT : ROLE_STATUSBAR);
		draw_text(t, bottom, 1, COLS - 2, t->message_error ? ROLE_CRIT : ROLE_STATUSBAR,
			  t->message);
	} else {
		fkeys_draw(t, bottom);
	}
	if (t->help)
		help_draw(t);
	if (t->prompt != PROMPT_NONE)
		move(bottom, prompt_col(t) + (int)t->cursor);
	wnoutrefresh(stdscr);
	doupdate();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	t->frame_us = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
	t->dirty = false;
}

static void resize(struct tui *t)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		resizeterm(ws.ws_row, ws.ws_col);
	layout_compute(t);
	clearok(curscr, TRUE);
	t->dirty = true;
}

/* A key of the keymap: its action, unless it changes something and the
 * console is read-only. */
static void run_key(struct tui *t, int key)
{
	const struct keybind *k = keymap_lookup(key);
	if (!k)
		return;
	if (k->changes && t->opts.read_only) {
		tui_message(t, true, "read-only console: %s is off", k->help);
		return;
	}
	k->action(t);
	t->dirty = true;
}

static void on_mouse(struct tui *t)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	for (int i = 0; i < PANE_COUNT; i++) {
		struct pane *p = &t->panes[i];
		if (!p->visible || ev.y < p->y || ev.y >= p->y + p->h || ev.x < p->x || ev.x >= p->x + p->w)
			continue;
		if (ev.bstate & (BUTTON4_PRESSED)) {
			if (p->ops->wheel)
				p->ops->wheel(p, t, -3);
		} else if (ev.bstate & (BUTTON5_PRESSED)) {
			if (p->ops->wheel)
				p->ops->wheel(p, t, 3);
		} else if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_RELEASED)) {
			t->focus = (enum pane_id)i;
			if (p->ops->click)
				p->ops->click(p, t, ev.y - p->y - 1, ev.x - p->x - 1);
		}
		t->dirty = true;
		return;
	}
}

static void handle_key(struct tui *t, int key)
{
	if (key == KEY_RESIZE) {
		/* ncurses has resized already (resizeterm queues this key); calling
		 * resizeterm again would queue another, forever. */
		layout_compute(t);
		clearok(curscr, TRUE);
		t->dirty = true;
		return;
	}
	if (key == KEY_MOUSE) {
		on_mouse(t);
		return;
	}
	if (t->prompt == PROMPT_NONE && t->message[0]) {
		t->message[0] = '\0';
		t->dirty = true;
	}
	if (t->help) {
		if (key == 27 || key == 'q' || key == '?' || key == KEY_F(1) || key == '\n') {
			t->help = false;
			t->dirty = true;
		}
		return;
	}
	if (prompt_key(t, key))
		return;
	struct pane *p = &t->panes[t->focus];
	if (p->visible && p->ops->key && p->ops->key(p, t, key))
		return;
	/* The host pane's range keys work from the fleet pane too. */
	if (t->focus == PANE_FLEET && strchr("1234[]", key) && key) {
		struct pane *hp = &t->panes[PANE_HOST];
		if (hp->ops->key(hp, t, key))
			return;
	}
	run_key(t, key);
}

/* The terminal went away (its window closed, the SSH session dropped):
 * stdin is readable for ever with nothing in it. SIGHUP no longer ends us
 * (the engine takes it to reload rules), so this does. */
static bool terminal_gone(void)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static void on_input(struct loop *loop, int fd, int events, void *arg)
{
	struct tui *t = arg;
	(void)fd;
	(void)events;
	int key, n = 0;
	while ((key = getch()) != ERR) {
		n++;
		handle_key(t, key);
		if (loop_stopped(loop))
			return;
	}
	if (n == 0 && terminal_gone()) {
		loop_stop(loop);
		return;
	}
	if (t->dirty)
		tui_redraw(t);
}

static void on_winch(struct loop *loop, int sig, void *arg)
{
	struct tui *t = arg;
	(void)loop;
	(void)sig;
	resize(t);
	tui_redraw(t);
}

static void on_tick(struct loop *loop, void *arg)
{
	struct tui *t = arg;
	time_t now = time(NULL);
	uint64_t gen = fleet_generation();
	/* Redraw for new data (samples, or an alert that changed), or for the
	 * clock once a second; else sleep. */
	if (gen != t->seen_generation || t->dirty || now != t->drawn_second ||
	    alerts_pane_digest(t) != t->seen_alerts) {
		t->seen_generation = gen;
		t->drawn_second = now;
		tui_redraw(t);
	}
	t->tick_timer = loop_timer_add(loop, TICK_MS, on_tick, t);
}

static void tui_init_state(struct tui *t, const struct tui_ctx *ctx, const struct tui_opts *opts)
{
	memset(t, 0, sizeof *t);
	t->ctx = *ctx;
	if (opts)
		t->opts = *opts;
	static const struct pane_ops *const ops[PANE_COUNT] = {
		&pane_fleet_ops, &pane_host_ops, &pane_alerts_ops, &pane_ops_ops,
	};
	for (int i = 0; i < PANE_COUNT; i++)
		t->panes[i].ops = ops[i];
	view_init(&t->view, ctx->fleet);
	t->view.grouped = true;
	t->view.sort = COL_HOST;
	for (int c = 0; c < COL_COUNT; c++)
		t->columns[c] = c != COL_GROUP && c != COL_ALERT;
	t->show_host_side = true;
	t->show_alerts = true;
	t->show_ops = true;
	const char *codeset = nl_langinfo(CODESET);
	t->glyphs = !t->opts.ascii && codeset && !strcmp(codeset, "UTF-8") ? GLYPHS_UTF8 : GLYPHS_ASCII;
	if (ctx->settings && ctx->settings->config_dir)
		t->prefs_path = settings_config_path(ctx->settings, "console.conf");
}

static void tui_free_state(struct tui *t)
{
	for (int i = 0; i < PANE_COUNT; i++)
		if (t->panes[i].ops->free)
			t->panes[i].ops->free(&t->panes[i]);
	view_free(&t->view);
	free(t->alert_sev);
	for (int i = 0; i < t->nhistory; i++)
		free(t->history[i]);
	tui_completion_free(t);
	free(t->prefs_path);
}

/* A warning logged while the console runs: in the message line (unless
 * the user is typing there), and in the log file. */
static void on_log(void *arg, enum log_level level, const char *msg)
{
	struct tui *t = arg;
	if (level <= LOG_WARN && t->prompt == PROMPT_NONE)
		tui_message(t, level == LOG_ERROR, "%s", msg);
}

int tui_run(const struct tui_ctx *ctx, const struct tui_opts *opts, struct error *err)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return error_set(err, "the console needs a terminal; use 'fleetop status' or "
				 "'fleetop collect' without one");
	/* Anything written to stderr from here on would land on the screen. */
	struct error lerr;
	bool log_lost = log_capture_stderr(ctx->log_path ? ctx->log_path : "/dev/null", &lerr) < 0;
	setlocale(LC_ALL, "");
	struct tui *t = xcalloc(1, sizeof *t);
	tui_init_state(t, ctx, opts);
	log_set_hook(on_log, t);
	have_termios = tcgetattr(STDIN_FILENO, &saved_termios) == 0;
	int crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
		signal(crash_signals[i], on_crash);
	if (!newterm(NULL, stdout, stdin)) {
		log_set_hook(NULL, NULL);
		log_release_stderr();
		tui_free_state(t);
		free(t);
		return error_set(err, "cannot start the console on terminal type '%s'",
				 getenv("TERM") ? getenv("TERM") : "(unset)");
	}
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	t->depth = color_depth_detect(COLORS, getenv("COLORTERM"), getenv("NO_COLOR"));
	const char *theme = t->opts.theme ? t->opts.theme
			  : ctx->settings && ctx->settings->theme && strcmp(ctx->settings->theme, "default")
				  ? ctx->settings->theme : "dark";
	struct error terr;
	if (theme_switch(t, theme, &terr) < 0) {
		theme_builtin(&t->theme);
		colors_apply(t);
		tui_message(t, true, "%s; using the built-in theme", terr.msg);
	}
	prefs_load(t);
	if (t->opts.theme) { /* -t wins over the saved choice */
		if (theme_switch(t, t->opts.theme, &terr) < 0)
			tui_message(t, true, "%s", terr.msg);
	}
	layout_compute(t);
	if (log_lost)
		tui_message(t, true, "%s; the log is lost", lerr.msg);
	loop_signal_add(ctx->loop, SIGWINCH, on_winch, t);
	loop_fd_add(ctx->loop, STDIN_FILENO, LOOP_READ, on_input, t);
	if (ctx->start)
		ctx->start(ctx->start_arg);
	tui_redraw(t);
	t->tick_timer = loop_timer_add(ctx->loop, TICK_MS, on_tick, t);
	loop_run(ctx->loop);

	loop_timer_del(ctx->loop, t->tick_timer);
	loop_fd_del(ctx->loop, STDIN_FILENO);
	loop_signal_del(ctx->loop, SIGWINCH);
	endwin();
	for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
		signal(crash_signals[i], SIG_DFL);
	if (have_termios)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	log_set_hook(NULL, NULL);
	log_release_stderr();
	tui_free_state(t);
	free(t);
	return 0;
}

int tui_bench_frames(struct fleet *f, int rows, int cols, bool fleet_only, int nframes,
		     int64_t *us, struct error *err)
{
	setlocale(LC_ALL, "C.UTF-8");
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	if (!out || !in)
		return error_set(err, "cannot open /dev/null");
	SCREEN *scr = newterm("xterm-256color", out, in);
	if (!scr)
		return error_set(err, "no terminfo entry for xterm-256color");
	resizeterm(rows, cols);
	struct loop *loop = loop_new();
	struct settings s;
	settings_init(&s);
	free(s.config_dir);
	s.config_dir = NULL; /* no saved layout */
	struct tui_ctx ctx = { .loop = loop, .fleet = f, .settings = &s, .title = "bench" };
	struct tui_opts o = { 0 };
	struct tui *t = xcalloc(1, sizeof *t);
	tui_init_state(t, &ctx, &o);
	t->glyphs = GLYPHS_UTF8;
	t->depth = DEPTH_256;
	theme_builtin(&t->theme);
	colors_apply(t);
	if (fleet_only)
		t->show_host_side = t->show_alerts = t->show_ops = false;
	layout_compute(t);
	for (int i = 0; i < nframes; i++) {
		/* Every visible value changes between frames, as at each tick. */
		for (size_t h = 0; h < f->nhosts; h++) {
			double v = (double)((h * 7 + (size_t)i * 13) % 100);
			host_set_metric(&f->hosts[h], "cpu.util", v);
			host_set_metric(&f->hosts[h], "mem.used_pct", 100 - v);
			host_set_metric(&f->hosts[h], "net.tx_bps", v * 1e5);
		}
		tui_redraw(t);
		us[i] = t->frame_us;
	}
	tui_free_state(t);
	free(t);
	settings_free(&s);
	loop_free(loop);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
	return 0;
}
