/* Options every host command shares: -c, -i, --accept-new, --json, -t. */
#ifndef FLEETOP_CLI_OPTIONS_H
#define FLEETOP_CLI_OPTIONS_H

#include <getopt.h>
#include <stdio.h>

#include "cli.h"

enum { OPT_ACCEPT_NEW = 1000, OPT_JSON, OPT_CSV, OPT_SINCE, OPT_TIER,
       OPT_READ_ONLY, OPT_ASCII, /* console and demo (console_option) */
       OPT_FIRST_PRIVATE };

#define COMMON_SHORTOPTS "c:i:t:h"
#define COMMON_LONGOPTS                                                                          \
	{ "config", required_argument, NULL, 'c' }, { "inventory", required_argument, NULL, 'i' }, \
	{ "timeout", required_argument, NULL, 't' },                                               \
	{ "accept-new", no_argument, NULL, OPT_ACCEPT_NEW },                                       \
	{ "json", no_argument, NULL, OPT_JSON }, { "help", no_argument, NULL, 'h' }

#define COMMON_HELP                                                                              \
	"  -c, --config FILE     fleetop.conf to read (default: $FLEETOP_HOME or ~/.config/fleetop)\n" \
	"  -i, --inventory FILE  inventory (default: fleet.conf beside fleetop.conf)\n"           \
	"  -t, --timeout DUR     give up on a host after DUR (default: the connect timeout)\n"   \
	"      --accept-new      learn unknown host keys (never changed ones)\n"                 \
	"      --json            print JSON\n"

/* 0: handled; -1: not a common option; EXIT_USAGE: bad value (printed). */
int common_option(int opt, const char *arg, struct common_opts *o);
/* common_option, or a usage error naming cmd's --help: 0 or EXIT_USAGE. */
int common_option_or_usage(int opt, const char *arg, struct common_opts *o, const char *cmd);
/* runtime_open with the common options (including -t); prints the error and returns -1. */
int runtime_open_common(struct runtime *e, const struct common_opts *o, const char *selection,
		       unsigned flags);

/* output.c: prints root as indented JSON and frees it. */
struct cJSON;
void cli_json_print(struct cJSON *root);
/* "YYYY-MM-DD HH:MM:SS" in local time; "-" for 0. */
const char *cli_local_time(int64_t ms, char *out, size_t size);

#endif
