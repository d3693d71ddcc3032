/* series_cap.c: the gate every sample passes on its way from a collector to
 * the model, the alert windows and the store. A host names its own series
 * (interfaces, mounts, a custom collector's output), so a hostile or buggy
 * host could create names without end; past this gate each host has at
 * most `max_series_per_host` of them, each one a safe name. */
#ifndef COLLECT_SERIES_CAP_H
#define COLLECT_SERIES_CAP_H

#include "fleetop/core.h"

struct host;

/* A series name is METRIC or METRIC:INSTANCE, 1 to SERIES_NAME_MAX bytes.
 * METRIC: letters, digits, _ . - (not empty); INSTANCE (an interface, a
 * mount path): letters, digits, _ . - / : (not empty). Nothing else: no
 * space, no control byte, no byte >= 0x80. */
#define SERIES_NAME_MAX 128
/* Why name is not a series name we keep, in words; NULL when it is one. */
const char *series_name_check(const char *name);

struct series_cap;
/* cap: distinct names a host may have (at least 1). */
struct series_cap *series_cap_new(size_t cap);
void series_cap_free(struct series_cap *sc);
/* True if h may have a sample of name: the name is valid and h has it
 * already, or has fewer than cap names (then name becomes one of them and
 * stays one for the life of sc). False refuses the sample: it is counted,
 * and the first refusal of each kind (over the cap, a bad name) logs one
 * warning naming the host, the rule and that name. */
bool series_cap_admit(struct series_cap *sc, const struct host *h, const char *name);
/* Distinct names h has; samples of h refused (either kind). */
size_t series_cap_count(const struct series_cap *sc, const struct host *h);
uint64_t series_cap_refused(const struct series_cap *sc, const struct host *h);

#endif
