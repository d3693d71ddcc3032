/* The one keymap: the keys, the function each runs (actions.c), and the
 * help text. Help is drawn from this table, so it can never disagree with
 * the keys; adding a key is a row here (and its function, if new). */
#include <string.h>

#include "tui_private.h"

#define CTRL(c) ((c) & 0x1f)

const struct keybind keymap[] = {
	{ '?', "?", act_help, "help (this screen)", false },
	{ KEY_F(1), "F1", act_help, "help", false },
	{ 'q', "q", act_quit, "quit", false },
	{ KEY_F(10), "F10", act_quit, "quit", false },
	{ 27, "Esc", act_back, "back: close help, prompt or host view", false },
	{ ':', ":", act_command, "command line (Tab completes, Up/Down history)", false },
	{ '/', "/", act_filter, "filter hosts: text @group state:down cpu>80", false },
	{ KEY_F(3), "F3", act_filter, "search / filter", false },
	{ KEY_F(4), "F4", act_filter, "filter", false },
	{ '\t', "Tab", act_next_pane, "next pane", false },
	{ '>', ">", act_sort_next, "sort by the next column", false },
	{ '<', "<", act_sort_prev, "sort by the previous column", false },
	{ KEY_F(6), "F6", act_sort_next, "sort by the next column", false },
	{ 'r', "r", act_sort_reverse, "reverse the sort", false },
	{ 'g', "g", act_group, "group rows by inventory group (on/off)", false },
	{ KEY_F(5), "F5", act_group, "group by inventory group", false },
	{ ' ', "Space", act_mark, "mark/unmark host (on a group row: fold/unfold)", true },
	{ 'a', "a", act_mark_all, "mark every host shown", true },
	{ 'u', "u", act_clear_marks, "clear marks", true },
	{ '\n', "Enter", act_open, "open the host's graphs", false },
	{ 't', "t", act_theme_next, "next theme", false },
	{ 'A', "A", act_toggle_alerts, "show/hide the alerts pane", false },
	{ 'O', "O", act_toggle_ops, "show/hide the ops pane", false },
	{ 'H', "H", act_toggle_host, "show/hide the host pane beside the fleet", false },
	{ CTRL('l'), "^L", act_redraw, "redraw the screen", false },
	{ KEY_F(2), "F2", act_setup, "setup: panes, columns, theme (via :)", false },
	{ KEY_F(7), "F7", act_run, "run a command on marked hosts", true },
	{ KEY_F(8), "F8", act_configs, "server configs", true },
	{ KEY_F(9), "F9", act_alerts, "alerts pane: keys go to it (again: back to the fleet)", false },
};
const size_t nkeymap = sizeof keymap / sizeof keymap[0];

/* Keys each pane handles itself (movement); listed in help too. */
static const struct {
	const char *keys, *help;
	bool changes;
} pane_keys[] = {
	{ "Up/Down j/k", "move the cursor (fleet, alerts); scroll graphs (host)", false },
	{ "PgUp/PgDn Home/End", "page; first/last row", false },
	{ "Left/Right", "fold/unfold the group under the cursor", false },
	{ "1 2 3 4", "host graphs over 5m, 1h, 24h, 7d", false },
	{ "[ ]", "host graphs: back/forward in time by half the range", false },
	{ "mouse", "click selects a row or a pane, wheel scrolls", false },
	/* The alerts pane's own, when it has the keys (F9 or Tab). */
	{ "alerts: Enter", "jump to the alert's host; on a group: fold/unfold", false },
	{ "alerts: Space + -", "fold/unfold the alert group (Left/Right too)", false },
	{ "alerts: a A", "acknowledge / un-acknowledge the alert or its group", true },
	{ "alerts: s", "silence the alert (rule+host) or group; asks how long", true },
	{ "alerts: r", "show the alert's runbook", false },
};

const struct keybind *keymap_lookup(int key)
{
	if (key == KEY_ENTER || key == '\r')
		key = '\n';
	for (size_t i = 0; i < nkeymap; i++)
		if (keymap[i].key == key)
			return &keymap[i];
	return NULL;
}

void help_draw(struct tui *t)
{
	int w = COLS > 84 ? 80 : COLS - 4, h = LINES - 4;
	if (w < 20 || h < 5)
		return;
	int y0 = 2, x0 = (COLS - w) / 2;
	struct pane frame = { .y = y0, .x = x0, .h = h, .w = w };
	for (int i = 0; i < h; i++)
		draw_fill(t, y0 + i, x0, w, ROLE_NORMAL);
	draw_frame(t, &frame, "Help · Esc closes", true);
	int y = y0 + 1;
	for (size_t i = 0; i < nkeymap && y < y0 + h - 1; i++) {
		/* One line per action: the keys that do it, together. */
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= keymap[j].action == keymap[i].action;
		if (seen)
			continue;
		char keys[64] = "";
		for (size_t j = i; j < nkeymap; j++)
			if (keymap[j].action == keymap[i].action) {
				if (keys[0])
					strncat(keys, " ", sizeof keys - strlen(keys) - 1);
				strncat(keys, keymap[j].name, sizeof keys - strlen(keys) - 1);
			}
		draw_text(t, y, x0 + 2, 18, ROLE_KEY, keys);
		char text[160];
		snprintf(text, sizeof text, "%s%s", keymap[i].help,
			 keymap[i].changes && t->opts.read_only ? " (off: read-only)" : "");
		draw_text(t, y, x0 + 21, w - 23, ROLE_NORMAL, text);
		y++;
	}
	for (size_t i = 0; i < sizeof pane_keys / sizeof pane_keys[0] && y < y0 + h - 1; i++, y++) {
		draw_text(t, y, x0 + 2, 18, ROLE_KEY, pane_keys[i].keys);
		char text[160];
		snprintf(text, sizeof text, "%s%s", pane_keys[i].help,
			 pane_keys[i].changes && t->opts.read_only ? " (off: read-only)" : "");
		draw_text(t, y, x0 + 21, w - 23, ROLE_NORMAL, text);
	}
	/* The `:` commands, from their table, as many lines as they take
	 * (`:help CMD`-style detail would not fit a 24-row screen). */
	char line[256] = "After ':' (Tab completes):";
	int room = w - 4 < (int)sizeof line - 1 ? w - 4 : (int)sizeof line - 1;
	for (const struct tui_command *k = tui_commands; k->name; k++) {
		char word[48];
		snprintf(word, sizeof word, " %s%s%s%s", k->name, k->alias ? " (" : "",
			 k->alias ? k->alias : "", k->alias ? ")" : "");
		if ((int)(strlen(line) + strlen(word)) > room) {
			if (y < y0 + h - 1)
				draw_text(t, y++, x0 + 2, w - 4, ROLE_DIM, line);
			snprintf(line, sizeof line, "  %s", word + 1);
		} else {
			strncat(line, word, sizeof line - strlen(line) - 1);
		}
	}
	if (y < y0 + h - 1)
		draw_text(t, y, x0 + 2, w - 4, ROLE_DIM, line);
}

void fkeys_draw(struct tui *t, int y)
{
	static const struct {
		int fkey;
		const char *label;
	} bar[] = {
		{ 1, "Help" }, { 2, "Setup" }, { 3, "Search" }, { 4, "Filter" }, { 5, "Group" },
		{ 6, "Sort" }, { 7, "Run" }, { 8, "Configs" }, { 9, "Alerts" }, { 10, "Quit" },
	};
	draw_fill(t, y, 0, COLS, ROLE_STATUSBAR);
	int x = 0;
	for (size_t i = 0; i < sizeof bar / sizeof bar[0] && x < COLS; i++) {
		char k[8];
		snprintf(k, sizeof k, "F%d", bar[i].fkey);
		draw_text(t, y, x, COLS - x, ROLE_KEY, k);
		x += (int)strlen(k);
		draw_text(t, y, x, COLS - x, ROLE_STATUSBAR, bar[i].label);
		x += (int)strlen(bar[i].label) + 1;
	}
}
