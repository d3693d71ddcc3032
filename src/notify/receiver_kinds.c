/* The receiver kinds notify.conf takes: one row a kind. Adding a kind is
 * one file (render_NAME.c: its receiver_kind, build and render) and one
 * row here. */
#include <string.h>

#include "fleetop/core.h"
#include "notify_private.h"

const struct receiver_kind *const receiver_kinds[] = {
	&receiver_discord, &receiver_slack, &receiver_teams, &receiver_pagerduty,
	&receiver_webhook, &receiver_email, &receiver_sms,   &receiver_command,
	&receiver_github,  &receiver_jira,  NULL,
};

const struct receiver_kind *receiver_kind_find(const char *name)
{
	for (const struct receiver_kind *const *k = receiver_kinds; *k; k++)
		if (!strcmp((*k)->name, name))
			return *k;
	return NULL;
}

const char *receiver_kind_name(const struct receiver_kind *k)
{
	return k ? k->name : "unknown";
}

const char *receiver_kind_names(void)
{
	static char names[256];
	if (!names[0]) {
		size_t n = 0;
		while (receiver_kinds[n])
			n++;
		for (size_t i = 0; i < n; i++) {
			const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
			size_t len = strlen(names);
			str_copy(names + len, sep, sizeof names - len);
			len = strlen(names);
			str_copy(names + len, receiver_kinds[i]->name, sizeof names - len);
		}
	}
	return names;
}
