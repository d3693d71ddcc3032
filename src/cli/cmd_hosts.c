/* fleetop hosts [SEL]: the inventory as fleetop reads it; connects nowhere. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/text.h"
#include "options.h"

static int hosts_run(int argc, char **argv)
{
	struct common_opts o = { 0 };
	static const struct option longopts[] = { COMMON_LONGOPTS, { 0 } };
	int opt;
	while ((opt = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (opt == 'h') {
			printf("usage: fleetop hosts [options] [SELECTION]\n"
			       "Lists the inventory: name, address, port, user and groups (--json:\n"
			       "and variables, secrets shown as <redacted>).\n" COMMON_HELP);
			return EXIT_OK;
		}
		int rc = common_option_or_usage(opt, optarg, &o, "hosts");
		if (rc)
			return rc;
	}
	struct runtime e;
	if (runtime_open_common(&e, &o, argc > optind ? argv[optind] : NULL, 0) < 0)
		return EXIT_USAGE;
	cJSON *root = o.json ? cJSON_CreateObject() : NULL;
	cJSON *arr = root ? cJSON_AddArrayToObject(root, "hosts") : NULL;
	if (!o.json)
		printf("%-24s %-20s %5s %-12s %s\n", "HOST", "ADDRESS", "PORT", "USER", "GROUPS");
	uint32_t *ids = xmalloc((e.fleet.nhosts ? e.fleet.nhosts : 1) * sizeof *ids);
	size_t n = fleet_sorted(&e.fleet, e.selected, ids);
	for (size_t i = 0; i < n; i++) {
		const struct host *h = &e.fleet.hosts[ids[i]];
		if (o.json) {
			cJSON *j = cJSON_CreateObject();
			cJSON_AddStringToObject(j, "name", h->name);
			cJSON_AddStringToObject(j, "address", h->address ? h->address : h->name);
			if (h->port)
				cJSON_AddNumberToObject(j, "port", h->port);
			else
				cJSON_AddNullToObject(j, "port");
			if (h->user)
				cJSON_AddStringToObject(j, "user", h->user);
			else
				cJSON_AddNullToObject(j, "user");
			cJSON *g = cJSON_AddArrayToObject(j, "group");
			for (size_t k = 0; k < h->ngroups; k++)
				cJSON_AddItemToArray(g, cJSON_CreateString(h->groups[k]));
			cJSON *v = cJSON_AddObjectToObject(j, "vars");
			for (size_t k = 0; k < h->nvars; k++)
				cJSON_AddStringToObject(v, h->vars[k].key,
							text_redact(h->vars[k].key, h->vars[k].value));
			cJSON_AddItemToArray(arr, j);
			continue;
		}
		char port[8] = "-", groups[256] = "";
		if (h->port)
			snprintf(port, sizeof port, "%d", h->port);
		for (size_t k = 0; k < h->ngroups; k++) {
			if (k)
				strncat(groups, ",", sizeof groups - strlen(groups) - 1);
			strncat(groups, h->groups[k], sizeof groups - strlen(groups) - 1);
		}
		printf("%-24s %-20s %5s %-12s %s\n", h->name, h->address ? h->address : h->name, port,
		       h->user ? h->user : "-", groups);
	}
	free(ids);
	if (root) {
		cli_json_print(root);
	}
	runtime_close(&e);
	return EXIT_OK;
}

const struct command cmd_hosts = { "hosts", hosts_run, "list the inventory (no connection)" };
