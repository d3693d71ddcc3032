/* What the alert engine's files (engine.c, mute.c, group.c, actions.c)
 * share. */
#ifndef FLEETOP_ALERT_ENGINE_PRIVATE_H
#define FLEETOP_ALERT_ENGINE_PRIVATE_H

#include "fleetop/alert.h"

/* A firing alert stores its value at most this often (the console reads
 * the engine's memory; `fleetop alerts` the file). */
#define ALERT_VALUE_STORE_MS 15000
/* Silences and maintenance windows are re-read this often even when no
 * other process wrote (they start and end by the clock). */
#define ALERT_MUTE_RELOAD_MS 60000
/* A firing alert whose expression has no data (undefined) resolves only
 * after this long without it holding, or keep_firing_for if longer. */
#define ALERT_NO_DATA_GRACE_MS 30000

/* A rule on a host. INACTIVE ones hold nothing. */
struct alert_inst {
	enum alert_state state;
	int64_t id;             /* row in the alert table; 0 while inactive */
	int64_t since_ms;       /* condition true since (pending start) */
	int64_t fired_ms;
	int64_t last_true_ms;   /* for keep_firing_for */
	int64_t stored_ms;      /* value last written */
	double value;
	char *summary;
	struct alert_label *labels;
	size_t nlabels;
	char *acked_by;
	unsigned muted;         /* ALERT_MUTE_* this tick */
	unsigned stored_muted;  /* as last written */
	int policy;             /* index in notify->policies; -1 none */
	char *group_key;
};

struct rule_slot {
	const struct alert_rule *rule;
	unsigned char *scope;   /* by host id; NULL: every host */
	struct alert_inst *inst; /* by host id */
};

struct mute {
	enum store_mute_kind kind;
	int64_t id, starts_ms, ends_ms;
	struct matcher_set match; /* silence */
	unsigned char *hosts;     /* maintenance: by host id */
};

/* An alert of a group this tick: where to find it. */
struct member {
	uint32_t slot, host;
};

struct group_state {
	char *key;              /* group_by values: {group="eu",rule="cpu_high"} */
	char *policy_name;
	int policy;             /* index in notify->policies this tick */
	int64_t created_ms;     /* first seen with a firing alert */
	int64_t last_notified_ms;
	char *last_digest;      /* ids of the alerts in the last notification */
	int step;               /* escalation steps reached */
	int64_t seq;            /* notifications made: part of each outbox key */
	bool notified;
	struct member *members;
	size_t nmembers, capmembers;
};

struct alert_engine {
	struct fleet *fleet;
	struct store *store;
	const struct rule_set *rules;
	const struct notify_config *notify;
	struct alert_windows *win;
	struct rule_slot *slots;
	size_t nslots;
	int64_t started_ms;
	bool in_tx;
	bool loaded;            /* open alerts and groups read back from the store */
	struct mute *mutes;
	size_t nmutes;
	int64_t mutes_read_ms;
	struct group_state *groups;
	size_t ngroups, capgroups;
	struct alert_info *view;
	size_t nview;
	enum alert_severity *host_sev; /* by host id */
	unsigned char *dirty;   /* by host id: samples since its last evaluation */
	int queued;             /* outbox rows added this tick */
	/* One engine a history evaluates (the leader, holding the "alerts"
	 * lock, or "alerts-part" for a selection); the others follow: their
	 * view is the store's open alerts. */
	bool leader;
	int lock_fd;            /* the lock held; -1 */
	const unsigned char *hosts; /* by host id: the hosts evaluated; NULL all */
	bool view_owned;        /* the view's strings are copies (a follower's) */
	int64_t follow_read_ms;
};

/* engine.c */
int engine_tx(struct alert_engine *ae, struct error *err); /* begins once per tick */
void inst_clear(struct alert_inst *a);
/* mute.c */
int mutes_load(struct alert_engine *ae, int64_t now_ms, struct error *err);
void mutes_free(struct alert_engine *ae);
void mutes_apply(struct alert_engine *ae, int64_t now_ms);
/* group.c */
int groups_load(struct alert_engine *ae, struct error *err);
void groups_free(struct alert_engine *ae);
int groups_tick(struct alert_engine *ae, int64_t now_ms, struct error *err);
uint64_t alert_hash(const char *s);

#endif
