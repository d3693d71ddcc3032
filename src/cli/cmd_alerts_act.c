/* fleetop alerts' subcommands: history and the audit trail, acknowledging,
 * silences, maintenance windows and the rules in force. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_cli.h"

enum { OPT_HOST = OPT_FIRST_PRIVATE, OPT_RULE, OPT_LOG, OPT_LIMIT, OPT_FOR, OPT_IN, OPT_END,
       OPT_CHECK };

#define HISTORY_SINCE_MS (7 * 86400 * 1000LL)

/* Common option handling for the subcommands: -m TEXT, --json, -c, -h. */
static int parse(int argc, char **argv, const struct option *extra, size_t nextra,
		 const char *usage, struct common_opts *o,
		 int (*fn)(int opt, const char *arg, void *ctx), void *ctx)
{
	struct option longopts[24] = { COMMON_LONGOPTS };
	size_t n = 0;
	while (longopts[n].name)
		n++;
	for (size_t i = 0; i < nextra && n < 22; i++)
		longopts[n++] = extra[i];
	longopts[n++] = (struct option){ "message", required_argument, NULL, 'm' };
	longopts[n] = (struct option){ 0 };
	optind = 1;
	int opt;
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS "m:", longopts, NULL)) != -1) {
		if (opt == 'h') {
			printf("%s" COMMON_HELP, usage);
			return -1;
		}
		if (fn && fn(opt, optarg, ctx) == 0)
			continue;
		int rc = common_option_or_usage(opt, optarg, o, "alerts");
		if (rc)
			return rc;
	}
	return 0;
}

/* argv[from..] joined by commas: "host=a rule=b" and "host=a,rule=b" say
 * the same. Caller frees. */
static char *args_joined(int argc, char **argv, int from)
{
	struct buf b = { 0 };
	for (int i = from; i < argc; i++)
		buf_printf(&b, "%s%s", i > from ? "," : "", argv[i]);
	buf_append(&b, "", 1);
	return (char *)b.data;
}

static int parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || v <= 0)
		return -1;
	*id = v;
	return 0;
}

/* ---- history ---- */

struct history_opts {
	int64_t since_ms;
	const char *host, *rule, *message;
	bool log;
	int limit;
	int bad;
};

static int history_opt(int opt, const char *arg, void *ctx)
{
	struct history_opts *h = ctx;
	switch (opt) {
	case OPT_SINCE:
		if (parse_duration_ms(arg, &h->since_ms) < 0)
			h->bad = cli_usage_error("--since '%s' is not a duration like 1h or 7d", arg);
		return 0;
	case OPT_HOST: h->host = arg; return 0;
	case OPT_RULE: h->rule = arg; return 0;
	case OPT_LOG: h->log = true; return 0;
	case OPT_LIMIT: {
		char *end;
		long v = strtol(arg, &end, 10);
		if (end == arg || *end || v < 0 || v > INT_MAX)
			h->bad = cli_usage_error("--limit '%s' is not a count (0: all)", arg);
		h->limit = (int)v;
		return 0;
	}
	case 'm': h->message = arg; return 0;
	}
	return -1;
}

struct history_out {
	const struct history_opts *h;
	cJSON *arr;
	int n;
	int64_t now;
};

static void history_row(void *arg, const struct store_alert *a)
{
	struct history_out *out = arg;
	if ((out->h->host && strcmp(a->host, out->h->host) != 0) ||
	    (out->h->rule && strcmp(a->rule, out->h->rule) != 0))
		return;
	if (out->h->limit && out->n >= out->h->limit)
		return;
	if (out->arr) {
		alerts_json_add(out->arr, a, NULL);
		out->n++;
		return;
	}
	char started[32], dur[24];
	if (out->n++ == 0)
		printf("%-6s %-19s %-8s %-8s %-16s %-18s %-7s %s\n", "ID", "STARTED", "STATE",
		       "SEVERITY", "HOST", "RULE", "LASTED", "SUMMARY");
	int64_t end = a->resolved_ms ? a->resolved_ms : out->now;
	alerts_age(a->started_ms, end, dur, sizeof dur);
	const char *state = a->state;
	if (strcmp(state, "resolved") == 0 && !a->fired_ms)
		state = "cleared"; /* pending that never fired */
	printf("%-6lld %-19s %-8s %-8s %-16s %-18s %-7s %s", (long long)a->id,
	       cli_local_time(a->started_ms, started, sizeof started), state, a->severity, a->host,
	       a->rule, dur, a->summary);
	if (a->acked_by)
		printf("  [acked by %s]", a->acked_by);
	putchar('\n');
}

static void log_row(void *arg, const struct store_alert_log *l)
{
	struct history_out *out = arg;
	if ((out->h->host && (!l->host || strcmp(l->host, out->h->host) != 0)) ||
	    (out->h->rule && (!l->rule || strcmp(l->rule, out->h->rule) != 0)))
		return;
	if (out->arr) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "ts", (double)l->ts_ms);
		if (l->alert_id)
			cJSON_AddNumberToObject(o, "alert", (double)l->alert_id);
		else
			cJSON_AddNullToObject(o, "alert");
		cJSON_AddStringToObject(o, "what", l->what);
		if (l->rule)
			cJSON_AddStringToObject(o, "rule", l->rule);
		if (l->host)
			cJSON_AddStringToObject(o, "host", l->host);
		if (l->who)
			cJSON_AddStringToObject(o, "who", l->who);
		if (l->detail)
			cJSON_AddStringToObject(o, "detail", l->detail);
		cJSON_AddItemToArray(out->arr, o);
		out->n++;
		return;
	}
	char t[32];
	if (out->n++ == 0)
		printf("%-19s %-6s %-14s %-16s %-18s %s\n", "TIME", "ALERT", "WHAT", "HOST", "RULE",
		       "DETAIL");
	char id[24] = "-";
	if (l->alert_id)
		snprintf(id, sizeof id, "%lld", (long long)l->alert_id);
	printf("%-19s %-6s %-14s %-16s %-18s %s%s%s\n", cli_local_time(l->ts_ms, t, sizeof t), id,
	       l->what, l->host ? l->host : "-", l->rule ? l->rule : "-",
	       l->who ? l->who : "", l->who && l->detail ? ": " : "", l->detail ? l->detail : "");
}

int alerts_history(int argc, char **argv)
{
	struct common_opts o = { 0 };
	struct history_opts h = { .since_ms = HISTORY_SINCE_MS };
	static const struct option extra[] = {
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "rule", required_argument, NULL, OPT_RULE },
		{ "log", no_argument, NULL, OPT_LOG },
		{ "limit", required_argument, NULL, OPT_LIMIT },
	};
	int rc = parse(argc, argv, extra, 5,
		       "usage: fleetop alerts history [options]\n"
		       "Alerts that were open in a period, newest first; with --log the audit trail\n"
		       "(every transition, acknowledgement, silence and notification), oldest first.\n"
		       "      --since DUR       how far back (default 7d)\n"
		       "      --host NAME       only this host's\n"
		       "      --rule NAME       only this rule's\n"
		       "      --log             the audit trail instead of the alerts\n"
		       "      --limit N         at most N alerts (default all)\n",
		       &o, history_opt, &h);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (h.bad)
		return h.bad;
	if (optind < argc)
		return cli_usage_error("alerts history takes no arguments ('%s')", argv[optind]);
	struct settings s;
	struct store *st;
	if (alerts_open(&o, &s, &st))
		return EXIT_USAGE;
	cJSON *root = NULL;
	struct history_out out = { .h = &h, .now = time_wall_ms() };
	if (o.json) {
		root = cJSON_CreateObject();
		out.arr = cJSON_AddArrayToObject(root, h.log ? "log" : "alerts");
	}
	struct error err;
	int64_t since = out.now - h.since_ms;
	rc = h.log ? store_alert_logs(st, since, 0, log_row, &out, &err)
		   : store_alerts(st, false, since, 0, history_row, &out, &err);
	alerts_close(&s, st);
	if (rc < 0) {
		cJSON_Delete(root);
		return cli_usage_error("%s", err.msg);
	}
	if (root) {
		cli_json_print(root);
	} else if (!out.n) {
		printf("no alerts in that period\n");
	}
	return EXIT_OK;
}

/* ---- ack / unack ---- */

static int message_opt(int opt, const char *arg, void *ctx)
{
	if (opt != 'm')
		return -1;
	*(const char **)ctx = arg;
	return 0;
}

static int ack(int argc, char **argv, bool on)
{
	struct common_opts o = { 0 };
	const char *message = NULL;
	int rc = parse(argc, argv, NULL, 0,
		       on ? "usage: fleetop alerts ack ID... [-m TEXT]\n"
			    "Acknowledges open alerts: escalation and repeats stop.\n"
			    "  -m, --message TEXT    a comment (who is on it, the ticket)\n"
			  : "usage: fleetop alerts unack ID...\n"
			    "Takes an acknowledgement back: escalation resumes.\n",
		       &o, message_opt, &message);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (optind >= argc)
		return cli_usage_error("alerts %s: which alert? (an ID from 'fleetop alerts')",
				       on ? "ack" : "unack");
	struct settings s;
	struct store *st;
	if (alerts_open(&o, &s, &st))
		return EXIT_USAGE;
	int status = EXIT_OK;
	for (int i = optind; i < argc; i++) {
		int64_t id;
		struct error err;
		if (parse_id(argv[i], &id) < 0) {
			status = cli_usage_error("'%s' is not an alert ID", argv[i]);
			continue;
		}
		int done = alert_ack_store(st, id, on ? alert_whoami() : NULL, message,
					   time_wall_ms(), &err);
		if (done < 0) {
			fprintf(stderr, "fleetop: %s\n", err.msg);
			status = EXIT_SOME_FAILED;
		} else if (done == 0) {
			fprintf(stderr, "fleetop: no open alert %lld (see 'fleetop alerts')\n",
				(long long)id);
			status = EXIT_SOME_FAILED;
		} else {
			printf("alert %lld %s\n", (long long)id,
			       on ? "acknowledged" : "no longer acknowledged");
		}
	}
	alerts_close(&s, st);
	return status;
}

int alerts_ack(int argc, char **argv)
{
	return ack(argc, argv, true);
}

int alerts_unack(int argc, char **argv)
{
	return ack(argc, argv, false);
}

/* ---- silences and maintenance ---- */

struct mute_opts {
	int64_t for_ms, in_ms, end_id;
	const char *message;
	int bad;
};

static int mute_opt(int opt, const char *arg, void *ctx)
{
	struct mute_opts *m = ctx;
	switch (opt) {
	case OPT_FOR:
		if (parse_duration_ms(arg, &m->for_ms) < 0 || m->for_ms <= 0)
			m->bad = cli_usage_error("--for '%s' is not a duration like 2h", arg);
		return 0;
	case OPT_IN:
		if (parse_duration_ms(arg, &m->in_ms) < 0)
			m->bad = cli_usage_error("--in '%s' is not a duration like 30m", arg);
		return 0;
	case OPT_END:
		if (parse_id(arg, &m->end_id) < 0)
			m->bad = cli_usage_error("--end '%s' is not an ID", arg);
		return 0;
	case 'm': m->message = arg; return 0;
	}
	return -1;
}

struct mute_list {
	cJSON *arr;
	int n;
	int64_t now;
};

static void mute_list_row(void *arg, const struct store_mute *m)
{
	struct mute_list *out = arg;
	if (out->arr) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)m->id);
		cJSON_AddStringToObject(o, m->kind == STORE_SILENCE ? "matchers" : "hosts", m->what);
		cJSON_AddNumberToObject(o, "starts", (double)m->starts_ms);
		cJSON_AddNumberToObject(o, "ends", (double)m->ends_ms);
		cJSON_AddStringToObject(o, "created_by", m->created_by);
		if (m->comment)
			cJSON_AddStringToObject(o, "comment", m->comment);
		cJSON_AddItemToArray(out->arr, o);
		out->n++;
		return;
	}
	char ends[24], starts[24];
	if (out->n++ == 0)
		printf("%-5s %-36s %-8s %-8s %-12s %s\n", "ID",
		       m->kind == STORE_SILENCE ? "MATCHERS" : "HOSTS", "STARTS", "ENDS", "BY",
		       "COMMENT");
	alerts_age(out->now, m->ends_ms, ends, sizeof ends);
	if (m->starts_ms > out->now)
		alerts_age(m->starts_ms, out->now, starts, sizeof starts);
	else
		snprintf(starts, sizeof starts, "now");
	printf("%-5lld %-36s %-8s in %-5s %-12s %s\n", (long long)m->id, m->what, starts, ends,
	       m->created_by, m->comment ? m->comment : "");
}

static int mute_list(struct common_opts *o, enum store_mute_kind kind)
{
	struct settings s;
	struct store *st;
	if (alerts_open(o, &s, &st))
		return EXIT_USAGE;
	cJSON *root = NULL;
	struct mute_list out = { .now = time_wall_ms() };
	if (o->json) {
		root = cJSON_CreateObject();
		out.arr = cJSON_AddArrayToObject(root, kind == STORE_SILENCE ? "silences"
									     : "maintenance");
	}
	struct error err;
	int rc = store_mutes(st, kind, out.now, mute_list_row, &out, &err);
	alerts_close(&s, st);
	if (rc < 0) {
		cJSON_Delete(root);
		return cli_usage_error("%s", err.msg);
	}
	if (root) {
		cli_json_print(root);
	} else if (!out.n) {
		printf("no %s\n", kind == STORE_SILENCE ? "active silences" : "maintenance windows");
	}
	return EXIT_OK;
}

static const struct option mute_options[] = {
	{ "for", required_argument, NULL, OPT_FOR },
	{ "in", required_argument, NULL, OPT_IN },
	{ "end", required_argument, NULL, OPT_END },
};

int alerts_silence(int argc, char **argv)
{
	struct common_opts o = { 0 };
	struct mute_opts m = { 0 };
	int rc = parse(argc, argv, mute_options, 2,
		       "usage: fleetop alerts silence MATCHERS --for DUR [--in DUR] [-m TEXT]\n"
		       "Mutes notifications of the alerts all MATCHERS match (label=value, !=, =~ regex,\n"
		       "!~), e.g. 'host=mc-03' or 'rule=cpu_high,group=eu', for DUR.\n"
		       "      --for DUR         how long (required)\n"
		       "      --in DUR          start later (default now)\n"
		       "  -m, --message TEXT    why\n",
		       &o, mute_opt, &m);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (m.bad)
		return m.bad;
	if (optind >= argc)
		return cli_usage_error("alerts silence: which alerts? e.g. "
				       "'fleetop alerts silence host=mc-03 --for 2h'");
	if (!m.for_ms)
		return cli_usage_error("alerts silence: for how long? add --for DUR (e.g. --for 2h)");
	struct settings s;
	struct store *st;
	if (alerts_open(&o, &s, &st))
		return EXIT_USAGE;
	char *matchers = args_joined(argc, argv, optind);
	struct error err;
	int64_t now = time_wall_ms();
	int64_t id = alert_silence_add(st, matchers, now + m.in_ms, now + m.in_ms + m.for_ms,
				       alert_whoami(), m.message, now, &err);
	alerts_close(&s, st);
	free(matchers);
	if (id < 0)
		return cli_usage_error("silence: %s", err.msg);
	char d[24];
	printf("silence %lld until %s\n", (long long)id,
	       cli_local_time(now + m.in_ms + m.for_ms, d, sizeof d));
	return EXIT_OK;
}

int alerts_silences(int argc, char **argv)
{
	struct common_opts o = { 0 };
	int rc = parse(argc, argv, NULL, 0,
		       "usage: fleetop alerts silences\nLists silences not yet ended.\n", &o, NULL,
		       NULL);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	return mute_list(&o, STORE_SILENCE);
}

static int mute_end(struct common_opts *o, enum store_mute_kind kind, int64_t id)
{
	struct settings s;
	struct store *st;
	if (alerts_open(o, &s, &st))
		return EXIT_USAGE;
	struct error err;
	int64_t now = time_wall_ms();
	const char *what = kind == STORE_SILENCE ? "silence" : "maintenance window";
	int rc = store_mute_end(st, kind, id, now, &err);
	if (rc > 0) {
		char *detail = xasprintf("%s %lld ended early", what, (long long)id);
		store_alert_log(st, now, 0, kind == STORE_SILENCE ? "unsilenced" : "maintenance end",
				alert_whoami(), detail, &err);
		free(detail);
	}
	alerts_close(&s, st);
	if (rc < 0)
		return cli_usage_error("%s", err.msg);
	if (rc == 0) {
		fprintf(stderr, "fleetop: no active %s %lld\n", what, (long long)id);
		return EXIT_SOME_FAILED;
	}
	printf("%s %lld ended\n", what, (long long)id);
	return EXIT_OK;
}

int alerts_unsilence(int argc, char **argv)
{
	struct common_opts o = { 0 };
	int rc = parse(argc, argv, NULL, 0, "usage: fleetop alerts unsilence ID\nEnds a silence now.\n",
		       &o, NULL, NULL);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	int64_t id;
	if (optind != argc - 1 || parse_id(argv[optind], &id) < 0)
		return cli_usage_error("alerts unsilence: give one silence ID (see 'fleetop alerts "
				       "silences')");
	return mute_end(&o, STORE_SILENCE, id);
}

int alerts_maintenance(int argc, char **argv)
{
	struct common_opts o = { 0 };
	struct mute_opts m = { 0 };
	int rc = parse(argc, argv, mute_options, 3,
		       "usage: fleetop alerts maintenance [HOSTS --for DUR [--in DUR] [-m TEXT]]\n"
		       "Declares a maintenance window: alerts of HOSTS (a selection: @group, names,\n"
		       "globs, ranges) do not notify during it. Without HOSTS, lists the windows.\n"
		       "      --for DUR         how long\n"
		       "      --in DUR          start later (default now)\n"
		       "      --end ID          end a window now\n"
		       "  -m, --message TEXT    why\n",
		       &o, mute_opt, &m);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (m.bad)
		return m.bad;
	if (m.end_id)
		return mute_end(&o, STORE_MAINTENANCE, m.end_id);
	if (optind >= argc)
		return mute_list(&o, STORE_MAINTENANCE);
	if (!m.for_ms)
		return cli_usage_error("alerts maintenance: for how long? add --for DUR");
	struct settings s;
	struct store *st;
	if (alerts_open(&o, &s, &st))
		return EXIT_USAGE;
	char *hosts = args_joined(argc, argv, optind);
	struct fleet f = { 0 };
	struct error err;
	int64_t now = time_wall_ms(), id = -1;
	if (alerts_fleet_load(o.inventory, &s, &f, &err) == 0)
		id = alert_maintenance_add(st, &f, hosts, now + m.in_ms, now + m.in_ms + m.for_ms,
					   alert_whoami(), m.message, now, &err);
	fleet_free(&f);
	alerts_close(&s, st);
	free(hosts);
	if (id < 0) {
		cli_usage_error("maintenance: %s", err.msg);
		cli_fleet_hint(stderr);
		return EXIT_USAGE;
	}
	char d[24];
	printf("maintenance %lld until %s\n", (long long)id,
	       cli_local_time(now + m.in_ms + m.for_ms, d, sizeof d));
	return EXIT_OK;
}

/* ---- rules ---- */

static int check_opt(int opt, const char *arg, void *ctx)
{
	if (opt != OPT_CHECK)
		return -1;
	*(const char **)ctx = arg;
	return 0;
}

int alerts_rules(int argc, char **argv)
{
	struct common_opts o = { 0 };
	const char *check = NULL;
	static const struct option extra[] = { { "check", required_argument, NULL, OPT_CHECK } };
	int rc = parse(argc, argv, extra, 1,
		       "usage: fleetop alerts rules [--check FILE]\n"
		       "Prints the rules in force (rules.conf, or the shipped defaults), or checks\n"
		       "FILE and prints the first error (file:line) with exit status 1.\n",
		       &o, check_opt, &check);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	struct settings s;
	struct error err;
	settings_init(&s);
	if (settings_load(&s, o.config, &err) < 0) {
		settings_free(&s);
		return cli_usage_error("%s", err.msg);
	}
	char *path = check ? xstrdup(check) : settings_config_beside(&s, "rules.conf");
	settings_free(&s);
	struct rule_set rs = { 0 };
	rc = rules_load_file(&rs, path, !check, &err);
	free(path);
	if (rc < 0) {
		fprintf(stderr, "fleetop: %s\n", err.msg);
		return EXIT_SOME_FAILED;
	}
	cJSON *root = o.json ? cJSON_CreateObject() : NULL;
	cJSON *arr = root ? cJSON_AddArrayToObject(root, "rules") : NULL;
	if (root)
		cJSON_AddStringToObject(root, "file", rs.path);
	else
		printf("%zu rules from %s\n", rs.n, rs.path);
	for (size_t i = 0; i < rs.n; i++) {
		const struct alert_rule *r = &rs.rules[i];
		if (arr) {
			cJSON *j = cJSON_CreateObject();
			cJSON_AddStringToObject(j, "name", r->name);
			cJSON_AddStringToObject(j, "expr", r->expr_text);
			if (r->clear_text)
				cJSON_AddStringToObject(j, "clear", r->clear_text);
			cJSON_AddNumberToObject(j, "for_ms", (double)r->for_ms);
			cJSON_AddNumberToObject(j, "keep_firing_for_ms", (double)r->keep_firing_for_ms);
			cJSON_AddStringToObject(j, "severity", alert_severity_name(r->severity));
			cJSON_AddStringToObject(j, "hosts", r->scope ? r->scope : "all");
			if (r->runbook)
				cJSON_AddStringToObject(j, "runbook", r->runbook);
			cJSON_AddItemToArray(arr, j);
		} else {
			printf("  %-22s %-8s %s%s%s  (for %llds)%s%s\n", r->name,
			       alert_severity_name(r->severity), r->expr_text,
			       r->scope ? "  hosts " : "", r->scope ? r->scope : "",
			       (long long)(r->for_ms / 1000), r->clear_text ? "  clear " : "",
			       r->clear_text ? r->clear_text : "");
		}
	}
	rules_free(&rs);
	if (root) {
		cli_json_print(root);
	}
	return EXIT_OK;
}
