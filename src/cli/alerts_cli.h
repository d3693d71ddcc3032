/* What the `fleetop alerts` files share. */
#ifndef FLEETOP_CLI_ALERTS_H
#define FLEETOP_CLI_ALERTS_H

#include <cjson/cJSON.h>

#include "options.h"

/* Reads settings and opens the history; EXIT_USAGE (printed) on error. */
int alerts_open(const struct common_opts *o, struct settings *s, struct store **st);
void alerts_close(struct settings *s, struct store *st);
/* The inventory named by -i, else the fleet.conf beside fleetop.conf. */
int alerts_fleet_load(const char *inventory, const struct settings *s, struct fleet *f,
		      struct error *err);
const char *alerts_age(int64_t since_ms, int64_t now_ms, char *out, size_t size);
void alerts_json_add(cJSON *arr, const struct store_alert *a, const char *muted);

/* cmd_alerts_act.c */
int alerts_history(int argc, char **argv);
int alerts_ack(int argc, char **argv);
int alerts_unack(int argc, char **argv);
int alerts_silence(int argc, char **argv);
int alerts_silences(int argc, char **argv);
int alerts_unsilence(int argc, char **argv);
int alerts_maintenance(int argc, char **argv);
int alerts_rules(int argc, char **argv);

#endif
