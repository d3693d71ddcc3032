/* The inventory every command that names hosts reads, and what to say
 * when there is none yet: on a first run, "cannot open .../fleet.conf"
 * alone leaves a newcomer guessing what belongs there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "cli.h"

/* Set by a load that found no file: errors are one line (error_set), the
 * example takes several, so it is printed after the error by whoever
 * prints that (cli_fleet_hint). */
static bool inventory_missing;

int cli_fleet_load(struct fleet *f, const char *inventory, const struct settings *s,
		   struct error *err)
{
	char *path = inventory ? xstrdup(inventory) : settings_config_beside(s, "fleet.conf");
	int rc = fleet_load_file(f, path, err);
	struct stat st;
	inventory_missing = rc < 0 && stat(path, &st) < 0 && errno == ENOENT;
	free(path);
	return rc;
}

void cli_fleet_hint(FILE *out)
{
	if (!inventory_missing)
		return;
	fputs("Write the hosts to watch there in Ansible's INI form (man 5 fleetop.conf), e.g.:\n"
	      "    [minecraft]\n"
	      "    mc-eu-1 ansible_host=10.0.0.11\n"
	      "    mc-eu-2 ansible_host=10.0.0.12 ansible_user=games\n"
	      "or name another file with -i FILE, or try the console on a simulated fleet\n"
	      "first: fleetop demo\n",
	      out);
}
