/* fleetop check [SEL]: connect and authenticate each host (ansible -m ping). */
#include "options.h"
#include "report.h"

static bool all_settled(struct runtime *e, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < e->fleet.nhosts; i++) {
		enum host_state s = e->fleet.hosts[i].state;
		if (e->selected[i] && s != HOST_UP && s != HOST_DOWN)
			return false;
	}
	return true;
}

static int check_run(int argc, char **argv)
{
	struct common_opts o = { 0 };
	static const struct option longopts[] = { COMMON_LONGOPTS, { 0 } };
	int opt;
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == 'h') {
			printf("usage: fleetop check [options] [SELECTION]\n"
			       "Connects to and authenticates with each host, then reports.\n"
			       "Exit 0 if all are up, 1 if some failed.\n" COMMON_HELP);
			return EXIT_OK;
		}
		int rc = common_option_or_usage(opt, optarg, &o, "check");
		if (rc)
			return rc;
	}
	struct runtime e;
	if (runtime_open_common(&e, &o, argc > optind ? argv[optind] : NULL, 0) < 0)
		return EXIT_USAGE;
	runtime_run(&e, all_settled, NULL, e.settings.connect_timeout_ms + 2000);
	int failed = 0;
	for (size_t i = 0; i < e.fleet.nhosts; i++)
		if (e.selected[i] && e.fleet.hosts[i].state != HOST_UP)
			failed++;
	if (o.json)
		report_json(&e, false);
	else
		report_table(&e, false, stdout);
	runtime_close(&e);
	return failed ? EXIT_SOME_FAILED : EXIT_OK;
}

const struct command cmd_check = { "check", check_run, "connect and authenticate each host" };
