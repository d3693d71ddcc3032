/* Host tables and JSON for check and status. */
#ifndef FLEETOP_CLI_REPORT_H
#define FLEETOP_CLI_REPORT_H

#include <stdio.h>

#include "cli.h"

void report_json(const struct runtime *e, bool with_metrics);
void report_table(const struct runtime *e, bool with_metrics, FILE *out);

/* report_store.c: the history's health (store_health) as the "store"
 * object of --json, and as "N stored, history ok" (or FULL/ERROR with the
 * samples waiting and dropped) for collect's lines. */
struct cJSON;
struct cJSON *report_store_json(struct store *s);
const char *report_store_brief(struct store *s, char *out, size_t size);

#endif
