/* fleetop alerts: what fires now, and what a person does about it.
 *   fleetop alerts [--json] [--all]        open alerts (pending and firing)
 *   fleetop alerts history [--since 7d] [--host H] [--rule R] [--log] [--json]
 *   fleetop alerts ack ID [-m TEXT] / unack ID
 *   fleetop alerts silence MATCHERS --for 2h [-m TEXT] / silences / unsilence ID
 *   fleetop alerts maintenance HOSTS --for 2h [--in DUR] [-m TEXT] / --end ID
 *   fleetop alerts rules [--check FILE]
 * Everything goes through the history file: a running console or collector
 * picks acknowledgements and silences up at its next tick. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_cli.h"

int alerts_open(const struct common_opts *o, struct settings *s, struct store **st)
{
	struct error err;
	settings_init(s);
	if (settings_load(s, o->config, &err) < 0) {
		settings_free(s);
		return cli_usage_error("%s", err.msg);
	}
	if (mkdir_p(s->data_dir, 0700, &err) < 0 || cli_store_open(s, st, &err) < 0) {
		settings_free(s);
		return cli_usage_error("%s", err.msg);
	}
	return 0;
}

int alerts_fleet_load(const char *inventory, const struct settings *s, struct fleet *f,
		      struct error *err)
{
	return cli_fleet_load(f, inventory, s, err);
}

void alerts_close(struct settings *s, struct store *st)
{
	store_close(st);
	settings_free(s);
}

const char *alerts_age(int64_t since_ms, int64_t now_ms, char *out, size_t size)
{
	int64_t s = (now_ms - since_ms) / 1000;
	if (since_ms <= 0)
		snprintf(out, size, "-");
	else if (s < 0)
		snprintf(out, size, "in %llds", (long long)-s);
	else if (s < 120)
		snprintf(out, size, "%llds", (long long)s);
	else if (s < 2 * 3600)
		snprintf(out, size, "%lldm", (long long)(s / 60));
	else if (s < 2 * 86400)
		snprintf(out, size, "%lldh%02lldm", (long long)(s / 3600), (long long)(s / 60 % 60));
	else
		snprintf(out, size, "%lldd%02lldh", (long long)(s / 86400), (long long)(s / 3600 % 24));
	return out;
}

/* Why an open alert does not notify: silences and maintenance windows from
 * the store, matched the engine's way. */
struct mutes {
	struct matcher_set *silences;
	int64_t *silence_ids;
	size_t nsilences;
	char **windows; /* maintenance host selections, while reading */
	size_t nwindows;
	struct fleet fleet;
	bool have_fleet;
	unsigned char *in_window; /* by host id: covered by a window now */
	int64_t now;
};

static void mute_row(void *arg, const struct store_mute *m)
{
	struct mutes *mu = arg;
	if (m->starts_ms > mu->now)
		return;
	if (m->kind == STORE_SILENCE) {
		struct matcher_set ms;
		struct error err;
		if (matchers_parse(&ms, m->what, &err) < 0)
			return;
		mu->silences = xrealloc(mu->silences, (mu->nsilences + 1) * sizeof *mu->silences);
		mu->silence_ids = xrealloc(mu->silence_ids,
					   (mu->nsilences + 1) * sizeof *mu->silence_ids);
		mu->silences[mu->nsilences] = ms;
		mu->silence_ids[mu->nsilences++] = m->id;
	} else {
		mu->windows = xrealloc(mu->windows, (mu->nwindows + 1) * sizeof *mu->windows);
		mu->windows[mu->nwindows++] = xstrdup(m->what);
	}
}

/* The windows' selections are resolved once, into one mark a host. */
static void mutes_read(struct mutes *mu, struct store *st, const struct settings *s,
		       const char *inventory)
{
	struct error err;
	mu->now = time_wall_ms();
	store_mutes(st, STORE_SILENCE, mu->now, mute_row, mu, &err);
	store_mutes(st, STORE_MAINTENANCE, mu->now, mute_row, mu, &err);
	if (mu->nwindows)
		mu->have_fleet = alerts_fleet_load(inventory, s, &mu->fleet, &err) == 0;
	if (mu->have_fleet) {
		mu->in_window = xcalloc(mu->fleet.nhosts + 1, 1);
		unsigned char *sel = xcalloc(mu->fleet.nhosts + 1, 1);
		for (size_t i = 0; i < mu->nwindows; i++) {
			if (fleet_select(&mu->fleet, mu->windows[i], sel, &err) < 0)
				continue;
			for (size_t h = 0; h < mu->fleet.nhosts; h++)
				mu->in_window[h] |= sel[h];
		}
		free(sel);
	}
	for (size_t i = 0; i < mu->nwindows; i++)
		free(mu->windows[i]);
	free(mu->windows);
	mu->windows = NULL;
	mu->nwindows = 0;
}

static void mutes_done(struct mutes *mu)
{
	for (size_t i = 0; i < mu->nsilences; i++)
		matchers_free(&mu->silences[i]);
	free(mu->silences);
	free(mu->silence_ids);
	free(mu->in_window);
	if (mu->have_fleet)
		fleet_free(&mu->fleet);
}

/* "silenced 4", "maintenance", or "" */
static void mute_of(const struct mutes *mu, const struct store_alert *a, char *out, size_t size)
{
	*out = 0;
	struct alert_label *labels;
	size_t n;
	struct error err;
	if (labels_from_json(a->labels, &labels, &n, &err) < 0)
		n = 0;
	for (size_t i = 0; i < mu->nsilences && !*out; i++) {
		if (matchers_match(&mu->silences[i], labels, n))
			snprintf(out, size, "silenced %lld", (long long)mu->silence_ids[i]);
	}
	labels_free(labels, n);
	struct host *h = mu->have_fleet ? fleet_find(&mu->fleet, a->host) : NULL;
	if (!*out && h && mu->in_window[h->id])
		snprintf(out, size, "maintenance");
	/* Inhibition needs the other alerts and notify.conf: the engine's
	 * verdict, as it last stored it. */
	if (!*out && (a->muted & ALERT_MUTE_INHIBITED))
		snprintf(out, size, "inhibited");
}

struct list_out {
	cJSON *arr;
	struct mutes *mutes;
	int n;
	int64_t now;
	bool history;
};

void alerts_json_add(cJSON *arr, const struct store_alert *a, const char *muted)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)a->id);
	cJSON_AddStringToObject(o, "state", a->state);
	cJSON_AddStringToObject(o, "severity", a->severity);
	cJSON_AddStringToObject(o, "rule", a->rule);
	cJSON_AddStringToObject(o, "host", a->host);
	cJSON_AddStringToObject(o, "summary", a->summary);
	cJSON_AddNumberToObject(o, "value", a->value);
	cJSON_AddItemToObject(o, "labels", cJSON_Parse(a->labels));
	if (a->runbook)
		cJSON_AddStringToObject(o, "runbook", a->runbook);
	else
		cJSON_AddNullToObject(o, "runbook");
	cJSON_AddStringToObject(o, "group", a->group_key);
	cJSON_AddNumberToObject(o, "started", (double)a->started_ms);
	if (a->fired_ms)
		cJSON_AddNumberToObject(o, "fired", (double)a->fired_ms);
	else
		cJSON_AddNullToObject(o, "fired");
	if (a->resolved_ms)
		cJSON_AddNumberToObject(o, "resolved", (double)a->resolved_ms);
	else
		cJSON_AddNullToObject(o, "resolved");
	if (a->acked_by) {
		cJSON *ack = cJSON_AddObjectToObject(o, "ack");
		cJSON_AddStringToObject(ack, "by", a->acked_by);
		cJSON_AddNumberToObject(ack, "at", (double)a->acked_ms);
		if (a->ack_comment)
			cJSON_AddStringToObject(ack, "comment", a->ack_comment);
	} else {
		cJSON_AddNullToObject(o, "ack");
	}
	if (muted)
		cJSON_AddStringToObject(o, "muted", muted);
	cJSON_AddItemToArray(arr, o);
}

static void list_row(void *arg, const struct store_alert *a)
{
	struct list_out *out = arg;
	char muted[48] = "", age[24];
	if (out->mutes && strcmp(a->state, "resolved") != 0)
		mute_of(out->mutes, a, muted, sizeof muted);
	if (out->arr) {
		alerts_json_add(out->arr, a, out->mutes ? muted : NULL);
		out->n++;
		return;
	}
	if (out->n++ == 0)
		printf("%-6s %-8s %-8s %-16s %-18s %-7s %s\n", "ID", "STATE", "SEVERITY", "HOST",
		       "RULE", "SINCE", "SUMMARY");
	int64_t since = a->fired_ms ? a->fired_ms : a->started_ms;
	printf("%-6lld %-8s %-8s %-16s %-18s %-7s %s", (long long)a->id, a->state, a->severity,
	       a->host, a->rule, alerts_age(since, out->now, age, sizeof age), a->summary);
	if (a->acked_by)
		printf("  [acked by %s%s%s]", a->acked_by, a->ack_comment ? ": " : "",
		       a->ack_comment ? a->ack_comment : "");
	if (*muted)
		printf("  [%s]", muted);
	putchar('\n');
}

static int print_json(cJSON *root)
{
	cli_json_print(root);
	return EXIT_OK;
}

static int alerts_list(int argc, char **argv)
{
	struct common_opts o = { 0 };
	static const struct option longopts[] = { COMMON_LONGOPTS, { 0 } };
	int opt;
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == 'h') {
			printf("usage: fleetop alerts [COMMAND] [options]\n"
			       "Lists open alerts (firing, then pending), or with COMMAND:\n"
			       "  history [--since DUR] [--host NAME] [--rule NAME] [--log] [--limit N]\n"
			       "               alerts of a period, or (--log) the audit trail\n"
			       "  ack ID... [-m TEXT]   acknowledge (stops escalation); unack ID...\n"
			       "  silence MATCHERS --for DUR [--in DUR] [-m TEXT]; silences; unsilence ID\n"
			       "  maintenance HOSTS --for DUR [--in DUR] [-m TEXT]; maintenance (list);\n"
			       "               maintenance --end ID\n"
			       "  rules [--check FILE]  the rules in force, or check FILE\n"
			       "  -m, --message TEXT    ack, silence, maintenance: a comment\n"
			       "'fleetop alerts COMMAND --help' for a command's own.\n"
			       "See fleetop(1), fleetop-rules(5), fleetop-notify(5).\n" COMMON_HELP);
			return EXIT_OK;
		}
		int rc = common_option_or_usage(opt, optarg, &o, "alerts");
		if (rc)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error("alerts: unknown command '%s' (try: history, ack, unack, "
				       "silence, silences, unsilence, maintenance, rules)",
				       argv[optind]);
	struct settings s;
	struct store *st;
	if (alerts_open(&o, &s, &st))
		return EXIT_USAGE;
	struct mutes mu = { 0 };
	mutes_read(&mu, st, &s, o.inventory);
	cJSON *root = NULL;
	struct list_out out = { .mutes = &mu, .now = time_wall_ms() };
	if (o.json) {
		root = cJSON_CreateObject();
		out.arr = cJSON_AddArrayToObject(root, "alerts");
	}
	struct error err;
	int rc = store_alerts(st, true, 0, 0, list_row, &out, &err);
	mutes_done(&mu);
	alerts_close(&s, st);
	if (rc < 0) {
		cJSON_Delete(root);
		return cli_usage_error("%s", err.msg);
	}
	if (root)
		return print_json(root);
	if (out.n == 0)
		printf("no open alerts\n");
	return EXIT_OK;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} subcommands[] = {
	{ "history", alerts_history },       { "ack", alerts_ack },
	{ "unack", alerts_unack },           { "silence", alerts_silence },
	{ "silences", alerts_silences },     { "unsilence", alerts_unsilence },
	{ "maintenance", alerts_maintenance }, { "rules", alerts_rules },
};

static int alerts_run(int argc, char **argv)
{
	if (argc > 1 && argv[1][0] != '-') {
		for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
			if (strcmp(argv[1], subcommands[i].name) == 0)
				return subcommands[i].run(argc - 1, argv + 1);
		}
	}
	return alerts_list(argc, argv);
}

const struct command cmd_alerts = { "alerts", alerts_run,
				    "list, acknowledge and silence alerts; their history" };
