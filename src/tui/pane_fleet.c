/* The fleet pane: one row a host (or a group header), live sparklines,
 * states and reasons, marks. Only the rows on screen cost drawing time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_private.h"

struct fleet_pane {
	size_t cursor, top;
	uint32_t cursor_host; /* keeps the cursor on its host across rebuilds */
	bool have_cursor_host;
	bool placed;          /* the cursor starts on the first host, not a header */
};

static struct fleet_pane *fp(struct pane *p)
{
	if (!p->state)
		p->state = xcalloc(1, sizeof(struct fleet_pane));
	return p->state;
}

static enum theme_role level_role(double v, double warn, double crit)
{
	return v >= crit ? ROLE_CRIT : v >= warn ? ROLE_WARN : ROLE_OK;
}

static enum theme_role state_role(enum host_state s)
{
	switch (s) {
	case HOST_UP: return ROLE_UP;
	case HOST_DOWN: return ROLE_DOWN;
	case HOST_CONNECTING: return ROLE_CONNECTING;
	default: return ROLE_DIM;
	}
}

struct layout {
	int name_w, group_w, spark_w;
	int x[COL_COUNT], w[COL_COUNT];
};

static void columns_layout(struct tui *t, int inner_w, struct layout *L)
{
	memset(L, 0, sizeof *L);
	int name_w = 4;
	for (size_t i = 0; i < t->ctx.fleet->nhosts; i++) {
		int n = (int)strlen(t->ctx.fleet->hosts[i].name);
		if (n > name_w)
			name_w = n;
	}
	if (name_w > 24)
		name_w = 24;
	/* Fixed parts; the rest is shared by the three sparklines. */
	static const int fixed[COL_COUNT] = {
		[COL_GROUP] = 14, [COL_STATE] = 6, [COL_CPU] = 5, [COL_RAM] = 5, [COL_DISK] = 5,
		[COL_NET] = 6, [COL_PLAYERS] = 8, [COL_TPS] = 5, [COL_ALERT] = 5,
	};
	int used = 2 + name_w, nspark = 0;
	for (int c = 1; c < COL_COUNT; c++)
		if (t->columns[c]) {
			used += fixed[c] + 1;
			nspark += c == COL_CPU || c == COL_RAM || c == COL_NET;
		}
	int spark = nspark ? (inner_w - used) / nspark - 1 : 0;
	if (spark > 20)
		spark = 20;
	if (spark < 0)
		spark = 0;
	L->spark_w = spark;
	int x = 2;
	L->x[COL_HOST] = x;
	L->w[COL_HOST] = name_w;
	x += name_w + 1;
	for (int c = 1; c < COL_COUNT; c++) {
		if (!t->columns[c])
			continue;
		int w = fixed[c];
		if ((c == COL_CPU || c == COL_RAM || c == COL_NET) && spark >= 3)
			w += spark + 1;
		L->x[c] = x;
		L->w[c] = w;
		x += w + 1;
	}
}

static void draw_header(struct tui *t, int y, int x0, int w, const struct layout *L)
{
	static const char *const titles[COL_COUNT] = {
		"HOST", "GROUP", "STATE", "CPU", "RAM", "DISK", "NET", "PLAYERS", "TPS", "ALERT",
	};
	draw_fill(t, y, x0, w, ROLE_HEADER);
	for (int c = 0; c < COL_COUNT; c++) {
		if (c != COL_HOST && !t->columns[c])
			continue;
		char title[32];
		const char *arrow = t->glyphs == GLYPHS_UTF8 ? (t->view.sort_desc ? "▼" : "▲")
							     : (t->view.sort_desc ? "v" : "^");
		snprintf(title, sizeof title, "%s%s", titles[c], t->view.sort == (enum view_col)c ? arrow : "");
		draw_text(t, y, x0 + L->x[c], L->w[c], ROLE_HEADER, title);
	}
}

/* A sparkline and the value after it, in one cell. */
static void spark_cell(struct tui *t, int y, int x, int w, const struct host *h,
		       enum ring_metric m, double lo, double hi, const char *value,
		       enum theme_role value_role)
{
	int vw = (int)strlen(value);
	int sw = w - vw - 1;
	if (sw >= 3) {
		float v[HOST_RING_LEN];
		int n = host_ring_read(h, m, v, HOST_RING_LEN);
		char s[256];
		if (hi <= lo) {
			/* Rates: scale to the host's own recent peak, with headroom so
			 * a steady rate reads as steady, not as maxed out. */
			hi = 1;
			for (int i = 0; i < n; i++)
				if (v[i] > hi)
					hi = v[i];
			hi *= 1.25;
			lo = 0;
		}
		spark_render(v, n, lo, hi, sw, t->glyphs, s, sizeof s);
		draw_text(t, y, x, sw, ROLE_SPARK, s);
		draw_text(t, y, x + sw + 1, vw, value_role, value);
	} else {
		draw_text(t, y, x + w - vw, vw, value_role, value);
	}
}

static enum theme_role severity_role(enum alert_severity s)
{
	return s == SEV_CRITICAL ? ROLE_CRIT : s == SEV_WARNING ? ROLE_WARN : ROLE_INFO;
}

static void draw_host_row(struct tui *t, int y, int x0, int w, const struct layout *L,
			  struct host *h, bool selected)
{
	bool marked = t->view.marked && t->view.marked[h->id];
	enum theme_role base = selected ? ROLE_SELECTED : marked ? ROLE_MARKED : ROLE_NORMAL;
	draw_fill(t, y, x0, w, base);
	const char *mark = marked ? (t->glyphs == GLYPHS_UTF8 ? "●" : "*") : " ";
	draw_text(t, y, x0, 1, base == ROLE_NORMAL ? ROLE_MARKED : base, mark);
	/* The badge: the worst alert firing on the host, between mark and name. */
	enum alert_severity sev = t->ctx.alerts ? alert_engine_host_severity(t->ctx.alerts, h->id)
						: SEV_NONE;
	if (sev != SEV_NONE)
		draw_text(t, y, x0 + 1, 1, severity_role(sev),
			  t->glyphs == GLYPHS_UTF8 ? (sev == SEV_INFO ? "•" : "▲") : "!");
	draw_text(t, y, x0 + L->x[COL_HOST], L->w[COL_HOST], base, h->name);
	if (t->columns[COL_ALERT] && sev != SEV_NONE)
		draw_text(t, y, x0 + L->x[COL_ALERT], L->w[COL_ALERT],
			  selected ? base : severity_role(sev),
			  sev == SEV_CRITICAL ? "crit" : sev == SEV_WARNING ? "warn" : "info");
	if (t->columns[COL_GROUP])
		draw_text(t, y, x0 + L->x[COL_GROUP], L->w[COL_GROUP], selected ? base : ROLE_DIM,
			  h->ngroups ? h->groups[0] : "-");
	if (t->columns[COL_STATE])
		draw_text(t, y, x0 + L->x[COL_STATE], L->w[COL_STATE],
			  selected ? base : state_role(h->state), host_state_name(h->state));
	int metrics_x = x0 + L->x[COL_STATE] + L->w[COL_STATE] + 1;
	if (!t->columns[COL_STATE])
		metrics_x = x0 + L->x[COL_HOST] + L->w[COL_HOST] + 1;
	if (h->state != HOST_UP) {
		/* Down: the reason, and when the next try is, across the metrics. */
		char why[320];
		char retry[32] = "";
		int64_t now = time_wall_ms();
		if (h->state == HOST_DOWN && h->retry_at_ms > now) {
			char d[16];
			snprintf(retry, sizeof retry, " · retry in %s",
				 fmt_duration(h->retry_at_ms - now, d, sizeof d));
		}
		snprintf(why, sizeof why, "%s%s", h->error[0] ? h->error : host_state_name(h->state),
			 retry);
		draw_text(t, y, metrics_x, x0 + w - metrics_x, selected ? base : ROLE_DOWN, why);
		return;
	}
	char val[32];
	double v;
	enum theme_role vr;
	/* Percentages: CPU and RAM with a sparkline, disk without. */
	static const struct {
		enum view_col col;
		const char *metric;
		int ring; /* -1: no sparkline */
		double warn, crit;
	} pct[] = {
		{ COL_CPU, "cpu.util", RING_CPU, 80, 90 },
		{ COL_RAM, "mem.used_pct", RING_MEM, 85, 95 },
		{ COL_DISK, "disk.used_pct", -1, 90, 95 },
	};
	for (size_t i = 0; i < sizeof pct / sizeof pct[0]; i++) {
		enum view_col c = pct[i].col;
		if (!t->columns[c])
			continue;
		bool has = host_get_metric(h, pct[i].metric, &v);
		snprintf(val, sizeof val, has ? "%3.0f%%" : "   -", v);
		vr = selected ? base : has ? level_role(v, pct[i].warn, pct[i].crit) : ROLE_DIM;
		if (pct[i].ring >= 0)
			spark_cell(t, y, x0 + L->x[c], L->w[c], h, (enum ring_metric)pct[i].ring, 0, 100,
				   val, vr);
		else
			draw_text(t, y, x0 + L->x[c], L->w[c], vr, val);
	}
	if (t->columns[COL_NET]) {
		double rx = 0, tx = 0;
		bool has = host_get_metric(h, "net.rx_bps", &rx);
		host_get_metric(h, "net.tx_bps", &tx);
		char num[16];
		snprintf(val, sizeof val, "%6s", has ? fmt_value(rx + tx, true, num, sizeof num) : "-");
		spark_cell(t, y, x0 + L->x[COL_NET], L->w[COL_NET], h, RING_NET_TX, 0, 0, val,
			   selected ? base : ROLE_NORMAL);
	}
	if (t->columns[COL_PLAYERS]) {
		double mx = 0, up = 1;
		enum theme_role pr = ROLE_NORMAL;
		if (host_get_metric(h, "game.up", &up) && up == 0) {
			str_copy(val, "down", sizeof val);
			pr = ROLE_CRIT;
		} else if (host_get_metric(h, "game.players", &v)) {
			if (host_get_metric(h, "game.players_max", &mx))
				snprintf(val, sizeof val, "%.0f/%.0f", v, mx);
			else
				snprintf(val, sizeof val, "%.0f", v);
		} else {
			str_copy(val, "-", sizeof val);
		}
		draw_text(t, y, x0 + L->x[COL_PLAYERS], L->w[COL_PLAYERS], selected ? base : pr, val);
	}
	if (t->columns[COL_TPS]) {
		bool has = host_get_metric(h, "game.tps", &v);
		snprintf(val, sizeof val, has ? "%.1f" : "-", v);
		enum theme_role r = !has ? ROLE_DIM : v < 15 ? ROLE_CRIT : v < 18 ? ROLE_WARN : ROLE_OK;
		draw_text(t, y, x0 + L->x[COL_TPS], L->w[COL_TPS], selected ? base : r, val);
	}
}

static void keep_cursor_visible(struct fleet_pane *s, int rows)
{
	if (rows < 1)
		rows = 1;
	if (s->cursor < s->top)
		s->top = s->cursor;
	if (s->cursor >= s->top + (size_t)rows)
		s->top = s->cursor - (size_t)rows + 1;
}

void fleet_pane_select_host(struct pane *p, struct tui *t, struct host *h)
{
	struct fleet_pane *s = fp(p);
	s->cursor_host = h->id;
	s->have_cursor_host = true;
	s->placed = true;
	t->current = h;
	fleet_pane_sync_cursor(p, t);
}

void fleet_pane_sync_cursor(struct pane *p, struct tui *t)
{
	struct fleet_pane *s = fp(p);
	struct fleet_view *v = &t->view;
	if (v->nrows == 0) {
		s->cursor = s->top = 0;
		t->current = NULL;
		return;
	}
	if (!s->placed) {
		for (size_t i = 0; i < v->nrows; i++)
			if (v->rows[i].kind == ROW_HOST) {
				s->cursor = i;
				s->cursor_host = v->rows[i].host->id;
				s->have_cursor_host = true;
				s->placed = true;
				break;
			}
	}
	if (s->have_cursor_host) {
		for (size_t i = 0; i < v->nrows; i++)
			if (v->rows[i].kind == ROW_HOST && v->rows[i].host->id == s->cursor_host) {
				s->cursor = i;
				break;
			}
	}
	if (s->cursor >= v->nrows)
		s->cursor = v->nrows - 1;
	struct view_row *r = &v->rows[s->cursor];
	t->current = r->kind == ROW_HOST ? r->host : t->current;
	if (r->kind == ROW_HOST) {
		s->cursor_host = r->host->id;
		s->have_cursor_host = true;
	}
}

static void fleet_draw(struct pane *p, struct tui *t)
{
	struct fleet_pane *s = fp(p);
	struct fleet_view *v = &t->view;
	char title[160];
	size_t marked = view_marked_count(v);
	int n = snprintf(title, sizeof title, "Fleet %zu/%zu", v->nshown, t->ctx.fleet->nhosts);
	if (v->filter_text && *v->filter_text)
		n += snprintf(title + n, sizeof title - (size_t)n, " · /%s", v->filter_text);
	if (marked)
		snprintf(title + n, sizeof title - (size_t)n, " · %zu marked", marked);
	draw_frame(t, p, title, t->focus == PANE_FLEET);
	int x0 = p->x + 1, w = p->w - 2, y0 = p->y + 1, h = p->h - 2;
	if (w < 10 || h < 2)
		return;
	struct layout L;
	columns_layout(t, w, &L);
	draw_header(t, y0, x0, w, &L);
	int rows = h - 1;
	fleet_pane_sync_cursor(p, t);
	keep_cursor_visible(s, rows);
	for (int i = 0; i < rows; i++) {
		size_t ri = s->top + (size_t)i;
		int y = y0 + 1 + i;
		if (ri >= v->nrows) {
			draw_fill(t, y, x0, w, ROLE_NORMAL);
			continue;
		}
		struct view_row *r = &v->rows[ri];
		bool selected = ri == s->cursor && t->focus == PANE_FLEET;
		if (r->kind == ROW_GROUP) {
			char g[160];
			const char *arrow = t->glyphs == GLYPHS_UTF8 ? (r->collapsed ? "▸" : "▾")
								     : (r->collapsed ? "+" : "-");
			snprintf(g, sizeof g, "%s @%s (%d)", arrow, r->group, r->count);
			draw_fill(t, y, x0, w, selected ? ROLE_SELECTED : ROLE_GROUP);
			draw_text(t, y, x0, w, selected ? ROLE_SELECTED : ROLE_GROUP, g);
		} else {
			draw_host_row(t, y, x0, w, &L, r->host, selected);
		}
	}
	if (v->nrows == 0)
		draw_text(t, y0 + 1, x0 + 2, w - 2, ROLE_DIM,
			  v->filter_text && *v->filter_text ? "no host matches the filter (Esc in / clears it)"
							    : "no hosts in the inventory");
}

static void move_cursor(struct pane *p, struct tui *t, long delta)
{
	struct fleet_pane *s = fp(p);
	struct fleet_view *v = &t->view;
	if (!v->nrows)
		return;
	long c = (long)s->cursor + delta;
	if (c < 0)
		c = 0;
	if (c >= (long)v->nrows)
		c = (long)v->nrows - 1;
	s->cursor = (size_t)c;
	struct view_row *r = &v->rows[s->cursor];
	if (r->kind == ROW_HOST) {
		s->cursor_host = r->host->id;
		s->have_cursor_host = true;
		t->current = r->host;
	} else {
		s->have_cursor_host = false;
	}
	t->dirty = true;
}

static bool fleet_key(struct pane *p, struct tui *t, int key)
{
	struct fleet_pane *s = fp(p);
	struct fleet_view *v = &t->view;
	int page = p->h - 3 > 1 ? p->h - 3 : 1;
	struct view_row *r = v->nrows ? &v->rows[s->cursor] : NULL;
	switch (key) {
	case KEY_UP: case 'k': move_cursor(p, t, -1); return true;
	case KEY_DOWN: case 'j': move_cursor(p, t, 1); return true;
	case KEY_PPAGE: move_cursor(p, t, -page); return true;
	case KEY_NPAGE: move_cursor(p, t, page); return true;
	case KEY_HOME: move_cursor(p, t, -(long)v->nrows); return true;
	case KEY_END: move_cursor(p, t, (long)v->nrows); return true;
	case KEY_LEFT:
	case KEY_RIGHT:
		if (r) {
			const char *g = r->group;
			bool fold = key == KEY_LEFT;
			bool collapsed = false;
			for (size_t i = 0; i < v->ncollapsed; i++)
				collapsed |= !strcmp(v->collapsed[i], g);
			if (g && v->grouped && collapsed != fold) {
				view_toggle_collapse(v, g);
				view_rebuild(v);
				/* Stay on the group's header. */
				for (size_t i = 0; i < v->nrows; i++)
					if (v->rows[i].kind == ROW_GROUP && !strcmp(v->rows[i].group, g))
						s->cursor = i;
				s->have_cursor_host = false;
			}
		}
		t->dirty = true;
		return true;
	case ' ':
		if (r && r->kind == ROW_GROUP) {
			const char *g = r->group;
			view_toggle_collapse(v, g);
			view_rebuild(v);
			for (size_t i = 0; i < v->nrows; i++)
				if (v->rows[i].kind == ROW_GROUP && !strcmp(v->rows[i].group, g))
					s->cursor = i;
			s->have_cursor_host = false;
		} else if (r) {
			if (t->opts.read_only) {
				tui_message(t, true, "read-only: marking is off");
				return true;
			}
			view_mark(v, r->host, !v->marked[r->host->id]);
			move_cursor(p, t, 1);
		}
		t->dirty = true;
		return true;
	default:
		return false;
	}
}

static void fleet_click(struct pane *p, struct tui *t, int y, int x)
{
	struct fleet_pane *s = fp(p);
	(void)x;
	if (y < 1)
		return; /* the header row */
	size_t ri = s->top + (size_t)(y - 1);
	if (ri < t->view.nrows)
		move_cursor(p, t, (long)ri - (long)s->cursor);
}

static void fleet_scroll(struct pane *p, struct tui *t, int lines)
{
	move_cursor(p, t, lines);
}

static void fleet_pane_free(struct pane *p)
{
	free(p->state);
	p->state = NULL;
}

const struct pane_ops pane_fleet_ops = {
	"fleet", fleet_draw, fleet_key, fleet_click, fleet_scroll, fleet_pane_free,
};

int fleet_pane_draw_bench(struct tui *t)
{
	fleet_draw(&t->panes[PANE_FLEET], t);
	return 0;
}
