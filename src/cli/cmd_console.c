/* fleetop [console]: the console on the configured fleet. */
#include <stdlib.h>

#include "fleetop/tui.h"
#include "options.h"


/* Options shared with demo: --read-only, -T/--theme, --ascii. */
int console_option(int opt, const char *arg, struct tui_opts *to)
{
	switch (opt) {
	case OPT_READ_ONLY:
		to->read_only = true;
		return 0;
	case 'T':
	case 't': /* the console needs no one-shot timeout; -t is the theme here */
		to->theme = arg;
		return 0;
	case OPT_ASCII:
		to->ascii = true;
		return 0;
	default:
		return -1;
	}
}

static void console_start(void *arg)
{
	engine_start(arg);
}

static int console_reload(void *arg, char *msg, size_t size)
{
	return engine_alerts_reload(arg, msg, size);
}

int console_run_engine(struct engine *e, const char *title, const struct tui_opts *to)
{
	/* The log goes beside the history while the screen is the console's:
	 * a file, so what happened as well as what went wrong. */
	char *log_path = settings_data_path(&e->settings, "console.log");
	log_set_level(LOG_INFO);
	struct tui_ctx ctx = { .loop = e->loop, .fleet = &e->fleet, .store = e->store,
			       .settings = &e->settings, .title = title, .alerts = e->alerts,
			       .reload = e->alerts ? console_reload : NULL, .reload_arg = e,
			       .log_path = log_path, .start = console_start, .start_arg = e };
	struct error err;
	int rc = tui_run(&ctx, to, &err);
	free(log_path);
	if (rc < 0) {
		fprintf(stderr, "fleetop: %s\n", err.msg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int console_run(int argc, char **argv)
{
	struct common_opts o = { 0 };
	struct tui_opts to = { 0 };
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "theme", required_argument, NULL, 'T' },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS "T:", longopts, NULL)) != -1) {
		if (opt == 'h') {
			printf("usage: fleetop [console] [options] [SELECTION]\n"
			       "Opens the console on the fleet (all hosts, or the selection).\n"
			       "(--timeout DUR sets the connect timeout; -t is the theme here.)\n"
			       "  -t, --theme NAME      colour theme (dark, light, high-contrast, monochrome)\n"
			       "      --read-only       no actions (wall screens)\n"
			       "      --ascii           ASCII only, no UTF-8 glyphs\n" COMMON_HELP);
			return EXIT_OK;
		}
		if (console_option(opt, optarg, &to) == 0)
			continue;
		int rc = common_option_or_usage(opt, optarg, &o, "console");
		if (rc)
			return rc;
	}
	struct engine e;
	if (engine_open_common(&e, &o, argc > optind ? argv[optind] : NULL,
			       ENGINE_STORE | ENGINE_COLLECT | ENGINE_ALERTS) < 0)
		return EXIT_USAGE;
	int rc = console_run_engine(&e, "fleetop", &to);
	engine_close(&e);
	return rc;
}

const struct command cmd_console = { "console", console_run,
				     "the console (what plain 'fleetop' opens)" };
