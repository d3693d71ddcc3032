/* Widgets rendered into UTF-8 strings: sparklines, braille graphs, axis
 * bounds, short value/duration labels and column-aware string cutting.
 * Nothing here touches ncurses or allocates, so it is cheap to call for
 * every pane on every frame and easy to test. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "fleetop/text.h"
#include "widgets.h"

/* ---- small helpers ---------------------------------------------------- */

/* Where x falls in [lo, hi] as 0..1; clamped, and 0 when the range is
 * empty or anything is NaN (so callers never cast NaN or inf to int). */
static double unit_frac(double x, double lo, double hi)
{
	if (!(hi > lo))
		return 0;
	double f = (x - lo) / (hi - lo);
	if (!(f > 0)) /* also NaN */
		return 0;
	return f < 1 ? f : 1;
}

/* Appends n bytes if they fit with room left for the NUL. */
static bool put_bytes(char *out, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + n >= size)
		return false;
	memcpy(out + *len, s, n);
	*len += n;
	return true;
}

/* ---- sparkline -------------------------------------------------------- */

static const char *const spark_utf8[8] = {
	"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
	"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
};
static const char spark_ascii[] = "_.-=^#";

size_t spark_render(const float *v, int n, double lo, double hi, int width, enum glyphs g,
		    char *out, size_t size)
{
	if (!out || size == 0)
		return 0;
	out[0] = '\0';
	if (width <= 0)
		return 0;
	if (!v || n < 0)
		n = 0;
	int shown = n < width ? n : width;
	int pad = width - shown;
	const float *first = v ? v + (n - shown) : NULL;
	int levels = g == GLYPHS_UTF8 ? 8 : (int)(sizeof spark_ascii - 1);
	size_t len = 0;

	for (int i = 0; i < pad; i++)
		if (!put_bytes(out, size, &len, " ", 1))
			goto done;
	for (int i = 0; i < shown; i++) {
		double x = first[i];
		if (isnan(x)) {
			if (!put_bytes(out, size, &len, " ", 1))
				break;
			continue;
		}
		/* Equal-width bins; the top value lands in the last one. */
		int level = (int)(unit_frac(x, lo, hi) * levels);
		if (level >= levels)
			level = levels - 1;
		bool ok = g == GLYPHS_UTF8 ? put_bytes(out, size, &len, spark_utf8[level], 3)
					   : put_bytes(out, size, &len, &spark_ascii[level], 1);
		if (!ok)
			break;
	}
done:
	out[len] = '\0';
	return len;
}

/* ---- braille graph ---------------------------------------------------- */

/* Dot bits of a braille cell by [row 0..3][column 0..1] (Unicode order:
 * dots 1-2-3-7 down the left, 4-5-6-8 down the right). */
static const uint8_t braille_bit[4][2] = {
	{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80},
};

struct canvas {
	int w, h;   /* cells */
	int dw, dh; /* dots */
	uint8_t *cells;
};

static void canvas_dot(struct canvas *c, int x, int y)
{
	if (x < 0 || y < 0 || x >= c->dw || y >= c->dh)
		return;
	c->cells[(y >> 2) * c->w + (x >> 1)] |= braille_bit[y & 3][x & 1];
}

/* Bresenham between two dots, both ends included. */
static void canvas_line(struct canvas *c, int x0, int y0, int x1, int y1)
{
	int dx = x1 > x0 ? x1 - x0 : x0 - x1, sx = x0 < x1 ? 1 : -1;
	int dy = y1 > y0 ? y0 - y1 : y1 - y0, sy = y0 < y1 ? 1 : -1;
	int err = dx + dy;
	for (;;) {
		canvas_dot(c, x0, y0);
		if (x0 == x1 && y0 == y1)
			return;
		int e2 = 2 * err;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

/* Position of a point on a grid of `cols` x `rows` (dots or cells). */
static int grid_x(int64_t t, int64_t t0, int64_t t1, int cols)
{
	/* In doubles: t - t0 may not fit an int64 for absurd ranges. */
	double f = ((double)t - (double)t0) / ((double)t1 - (double)t0);
	return (int)lround(f * (cols - 1));
}

static int grid_y(double v, double lo, double hi, int rows)
{
	return (int)lround((1 - unit_frac(v, lo, hi)) * (rows - 1));
}

/* Whether two neighbouring samples belong to one stretch of data. Time
 * going backwards joins; unsigned so the difference cannot overflow. */
static bool joined(int64_t prev, int64_t t, int64_t max_gap)
{
	if (max_gap <= 0 || t < prev)
		return true;
	return (uint64_t)t - (uint64_t)prev <= (uint64_t)max_gap;
}

static void graph_braille(const int64_t *t, const double *v, int n, int64_t t0, int64_t t1,
			  double lo, double hi, int64_t max_gap, struct canvas *c)
{
	bool have_prev = false;
	int64_t prev_t = 0;
	int px = 0, py = 0;
	for (int i = 0; i < n; i++) {
		if (t[i] < t0 || t[i] > t1 || isnan(v[i])) {
			have_prev = false;
			continue;
		}
		int x = grid_x(t[i], t0, t1, c->dw);
		int y = grid_y(v[i], lo, hi, c->dh);
		if (have_prev && joined(prev_t, t[i], max_gap))
			canvas_line(c, px, py, x, y);
		else
			canvas_dot(c, x, y);
		have_prev = true;
		prev_t = t[i];
		px = x;
		py = y;
	}
}

static void rows_braille(const struct canvas *c, char **rows)
{
	for (int r = 0; r < c->h; r++) {
		char *o = rows[r];
		if (!o)
			continue;
		const uint8_t *cell = c->cells + r * c->w;
		for (int x = 0; x < c->w; x++) {
			uint8_t b = cell[x];
			if (!b) {
				*o++ = ' ';
				continue;
			}
			/* U+2800 + b in UTF-8: E2, A0 | b>>6, 80 | b&3F */
			*o++ = (char)0xe2;
			*o++ = (char)(0xa0 | (b >> 6));
			*o++ = (char)(0x80 | (b & 0x3f));
		}
		*o = '\0';
	}
}

/* ASCII: the newest point of each column wins. */
static void graph_ascii(const int64_t *t, const double *v, int n, int64_t t0, int64_t t1,
			double lo, double hi, int w, int h, char **rows)
{
	int16_t at[GRAPH_MAX_W];
	for (int x = 0; x < w; x++)
		at[x] = -1;
	for (int i = 0; i < n; i++) {
		if (t[i] < t0 || t[i] > t1 || isnan(v[i]))
			continue;
		at[grid_x(t[i], t0, t1, w)] = (int16_t)grid_y(v[i], lo, hi, h);
	}
	for (int r = 0; r < h; r++) {
		if (!rows[r])
			continue;
		for (int x = 0; x < w; x++)
			rows[r][x] = at[x] == r ? '*' : ' ';
		rows[r][w] = '\0';
	}
}

void graph_render(const int64_t *t, const double *v, int n, int64_t t0, int64_t t1, double lo,
		  double hi, int64_t max_gap, int w, int h, enum glyphs g, char **rows)
{
	if (!rows || h <= 0)
		return;
	if (h > GRAPH_MAX_H)
		h = GRAPH_MAX_H;
	if (w > GRAPH_MAX_W)
		w = GRAPH_MAX_W;
	if (w <= 0) {
		for (int r = 0; r < h; r++)
			if (rows[r])
				rows[r][0] = '\0';
		return;
	}
	/* An empty time range or no data still gives a blank canvas. */
	if (!t || !v || n < 0 || t1 <= t0)
		n = 0;

	if (g == GLYPHS_ASCII) {
		graph_ascii(t, v, n, t0, t1, lo, hi, w, h, rows);
		return;
	}
	uint8_t cells[GRAPH_MAX_W * GRAPH_MAX_H];
	struct canvas c = {.w = w, .h = h, .dw = 2 * w, .dh = 4 * h, .cells = cells};
	memset(cells, 0, (size_t)w * (size_t)h);
	graph_braille(t, v, n, t0, t1, lo, hi, max_gap, &c);
	rows_braille(&c, rows);
}

/* ---- axis bounds ------------------------------------------------------ */

/* The smallest step of 1, 2, 2.5, 5 x 10^k that is >= x (x > 0). */
static double nice_step(double x)
{
	double p = pow(10, floor(log10(x)));
	static const double m[] = {1, 2, 2.5, 5, 10};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (m[i] * p >= x * (1 - 1e-9))
			return m[i] * p;
	return 10 * p;
}

void axis_nice(double min, double max, double *lo, double *hi)
{
	double l = 0, h = 1;
	if (!isfinite(min) && !isfinite(max))
		goto out;
	if (!isfinite(min))
		min = max;
	if (!isfinite(max))
		max = min;
	if (min > max) {
		double tmp = min;
		min = max;
		max = tmp;
	}
	bool nonneg = min >= 0, nonpos = max <= 0;
	if (min == 0 && max == 0) {
		max = 1; /* all zero: an empty positive axis */
		nonpos = false;
	} else if (max - min <= 1e-12 * fmax(fabs(min), fabs(max))) {
		/* A flat series: give it room around its value. */
		double pad = fabs(min) * 0.5;
		min -= pad;
		max += pad;
	}
	/* Anchor at 0 when the data is not far from it (3..87 gives 0..100);
	 * a series hovering at 1000±5 keeps its own range. */
	if (nonneg && min <= max - min)
		min = 0;
	if (nonpos && -max <= max - min)
		max = 0;

	/* The finest nice step that spans the data in at most five
	 * intervals (0..87 by 20s gives 0..100; 0..4.2M by 1Ms gives 0..5M). */
	double step = nice_step((max - min) / 5);
	if (!isfinite(step) || !(step > 0)) { /* ranges beyond double */
		l = min;
		h = max;
		goto out;
	}
	for (int tries = 0; tries < 8; tries++) {
		l = floor(min / step + 1e-9) * step;
		h = ceil(max / step - 1e-9) * step;
		if ((h - l) / step <= 5 + 1e-9)
			break;
		step = nice_step(step * 1.01);
	}
	if (l == 0)
		l = 0; /* no -0 */
	if (h == 0)
		h = 0;
out:
	if (lo)
		*lo = l;
	if (hi)
		*hi = h;
}

/* ---- labels ----------------------------------------------------------- */

const char *fmt_value(double v, bool bytes, char *out, size_t size)
{
	if (!out || size == 0)
		return out;
	if (isnan(v)) {
		snprintf(out, size, "-");
		return out;
	}
	if (isinf(v)) {
		snprintf(out, size, v > 0 ? "inf" : "-inf");
		return out;
	}
	static const char units_dec[] = " kMGTP", units_bin[] = " KMGTP";
	const char *units = bytes ? units_bin : units_dec;
	double base = bytes ? 1024 : 1000;
	const char *sign = v < 0 ? "-" : "";
	double x = fabs(v);
	int u = 0;
	/* Move up a unit once the number would need four digits. */
	while (x >= 999.5 && u < 5) {
		x /= base;
		u++;
	}
	if (x >= 999.5)
		snprintf(out, size, "%s%.0e", sign, x * pow(base, u));
	else if (u == 0 && x < 0.05)
		snprintf(out, size, "0");
	else if (u == 0 && (x >= 99.95 || fabs(x - round(x)) < 0.05))
		snprintf(out, size, "%s%.0f", sign, x);
	else if (u == 0)
		snprintf(out, size, "%s%.1f", sign, x);
	else if (x < 9.95)
		snprintf(out, size, "%s%.1f%c", sign, x, units[u]);
	else
		snprintf(out, size, "%s%.0f%c", sign, x, units[u]);
	return out;
}

const char *fmt_duration(int64_t ms, char *out, size_t size)
{
	if (!out || size == 0)
		return out;
	const char *sign = ms < 0 ? "-" : "";
	/* Unsigned so INT64_MIN has a magnitude. */
	uint64_t a = ms < 0 ? 0 - (uint64_t)ms : (uint64_t)ms;
	uint64_t s = a / 1000;
	if (a < 1000)
		snprintf(out, size, "%s%llums", sign, (unsigned long long)a);
	else if (s < 60)
		snprintf(out, size, "%s%llus", sign, (unsigned long long)s);
	else if (s < 3600)
		snprintf(out, size, "%s%llum", sign, (unsigned long long)(s / 60));
	else if (s < 86400)
		snprintf(out, size, "%s%lluh%02llum", sign, (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else
		snprintf(out, size, "%s%llud%02lluh", sign, (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
	return out;
}

const char *fmt_ago(int64_t ms, char *out, size_t size)
{
	if (!out || size == 0)
		return out;
	const char *sign = ms < 0 ? "+" : "-";
	uint64_t a = ms < 0 ? 0 - (uint64_t)ms : (uint64_t)ms;
	unsigned long long s = a / 1000;
	/* The largest unit, plus the next one only when it is not zero. */
	static const struct {
		unsigned long long secs;
		char unit;
	} u[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
	if (s == 0) {
		snprintf(out, size, "now");
		return out;
	}
	for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
		if (s < u[i].secs)
			continue;
		unsigned long long big = s / u[i].secs, rest = s % u[i].secs;
		if (i + 1 < sizeof u / sizeof u[0] && rest / u[i + 1].secs)
			snprintf(out, size, "%s%llu%c%02llu%c", sign, big, u[i].unit,
				 rest / u[i + 1].secs, u[i + 1].unit);
		else
			snprintf(out, size, "%s%llu%c", sign, big, u[i].unit);
		break;
	}
	return out;
}

/* ---- UTF-8 width and cutting ------------------------------------------ */

/* Columns of one code point. wcwidth knows nothing past ASCII outside a
 * UTF-8 locale: count such characters as one column rather than none. */
static int cp_width(uint32_t cp)
{
	int w = wcwidth((wchar_t)cp);
	if (w >= 0)
		return w;
	return cp >= 0xa0 ? 1 : 0; /* controls take no column */
}

/* One step through a string: bytes taken, columns, and whether valid. */
static int utf8_step(const char *s, int *cols, bool *valid)
{
	uint32_t cp;
	int n = (int)utf8_decode(s, 4, &cp);
	*valid = n > 0;
	if (!n) {
		*cols = 1;
		return 1;
	}
	*cols = cp_width(cp);
	return n;
}

int utf8_width(const char *s)
{
	if (!s)
		return 0;
	int w = 0;
	while (*s) {
		int cw;
		bool valid;
		s += utf8_step(s, &cw, &valid);
		w += cw;
	}
	return w;
}

size_t utf8_fit(const char *s, int cols, enum glyphs g, char *out, size_t size)
{
	if (!out || size == 0)
		return 0;
	out[0] = '\0';
	if (!s || cols <= 0)
		return 0;
	const char *mark = g == GLYPHS_UTF8 ? "\xe2\x80\xa6" : "~";
	size_t mark_len = strlen(mark);
	bool cut = utf8_width(s) > cols;
	/* When cutting, leave a column (and the bytes) for the mark. */
	int room = cut ? cols - 1 : cols;
	size_t len = 0;
	int used = 0;
	while (*s) {
		int cw;
		bool valid;
		int n = utf8_step(s, &cw, &valid);
		if (used + cw > room)
			break;
		size_t need = (size_t)n + (cut ? mark_len : 0);
		if (len + need >= size)
			break; /* out is full: cut cleanly at a character */
		if (valid)
			memcpy(out + len, s, (size_t)n);
		else
			out[len] = '?';
		len += valid ? (size_t)n : 1;
		used += cw;
		s += n;
	}
	if (cut && len + mark_len < size) {
		memcpy(out + len, mark, mark_len);
		len += mark_len;
	}
	out[len] = '\0';
	return len;
}
