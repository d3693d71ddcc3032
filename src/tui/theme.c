/* Themes: reading themes/NAME.theme, finding themes on disk, and mapping
 * their 0xRRGGBB colours to what the terminal can show. */
#include <ctype.h>
#include <limits.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "fleetop/settings.h"
#include "theme.h"

static const char *const role_names[ROLE_COUNT] = {
	[ROLE_NORMAL] = "normal",	  [ROLE_TITLE] = "title",
	[ROLE_BORDER] = "border",	  [ROLE_PANE_TITLE] = "pane-title",
	[ROLE_HEADER] = "header",	  [ROLE_GROUP] = "group",
	[ROLE_SELECTED] = "selected",	  [ROLE_MARKED] = "marked",
	[ROLE_UP] = "up",		  [ROLE_DOWN] = "down",
	[ROLE_CONNECTING] = "connecting", [ROLE_OK] = "ok",
	[ROLE_WARN] = "warn",		  [ROLE_CRIT] = "crit",
	[ROLE_SPARK] = "spark",		  [ROLE_GRAPH] = "graph",
	[ROLE_AXIS] = "axis",		  [ROLE_DIM] = "dim",
	[ROLE_STATUSBAR] = "statusbar",	  [ROLE_KEY] = "key",
	[ROLE_PROMPT] = "prompt",	  [ROLE_INFO] = "info",
};

const char *theme_role_name(enum theme_role r)
{
	if ((int)r < 0 || r >= ROLE_COUNT)
		return "?";
	return role_names[r];
}

int theme_role_parse(const char *name)
{
	for (int r = 0; r < ROLE_COUNT; r++)
		if (!strcmp(role_names[r], name))
			return r;
	return -1;
}

/* xterm's default RGB for the 16 ANSI colours: names map here, and the
 * 8- and 16-colour palettes are these. */
static const int ansi_rgb[16] = {
	0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
	0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};
static const char *const ansi_names[8] = { "black", "red",     "green", "yellow",
					   "blue",  "magenta", "cyan",  "white" };

static const struct {
	const char *name;
	unsigned bit;
} attr_names[] = {
	{ "bold", THEME_ATTR_BOLD },	       { "dim", THEME_ATTR_DIM },
	{ "underline", THEME_ATTR_UNDERLINE }, { "reverse", THEME_ATTR_REVERSE },
	{ "italic", THEME_ATTR_ITALIC },
};

/* "#rrggbb", a name, "bright-NAME" or "default"; -2 when it is none. */
static int parse_color(const char *s)
{
	if (!strcmp(s, "default"))
		return THEME_DEFAULT_COLOR;
	if (s[0] == '#') {
		if (strlen(s) != 7)
			return -2;
		for (int i = 1; i < 7; i++)
			if (!isxdigit((unsigned char)s[i]))
				return -2;
		return (int)strtol(s + 1, NULL, 16);
	}
	int base = 0;
	if (str_starts_with(s, "bright-")) {
		s += strlen("bright-");
		base = 8;
	}
	for (int i = 0; i < 8; i++)
		if (!strcmp(s, ansi_names[i]))
			return ansi_rgb[base + i];
	return -2;
}

static unsigned parse_attr(const char *s)
{
	for (size_t i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++)
		if (!strcmp(s, attr_names[i].name))
			return attr_names[i].bit;
	return 0;
}

/* Stands for a '#' that starts a colour; see mark_colors. */
#define COLOR_MARK '\x1f'

struct parse_state {
	struct theme *t;
	const char *file;
	bool fg_set[ROLE_COUNT], bg_set[ROLE_COUNT];
	int line_of[ROLE_COUNT];
};

#define COLOR_HINT "colours: #rrggbb, default, or a name such as red or bright-red"
#define ATTR_HINT "attributes: bold dim underline reverse italic"

/* One `role = FG [on BG] [attrs]` value; every part optional, but not all. */
static int parse_style(struct parse_state *ps, int role, char *value, int line,
		       struct error *err)
{
	struct theme_style *st = &ps->t->style[role];
	const char *f = ps->file, *rn = role_names[role];
	bool any = false;
	char *save;
	for (char *w = strtok_r(value, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		any = true;
		if (!strcmp(w, "on")) {
			char *c = strtok_r(NULL, " \t", &save);
			if (!c)
				return error_set(err, "%s:%d: 'on' needs a background colour (%s)", f,
						 line, COLOR_HINT);
			if (ps->bg_set[role])
				return error_set(err, "%s:%d: '%s' has two background colours", f,
						 line, rn);
			st->bg = parse_color(c);
			if (st->bg == -2)
				return error_set(err, "%s:%d: unknown colour '%.40s' (%s)", f, line, c,
						 COLOR_HINT);
			ps->bg_set[role] = true;
			continue;
		}
		unsigned a = parse_attr(w);
		if (a) {
			st->attrs |= a;
			continue;
		}
		int c = parse_color(w);
		if (c == -2 && w[0] == '#')
			return error_set(err, "%s:%d: bad colour '%.40s' (expected #rrggbb)", f, line,
					 w);
		/* After a colour a stray word is most likely a misspelt attribute. */
		if (c == -2 && (ps->fg_set[role] || ps->bg_set[role]))
			return error_set(err, "%s:%d: unknown attribute '%.40s' (%s)", f, line, w,
					 ATTR_HINT);
		if (c == -2)
			return error_set(err, "%s:%d: unknown colour or attribute '%.40s' (%s; %s)", f,
					 line, w, COLOR_HINT, ATTR_HINT);
		if (ps->fg_set[role] || ps->bg_set[role])
			return error_set(err, "%s:%d: '%s': unexpected colour '%.40s' (write FG on BG)",
					 f, line, rn, w);
		st->fg = c;
		ps->fg_set[role] = true;
	}
	if (!any)
		return error_set(err, "%s:%d: '%s' has no colour or attribute", f, line, rn);
	return 0;
}

static int on_line(void *arg, const char *section, const char *key, const char *value,
		   int line, struct error *err)
{
	struct parse_state *ps = arg;
	const char *f = ps->file;
	bool colors = !strcmp(section, "colors"), meta = !strcmp(section, "meta");
	if (!key) {
		if (!colors && !meta)
			return error_set(err, "%s:%d: unknown section [%.40s] (expected [colors] or [meta])",
					 f, line, section);
		return 0;
	}
	if (meta) {
		if (strcmp(key, "description") != 0)
			return error_set(err, "%s:%d: unknown key '%.40s' in [meta] (expected description)",
					 f, line, key);
		str_copy(ps->t->description, value, sizeof ps->t->description);
		for (char *p = ps->t->description; (p = strchr(p, COLOR_MARK));)
			*p = '#';
		return 0;
	}
	if (!colors)
		return error_set(err, "%s:%d: '%.40s' is outside the [colors] section", f, line, key);
	int role = theme_role_parse(key);
	if (role < 0)
		return error_set(err, "%s:%d: unknown role '%.40s' (see `man fleetop`, THEMES)", f,
				 line, key);
	if (ps->t->set[role])
		return error_set(err, "%s:%d: '%s' is already set on line %d", f, line, key,
				 ps->line_of[role]);
	ps->t->set[role] = true;
	ps->line_of[role] = line;
	char buf[256];
	if (strlen(value) >= sizeof buf)
		return error_set(err, "%s:%d: value of '%s' is too long", f, line, key);
	str_copy(buf, value, sizeof buf);
	for (char *p = buf; (p = strchr(p, COLOR_MARK));)
		*p = '#';
	return parse_style(ps, role, buf, line, err);
}

/* ini_parse takes a '#' that starts a value or follows a space for a
 * comment, which would eat every #rrggbb. So in the value of a key = value
 * line, a '#' followed by a letter or digit is swapped for COLOR_MARK (and
 * on_line swaps it back): a colour, or a bad one to report. A comment
 * there is "# like this" or "; like this". */
static bool is_color_hash(const char *p)
{
	return isalnum((unsigned char)p[1]);
}

static char *mark_colors(const char *text)
{
	char *s = xstrdup(text);
	for (char *line = s; *line;) {
		char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		char *p = line + strspn(line, " \t");
		char *eq = (*p == '#' || *p == ';' || *p == '[') ? NULL : memchr(p, '=', (size_t)(end - p));
		for (p = eq; p && p < end; p++)
			if (*p == '#' && is_color_hash(p))
				*p = COLOR_MARK;
		line = *end ? end + 1 : end;
	}
	return s;
}

int theme_parse(struct theme *t, const char *text, const char *name, struct error *err)
{
	struct theme nt;
	memset(&nt, 0, sizeof nt);
	str_copy(nt.name, name, sizeof nt.name);
	for (int r = 0; r < ROLE_COUNT; r++)
		nt.style[r] = (struct theme_style){ THEME_DEFAULT_COLOR, THEME_DEFAULT_COLOR, 0 };
	struct parse_state ps = { .t = &nt, .file = name };
	char *marked = mark_colors(text);
	int rc = ini_parse_sections(marked, name, on_line, &ps, err);
	free(marked);
	if (rc < 0)
		return -1;
	/* Inherit after the whole file is read, so `normal` may come last. */
	const struct theme_style *n = &nt.style[ROLE_NORMAL];
	for (int r = 0; r < ROLE_COUNT; r++) {
		if (!ps.fg_set[r])
			nt.style[r].fg = n->fg;
		if (!ps.bg_set[r])
			nt.style[r].bg = n->bg;
	}
	*t = nt;
	return 0;
}

/* Kept equal to themes/dark.theme (a unit test compares them). */
static const char builtin_dark[] = "[meta]\n"
				   "description = dark background, cyan frames, in the manner of btop and k9s\n"
				   "[colors]\n"
				   "normal     = default on default\n"
				   "title      = black on cyan bold\n"
				   "border     = cyan\n"
				   "pane-title = bright-cyan bold\n"
				   "header     = bright-white bold\n"
				   "group      = bright-blue bold\n"
				   "selected   = bright-white on blue bold\n"
				   "marked     = bright-yellow bold\n"
				   "up         = green\n"
				   "down       = red bold\n"
				   "connecting = yellow\n"
				   "ok         = green\n"
				   "warn       = yellow\n"
				   "crit       = bright-red bold\n"
				   "spark      = cyan\n"
				   "graph      = bright-cyan\n"
				   "axis       = bright-black\n"
				   "dim        = bright-black\n"
				   "statusbar  = white on default\n"
				   "key        = bright-cyan bold\n"
				   "prompt     = bright-yellow bold\n"
				   "info       = bright-blue bold\n";

void theme_builtin(struct theme *t)
{
	struct error err;
	if (theme_parse(t, builtin_dark, "dark", &err) < 0)
		abort(); /* a bug in the string above; the unit test catches it first */
}

static bool is_theme_file(const char *dir, const char *fname, size_t *stem)
{
	size_t len = strlen(fname), ext = strlen(".theme");
	if (fname[0] == '.' || len <= ext || strcmp(fname + len - ext, ".theme") != 0)
		return false;
	char *path = xasprintf("%s/%s", dir, fname);
	struct stat st;
	bool ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	*stem = len - ext;
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int theme_list(const char *const *dirs, int ndirs, char ***names, int *n)
{
	char **v = NULL;
	int count = 0, cap = 0;
	for (int i = 0; i < ndirs; i++) {
		DIR *d = dirs[i] ? opendir(dirs[i]) : NULL;
		if (!d)
			continue; /* a dir that does not exist just has no themes */
		for (struct dirent *e; (e = readdir(d));) {
			size_t stem;
			if (!is_theme_file(dirs[i], e->d_name, &stem))
				continue;
			if (count == cap) {
				cap = cap ? cap * 2 : 16;
				v = xrealloc(v, (size_t)cap * sizeof *v);
			}
			v[count++] = xstrndup(e->d_name, stem);
		}
		closedir(d);
	}
	if (count)
		qsort(v, (size_t)count, sizeof *v, cmp_str);
	/* The same name in two dirs is one theme (the first dir's wins). */
	int out = 0;
	for (int i = 0; i < count; i++) {
		if (out && !strcmp(v[out - 1], v[i]))
			free(v[i]);
		else
			v[out++] = v[i];
	}
	*names = v;
	*n = out;
	return 0;
}

static int load_file(struct theme *t, const char *path, struct error *err)
{
	char *text;
	size_t len;
	if (file_read_all(path, &text, &len, err) < 0)
		return -1;
	int rc = -1;
	if (memchr(text, '\0', len))
		error_set(err, "%s: contains a NUL byte; not a text file", path);
	else
		rc = theme_parse(t, text, path, err);
	free(text);
	return rc;
}

/* dirs[i]/NAME.theme for the first dir that has it; caller frees. */
static char *find_theme(const char *name, const char *const *dirs, int ndirs)
{
	for (int i = 0; i < ndirs; i++) {
		if (!dirs[i])
			continue;
		char *path = xasprintf("%s/%s.theme", dirs[i], name);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return path;
		free(path);
	}
	return NULL;
}

static int not_found(const char *name, const char *const *dirs, int ndirs, struct error *err)
{
	char **names;
	int n;
	theme_list(dirs, ndirs, &names, &n);
	struct buf b = { 0 };
	for (int i = 0; i < n; i++) {
		buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
		free(names[i]);
	}
	free(names);
	/* dark is always there: built in when no dir has it. */
	error_set(err, "theme '%.60s' not found (available: %s)", name, n ? b.data : "dark");
	buf_free(&b);
	return -1;
}

/* What to call a theme loaded from a path: the path itself when it fits,
 * so it can be saved and loaded again, else the file's stem. */
static void name_from_path(struct theme *t, const char *path)
{
	if (strlen(path) < sizeof t->name) {
		str_copy(t->name, path, sizeof t->name);
		return;
	}
	const char *base = strrchr(path, '/') + 1;
	size_t len = strlen(base);
	if (len > 6 && !strcmp(base + len - 6, ".theme"))
		len -= 6;
	if (len >= sizeof t->name)
		len = sizeof t->name - 1;
	memcpy(t->name, base, len);
	t->name[len] = '\0';
}

int theme_load(struct theme *t, const char *name_or_path, const char *const *dirs, int ndirs,
	       struct error *err)
{
	const char *name = name_or_path;
	if (!name || !*name)
		return error_set(err, "no theme named (use a theme name or a path to a .theme file)");
	struct theme nt;
	if (strchr(name, '/')) {
		char *path = path_expand_home(name);
		int rc = load_file(&nt, path, err);
		free(path);
		if (rc < 0)
			return -1;
		name_from_path(&nt, name);
		*t = nt;
		return 0;
	}
	if (name[0] == '.' || strlen(name) >= sizeof nt.name)
		return not_found(name, dirs, ndirs, err);
	char *path = find_theme(name, dirs, ndirs);
	if (!path && !strcmp(name, "default")) {
		name = "dark";
		path = find_theme(name, dirs, ndirs);
	}
	if (!path) {
		if (strcmp(name, "dark") != 0)
			return not_found(name, dirs, ndirs, err);
		theme_builtin(t);
		return 0;
	}
	int rc = load_file(&nt, path, err);
	free(path);
	if (rc < 0)
		return -1;
	str_copy(nt.name, name, sizeof nt.name);
	*t = nt;
	return 0;
}

/* xterm's 256-colour palette past the first 16: a 6x6x6 cube, then 24 greys. */
static int xterm_rgb(int i)
{
	if (i < 16)
		return ansi_rgb[i];
	if (i < 232) {
		static const int level[6] = { 0, 95, 135, 175, 215, 255 };
		i -= 16;
		return level[i / 36] << 16 | level[i / 6 % 6] << 8 | level[i % 6];
	}
	int g = 8 + 10 * (i - 232);
	return g << 16 | g << 8 | g;
}

/* Distance in YCbCr (scaled by 1000) rather than RGB: in RGB a mid grey
 * is nearer yellow than white, which reads badly in an 8-colour palette. */
static long dist2(int a, int b)
{
	long ar = (a >> 16) & 0xff, ag = (a >> 8) & 0xff, ab = a & 0xff;
	long br = (b >> 16) & 0xff, bg = (b >> 8) & 0xff, bb = b & 0xff;
	long ya = 299 * ar + 587 * ag + 114 * ab, yb = 299 * br + 587 * bg + 114 * bb;
	long dy = ya - yb;
	long dcb = (1000 * ab - ya) - (1000 * bb - yb);
	long dcr = (1000 * ar - ya) - (1000 * br - yb);
	return dy * dy + dcb * dcb + dcr * dcr;
}

static int nearest_in(int rgb, int from, int to, int best, long *best_d)
{
	for (int i = from; i < to; i++) {
		long d = dist2(rgb, xterm_rgb(i));
		if (d < *best_d) {
			*best_d = d;
			best = i;
		}
	}
	return best;
}

int color_nearest(int rgb, enum color_depth depth)
{
	if (rgb < 0 || depth == DEPTH_NONE)
		return -1;
	rgb &= 0xffffff;
	long d = LONG_MAX;
	switch (depth) {
	case DEPTH_TRUE:
		return rgb;
	case DEPTH_8:
		return nearest_in(rgb, 0, 8, 0, &d);
	case DEPTH_16:
		return nearest_in(rgb, 0, 16, 0, &d);
	default:
		/* The cube and greys first: terminals keep them as xterm has
		 * them, while 0-15 are often restyled; 0-15 win only when
		 * strictly nearer, as the named colours are. */
		return nearest_in(rgb, 0, 16, nearest_in(rgb, 16, 256, 16, &d), &d);
	}
}

enum color_depth color_depth_detect(int ncurses_colors, const char *colorterm,
				    const char *no_color)
{
	if (no_color && *no_color)
		return DEPTH_NONE; /* https://no-color.org */
	if (colorterm && (!strcasecmp(colorterm, "truecolor") || !strcasecmp(colorterm, "24bit")))
		return DEPTH_TRUE;
	if (ncurses_colors >= 256)
		return DEPTH_256;
	if (ncurses_colors >= 16)
		return DEPTH_16;
	if (ncurses_colors >= 8)
		return DEPTH_8;
	return DEPTH_NONE;
}
