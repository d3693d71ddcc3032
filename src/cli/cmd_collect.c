/* fleetop collect [SEL]: headless collection into the history, until
 * interrupted or --duration; with --stats, one line of figures a period
 * (the history's state among them); with --log, the log in a file that is
 * rotated as it grows. */
#include <stdlib.h>

#include "options.h"
#include "report.h"

enum { OPT_DURATION = OPT_FIRST_PRIVATE, OPT_STATS, OPT_LOG };

struct collect_run {
	int64_t stats_every_ms;
	uint64_t last_samples;
	int64_t last_ms;
	uint64_t timer;
};

static struct collect_run run_state;

static void on_stats(struct loop *loop, void *arg)
{
	struct runtime *e = arg;
	struct collect_run *r = &run_state;
	size_t up = 0, down = 0;
	for (size_t i = 0; i < e->fleet.nhosts; i++) {
		if (!e->selected[i])
			continue;
		up += e->fleet.hosts[i].state == HOST_UP;
		down += e->fleet.hosts[i].state == HOST_DOWN;
	}
	uint64_t samples = collector_samples_total(e->collector);
	int64_t now = loop_now_ms(loop);
	double secs = (double)(now - r->last_ms) / 1000.0;
	char brief[160];
	fprintf(stderr, "collect: %zu up, %zu down, %.0f samples/s, %s\n", up, down,
		secs > 0 ? (double)(samples - r->last_samples) / secs : 0.0,
		report_store_brief(e->store, brief, sizeof brief));
	r->last_samples = samples;
	r->last_ms = now;
	r->timer = loop_timer_add(loop, r->stats_every_ms, on_stats, e);
}

static int collect_run(int argc, char **argv)
{
	struct common_opts o = { 0 };
	int64_t duration = -1;
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ "log", required_argument, NULL, OPT_LOG },
		{ 0 },
	};
	const char *log_path = NULL;
	run_state = (struct collect_run){ 0 };
	int opt;
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == 'h') {
			printf("usage: fleetop collect [options] [SELECTION]\n"
			       "Collects from the selected hosts into the history until interrupted.\n"
			       "      --duration DUR    stop after DUR\n"
			       "      --stats DUR       print hosts up/down, samples/s and the history's\n"
			       "                        state every DUR\n"
			       "      --log FILE        log to FILE (0600, moved to FILE.1 past 8 MiB)\n"
			       COMMON_HELP);
			return EXIT_OK;
		}
		if (opt == OPT_LOG) {
			log_path = optarg;
			continue;
		}
		if (opt == OPT_DURATION || opt == OPT_STATS) {
			int64_t ms;
			if (parse_duration_ms(optarg, &ms) < 0 || ms <= 0)
				return cli_usage_error("'%s' is not a duration like 60s", optarg);
			if (opt == OPT_DURATION)
				duration = ms;
			else
				run_state.stats_every_ms = ms;
			continue;
		}
		int rc = common_option_or_usage(opt, optarg, &o, "collect");
		if (rc)
			return rc;
	}
	/* A daemon's log is what its operator reads: what happened, not only
	 * what went wrong. */
	log_set_level(LOG_INFO);
	struct error lerr;
	if (log_path && log_set_file(log_path, &lerr) < 0)
		return cli_usage_error("%s", lerr.msg);
	struct runtime e;
	if (runtime_open_common(&e, &o, argc > optind ? argv[optind] : NULL,
			       RUNTIME_STORE | RUNTIME_COLLECT | RUNTIME_ALERTS | RUNTIME_HUP_RELOADS) < 0)
		return EXIT_USAGE;
	if (run_state.stats_every_ms) {
		run_state.last_ms = loop_now_ms(e.loop);
		run_state.timer = loop_timer_add(e.loop, run_state.stats_every_ms, on_stats, &e);
	}
	runtime_run(&e, NULL, NULL, duration);
	uint64_t samples = collector_samples_total(e.collector);
	uint64_t refused = 0;
	size_t up = 0;
	for (size_t i = 0; i < e.fleet.nhosts; i++) {
		up += e.selected[i] && e.fleet.hosts[i].state == HOST_UP;
		refused += collector_series_refused(e.collector, &e.fleet.hosts[i]);
	}
	/* The last write before the figures, so they count it. */
	runtime_flush(&e);
	char brief[160];
	report_store_brief(e.store, brief, sizeof brief);
	runtime_close(&e);
	fprintf(stderr, "collect: done, %zu hosts up at the end, %llu samples collected, %s", up,
		(unsigned long long)samples, brief);
	/* A total at the end; the warnings named each host once. */
	if (refused)
		fprintf(stderr, ", %llu refused (max_series_per_host or bad names)",
			(unsigned long long)refused);
	fputc('\n', stderr);
	return EXIT_OK;
}

const struct command cmd_collect = { "collect", collect_run,
				     "collect into the history without a console" };
