/* Printing hosts: the table and the --json object that check and status
 * share. JSON names are a stable interface (fleetop(1)). */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "report.h"

/* "info": the text facts (map, version, errors of the game query, the
 * game probe and custom collectors); "players": the list, parsed. */
static void info_json(cJSON *o, const struct host *h)
{
	cJSON *info = cJSON_AddObjectToObject(o, "info");
	const char *list = NULL;
	for (size_t i = 0; i < h->ninfo; i++) {
		if (!strcmp(h->info[i].key, "game.players_list"))
			list = h->info[i].value;
		else
			cJSON_AddStringToObject(info, h->info[i].key, h->info[i].value);
	}
	if (!list)
		return;
	cJSON *players = cJSON_AddArrayToObject(o, "players");
	struct player_entry pe;
	while (players_list_next(&list, &pe)) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "name", pe.name);
		cJSON_AddNumberToObject(p, "score", pe.score);
		cJSON_AddNumberToObject(p, "ping", pe.ping);
		cJSON_AddItemToArray(players, p);
	}
}

static cJSON *host_json(const struct runtime *e, const struct host *h, bool with_metrics)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", h->name);
	cJSON *groups = cJSON_AddArrayToObject(o, "group");
	for (size_t i = 0; i < h->ngroups; i++)
		cJSON_AddItemToArray(groups, cJSON_CreateString(h->groups[i]));
	cJSON_AddStringToObject(o, "state", host_state_name(h->state));
	if (h->state == HOST_DOWN)
		cJSON_AddStringToObject(o, "fault", host_fault_name(h->fault));
	if (h->error[0])
		cJSON_AddStringToObject(o, "error", h->error);
	else
		cJSON_AddNullToObject(o, "error");
	if (with_metrics) {
		cJSON *m = cJSON_AddObjectToObject(o, "metrics");
		for (size_t i = 0; i < h->nmetrics; i++)
			if (isfinite(h->metrics[i].value))
				cJSON_AddNumberToObject(m, h->metrics[i].name, h->metrics[i].value);
		info_json(o, h);
	}
	if (e->collector) {
		cJSON_AddNumberToObject(o, "series", (double)collector_series(e->collector, h));
		cJSON_AddNumberToObject(o, "series_refused",
					(double)collector_series_refused(e->collector, h));
	}
	return o;
}

void report_json(const struct runtime *e, bool with_metrics)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *hosts = cJSON_AddArrayToObject(root, "hosts");
	uint32_t *ids = xmalloc((e->fleet.nhosts ? e->fleet.nhosts : 1) * sizeof *ids);
	size_t n = fleet_sorted(&e->fleet, e->selected, ids);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(hosts, host_json(e, &e->fleet.hosts[ids[i]], with_metrics));
	free(ids);
	if (e->store)
		cJSON_AddItemToObject(root, "store", report_store_json(e->store));
	cli_json_print(root);
}

static const char *metric_cell(const struct host *h, const char *name, const char *fmt,
			       char *out, size_t size)
{
	double v;
	if (!host_get_metric(h, name, &v))
		return "-";
	snprintf(out, size, fmt, v);
	return out;
}

static const char *rate_cell(const struct host *h, const char *name, char *out, size_t size)
{
	double v;
	if (!host_get_metric(h, name, &v))
		return "-";
	char si[16];
	snprintf(out, size, "%sB/s", format_si(v, si, sizeof si));
	return out;
}

static const char *uptime_cell(const struct host *h, char *out, size_t size)
{
	double v;
	if (!host_get_metric(h, "uptime", &v))
		return "-";
	long s = (long)v;
	if (s >= 86400)
		snprintf(out, size, "%ldd%02ldh", s / 86400, s % 86400 / 3600);
	else
		snprintf(out, size, "%ldh%02ldm", s / 3600, s % 3600 / 60);
	return out;
}

static const char *players_cell(const struct host *h, char *out, size_t size)
{
	double up, n, max;
	if (!host_get_metric(h, "game.up", &up))
		return "-";
	if (up == 0 || !host_get_metric(h, "game.players", &n))
		return "down";
	if (host_get_metric(h, "game.players_max", &max) && max > 0)
		snprintf(out, size, "%.0f/%.0f", n, max);
	else
		snprintf(out, size, "%.0f", n);
	return out;
}

/* The host's own error first, then its game's and collectors'. */
static const char *host_error(const struct host *h)
{
	static const char *const keys[] = { "game.error", "proc.error", "custom.error" };
	if (h->error[0])
		return h->error;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *v = host_get_info(h, keys[i]);
		if (v)
			return v;
	}
	return "";
}

void report_table(const struct runtime *e, bool with_metrics, FILE *out)
{
	size_t w = 4;
	for (size_t i = 0; i < e->fleet.nhosts; i++)
		if (e->selected[i] && strlen(e->fleet.hosts[i].name) > w)
			w = strlen(e->fleet.hosts[i].name);
	if (with_metrics)
		fprintf(out, "%-*s  %-10s %6s %6s %6s %6s %10s %10s %8s %9s %5s  %s\n", (int)w,
			"HOST", "STATE", "CPU%", "MEM%", "DISK%", "LOAD1", "NET-RX", "NET-TX",
			"UPTIME", "PLAYERS", "TPS", "ERROR");
	else
		fprintf(out, "%-*s  %-10s %s\n", (int)w, "HOST", "STATE", "DETAIL");
	uint32_t *ids = xmalloc((e->fleet.nhosts ? e->fleet.nhosts : 1) * sizeof *ids);
	size_t n = fleet_sorted(&e->fleet, e->selected, ids);
	for (size_t i = 0; i < n; i++) {
		const struct host *h = &e->fleet.hosts[ids[i]];
		if (!with_metrics) {
			fprintf(out, "%-*s  %-10s %s\n", (int)w, h->name, host_state_name(h->state),
				h->state == HOST_UP ? "ok" : h->error);
			continue;
		}
		char c[9][24];
		fprintf(out, "%-*s  %-10s %6s %6s %6s %6s %10s %10s %8s %9s %5s  %s\n", (int)w, h->name,
			host_state_name(h->state), metric_cell(h, "cpu.util", "%.1f", c[0], 24),
			metric_cell(h, "mem.used_pct", "%.1f", c[1], 24),
			metric_cell(h, "disk.used_pct", "%.0f", c[2], 24),
			metric_cell(h, "load.1", "%.2f", c[3], 24), rate_cell(h, "net.rx_bps", c[4], 24),
			rate_cell(h, "net.tx_bps", c[5], 24), uptime_cell(h, c[6], 24),
			players_cell(h, c[7], 24), metric_cell(h, "game.tps", "%.1f", c[8], 24),
			host_error(h));
	}
	free(ids);
}
