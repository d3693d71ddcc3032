/* PagerDuty Events API v2: {routing_key, event_action, dedup_key, payload,
 * links, client}. The dedup_key comes from the group key alone, so every
 * send about a group (repeats, escalations, the resolve) lands on the same
 * incident, and a resend after a crash is deduplicated by PagerDuty. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_private.h"
#include "render_private.h"

enum { PD_SUMMARY = 1024, PD_FIELD = 255, PD_ALERTS = 50 };

/* FNV-1a, 64 bits: stable across versions and machines (a dedup_key must
 * not change when fleetop is upgraded). */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static char *dedup_key(const struct notification *n)
{
	const char *basis = n->group_key && *n->group_key ? n->group_key : nz(n->key);
	return xasprintf("fleetop-%016llx", (unsigned long long)fnv1a(basis));
}

static const char *pd_severity(enum alert_severity s)
{
	switch (s) {
	case SEV_CRITICAL: return "critical";
	case SEV_WARNING: return "warning";
	default: return "info";
	}
}

static void add_cut(cJSON *o, const char *name, const char *v, size_t max)
{
	char *c = text_cut(v, max, false);
	cJSON_AddStringToObject(o, name, c);
	free(c);
}

static cJSON *details(const struct notification *n)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddNumberToObject(d, "firing", (double)notif_count(n, true));
	cJSON_AddNumberToObject(d, "resolved", (double)notif_count(n, false));
	cJSON_AddItemToObject(d, "labels", labels_object(n->common_labels, n->ncommon));
	char *ack = notif_ack_hint(n);
	if (ack)
		cJSON_AddStringToObject(d, "acknowledge", ack);
	free(ack);
	add_cut(d, "fleetop_key", nz(n->key), 255);
	cJSON *alerts = cJSON_AddArrayToObject(d, "alerts");
	for (size_t i = 0; i < n->nalerts && i < PD_ALERTS; i++) {
		const struct notify_alert *a = &n->alerts[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "id", (double)a->id);
		add_cut(o, "status", nz(a->status), 20);
		add_cut(o, "host", nz(a->host), 255);
		add_cut(o, "rule", nz(a->rule), 255);
		add_cut(o, "severity", alert_severity_name(a->severity), 20);
		add_cut(o, "summary", nz(a->summary), 1024);
		char v[40], t[40];
		render_value_text(a->value, v, sizeof v);
		fmt_rfc3339(a->starts_ms, t, sizeof t);
		cJSON_AddStringToObject(o, "value", v);
		cJSON_AddStringToObject(o, "since", t);
		if (a->acked_by)
			add_cut(o, "acked_by", a->acked_by, 255);
		cJSON_AddItemToArray(alerts, o);
	}
	if (n->nalerts > PD_ALERTS)
		cJSON_AddNumberToObject(d, "alerts_not_listed", (double)(n->nalerts - PD_ALERTS));
	return d;
}

static cJSON *payload(const struct notification *n)
{
	cJSON *p = cJSON_CreateObject();
	char *subject = notif_subject(n);
	add_cut(p, "summary", subject, PD_SUMMARY);
	free(subject);
	/* source: the host when the group is one host, else its group. */
	const char *host = notif_common(n, "host");
	if (!host && n->nalerts == 1)
		host = n->alerts[0].host;
	const char *group = notif_common(n, "group");
	add_cut(p, "source", host && *host ? host : group && *group ? group : "fleetop", PD_FIELD);
	cJSON_AddStringToObject(p, "severity", pd_severity(n->severity));
	char ts[40];
	fmt_rfc3339(n->created_ms, ts, sizeof ts);
	cJSON_AddStringToObject(p, "timestamp", ts);
	const char *rule = notif_common(n, "rule");
	if (rule) {
		add_cut(p, "component", rule, PD_FIELD);
		add_cut(p, "class", rule, PD_FIELD);
	}
	if (group)
		add_cut(p, "group", group, PD_FIELD);
	cJSON_AddItemToObject(p, "custom_details", details(n));
	return p;
}

static int render_pagerduty(const struct notify_receiver *r, const struct notification *n,
		     struct notify_request *req, struct error *err)
{
	if (!r->secret || !*r->secret)
		return error_set(err, "%s: no routing key (secret_file or secret_env)", req->what);
	const char *action = notif_resolved(n) ? "resolve"
			   : notif_all_acked(n) ? "acknowledge" : "trigger";
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "routing_key", r->secret);
	cJSON_AddStringToObject(o, "event_action", action);
	char *dk = dedup_key(n);
	cJSON_AddStringToObject(o, "dedup_key", dk);
	free(dk);
	/* A resolve or acknowledge needs only the key; a trigger says what. */
	if (!strcmp(action, "trigger")) {
		cJSON_AddItemToObject(o, "payload", payload(n));
		cJSON_AddStringToObject(o, "client", "fleetop");
		const char *rb = notif_runbook(n);
		if (rb && (str_starts_with(rb, "https://") || str_starts_with(rb, "http://"))) {
			cJSON *links = cJSON_AddArrayToObject(o, "links");
			cJSON *l = cJSON_CreateObject();
			add_cut(l, "href", rb, 2000);
			cJSON_AddStringToObject(l, "text", "Runbook");
			cJSON_AddItemToArray(links, l);
		}
	}
	req_header(req, "Content-Type: application/json");
	req_json_body(req, o);
	return 0;
}

const struct receiver_kind receiver_pagerduty = {
	.name = "pagerduty",
	.takes = RK_HTTP | RK_SECRET,
	.needs = RK_SECRET,
	.transport = TRANSPORT_HTTP,
	.default_url = "https://events.pagerduty.com/v2/enqueue",
	.secret_is = "its routing key (secret)",
	.send_resolved = true,
	.render = render_pagerduty,
};
