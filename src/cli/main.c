/* fleetop: the command table and dispatch, git style:
 * `fleetop <command> [options]`. Adding a command is one file and one row. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct command *const commands[] = {
	&cmd_console, &cmd_hosts, &cmd_check, &cmd_status, &cmd_history, &cmd_events,
	&cmd_alerts, &cmd_notify, &cmd_collect, &cmd_sim, &cmd_demo,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fleetop: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_USAGE;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: fleetop <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "\n'fleetop <command> --help' for a command's options; man fleetop for all.\n");
}

int main(int argc, char **argv)
{
	/* No command, or only options: the console. */
	if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "-h") && strcmp(argv[1], "--help") &&
			 strcmp(argv[1], "--version")))
		return cmd_console.run(argc, argv);
	const char *name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version")) {
		printf("fleetop %s\n", FLEETOP_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i]->run(argc - 1, argv + 1);
	fprintf(stderr, "fleetop: '%s' is not a command; see 'fleetop --help'\n", name);
	return EXIT_USAGE;
}
