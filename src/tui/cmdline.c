/* The prompt at the bottom: `:` commands (k9s style, with history and Tab
 * completion from each command's own completer, commands.c) and the `/`
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
	int n = 0;
	size_t len = strlen(prefix);
	if (first) {
		for (const struct tui_command *k = tui_commands; k->name; k++)
			if (n < 512 && !strncmp(k->name, prefix, len))
				c[n++] = k->name;
	} else {
		const struct tui_command *k = tui_command_find(cmd);
		if (k && k->complete)
			n = k->complete(t, prefix, c, 512);
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
	tui_completion_free(t);
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
	if (!*cmd)
		return 0;
	const struct tui_command *k = tui_command_find(cmd);
	if (!k) {
		tui_message(t, true, "unknown command '%s' (Tab lists them)", cmd);
		return -1;
	}
	if (k->changes && t->opts.read_only)
		return tui_message(t, true, "read-only: :%s is off", k->name), -1;
	if (k->run(t, k, arg) < 0)
		return -1;
	t->dirty = true;
	return 0;
}
