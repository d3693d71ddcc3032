/* Options every host command shares. */
#include <stdlib.h>
#include <string.h>

#include "options.h"

int common_option(int opt, const char *arg, struct common_opts *o)
{
	switch (opt) {
	case 'c':
		o->config = arg;
		return 0;
	case 'i':
		o->inventory = arg;
		return 0;
	case OPT_ACCEPT_NEW:
		o->accept_new = true;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case 't':
		if (parse_duration_ms(arg, &o->timeout_ms) < 0 || o->timeout_ms <= 0)
			return cli_usage_error("--timeout '%s' is not a duration like 10s or 2m", arg);
		return 0;
	default:
		return -1;
	}
}

int common_option_or_usage(int opt, const char *arg, struct common_opts *o, const char *cmd)
{
	int rc = common_option(opt, arg, o);
	if (rc == EXIT_USAGE)
		return rc;
	if (rc < 0)
		return cli_usage_error("try 'fleetop %s --help'", cmd);
	return 0;
}

int runtime_open_common(struct runtime *e, const struct common_opts *o, const char *selection,
		       unsigned flags)
{
	struct error err;
	if (runtime_open(e, o->config, o->inventory, selection, flags, &err) < 0) {
		fprintf(stderr, "fleetop: %s\n", err.msg);
		cli_fleet_hint(stderr);
		runtime_close(e);
		return -1;
	}
	if (o->accept_new && e->settings.host_key_policy == HOST_KEY_STRICT)
		e->settings.host_key_policy = HOST_KEY_ACCEPT_NEW;
	if (o->timeout_ms)
		e->settings.connect_timeout_ms = o->timeout_ms;
	return 0;
}
