/* What the keys of the keymap do: one function an action, named in the
 * keymap's table (keymap.c) beside its keys and help. A new key is a
 * function here and a row there. */
#include <stdlib.h>
#include <string.h>

#include "tui_private.h"

void act_quit(struct tui *t)
{
	loop_stop(t->ctx.loop);
}

void act_help(struct tui *t)
{
	t->help = true;
}

/* Esc: out of the zoomed host, back to the fleet, then the filter off. */
void act_back(struct tui *t)
{
	if (t->zoom_host) {
		t->zoom_host = false;
		t->focus = PANE_FLEET;
		layout_compute(t);
	} else if (t->focus != PANE_FLEET) {
		t->focus = PANE_FLEET;
	} else if (t->view.filter_text && *t->view.filter_text) {
		struct error err;
		view_set_filter(&t->view, "", &err);
	}
}

void act_command(struct tui *t)
{
	prompt_open(t, PROMPT_COMMAND, "");
}

void act_filter(struct tui *t)
{
	prompt_open(t, PROMPT_FILTER, t->view.filter_text);
}

void act_next_pane(struct tui *t)
{
	for (int i = 1; i <= PANE_COUNT; i++) {
		enum pane_id p = (enum pane_id)((t->focus + i) % PANE_COUNT);
		if (t->panes[p].visible) {
			t->focus = p;
			break;
		}
	}
	t->dirty = true;
}

/* The next (or previous) column shown becomes the sort key. */
static void sort_step(struct tui *t, int step)
{
	int c = (int)t->view.sort;
	for (int i = 0; i < COL_COUNT; i++) {
		c = (c + step + COL_COUNT) % COL_COUNT;
		if (c == COL_HOST || t->columns[c])
			break;
	}
	t->view.sort = (enum view_col)c;
	t->view.sort_desc = c != COL_HOST && c != COL_GROUP && c != COL_STATE;
	tui_message(t, false, "sorted by %s", view_col_name(t->view.sort));
	prefs_save(t);
}

void act_sort_next(struct tui *t)
{
	sort_step(t, 1);
}

void act_sort_prev(struct tui *t)
{
	sort_step(t, -1);
}

void act_sort_reverse(struct tui *t)
{
	t->view.sort_desc = !t->view.sort_desc;
	prefs_save(t);
}

void act_group(struct tui *t)
{
	t->view.grouped = !t->view.grouped;
	prefs_save(t);
}

/* Space reaches here only when the fleet pane does not have the keys (it
 * marks there itself). */
void act_mark(struct tui *t)
{
	tui_message(t, false, "Space marks the host under the cursor in the fleet pane (Tab to it)");
}

void act_mark_all(struct tui *t)
{
	view_mark_shown(&t->view, true);
	tui_message(t, false, "%zu hosts marked", view_marked_count(&t->view));
}

void act_clear_marks(struct tui *t)
{
	for (size_t i = 0; i < t->ctx.fleet->nhosts; i++)
		view_mark(&t->view, &t->ctx.fleet->hosts[i], false);
	tui_message(t, false, "marks cleared");
}

void act_open(struct tui *t)
{
	tui_open_host(t);
}

void act_theme_next(struct tui *t)
{
	const char *dirs[4];
	char *owned[4] = { 0 };
	int nd = theme_dirs(t, dirs, owned, 4);
	char **names = NULL;
	int n = 0;
	theme_list(dirs, nd, &names, &n);
	for (int i = 0; i < 4; i++)
		free(owned[i]);
	if (n > 0) {
		int next = 0;
		for (int i = 0; i < n; i++)
			if (!strcmp(names[i], t->theme.name))
				next = (i + 1) % n;
		struct error err;
		if (theme_switch(t, names[next], &err) < 0)
			tui_message(t, true, "%s", err.msg);
		else
			tui_message(t, false, "theme %s", t->theme.name);
		prefs_save(t);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* F9: the alerts pane gets the keys (shown first if hidden); again, the
 * fleet gets them back. */
void act_alerts(struct tui *t)
{
	if (t->focus == PANE_ALERTS) {
		t->focus = PANE_FLEET;
		return;
	}
	if (!t->show_alerts) {
		t->show_alerts = true;
		prefs_save(t);
	}
	t->zoom_host = false;
	layout_compute(t);
	if (t->panes[PANE_ALERTS].visible)
		t->focus = PANE_ALERTS;
	else
		tui_message(t, true, "the alerts pane needs a terminal of 22 rows or more");
}

void act_toggle_alerts(struct tui *t)
{
	t->show_alerts = !t->show_alerts;
	layout_compute(t);
	prefs_save(t);
}

void act_toggle_ops(struct tui *t)
{
	t->show_ops = !t->show_ops;
	layout_compute(t);
	prefs_save(t);
}

void act_toggle_host(struct tui *t)
{
	t->show_host_side = !t->show_host_side;
	layout_compute(t);
	prefs_save(t);
	if (COLS < 160 && t->show_host_side)
		tui_message(t, false, "the host pane shows beside the fleet from 160 columns; "
			    "Enter opens it here");
}

void act_redraw(struct tui *t)
{
	clearok(curscr, TRUE);
}

void act_setup(struct tui *t)
{
	prompt_open(t, PROMPT_COMMAND, "columns ");
	tui_message(t, false, "columns, panes, theme, sort, group: Tab completes");
}

void act_run(struct tui *t)
{
	tui_message(t, true, "bulk run: not in this version yet; marks are kept for it");
}

void act_configs(struct tui *t)
{
	tui_message(t, true, "config management: not in this version yet; marks are kept for it");
}
