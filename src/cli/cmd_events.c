/* fleetop events: what hosts reported that is not a number (custom
 * collectors' events), newest first, from the history file. Reads only the
 * store: no host is contacted. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

enum { OPT_HOST = OPT_FIRST_PRIVATE, OPT_LIMIT };

#define DEFAULT_SINCE_MS (24 * 3600 * 1000LL)
#define DEFAULT_LIMIT 100

struct events_out {
	cJSON *arr; /* --json: the array to fill; else print a table */
	int n;
};

static void print_event(void *arg, const struct store_event *ev)
{
	struct events_out *out = arg;
	if (out->arr) {
		cJSON *e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "id", (double)ev->id);
		cJSON_AddNumberToObject(e, "ts", (double)ev->ts_ms);
		cJSON_AddStringToObject(e, "host", ev->host);
		cJSON_AddStringToObject(e, "severity", ev->severity);
		cJSON_AddStringToObject(e, "kind", ev->kind);
		cJSON_AddStringToObject(e, "message", ev->message);
		cJSON_AddItemToArray(out->arr, e);
	} else {
		char t[32];
		cli_local_time(ev->ts_ms, t, sizeof t);
		if (out->n == 0)
			printf("%-19s  %-16s %-8s %-20s %s\n", "TIME", "HOST", "SEVERITY", "KIND",
			       "MESSAGE");
		printf("%-19s  %-16s %-8s %-20s %s\n", t, ev->host, ev->severity, ev->kind,
		       ev->message);
	}
	out->n++;
}

static int events_run(int argc, char **argv)
{
	struct common_opts o = { 0 };
	int64_t since_ms = DEFAULT_SINCE_MS;
	const char *host = NULL;
	int limit = DEFAULT_LIMIT;
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == 'h') {
			printf("usage: fleetop events [options]\n"
			       "Prints the events hosts reported (custom collectors), newest first.\n"
			       "      --since DUR       how far back (default 24h)\n"
			       "      --host NAME       only this host's\n"
			       "      --limit N         at most N events (default 100; 0: all)\n"
			       COMMON_HELP);
			return EXIT_OK;
		}
		if (opt == OPT_SINCE) {
			if (parse_duration_ms(optarg, &since_ms) < 0)
				return cli_usage_error("--since '%s' is not a duration like 1h or 7d",
						       optarg);
			continue;
		}
		if (opt == OPT_HOST) {
			if (!*optarg)
				return cli_usage_error("--host needs a host name");
			host = optarg;
			continue;
		}
		if (opt == OPT_LIMIT) {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (end == optarg || *end || v < 0 || v > INT_MAX)
				return cli_usage_error("--limit '%s' is not a count like 50 (0: all)",
						       optarg);
			limit = (int)v;
			continue;
		}
		int rc = common_option_or_usage(opt, optarg, &o, "events");
		if (rc)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error("events takes no arguments ('%s'); for one host: "
				       "'fleetop events --host %s'", argv[optind], argv[optind]);
	struct settings s;
	struct error err;
	settings_init(&s);
	if (settings_load(&s, o.config, &err) < 0) {
		settings_free(&s);
		return cli_usage_error("%s", err.msg);
	}
	struct store *st = NULL;
	int rc = cli_store_open(&s, &st, &err);
	settings_free(&s);
	if (rc < 0)
		return cli_usage_error("%s", err.msg);
	cJSON *root = NULL;
	struct events_out out = { 0 };
	if (o.json) {
		root = cJSON_CreateObject();
		out.arr = cJSON_AddArrayToObject(root, "events");
	}
	rc = store_events(st, time_wall_ms() - since_ms, host, limit, print_event, &out, &err);
	store_close(st);
	if (rc < 0) {
		cJSON_Delete(root);
		return cli_usage_error("%s", err.msg);
	}
	if (root) {
		cli_json_print(root);
	} else if (out.n == 0) {
		fprintf(stderr, "fleetop: no events%s%s in that period\n", host ? " of " : "",
			host ? host : "");
	}
	return EXIT_OK;
}

const struct command cmd_events = { "events", events_run, "print events hosts reported" };
