/* The prompt at the bottom: `:` commands (k9s style, with history and Tab
 * completion of commands, hosts, groups, themes and columns) and the `/`
 * filter. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_private.h"

void tui_message(struct tui *t, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->message, sizeof t->message, fmt, ap);
	va_end(ap);
	t->message_error = error;
	t->dirty = true;
}

void prompt_open(struct tui *t, enum prompt_kind kind, const char *initial)
{
	t->prompt = kind;
	str_copy(t->line, initial ? initial : "", sizeof t->line);
	t->cursor = strlen(t->line);
	t->history_pos = t->nhistory;
	t->message[0] = '\0';
	curs_set(1);
	t->dirty = true;
}

static void prompt_close(struct tui *t)
{
	t->prompt = PROMPT_NONE;
	curs_set(0);
	t->dirty = true;
}

void prompt_ask(struct tui *t, const char *label, const char *initial,
		void (*done)(struct tui *t, const char *answer))
{
	str_copy(t->ask_label, label, sizeof t->ask_label);
	t->ask_done = done;
	prompt_open(t, PROMPT_ASK, initial);
}

int prompt_col(const struct tui *t)
{
	if (t->prompt != PROMPT_ASK)
		return 1;
	int w = utf8_width(t->ask_label);
	return w < COLS / 2 ? w : COLS / 2;
}

static void history_add(struct tui *t, const char *line)
{
	if (!*line || (t->nhistory && !strcmp(t->history[t->nhistory - 1], line)))
		return;
	if (t->nhistory == HISTORY_MAX) {
		free(t->history[0]);
		memmove(t->history, t->history + 1, (HISTORY_MAX - 1) * sizeof *t->history);
		t->nhistory--;
	}
	t->history[t->nhistory++] = xstrdup(line);
}

static const char *const commands[] = {
	"help", "quit", "filter", "sort", "group", "theme", "host", "range", "columns", "panes",
	"mark", "unmark", "save", "reload",
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* Candidates for the word being typed; the first word is a command. */
static int candidates(struct tui *t, const char *cmd, bool first, const char *prefix,
		      const char **out, int max)
{
	int n = 0;
	size_t len = strlen(prefix);
#define OFFER(s)                                                   \
	do {                                                       \
		if (n < max && !strncmp((s), prefix, len))         \
			out[n++] = (s);                            \
	} while (0)
	if (first) {
		for (size_t i = 0; i < NCOMMANDS; i++)
			OFFER(commands[i]);
		return n;
	}
	struct fleet *f = t->ctx.fleet;
	if (!strcmp(cmd, "host") || !strcmp(cmd, "mark") || !strcmp(cmd, "unmark") ||
	    !strcmp(cmd, "filter")) {
		if (prefix[0] == '@') {
			for (size_t i = 0; i < f->ngroups && n < max; i++)
				if (!strncmp(f->groups[i].name, prefix + 1, len - 1))
					out[n++] = f->groups[i].name; /* '@' re-added by caller */
			return n;
		}
		for (size_t i = 0; i < f->nhosts; i++)
			OFFER(f->hosts[i].name);
		if (strcmp(cmd, "host"))
			for (size_t i = 0; i < f->ngroups; i++)
				OFFER(f->groups[i].name);
	} else if (!strcmp(cmd, "sort") || !strcmp(cmd, "columns")) {
		for (int c = 0; c < COL_COUNT; c++)
			OFFER(view_col_name((enum view_col)c));
	} else if (!strcmp(cmd, "range")) {
		static const char *const r[] = { "5m", "1h", "24h", "7d" };
		for (int i = 0; i < 4; i++)
			OFFER(r[i]);
	} else if (!strcmp(cmd, "group")) {
		OFFER("on");
		OFFER("off");
	} else if (!strcmp(cmd, "panes")) {
		static const char *const p[] = { "fleet", "host", "alerts", "ops" };
		for (int i = 0; i < 4; i++)
			OFFER(p[i]);
	}
#undef OFFER
	return n;
}

static void complete(struct tui *t)
{
	/* The word before the cursor. */
	size_t start = t->cursor;
	while (start > 0 && t->line[start - 1] != ' ' && t->line[start - 1] != ',')
		start--;
	char prefix[PROMPT_MAX];
	memcpy(prefix, t->line + start, t->cursor - start);
	prefix[t->cursor - start] = '\0';
	char cmd[32] = "";
	sscanf(t->line, "%31s", cmd);
	bool first = strchr(t->line, ' ') == NULL || start == 0;
	const char *c[512];
	int n;
	char **themes = NULL;
	int nthemes = 0;
	if (!first && !strcmp(cmd, "theme")) {
		const char *dirs[4];
		char *owned[4] = { 0 };
		int nd = theme_dirs(t, dirs, owned, 4);
		theme_list(dirs, nd, &themes, &nthemes);
		for (int i = 0; i < 4; i++)
			free(owned[i]);
		n = 0;
		for (int i = 0; i < nthemes && n < 512; i++)
			if (!strncmp(themes[i], prefix, strlen(prefix)))
				c[n++] = themes[i];
	} else {
		n = candidates(t, cmd, first, prefix, c, 512);
	}
	bool at = prefix[0] == '@';
	if (n == 0) {
		tui_message(t, false, "no completion for '%s'", prefix);
	} else {
		/* The longest common prefix of the candidates. */
		size_t common = strlen(c[0]);
		for (int i = 1; i < n; i++) {
			size_t k = 0;
			while (k < common && c[i][k] == c[0][k])
				k++;
			common = k;
		}
		char rep[PROMPT_MAX];
		snprintf(rep, sizeof rep, "%s%.*s%s", at ? "@" : "", (int)common, c[0],
			 n == 1 ? " " : "");
		char rest[PROMPT_MAX];
		str_copy(rest, t->line + t->cursor, sizeof rest);
		t->line[start] = '\0';
		if (strlen(t->line) + strlen(rep) + strlen(rest) < PROMPT_MAX - 1) {
			strcat(t->line, rep);
			t->cursor = strlen(t->line);
			strcat(t->line, rest);
		}
		if (n > 1) {
			char list[256] = "";
			for (int i = 0; i < n && strlen(list) < 200; i++) {
				strncat(list, c[i], sizeof list - strlen(list) - 2);
				strcat(list, " ");
			}
			tui_message(t, false, "%d: %s", n, list);
		}
	}
	for (int i = 0; i < nthemes; i++)
		free(themes[i]);
	free(themes);
}

static void submit(struct tui *t)
{
	char line[PROMPT_MAX];
	str_copy(line, t->line, sizeof line);
	enum prompt_kind kind = t->prompt;
	prompt_close(t);
	if (kind == PROMPT_ASK) {
		void (*done)(struct tui *, const char *) = t->ask_done;
		t->ask_done = NULL;
		if (done)
			done(t, line);
		return;
	}
	if (kind == PROMPT_FILTER) {
		struct error err;
		if (view_set_filter(&t->view, line, &err) < 0)
			tui_message(t, true, "%s", err.msg);
		else
			view_rebuild(&t->view);
		return;
	}
	history_add(t, line);
	command_run(t, line);
}

bool prompt_key(struct tui *t, int key)
{
	if (t->prompt == PROMPT_NONE)
		return false;
	size_t len = strlen(t->line);
	switch (key) {
	case 27:
		if (t->prompt == PROMPT_ASK)
			t->ask_done = NULL;
		if (t->prompt == PROMPT_FILTER) {
			/* Esc in the filter prompt drops the filter. */
			struct error err;
			view_set_filter(&t->view, "", &err);
			view_rebuild(&t->view);
		}
		prompt_close(t);
		break;
	case '\n':
	case '\r':
	case KEY_ENTER:
		submit(t);
		break;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (t->cursor > 0) {
			memmove(t->line + t->cursor - 1, t->line + t->cursor, len - t->cursor + 1);
			t->cursor--;
		} else if (len == 0 && t->prompt != PROMPT_ASK) {
			prompt_close(t);
		}
		break;
	case KEY_DC:
		if (t->cursor < len)
			memmove(t->line + t->cursor, t->line + t->cursor + 1, len - t->cursor);
		break;
	case KEY_LEFT:
		if (t->cursor > 0)
			t->cursor--;
		break;
	case KEY_RIGHT:
		if (t->cursor < len)
			t->cursor++;
		break;
	case KEY_HOME:
	case 1: /* ^A */
		t->cursor = 0;
		break;
	case KEY_END:
	case 5: /* ^E */
		t->cursor = len;
		break;
	case 21: /* ^U */
		t->line[0] = '\0';
		t->cursor = 0;
		break;
	case KEY_UP:
	case KEY_DOWN:
		if (t->prompt != PROMPT_COMMAND || !t->nhistory)
			break;
		t->history_pos += key == KEY_UP ? -1 : 1;
		if (t->history_pos < 0)
			t->history_pos = 0;
		if (t->history_pos >= t->nhistory) {
			t->history_pos = t->nhistory;
			t->line[0] = '\0';
		} else {
			str_copy(t->line, t->history[t->history_pos], sizeof t->line);
		}
		t->cursor = strlen(t->line);
		break;
	case '\t':
		if (t->prompt == PROMPT_COMMAND)
			complete(t);
		break;
	default:
		if (key >= 32 && key < 256 && len + 1 < PROMPT_MAX) {
			memmove(t->line + t->cursor + 1, t->line + t->cursor, len - t->cursor + 1);
			t->line[t->cursor++] = (char)key;
		}
		break;
	}
	/* The filter narrows as you type. */
	if (t->prompt == PROMPT_FILTER) {
		struct error err;
		if (view_set_filter(&t->view, t->line, &err) == 0)
			view_rebuild(&t->view);
	}
	t->dirty = true;
	return true;
}

void prompt_draw(struct tui *t, int y)
{
	draw_fill(t, y, 0, COLS, ROLE_PROMPT);
	const char *lead = t->prompt == PROMPT_FILTER ? "/" : t->prompt == PROMPT_ASK ? t->ask_label : ":";
	int x = prompt_col(t);
	draw_text(t, y, 0, x, ROLE_PROMPT, lead);
	draw_text(t, y, x, COLS - x, ROLE_PROMPT, t->line);
	move(y, x + (int)t->cursor);
}

static int set_columns(struct tui *t, char *list)
{
	bool cols[COL_COUNT];
	const char *bad;
	if (columns_parse(list, cols, &bad) < 0) {
		tui_message(t, true, "columns: unknown column '%s'", bad);
		return -1;
	}
	memcpy(t->columns, cols, sizeof cols);
	prefs_save(t);
	return 0;
}

static int set_panes(struct tui *t, char *list)
{
	bool host = false, alerts = false, ops = false;
	for (char *save, *w = strtok_r(list, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
		if (!strcmp(w, "host"))
			host = true;
		else if (!strcmp(w, "alerts"))
			alerts = true;
		else if (!strcmp(w, "ops"))
			ops = true;
		else if (strcmp(w, "fleet")) {
			tui_message(t, true, "panes: unknown pane '%s' (fleet, host, alerts, ops)", w);
			return -1;
		}
	}
	t->show_host_side = host;
	t->show_alerts = alerts;
	t->show_ops = ops;
	layout_compute(t);
	prefs_save(t);
	return 0;
}

static int mark_selection(struct tui *t, const char *sel, bool on)
{
	struct fleet *f = t->ctx.fleet;
	unsigned char *picked = xcalloc(f->nhosts + 1, 1);
	struct error err;
	if (fleet_select(f, sel, picked, &err) < 0) {
		tui_message(t, true, "%s", err.msg);
		free(picked);
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < f->nhosts; i++)
		if (picked[i]) {
			view_mark(&t->view, &f->hosts[i], on);
			n++;
		}
	free(picked);
	tui_message(t, false, "%s %zu hosts; %zu marked", on ? "marked" : "unmarked", n,
		    view_marked_count(&t->view));
	return 0;
}

int command_run(struct tui *t, const char *input)
{
	char line[PROMPT_MAX];
	str_copy(line, input, sizeof line);
	char *cmd = str_trim(line), *arg = cmd;
	while (*arg && !isspace((unsigned char)*arg))
		arg++;
	if (*arg)
		*arg++ = '\0';
	arg = str_trim(arg);
	struct error err;
	if (!*cmd)
		return 0;
	if (!strcmp(cmd, "q") || !strcmp(cmd, "quit")) {
		loop_stop(t->ctx.loop);
	} else if (!strcmp(cmd, "help")) {
		t->help = true;
	} else if (!strcmp(cmd, "filter")) {
		if (view_set_filter(&t->view, arg, &err) < 0)
			return tui_message(t, true, "%s", err.msg), -1;
		view_rebuild(&t->view);
	} else if (!strcmp(cmd, "sort")) {
		if (sort_parse(t, arg) < 0) {
			char col[32] = "";
			sscanf(arg, "%31s", col);
			return tui_message(t, true, "sort: unknown column '%s'", col), -1;
		}
		view_rebuild(&t->view);
		prefs_save(t);
	} else if (!strcmp(cmd, "group")) {
		t->view.grouped = strcmp(arg, "off") != 0;
		view_rebuild(&t->view);
		prefs_save(t);
	} else if (!strcmp(cmd, "theme")) {
		if (theme_switch(t, arg, &err) < 0)
			return tui_message(t, true, "%s", err.msg), -1;
		prefs_save(t);
	} else if (!strcmp(cmd, "host")) {
		struct host *h = fleet_find(t->ctx.fleet, arg);
		if (!h)
			return tui_message(t, true, "host: no host '%s'", arg), -1;
		tui_focus_host(t, h);
	} else if (!strcmp(cmd, "range")) {
		int64_t ms;
		if (parse_duration_ms(arg, &ms) < 0 || ms < 60000)
			return tui_message(t, true, "range: '%s' is not a duration of 1m or more", arg), -1;
		host_pane_set_range(&t->panes[PANE_HOST], t, ms);
	} else if (!strcmp(cmd, "columns")) {
		return set_columns(t, arg);
	} else if (!strcmp(cmd, "panes")) {
		return set_panes(t, arg);
	} else if (!strcmp(cmd, "mark") || !strcmp(cmd, "unmark")) {
		if (t->opts.read_only)
			return tui_message(t, true, "read-only: marking is off"), -1;
		return mark_selection(t, arg, !strcmp(cmd, "mark"));
	} else if (!strcmp(cmd, "reload")) {
		char msg[600];
		if (!t->ctx.reload)
			return tui_message(t, true, "reload: no alert rules in this console"), -1;
		if (t->ctx.reload(t->ctx.reload_arg, msg, sizeof msg) < 0)
			return tui_message(t, true, "%s", msg), -1;
		tui_message(t, false, "%s", msg);
	} else if (!strcmp(cmd, "save")) {
		prefs_save(t);
		tui_message(t, false, "saved to %s", t->prefs_path ? t->prefs_path : "(nowhere)");
	} else {
		tui_message(t, true, "unknown command '%s' (Tab lists them)", cmd);
		return -1;
	}
	t->dirty = true;
	return 0;
}
