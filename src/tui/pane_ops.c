/* The ops pane. Until the bulk-operation engine lands it shows the marked
 * hosts an operation would run on. (The alerts pane is pane_alerts.c.) */
#include <stdio.h>

#include "tui_private.h"

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

const struct pane_ops pane_ops_ops = { "ops", ops_draw, NULL, NULL, NULL, NULL };
