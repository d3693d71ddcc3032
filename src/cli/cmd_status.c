/* fleetop status [SEL]: one collection round, then a table or JSON. */
#include "options.h"
#include "report.h"

/* Settled: down, or up with two frames (rates need two), or up with a
 * probe error to show; and its game, if it has one, polled once. */
static bool round_done(struct runtime *e, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < e->fleet.nhosts; i++) {
		if (!e->selected[i])
			continue;
		struct host *h = &e->fleet.hosts[i];
		/* A game answers (or not) whatever SSH does. */
		if (host_var(h, "game") && !host_get_metric(h, "game.up", NULL) &&
		    !host_get_info(h, "game.error"))
			return false;
		if (h->state == HOST_DOWN)
			continue;
		if (h->state != HOST_UP)
			return false;
		if (collector_frames(e->collector, h) < 2 && !h->error[0])
			return false;
	}
	return true;
}

static int status_run(int argc, char **argv)
{
	struct common_opts o = { 0 };
	static const struct option longopts[] = { COMMON_LONGOPTS, { 0 } };
	int opt;
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == 'h') {
			printf("usage: fleetop status [options] [SELECTION]\n"
			       "Connects, collects one round of metrics from each host, stores them in\n"
			       "the history and prints them. Exit 0 if all are up, 1 if some failed.\n"
			       COMMON_HELP);
			return EXIT_OK;
		}
		int rc = common_option_or_usage(opt, optarg, &o, "status");
		if (rc)
			return rc;
	}
	struct runtime e;
	if (runtime_open_common(&e, &o, argc > optind ? argv[optind] : NULL,
			       RUNTIME_STORE | RUNTIME_COLLECT) < 0)
		return EXIT_USAGE;
	int64_t limit = e.settings.connect_timeout_ms + 3 * e.settings.interval_ms + 2000;
	/* A game query may try two ways, each with its own timeout. */
	for (size_t i = 0; i < e.fleet.nhosts; i++) {
		if (e.selected[i] && host_var(&e.fleet.hosts[i], "game")) {
			limit += 8000;
			break;
		}
	}
	runtime_run(&e, round_done, NULL, limit);
	runtime_flush(&e); /* so the "store" object tells how this round's write went */
	int failed = 0;
	for (size_t i = 0; i < e.fleet.nhosts; i++)
		if (e.selected[i] && (e.fleet.hosts[i].state != HOST_UP || e.fleet.hosts[i].error[0]))
			failed++;
	if (o.json)
		report_json(&e, true);
	else
		report_table(&e, true, stdout);
	runtime_close(&e);
	return failed ? EXIT_SOME_FAILED : EXIT_OK;
}

const struct command cmd_status = { "status", status_run,
				    "collect one round of metrics and print them" };
