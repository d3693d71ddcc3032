/* Host tables and JSON for check and status. */
#ifndef FLEETOP_CLI_REPORT_H
#define FLEETOP_CLI_REPORT_H

#include <stdio.h>

#include "cli.h"

void report_json(const struct engine *e, bool with_metrics);
void report_table(const struct engine *e, bool with_metrics, FILE *out);

#endif
