/* The fleet view: which hosts the fleet pane shows, in what order, grouped
 * how, which are marked. Pure logic, no drawing: filter, sort, group. */
#ifndef FLEETOP_TUI_VIEW_H
#define FLEETOP_TUI_VIEW_H

#include "fleetop/fleet.h"

enum view_col {
	COL_HOST,
	COL_GROUP,
	COL_STATE,
	COL_CPU,
	COL_RAM,
	COL_DISK,
	COL_NET,     /* rx + tx */
	COL_PLAYERS,
	COL_TPS,
	COL_ALERT,
	COL_COUNT
};
const char *view_col_name(enum view_col c); /* "host", "cpu" ... */
int view_col_parse(const char *name);       /* -1 if unknown */

/* A filter is terms separated by spaces, all of which must match:
 *   text          host name contains text (case-insensitive)
 *   @group        host is in group
 *   state:up|down|connecting|unknown
 *   METRIC OP N   OP one of > >= < <= = !=, METRIC a column name (cpu,
 *                 ram, disk, net, players, tps) or any metric name
 *                 (e.g. load.1>4); N may carry K/M/G
 *   !term         negates a term
 * An empty filter matches every host. Errors say which term and why.
 * Details: K=1e3, M=1e6, G=1e9, a trailing % is ignored; `==` is `=`. A
 * host without the metric matches no comparison (so `!cpu>80` matches it);
 * net is net.rx_bps + net.tx_bps (either alone counts). Column names and
 * state values are case-insensitive. Terms with ':' other than state: are
 * errors (host names hold none). */
struct view_filter;
int view_filter_parse(const char *text, struct view_filter **out, struct error *err);
bool view_filter_match(const struct view_filter *f, const struct host *h);
void view_filter_free(struct view_filter *f);

enum view_row_kind { ROW_GROUP, ROW_HOST };
struct view_row {
	enum view_row_kind kind;
	struct host *host;  /* ROW_HOST */
	const char *group;  /* ROW_GROUP: its name; ROW_HOST: the group it is listed under */
	int count;          /* ROW_GROUP: hosts in it after filtering */
	bool collapsed;     /* ROW_GROUP */
};

struct fleet_view {
	struct fleet *fleet;
	struct view_filter *filter; /* NULL: all */
	char *filter_text;
	enum view_col sort;
	bool sort_desc;
	bool grouped;               /* rows under group headers */
	char **collapsed;           /* collapsed group names */
	size_t ncollapsed;
	unsigned char *marked;      /* by host id */
	/* By host id: the worst alert severity firing (0 none .. 3 critical)
	 * for sorting by COL_ALERT; NULL (no alerting): every host has none.
	 * The caller owns it and keeps it fleet->nhosts long. */
	const unsigned char *alert_sev;
	struct view_row *rows;
	size_t nrows, caprows;
	size_t nshown;              /* hosts that pass the filter */

	/* Private to view.c: scratch reused by every rebuild, and how many
	 * entries marked holds (fleet->nhosts when it was sized). */
	struct view_key *keys;
	size_t capkeys;
	uint32_t *group_count;
	size_t capgroups;
	size_t nmarked;
};

/* Defaults: sort by host ascending, not grouped, no filter (filter_text
 * NULL whenever the filter is empty). Rows are built at once. */
void view_init(struct fleet_view *v, struct fleet *f);
void view_free(struct fleet_view *v);
/* Sets the filter and rebuilds; on error keeps the old one. */
int view_set_filter(struct fleet_view *v, const char *text, struct error *err);
/* Rebuilds rows from the fleet: filter, sort (ties by name), group. With
 * grouping, a host is listed under its first group (inventory order);
 * hosts with no group under "ungrouped". Groups in inventory order.
 * Numeric columns sort by value, hosts without one last in either
 * direction; host/group/state by their strings; ties by host name
 * (ascending in either direction). COL_ALERT sorts by alert_sev (hosts
 * with none count as no value). Groups with no host passing the filter get
 * no header; a collapsed group shows its header (count) and no hosts.
 * Call after changing sort, sort_desc or grouped, and when the fleet
 * moves (fleet_generation). */
void view_rebuild(struct fleet_view *v);
void view_toggle_collapse(struct fleet_view *v, const char *group); /* and rebuilds */
/* The value a column sorts by (NAN when none). */
double view_sort_value(const struct host *h, enum view_col c);
void view_mark(struct fleet_view *v, struct host *h, bool on);
/* marked has one byte per host id, sized to fleet->nhosts (reset if the
 * fleet's size changes). */
void view_mark_shown(struct fleet_view *v, bool on); /* every host passing the filter, collapsed too */
size_t view_marked_count(const struct fleet_view *v);

#endif
