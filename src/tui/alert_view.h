/* The alerts pane's rows: the alert engine's open alerts grouped by their
 * group key (a header row a group, folded or unfolded), the counts the
 * pane's title shows, and the matchers a silence of a row takes. Pure
 * logic, no drawing, so it is unit-tested without a terminal. */
#ifndef FLEETOP_TUI_ALERT_VIEW_H
#define FLEETOP_TUI_ALERT_VIEW_H

#include "fleetop/alert.h"

enum alert_row_kind { AROW_GROUP, AROW_ALERT };

struct alert_row {
	enum alert_row_kind kind;
	/* ALERT: the alert; GROUP: its first member (the most urgent, as the
	 * engine orders them). Valid until the engine's next tick. */
	const struct alert_info *alert;
	const char *group_key;  /* the alert's; NULL: not grouped */
	bool member;            /* ALERT: listed under a group header */
	/* GROUP only */
	bool collapsed;
	size_t count, firing, pending, acked, muted, hosts;
	enum alert_severity severity; /* the worst of its members */
	int64_t since_ms;       /* the oldest firing member's (pending if none fires) */
};

struct alert_view {
	struct alert_row *rows;
	size_t nrows, caprows;
	/* Over every open alert: firing and pending count the unmuted ones,
	 * muted every silenced, in-maintenance or inhibited one. */
	size_t firing, pending, muted;
	char **expanded;        /* group keys unfolded (groups start folded) */
	size_t nexpanded;

	/* Private to alert_view.c: scratch kept between builds. */
	size_t *order;
	size_t caporder;
	struct alert_run *runs;
	size_t capruns;
	unsigned char *seen_host;
	size_t capseen;
	const struct alert_info *base;
};

/* Rebuilds rows from the engine's list (a, n in the engine's order: firing
 * first, then by severity and age). Alerts that share a group key form a
 * group: a header row, then (unfolded) its alerts; a group of one is just
 * its alert. Groups come in the order of their first alert; members keep
 * the engine's order. Unfolded keys no longer open are forgotten. */
void alert_view_build(struct alert_view *v, const struct alert_info *a, size_t n);
bool alert_view_is_expanded(const struct alert_view *v, const char *group_key);
void alert_view_set_expanded(struct alert_view *v, const char *group_key, bool on);
void alert_view_free(struct alert_view *v);
/* The row to keep the cursor on after a rebuild: the alert with that id
 * (id > 0), else the group with that key (or, the group gone down to one
 * alert, that alert), else fallback clamped to the rows. 0 with no rows. */
size_t alert_view_find(const struct alert_view *v, int64_t id, const char *group_key,
		       size_t fallback);

/* A cheap fingerprint of what the pane shows of each alert (id, state,
 * severity, acknowledgement, mutes): a change means redraw. */
uint64_t alert_view_digest(const struct alert_info *a, size_t n);

/* Parses a group key, {group="eu",rule="cpu_high"}, into labels (values
 * may hold \" and \\). -1 when it is not of that form. Free with
 * labels_free. */
int alert_key_labels(const char *key, struct alert_label **out, size_t *n);
/* "@eu · cpu_high": group first as @NAME (left out when empty), then rule
 * and host as their values and other labels as k=v, in the key's order. The key itself when it does not
 * parse. Returns out. */
const char *alert_group_title(const char *key, const char *sep, char *out, size_t size);
/* Matchers a silence takes: an alert's rule and host; a group's key labels
 * (all its members share them). Values are quoted when they need it.
 * Caller frees; NULL when a group key does not parse or is empty. */
char *alert_matchers_for_alert(const struct alert_info *a);
char *alert_matchers_for_group(const char *key);

#endif
