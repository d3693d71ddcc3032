/* Themes: themes/NAME.theme files give each screen role a foreground,
 * background and attributes; they are mapped to what the terminal has
 * (truecolor, 256, 16 or 8 colours, or none under NO_COLOR). */
#ifndef FLEETOP_TUI_THEME_H
#define FLEETOP_TUI_THEME_H

#include <stdbool.h>

#include "fleetop/core.h"

enum theme_role {
	ROLE_NORMAL,
	ROLE_TITLE,      /* the top bar */
	ROLE_BORDER,     /* pane frames */
	ROLE_PANE_TITLE, /* a pane's name in its frame; the focused one is bold */
	ROLE_HEADER,     /* column headers */
	ROLE_GROUP,      /* group header rows */
	ROLE_SELECTED,   /* the cursor row */
	ROLE_MARKED,     /* marked hosts */
	ROLE_UP,
	ROLE_DOWN,
	ROLE_CONNECTING,
	ROLE_OK,         /* a value in its normal range */
	ROLE_WARN,       /* a value past its warning level */
	ROLE_CRIT,       /* a value past its critical level */
	ROLE_SPARK,
	ROLE_GRAPH,
	ROLE_AXIS,
	ROLE_DIM,        /* secondary text */
	ROLE_STATUSBAR,  /* the bottom bar */
	ROLE_KEY,        /* key names in the bottom bar and help */
	ROLE_PROMPT,     /* the : command line and / filter */
	ROLE_INFO,       /* info-severity alerts (warn and crit serve the others) */
	ROLE_COUNT
};

#define THEME_DEFAULT_COLOR (-1) /* the terminal's own */
#define THEME_ATTR_BOLD 1u
#define THEME_ATTR_DIM 2u
#define THEME_ATTR_UNDERLINE 4u
#define THEME_ATTR_REVERSE 8u
#define THEME_ATTR_ITALIC 16u

struct theme_style {
	int fg, bg; /* 0xRRGGBB, or THEME_DEFAULT_COLOR */
	unsigned attrs;
};

struct theme {
	char name[64];
	struct theme_style style[ROLE_COUNT];
	bool set[ROLE_COUNT];  /* named in the file (the rest were inherited) */
	char description[128]; /* [meta] description, or "" */
};

/* "pane-title" for ROLE_PANE_TITLE; theme_role_parse is the reverse (-1: unknown). */
const char *theme_role_name(enum theme_role r);
int theme_role_parse(const char *name);

/* Parses a theme file's text: INI, one [colors] section with
 *   role = FG [on BG] [bold] [dim] [underline] [reverse] [italic]
 * colours as #rrggbb, a name (black red green yellow blue magenta cyan
 * white, bright-*), or `default`; each part may be left out. An optional
 * [meta] section holds `description = ...`. Roles not named, and the parts
 * a role leaves out, take `normal`'s colours (never its attributes).
 * Errors name file:line. */
int theme_parse(struct theme *t, const char *text, const char *name, struct error *err);
/* Loads NAME (dirs searched in order for NAME.theme) or a path to a file
 * (any value with a '/'). NAME `default` means default.theme if a dir has
 * one, else dark; dark falls back to theme_builtin when no dir has it. */
int theme_load(struct theme *t, const char *name_or_path, const char *const *dirs, int ndirs,
	       struct error *err);
/* Lists theme names found in dirs (caller frees each and the array). */
int theme_list(const char *const *dirs, int ndirs, char ***names, int *n);
/* The built-in fallback when no theme file is found (same as dark). */
void theme_builtin(struct theme *t);

/* Colour depth of the terminal in use. */
enum color_depth { DEPTH_NONE, DEPTH_8, DEPTH_16, DEPTH_256, DEPTH_TRUE };
/* Maps 0xRRGGBB to the nearest colour index of a palette of that depth
 * (8: 0-7, 16: 0-15, 256: the xterm palette 16-255 plus 0-15). */
int color_nearest(int rgb, enum color_depth depth);
/* From COLORTERM, TERM's colours count and NO_COLOR. */
enum color_depth color_depth_detect(int ncurses_colors, const char *colorterm,
				    const char *no_color);

#endif
