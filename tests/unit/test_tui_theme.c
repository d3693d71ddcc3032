/* tui: theme files, where themes are found, and colour depth mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tui/theme.h"

static const char *const shipped[] = { "dark", "high-contrast", "light", "monochrome" };
#define NSHIPPED 4

static char tmp[] = "/tmp/fleetop-theme-XXXXXX";

static const char *src_dir(void)
{
	const char *s = getenv("FLEETOP_SRC");
	return s && *s ? s : SOURCE_DIR;
}

static char *themes_dir(void)
{
	return xasprintf("%s/themes", src_dir());
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf %s", tmp);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_role_names(void **state)
{
	(void)state;
	assert_string_equal(theme_role_name(ROLE_NORMAL), "normal");
	assert_string_equal(theme_role_name(ROLE_PANE_TITLE), "pane-title");
	assert_string_equal(theme_role_name(ROLE_STATUSBAR), "statusbar");
	assert_string_equal(theme_role_name(ROLE_PROMPT), "prompt");
	for (int r = 0; r < ROLE_COUNT; r++)
		assert_int_equal(theme_role_parse(theme_role_name(r)), r);
	assert_int_equal(theme_role_parse("pane_title"), -1);
	assert_int_equal(theme_role_parse(""), -1);
}

/* Every shipped theme parses, names every role, and has a description. */
static void test_shipped_themes(void **state)
{
	(void)state;
	char *dir = themes_dir();
	const char *dirs[] = { dir };
	for (int i = 0; i < NSHIPPED; i++) {
		struct theme t;
		struct error err = { "" };
		int rc = theme_load(&t, shipped[i], dirs, 1, &err);
		if (rc != 0)
			fail_msg("%s: %s", shipped[i], err.msg);
		assert_string_equal(t.name, shipped[i]);
		assert_true(t.description[0] != '\0');
		for (int r = 0; r < ROLE_COUNT; r++)
			if (!t.set[r])
				fail_msg("%s.theme does not set %s", shipped[i], theme_role_name(r));
	}
	free(dir);
}

/* Monochrome must be fully usable without colour: no colour at all, and the
 * cursor row and a down host still stand out. */
static void test_monochrome_has_no_colours(void **state)
{
	(void)state;
	char *dir = themes_dir();
	const char *dirs[] = { dir };
	struct theme t;
	struct error err;
	assert_int_equal(theme_load(&t, "monochrome", dirs, 1, &err), 0);
	for (int r = 0; r < ROLE_COUNT; r++) {
		assert_int_equal(t.style[r].fg, THEME_DEFAULT_COLOR);
		assert_int_equal(t.style[r].bg, THEME_DEFAULT_COLOR);
	}
	assert_true(t.style[ROLE_SELECTED].attrs & THEME_ATTR_REVERSE);
	assert_true(t.style[ROLE_DOWN].attrs != 0);
	assert_true(t.style[ROLE_CRIT].attrs != 0);
	free(dir);
}

/* The compiled-in fallback is exactly themes/dark.theme. */
static void test_builtin_equals_dark(void **state)
{
	(void)state;
	char *path = xasprintf("%s/themes/dark.theme", src_dir());
	struct theme file, built;
	struct error err = { "" };
	int rc = theme_load(&file, path, NULL, 0, &err);
	if (rc != 0)
		fail_msg("%s", err.msg);
	theme_builtin(&built);
	assert_string_equal(built.name, "dark");
	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct theme_style *a = &file.style[r], *b = &built.style[r];
		if (a->fg != b->fg || a->bg != b->bg || a->attrs != b->attrs)
			fail_msg("role %s: dark.theme %06x on %06x attrs %u, built in %06x on %06x "
				 "attrs %u",
				 theme_role_name(r), a->fg, a->bg, a->attrs, b->fg, b->bg, b->attrs);
		assert_true(built.set[r]);
	}
	assert_string_equal(file.description, built.description);
	/* The dark look the console is designed around. */
	assert_int_equal(built.style[ROLE_NORMAL].bg, THEME_DEFAULT_COLOR);
	assert_int_equal(built.style[ROLE_UP].fg, 0x00cd00);
	assert_int_equal(built.style[ROLE_DOWN].fg, 0xcd0000);
	assert_int_equal(built.style[ROLE_WARN].fg, 0xcdcd00);
	assert_int_equal(built.style[ROLE_CRIT].fg, 0xff0000);
	free(path);
}

static void test_parse_values(void **state)
{
	(void)state;
	struct theme t;
	struct error err = { "" };
	const char *text = "# a comment\n"
			   "[meta]\n"
			   "description = test theme\n"
			   "[colors]\n"
			   "title = #FFaa00 on #102030 bold underline\n"
			   "border = bright-blue\n"
			   "selected = reverse italic dim\n"
			   "header = on magenta\n"
			   "normal = white on black ; trailing comment\n"
			   "up = #00ff00 # a comment\n"
			   "# whole-line comment #ffffff\n"
			   "down = red # comment #ffffff\n";
	int rc = theme_parse(&t, text, "t.theme", &err);
	if (rc != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(t.name, "t.theme");
	assert_string_equal(t.description, "test theme");
	assert_int_equal(t.style[ROLE_TITLE].fg, 0xffaa00);
	assert_int_equal(t.style[ROLE_TITLE].bg, 0x102030);
	assert_int_equal(t.style[ROLE_TITLE].attrs, THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE);
	assert_int_equal(t.style[ROLE_BORDER].fg, 0x5c5cff);
	assert_int_equal(t.style[ROLE_SELECTED].attrs,
			 THEME_ATTR_REVERSE | THEME_ATTR_ITALIC | THEME_ATTR_DIM);
	assert_int_equal(t.style[ROLE_HEADER].bg, 0xcd00cd);
	assert_int_equal(t.style[ROLE_NORMAL].fg, 0xe5e5e5);
	assert_int_equal(t.style[ROLE_NORMAL].bg, 0x000000);
	assert_int_equal(t.style[ROLE_UP].fg, 0x00ff00);
	assert_int_equal(t.style[ROLE_DOWN].fg, 0xcd0000);
	assert_int_equal(t.style[ROLE_DOWN].attrs, 0);
}

/* Roles not named, and parts a role leaves out, take normal's colours but
 * never its attributes; normal may come after the roles that inherit it. */
static void test_inheritance(void **state)
{
	(void)state;
	struct theme t;
	struct error err = { "" };
	const char *text = "[colors]\n"
			   "up = green\n"
			   "selected = on blue\n"
			   "key = bold\n"
			   "normal = #111111 on #222222 bold underline\n";
	assert_int_equal(theme_parse(&t, text, "i.theme", &err), 0);
	assert_true(t.set[ROLE_UP]);
	assert_false(t.set[ROLE_DIM]);
	/* Not named at all. */
	assert_int_equal(t.style[ROLE_DIM].fg, 0x111111);
	assert_int_equal(t.style[ROLE_DIM].bg, 0x222222);
	assert_int_equal(t.style[ROLE_DIM].attrs, 0);
	/* Foreground only: background from normal. */
	assert_int_equal(t.style[ROLE_UP].fg, 0x00cd00);
	assert_int_equal(t.style[ROLE_UP].bg, 0x222222);
	assert_int_equal(t.style[ROLE_UP].attrs, 0);
	/* Background only: foreground from normal. */
	assert_int_equal(t.style[ROLE_SELECTED].fg, 0x111111);
	assert_int_equal(t.style[ROLE_SELECTED].bg, 0x0000ee);
	/* Attributes only. */
	assert_int_equal(t.style[ROLE_KEY].fg, 0x111111);
	assert_int_equal(t.style[ROLE_KEY].attrs, THEME_ATTR_BOLD);
	assert_int_equal(t.style[ROLE_NORMAL].attrs, THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE);

	/* An empty file: everything the terminal's default. */
	assert_int_equal(theme_parse(&t, "", "e.theme", &err), 0);
	for (int r = 0; r < ROLE_COUNT; r++) {
		assert_int_equal(t.style[r].fg, THEME_DEFAULT_COLOR);
		assert_int_equal(t.style[r].bg, THEME_DEFAULT_COLOR);
		assert_false(t.set[r]);
	}
}

/* Field by field: struct copies need not copy padding. */
static void assert_same_theme(const struct theme *a, const struct theme *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->description, b->description);
	for (int r = 0; r < ROLE_COUNT; r++) {
		assert_int_equal(a->style[r].fg, b->style[r].fg);
		assert_int_equal(a->style[r].bg, b->style[r].bg);
		assert_int_equal(a->style[r].attrs, b->style[r].attrs);
		assert_int_equal(a->set[r], b->set[r]);
	}
}

static void expect_error(const char *text, const char *want)
{
	struct theme t;
	theme_builtin(&t);
	struct theme before = t;
	struct error err = { "" };
	assert_int_equal(theme_parse(&t, text, "bad.theme", &err), -1);
	if (!strstr(err.msg, want))
		fail_msg("error '%s' does not contain '%s'", err.msg, want);
	assert_null(strchr(err.msg, '\n'));
	/* A failed parse leaves the theme as it was. */
	assert_same_theme(&t, &before);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("[colors]\nnormal = red\npane_title = red\n",
		     "bad.theme:3: unknown role 'pane_title'");
	expect_error("[colors]\n\nup = purple\n", "bad.theme:3: unknown colour or attribute 'purple'");
	expect_error("[colors]\nup = green on purple\n", "bad.theme:2: unknown colour 'purple'");
	expect_error("[colors]\nup = #12345\n", "bad.theme:2: bad colour '#12345'");
	expect_error("[colors]\nup = #12345g\n", "bad.theme:2: bad colour '#12345g'");
	expect_error("[colors]\nup = green blink\n", "bad.theme:2: unknown attribute 'blink'");
	expect_error("[colors]\nup = green on\n", "bad.theme:2: 'on' needs a background colour");
	expect_error("[colors]\nup = green on red on blue\n",
		     "bad.theme:2: 'up' has two background colours");
	expect_error("[colors]\nup = green red\n", "bad.theme:2: 'up': unexpected colour 'red'");
	expect_error("[colors]\nup =\n", "bad.theme:2: 'up' has no colour or attribute");
	expect_error("[colors]\nup = red\nup = green\n", "bad.theme:3: 'up' is already set on line 2");
	expect_error("[colours]\n", "bad.theme:1: unknown section [colours]");
	expect_error("[colors]\nup = red\n[extra]\nup = red\n", "bad.theme:3: unknown section [extra]");
	expect_error("up = red\n", "bad.theme:1: 'up' is outside the [colors] section");
	expect_error("[meta]\nauthor = me\n", "bad.theme:2: unknown key 'author' in [meta]");
	expect_error("[colors]\nup red\n", "bad.theme:2:");
	expect_error("[colors]\nup = red #todo\n", "bad.theme:2: bad colour '#todo'");
}

static void make_dir(const char *path)
{
	assert_int_equal(mkdir(path, 0755), 0);
}

/* Dirs are searched in order, names are listed sorted and once, and a
 * value with '/' is a path. */
static void test_load_and_list(void **state)
{
	(void)state;
	char *user = xasprintf("%s/user", tmp), *sys = xasprintf("%s/sys", tmp);
	char *missing = xasprintf("%s/missing", tmp);
	make_dir(user);
	make_dir(sys);
	char *p;
	write_file(p = xasprintf("%s/zeta.theme", user), "[colors]\nup = #010101\n"), free(p);
	write_file(p = xasprintf("%s/alpha.theme", user), "[colors]\nup = #020202\n"), free(p);
	write_file(p = xasprintf("%s/alpha.theme", sys), "[colors]\nup = #030303\n"), free(p);
	write_file(p = xasprintf("%s/beta.theme", sys), "[colors]\nup = #040404\n"), free(p);
	write_file(p = xasprintf("%s/notes.txt", sys), "not a theme\n"), free(p);
	write_file(p = xasprintf("%s/.hidden.theme", sys), "[colors]\n"), free(p);
	make_dir(p = xasprintf("%s/dir.theme", sys)), free(p);
	const char *dirs[] = { missing, user, sys };

	char **names;
	int n;
	assert_int_equal(theme_list(dirs, 3, &names, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "alpha");
	assert_string_equal(names[1], "beta");
	assert_string_equal(names[2], "zeta");
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);

	struct theme t;
	struct error err = { "" };
	assert_int_equal(theme_load(&t, "alpha", dirs, 3, &err), 0);
	assert_string_equal(t.name, "alpha");
	assert_int_equal(t.style[ROLE_UP].fg, 0x020202); /* the first dir's */
	assert_int_equal(theme_load(&t, "beta", dirs, 3, &err), 0);
	assert_int_equal(t.style[ROLE_UP].fg, 0x040404);

	assert_int_equal(theme_load(&t, "nope", dirs, 3, &err), -1);
	assert_string_equal(err.msg, "theme 'nope' not found (available: alpha, beta, zeta)");
	assert_int_equal(theme_load(&t, "notes", dirs, 3, &err), -1);
	assert_int_equal(theme_load(&t, ".hidden", dirs, 3, &err), -1);
	assert_int_equal(theme_load(&t, "", dirs, 3, &err), -1);

	/* A path, even outside the dirs and not named .theme. */
	char *path = xasprintf("%s/mine.colors", tmp);
	write_file(path, "[colors]\ndown = #050505\n");
	assert_int_equal(theme_load(&t, path, NULL, 0, &err), 0);
	assert_int_equal(t.style[ROLE_DOWN].fg, 0x050505);
	assert_string_equal(t.name, path);
	free(path);

	/* Errors from a file name its path and line. */
	path = xasprintf("%s/broken.theme", tmp);
	write_file(path, "[colors]\n\nup = green on nothing\n");
	assert_int_equal(theme_load(&t, path, NULL, 0, &err), -1);
	char *want = xasprintf("%s:3: unknown colour 'nothing'", path);
	if (!strstr(err.msg, want))
		fail_msg("got '%s'", err.msg);
	free(want);
	free(path);
	path = xasprintf("%s/absent.theme", tmp);
	assert_int_equal(theme_load(&t, path, NULL, 0, &err), -1);
	assert_non_null(strstr(err.msg, path));
	free(path);

	/* dark and default still work with no theme dir at all. */
	assert_int_equal(theme_load(&t, "dark", dirs, 3, &err), 0);
	struct theme built;
	theme_builtin(&built);
	assert_same_theme(&t, &built);
	assert_int_equal(theme_load(&t, "default", NULL, 0, &err), 0);
	assert_string_equal(t.name, "dark");
	assert_int_equal(theme_load(&t, "x", NULL, 0, &err), -1);
	assert_string_equal(err.msg, "theme 'x' not found (available: dark)");

	/* default is default.theme when there is one. */
	write_file(p = xasprintf("%s/default.theme", sys), "[colors]\nup = #060606\n"), free(p);
	assert_int_equal(theme_load(&t, "default", dirs, 3, &err), 0);
	assert_int_equal(t.style[ROLE_UP].fg, 0x060606);
	free(user);
	free(sys);
	free(missing);
}

/* The shipped dir lists exactly the four shipped themes. */
static void test_list_shipped(void **state)
{
	(void)state;
	char *dir = themes_dir();
	const char *dirs[] = { dir };
	char **names;
	int n;
	theme_list(dirs, 1, &names, &n);
	assert_int_equal(n, NSHIPPED);
	for (int i = 0; i < n; i++) {
		assert_string_equal(names[i], shipped[i]);
		free(names[i]);
	}
	free(names);
	struct theme t;
	struct error err;
	assert_int_equal(theme_load(&t, "solarized", dirs, 1, &err), -1);
	assert_string_equal(err.msg, "theme 'solarized' not found (available: dark, high-contrast, "
				     "light, monochrome)");
	free(dir);
}

static void test_color_nearest(void **state)
{
	(void)state;
	static const struct {
		int rgb;
		int d8, d16, d256;
	} cases[] = {
		{ 0xff0000, 1, 9, 196 },  /* pure red: cube corner beats ANSI 9 on a tie */
		{ 0x00ff00, 2, 10, 46 },  /* pure green */
		{ 0x0000ff, 4, 4, 21 },	  /* pure blue: xterm's blue is 0000ee, nearer than 5c5cff */
		{ 0x808080, 7, 8, 244 },  /* grey: ramp 8+10*12 = 128 */
		{ 0x000000, 0, 0, 16 },	  /* black */
		{ 0xffffff, 7, 15, 231 }, /* white */
		{ 0x5fafd7, 6, 6, 74 },   /* sky blue: cube 16 + 36*1 + 6*3 + 4; cyan, not bright-blue */
		{ 0x0000ee, 4, 4, 4 },	  /* the named blue keeps its ANSI index */
		{ 0xcd0000, 1, 1, 1 },	  /* the named red too */
		{ 0x121212, 0, 0, 233 },  /* a dark grey */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rgb = cases[i].rgb;
		if (color_nearest(rgb, DEPTH_8) != cases[i].d8 ||
		    color_nearest(rgb, DEPTH_16) != cases[i].d16 ||
		    color_nearest(rgb, DEPTH_256) != cases[i].d256)
			fail_msg("#%06x: got %d %d %d, want %d %d %d", rgb, color_nearest(rgb, DEPTH_8),
				 color_nearest(rgb, DEPTH_16), color_nearest(rgb, DEPTH_256),
				 cases[i].d8, cases[i].d16, cases[i].d256);
		assert_int_equal(color_nearest(rgb, DEPTH_TRUE), rgb);
		assert_int_equal(color_nearest(rgb, DEPTH_NONE), -1);
	}
	assert_int_equal(color_nearest(THEME_DEFAULT_COLOR, DEPTH_256), -1);
	assert_int_equal(color_nearest(THEME_DEFAULT_COLOR, DEPTH_TRUE), -1);
	/* Every cube and grey colour maps to itself. */
	for (int i = 16; i < 256; i++) {
		int rgb;
		if (i < 232) {
			static const int lv[6] = { 0, 95, 135, 175, 215, 255 };
			int k = i - 16;
			rgb = lv[k / 36] << 16 | lv[k / 6 % 6] << 8 | lv[k % 6];
		} else {
			int g = 8 + 10 * (i - 232);
			rgb = g << 16 | g << 8 | g;
		}
		assert_int_equal(color_nearest(rgb, DEPTH_256), i);
	}
}

static void test_depth_detect(void **state)
{
	(void)state;
	static const struct {
		int colors;
		const char *colorterm, *no_color;
		enum color_depth want;
	} cases[] = {
		{ 256, NULL, NULL, DEPTH_256 },
		{ 256, "truecolor", NULL, DEPTH_TRUE },
		{ 8, "24bit", NULL, DEPTH_TRUE },
		{ 256, "TrueColor", NULL, DEPTH_TRUE },
		{ 256, "yes", NULL, DEPTH_256 },
		{ 256, "", NULL, DEPTH_256 },
		{ 88, NULL, NULL, DEPTH_16 },
		{ 16, NULL, NULL, DEPTH_16 },
		{ 15, NULL, NULL, DEPTH_8 },
		{ 8, NULL, NULL, DEPTH_8 },
		{ 2, NULL, NULL, DEPTH_NONE },
		{ 0, NULL, NULL, DEPTH_NONE },
		{ -1, NULL, NULL, DEPTH_NONE },
		{ 0x1000000, NULL, NULL, DEPTH_256 },
		{ 256, "truecolor", "1", DEPTH_NONE }, /* NO_COLOR wins over everything */
		{ 256, NULL, "", DEPTH_256 },	       /* set but empty: ignored */
		{ 256, NULL, "0", DEPTH_NONE },	       /* any non-empty value counts */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum color_depth got = color_depth_detect(cases[i].colors, cases[i].colorterm,
							  cases[i].no_color);
		if (got != cases[i].want)
			fail_msg("case %zu: colors %d COLORTERM %s NO_COLOR %s: got %d want %d", i,
				 cases[i].colors, cases[i].colorterm ? cases[i].colorterm : "(unset)",
				 cases[i].no_color ? cases[i].no_color : "(unset)", got,
				 cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_names),
		cmocka_unit_test(test_shipped_themes),
		cmocka_unit_test(test_monochrome_has_no_colours),
		cmocka_unit_test(test_builtin_equals_dark),
		cmocka_unit_test(test_parse_values),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_load_and_list),
		cmocka_unit_test(test_list_shipped),
		cmocka_unit_test(test_color_nearest),
		cmocka_unit_test(test_depth_detect),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
