/* fleet: the inventory (Ansible INI form), the host model and its state,
 * and selection patterns (`@group`, `mc-[01-12]`, globs, lists, `!x`). */
#ifndef FLEETOP_FLEET_H
#define FLEETOP_FLEET_H

#include "fleetop/core.h"

struct host_var {
	char *key, *value;
};

enum host_state {
	HOST_UNKNOWN,    /* not tried yet */
	HOST_CONNECTING, /* TCP, handshake or auth under way */
	HOST_UP,         /* authenticated, collecting */
	HOST_DOWN,       /* last try failed: error says why; retry at retry_at_ms */
};
const char *host_state_name(enum host_state s);

/* Why a host is down, as a stable machine-readable kind (for --json and rules). */
enum host_fault {
	FAULT_NONE,
	FAULT_REFUSED,      /* connection refused */
	FAULT_TIMEOUT,      /* no answer (TCP, banner, handshake or auth) in time */
	FAULT_UNREACHABLE,  /* no route / network unreachable / name not resolved */
	FAULT_AUTH,         /* authentication failed */
	FAULT_HOSTKEY_UNKNOWN,
	FAULT_HOSTKEY_CHANGED,
	FAULT_PROTOCOL,     /* SSH or probe protocol error */
	FAULT_CLOSED,       /* connection lost after it was up */
};
const char *host_fault_name(enum host_fault f);

struct metric_value {
	char *name;
	double value;
};

/* The in-memory model the console draws: the last HOST_RING_LEN values of
 * the metrics shown as sparklines, one per sample. Fed by host_set_metric. */
enum ring_metric {
	RING_CPU,     /* cpu.util */
	RING_MEM,     /* mem.used_pct */
	RING_DISK,    /* disk.used_pct */
	RING_NET_RX,  /* net.rx_bps */
	RING_NET_TX,  /* net.tx_bps */
	RING_PLAYERS, /* game.players */
	RING_TPS,     /* game.tps */
	RING_COUNT
};
#define HOST_RING_LEN 120
struct host_ring {
	float v[HOST_RING_LEN];
	uint16_t head, count;
};
struct host;
const char *ring_metric_name(enum ring_metric m);
/* Copies up to max values, oldest first; returns how many. */
int host_ring_read(const struct host *h, enum ring_metric m, float *out, int max);
/* Bumped by every host_set_metric and host_set_state: the console redraws
 * only when it moved. */
uint64_t fleet_generation(void);

struct host {
	uint32_t id;            /* index in fleet.hosts */
	char *name;             /* inventory name */
	char *address;          /* ansible_host / host= ; NULL: the name (ssh_config may map it) */
	int port;               /* ansible_port / port= ; 0: ssh_config or 22 */
	char *user;             /* ansible_user / user= ; NULL: ssh_config or settings */
	char **groups;          /* every group it belongs to, directly or via :children; "all" excluded */
	size_t ngroups;
	struct host_var *vars;  /* effective vars: group vars (parents first) then host's own */
	size_t nvars;
	const char *file;       /* where it was defined (for messages) */
	int line;

	/* Runtime state, owned by the ssh pool and collectors. */
	enum host_state state;
	enum host_fault fault;
	char error[256];        /* one line; empty when up */
	int64_t state_since_ms; /* wall */
	int64_t retry_at_ms;    /* wall; when down */
	int64_t last_sample_ms; /* wall */
	struct metric_value *metrics; /* latest value of each metric */
	size_t nmetrics;
	struct host_ring *rings;      /* RING_COUNT of them once a ring metric arrives */
	struct host_var *info;        /* latest text facts (game.map, game.error ...) */
	size_t ninfo;
};

struct group {
	char *name;
	char **children;        /* [name:children] */
	size_t nchildren;
	struct host_var *vars;  /* [name:vars] */
	size_t nvars;
};

struct fleet {
	struct host *hosts;
	size_t nhosts;
	struct group *groups;
	size_t ngroups;
	char *path;
	struct fleet_index *index; /* private to fleet: name lookups; NULL = linear search */
};

/* Loads an Ansible INI inventory into f (which it overwrites: free an old
 * fleet first). Errors name file:line. See fleetop.conf(5) for the format. */
int fleet_load_file(struct fleet *f, const char *path, struct error *err);
int fleet_load_string(struct fleet *f, const char *text, const char *name, struct error *err);
/* Frees all of it, host->metrics too; f is left empty. */
void fleet_free(struct fleet *f);

struct host *fleet_find(const struct fleet *f, const char *name);
const struct group *fleet_group(const struct fleet *f, const char *name);
const char *host_var(const struct host *h, const char *key);
bool host_in_group(const struct host *h, const char *group);

/* Sets selected[i] to 1 for each host matching pattern and to 0 for the
 * others (f->nhosts entries; untouched on error). Pattern: comma- or
 * space-separated terms, each `@group`, a name, a glob (`mc-*`), a range
 * (`mc-[01-12]`, `web[1-3].eu`, Ansible's `mc-[01:12]`), `all`; a term
 * prefixed `!` removes. A bare name selects the group and the host of that
 * name; a glob matches host and group names (not "all"/"ungrouped").
 * Union of the positive terms minus the negative ones; only negatives:
 * all minus those. NULL or "" selects all. A term matching nothing is an
 * error naming it. */
int fleet_select(const struct fleet *f, const char *pattern, unsigned char *selected,
		 struct error *err);

/* Host and group names in natural order, as `ls -v` sorts them: runs of
 * digits compare by value, of any length (db-7 < db-10 < db-0011 <
 * mc-eu-2 < mc-eu-10), everything else byte by byte; names equal but for
 * leading zeros (db-07, db-7) then compare as strcmp does. Negative, 0 or
 * positive, as strcmp; NULL is "". Every list of hosts fleetop shows
 * uses it. */
int fleet_name_cmp(const char *a, const char *b);
/* Writes to ids (room for f->nhosts) the ids of the hosts selected
 * (selected NULL: all) in fleet_name_cmp order of their names; returns
 * how many. */
size_t fleet_sorted(const struct fleet *f, const unsigned char *selected, uint32_t *ids);

/* Latest metric values, kept sorted by name in host->metrics. */
void host_set_metric(struct host *h, const char *name, double value);
bool host_get_metric(const struct host *h, const char *name, double *value);
/* Text facts collectors report beside numbers: "game.map", "game.version",
 * "game.name", "game.players_list" (a line a player: name TAB score TAB
 * ping), "game.error", "game.via", "proc.error", "custom.error". value NULL
 * removes the key. host_get_info returns NULL when absent. */
void host_set_info(struct host *h, const char *key, const char *value);
const char *host_get_info(const struct host *h, const char *key);
/* Reads the game.players_list entry at *cur into p and moves *cur past
 * it; false at the end. Lines without both tabs are skipped. */
struct player_entry {
	char name[64];
	int score, ping;
};
bool players_list_next(const char **cur, struct player_entry *p);

/* fmt (may be NULL) becomes h->error, on one line. state_since_ms moves
 * only when the state changes: "down for 3m" survives repeated failures. */
void host_set_state(struct host *h, enum host_state state, enum host_fault fault,
		    const char *fmt, ...) FT_PRINTF(4, 5);

#endif
