/* Severities and label lists: the small vocabulary every part of alerting
 * shares. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleetop/notify.h"

const char *alert_severity_name(enum alert_severity s)
{
	switch (s) {
	case SEV_INFO: return "info";
	case SEV_WARNING: return "warning";
	case SEV_CRITICAL: return "critical";
	case SEV_NONE: break;
	}
	return "none";
}

int alert_severity_parse(const char *s, enum alert_severity *out)
{
	static const struct { const char *name; enum alert_severity sev; } names[] = {
		{ "info", SEV_INFO },         { "warning", SEV_WARNING }, { "warn", SEV_WARNING },
		{ "critical", SEV_CRITICAL }, { "crit", SEV_CRITICAL },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*out = names[i].sev;
			return 0;
		}
	}
	return -1;
}

const char *labels_get(const struct alert_label *labels, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(labels[i].key, key) == 0)
			return labels[i].value;
	}
	return NULL;
}

void labels_free(struct alert_label *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].key);
		free(l[i].value);
	}
	free(l);
}
