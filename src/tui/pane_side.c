/* The alerts and ops panes. Until the alerting and bulk-operation engines
 * land they show what the engine already knows: hosts that are down or
 * whose probe fails (the "host unreachable" alert of the defaults), and
 * the marked hosts an operation would run on. */
#include <stdio.h>
#include <string.h>

#include "tui_private.h"

static void alerts_draw(struct pane *p, struct tui *t)
{
	struct fleet *f = t->ctx.fleet;
	int down = 0;
	for (size_t i = 0; i < f->nhosts; i++)
		down += f->hosts[i].state == HOST_DOWN || (f->hosts[i].state == HOST_UP && f->hosts[i].error[0]);
	char title[64];
	snprintf(title, sizeof title, "Alerts %d", down);
	draw_frame(t, p, title, t->focus == PANE_ALERTS);
	int y = p->y + 1, w = p->w - 2;
	for (int i = 1; i < p->h - 1; i++)
		draw_fill(t, p->y + i, p->x + 1, w, ROLE_NORMAL);
	if (!down) {
		draw_text(t, y, p->x + 2, w - 1, ROLE_DIM, "no host problems; alert rules: rules.conf (coming)");
		return;
	}
	int64_t now = time_wall_ms();
	for (size_t i = 0; i < f->nhosts && y < p->y + p->h - 1; i++) {
		struct host *h = &f->hosts[i];
		bool crit = h->state == HOST_DOWN;
		if (!crit && !(h->state == HOST_UP && h->error[0]))
			continue;
		char line[400], age[16];
		snprintf(line, sizeof line, "%s %s  %-14s %s · %s", t->glyphs == GLYPHS_UTF8 ? "●" : "*",
			 crit ? "crit" : "warn", h->name, h->error[0] ? h->error : "down",
			 fmt_duration(now - h->state_since_ms, age, sizeof age));
		draw_text(t, y++, p->x + 2, w - 1, crit ? ROLE_CRIT : ROLE_WARN, line);
	}
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
