/* The generic webhook speaks Alertmanager's webhook format, version "4",
 * so a receiver written for Alertmanager takes our posts unchanged (the
 * rule is also the alertname label, as receivers expect one); the
 * idempotency key rides along as "fleetopKey" (extra fields are ignored by
 * such receivers) and in the Idempotency-Key header. Optional auth: user +
 * secret is basic auth, a secret alone a bearer token. */
#include <stdlib.h>
#include <string.h>

#include "notify_private.h"
#include "render_private.h"

/* Alertmanager's "zero time" for an alert that has not ended. */
#define ZERO_TIME "0001-01-01T00:00:00Z"

/* Alertmanager's alerts always carry alertname, and receivers written
 * for it key on it: ours is the rule. */
static cJSON *with_alertname(cJSON *labels, const char *rule)
{
	if (rule && *rule && !cJSON_GetObjectItemCaseSensitive(labels, "alertname")) {
		char *r = text_clean(rule, false);
		cJSON_AddStringToObject(labels, "alertname", r);
		free(r);
	}
	return labels;
}

static cJSON *alert_obj(const struct notify_alert *a)
{
	cJSON *o = cJSON_CreateObject();
	bool resolved = alert_is_resolved(a);
	cJSON_AddStringToObject(o, "status", resolved ? "resolved" : "firing");
	cJSON_AddItemToObject(o, "labels",
			      with_alertname(labels_object(a->labels, a->nlabels), a->rule));
	cJSON *ann = cJSON_AddObjectToObject(o, "annotations");
	char *s = text_clean(nz(a->summary), true);
	cJSON_AddStringToObject(ann, "summary", s);
	free(s);
	if (a->runbook && *a->runbook) {
		char *rb = text_clean(a->runbook, false);
		cJSON_AddStringToObject(ann, "runbook_url", rb);
		free(rb);
	}
	char t[40];
	fmt_rfc3339(a->starts_ms, t, sizeof t);
	cJSON_AddStringToObject(o, "startsAt", t);
	if (resolved && a->ends_ms > 0)
		fmt_rfc3339(a->ends_ms, t, sizeof t);
	else
		strcpy(t, ZERO_TIME);
	cJSON_AddStringToObject(o, "endsAt", t);
	cJSON_AddStringToObject(o, "generatorURL", "");
	char *fp = text_clean(nz(a->fingerprint), false);
	cJSON_AddStringToObject(o, "fingerprint", fp);
	free(fp);
	return o;
}

/* Annotations every alert shares, as Alertmanager's commonAnnotations. */
static cJSON *common_annotations(const struct notification *n)
{
	cJSON *o = cJSON_CreateObject();
	if (n->nalerts == 0)
		return o;
	const char *summary = nz(n->alerts[0].summary);
	bool same = true;
	for (size_t i = 1; i < n->nalerts && same; i++)
		same = !strcmp(summary, nz(n->alerts[i].summary));
	if (same) {
		char *s = text_clean(summary, true);
		cJSON_AddStringToObject(o, "summary", s);
		free(s);
	}
	const char *rb = notif_runbook(n);
	if (rb) {
		char *c = text_clean(rb, false);
		cJSON_AddStringToObject(o, "runbook_url", c);
		free(c);
	}
	return o;
}

static int render_webhook(const struct notify_receiver *r, const struct notification *n,
		   struct notify_request *req, struct error *err)
{
	(void)err;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "version", "4");
	char *gk = text_clean(nz(n->group_key), false);
	cJSON_AddStringToObject(o, "groupKey", gk);
	free(gk);
	cJSON_AddNumberToObject(o, "truncatedAlerts", 0);
	cJSON_AddStringToObject(o, "status", notif_resolved(n) ? "resolved" : "firing");
	cJSON_AddStringToObject(o, "receiver", r->name);
	cJSON_AddItemToObject(o, "groupLabels", group_key_labels(n->group_key));
	cJSON_AddItemToObject(o, "commonLabels",
			      with_alertname(labels_object(n->common_labels, n->ncommon),
					     notif_common(n, "rule")));
	cJSON_AddItemToObject(o, "commonAnnotations", common_annotations(n));
	cJSON_AddStringToObject(o, "externalURL", "");
	cJSON *alerts = cJSON_AddArrayToObject(o, "alerts");
	for (size_t i = 0; i < n->nalerts; i++)
		cJSON_AddItemToArray(alerts, alert_obj(&n->alerts[i]));
	char *key = text_clean(nz(n->key), false);
	cJSON_AddStringToObject(o, "fleetopKey", key);
	free(key);
	char *title = text_clean(nz(n->title), false);
	cJSON_AddStringToObject(o, "fleetopTitle", title);
	free(title);

	req_header(req, "Content-Type: application/json");
	if (r->user && r->secret)
		req->userpwd = xasprintf("%s:%s", r->user, r->secret);
	else if (r->secret)
		req_header(req, "Authorization: Bearer %s", r->secret);
	req_json_body(req, o);
	return 0;
}

const struct receiver_kind receiver_webhook = {
	.name = "webhook",
	.takes = RK_HTTP | RK_USER | RK_SECRET,
	.needs = RK_URL,
	.transport = TRANSPORT_HTTP,
	.url_is_secret = true,
	.send_resolved = true,
	.render = render_webhook,
};
