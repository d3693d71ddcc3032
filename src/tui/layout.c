/* Where panes go for the terminal's size, the user's choices of panes,
 * columns, sort and theme, and keeping those choices across runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_private.h"

#define WIDE_COLS 160

void layout_compute(struct tui *t)
{
	int body_y = 1, body_h = LINES - 2;
	for (int i = 0; i < PANE_COUNT; i++)
		t->panes[i].visible = false;
	if (body_h < 3 || COLS < 20)
		return;
	bool bottom = (t->show_alerts || t->show_ops) && body_h >= 20 && !t->zoom_host;
	int bottom_h = bottom ? (body_h / 4 > 6 ? body_h / 4 : 6) : 0;
	int top_h = body_h - bottom_h;
	struct pane *fleet = &t->panes[PANE_FLEET], *host = &t->panes[PANE_HOST];
	if (t->zoom_host) {
		*host = (struct pane){ host->ops, body_y, 0, top_h, COLS, true, host->state };
	} else if (COLS >= WIDE_COLS && t->show_host_side) {
		int hw = COLS * 35 / 100;
		if (hw < 50)
			hw = 50;
		*fleet = (struct pane){ fleet->ops, body_y, 0, top_h, COLS - hw, true, fleet->state };
		*host = (struct pane){ host->ops, body_y, COLS - hw, top_h, hw, true, host->state };
	} else {
		*fleet = (struct pane){ fleet->ops, body_y, 0, top_h, COLS, true, fleet->state };
	}
	if (bottom) {
		struct pane *al = &t->panes[PANE_ALERTS], *op = &t->panes[PANE_OPS];
		int y = body_y + top_h;
		if (t->show_alerts && t->show_ops) {
			*al = (struct pane){ al->ops, y, 0, bottom_h, COLS / 2, true, al->state };
			*op = (struct pane){ op->ops, y, COLS / 2, bottom_h, COLS - COLS / 2, true, op->state };
		} else if (t->show_alerts) {
			*al = (struct pane){ al->ops, y, 0, bottom_h, COLS, true, al->state };
		} else {
			*op = (struct pane){ op->ops, y, 0, bottom_h, COLS, true, op->state };
		}
	}
	if (!t->panes[t->focus].visible)
		t->focus = t->zoom_host ? PANE_HOST : PANE_FLEET;
	t->dirty = true;
}

/* Themes: the user's own folder first, then installed ones, then the
 * source tree's (a build run from the repository). */
int theme_dirs(const struct tui *t, const char **dirs, char **owned, int max)
{
	int n = 0;
	if (n < max && t->ctx.settings && t->ctx.settings->config_dir) {
		owned[n] = settings_config_path(t->ctx.settings, "themes");
		dirs[n] = owned[n];
		n++;
	}
	if (n < max)
		dirs[n++] = FLEETOP_INSTALL_THEMES;
	if (n < max)
		dirs[n++] = FLEETOP_SOURCE_THEMES;
	return n;
}

int theme_switch(struct tui *t, const char *name, struct error *err)
{
	const char *dirs[4];
	char *owned[4] = { 0 };
	int nd = theme_dirs(t, dirs, owned, 4);
	struct theme th;
	int rc = theme_load(&th, name, dirs, nd, err);
	for (int i = 0; i < 4; i++)
		free(owned[i]);
	if (rc < 0)
		return -1;
	t->theme = th;
	colors_apply(t);
	clearok(curscr, TRUE);
	t->dirty = true;
	return 0;
}

int columns_parse(char *list, bool cols[COL_COUNT], const char **bad)
{
	memset(cols, 0, COL_COUNT * sizeof *cols);
	cols[COL_HOST] = true;
	*bad = NULL;
	for (char *save, *w = strtok_r(list, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
		int c = view_col_parse(w);
		if (c >= 0)
			cols[c] = true;
		else if (!*bad)
			*bad = w;
	}
	return *bad ? -1 : 0;
}

int sort_parse(struct tui *t, const char *arg)
{
	char col[32] = "", dir[8] = "";
	sscanf(arg, "%31s %7s", col, dir);
	int c = view_col_parse(col);
	if (c < 0)
		return -1;
	t->view.sort = (enum view_col)c;
	t->view.sort_desc = !strcmp(dir, "desc");
	return 0;
}

static int prefs_line(void *arg, const char *section, const char *key, const char *value,
		      int line, struct error *err)
{
	struct tui *t = arg;
	(void)line;
	(void)err;
	if (strcmp(section, "console") != 0)
		return 0;
	char buf[256];
	str_copy(buf, value, sizeof buf);
	if (!strcmp(key, "panes")) {
		t->show_host_side = strstr(buf, "host") != NULL;
		t->show_alerts = strstr(buf, "alerts") != NULL;
		t->show_ops = strstr(buf, "ops") != NULL;
	} else if (!strcmp(key, "columns")) {
		const char *bad;
		columns_parse(buf, t->columns, &bad); /* a saved file keeps what it knows */
	} else if (!strcmp(key, "sort")) {
		sort_parse(t, buf);
	} else if (!strcmp(key, "group")) {
		t->view.grouped = strcmp(buf, "off") != 0;
	} else if (!strcmp(key, "theme") && !t->opts.theme) {
		struct error e;
		if (theme_switch(t, buf, &e) < 0)
			tui_message(t, true, "%s", e.msg);
	}
	return 0;
}

void prefs_load(struct tui *t)
{
	if (!t->prefs_path)
		return;
	char *text;
	struct error err;
	if (file_read_all(t->prefs_path, &text, NULL, &err) < 0)
		return; /* first run */
	if (ini_parse(text, t->prefs_path, prefs_line, t, &err) < 0)
		tui_message(t, true, "%s", err.msg);
	free(text);
}

void prefs_save(struct tui *t)
{
	if (!t->prefs_path)
		return;
	struct buf b = { 0 };
	buf_puts(&b, "# The console's layout, saved by fleetop; edit or delete freely.\n[console]\n");
	buf_printf(&b, "panes = fleet%s%s%s\n", t->show_host_side ? ",host" : "",
		   t->show_alerts ? ",alerts" : "", t->show_ops ? ",ops" : "");
	buf_puts(&b, "columns = ");
	for (int c = 0, first = 1; c < COL_COUNT; c++)
		if (t->columns[c]) {
			buf_printf(&b, "%s%s", first ? "" : ",", view_col_name((enum view_col)c));
			first = 0;
		}
	buf_printf(&b, "\nsort = %s %s\n", view_col_name(t->view.sort),
		   t->view.sort_desc ? "desc" : "asc");
	buf_printf(&b, "group = %s\n", t->view.grouped ? "on" : "off");
	buf_printf(&b, "theme = %s\n", t->theme.name);
	struct error err;
	char *dir = xstrdup(t->prefs_path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (mkdir_p(dir, 0700, &err) < 0 ||
	    file_write_atomic(t->prefs_path, b.data, b.len, 0644, &err) < 0)
		tui_message(t, true, "cannot save the layout: %s", err.msg);
	free(dir);
	buf_free(&b);
}
