/* The console's `:` commands: one table, each row a command's name, what
 * it runs, how its argument completes and its help (the help screen and
 * Tab read the table). A new command is a function here and a row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_private.h"

/* ---- completion ---- */

#define OFFER(s)                                                          \
	do {                                                              \
		if (n < max && !strncmp((s), prefix, strlen(prefix)))     \
			out[n++] = (s);                                   \
	} while (0)

/* Hosts and groups ('@' typed: groups alone; the caller puts '@' back). */
static int complete_hosts_groups(struct tui *t, const char *prefix, const char **out, int max,
				 bool groups)
{
	struct fleet *f = t->ctx.fleet;
	int n = 0;
	if (prefix[0] == '@') {
		for (size_t i = 0; i < f->ngroups && n < max; i++)
			if (!strncmp(f->groups[i].name, prefix + 1, strlen(prefix) - 1))
				out[n++] = f->groups[i].name;
		return n;
	}
	for (size_t i = 0; i < f->nhosts; i++)
		OFFER(f->hosts[i].name);
	if (groups)
		for (size_t i = 0; i < f->ngroups; i++)
			OFFER(f->groups[i].name);
	return n;
}

static int complete_selection(struct tui *t, const char *prefix, const char **out, int max)
{
	return complete_hosts_groups(t, prefix, out, max, true);
}

static int complete_host(struct tui *t, const char *prefix, const char **out, int max)
{
	return complete_hosts_groups(t, prefix, out, max, false);
}

static int complete_column(struct tui *t, const char *prefix, const char **out, int max)
{
	int n = 0;
	for (int c = 0; c < COL_COUNT; c++)
		OFFER(view_col_name((enum view_col)c));
	return n;
}

static int complete_range(struct tui *t, const char *prefix, const char **out, int max)
{
	static const char *const r[] = { "5m", "1h", "24h", "7d" };
	int n = 0;
	for (int i = 0; i < 4; i++)
		OFFER(r[i]);
	return n;
}

static int complete_on_off(struct tui *t, const char *prefix, const char **out, int max)
{
	int n = 0;
	OFFER("on");
	OFFER("off");
	return n;
}

static int complete_pane(struct tui *t, const char *prefix, const char **out, int max)
{
	static const char *const p[] = { "fleet", "host", "alerts", "ops" };
	int n = 0;
	for (int i = 0; i < 4; i++)
		OFFER(p[i]);
	return n;
}

/* The themes found on disk; the names stay until tui_completion_free. */
static int complete_theme(struct tui *t, const char *prefix, const char **out, int max)
{
	const char *dirs[4];
	char *owned[4] = { 0 };
	int nd = theme_dirs(t, dirs, owned, 4);
	tui_completion_free(t);
	theme_list(dirs, nd, &t->completion, &t->ncompletion);
	for (int i = 0; i < 4; i++)
		free(owned[i]);
	int n = 0;
	for (int i = 0; i < t->ncompletion; i++)
		OFFER(t->completion[i]);
	return n;
}
#undef OFFER

void tui_completion_free(struct tui *t)
{
	for (int i = 0; i < t->ncompletion; i++)
		free(t->completion[i]);
	free(t->completion);
	t->completion = NULL;
	t->ncompletion = 0;
}

/* ---- the commands ---- */

static int cmd_quit(struct tui *t, const struct tui_command *k, char *arg)
{
	loop_stop(t->ctx.loop);
	return 0;
}

static int cmd_help(struct tui *t, const struct tui_command *k, char *arg)
{
	t->help = true;
	return 0;
}

static int cmd_filter(struct tui *t, const struct tui_command *k, char *arg)
{
	struct error err;
	if (view_set_filter(&t->view, arg, &err) < 0)
		return tui_message(t, true, "%s", err.msg), -1;
	view_rebuild(&t->view);
	return 0;
}

static int cmd_sort(struct tui *t, const struct tui_command *k, char *arg)
{
	if (sort_parse(t, arg) < 0) {
		char col[32] = "";
		sscanf(arg, "%31s", col);
		return tui_message(t, true, "sort: unknown column '%s'", col), -1;
	}
	view_rebuild(&t->view);
	prefs_save(t);
	return 0;
}

static int cmd_group(struct tui *t, const struct tui_command *k, char *arg)
{
	t->view.grouped = strcmp(arg, "off") != 0;
	view_rebuild(&t->view);
	prefs_save(t);
	return 0;
}

static int cmd_theme(struct tui *t, const struct tui_command *k, char *arg)
{
	struct error err;
	if (theme_switch(t, arg, &err) < 0)
		return tui_message(t, true, "%s", err.msg), -1;
	prefs_save(t);
	return 0;
}

static int cmd_host(struct tui *t, const struct tui_command *k, char *arg)
{
	struct host *h = fleet_find(t->ctx.fleet, arg);
	if (!h)
		return tui_message(t, true, "host: no host '%s'", arg), -1;
	tui_focus_host(t, h);
	return 0;
}

static int cmd_range(struct tui *t, const struct tui_command *k, char *arg)
{
	int64_t ms;
	if (parse_duration_ms(arg, &ms) < 0 || ms < 60000)
		return tui_message(t, true, "range: '%s' is not a duration of 1m or more", arg), -1;
	host_pane_set_range(&t->panes[PANE_HOST], t, ms);
	return 0;
}

static int cmd_columns(struct tui *t, const struct tui_command *k, char *arg)
{
	bool cols[COL_COUNT];
	const char *bad;
	if (columns_parse(arg, cols, &bad) < 0) {
		tui_message(t, true, "columns: unknown column '%s'", bad);
		return -1;
	}
	memcpy(t->columns, cols, sizeof cols);
	prefs_save(t);
	return 0;
}

static int cmd_panes(struct tui *t, const struct tui_command *k, char *arg)
{
	bool host = false, alerts = false, ops = false;
	for (char *save, *w = strtok_r(arg, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
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

/* mark and unmark: the hosts a selection names. */
static int cmd_mark(struct tui *t, const struct tui_command *k, char *arg)
{
	bool on = !strcmp(k->name, "mark");
	struct fleet *f = t->ctx.fleet;
	unsigned char *picked = xcalloc(f->nhosts + 1, 1);
	struct error err;
	if (fleet_select(f, arg, picked, &err) < 0) {
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

static int cmd_reload(struct tui *t, const struct tui_command *k, char *arg)
{
	char msg[600];
	if (!t->ctx.reload)
		return tui_message(t, true, "reload: no alert rules in this console"), -1;
	if (t->ctx.reload(t->ctx.reload_arg, msg, sizeof msg) < 0)
		return tui_message(t, true, "%s", msg), -1;
	tui_message(t, false, "%s", msg);
	return 0;
}

static int cmd_save(struct tui *t, const struct tui_command *k, char *arg)
{
	prefs_save(t);
	tui_message(t, false, "saved to %s", t->prefs_path ? t->prefs_path : "(nowhere)");
	return 0;
}

const struct tui_command tui_commands[] = {
	{ "help", NULL, cmd_help, NULL, "this help", false },
	{ "quit", "q", cmd_quit, NULL, "quit", false },
	{ "filter", NULL, cmd_filter, complete_selection, "filter TEXT: as / does", false },
	{ "sort", NULL, cmd_sort, complete_column, "sort COLUMN [asc|desc]", false },
	{ "group", NULL, cmd_group, complete_on_off, "group on|off: rows by inventory group", false },
	{ "theme", NULL, cmd_theme, complete_theme, "theme NAME", false },
	{ "host", NULL, cmd_host, complete_host, "host NAME: open its graphs", false },
	{ "range", NULL, cmd_range, complete_range, "range DUR: the host graphs' span", false },
	{ "columns", NULL, cmd_columns, complete_column, "columns A,B,...: the fleet's columns", false },
	{ "panes", NULL, cmd_panes, complete_pane, "panes fleet,host,alerts,ops: shown", false },
	{ "mark", NULL, cmd_mark, complete_selection, "mark SELECTION: @group, globs, ranges", true },
	{ "unmark", NULL, cmd_mark, complete_selection, "unmark SELECTION", true },
	{ "reload", NULL, cmd_reload, NULL, "reload rules.conf and notify.conf", false },
	{ "save", NULL, cmd_save, NULL, "save the layout now", false },
	{ NULL, NULL, NULL, NULL, NULL, false },
};

const struct tui_command *tui_command_find(const char *name)
{
	for (const struct tui_command *k = tui_commands; k->name; k++)
		if (!strcmp(k->name, name) || (k->alias && !strcmp(k->alias, name)))
			return k;
	return NULL;
}
