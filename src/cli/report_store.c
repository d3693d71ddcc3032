/* The history's health as status --json, collect --stats and the end of
 * collect tell it. JSON names are a stable interface (fleetop(1)). */
#include <cjson/cJSON.h>
#include <stdio.h>

#include "report.h"

cJSON *report_store_json(struct store *s)
{
	struct store_health h;
	store_health(s, &h);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "state", store_state_name(h.state));
	if (h.message[0])
		cJSON_AddStringToObject(o, "message", h.message);
	else
		cJSON_AddNullToObject(o, "message");
	cJSON_AddNumberToObject(o, "since_ms", (double)h.since_ms);
	cJSON_AddNumberToObject(o, "stored", (double)h.stored);
	cJSON_AddNumberToObject(o, "waiting", (double)h.waiting);
	cJSON_AddNumberToObject(o, "waiting_max", (double)h.waiting_max);
	cJSON_AddNumberToObject(o, "dropped", (double)h.dropped);
	cJSON_AddNumberToObject(o, "failures", (double)h.failures);
	cJSON_AddNumberToObject(o, "next_try_ms", (double)h.next_try_ms);
	return o;
}

const char *report_store_brief(struct store *s, char *out, size_t size)
{
	struct store_health h;
	store_health(s, &h);
	if (h.state == STORE_OK)
		snprintf(out, size, "%lld stored, history ok", (long long)h.stored);
	else
		snprintf(out, size, "%lld stored, history %s: %lld waiting, %lld dropped",
			 (long long)h.stored, h.state == STORE_FULL ? "FULL" : "ERROR",
			 (long long)h.waiting, (long long)h.dropped);
	return out;
}
