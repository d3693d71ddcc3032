/* The alert engine on a clock of the test's own: lifecycle (for,
 * keep_firing_for, clear), grouping (group_wait, group_interval,
 * repeat_interval), escalation and acknowledgement, inhibition, silences,
 * maintenance, resolved notifications, and a restart that neither forgets
 * nor re-announces. Notifications are read back from the outbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fleetop/alert.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define T0 1700000000000LL

static char dir[64];
static char *path;

struct world {
	struct fleet fleet;
	struct store *store;
	struct rule_set rules;
	struct notify_config notify;
	struct alert_engine *ae;
	int64_t now;
};

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/fleetop-alerts-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path = xasprintf("%s/fleetop.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	free(path);
	return 0;
}

static const char *inventory =
	"[eu]\nmc-1\nmc-2\nmc-3\nmc-4\nmc-5\n"
	"[us]\nus-1 label_dc=nyc1\nus-2 label_dc=nyc1\ngw-nyc label_dc=nyc1\n";

static void world_open(struct world *w, const char *rules, const char *notify)
{
	struct error err;
	memset(w, 0, sizeof *w);
	w->now = T0;
	if (fleet_load_string(&w->fleet, inventory, "fleet.conf", &err) < 0)
		fail_msg("%s", err.msg);
	for (size_t i = 0; i < w->fleet.nhosts; i++)
		w->fleet.hosts[i].state = HOST_UP;
	if (store_open(&w->store, path, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	if (rules_load_string(&w->rules, rules, "rules.conf", &err) < 0)
		fail_msg("%s", err.msg);
	if (notify_config_load_string(&w->notify, notify, "notify.conf", &err) < 0)
		fail_msg("%s", err.msg);
	w->ae = alert_engine_new(&w->fleet, w->store, w->now);
	if (alert_engine_set_rules(w->ae, &w->rules, &err) < 0)
		fail_msg("%s", err.msg);
	alert_engine_set_notify(w->ae, &w->notify);
}

/* Keeps the world but starts a new engine on the same file: a restart. */
static void world_restart(struct world *w)
{
	struct error err;
	alert_engine_free(w->ae);
	store_close(w->store);
	if (store_open(&w->store, path, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	w->ae = alert_engine_new(&w->fleet, w->store, w->now);
	if (alert_engine_set_rules(w->ae, &w->rules, &err) < 0)
		fail_msg("%s", err.msg);
	alert_engine_set_notify(w->ae, &w->notify);
}

/* A reload of the rules (that must succeed), as :reload or SIGHUP does. */
static void world_reload(struct world *w, const char *rules)
{
	struct error err;
	struct rule_set rs = { 0 };
	if (rules_load_string(&rs, rules, "rules.conf", &err) < 0)
		fail_msg("%s", err.msg);
	if (alert_engine_set_rules(w->ae, &rs, &err) < 0)
		fail_msg("reload: %s", err.msg);
	rules_free(&w->rules);
	w->rules = rs;
}

static void world_close(struct world *w)
{
	alert_engine_free(w->ae);
	store_close(w->store);
	rules_free(&w->rules);
	notify_config_free(&w->notify);
	fleet_free(&w->fleet);
	unlink(path);
	char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
	unlink(wal);
	unlink(shm);
	free(wal);
	free(shm);
}

static void sample(struct world *w, const char *host, const char *metric, double v)
{
	struct host *h = fleet_find(&w->fleet, host);
	assert_non_null(h);
	host_set_metric(h, metric, v);
	alert_engine_sample(w->ae, h, metric, w->now, v);
}

static int tick(struct world *w)
{
	struct error err;
	int n = alert_engine_tick(w->ae, w->now, &err);
	if (n < 0)
		fail_msg("tick: %s", err.msg);
	return n;
}

/* Runs the clock in 1 s steps for ms, every host of `hot` (comma list,
 * or NULL) at cpu 95, the others at 10. Returns notifications queued. */
static int run(struct world *w, int64_t ms, const char *hot)
{
	int queued = 0;
	for (int64_t t = 0; t < ms; t += SEC) {
		w->now += SEC;
		for (size_t i = 0; i < w->fleet.nhosts; i++) {
			const char *name = w->fleet.hosts[i].name;
			bool on = false;
			if (hot) {
				const char *p = strstr(hot, name);
				size_t len = strlen(name);
				on = p && (p == hot || p[-1] == ',') && (p[len] == ',' || !p[len]);
			}
			sample(w, name, "cpu.util", on ? 95 : 10);
		}
		queued += tick(w);
	}
	return queued;
}

struct sent {
	int n;
	char receiver[64][32], key[64][96], status[64][16], title[64][160];
	int nalerts[64];
};

static void sent_row(void *arg, const struct store_outbox *o)
{
	struct sent *s = arg;
	if (s->n >= 64)
		return;
	struct notification n;
	struct error err;
	if (notification_from_json(&n, o->body, &err) < 0)
		fail_msg("outbox body: %s", err.msg);
	snprintf(s->receiver[s->n], sizeof s->receiver[0], "%s", o->receiver);
	snprintf(s->key[s->n], sizeof s->key[0], "%s", o->key);
	snprintf(s->status[s->n], sizeof s->status[0], "%s", n.status);
	snprintf(s->title[s->n], sizeof s->title[0], "%s", n.title);
	s->nalerts[s->n] = (int)n.nalerts;
	notification_free(&n);
	s->n++;
}

/* The outbox, oldest first. */
static void outbox_dump(const struct sent *s)
{
	for (int i = 0; i < s->n; i++)
		fprintf(stderr, "  outbox %d: %s %s %s (%d alerts)\n", i, s->receiver[i], s->status[i],
			s->title[i], s->nalerts[i]);
}

static void outbox(struct world *w, struct sent *s)
{
	struct error err;
	struct sent rev = { 0 };
	memset(s, 0, sizeof *s);
	if (store_outbox_list(w->store, NULL, 0, sent_row, &rev, &err) < 0)
		fail_msg("%s", err.msg);
	for (int i = 0; i < rev.n; i++) {
		int j = rev.n - 1 - i;
		memcpy(s->receiver[i], rev.receiver[j], sizeof s->receiver[0]);
		memcpy(s->key[i], rev.key[j], sizeof s->key[0]);
		memcpy(s->status[i], rev.status[j], sizeof s->status[0]);
		memcpy(s->title[i], rev.title[j], sizeof s->title[0]);
		s->nalerts[i] = rev.nalerts[j];
	}
	s->n = rev.n;
	if (getenv("ALERT_TEST_DEBUG"))
		outbox_dump(s);
}

static const struct alert_info *find_alert(struct world *w, const char *rule, const char *host)
{
	const struct alert_info *v;
	size_t n = alert_engine_alerts(w->ae, &v);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].rule, rule) == 0 && strcmp(v[i].host, host) == 0)
			return &v[i];
	}
	return NULL;
}

#define NOTIFY_ONE                                                                   \
	"[receiver chat]\ntype = webhook\nurl = http://127.0.0.1:9/chat\n"              \
	"send_resolved = true\n"                                                      \
	"[receiver mail]\ntype = webhook\nurl = http://127.0.0.1:9/mail\n"              \
	"send_resolved = false\n"                                                     \
	"[receiver sms]\ntype = webhook\nurl = http://127.0.0.1:9/sms\n"                \
	"send_resolved = true\n"

/* for and keep_firing_for: pending, firing, held through a dip, resolved
 * only after the condition stayed false keep_firing_for. */
static void test_lifecycle_hysteresis(void **state)
{
	(void)state;
	struct world w;
	world_open(&w,
		   "[cpu_high]\nexpr = cpu.util > 80\nfor = 10s\nkeep_firing_for = 30s\n"
		   "severity = critical\nsummary = {host} CPU {value}%\n",
		   NOTIFY_ONE "[policy all]\ngroup_wait = 0s\ngroup_interval = 1s\nstep = chat\n");
	run(&w, 5 * SEC, "mc-1");
	const struct alert_info *a = find_alert(&w, "cpu_high", "mc-1");
	assert_non_null(a);
	assert_int_equal(a->state, ALERT_PENDING);
	struct sent s;
	outbox(&w, &s);
	assert_int_equal(s.n, 0); /* pending does not notify */
	run(&w, 6 * SEC, "mc-1");
	a = find_alert(&w, "cpu_high", "mc-1");
	assert_non_null(a);
	assert_int_equal(a->state, ALERT_FIRING);
	assert_string_equal(a->summary, "mc-1 CPU 95%");
	outbox(&w, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.receiver[0], "chat");
	assert_string_equal(s.status[0], "firing");
	/* A dip of 20 s (< keep_firing_for) and back: still the same alert. */
	int64_t id = a->id;
	run(&w, 20 * SEC, NULL);
	a = find_alert(&w, "cpu_high", "mc-1");
	assert_non_null(a);
	assert_int_equal(a->id, id);
	run(&w, 5 * SEC, "mc-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 1); /* no flapping notifications */
	/* Down for good: resolved keep_firing_for after the last true sample. */
	run(&w, 29 * SEC, NULL);
	assert_non_null(find_alert(&w, "cpu_high", "mc-1"));
	run(&w, 2 * SEC, NULL);
	assert_null(find_alert(&w, "cpu_high", "mc-1"));
	outbox(&w, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.status[1], "resolved");
	world_close(&w);
}

/* A separate clear condition: fires above 90, resolves only below 70. */
static void test_clear_condition(void **state)
{
	(void)state;
	struct world w;
	world_open(&w, "[cpu]\nexpr = cpu.util > 90\nclear = cpu.util < 70\nseverity = warning\n",
		   NOTIFY_ONE);
	run(&w, 2 * SEC, "mc-2");
	assert_non_null(find_alert(&w, "cpu", "mc-2"));
	for (int i = 0; i < 10; i++) {
		w.now += SEC;
		sample(&w, "mc-2", "cpu.util", 80); /* between: stays firing */
		tick(&w);
	}
	assert_non_null(find_alert(&w, "cpu", "mc-2"));
	w.now += SEC;
	sample(&w, "mc-2", "cpu.util", 60);
	tick(&w);
	assert_null(find_alert(&w, "cpu", "mc-2"));
	world_close(&w);
}

/* Five hosts of @eu firing one rule become one notification after
 * group_wait; a sixth joins at the next group_interval; an unchanged group
 * repeats after repeat_interval. */
static void test_grouping(void **state)
{
	(void)state;
	struct world w;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = critical\n",
		   NOTIFY_ONE "[policy all]\ngroup_by = rule, group\ngroup_wait = 10s\n"
			      "group_interval = 1m\nrepeat_interval = 1h\nstep = chat\n");
	run(&w, 9 * SEC, "mc-1,mc-2,mc-3,mc-4");
	struct sent s;
	outbox(&w, &s);
	assert_int_equal(s.n, 0); /* group_wait */
	run(&w, 2 * SEC, "mc-1,mc-2,mc-3,mc-4");
	outbox(&w, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.nalerts[0], 4);
	assert_string_equal(s.title[0], "4 hosts in @eu: cpu high");
	/* mc-5 joins: not before group_interval since the last one. */
	run(&w, 30 * SEC, "mc-1,mc-2,mc-3,mc-4,mc-5");
	outbox(&w, &s);
	assert_int_equal(s.n, 1);
	run(&w, 31 * SEC, "mc-1,mc-2,mc-3,mc-4,mc-5");
	outbox(&w, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.nalerts[1], 5);
	assert_string_equal(s.title[1], "5 hosts in @eu: cpu high");
	assert_string_not_equal(s.key[0], s.key[1]);
	/* Unchanged: nothing until repeat_interval. */
	run(&w, 58 * MIN, "mc-1,mc-2,mc-3,mc-4,mc-5");
	outbox(&w, &s);
	assert_int_equal(s.n, 2);
	run(&w, 2 * MIN + 2 * SEC, "mc-1,mc-2,mc-3,mc-4,mc-5");
	outbox(&w, &s);
	assert_int_equal(s.n, 3);
	/* Another group (us) is its own notification. */
	run(&w, 12 * SEC, "mc-1,mc-2,mc-3,mc-4,mc-5,us-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.nalerts[3], 1);
	world_close(&w);
}

/* Discord at once, email after 5m, SMS after 15m unless acknowledged. */
static void test_escalation_and_ack(void **state)
{
	(void)state;
	struct world w;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = critical\n",
		   NOTIFY_ONE "[policy oncall]\ngroup_wait = 0s\ngroup_interval = 1m\n"
			      "repeat_interval = 4h\nstep = chat\nstep = 5m mail\nstep = 15m sms\n");
	run(&w, 2 * SEC, "mc-1");
	struct sent s;
	outbox(&w, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.receiver[0], "chat");
	run(&w, 5 * MIN, "mc-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.receiver[1], "mail");
	run(&w, 10 * MIN, "mc-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.receiver[2], "sms");
	world_close(&w);

	/* Acknowledged at 3 minutes: no email, no SMS, no repeats. */
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = critical\n",
		   NOTIFY_ONE "[policy oncall]\ngroup_wait = 0s\ngroup_interval = 1m\n"
			      "repeat_interval = 10m\nstep = chat\nstep = 5m mail\nstep = 15m sms\n");
	run(&w, 3 * MIN, "mc-1");
	const struct alert_info *a = find_alert(&w, "cpu_high", "mc-1");
	assert_non_null(a);
	struct error err;
	int64_t id = a->id;
	assert_int_equal(alert_engine_ack(w.ae, id, "alice", "on it", w.now, &err), 1);
	run(&w, 30 * MIN, "mc-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 1);
	/* Taken back from another process (`fleetop alerts unack`), through
	 * the file: the engine sees it at its next tick; escalation resumes. */
	struct store *other;
	if (store_open(&other, path, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(alert_ack_store(other, id, NULL, NULL, w.now, &err), 1);
	store_close(other);
	run(&w, 3 * SEC, "mc-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 3); /* mail and sms are overdue */
	world_close(&w);
}

/* A change that comes with an escalation step, too soon after the last
 * notification for the receivers told before: they hear it at the
 * group_interval rather than never. */
static void test_escalation_with_change(void **state)
{
	(void)state;
	struct world w;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = critical\n",
		   NOTIFY_ONE "[policy oncall]\ngroup_wait = 0s\ngroup_interval = 5m\n"
			      "repeat_interval = 4h\nstep = chat\nstep = 4m mail\n");
	run(&w, 2 * MIN, "mc-1");
	run(&w, 3 * MIN, "mc-1,mc-2"); /* mc-2 joins at 2m; mail comes due at 4m */
	struct sent s;
	outbox(&w, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.receiver[1], "mail");
	assert_int_equal(s.nalerts[1], 2);
	run(&w, 2 * MIN, "mc-1,mc-2"); /* 5m after the first: chat hears of mc-2 */
	outbox(&w, &s);
	int chat2 = 0;
	for (int i = 0; i < s.n; i++)
		chat2 += strcmp(s.receiver[i], "chat") == 0 && s.nalerts[i] == 2;
	assert_int_equal(chat2, 1);
	world_close(&w);
}

/* A host that is down mutes its other alerts (the default inhibition);
 * a datacenter-level alert mutes the alerts of its datacenter's hosts. */
static void test_inhibition(void **state)
{
	(void)state;
	struct world w;
	world_open(&w,
		   "[host_unreachable]\nexpr = host.up == 0\nseverity = critical\n"
		   "[game_down]\nexpr = game.up == 0\nseverity = critical\n"
		   "[dc_gateway_down]\nexpr = gw.up == 0\nseverity = critical\nhosts = gw-nyc\n"
		   "labels = level=dc\n",
		   NOTIFY_ONE "[policy all]\ngroup_by = rule, host\ngroup_wait = 0s\nstep = chat\n"
			      "[inhibit host-down]\nsource = rule=host_unreachable\n"
			      "target = rule!=host_unreachable\nequal = host\n"
			      "[inhibit dc]\nsource = level=dc\ntarget = level!=dc\nequal = dc\n");
	/* mc-1: its game stops answering, then the host goes down. */
	sample(&w, "mc-1", "game.up", 0);
	tick(&w);
	struct sent s;
	outbox(&w, &s);
	assert_int_equal(s.n, 1);
	w.fleet.hosts[0].state = HOST_DOWN;
	w.now += SEC;
	tick(&w);
	const struct alert_info *a = find_alert(&w, "game_down", "mc-1");
	/* Down: its metrics are undefined, so the game alert resolves, or
	 * stays inhibited; either way it does not notify again. */
	if (a)
		assert_true(a->muted & ALERT_MUTE_INHIBITED);
	a = find_alert(&w, "host_unreachable", "mc-1");
	assert_non_null(a);
	assert_false(a->muted);
	/* The datacenter: gw-nyc's alert mutes us-1's and us-2's. */
	w.now += SEC;
	sample(&w, "us-1", "game.up", 0);
	sample(&w, "us-2", "game.up", 0);
	sample(&w, "gw-nyc", "gw.up", 0);
	tick(&w);
	a = find_alert(&w, "game_down", "us-1");
	assert_non_null(a);
	assert_true(a->muted & ALERT_MUTE_INHIBITED);
	a = find_alert(&w, "game_down", "us-2");
	assert_non_null(a);
	assert_true(a->muted & ALERT_MUTE_INHIBITED);
	a = find_alert(&w, "dc_gateway_down", "gw-nyc");
	assert_non_null(a);
	assert_false(a->muted);
	outbox(&w, &s);
	int chat_us = 0;
	for (int i = 0; i < s.n; i++)
		chat_us += strstr(s.title[i], "us-") != NULL;
	assert_int_equal(chat_us, 0);
	world_close(&w);
}

/* A silence mutes what it matches until it ends; then the alert notifies.
 * A maintenance window mutes its hosts'. */
static void test_silence_and_maintenance(void **state)
{
	(void)state;
	struct world w;
	struct error err;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = warning\n",
		   NOTIFY_ONE "[policy all]\ngroup_by = rule, host\ngroup_wait = 0s\nstep = chat\n");
	/* Added by another process: seen at the next tick. */
	assert_true(alert_silence_add(w.store, "host=mc-1", w.now, w.now + 10 * MIN, "bob",
				      "reboot", w.now, &err) > 0);
	assert_true(alert_maintenance_add(w.store, &w.fleet, "@us", w.now, w.now + 5 * MIN, "bob",
					  "upgrade", w.now, &err) > 0);
	run(&w, 2 * MIN, "mc-1,mc-2,us-1");
	const struct alert_info *a = find_alert(&w, "cpu_high", "mc-1");
	assert_non_null(a);
	assert_true(a->muted & ALERT_MUTE_SILENCED);
	a = find_alert(&w, "cpu_high", "us-1");
	assert_non_null(a);
	assert_true(a->muted & ALERT_MUTE_MAINTENANCE);
	struct sent s;
	outbox(&w, &s);
	assert_int_equal(s.n, 1); /* mc-2 only */
	/* The maintenance window ends at 5m: us-1 notifies. */
	run(&w, 3 * MIN + 2 * SEC, "mc-1,mc-2,us-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 2);
	/* The silence ends at 10m: mc-1 notifies. */
	run(&w, 5 * MIN + 2 * SEC, "mc-1,mc-2,us-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 3);
	/* The audit trail has the silence, the window, the transitions. */
	world_close(&w);
}

/* An alert that drops out of its group because it is muted now is not
 * announced as resolved: it is not over. The store says why it is muted. */
static void test_muted_is_not_resolved(void **state)
{
	(void)state;
	struct world w;
	struct error err;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = warning\n",
		   NOTIFY_ONE "[policy all]\ngroup_by = rule, host\ngroup_wait = 0s\n"
			      "group_interval = 1s\nstep = chat\n");
	run(&w, 2 * SEC, "mc-1");
	struct sent s;
	outbox(&w, &s);
	assert_int_equal(s.n, 1);
	struct store *other;
	if (store_open(&other, path, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(alert_silence_add(other, "host=mc-1", w.now, w.now + 10 * MIN, "bob", NULL,
				      w.now, &err) > 0);
	store_close(other);
	run(&w, 5 * SEC, "mc-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 1);
	const struct alert_info *a = find_alert(&w, "cpu_high", "mc-1");
	assert_non_null(a);
	assert_int_equal(a->muted, ALERT_MUTE_SILENCED);
	world_close(&w);
}

/* A sample-driven tick evaluates only the hosts that sent samples; the
 * full tick also moves the quiet ones (here: pending past its `for`). */
static void test_tick_changed(void **state)
{
	(void)state;
	struct world w;
	struct error err;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nfor = 5s\nseverity = warning\n",
		   NOTIFY_ONE);
	run(&w, 1 * SEC, "mc-1,mc-2");
	assert_int_equal(find_alert(&w, "cpu_high", "mc-2")->state, ALERT_PENDING);
	w.now += 10 * SEC;
	sample(&w, "mc-1", "cpu.util", 95);
	assert_true(alert_engine_tick_changed(w.ae, w.now, &err) >= 0);
	assert_int_equal(find_alert(&w, "cpu_high", "mc-1")->state, ALERT_FIRING);
	assert_int_equal(find_alert(&w, "cpu_high", "mc-2")->state, ALERT_PENDING);
	/* Nothing new since: a changed-tick evaluates nobody. */
	assert_true(alert_engine_tick_changed(w.ae, w.now, &err) >= 0);
	assert_int_equal(find_alert(&w, "cpu_high", "mc-2")->state, ALERT_PENDING);
	tick(&w);
	assert_int_equal(find_alert(&w, "cpu_high", "mc-2")->state, ALERT_FIRING);
	world_close(&w);
}

/* Resolution reaches only receivers with send_resolved. */
static void test_send_resolved(void **state)
{
	(void)state;
	struct world w;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = warning\n",
		   NOTIFY_ONE "[policy all]\ngroup_wait = 0s\ngroup_interval = 1s\n"
			      "step = chat, mail\n");
	run(&w, 2 * SEC, "mc-1");
	run(&w, 3 * SEC, NULL);
	struct sent s;
	outbox(&w, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.status[2], "resolved");
	assert_string_equal(s.receiver[2], "chat");
	world_close(&w);
}

/* An alert that flaps inside its group's group_interval makes no
 * notification a flap: as in Alertmanager, the group's end is told at its
 * next group_interval, and a firing again before then carries it on. */
static void test_flap_within_group_interval(void **state)
{
	(void)state;
	struct world w;
	struct sent s;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = warning\n",
		   NOTIFY_ONE "[policy all]\ngroup_wait = 0s\ngroup_interval = 1m\nstep = chat\n");
	run(&w, 2 * SEC, "mc-1"); /* fired and told at t=1 s */
	for (int flap = 0; flap < 4; flap++) {
		run(&w, 5 * SEC, NULL);
		assert_null(find_alert(&w, "cpu_high", "mc-1"));
		run(&w, 5 * SEC, "mc-1");
		assert_non_null(find_alert(&w, "cpu_high", "mc-1"));
	}
	outbox(&w, &s);
	assert_int_equal(s.n, 1); /* 4 flaps in 42 s: nothing more yet */
	run(&w, 18 * SEC, NULL);  /* t=60 s: not yet a group_interval */
	outbox(&w, &s);
	assert_int_equal(s.n, 1);
	run(&w, 2 * SEC, NULL);   /* t=62 s: the end, once */
	outbox(&w, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.status[1], "resolved");
	assert_int_equal(s.nalerts[1], 1);
	run(&w, 30 * SEC, NULL);
	outbox(&w, &s);
	assert_int_equal(s.n, 2);
	/* The group ended: firing again is a new incident, told at once. */
	run(&w, 2 * SEC, "mc-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.status[2], "firing");
	/* Resolved, then firing again when the group_interval comes: one
	 * notification with the new alert firing and the old one resolved. */
	run(&w, 5 * SEC, NULL);
	run(&w, 60 * SEC, "mc-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.status[3], "firing");
	assert_int_equal(s.nalerts[3], 2);
	world_close(&w);
}

/* A restart carries firing alerts on without announcing them again, and
 * resolves them (and says so) when they end. */
static void test_restart(void **state)
{
	(void)state;
	struct world w;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = warning\n",
		   NOTIFY_ONE "[policy all]\ngroup_wait = 0s\ngroup_interval = 1s\nstep = chat\n");
	run(&w, 3 * SEC, "mc-1");
	const struct alert_info *a = find_alert(&w, "cpu_high", "mc-1");
	assert_non_null(a);
	int64_t id = a->id;
	struct sent s;
	outbox(&w, &s);
	assert_int_equal(s.n, 1);
	world_restart(&w);
	run(&w, 10 * SEC, "mc-1");
	a = find_alert(&w, "cpu_high", "mc-1");
	assert_non_null(a);
	assert_int_equal(a->id, id);
	outbox(&w, &s);
	assert_int_equal(s.n, 1);
	run(&w, 2 * SEC, NULL);
	outbox(&w, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.status[1], "resolved");
	world_close(&w);
}

/* A rule scoped to @eu,!mc-3 never looks at other hosts; a scope naming
 * nothing is refused with the rule's file:line. */
static void test_scope(void **state)
{
	(void)state;
	struct world w;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nhosts = @eu,!mc-3\n", NOTIFY_ONE);
	run(&w, 2 * SEC, "mc-1,mc-3,us-1");
	assert_non_null(find_alert(&w, "cpu_high", "mc-1"));
	assert_null(find_alert(&w, "cpu_high", "mc-3"));
	assert_null(find_alert(&w, "cpu_high", "us-1"));
	struct rule_set bad = { 0 };
	struct error err;
	assert_int_equal(rules_load_string(&bad, "\n[x]\nexpr = cpu.util > 1\nhosts = @nope\n",
					   "rules.conf", &err), 0);
	assert_int_equal(alert_engine_set_rules(w.ae, &bad, &err), -1);
	assert_non_null(strstr(err.msg, "rules.conf:2"));
	rules_free(&bad);
	/* The old rules are still in force. */
	run(&w, 1 * SEC, "mc-1");
	assert_non_null(find_alert(&w, "cpu_high", "mc-1"));
	world_close(&w);
}

/* The same group firing again after it resolved is a new incident: it
 * notifies again, under keys of its own (a key the first incident used
 * would be ignored by the outbox). */
static void test_second_incident(void **state)
{
	(void)state;
	struct world w;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = warning\n",
		   NOTIFY_ONE "[policy all]\ngroup_wait = 0s\ngroup_interval = 1s\nstep = chat\n");
	run(&w, 2 * SEC, "mc-1");
	run(&w, 2 * SEC, NULL);
	struct sent s;
	outbox(&w, &s);
	assert_int_equal(s.n, 2);
	run(&w, 2 * SEC, "mc-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.status[2], "firing");
	/* And after a restart too. */
	run(&w, 2 * SEC, NULL);
	world_restart(&w);
	run(&w, 2 * SEC, "mc-1");
	outbox(&w, &s);
	assert_int_equal(s.n, 5);
	assert_string_equal(s.status[4], "firing");
	world_close(&w);
}

/* A reload that drops a rule resolves its open alerts and commits at once:
 * the history's other writers (a sample flush) run before the next tick,
 * and the view no longer points into the rules the caller freed. */
static void test_reload_drops_rule(void **state)
{
	(void)state;
	struct world w;
	struct error err;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = warning\n"
		       "[ram_high]\nexpr = mem.used_pct > 90\nseverity = warning\n",
		   NOTIFY_ONE "[policy all]\ngroup_wait = 0s\nstep = chat\n");
	run(&w, 2 * SEC, "mc-1");
	assert_non_null(find_alert(&w, "cpu_high", "mc-1"));
	world_reload(&w, "[ram_high]\nexpr = mem.used_pct > 90\n");
	const struct alert_info *v;
	size_t n = alert_engine_alerts(w.ae, &v);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(v[i].rule, "cpu_high"); /* no freed name read */
	int64_t series = store_series(w.store, "mc-1", "cpu.util", &err);
	assert_true(series > 0);
	assert_int_equal(store_add(w.store, series, w.now, 1, &err), 0);
	if (store_flush(w.store, &err) < 0)
		fail_msg("flush after a reload: %s", err.msg);
	world_close(&w);
}

static void row_copy(void *arg, const struct store_alert *a)
{
	char *out = arg;
	snprintf(out, 512, "%s|%s|%s|%s", a->severity, a->summary, a->runbook ? a->runbook : "",
		 a->labels);
}

/* A reload that changes a rule gives its open alerts the rule's new
 * severity, labels, summary and runbook, in memory and in the store, and
 * they carry on as the same alerts. */
static void test_reload_changes_rule(void **state)
{
	(void)state;
	struct world w;
	struct error err;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = warning\nlabels = team=web\n"
		       "summary = old {host}\n",
		   NOTIFY_ONE "[policy all]\ngroup_wait = 0s\nstep = chat\n");
	run(&w, 2 * SEC, "mc-1");
	const struct alert_info *a = find_alert(&w, "cpu_high", "mc-1");
	assert_non_null(a);
	int64_t id = a->id;
	assert_string_equal(a->summary, "old mc-1");
	world_reload(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = critical\n"
			 "labels = team=games\nsummary = new {host} {value}%\n"
			 "runbook = https://wiki.example/cpu\n");
	a = find_alert(&w, "cpu_high", "mc-1");
	assert_non_null(a);
	assert_int_equal(a->id, id);
	assert_int_equal(a->severity, SEV_CRITICAL);
	assert_string_equal(a->summary, "new mc-1 95%");
	char row[512] = "";
	assert_int_equal(store_alert_get(w.store, id, row_copy, row, &err), 1);
	assert_non_null(strstr(row, "critical|new mc-1 95%|https://wiki.example/cpu|"));
	assert_non_null(strstr(row, "\"team\":\"games\""));
	assert_null(strstr(row, "web"));
	assert_non_null(strstr(row, "\"severity\":\"critical\""));
	run(&w, 2 * SEC, "mc-1");
	a = find_alert(&w, "cpu_high", "mc-1");
	assert_non_null(a);
	assert_int_equal(a->id, id);
	world_close(&w);
}

static int fail_outbox(const char *sql)
{
	sqlite3 *db;
	int rc = sqlite3_open(path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void count_open(void *arg, const struct store_alert *a)
{
	int64_t *ids = arg;
	ids[ids[0] < 7 ? ++ids[0] : 0] = a->id;
}

/* Two engines on one history, as a console beside `fleetop collect`: both
 * get the same samples, in lockstep. */
static void run2(struct world *a, struct world *b, int64_t ms, const char *hot)
{
	for (int64_t t = 0; t < ms; t += SEC) {
		run(a, SEC, hot);
		run(b, SEC, hot);
	}
}

static int open_alerts(struct world *w, int64_t ids[8])
{
	struct error err;
	memset(ids, 0, 8 * sizeof *ids);
	if (store_alerts(w->store, true, 0, 0, count_open, ids, &err) < 0)
		fail_msg("%s", err.msg);
	return (int)ids[0];
}

#define TWO_RULES "[cpu_high]\nexpr = cpu.util > 80\nseverity = warning\n"
#define TWO_NOTIFY NOTIFY_ONE "[policy all]\ngroup_wait = 0s\ngroup_interval = 1s\nstep = chat\n"

/* One engine a history leads: the other raises and notifies nothing, shows
 * the leader's alerts (ids included) and acknowledges through the store;
 * when the leader ends, it takes over without announcing anything again. */
static void test_one_engine_leads(void **state)
{
	(void)state;
	struct world w1, w2;
	struct sent s;
	int64_t ids[8];
	world_open(&w1, TWO_RULES, TWO_NOTIFY);
	world_open(&w2, TWO_RULES, TWO_NOTIFY);
	run2(&w1, &w2, 3 * SEC, "mc-1");
	assert_true(alert_engine_leads(w1.ae));
	assert_false(alert_engine_leads(w2.ae));
	assert_int_equal(open_alerts(&w1, ids), 1);
	outbox(&w1, &s);
	assert_int_equal(s.n, 1);
	const struct alert_info *a1 = find_alert(&w1, "cpu_high", "mc-1");
	const struct alert_info *a2 = find_alert(&w2, "cpu_high", "mc-1");
	assert_non_null(a1);
	assert_non_null(a2);
	assert_int_equal(a2->id, a1->id);
	assert_int_equal(a2->state, ALERT_FIRING);
	assert_int_equal(a2->severity, SEV_WARNING);
	assert_int_equal(alert_engine_host_severity(w2.ae, a2->host_id), SEV_WARNING);
	int64_t id = a1->id;
	/* Acknowledged in the follower: the leader sees it. */
	struct error err;
	assert_int_equal(alert_engine_ack(w2.ae, id, "bob", "on it", w2.now, &err), 1);
	assert_string_equal(find_alert(&w2, "cpu_high", "mc-1")->acked_by, "bob");
	run2(&w1, &w2, 2 * SEC, "mc-1");
	a1 = find_alert(&w1, "cpu_high", "mc-1");
	assert_non_null(a1);
	assert_non_null(a1->acked_by);
	assert_string_equal(a1->acked_by, "bob");
	/* The leader ends: the follower carries its alert on, silently. */
	world_close(&w1);
	run(&w2, 3 * SEC, "mc-1");
	assert_true(alert_engine_leads(w2.ae));
	a2 = find_alert(&w2, "cpu_high", "mc-1");
	assert_non_null(a2);
	assert_int_equal(a2->id, id);
	outbox(&w2, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(open_alerts(&w2, ids), 1);
	/* And it ends it. */
	run(&w2, 3 * SEC, NULL);
	outbox(&w2, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.status[1], "resolved");
	world_close(&w2);
}

/* An engine of a host selection leads only until an engine of the whole
 * fleet waits; either way each alert is raised once. */
static void test_selection_hands_over(void **state)
{
	(void)state;
	struct world part, whole;
	int64_t ids[8];
	world_open(&part, TWO_RULES, TWO_NOTIFY);
	world_open(&whole, TWO_RULES, TWO_NOTIFY);
	unsigned char sel[16] = { 0 };
	sel[fleet_find(&part.fleet, "mc-1")->id] = 1;
	alert_engine_set_hosts(part.ae, sel);
	run(&part, 2 * SEC, "mc-1,mc-2"); /* alone: it leads, for mc-1 only */
	assert_true(alert_engine_leads(part.ae));
	assert_non_null(find_alert(&part, "cpu_high", "mc-1"));
	assert_null(find_alert(&part, "cpu_high", "mc-2"));
	run2(&whole, &part, 4 * SEC, "mc-1,mc-2"); /* the whole fleet's engine comes */
	assert_true(alert_engine_leads(whole.ae));
	assert_false(alert_engine_leads(part.ae));
	assert_int_equal(open_alerts(&whole, ids), 2); /* mc-1 once, mc-2 once */
	assert_non_null(find_alert(&whole, "cpu_high", "mc-2"));
	assert_non_null(find_alert(&part, "cpu_high", "mc-2")); /* the store's, followed */
	world_close(&part);
	world_close(&whole);
}

static void count_group(void *arg, const struct store_group *g)
{
	(void)g;
	(*(int *)arg)++;
}

static int stored_groups(struct world *w)
{
	struct error err;
	int n = 0;
	if (store_groups(w->store, count_group, &n, &err) < 0)
		fail_msg("%s", err.msg);
	return n;
}

/* Engines of two selections (collect @eu beside collect @us) each lead
 * theirs: both hosts' alerts are raised, each once. */
static void test_selections_side_by_side(void **state)
{
	(void)state;
	struct world eu, us;
	int64_t ids[8];
	world_open(&eu, TWO_RULES, TWO_NOTIFY);
	world_open(&us, TWO_RULES, TWO_NOTIFY);
	unsigned char sel_eu[16] = { 0 }, sel_us[16] = { 0 };
	sel_eu[fleet_find(&eu.fleet, "mc-1")->id] = 1;
	sel_us[fleet_find(&us.fleet, "us-1")->id] = 1;
	alert_engine_set_hosts(eu.ae, sel_eu);
	alert_engine_set_hosts(us.ae, sel_us);
	run2(&eu, &us, 4 * SEC, "mc-1,us-1");
	assert_true(alert_engine_leads(eu.ae));
	assert_true(alert_engine_leads(us.ae));
	assert_int_equal(open_alerts(&eu, ids), 2);
	assert_non_null(find_alert(&eu, "cpu_high", "mc-1"));
	assert_null(find_alert(&eu, "cpu_high", "us-1"));
	assert_non_null(find_alert(&us, "cpu_high", "us-1"));
	/* A restart of one leaves the other's alert alone. */
	int64_t us_id = find_alert(&us, "cpu_high", "us-1")->id;
	world_restart(&eu);
	alert_engine_set_hosts(eu.ae, sel_eu);
	run2(&eu, &us, 3 * SEC, "mc-1,us-1");
	assert_true(alert_engine_leads(eu.ae));
	assert_true(alert_engine_leads(us.ae));
	assert_int_equal(open_alerts(&eu, ids), 2);
	assert_int_equal(find_alert(&us, "cpu_high", "us-1")->id, us_id);
	assert_null(find_alert(&eu, "cpu_high", "us-1"));
	/* ... and the other's group: the restarted one did not take it for
	 * its own and end it (group_interval 1 s has long passed). */
	run2(&eu, &us, 3 * SEC, "mc-1,us-1");
	assert_int_equal(stored_groups(&eu), 2);
	struct sent s;
	outbox(&eu, &s);
	assert_int_equal(s.n, 2); /* one firing each, nothing more */
	world_close(&eu);
	world_close(&us);
}

/* A tick whose transaction fails leaves no trace in memory either: the
 * next one writes the alert and its notification again, under the id the
 * store has. */
static void test_failed_tick(void **state)
{
	(void)state;
	struct world w;
	struct error err;
	world_open(&w, "[cpu_high]\nexpr = cpu.util > 80\nseverity = warning\n",
		   NOTIFY_ONE "[policy all]\ngroup_wait = 0s\ngroup_interval = 1s\nstep = chat\n");
	assert_int_equal(fail_outbox("CREATE TRIGGER nope BEFORE INSERT ON outbox "
				     "BEGIN SELECT RAISE(ABORT, 'disk full'); END"), SQLITE_OK);
	w.now += SEC;
	sample(&w, "mc-1", "cpu.util", 95);
	assert_int_equal(alert_engine_tick(w.ae, w.now, &err), -1);
	assert_int_equal(fail_outbox("DROP TRIGGER nope"), SQLITE_OK);
	run(&w, 2 * SEC, "mc-1");
	struct sent s;
	outbox(&w, &s);
	assert_int_equal(s.n, 1);
	int64_t ids[8] = { 0 };
	if (store_alerts(w.store, true, 0, 0, count_open, ids, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(ids[0], 1);
	const struct alert_info *a = find_alert(&w, "cpu_high", "mc-1");
	assert_non_null(a);
	assert_int_equal(a->id, ids[1]);
	world_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle_hysteresis),
		cmocka_unit_test(test_clear_condition),
		cmocka_unit_test(test_grouping),
		cmocka_unit_test(test_escalation_and_ack),
		cmocka_unit_test(test_escalation_with_change),
		cmocka_unit_test(test_inhibition),
		cmocka_unit_test(test_silence_and_maintenance),
		cmocka_unit_test(test_muted_is_not_resolved),
		cmocka_unit_test(test_tick_changed),
		cmocka_unit_test(test_send_resolved),
		cmocka_unit_test(test_flap_within_group_interval),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_second_incident),
		cmocka_unit_test(test_reload_drops_rule),
		cmocka_unit_test(test_reload_changes_rule),
		cmocka_unit_test(test_failed_tick),
		cmocka_unit_test(test_one_engine_leads),
		cmocka_unit_test(test_selection_hands_over),
		cmocka_unit_test(test_selections_side_by_side),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
