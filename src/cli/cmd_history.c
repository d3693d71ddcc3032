/* fleetop history HOST METRIC: what the store holds, as text, CSV or JSON. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "options.h"

static int history_run(int argc, char **argv)
{
	struct common_opts o = { 0 };
	bool csv = false;
	int64_t since_ms = 3600 * 1000;
	enum store_tier tier = STORE_AUTO;
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "tier", required_argument, NULL, OPT_TIER },
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == 'h') {
			printf("usage: fleetop history [options] HOST METRIC\n"
			       "Prints the stored history of one metric of one host.\n"
			       "      --since DUR       how far back (default 1h)\n"
			       "      --tier T          raw, 1m, 1h or auto (default: the finest that\n"
			       "                        covers --since)\n"
			       "      --csv             print CSV (ts_ms,time,avg,min,max)\n" COMMON_HELP);
			return EXIT_OK;
		}
		if (opt == OPT_SINCE) {
			if (parse_duration_ms(optarg, &since_ms) < 0)
				return cli_usage_error("--since '%s' is not a duration like 1h or 7d",
						       optarg);
			continue;
		}
		if (opt == OPT_CSV) {
			csv = true;
			continue;
		}
		if (opt == OPT_TIER) {
			if (!strcmp(optarg, "raw"))
				tier = STORE_RAW;
			else if (!strcmp(optarg, "1m"))
				tier = STORE_1M;
			else if (!strcmp(optarg, "1h"))
				tier = STORE_1H;
			else if (!strcmp(optarg, "auto"))
				tier = STORE_AUTO;
			else
				return cli_usage_error("--tier must be raw, 1m, 1h or auto");
			continue;
		}
		int rc = common_option_or_usage(opt, optarg, &o, "history");
		if (rc)
			return rc;
	}
	if (argc - optind != 2)
		return cli_usage_error("history needs HOST and METRIC, e.g. "
				       "'fleetop history mc-1 cpu.util'");
	const char *host = argv[optind], *metric = argv[optind + 1];
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
	int64_t now = time_wall_ms();
	struct store_point *pts = NULL;
	size_t n = 0;
	if (store_query(st, host, metric, now - since_ms, now, tier, &pts, &n, &err) < 0) {
		store_close(st);
		return cli_usage_error("%s", err.msg);
	}
	if (n == 0) {
		char **names = NULL;
		size_t nn = 0;
		struct buf known = { 0 };
		if (store_metrics(st, host, &names, &nn, &err) == 0) {
			for (size_t i = 0; i < nn && i < 12; i++) {
				buf_printf(&known, "%s%s", i ? ", " : "", names[i]);
			}
			for (size_t i = 0; i < nn; i++)
				free(names[i]);
			free(names);
		}
		fprintf(stderr, "fleetop: no history of %s on %s in that period%s%s\n", metric, host,
			known.len ? "; stored metrics: " : "", known.len ? known.data : "");
		buf_free(&known);
	}
	char t[32];
	if (o.json) {
		cJSON *root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "host", host);
		cJSON_AddStringToObject(root, "metric", metric);
		cJSON *arr = cJSON_AddArrayToObject(root, "points");
		for (size_t i = 0; i < n; i++) {
			cJSON *p = cJSON_CreateObject();
			cJSON_AddNumberToObject(p, "ts", (double)pts[i].ts_ms);
			cJSON_AddNumberToObject(p, "avg", pts[i].avg);
			cJSON_AddNumberToObject(p, "min", pts[i].min);
			cJSON_AddNumberToObject(p, "max", pts[i].max);
			cJSON_AddItemToArray(arr, p);
		}
		cli_json_print(root);
	} else if (csv) {
		puts("ts_ms,time,avg,min,max");
		for (size_t i = 0; i < n; i++)
			printf("%lld,%s,%.6g,%.6g,%.6g\n", (long long)pts[i].ts_ms,
			       cli_local_time(pts[i].ts_ms, t, sizeof t), pts[i].avg, pts[i].min, pts[i].max);
	} else {
		for (size_t i = 0; i < n; i++) {
			if (pts[i].min == pts[i].max)
				printf("%s  %.6g\n", cli_local_time(pts[i].ts_ms, t, sizeof t), pts[i].avg);
			else
				printf("%s  %.6g  (min %.6g max %.6g)\n",
				       cli_local_time(pts[i].ts_ms, t, sizeof t), pts[i].avg, pts[i].min,
				       pts[i].max);
		}
	}
	free(pts);
	store_close(st);
	return n ? EXIT_OK : EXIT_SOME_FAILED;
}

const struct command cmd_history = { "history", history_run, "print the stored history of a metric" };
