/* fleetop notify: the notification outbox and its receivers.
 *   fleetop notify test RECEIVER [-m TEXT] [--timeout DUR]   send one, wait for the outcome
 *   fleetop notify send [--timeout DUR]                      deliver what is pending, then exit
 *   fleetop notify outbox [--json] [--state S] [--limit N]   what was and is to be sent
 *   fleetop notify receivers [--check] [--json]              notify.conf's receivers
 * Sending runs the same sender as the console (libcurl on the loop); when
 * a console or another `fleetop notify` is sending for this history
 * already, that one delivers (one sender a history file) and this one
 * waits for the outcome in the outbox. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleetop/alert.h"
#include "options.h"

enum { OPT_STATE = OPT_FIRST_PRIVATE, OPT_LIMIT, OPT_CHECK };

#define TEST_TIMEOUT_MS 30000
#define WATCH_MS 20 /* how often a waiting command looks at the outbox */
#define DRAIN_MS 2000

struct notify_opts {
	const char *config;
	bool json, check;
	int64_t timeout_ms; /* 0: the subcommand's default */
	const char *message;
	const char *state;
	int limit;
};

/* ---- what every subcommand opens ---- */

struct notify_ctx {
	struct settings settings;
	struct notify_config cfg;
	char *conf_path;
	struct store *st;
};

static void ctx_close(struct notify_ctx *c)
{
	if (c->st)
		store_close(c->st);
	notify_config_free(&c->cfg);
	free(c->conf_path);
	settings_free(&c->settings);
}

/* Settings, notify.conf (beside fleetop.conf, FLEETOP_HOME aware) and,
 * when want_store, the history. 0 or EXIT_USAGE (printed). */
static int ctx_open(struct notify_ctx *c, const struct notify_opts *o, bool want_store)
{
	struct error err;
	memset(c, 0, sizeof *c);
	settings_init(&c->settings);
	if (settings_load(&c->settings, o->config, &err) < 0) {
		ctx_close(c);
		return cli_usage_error("%s", err.msg);
	}
	c->conf_path = settings_config_beside(&c->settings, "notify.conf");
	if (notify_config_load(&c->cfg, c->conf_path, true, &err) < 0) {
		ctx_close(c);
		return cli_usage_error("%s", err.msg);
	}
	if (want_store && (mkdir_p(c->settings.data_dir, 0700, &err) < 0 ||
			   cli_store_open(&c->settings, &c->st, &err) < 0)) {
		ctx_close(c);
		return cli_usage_error("%s", err.msg);
	}
	return 0;
}

/* ---- SIGINT/SIGTERM end a wait ---- */

static void on_signal(struct loop *loop, int sig, void *arg)
{
	(void)loop;
	(void)sig;
	*(bool *)arg = true; /* run_sender looks after each turn */
}

static void signals_watch(struct loop *loop, bool *interrupted)
{
	loop_signal_add(loop, SIGINT, on_signal, interrupted);
	loop_signal_add(loop, SIGTERM, on_signal, interrupted);
	signal(SIGPIPE, SIG_IGN);
}

static void signals_unwatch(struct loop *loop)
{
	loop_signal_del(loop, SIGINT);
	loop_signal_del(loop, SIGTERM);
}

/* ---- one row by key ---- */

struct row_state {
	const char *key;
	bool found;
	char state[16];
	int tries;
	char error[512];
	int64_t next_try_ms;
};

static void find_row(void *arg, const struct store_outbox *o)
{
	struct row_state *r = arg;
	if (r->found || strcmp(o->key, r->key))
		return;
	r->found = true;
	str_copy(r->state, o->state, sizeof r->state);
	r->tries = o->tries;
	r->next_try_ms = o->next_try_ms;
	str_copy(r->error, o->last_error ? o->last_error : "", sizeof r->error);
}

/* The row is among the newest (it was just added): no need to read them all. */
static int row_lookup(struct store *st, const char *key, struct row_state *r, struct error *err)
{
	memset(r, 0, sizeof *r);
	r->key = key;
	return store_outbox_list(st, NULL, 1000, find_row, r, err);
}

/* ---- fleetop notify test ---- */

static void add_label(struct alert_label **l, size_t *n, const char *k, const char *v)
{
	*l = xrealloc(*l, (*n + 1) * sizeof **l);
	(*l)[*n].key = xstrdup(k);
	(*l)[(*n)++].value = xstrdup(v);
}

static char *test_notification(const char *key, const char *receiver, const char *message,
			       int64_t now)
{
	char host[256] = "localhost";
	if (gethostname(host, sizeof host) < 0 || !*host)
		str_copy(host, "localhost", sizeof host);
	host[sizeof host - 1] = '\0';
	struct notification n = { 0 };
	n.key = xstrdup(key);
	n.receiver = xstrdup(receiver);
	n.group_key = xstrdup("{rule=\"test\"}");
	n.status = xstrdup("firing");
	n.title = xstrdup("fleetop test notification");
	n.severity = SEV_INFO;
	n.created_ms = now;
	add_label(&n.common_labels, &n.ncommon, "rule", "test");
	add_label(&n.common_labels, &n.ncommon, "host", host);
	add_label(&n.common_labels, &n.ncommon, "severity", "info");
	struct notify_alert *a = n.alerts = xcalloc(1, sizeof *a);
	n.nalerts = 1;
	a->fingerprint = xasprintf("test/%s", host);
	a->status = xstrdup("firing");
	a->rule = xstrdup("test");
	a->host = xstrdup(host);
	a->summary = message ? xstrdup(message)
			     : xasprintf("A test from 'fleetop notify test %s' on %s: if you read "
					 "this, notifications reach you.", receiver, host);
	a->severity = SEV_INFO;
	add_label(&a->labels, &a->nlabels, "rule", "test");
	add_label(&a->labels, &a->nlabels, "host", host);
	add_label(&a->labels, &a->nlabels, "severity", "info");
	a->value = NAN;
	a->starts_ms = now;
	char *json = notification_to_json(&n);
	notification_free(&n);
	return json;
}

struct waiter {
	struct store *st;
	const char *key; /* test: this row; send: NULL (every pending row) */
	struct notify_sender *sender;
	struct row_state row;
	struct notify_sender_stats stats; /* at the end of the run */
	uint64_t timer;
	bool done;
	int64_t done_mono; /* when done was seen */
};

static void count_pending(void *arg, const struct store_outbox *o)
{
	(void)o;
	(*(size_t *)arg)++;
}

static void on_watch(struct loop *loop, void *arg)
{
	struct waiter *w = arg;
	struct error err;
	if (w->key) {
		if (row_lookup(w->st, w->key, &w->row, &err) < 0)
			log_warn("%s", err.msg);
		else if (!w->row.found || strcmp(w->row.state, "pending"))
			w->done = true;
	} else {
		/* Rows in flight are pending until their outcome is written. */
		w->done = store_outbox_next(w->st, &err) == INT64_MAX;
	}
	if (w->done)
		w->done_mono = time_mono_ms();
	else
		w->timer = loop_timer_add(loop, WATCH_MS, on_watch, w);
}

/* Runs the sender until the waiter is done, timeout_ms passes (-1: no
 * limit) or a signal. Returns true when done. */
static bool run_sender(struct notify_ctx *c, struct waiter *w, int64_t timeout_ms,
		       bool *interrupted)
{
	struct loop *loop = loop_new();
	if (!loop) {
		fprintf(stderr, "fleetop: cannot start the event loop\n");
		return false;
	}
	signals_watch(loop, interrupted);
	w->st = c->st;
	w->sender = notify_sender_new(loop, c->st, &c->cfg);
	if (!w->sender) {
		signals_unwatch(loop);
		loop_free(loop);
		fprintf(stderr, "fleetop: cannot start the sender (libcurl)\n");
		return false;
	}
	int64_t deadline = timeout_ms >= 0 ? time_mono_ms() + timeout_ms : INT64_MAX;
	on_watch(loop, w);
	while (!w->done && !*interrupted) {
		int64_t left = deadline - time_mono_ms();
		if (left <= 0)
			break;
		loop_run_once(loop, left > 1000 ? 1000 : (int)left);
	}
	loop_timer_del(loop, w->timer);
	/* Let sends already on the wire finish (briefly) rather than cut
	 * them: one cut after the receiver got it is sent again later. */
	int64_t drain_end = time_mono_ms() + DRAIN_MS;
	for (;;) {
		notify_sender_stats(w->sender, &w->stats);
		if (!w->stats.in_flight || *interrupted || time_mono_ms() >= drain_end)
			break;
		loop_run_once(loop, WATCH_MS);
	}
	notify_sender_free(w->sender);
	signals_unwatch(loop);
	loop_free(loop);
	return w->done;
}

static int notify_test(struct notify_opts *o, const char *receiver)
{
	struct notify_ctx c;
	int rc = ctx_open(&c, o, false);
	if (rc)
		return rc;
	if (!notify_config_receiver(&c.cfg, receiver)) {
		fprintf(stderr, "fleetop: no receiver '%s' in %s", receiver, c.conf_path);
		if (c.cfg.nreceivers) {
			fprintf(stderr, " (it has:");
			for (size_t i = 0; i < c.cfg.nreceivers; i++)
				fprintf(stderr, " %s", c.cfg.receivers[i].name);
			fprintf(stderr, ")");
		}
		fprintf(stderr, "\n");
		ctx_close(&c);
		return EXIT_USAGE;
	}
	struct error err;
	if (mkdir_p(c.settings.data_dir, 0700, &err) < 0 ||
	    cli_store_open(&c.settings, &c.st, &err) < 0) {
		ctx_close(&c);
		return cli_usage_error("%s", err.msg);
	}
	int64_t now = time_wall_ms();
	char *key = xasprintf("test-%s-%lld", receiver, (long long)now);
	char *json = test_notification(key, receiver, o->message, now);
	rc = store_outbox_add(c.st, key, receiver, json, now, &err);
	free(json);
	if (rc < 0) {
		free(key);
		ctx_close(&c);
		return cli_usage_error("%s", err.msg);
	}
	int64_t t0 = time_mono_ms();
	struct waiter w = { .key = key };
	bool interrupted = false;
	bool done = run_sender(&c, &w, o->timeout_ms ? o->timeout_ms : TEST_TIMEOUT_MS,
			       &interrupted);
	long long took = (long long)((w.done_mono ? w.done_mono : time_mono_ms()) - t0);
	int exit_code = EXIT_SOME_FAILED;
	if (row_lookup(c.st, key, &w.row, &err) < 0) {
		fprintf(stderr, "fleetop: %s\n", err.msg);
	} else if (!strcmp(w.row.state, "sent")) {
		printf("%s: delivered in %lld ms (%s)\n", receiver, took, key);
		exit_code = EXIT_OK;
	} else if (!strcmp(w.row.state, "failed")) {
		printf("%s: failed: %s\n", receiver, w.row.error);
		/* We have the receiver: the one that sent has an older notify.conf. */
		if (str_starts_with(w.row.error, "no receiver"))
			printf("(another fleetop sends for this history and has not read the "
			       "new notify.conf: reload it with SIGHUP and try again)\n");
	} else {
		printf("%s: not confirmed after %lld ms (%d %s)%s%s; it stays in the outbox: "
		       "'fleetop notify send' delivers it\n", receiver, took, w.row.tries,
		       w.row.tries == 1 ? "try" : "tries", *w.row.error ? ": " : "", w.row.error);
	}
	if (!done && interrupted)
		fprintf(stderr, "fleetop: interrupted\n");
	free(key);
	ctx_close(&c);
	return exit_code;
}

/* ---- fleetop notify send ---- */

static int notify_send(struct notify_opts *o)
{
	struct notify_ctx c;
	int rc = ctx_open(&c, o, true);
	if (rc)
		return rc;
	/* Each outcome is a line on stderr (never a URL, a header or a body). */
	log_set_level(LOG_INFO);
	struct waiter w = { 0 };
	bool interrupted = false;
	run_sender(&c, &w, o->timeout_ms ? o->timeout_ms : -1, &interrupted);
	size_t pending = 0;
	struct error err;
	if (store_outbox_list(c.st, "pending", 0, count_pending, &pending, &err) < 0)
		fprintf(stderr, "fleetop: %s\n", err.msg);
	printf("sent %llu, retried %llu, failed %llu; %zu pending\n",
	       (unsigned long long)w.stats.sent, (unsigned long long)w.stats.retried,
	       (unsigned long long)w.stats.failed, pending);
	ctx_close(&c);
	return pending || w.stats.failed ? EXIT_SOME_FAILED : EXIT_OK;
}

/* ---- fleetop notify outbox ---- */

static const char *when(int64_t ms, int64_t now, char *out, size_t size)
{
	int64_t d = (ms - now) / 1000;
	if (ms <= 0) {
		snprintf(out, size, "-");
	} else if (ms <= now) {
		snprintf(out, size, "now");
	} else if (d < 120) {
		snprintf(out, size, "in %llds", (long long)(d > 0 ? d : 1));
	} else if (d < 7200) {
		snprintf(out, size, "in %lldm", (long long)(d / 60));
	} else {
		snprintf(out, size, "in %lldh", (long long)(d / 3600));
	}
	return out;
}

struct outbox_out {
	cJSON *arr;
	int n;
	int64_t now;
};

static void print_row(void *arg, const struct store_outbox *row)
{
	struct outbox_out *out = arg;
	struct notification n;
	struct error err;
	memset(&n, 0, sizeof n);
	/* Only the title of the body: the rest is the receiver's business. */
	char *title = notification_from_json(&n, row->body, &err) == 0 && n.title
			      ? xstrdup(n.title) : xstrdup("?");
	notification_free(&n);
	bool pending = !strcmp(row->state, "pending");
	if (out->arr) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "id", (double)row->id);
		cJSON_AddStringToObject(e, "key", row->key);
		cJSON_AddStringToObject(e, "receiver", row->receiver);
		cJSON_AddStringToObject(e, "state", row->state);
		cJSON_AddNumberToObject(e, "tries", row->tries);
		cJSON_AddNumberToObject(e, "created", (double)row->created_ms);
		if (pending)
			cJSON_AddNumberToObject(e, "next_try", (double)row->next_try_ms);
		else
			cJSON_AddNullToObject(e, "next_try");
		if (row->done_ms)
			cJSON_AddNumberToObject(e, "done", (double)row->done_ms);
		else
			cJSON_AddNullToObject(e, "done");
		if (row->last_error)
			cJSON_AddStringToObject(e, "last_error", row->last_error);
		else
			cJSON_AddNullToObject(e, "last_error");
		cJSON_AddStringToObject(e, "title", title);
		cJSON_AddItemToArray(out->arr, e);
	} else {
		char a[32], b[32];
		if (out->n == 0)
			printf("%-6s %-8s %5s  %-19s  %-16s %-32s %s\n", "ID", "STATE", "TRIES",
			       "NEXT/DONE", "RECEIVER", "KEY", "TITLE");
		printf("%-6lld %-8s %5d  %-19s  %-16s %-32s %s\n", (long long)row->id, row->state,
		       row->tries, pending ? when(row->next_try_ms, out->now, a, sizeof a)
					   : cli_local_time(row->done_ms, b, sizeof b),
		       row->receiver, row->key, title);
		if (row->last_error)
			printf("       %s: %s\n", pending ? "last error"
					   : !strcmp(row->state, "sent") ? "earlier error" : "error",
			       row->last_error);
	}
	free(title);
	out->n++;
}

static int notify_outbox(struct notify_opts *o)
{
	struct error err;
	struct settings s;
	struct store *st = NULL;
	settings_init(&s);
	if (settings_load(&s, o->config, &err) < 0 || mkdir_p(s.data_dir, 0700, &err) < 0 ||
	    cli_store_open(&s, &st, &err) < 0) {
		settings_free(&s);
		return cli_usage_error("%s", err.msg);
	}
	settings_free(&s);
	cJSON *root = NULL;
	struct outbox_out out = { .now = time_wall_ms() };
	if (o->json) {
		root = cJSON_CreateObject();
		out.arr = cJSON_AddArrayToObject(root, "outbox");
	}
	int rc = store_outbox_list(st, o->state, o->limit, print_row, &out, &err);
	store_close(st);
	if (rc < 0) {
		cJSON_Delete(root);
		return cli_usage_error("%s", err.msg);
	}
	if (root) {
		cli_json_print(root);
	} else if (out.n == 0) {
		fprintf(stderr, "fleetop: the outbox has no%s%s notifications\n", o->state ? " " : "",
			o->state ? o->state : "");
	}
	return EXIT_OK;
}

/* ---- fleetop notify receivers ---- */

/* Where each receiver's URL and secret come from: notify.conf read again
 * for the keys alone (the loaded config keeps only the values, which are
 * never shown). */
struct source {
	char name[72];
	char url[300], secret[300];
};
struct sources {
	struct source *v;
	size_t n;
	bool in_receiver;
};

static int on_source(void *arg, const char *section, const char *key, const char *value,
		     int line, struct error *err)
{
	struct sources *ss = arg;
	if (!key) {
		ss->in_receiver = !strncmp(section, "receiver ", 9);
		if (ss->in_receiver) {
			ss->v = xrealloc(ss->v, (ss->n + 1) * sizeof *ss->v);
			memset(&ss->v[ss->n], 0, sizeof ss->v[0]);
			const char *name = section + 9;
			while (*name == ' ' || *name == '\t')
				name++;
			str_copy(ss->v[ss->n++].name, name, sizeof ss->v[0].name);
		}
		return 0;
	}
	if (!ss->in_receiver || !ss->n)
		return 0;
	struct source *s = &ss->v[ss->n - 1];
	char *slot = !strncmp(key, "url", 3) ? s->url : !strncmp(key, "secret", 6) ? s->secret : NULL;
	if (!slot)
		return 0;
	const char *rest = key + (slot == s->url ? 3 : 6);
	if (!strcmp(rest, "_file"))
		snprintf(slot, 300, "(from file %s)", value);
	else if (!strcmp(rest, "_env"))
		snprintf(slot, 300, "(from env %s)", value);
	else if (!*rest)
		snprintf(slot, 300, "(in notify.conf)");
	return 0;
}

static const struct source *source_of(const struct sources *ss, const char *name)
{
	for (size_t i = 0; i < ss->n; i++)
		if (!strcmp(ss->v[i].name, name))
			return &ss->v[i];
	return NULL;
}

static char *join(char **v, size_t n)
{
	struct buf b = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_puts(&b, ",");
		buf_puts(&b, v[i]);
	}
	return b.data ? b.data : xstrdup("");
}

/* What a receiver sends to, as far as it is not secret: its recipients,
 * its program, or its project (a URL may itself be a secret). */
static char *target_of(const struct notify_receiver *r)
{
	if (r->nto)
		return join(r->to, r->nto);
	if (r->argv && r->argv[0])
		return xstrdup(r->argv[0]);
	return xstrdup(r->project ? r->project : "");
}

static int notify_receivers(struct notify_opts *o)
{
	struct notify_ctx c;
	int rc = ctx_open(&c, o, false);
	if (rc)
		return rc;
	if (o->check) {
		if (!c.cfg.path)
			printf("%s: none (no receivers; alerts are not sent anywhere)\n", c.conf_path);
		else
			printf("%s: ok: %zu receiver%s, %zu polic%s, %zu inhibit rule%s\n", c.conf_path,
			       c.cfg.nreceivers, c.cfg.nreceivers == 1 ? "" : "s", c.cfg.npolicies,
			       c.cfg.npolicies == 1 ? "y" : "ies", c.cfg.ninhibits,
			       c.cfg.ninhibits == 1 ? "" : "s");
		ctx_close(&c);
		return EXIT_OK;
	}
	struct sources ss = { 0 };
	char *text = NULL;
	size_t len;
	struct error err;
	if (c.cfg.path && file_read_all(c.cfg.path, &text, &len, &err) == 0)
		ini_parse_sections(text, c.cfg.path, on_source, &ss, &err);
	free(text);
	cJSON *root = NULL, *arr = NULL;
	if (o->json) {
		root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "file", c.conf_path);
		arr = cJSON_AddArrayToObject(root, "receivers");
	} else if (!c.cfg.nreceivers) {
		fprintf(stderr, "fleetop: no receivers in %s%s\n", c.conf_path,
			c.cfg.path ? "" : " (there is no such file)");
	}
	/* The table: a row of cells a receiver, columns as wide as they need. */
	enum { NCOL = 6 };
	const char *head[NCOL] = { "NAME", "TYPE", "RESOLVED", "URL", "SECRET", "SENDS TO" };
	size_t width[NCOL];
	for (int k = 0; k < NCOL; k++)
		width[k] = strlen(head[k]);
	char **cells = xcalloc(c.cfg.nreceivers * NCOL + 1, sizeof *cells);
	for (size_t i = 0; i < c.cfg.nreceivers; i++) {
		const struct notify_receiver *r = &c.cfg.receivers[i];
		const struct source *src = source_of(&ss, r->name);
		const char *url = src && *src->url ? src->url
				  : r->argv ? "-" : "(default)";
		const char *secret = src && *src->secret ? src->secret : r->secret ? "(set)" : "-";
		char *target = target_of(r);
		if (arr) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "name", r->name);
			cJSON_AddStringToObject(e, "type", receiver_kind_name(r->kind));
			cJSON_AddBoolToObject(e, "send_resolved", r->send_resolved);
			cJSON_AddStringToObject(e, "sends_to", target);
			cJSON_AddStringToObject(e, "url", url);
			cJSON_AddStringToObject(e, "secret", secret);
			cJSON_AddNumberToObject(e, "timeout_ms", (double)r->timeout_ms);
			cJSON_AddStringToObject(e, "file", r->file ? r->file : c.conf_path);
			cJSON_AddNumberToObject(e, "line", r->line);
			cJSON_AddItemToArray(arr, e);
		}
		char **row = cells + i * NCOL;
		row[0] = xstrdup(r->name);
		row[1] = xstrdup(receiver_kind_name(r->kind));
		row[2] = xstrdup(r->send_resolved ? "yes" : "no");
		row[3] = xstrdup(url);
		row[4] = xstrdup(secret);
		if (!*target) {
			free(target);
			target = xstrdup("-");
		}
		row[5] = target;
		for (int k = 0; k < NCOL; k++)
			if (strlen(row[k]) > width[k])
				width[k] = strlen(row[k]);
	}
	if (!arr && c.cfg.nreceivers) {
		for (size_t i = 0; i <= c.cfg.nreceivers; i++) {
			const char *const *row = i ? (const char *const *)cells + (i - 1) * NCOL : head;
			for (int k = 0; k < NCOL - 1; k++)
				printf("%-*s  ", (int)width[k], row[k]);
			printf("%s\n", row[NCOL - 1]);
		}
	}
	for (size_t i = 0; i < c.cfg.nreceivers * NCOL; i++)
		free(cells[i]);
	free(cells);
	free(ss.v);
	if (root) {
		cli_json_print(root);
	}
	ctx_close(&c);
	return EXIT_OK;
}

/* ---- options and dispatch ---- */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fleetop notify test RECEIVER [-m TEXT] [-t DUR]\n"
		"       fleetop notify send [-t DUR]\n"
		"       fleetop notify outbox [--json] [--state pending|sent|failed] [--limit N]\n"
		"       fleetop notify receivers [--check] [--json]\n"
		"test sends a test notification to RECEIVER and waits until it is confirmed\n"
		"(exit 0), failed or DUR (default 30s) passed. send delivers what the outbox\n"
		"holds until nothing is pending (exit 0), DUR passes or SIGINT/SIGTERM (exit 1).\n"
		"  -m, --message TEXT    test: the alert's summary\n"
		"  -t, --timeout DUR     how long to wait\n"
		"      --state STATE     outbox: only pending, sent or failed rows\n"
		"      --limit N         outbox: at most N rows, newest first (default 50; 0: all)\n"
		"      --check           receivers: only check notify.conf\n"
		"  -c, --config FILE     fleetop.conf to read (notify.conf is beside it)\n"
		"      --json            print JSON\n"
		"See fleetop(1) and fleetop-notify(5).\n");
}

static int notify_run(int argc, char **argv)
{
	struct notify_opts o = { .limit = 50 };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ "message", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "c:t:m:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'c':
			o.config = optarg;
			break;
		case 't':
			if (parse_duration_ms(optarg, &o.timeout_ms) < 0 || o.timeout_ms <= 0)
				return cli_usage_error("--timeout '%s' is not a duration like 30s or 2m",
						       optarg);
			break;
		case 'm':
			o.message = optarg;
			break;
		case OPT_JSON:
			o.json = true;
			break;
		case OPT_STATE:
			if (strcmp(optarg, "pending") && strcmp(optarg, "sent") && strcmp(optarg, "failed"))
				return cli_usage_error("--state '%s': expected pending, sent or failed",
						       optarg);
			o.state = optarg;
			break;
		case OPT_LIMIT: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 0 || v > INT_MAX)
				return cli_usage_error("--limit '%s' is not a count like 50 (0: all)",
						       optarg);
			o.limit = (int)v;
			break;
		}
		case OPT_CHECK:
			o.check = true;
			break;
		default:
			return cli_usage_error("try 'fleetop notify --help'");
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *sub = argv[optind++];
	int nargs = argc - optind;
	if (!strcmp(sub, "test")) {
		if (nargs != 1)
			return cli_usage_error("notify test takes one receiver name (see "
					       "'fleetop notify receivers')");
		return notify_test(&o, argv[optind]);
	}
	if (nargs > 0)
		return cli_usage_error("notify %s takes no arguments ('%s')", sub, argv[optind]);
	if (!strcmp(sub, "send"))
		return notify_send(&o);
	if (!strcmp(sub, "outbox"))
		return notify_outbox(&o);
	if (!strcmp(sub, "receivers"))
		return notify_receivers(&o);
	return cli_usage_error("'%s' is not a notify command: test, send, outbox or receivers", sub);
}

const struct command cmd_notify = { "notify", notify_run,
				    "test receivers, deliver and list notifications" };
