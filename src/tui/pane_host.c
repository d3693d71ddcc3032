/* The host pane: a graph per metric of the host under the cursor, read
 * from the history (rollups for long ranges), with a value axis, time
 * labels and now/min/avg/max. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_private.h"

static const struct {
	const char *metric, *label;
	bool bytes, pct;
} graphs[] = {
	{ "cpu.util", "CPU %", false, true },
	{ "mem.used_pct", "RAM %", false, true },
	{ "disk.used_pct", "Disk %", false, true },
	{ "net.rx_bps", "Net in B/s", true, false },
	{ "net.tx_bps", "Net out B/s", true, false },
	{ "load.1", "Load 1m", false, false },
	{ "game.players", "Players", false, false },
	{ "game.tps", "TPS", false, false },
	{ "game.mspt", "Tick ms", false, false },
	{ "game.latency_ms", "Query latency ms", false, false },
	{ "proc.cpu", "Game process CPU %", false, false },
	{ "proc.rss_bytes", "Game process RSS", true, false },
	{ "game.world_bytes", "World size", true, false },
	{ "disk.read_bps", "Disk read B/s", true, false },
	{ "disk.write_bps", "Disk write B/s", true, false },
};
#define NGRAPHS (sizeof graphs / sizeof graphs[0])

struct series {
	int64_t *t;
	double *v;
	int n;
};

/* The ranges of the keys 1-4: the steps the range fitting goes through. */
static const int64_t range_steps[] = { 5 * 60000LL, 3600000LL, 24 * 3600000LL,
				       7 * 24 * 3600000LL };
#define NSTEPS (sizeof range_steps / sizeof range_steps[0])

struct host_pane {
	int64_t range_ms, offset_ms; /* shows [now - offset - range, now - offset] */
	/* The user picked a range (1-4, : range, [ ]). Until then the range
	 * fits the host's history: the smallest step that holds it all. */
	bool range_chosen;
	int first;                   /* first graph shown (scrolling) */
	uint32_t host_id;
	bool have_host;
	int64_t fetched_at;          /* loop time of the last history read */
	int64_t fetched_range, fetched_offset;
	struct series data[NGRAPHS];
};

static struct host_pane *hp(struct pane *p)
{
	if (!p->state) {
		struct host_pane *s = xcalloc(1, sizeof *s);
		s->range_ms = range_steps[0];
		p->state = s;
	}
	return p->state;
}

void host_pane_set_range(struct pane *p, struct tui *t, int64_t range_ms)
{
	struct host_pane *s = hp(p);
	s->range_ms = range_ms;
	s->offset_ms = 0;
	s->range_chosen = true;
	t->dirty = true;
}

int64_t host_range_fit(int64_t range_ms, int64_t from_ms, int64_t oldest_ms,
			int64_t interval_ms)
{
	size_t step = 0;
	while (step < NSTEPS && range_steps[step] <= range_ms)
		step++;
	if (step >= NSTEPS || oldest_ms == INT64_MAX)
		return range_ms;
	/* The first sample may be an interval late, a rollup's a minute. */
	int64_t margin = range_ms / 20;
	if (margin < 2 * interval_ms)
		margin = 2 * interval_ms;
	if (range_ms > 2 * 3600000LL && margin < 2 * 60000)
		margin = 2 * 60000;
	return oldest_ms - from_ms <= margin ? range_steps[step] : range_ms;
}

/* Until the user picks a range: true (and the next step in s->range_ms)
 * when the history just read reaches back to the start of the range. */
static bool range_grow(struct host_pane *s, const struct tui *t, int64_t from)
{
	if (s->range_chosen || s->offset_ms)
		return false;
	int64_t oldest = INT64_MAX;
	for (size_t g = 0; g < NGRAPHS; g++)
		if (s->data[g].n && s->data[g].t[0] < oldest)
			oldest = s->data[g].t[0];
	int64_t interval = t->ctx.settings ? t->ctx.settings->interval_ms : 1000;
	int64_t next = host_range_fit(s->range_ms, from, oldest, interval);
	if (next == s->range_ms)
		return false;
	s->range_ms = next;
	return true;
}

static void fetch(struct host_pane *s, struct tui *t, const struct host *h)
{
	int64_t now = loop_now_ms(t->ctx.loop);
	/* Short ranges follow the data closely; long ones need not. */
	int64_t every = s->range_ms <= 3600 * 1000 ? 1000 : 10000;
	bool same = s->have_host && s->host_id == h->id && s->fetched_range == s->range_ms &&
		    s->fetched_offset == s->offset_ms;
	if (same && now - s->fetched_at < every)
		return;
	/* Another host has a history of its own to fit. */
	if (!s->range_chosen && s->have_host && s->host_id != h->id)
		s->range_ms = range_steps[0];
	s->host_id = h->id;
	s->have_host = true;
	s->fetched_at = now;
	int64_t from;
	do { /* again at the next step while the history fills the range */
		s->fetched_range = s->range_ms;
		s->fetched_offset = s->offset_ms;
		int64_t to = time_wall_ms() - s->offset_ms;
		from = to - s->range_ms;
		for (size_t g = 0; g < NGRAPHS; g++) {
			struct series *d = &s->data[g];
			free(d->t);
			free(d->v);
			memset(d, 0, sizeof *d);
			if (!t->ctx.store)
				continue;
			struct store_point *pts = NULL;
			size_t n = 0;
			struct error err;
			if (store_query(t->ctx.store, h->name, graphs[g].metric, from, to, STORE_AUTO,
					&pts, &n, &err) < 0) {
				tui_message(t, true, "%s", err.msg);
				continue;
			}
			d->t = xmalloc((n ? n : 1) * sizeof *d->t);
			d->v = xmalloc((n ? n : 1) * sizeof *d->v);
			for (size_t i = 0; i < n; i++) {
				d->t[i] = pts[i].ts_ms;
				d->v[i] = pts[i].avg;
			}
			d->n = (int)n;
			free(pts);
		}
	} while (range_grow(s, t, from));
}

/* 5m, 1h, 24h, 7d — as the keys and the : range command name them. */
static const char *range_label(int64_t ms, char *out, size_t size)
{
	if (ms % (7 * 86400000LL) == 0 && ms >= 7 * 86400000LL)
		snprintf(out, size, "%lldd", (long long)(ms / 86400000LL));
	else if (ms % 3600000LL == 0)
		snprintf(out, size, "%lldh", (long long)(ms / 3600000LL));
	else if (ms % 60000LL == 0)
		snprintf(out, size, "%lldm", (long long)(ms / 60000LL));
	else
		fmt_duration(ms, out, size);
	return out;
}

static void draw_graph(struct tui *t, int y, int x, int w, int h, size_t g, const struct series *d,
		       int64_t from, int64_t to)
{
	char title[160], a[16], b[16], c[16], e[16];
	double mn = INFINITY, mx = -INFINITY, sum = 0;
	for (int i = 0; i < d->n; i++) {
		mn = d->v[i] < mn ? d->v[i] : mn;
		mx = d->v[i] > mx ? d->v[i] : mx;
		sum += d->v[i];
	}
	bool bytes = graphs[g].bytes;
	if (d->n)
		snprintf(title, sizeof title, "%s  now %s  min %s  avg %s  max %s", graphs[g].label,
			 fmt_value(d->v[d->n - 1], bytes, a, sizeof a), fmt_value(mn, bytes, b, sizeof b),
			 fmt_value(sum / d->n, bytes, c, sizeof c), fmt_value(mx, bytes, e, sizeof e));
	else
		snprintf(title, sizeof title, "%s  no data in this range", graphs[g].label);
	draw_text(t, y, x, w, ROLE_HEADER, title);
	int gh = h - 2, axis_w = 6, gw = w - axis_w;
	if (gh < 1 || gw < 4)
		return;
	double lo = 0, hi = 100;
	if (!graphs[g].pct || mx > 100) {
		axis_nice(d->n ? mn : 0, d->n ? mx : 1, &lo, &hi);
		if (hi <= lo)
			hi = lo + 1;
	}
	char *rows[128];
	char store[128][512 * 3 + 1];
	if (gh > 128)
		gh = 128;
	if (gw > 512)
		gw = 512;
	for (int r = 0; r < gh; r++)
		rows[r] = store[r];
	/* A gap of more than 3 samples' worth (or 90 s) is not joined: down. */
	int64_t gap = (to - from) / (gw * 2) * 3;
	if (gap < 90000)
		gap = 90000;
	graph_render(d->t, d->v, d->n, from, to, lo, hi, gap, gw, gh, t->glyphs, rows);
	for (int r = 0; r < gh; r++) {
		char label[16] = "";
		if (r == 0)
			fmt_value(hi, bytes, label, sizeof label);
		else if (r == gh - 1)
			fmt_value(lo, bytes, label, sizeof label);
		else if (r == gh / 2 && gh >= 5)
			fmt_value((hi + lo) / 2, bytes, label, sizeof label);
		char cell[24];
		const char *tick = t->glyphs == GLYPHS_UTF8 ? (r == gh - 1 ? "┼" : "┤") : "|";
		snprintf(cell, sizeof cell, "%5s%s", label, tick);
		draw_text(t, y + 1 + r, x, axis_w, ROLE_AXIS, cell);
		if (t->glyphs == GLYPHS_UTF8) {
			draw_text(t, y + 1 + r, x + axis_w, gw, ROLE_GRAPH, rows[r]);
			continue;
		}
		/* Without UTF-8: an area of '#' under each column's point (the
		 * VT100 block character shows as a '0' where the terminal does
		 * not switch character sets, so plain ASCII it is). */
		attrset(t->attr[ROLE_GRAPH]);
		for (int col = 0; col < gw; col++) {
			bool under = false;
			for (int rr = 0; rr <= r && !under; rr++)
				under = rows[rr][col] == '*';
			mvaddch(y + 1 + r, x + axis_w + col, under ? '#' : ' ');
		}
		attrset(t->attr[ROLE_NORMAL]);
	}
	/* Time labels: start, middle, end. */
	char l0[16], l1[16], l2[16];
	int64_t now = time_wall_ms();
	fmt_ago(now - from, l0, sizeof l0);
	fmt_ago(now - (from + to) / 2, l1, sizeof l1);
	fmt_ago(now - to, l2, sizeof l2);
	int ly = y + 1 + gh;
	draw_fill(t, ly, x, w, ROLE_NORMAL);
	draw_text(t, ly, x + axis_w, 12, ROLE_AXIS, l0);
	draw_text(t, ly, x + axis_w + gw / 2 - (int)strlen(l1) / 2, 12, ROLE_AXIS, l1);
	draw_text(t, ly, x + w - (int)strlen(l2), (int)strlen(l2), ROLE_AXIS, l2);
}

/* The game block: one summary line, any problem, then the players in as
 * many columns as fit; returns the rows used (at most max). */
static int draw_game(struct tui *t, int y, int x, int w, int max, const struct host *h)
{
	double up, v;
	if (!host_get_metric(h, "game.up", &up)) {
		const char *e = host_get_info(h, "game.error");
		if (!e)
			return 0;
		draw_text(t, y, x + 1, w - 1, ROLE_WARN, e);
		return 1;
	}
	int rows = 0;
	char line[400];
	size_t o = 0;
	const char *game = host_var(h, "game"), *map = host_get_info(h, "game.map");
	const char *ver = host_get_info(h, "game.version"), *via = host_get_info(h, "game.via");
	o += (size_t)snprintf(line + o, sizeof line - o, "%s", game ? game : "game");
	if (up == 0) {
		snprintf(line + o, sizeof line - o, " · not answering");
		draw_text(t, y + rows++, x + 1, w - 1, ROLE_CRIT, line);
	} else {
		if (map && o < sizeof line)
			o += (size_t)snprintf(line + o, sizeof line - o, " · %s", map);
		if (host_get_metric(h, "game.players", &v) && o < sizeof line) {
			double mx = 0, bots = 0;
			host_get_metric(h, "game.players_max", &mx);
			o += (size_t)snprintf(line + o, sizeof line - o, " · %.0f/%.0f players", v, mx);
			if (host_get_metric(h, "game.bots", &bots) && bots > 0 && o < sizeof line)
				o += (size_t)snprintf(line + o, sizeof line - o, " (%.0f bots)", bots);
		}
		if (host_get_metric(h, "game.tps", &v) && o < sizeof line)
			o += (size_t)snprintf(line + o, sizeof line - o, " · %.1f TPS", v);
		if (host_get_metric(h, "game.mspt", &v) && o < sizeof line)
			o += (size_t)snprintf(line + o, sizeof line - o, " · %.1f ms/tick", v);
		if (host_get_metric(h, "game.latency_ms", &v) && o < sizeof line)
			o += (size_t)snprintf(line + o, sizeof line - o, " · %.0f ms", v);
		if (ver && o < sizeof line)
			o += (size_t)snprintf(line + o, sizeof line - o, " · %s", ver);
		if (via && !strcmp(via, "ssh") && o < sizeof line)
			snprintf(line + o, sizeof line - o, " · via ssh");
		draw_text(t, y + rows++, x + 1, w - 1, ROLE_OK, line);
	}
	static const char *const notes[] = { "game.error", "proc.error", "custom.error" };
	for (size_t i = 0; i < 3 && rows < max; i++) {
		const char *e = host_get_info(h, notes[i]);
		if (e)
			draw_text(t, y + rows++, x + 1, w - 1, ROLE_WARN, e);
	}
	const char *list = up ? host_get_info(h, "game.players_list") : NULL;
	if (!list || !*list || rows >= max)
		return rows;
	/* Names in columns of 24; as many rows as are left. */
	int cols = (w - 1) / 24 > 0 ? (w - 1) / 24 : 1, col = 0;
	struct player_entry pe;
	while (rows < max && players_list_next(&list, &pe)) {
		char cell[64];
		snprintf(cell, sizeof cell, "%.18s %d", pe.name, pe.score);
		draw_text(t, y + rows, x + 1 + col * 24, 23, ROLE_NORMAL, cell);
		if (++col == cols) {
			col = 0;
			rows++;
		}
	}
	return col ? rows + 1 : rows;
}

static void host_draw(struct pane *p, struct tui *t)
{
	struct host_pane *s = hp(p);
	const struct host *h = t->current;
	char title[200], r[32];
	if (!h) {
		draw_frame(t, p, "Host", t->focus == PANE_HOST);
		draw_text(t, p->y + 1, p->x + 2, p->w - 4, ROLE_DIM, "no host selected");
		return;
	}
	fetch(s, t, h); /* first: it may fit the range to the history */
	snprintf(title, sizeof title, "%s · %s · %s%s", h->name, host_state_name(h->state),
		 range_label(s->range_ms, r, sizeof r), s->offset_ms ? " (past)" : "");
	draw_frame(t, p, title, t->focus == PANE_HOST);
	for (int i = 1; i < p->h - 1; i++)
		draw_fill(t, p->y + i, p->x + 1, p->w - 2, ROLE_NORMAL);
	int x = p->x + 1, w = p->w - 2, y = p->y + 1, inner = p->h - 2;
	if (h->state != HOST_UP && h->error[0]) {
		draw_text(t, y++, x + 1, w - 1, ROLE_DOWN, h->error);
		inner--;
	}
	int used = draw_game(t, y, x, w, inner / 3 > 3 ? inner / 3 : 3, h);
	y += used;
	inner -= used;
	/* Graphs with data first, in the table's order. */
	size_t order[NGRAPHS];
	int n = 0;
	for (size_t g = 0; g < NGRAPHS; g++)
		if (s->data[g].n)
			order[n++] = g;
	if (n == 0) {
		draw_text(t, y, x + 1, w - 1, ROLE_DIM, "no history for this host in this range yet");
		return;
	}
	int gh = inner / n;
	if (gh < 6)
		gh = inner >= 6 ? 6 : inner;
	int fit = gh ? inner / gh : 0;
	if (s->first > n - fit)
		s->first = n - fit > 0 ? n - fit : 0;
	int64_t to = time_wall_ms() - s->offset_ms, from = to - s->range_ms;
	for (int i = 0; i < fit && s->first + i < n; i++) {
		size_t g = order[s->first + i];
		draw_graph(t, y + i * gh, x, w, gh, g, &s->data[g], from, to);
	}
	if (fit < n) {
		char more[64];
		snprintf(more, sizeof more, " %d-%d of %d graphs (j/k) ", s->first + 1,
			 s->first + fit, n);
		draw_text(t, p->y + p->h - 1, p->x + p->w - 1 - (int)strlen(more), (int)strlen(more),
			  ROLE_PANE_TITLE, more);
	}
}

static bool host_key(struct pane *p, struct tui *t, int key)
{
	struct host_pane *s = hp(p);
	switch (key) {
	case '1': case '2': case '3': case '4':
		host_pane_set_range(p, t, range_steps[key - '1']);
		return true;
	case '[':
		s->range_chosen = true; /* paging through time at this range */
		s->offset_ms += s->range_ms / 2;
		break;
	case ']':
		s->range_chosen = true;
		s->offset_ms -= s->range_ms / 2;
		if (s->offset_ms < 0)
			s->offset_ms = 0;
		break;
	case 'j': case KEY_DOWN:
		s->first++;
		break;
	case 'k': case KEY_UP:
		if (s->first > 0)
			s->first--;
		break;
	default:
		return false;
	}
	t->dirty = true;
	return true;
}

static void host_scroll(struct pane *p, struct tui *t, int lines)
{
	host_key(p, t, lines > 0 ? 'j' : 'k');
}

static void host_free(struct pane *p)
{
	struct host_pane *s = p->state;
	if (!s)
		return;
	for (size_t g = 0; g < NGRAPHS; g++) {
		free(s->data[g].t);
		free(s->data[g].v);
	}
	free(s);
	p->state = NULL;
}

const struct pane_ops pane_host_ops = { "host", host_draw, host_key, NULL, host_scroll, host_free };
