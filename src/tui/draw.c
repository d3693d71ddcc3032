/* Drawing helpers: text in a role's style, frames, and the theme mapped
 * onto the terminal's colours. */
#include <string.h>

#include "tui_private.h"

void draw_text(struct tui *t, int y, int x, int maxw, enum theme_role role, const char *s)
{
	if (maxw <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	char buf[1024];
	utf8_fit(s, maxw, t->glyphs, buf, sizeof buf);
	attrset(t->attr[role]);
	mvaddstr(y, x, buf);
	attrset(t->attr[ROLE_NORMAL]);
}

void draw_fill(struct tui *t, int y, int x, int w, enum theme_role role)
{
	if (w <= 0)
		return;
	attrset(t->attr[role]);
	mvhline(y, x, ' ', w);
	attrset(t->attr[ROLE_NORMAL]);
}

void draw_frame(struct tui *t, struct pane *p, const char *title, bool focused)
{
	if (p->h < 2 || p->w < 2)
		return;
	attrset(t->attr[ROLE_BORDER]);
	if (t->glyphs == GLYPHS_UTF8) {
		mvaddstr(p->y, p->x, "┌");
		mvaddstr(p->y, p->x + p->w - 1, "┐");
		mvaddstr(p->y + p->h - 1, p->x, "└");
		mvaddstr(p->y + p->h - 1, p->x + p->w - 1, "┘");
		for (int i = 1; i < p->w - 1; i++) {
			mvaddstr(p->y, p->x + i, "─");
			mvaddstr(p->y + p->h - 1, p->x + i, "─");
		}
		for (int i = 1; i < p->h - 1; i++) {
			mvaddstr(p->y + i, p->x, "│");
			mvaddstr(p->y + i, p->x + p->w - 1, "│");
		}
	} else {
		mvaddch(p->y, p->x, '+');
		mvaddch(p->y, p->x + p->w - 1, '+');
		mvaddch(p->y + p->h - 1, p->x, '+');
		mvaddch(p->y + p->h - 1, p->x + p->w - 1, '+');
		mvhline(p->y, p->x + 1, '-', p->w - 2);
		mvhline(p->y + p->h - 1, p->x + 1, '-', p->w - 2);
		mvvline(p->y + 1, p->x, '|', p->h - 2);
		mvvline(p->y + 1, p->x + p->w - 1, '|', p->h - 2);
	}
	char label[256];
	snprintf(label, sizeof label, " %s ", title);
	attr_t a = t->attr[ROLE_PANE_TITLE] | (focused ? A_BOLD : 0);
	char buf[512];
	utf8_fit(label, p->w - 3, t->glyphs, buf, sizeof buf);
	attrset(a);
	mvaddstr(p->y, p->x + 1, buf);
	attrset(t->attr[ROLE_NORMAL]);
}

static attr_t attrs_of(unsigned a)
{
	return (a & THEME_ATTR_BOLD ? A_BOLD : 0) | (a & THEME_ATTR_DIM ? A_DIM : 0) |
	       (a & THEME_ATTR_UNDERLINE ? A_UNDERLINE : 0) |
	       (a & THEME_ATTR_REVERSE ? A_REVERSE : 0) | (a & THEME_ATTR_ITALIC ? A_ITALIC : 0);
}

/* Maps a theme colour to a colour number the terminal has. */
static int color_index(struct tui *t, int rgb)
{
	if (rgb == THEME_DEFAULT_COLOR)
		return -1;
	enum color_depth d = t->depth;
	/* A truecolor terminal under a 256-colour TERM still takes the
	 * palette; direct colour needs COLORS to say so. */
	if (d == DEPTH_TRUE && COLORS < 0x1000000)
		d = COLORS >= 256 ? DEPTH_256 : COLORS >= 16 ? DEPTH_16 : DEPTH_8;
	return color_nearest(rgb, d);
}

void colors_apply(struct tui *t)
{
	bool color = t->depth != DEPTH_NONE && has_colors();
	if (color) {
		start_color();
		use_default_colors();
	}
	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct theme_style *st = &t->theme.style[r];
		attr_t a = attrs_of(st->attrs);
		if (color) {
			int fg = color_index(t, st->fg), bg = color_index(t, st->bg);
			init_extended_pair(r + 1, fg, bg);
			a |= COLOR_PAIR(r + 1);
		} else if (r == ROLE_SELECTED && !(a & A_REVERSE)) {
			a |= A_REVERSE; /* without colour the cursor row must still show */
		}
		t->attr[r] = a;
	}
	bkgdset(t->attr[ROLE_NORMAL] | ' ');
}
