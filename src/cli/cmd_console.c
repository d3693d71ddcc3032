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
	runtime_start(arg);
}

static int console_reload(void *arg, char *msg, size_t size)
{
	return runtime_alerts_reload(arg, msg, size);
}

int console_on_runtime(struct runtime *e, const char *title, const struct tui_opts *to)
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
	/* Not COMMON_LONGOPTS: -t is the theme here, so --timeout needs a code
	 * of its own (mapped to 't' it set the theme), and nothing prints JSON. */
	enum { OPT_TIMEOUT = OPT_FIRST_PRIVATE };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "inventory", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "accept-new", no_argument, NULL, OPT_ACCEPT_NEW },
		{ "help", no_argument, NULL, 'h' },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "theme", required_argument, NULL, 'T' },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "c:i:t:hT:", longopts, NULL)) != -1) {
		if (opt == 'h') {
			printf("usage: fleetop [console] [options] [SELECTION]\n"
			       "Opens the console on the fleet (all hosts, or the selection).\n"
			       "  -t, -T, --theme NAME  colour theme (dark, light, high-contrast, monochrome)\n"
			       "      --read-only       no actions (wall screens)\n"
			       "      --ascii           ASCII only, no UTF-8 glyphs\n"
			       "  -c, --config FILE     fleetop.conf to read (default: $FLEETOP_HOME or "
			       "~/.config/fleetop)\n"
			       "  -i, --inventory FILE  inventory (default: fleet.conf beside fleetop.conf)\n"
			       "      --timeout DUR     the connect timeout (-t is the theme here)\n"
			       "      --accept-new      learn unknown host keys (never changed ones)\n");
			return EXIT_OK;
		}
		if (opt == OPT_TIMEOUT)
			opt = 't'; /* common_option's -t: the connect timeout */
		else if (console_option(opt, optarg, &to) == 0)
			continue;
		int rc = common_option_or_usage(opt, optarg, &o, "console");
		if (rc)
			return rc;
	}
	struct runtime e;
	if (runtime_open_common(&e, &o, argc > optind ? argv[optind] : NULL,
			       RUNTIME_STORE | RUNTIME_COLLECT | RUNTIME_ALERTS) < 0)
		return EXIT_USAGE;
	int rc = console_on_runtime(&e, "fleetop", &to);
	runtime_close(&e);
	return rc;
}

const struct command cmd_console = { "console", console_run,
				     "the console (what plain 'fleetop' opens)" };
