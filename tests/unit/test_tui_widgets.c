/* tui widgets: sparklines, braille graphs, axis bounds, labels and
 * column-aware cutting, checked as exact strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/widgets.h"

#define CANARY 0x5a

/* ---- sparkline -------------------------------------------------------- */

static void test_spark_levels(void **state)
{
	(void)state;
	float v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	char out[64];
	size_t n = spark_render(v, 8, 0, 7, 8, GLYPHS_UTF8, out, sizeof out);
	assert_string_equal(out, "▁▂▃▄▅▆▇█");
	assert_int_equal(n, strlen(out));
	float a[6] = {0, 1, 2, 3, 4, 5};
	n = spark_render(a, 6, 0, 5, 6, GLYPHS_ASCII, out, sizeof out);
	assert_string_equal(out, "_.-=^#");
	assert_int_equal(n, 6);
}

static void test_spark_clamp_nan_flat(void **state)
{
	(void)state;
	float v[4] = {-5, 100, NAN, INFINITY};
	char out[64];
	spark_render(v, 4, 0, 10, 4, GLYPHS_UTF8, out, sizeof out);
	assert_string_equal(out, "▁█ █");
	float f[3] = {3, 3, 9};
	spark_render(f, 3, 3, 3, 3, GLYPHS_UTF8, out, sizeof out);
	assert_string_equal(out, "▁▁▁"); /* lo == hi: all at the bottom */
	spark_render(f, 3, NAN, 5, 3, GLYPHS_ASCII, out, sizeof out);
	assert_string_equal(out, "___");
}

static void test_spark_alignment(void **state)
{
	(void)state;
	float v[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 10};
	char out[64];
	spark_render(v + 8, 2, 0, 10, 5, GLYPHS_UTF8, out, sizeof out);
	assert_string_equal(out, "   ▁█"); /* right-aligned */
	spark_render(v, 10, 0, 10, 3, GLYPHS_ASCII, out, sizeof out);
	assert_string_equal(out, "__#"); /* the newest three */
	spark_render(NULL, 0, 0, 10, 3, GLYPHS_UTF8, out, sizeof out);
	assert_string_equal(out, "   ");
}

static void test_spark_tiny_and_limits(void **state)
{
	(void)state;
	float v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	char out[32];
	memset(out, 'x', sizeof out);
	assert_int_equal(spark_render(v, 8, 0, 7, 0, GLYPHS_UTF8, out, sizeof out), 0);
	assert_string_equal(out, "");
	assert_int_equal(spark_render(v, 8, 0, 7, -3, GLYPHS_UTF8, out, sizeof out), 0);
	assert_int_equal(spark_render(v, -1, 0, 7, 2, GLYPHS_UTF8, out, sizeof out), 2);
	assert_string_equal(out, "  ");

	/* Room for three glyphs (9 bytes) and the NUL, not a fourth. */
	memset(out, CANARY, sizeof out);
	size_t n = spark_render(v, 8, 0, 7, 8, GLYPHS_UTF8, out, 10);
	assert_int_equal(n, 9);
	assert_string_equal(out, "▁▂▃");
	assert_int_equal((unsigned char)out[10], CANARY);
	/* 11 bytes: still three, never a split glyph. */
	memset(out, CANARY, sizeof out);
	assert_int_equal(spark_render(v, 8, 0, 7, 8, GLYPHS_UTF8, out, 11), 9);
	assert_int_equal((unsigned char)out[11], CANARY);
	/* Padding counts too. */
	memset(out, CANARY, sizeof out);
	assert_int_equal(spark_render(v, 1, 0, 7, 8, GLYPHS_UTF8, out, 4), 3);
	assert_string_equal(out, "   ");
	assert_int_equal((unsigned char)out[4], CANARY);
	/* size 1: just the NUL; size 0: nothing at all. */
	memset(out, CANARY, sizeof out);
	assert_int_equal(spark_render(v, 8, 0, 7, 8, GLYPHS_UTF8, out, 1), 0);
	assert_int_equal(out[0], '\0');
	assert_int_equal((unsigned char)out[1], CANARY);
	assert_int_equal(spark_render(v, 8, 0, 7, 8, GLYPHS_UTF8, out + 5, 0), 0);
	assert_int_equal((unsigned char)out[5], CANARY);
}

/* ---- graph ------------------------------------------------------------ */

struct rows {
	char buf[8][3 * 64 + 1 + 1];
	char *p[8];
};

static char **rows_init(struct rows *r)
{
	memset(r->buf, CANARY, sizeof r->buf);
	for (int i = 0; i < 8; i++)
		r->p[i] = r->buf[i];
	return r->p;
}

/* The UTF-8 of braille cells with these dot bits, for readable tests. */
static const char *braille(char *out, const unsigned *bits, int n)
{
	char *o = out;
	for (int i = 0; i < n; i++) {
		if (!bits[i]) {
			*o++ = ' ';
			continue;
		}
		unsigned cp = 0x2800 + bits[i];
		*o++ = (char)(0xe0 | (cp >> 12));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	*o = '\0';
	return out;
}

static void test_graph_flat_mid(void **state)
{
	(void)state;
	struct rows r;
	char **rows = rows_init(&r);
	int64_t t[8];
	double v[8];
	for (int i = 0; i < 8; i++)
		t[i] = 1000 + i * 10, v[i] = 50;
	/* 4x2 cells = 8x8 dots; 50 of 0..100 is dot row 4 (3.5 rounds down
	 * the screen): the top dots of the second cell row. */
	graph_render(t, v, 8, 1000, 1070, 0, 100, 0, 4, 2, GLYPHS_UTF8, rows);
	assert_string_equal(rows[0], "    ");
	assert_string_equal(rows[1], "⠉⠉⠉⠉");
	/* One cell row: dot row 2 of 4. */
	graph_render(t, v, 8, 1000, 1070, 0, 100, 0, 4, 1, GLYPHS_UTF8, rows);
	assert_string_equal(rows[0], "⠤⠤⠤⠤");
	/* Only two points, far apart: the line between them fills in. */
	int64_t t2[2] = {1000, 1070};
	double v2[2] = {50, 50};
	graph_render(t2, v2, 2, 1000, 1070, 0, 100, 0, 4, 1, GLYPHS_UTF8, rows);
	assert_string_equal(rows[0], "⠤⠤⠤⠤");
}

static void test_graph_diagonal_and_gap(void **state)
{
	(void)state;
	struct rows r;
	char **rows = rows_init(&r);
	char want[64];
	int64_t t[2] = {0, 3};
	double v[2] = {100, 0};
	/* 2x1 cells = 4x4 dots, from the top left to the bottom right. */
	graph_render(t, v, 2, 0, 3, 0, 100, 5, 2, 1, GLYPHS_UTF8, rows);
	assert_string_equal(rows[0], "⠑⢄");
	unsigned diag[2] = {0x01 | 0x10, 0x04 | 0x80};
	assert_string_equal(rows[0], braille(want, diag, 2));
	/* The same two points 3 apart with max_gap 2: two lone dots. */
	graph_render(t, v, 2, 0, 3, 0, 100, 2, 2, 1, GLYPHS_UTF8, rows);
	assert_string_equal(rows[0], "⠁⢀");
	/* Upward too, and a value past hi is clamped to the top. */
	double up[2] = {-50, 1e9};
	graph_render(t, up, 2, 0, 3, 0, 100, 0, 2, 1, GLYPHS_UTF8, rows);
	unsigned rise[2] = {0x40 | 0x20, 0x02 | 0x08};
	assert_string_equal(rows[0], braille(want, rise, 2));
}

static void test_graph_range_and_nan(void **state)
{
	(void)state;
	struct rows r;
	char **rows = rows_init(&r);
	char want[64];
	/* Outside [0, 3] on both sides: nothing, and no line from them. */
	int64_t t[4] = {-5, 0, 3, 100};
	double v[4] = {0, 100, NAN, 0};
	graph_render(t, v, 4, 0, 3, 0, 100, 0, 2, 1, GLYPHS_UTF8, rows);
	unsigned one[2] = {0x01, 0};
	assert_string_equal(rows[0], braille(want, one, 2));
	graph_render(t, v, 1, 0, 3, 0, 100, 0, 2, 1, GLYPHS_UTF8, rows);
	assert_string_equal(rows[0], "  ");
	/* An empty time range or no points: a blank canvas, not a crash. */
	graph_render(t, v, 4, 3, 3, 0, 100, 0, 2, 2, GLYPHS_UTF8, rows);
	assert_string_equal(rows[0], "  ");
	assert_string_equal(rows[1], "  ");
	graph_render(NULL, NULL, 4, 0, 3, 0, 100, 0, 3, 1, GLYPHS_UTF8, rows);
	assert_string_equal(rows[0], "   ");
	graph_render(t, v, 4, 0, 3, 0, 100, 0, 0, 1, GLYPHS_UTF8, rows);
	assert_string_equal(rows[0], "");
	graph_render(t, v, 4, 0, 3, 0, 100, 0, 3, 0, GLYPHS_UTF8, NULL);
}

static void test_graph_full_rows_fit(void **state)
{
	(void)state;
	/* Every dot lit: each row takes exactly w*3+1 bytes. */
	char b[5 * 3 + 1 + 1];
	memset(b, CANARY, sizeof b);
	char *rows[1] = {b};
	int64_t t[20];
	double v[20];
	for (int i = 0; i < 20; i++) /* bottom to top in each dot column */
		t[i] = i / 2, v[i] = i % 2 ? 100 : 0;
	graph_render(t, v, 20, 0, 9, 0, 100, 0, 5, 1, GLYPHS_UTF8, rows);
	assert_string_equal(b, "⣿⣿⣿⣿⣿");
	assert_int_equal(strlen(b), 15);
	assert_int_equal((unsigned char)b[16], CANARY);
}

static void test_graph_ascii(void **state)
{
	(void)state;
	struct rows r;
	char **rows = rows_init(&r);
	int64_t t[4] = {0, 1, 3, 3};
	double v[4] = {100, 50, 0, -7};
	graph_render(t, v, 4, 0, 3, 0, 100, 0, 4, 3, GLYPHS_ASCII, rows);
	assert_string_equal(rows[0], "*   ");
	assert_string_equal(rows[1], " *  ");
	assert_string_equal(rows[2], "   *");
	/* The newest point of a column wins. */
	double w[4] = {100, 50, 0, 100};
	graph_render(t, w, 4, 0, 3, 0, 100, 0, 4, 3, GLYPHS_ASCII, rows);
	assert_string_equal(rows[0], "*  *");
	assert_string_equal(rows[2], "    ");
}

static void test_graph_size_cap(void **state)
{
	(void)state;
	size_t sz = 3 * 1000 + 2;
	char *row = malloc(sz);
	assert_non_null(row);
	memset(row, CANARY, sz);
	char *rows[1] = {row};
	int64_t t[2] = {0, 10};
	double v[2] = {1, 1};
	graph_render(t, v, 2, 0, 10, 0, 2, 0, 1000, 1, GLYPHS_UTF8, rows);
	assert_int_equal(utf8_width(row), GRAPH_MAX_W);
	graph_render(t, v, 2, 0, 10, 0, 2, 0, 1000, 1, GLYPHS_ASCII, rows);
	assert_int_equal(strlen(row), GRAPH_MAX_W);
	free(row);
}

/* It is drawn several times a frame: a 160x40 canvas of an hour of
 * 1 s samples must take well under a millisecond or so. The bound is
 * loose (sanitizers, a busy machine) but catches a quadratic slip. */
static void test_graph_speed(void **state)
{
	(void)state;
	enum { W = 160, H = 40, N = 3600, RUNS = 200 };
	static char buf[H][W * 3 + 1];
	char *rows[H];
	for (int i = 0; i < H; i++)
		rows[i] = buf[i];
	static int64_t t[N];
	static double v[N];
	for (int i = 0; i < N; i++)
		t[i] = i * 1000, v[i] = 50 + 45 * sin(i / 30.0) + (i % 7) * 3;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int k = 0; k < RUNS; k++)
		graph_render(t, v, N, 0, (N - 1) * 1000, 0, 100, 5000, W, H, GLYPHS_UTF8, rows);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6) / RUNS;
	printf("graph_render 160x40, 3600 points: %.3f ms\n", ms);
	assert_true(ms < 20);
}

/* ---- axis ------------------------------------------------------------- */

static void check_axis(double min, double max, double want_lo, double want_hi)
{
	double lo = -1234, hi = -1234;
	axis_nice(min, max, &lo, &hi);
	if (fabs(lo - want_lo) > 1e-9 * fmax(1, fabs(want_lo)) ||
	    fabs(hi - want_hi) > 1e-9 * fmax(1, fabs(want_hi)))
		fail_msg("axis_nice(%g, %g) = %g..%g, want %g..%g", min, max, lo, hi, want_lo,
			 want_hi);
}

static void test_axis_nice(void **state)
{
	(void)state;
	check_axis(3, 87, 0, 100); /* percentages */
	check_axis(0, 100, 0, 100);
	check_axis(0, 45, 0, 50);
	check_axis(87, 3, 0, 100); /* swapped */
	check_axis(0, 4.2e6, 0, 5e6);
	check_axis(1000, 1010, 1000, 1010); /* far from 0: not anchored */
	check_axis(1001, 1009, 1000, 1010);
	check_axis(-3, 7, -5, 7.5); /* -4..8 by 2s would be 6 steps */
	check_axis(-87, -3, -100, 0);
	check_axis(0, 0, 0, 1);
	check_axis(5, 5, 0, 8);
	check_axis(0.1, 0.9, 0, 1);
	check_axis(NAN, NAN, 0, 1);
	check_axis(NAN, 87, 0, 150); /* as a flat 87 */
	check_axis(87, 87, 0, 150);

	/* Any data: the axis covers it and is not absurdly wide. */
	srand(7);
	for (int i = 0; i < 2000; i++) {
		double a = (rand() / (double)RAND_MAX - 0.3) * pow(10, rand() % 12 - 3);
		double b = a + rand() / (double)RAND_MAX * pow(10, rand() % 12 - 3);
		double lo, hi;
		axis_nice(a, b, &lo, &hi);
		double slack = 1e-9 * fmax(fabs(a), fabs(b));
		if (!(lo <= a + slack && hi >= b - slack))
			fail_msg("axis_nice(%g, %g) = %g..%g misses the data", a, b, lo, hi);
		if (b - a > 1e-9 * fabs(b) && hi - lo > 5 * fmax(b - a, fmax(b, -a)))
			fail_msg("axis_nice(%g, %g) = %g..%g is too wide", a, b, lo, hi);
	}
}

/* ---- labels ----------------------------------------------------------- */

static void check_value(double v, bool bytes, const char *want)
{
	char out[32];
	assert_string_equal(fmt_value(v, bytes, out, sizeof out), want);
}

static void test_fmt_value(void **state)
{
	(void)state;
	check_value(94, false, "94");
	check_value(94.5, false, "94.5");
	check_value(0.3, false, "0.3");
	check_value(0, false, "0");
	check_value(-0.01, false, "0");
	check_value(-12, false, "-12");
	check_value(999, false, "999");
	check_value(999.7, false, "1.0k");
	check_value(3100, false, "3.1k");
	check_value(5.2e6, false, "5.2M");
	check_value(1.2e9, false, "1.2G");
	check_value(45e3, false, "45k");
	check_value(3174.4, true, "3.1K");
	check_value(512 * 1024.0, true, "512K");
	check_value(1.5 * 1024 * 1024 * 1024, true, "1.5G");
	check_value(2.0 * 1024 * 1024 * 1024 * 1024, true, "2.0T");
	check_value(1000, true, "1.0K");
	check_value(NAN, false, "-");
	check_value(-INFINITY, false, "-inf");

	/* At most 6 columns for anything. */
	char out[32];
	for (double v = 1e-3; v < 1e24; v *= 1.37) {
		assert_true(strlen(fmt_value(v, false, out, sizeof out)) <= 6);
		assert_true(strlen(fmt_value(-v, true, out, sizeof out)) <= 6);
	}
	/* A small buffer is cut, not overrun. */
	char small[4] = {CANARY, CANARY, CANARY, CANARY};
	fmt_value(123456, false, small, 3);
	assert_string_equal(small, "12");
	assert_int_equal((unsigned char)small[3], CANARY);
}

static void test_fmt_duration_and_ago(void **state)
{
	(void)state;
	char out[32];
	assert_string_equal(fmt_duration(450, out, sizeof out), "450ms");
	assert_string_equal(fmt_duration(45000, out, sizeof out), "45s");
	assert_string_equal(fmt_duration(12 * 60000 + 59000, out, sizeof out), "12m");
	assert_string_equal(fmt_duration((3 * 3600 + 5 * 60 + 9) * 1000LL, out, sizeof out),
			    "3h05m");
	assert_string_equal(fmt_duration((2 * 86400 + 4 * 3600 + 60) * 1000LL, out, sizeof out),
			    "2d04h");
	assert_string_equal(fmt_duration(-45000, out, sizeof out), "-45s");
	assert_non_null(fmt_duration(INT64_MIN, out, sizeof out));
	assert_true(out[0] == '-');

	assert_string_equal(fmt_ago(0, out, sizeof out), "now");
	assert_string_equal(fmt_ago(999, out, sizeof out), "now");
	assert_string_equal(fmt_ago(45000, out, sizeof out), "-45s");
	assert_string_equal(fmt_ago(30 * 60000, out, sizeof out), "-30m");
	assert_string_equal(fmt_ago(3600000, out, sizeof out), "-1h");
	assert_string_equal(fmt_ago(5400000, out, sizeof out), "-1h30m");
	assert_string_equal(fmt_ago(2 * 86400000LL, out, sizeof out), "-2d");
	assert_string_equal(fmt_ago(-60000, out, sizeof out), "+1m");
}

/* ---- UTF-8 ------------------------------------------------------------ */

static void test_utf8_width(void **state)
{
	(void)state;
	assert_int_equal(utf8_width("abc"), 3);
	assert_int_equal(utf8_width(""), 0);
	assert_int_equal(utf8_width(NULL), 0);
	assert_int_equal(utf8_width("é"), 1);
	assert_int_equal(utf8_width("日本"), 4);
	assert_int_equal(utf8_width("e\xcc\x81"), 1); /* combining acute */
	assert_int_equal(utf8_width("▁▂█"), 3);
	assert_int_equal(utf8_width("a\xff" "b"), 3);  /* a bad byte is one column */
	assert_int_equal(utf8_width("\xe6\x97"), 2);   /* a cut sequence: bytes */
	assert_int_equal(utf8_width("\xc0\xaf"), 2);   /* overlong */
}

static void check_fit(const char *s, int cols, enum glyphs g, const char *want)
{
	char out[64];
	size_t n = utf8_fit(s, cols, g, out, sizeof out);
	if (strcmp(out, want) != 0)
		fail_msg("utf8_fit(\"%s\", %d) = \"%s\", want \"%s\"", s, cols, out, want);
	assert_int_equal(n, strlen(out));
	if (cols >= 0)
		assert_true(utf8_width(out) <= cols);
}

static void test_utf8_fit(void **state)
{
	(void)state;
	check_fit("hello", 10, GLYPHS_UTF8, "hello");
	check_fit("hello", 5, GLYPHS_UTF8, "hello");
	check_fit("hello world", 5, GLYPHS_UTF8, "hell…");
	check_fit("hello world", 5, GLYPHS_ASCII, "hell~");
	check_fit("日本語", 6, GLYPHS_UTF8, "日本語");
	check_fit("日本語", 5, GLYPHS_UTF8, "日本…");
	check_fit("日本語", 4, GLYPHS_UTF8, "日…");
	check_fit("日本語", 1, GLYPHS_UTF8, "…");
	check_fit("abc", 1, GLYPHS_ASCII, "~");
	check_fit("abc", 0, GLYPHS_UTF8, "");
	check_fit("abc", -4, GLYPHS_UTF8, "");
	check_fit("e\xcc\x81tude", 3, GLYPHS_UTF8, "e\xcc\x81t…");
	check_fit("a\xff" "b", 5, GLYPHS_UTF8, "a?b");
	check_fit(NULL, 5, GLYPHS_UTF8, "");

	/* A small buffer is filled to a character boundary, no further. */
	char out[16];
	memset(out, CANARY, sizeof out);
	assert_int_equal(utf8_fit("hello world", 20, GLYPHS_UTF8, out, 4), 3);
	assert_string_equal(out, "hel");
	assert_int_equal((unsigned char)out[4], CANARY);
	memset(out, CANARY, sizeof out);
	assert_int_equal(utf8_fit("日本語", 10, GLYPHS_UTF8, out, 6), 3);
	assert_string_equal(out, "日");
	assert_int_equal((unsigned char)out[6], CANARY);
	/* Cut by columns with a tight buffer: the mark still fits. */
	memset(out, CANARY, sizeof out);
	utf8_fit("hello world", 5, GLYPHS_UTF8, out, 6);
	assert_string_equal(out, "he…");
	assert_int_equal((unsigned char)out[6], CANARY);
	assert_int_equal(utf8_fit("abc", 3, GLYPHS_UTF8, out, 0), 0);
}

int main(void)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		fprintf(stderr, "test_tui_widgets: no C.UTF-8 locale; widths fall back\n");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spark_levels),
		cmocka_unit_test(test_spark_clamp_nan_flat),
		cmocka_unit_test(test_spark_alignment),
		cmocka_unit_test(test_spark_tiny_and_limits),
		cmocka_unit_test(test_graph_flat_mid),
		cmocka_unit_test(test_graph_diagonal_and_gap),
		cmocka_unit_test(test_graph_range_and_nan),
		cmocka_unit_test(test_graph_full_rows_fit),
		cmocka_unit_test(test_graph_ascii),
		cmocka_unit_test(test_graph_size_cap),
		cmocka_unit_test(test_graph_speed),
		cmocka_unit_test(test_axis_nice),
		cmocka_unit_test(test_fmt_value),
		cmocka_unit_test(test_fmt_duration_and_ago),
		cmocka_unit_test(test_utf8_width),
		cmocka_unit_test(test_utf8_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
