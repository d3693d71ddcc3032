/* Widgets that render into UTF-8 strings, not into ncurses, so they can be
 * tested and timed without a terminal. The panes put the strings on
 * screen. Every function is pure and never writes past `size`. */
#ifndef FLEETOP_TUI_WIDGETS_H
#define FLEETOP_TUI_WIDGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Character set: UTF-8 block and braille characters, or ASCII only (for
 * terminals and locales that are not UTF-8). */
enum glyphs { GLYPHS_UTF8, GLYPHS_ASCII };

/* A sparkline of the last `width` of n values, each scaled into [lo, hi]
 * (values outside are clamped; lo == hi: all at the bottom). UTF-8 uses
 * ▁▂▃▄▅▆▇█, ASCII uses _.-=^#. Fewer values than width are right-aligned
 * (padded with spaces on the left), as the newest value is on the right.
 * NaN values draw as a space. Writes a NUL-terminated string; returns
 * its length in bytes. */
size_t spark_render(const float *v, int n, double lo, double hi, int width, enum glyphs g,
		    char *out, size_t size);

/* Largest canvas graph_render draws (cells); bigger ones are cut to it.
 * The dot bitmap lives on the stack, so rendering is reentrant and does
 * not allocate. */
#define GRAPH_MAX_W 512
#define GRAPH_MAX_H 128

/* A graph of points (t[i], v[i]) on a canvas of w×h cells covering time
 * [t0, t1] and values [lo, hi]. UTF-8: braille, each cell 2×4 dots, points
 * joined by lines; ASCII: one '*' per column at the value. Points outside
 * the time range are dropped; values are clamped. rows[0] is the top row;
 * each rows[r] must hold at least w*3+1 bytes (braille is 3 bytes a cell).
 * Gaps in time longer than max_gap are not joined (a host that was down);
 * max_gap <= 0 joins every pair. NaN values are not drawn and break the
 * line. Cells without dots are spaces (clean copy/paste and captures). */
void graph_render(const int64_t *t, const double *v, int n, int64_t t0, int64_t t1, double lo,
		  double hi, int64_t max_gap, int w, int h, enum glyphs g, char **rows);

/* A "nice" axis for values in [min, max]: lo <= min, hi >= max, both round
 * (0, 50, 100; 0, 2.5M, 5M ...); lo is 0 when min >= 0 and the range is
 * not far from 0. */
void axis_nice(double min, double max, double *lo, double *hi);

/* Short human values of at most 6 columns: 94 / 94.5 / 0.3 / -12.
 * bytes: 1024-based with K M G T P (3.1K, 5.2M, 1.2G);
 * otherwise 1000-based with k M G T P (3.1k, 5.2M, 1.2G).
 * One decimal below 10 of a unit, none above; NaN is "-".
 * Returns out (always NUL-terminated when size > 0). */
const char *fmt_value(double v, bool bytes, char *out, size_t size);
/* Durations, truncated: 450ms, 45s, 12m, 3h05m, 2d04h (negative: "-"). */
const char *fmt_duration(int64_t ms, char *out, size_t size);
/* Relative time labels for an axis, ms being how long ago: "now" (under
 * a second), "-45s", "-30m", "-1h", "-1h30m", "-2d"; the future gets "+". */
const char *fmt_ago(int64_t ms, char *out, size_t size);

/* Display width in terminal columns of a UTF-8 string (wcwidth), and a
 * copy cut to at most `cols` columns (adding "…" / "~" when cut), never
 * splitting a character. A byte that is not valid UTF-8 counts one column
 * and is copied as '?', so the terminal never gets a broken sequence.
 * utf8_fit returns the length written in bytes. */
int utf8_width(const char *s);
size_t utf8_fit(const char *s, int cols, enum glyphs g, char *out, size_t size);

#endif
