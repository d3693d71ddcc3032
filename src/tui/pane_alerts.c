/* The alerts pane. With the alert engine: the open alerts, firing first,
 * grouped as the engine groups their notifications (a header a group,
 * folded until opened), each with severity, state, host, age, value,
 * acknowledgement and mutes; keys acknowledge, silence, show the runbook
 * and jump to the host. Below them, and on their own without an engine,
 * what the engine knows without rules: hosts down or failing, games not
 * answering (only without an engine: with one these are alerts too), and
 * the latest events hosts reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert_view.h"
#include "fleetop/store.h"
#include "tui_private.h"

struct alerts_pane {
	struct alert_view view;
	size_t cursor, top;
	int64_t sel_id;   /* the alert under the cursor; 0 on a group header */
	char *sel_key;    /* the group key under the cursor */
	char *silence;    /* matchers waiting for the prompt's duration */
};

static struct alerts_pane *ap(struct pane *p)
{
	if (!p->state)
		p->state = xcalloc(1, sizeof(struct alerts_pane));
	return p->state;
}

static void remember(struct alerts_pane *s)
{
	free(s->sel_key);
	s->sel_key = NULL;
	s->sel_id = 0;
	if (s->cursor >= s->view.nrows)
		return;
	const struct alert_row *r = &s->view.rows[s->cursor];
	s->sel_id = r->kind == AROW_ALERT ? r->alert->id : 0;
	s->sel_key = r->group_key ? xstrdup(r->group_key) : NULL;
}

/* Rows from the engine's list now, the cursor kept on its alert. */
static void rows_update(struct pane *p, struct tui *t)
{
	struct alerts_pane *s = ap(p);
	const struct alert_info *a = NULL;
	size_t n = t->ctx.alerts ? alert_engine_alerts(t->ctx.alerts, &a) : 0;
	alert_view_build(&s->view, a, n);
	s->cursor = alert_view_find(&s->view, s->sel_id, s->sel_key, s->cursor);
	remember(s);
}

static const struct alert_row *current_row(struct pane *p, struct tui *t)
{
	struct alerts_pane *s = ap(p);
	rows_update(p, t);
	return s->cursor < s->view.nrows ? &s->view.rows[s->cursor] : NULL;
}

uint64_t alerts_pane_digest(const struct tui *t)
{
	if (!t->ctx.alerts)
		return 0;
	const struct alert_info *a;
	size_t n = alert_engine_alerts(t->ctx.alerts, &a);
	return alert_view_digest(a, n);
}

size_t alerts_firing(const struct tui *t)
{
	const struct alert_info *a;
	size_t n = alert_engine_alerts(t->ctx.alerts, &a), firing = 0;
	for (size_t i = 0; i < n; i++)
		firing += a[i].state == ALERT_FIRING && !a[i].muted;
	return firing;
}

/* Drawing */

static enum theme_role severity_role(enum alert_severity s)
{
	return s == SEV_CRITICAL ? ROLE_CRIT : s == SEV_WARNING ? ROLE_WARN : ROLE_INFO;
}

static const char *severity_short(enum alert_severity s)
{
	return s == SEV_CRITICAL ? "crit" : s == SEV_WARNING ? "warn" : "info";
}

static const char *mute_name(unsigned muted)
{
	return muted & ALERT_MUTE_SILENCED	 ? "silenced"
	       : muted & ALERT_MUTE_MAINTENANCE ? "maint"
	       : muted & ALERT_MUTE_INHIBITED	 ? "inhibited"
						 : "";
}

/* Text at x, cut at end; returns the column after it. */
static int put(struct tui *t, int y, int x, int end, enum theme_role role, const char *s)
{
	if (x >= end)
		return end;
	draw_text(t, y, x, end - x, role, s);
	int w = utf8_width(s);
	return x + w < end ? x + w : end;
}

/* Right-aligned in w columns, then a space. */
static int put_right(struct tui *t, int y, int x, int end, int w, enum theme_role role,
		     const char *s)
{
	int sw = utf8_width(s);
	if (sw < w)
		put(t, y, x + w - sw, end, role, s);
	else
		put(t, y, x, end, role, s);
	return x + w + 1;
}

/* The ack and mute marks of an alert: "✓ alice silenced". */
static void alert_marks(const struct tui *t, const struct alert_info *a, char *out, size_t size)
{
	snprintf(out, size, "%s%s%s%s", a->acked_by ? (t->glyphs == GLYPHS_UTF8 ? "✓ " : "ack ") : "",
		 a->acked_by ? a->acked_by : "", a->acked_by && a->muted ? " " : "",
		 mute_name(a->muted));
}

/* Below this many columns a row drops the severity word, the state word
 * (a pending alert's dot is hollow instead) and the value, so the summary
 * still gets room in a half-width pane of an 80-column terminal. */
#define COMPACT_W 72

struct columns {
	int host_w, marks_w;
	bool compact;
};

static void columns_measure(struct tui *t, const struct alert_view *v, struct columns *c)
{
	c->host_w = 4;
	c->marks_w = 0;
	for (size_t i = 0; i < v->nrows; i++) {
		if (v->rows[i].kind != AROW_ALERT)
			continue;
		int hw = utf8_width(v->rows[i].alert->host) + (v->rows[i].member ? 2 : 0);
		c->host_w = hw > c->host_w ? hw : c->host_w;
		char marks[128];
		alert_marks(t, v->rows[i].alert, marks, sizeof marks);
		int mw = utf8_width(marks);
		c->marks_w = mw > c->marks_w ? mw : c->marks_w;
	}
	c->host_w = c->host_w > 18 ? 18 : c->host_w;
	c->marks_w = c->marks_w > 20 ? 20 : c->marks_w;
	if (c->compact)
		c->host_w = c->host_w > 12 ? 12 : c->host_w;
}

static void draw_alert_row(struct tui *t, int y, int x, int end, const struct columns *c,
			   const struct alert_row *r, bool selected, int64_t now)
{
	const struct alert_info *a = r->alert;
	enum theme_role base = selected ? ROLE_SELECTED : a->muted ? ROLE_DIM : ROLE_NORMAL;
	enum theme_role sev = base != ROLE_NORMAL ? base : severity_role(a->severity);
	bool firing = a->state == ALERT_FIRING;
	bool utf8 = t->glyphs == GLYPHS_UTF8;
	char age[16], val[16], marks[128];
	fmt_duration(now - a->since_ms, age, sizeof age);
	draw_fill(t, y, x - 1, end - x + 1, base);
	x += r->member ? 4 : 2;
	if (c->compact) {
		x = put(t, y, x, end, sev, firing ? (utf8 ? "● " : "* ") : (utf8 ? "○ " : "o "));
		int hw = c->host_w - (r->member ? 2 : 0);
		put(t, y, x, x + hw < end ? x + hw : end, base, a->host);
		x += hw + 1;
		x = put_right(t, y, x, end, 4, base, age);
		if (a->acked_by)
			x = put(t, y, x, end, selected ? base : ROLE_OK, utf8 ? "✓ " : "ack ");
		put(t, y, x, end, base, a->summary);
		return;
	}
	x = put(t, y, x, end, sev, utf8 ? "● " : "* ");
	x = put(t, y, x, end, sev, severity_short(a->severity));
	x = put(t, y, x + 1, end, firing ? sev : base != ROLE_NORMAL ? base : ROLE_DIM,
		firing ? "FIRING" : "pending");
	x += firing ? 2 : 1;
	int hw = c->host_w - (r->member ? 2 : 0);
	put(t, y, x, x + hw < end ? x + hw : end, base, a->host);
	x += hw + 1;
	x = put_right(t, y, x, end, 5, base, age);
	x = put_right(t, y, x, end, 6, base, fmt_value(a->value, false, val, sizeof val));
	if (c->marks_w) {
		alert_marks(t, a, marks, sizeof marks);
		put(t, y, x, end, selected ? base : a->acked_by && !a->muted ? ROLE_OK : ROLE_DIM, marks);
		x += c->marks_w + 1;
	}
	put(t, y, x, end, base, a->summary);
}

static void draw_group_row(struct tui *t, int y, int x, int end, const struct alert_row *r,
			   bool selected, bool compact, int64_t now)
{
	bool all_muted = r->muted == r->count;
	enum theme_role base = selected ? ROLE_SELECTED : all_muted ? ROLE_DIM : ROLE_GROUP;
	enum theme_role sev = base != ROLE_GROUP ? base : severity_role(r->severity);
	bool utf8 = t->glyphs == GLYPHS_UTF8;
	const char *sep = utf8 ? " · " : " - ";
	draw_fill(t, y, x - 1, end - x + 1, base);
	x = put(t, y, x, end, base, r->collapsed ? (utf8 ? "▸ " : "+ ") : (utf8 ? "▾ " : "- "));
	if (compact) {
		x = put(t, y, x, end, sev, r->firing ? (utf8 ? "● " : "* ") : (utf8 ? "○ " : "o "));
	} else {
		x = put(t, y, x, end, sev, utf8 ? "● " : "* ");
		x = put(t, y, x, end, sev, severity_short(r->severity));
		x = put(t, y, x + 1, end, r->firing ? sev : base, r->firing ? "FIRING" : "pending");
		x += r->firing ? 2 : 1;
	}
	char title[256], line[512], age[16];
	alert_group_title(r->group_key, sep, title, sizeof title);
	int n = snprintf(line, sizeof line, "%s%s%zu %s", title, title[0] ? sep : "", r->count,
			 r->hosts == r->count ? "hosts" : "alerts");
	if (r->hosts != r->count)
		n += snprintf(line + n, sizeof line - (size_t)n, " on %zu hosts", r->hosts);
	if (r->firing && r->pending)
		n += snprintf(line + n, sizeof line - (size_t)n, " (%zu pending)", r->pending);
	snprintf(line + n, sizeof line - (size_t)n, "%s%s", sep,
		 fmt_duration(now - r->since_ms, age, sizeof age));
	x = put(t, y, x, end, base, line);
	char marks[96] = "";
	n = 0;
	if (r->acked)
		n += snprintf(marks + n, sizeof marks - (size_t)n, "%s%s%zu/%zu", sep,
			      utf8 ? "✓ " : "ack ", r->acked, r->count);
	if (r->muted)
		snprintf(marks + n, sizeof marks - (size_t)n, "%s%zu muted", sep, r->muted);
	put(t, y, x, end, selected ? base : r->acked == r->count ? ROLE_OK : ROLE_DIM, marks);
}

static void keep_visible(struct alerts_pane *s, int rows)
{
	if (rows < 1)
		rows = 1;
	if (s->cursor < s->top)
		s->top = s->cursor;
	if (s->cursor >= s->top + (size_t)rows)
		s->top = s->cursor - (size_t)rows + 1;
	if (s->top + (size_t)rows > s->view.nrows)
		s->top = s->view.nrows > (size_t)rows ? s->view.nrows - (size_t)rows : 0;
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

static void draw_engine(struct pane *p, struct tui *t)
{
	struct alerts_pane *s = ap(p);
	rows_update(p, t);
	struct alert_view *v = &s->view;
	const char *dot = t->glyphs == GLYPHS_UTF8 ? " · " : " - ";
	char title[128];
	int n = snprintf(title, sizeof title, "Alerts");
	if (v->firing || !v->pending)
		n += snprintf(title + n, sizeof title - (size_t)n, " %zu firing", v->firing);
	if (v->pending)
		n += snprintf(title + n, sizeof title - (size_t)n, "%s%zu pending",
			      v->firing ? dot : " ", v->pending);
	if (v->muted)
		n += snprintf(title + n, sizeof title - (size_t)n, "%s%zu muted", dot, v->muted);
	if (!alert_engine_leads(t->ctx.alerts) && n < (int)sizeof title)
		snprintf(title + n, sizeof title - (size_t)n, "%sby another fleetop", dot);
	bool focused = t->focus == PANE_ALERTS;
	draw_frame(t, p, title, focused);
	int w = p->w - 2, inner = p->h - 2;
	for (int i = 1; i < p->h - 1; i++)
		draw_fill(t, p->y + i, p->x + 1, w, ROLE_NORMAL);
	if (inner < 1 || w < 10)
		return;
	int y = p->y + 1, x = p->x + 2, end = p->x + p->w - 1;
	if (!v->nrows) {
		draw_text(t, y++, x, w - 1, ROLE_DIM, "no alerts firing or pending");
		draw_events(p, t, y, w);
		return;
	}
	/* The alerts take what they need; events get the rest if it is
	 * worth a header and two lines. */
	int list = (int)v->nrows;
	if (list > inner - 3)
		list = inner;
	keep_visible(s, list);
	struct columns c = { .compact = end - x < COMPACT_W };
	columns_measure(t, v, &c);
	int64_t now = time_wall_ms();
	for (int i = 0; i < list && s->top + (size_t)i < v->nrows; i++) {
		size_t ri = s->top + (size_t)i;
		const struct alert_row *r = &v->rows[ri];
		bool sel = focused && ri == s->cursor;
		if (r->kind == AROW_GROUP)
			draw_group_row(t, y + i, x, end, r, sel, c.compact, now);
		else
			draw_alert_row(t, y + i, x, end, &c, r, sel, now);
	}
	if (list < inner)
		draw_events(p, t, y + list, w);
}

static bool game_down(const struct host *h)
{
	double up;
	return host_get_metric(h, "game.up", &up) && up == 0;
}

static bool has_problem(const struct host *h)
{
	return h->state == HOST_DOWN || (h->state == HOST_UP && h->error[0]) || game_down(h);
}

static int host_name_cmp(const void *a, const void *b)
{
	return fleet_name_cmp((*(const struct host *const *)a)->name,
			      (*(const struct host *const *)b)->name);
}

/* Without an engine: the problems the engine sees by itself, hosts in
 * the fleet's name order. */
static void draw_problems(struct pane *p, struct tui *t)
{
	struct fleet *f = t->ctx.fleet;
	int down = 0;
	for (size_t i = 0; i < f->nhosts; i++)
		down += has_problem(&f->hosts[i]);
	struct host **list = xmalloc((down ? (size_t)down : 1) * sizeof *list);
	size_t n = 0;
	for (size_t i = 0; i < f->nhosts && n < (size_t)down; i++)
		if (has_problem(&f->hosts[i]))
			list[n++] = &f->hosts[i];
	if (n > 1)
		qsort(list, n, sizeof *list, host_name_cmp);
	char title[64];
	snprintf(title, sizeof title, "Alerts %d", down);
	draw_frame(t, p, title, t->focus == PANE_ALERTS);
	int y = p->y + 1, w = p->w - 2;
	for (int i = 1; i < p->h - 1; i++)
		draw_fill(t, p->y + i, p->x + 1, w, ROLE_NORMAL);
	if (!down)
		draw_text(t, y++, p->x + 2, w - 1, ROLE_DIM, "no host problems (alert rules are off)");
	int64_t now = time_wall_ms();
	/* Problems get at most two thirds of the pane; events the rest. */
	int last = p->y + 1 + (p->h - 2) * 2 / 3;
	for (size_t i = 0; i < n && y < last; i++) {
		struct host *h = list[i];
		bool crit = h->state == HOST_DOWN;
		const char *why = h->error[0] ? h->error : "down";
		if (!crit && !(h->state == HOST_UP && h->error[0])) {
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
	free(list);
	draw_events(p, t, y, w);
}

static void alerts_draw(struct pane *p, struct tui *t)
{
	if (t->ctx.alerts)
		draw_engine(p, t);
	else
		draw_problems(p, t);
}

/* Actions */

static void move_cursor(struct pane *p, struct tui *t, long delta)
{
	struct alerts_pane *s = ap(p);
	rows_update(p, t);
	if (!s->view.nrows)
		return;
	long c = (long)s->cursor + delta;
	if (c < 0)
		c = 0;
	if (c >= (long)s->view.nrows)
		c = (long)s->view.nrows - 1;
	s->cursor = (size_t)c;
	remember(s);
	t->dirty = true;
}

static void fold(struct pane *p, struct tui *t, const struct alert_row *r, int how)
{
	struct alerts_pane *s = ap(p);
	if (!r || !r->group_key || (r->kind == AROW_ALERT && !r->member))
		return;
	bool open = alert_view_is_expanded(&s->view, r->group_key);
	bool want = how > 0 ? true : how < 0 ? false : !open;
	alert_view_set_expanded(&s->view, r->group_key, want);
	/* The cursor goes to the group's header (a member folded away). */
	if (!want) {
		s->sel_id = 0;
		free(s->sel_key);
		s->sel_key = xstrdup(r->group_key);
	}
	rows_update(p, t);
	t->dirty = true;
}

/* The alerts a row stands for: itself, or every member of its group. */
static size_t row_alerts(struct tui *t, const struct alert_row *r, const struct alert_info ***out)
{
	const struct alert_info *a;
	size_t n = alert_engine_alerts(t->ctx.alerts, &a), k = 0;
	*out = xcalloc(n + 1, sizeof **out);
	if (r->kind == AROW_ALERT) {
		(*out)[k++] = r->alert;
		return k;
	}
	for (size_t i = 0; i < n; i++)
		if (a[i].group_key && !strcmp(a[i].group_key, r->group_key))
			(*out)[k++] = &a[i];
	return k;
}

static void row_name(struct tui *t, const struct alert_row *r, char *out, size_t size)
{
	if (r->kind == AROW_ALERT) {
		snprintf(out, size, "%s on %s (#%lld)", r->alert->rule, r->alert->host,
			 (long long)r->alert->id);
		return;
	}
	char title[200];
	alert_group_title(r->group_key, t->glyphs == GLYPHS_UTF8 ? " · " : " - ", title,
			  sizeof title);
	snprintf(out, size, "%s", title);
}

static bool refuse_read_only(struct tui *t, const char *what)
{
	if (!t->opts.read_only)
		return false;
	tui_message(t, true, "read-only console: %s is off", what);
	return true;
}

static void ack(struct pane *p, struct tui *t, bool on)
{
	if (refuse_read_only(t, on ? "acknowledging" : "un-acknowledging"))
		return;
	const struct alert_row *r = current_row(p, t);
	if (!r) {
		tui_message(t, true, "no alert under the cursor");
		return;
	}
	char name[256];
	row_name(t, r, name, sizeof name);
	const struct alert_info **list;
	size_t n = row_alerts(t, r, &list), done = 0, nids = 0;
	/* Ids first: the list is the engine's, not to be leaned on across
	 * calls into it. */
	int64_t *ids = xcalloc(n + 1, sizeof *ids);
	for (size_t i = 0; i < n; i++)
		if ((list[i]->acked_by != NULL) != on)
			ids[nids++] = list[i]->id;
	free(list);
	struct error err;
	int64_t now = time_wall_ms();
	for (size_t i = 0; i < nids; i++) {
		int rc = alert_engine_ack(t->ctx.alerts, ids[i], on ? alert_whoami() : NULL, NULL, now,
					  &err);
		if (rc < 0) {
			tui_message(t, true, "%s: %s", name, err.msg);
			free(ids);
			return;
		}
		done += rc > 0;
	}
	free(ids);
	if (!nids)
		tui_message(t, false, "%s: %s", name,
			    on ? "already acknowledged" : "not acknowledged");
	else if (r->kind == AROW_ALERT)
		tui_message(t, false, "%s %s%s%s", on ? "acknowledged" : "un-acknowledged", name,
			    on ? " by " : "", on ? alert_whoami() : "");
	else
		tui_message(t, false, "%s %zu alerts of %s", on ? "acknowledged" : "un-acknowledged",
			    done, name);
	t->dirty = true;
}

static void silence_answer(struct tui *t, const char *answer)
{
	struct alerts_pane *s = ap(&t->panes[PANE_ALERTS]);
	char *matchers = s->silence;
	s->silence = NULL;
	if (!matchers)
		return;
	char buf[PROMPT_MAX];
	str_copy(buf, answer, sizeof buf);
	char *dur = str_trim(buf), *comment = dur;
	while (*comment && *comment != ' ')
		comment++;
	if (*comment)
		*comment++ = '\0';
	comment = str_trim(comment);
	int64_t ms;
	struct error err;
	if (!*dur) {
		tui_message(t, false, "silence not added");
	} else if (parse_duration_ms(dur, &ms) < 0 || ms <= 0) {
		tui_message(t, true, "silence: '%s' is not a duration (e.g. 30m, 2h, 1d)", dur);
	} else if (!t->ctx.store) {
		tui_message(t, true, "silence: no history file to keep it in");
	} else {
		int64_t now = time_wall_ms();
		int64_t id = alert_silence_add(t->ctx.store, matchers, now, now + ms, alert_whoami(),
					       *comment ? comment : NULL, now, &err);
		if (id < 0)
			tui_message(t, true, "silence: %s", err.msg);
		else
			tui_message(t, false, "silence %lld added: %s for %s", (long long)id,
				    matchers, dur);
		if (id >= 0 && t->ctx.alerts)
			alert_engine_refresh(t->ctx.alerts); /* shown muted at the next tick */
	}
	free(matchers);
}

static void silence(struct pane *p, struct tui *t)
{
	if (refuse_read_only(t, "silencing"))
		return;
	struct alerts_pane *s = ap(p);
	const struct alert_row *r = current_row(p, t);
	if (!r) {
		tui_message(t, true, "no alert under the cursor");
		return;
	}
	char *m = r->kind == AROW_ALERT ? alert_matchers_for_alert(r->alert)
					: alert_matchers_for_group(r->group_key);
	if (!m) {
		tui_message(t, true, "this group's labels cannot be silenced from here; "
			    "use fleetop alerts silence");
		return;
	}
	free(s->silence);
	s->silence = m;
	char label[160];
	snprintf(label, sizeof label, "silence %.100s%s for (and a comment): ", m,
		 strlen(m) > 100 ? "..." : "");
	prompt_ask(t, label, "2h", silence_answer);
}

static void runbook(struct pane *p, struct tui *t)
{
	const struct alert_row *r = current_row(p, t);
	if (!r)
		tui_message(t, true, "no alert under the cursor");
	else if (r->alert->runbook && *r->alert->runbook)
		tui_message(t, false, "runbook for %s: %s", r->alert->rule, r->alert->runbook);
	else
		tui_message(t, false, "%s has no runbook (runbook = in rules.conf)", r->alert->rule);
}

static void jump(struct pane *p, struct tui *t)
{
	const struct alert_row *r = current_row(p, t);
	if (!r)
		return;
	if (r->kind == AROW_GROUP) {
		fold(p, t, r, 0);
		return;
	}
	struct fleet *f = t->ctx.fleet;
	if (r->alert->host_id >= f->nhosts)
		return;
	tui_focus_host(t, &f->hosts[r->alert->host_id]);
	tui_open_host(t);
}

static bool alerts_key(struct pane *p, struct tui *t, int key)
{
	if (!t->ctx.alerts)
		return false;
	struct alerts_pane *s = ap(p);
	int page = p->h - 3 > 1 ? p->h - 3 : 1;
	switch (key) {
	case KEY_UP: case 'k': move_cursor(p, t, -1); return true;
	case KEY_DOWN: case 'j': move_cursor(p, t, 1); return true;
	case KEY_PPAGE: move_cursor(p, t, -page); return true;
	case KEY_NPAGE: move_cursor(p, t, page); return true;
	case KEY_HOME: move_cursor(p, t, -(long)s->view.nrows - 1); return true;
	case KEY_END: move_cursor(p, t, (long)s->view.nrows + 1); return true;
	case '\n': case '\r': case KEY_ENTER: jump(p, t); return true;
	case ' ': fold(p, t, current_row(p, t), 0); return true;
	case '+': case KEY_RIGHT: fold(p, t, current_row(p, t), 1); return true;
	case '-': case KEY_LEFT: fold(p, t, current_row(p, t), -1); return true;
	case 'a': ack(p, t, true); return true;
	case 'A': ack(p, t, false); return true;
	case 's': silence(p, t); return true;
	case 'r': runbook(p, t); return true;
	default: return false;
	}
}

static void alerts_click(struct pane *p, struct tui *t, int y, int x)
{
	struct alerts_pane *s = ap(p);
	(void)x;
	if (!t->ctx.alerts)
		return;
	rows_update(p, t);
	size_t ri = s->top + (size_t)y;
	if (y >= 0 && ri < s->view.nrows)
		move_cursor(p, t, (long)ri - (long)s->cursor);
}

static void alerts_wheel(struct pane *p, struct tui *t, int lines)
{
	if (t->ctx.alerts)
		move_cursor(p, t, lines);
}

static void alerts_free(struct pane *p)
{
	struct alerts_pane *s = p->state;
	if (!s)
		return;
	alert_view_free(&s->view);
	free(s->sel_key);
	free(s->silence);
	free(s);
	p->state = NULL;
}

const struct pane_ops pane_alerts_ops = {
	"alerts", alerts_draw, alerts_key, alerts_click, alerts_wheel, alerts_free,
};
