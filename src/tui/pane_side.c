/* The alerts and ops panes. Until the alerting and bulk-operation engines
 * land they show what the engine already knows: hosts that are down or
 * whose probe fails (the "host unreachable" alert of the defaults), games
 * not answering, the latest events hosts reported, and the marked hosts an
 * operation would run on. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fleetop/store.h"
#include "tui_private.h"

static bool game_down(const struct host *h)
{
	double up;
	return host_get_metric(h, "game.up", &up) && up == 0;
}

struct event_rows {
	struct tui *t;
	struct pane *p;
	int y, w;
};

static void event_row(void *arg, const struct store_event *ev)
{
	struct event_rows *r = arg;
	if (r->y >= r->p->y + r->p->h - 1)
		return;
	time_t sec = (time_t)(ev->ts_ms / 1000);
	struct tm tm;
	char when[16], line[700];
	localtime_r(&sec, &tm);
	strftime(when, sizeof when, "%H:%M:%S", &tm);
	snprintf(line, sizeof line, "%s %-8s %-14s %s: %s", when, ev->severity, ev->host, ev->kind,
		 ev->message);
	enum theme_role role = !strcmp(ev->severity, "critical") ? ROLE_CRIT
			       : !strcmp(ev->severity, "warning") ? ROLE_WARN : ROLE_NORMAL;
	draw_text(r->t, r->y++, r->p->x + 2, r->w - 1, role, line);
}

/* The latest events, newest first, in the rows left. */
static void draw_events(struct pane *p, struct tui *t, int y, int w)
{
	int rows = p->y + p->h - 1 - y;
	if (!t->ctx.store || rows < 2)
		return;
	draw_text(t, y++, p->x + 2, w - 1, ROLE_AXIS, "Events (24h)");
	struct event_rows r = { t, p, y, w };
	struct error err;
	if (store_events(t->ctx.store, time_wall_ms() - 24 * 3600 * 1000LL, NULL, rows - 1, event_row,
			 &r, &err) < 0)
		draw_text(t, y, p->x + 2, w - 1, ROLE_WARN, err.msg);
	else if (r.y == y)
		draw_text(t, y, p->x + 2, w - 1, ROLE_DIM, "none");
}

static void alerts_draw(struct pane *p, struct tui *t)
{
	struct fleet *f = t->ctx.fleet;
	int down = 0;
	for (size_t i = 0; i < f->nhosts; i++)
		down += f->hosts[i].state == HOST_DOWN ||
			(f->hosts[i].state == HOST_UP && f->hosts[i].error[0]) || game_down(&f->hosts[i]);
	char title[64];
	snprintf(title, sizeof title, "Alerts %d", down);
	draw_frame(t, p, title, t->focus == PANE_ALERTS);
	int y = p->y + 1, w = p->w - 2;
	for (int i = 1; i < p->h - 1; i++)
		draw_fill(t, p->y + i, p->x + 1, w, ROLE_NORMAL);
	if (!down)
		draw_text(t, y++, p->x + 2, w - 1, ROLE_DIM, "no host problems; alert rules: rules.conf (coming)");
	int64_t now = time_wall_ms();
	/* Problems get at most two thirds of the pane; events the rest. */
	int last = p->y + 1 + (p->h - 2) * 2 / 3;
	for (size_t i = 0; i < f->nhosts && y < last; i++) {
		struct host *h = &f->hosts[i];
		bool crit = h->state == HOST_DOWN;
		const char *why = h->error[0] ? h->error : "down";
		if (!crit && !(h->state == HOST_UP && h->error[0])) {
			if (!game_down(h))
				continue;
			why = host_get_info(h, "game.error");
			why = why ? why : "game not answering";
		}
		char line[400], age[16];
		/* The age is the SSH state's; a game's own outage has none kept. */
		snprintf(line, sizeof line, "%s %s  %-14s %s%s%s", t->glyphs == GLYPHS_UTF8 ? "●" : "*",
			 crit ? "crit" : "warn", h->name, why, h->error[0] || crit ? " · " : "",
			 h->error[0] || crit ? fmt_duration(now - h->state_since_ms, age, sizeof age) : "");
		draw_text(t, y++, p->x + 2, w - 1, crit ? ROLE_CRIT : ROLE_WARN, line);
	}
	draw_events(p, t, y, w);
}

static void ops_draw(struct pane *p, struct tui *t)
{
	draw_frame(t, p, "Ops", t->focus == PANE_OPS);
	int w = p->w - 2;
	for (int i = 1; i < p->h - 1; i++)
		draw_fill(t, p->y + i, p->x + 1, w, ROLE_NORMAL);
	char line[160];
	size_t marked = view_marked_count(&t->view);
	if (t->opts.read_only)
		snprintf(line, sizeof line, "read-only console: no operations");
	else if (marked)
		snprintf(line, sizeof line, "no operation running · %zu hosts marked", marked);
	else
		snprintf(line, sizeof line, "no operation running · mark hosts with Space");
	draw_text(t, p->y + 1, p->x + 2, w - 1, ROLE_DIM, line);
}

const struct pane_ops pane_alerts_ops = { "alerts", alerts_draw, NULL, NULL, NULL, NULL };
const struct pane_ops pane_ops_ops = { "ops", ops_draw, NULL, NULL, NULL, NULL };
