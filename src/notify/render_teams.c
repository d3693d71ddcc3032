/* Microsoft Teams incoming webhook (or a Workflows "post to a channel when
 * a webhook request is received" URL): a message with one Adaptive Card
 * 1.4 attachment. The card: the subject, facts (severity, counts, group),
 * the alerts as a fact set, the ack command and the idempotency key, and a
 * Runbook button. Teams refuses bodies over 28 KB: at most 25 alerts are
 * listed and every text is cut. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_private.h"
#include "render_private.h"

enum { T_ALERTS = 25, T_TEXT = 2000 };

static cJSON *text_block(const char *text, const char *size, bool subtle)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "type", "TextBlock");
	char *cut = text_cut(text, T_TEXT, true);
	cJSON_AddStringToObject(t, "text", cut);
	free(cut);
	cJSON_AddBoolToObject(t, "wrap", true);
	if (size)
		cJSON_AddStringToObject(t, "size", size);
	if (subtle)
		cJSON_AddBoolToObject(t, "isSubtle", true);
	return t;
}

static void fact(cJSON *facts, const char *title, const char *value, size_t max)
{
	cJSON *f = cJSON_CreateObject();
	char *t = text_cut(title, 100, false), *v = text_cut(value, max, false);
	cJSON_AddStringToObject(f, "title", t);
	cJSON_AddStringToObject(f, "value", v);
	cJSON_AddItemToArray(facts, f);
	free(t);
	free(v);
}

static cJSON *fact_set(cJSON **facts)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "type", "FactSet");
	*facts = cJSON_AddArrayToObject(s, "facts");
	return s;
}

static const char *colour(const struct notification *n)
{
	if (notif_resolved(n))
		return "Good";
	return n->severity == SEV_CRITICAL ? "Attention"
	     : n->severity == SEV_WARNING ? "Warning" : "Accent";
}

static cJSON *card(const struct notification *n)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
	cJSON_AddStringToObject(c, "type", "AdaptiveCard");
	cJSON_AddStringToObject(c, "version", "1.4");
	cJSON *body = cJSON_AddArrayToObject(c, "body");

	char *subject = notif_subject(n);
	cJSON *title = text_block(subject, "Medium", false);
	cJSON_AddStringToObject(title, "weight", "Bolder");
	cJSON_AddStringToObject(title, "color", colour(n));
	cJSON_AddItemToArray(body, title);
	free(subject);

	cJSON *facts;
	cJSON_AddItemToArray(body, fact_set(&facts));
	char count[64];
	snprintf(count, sizeof count, "%zu firing, %zu resolved", notif_count(n, true),
		 notif_count(n, false));
	fact(facts, "Severity", alert_severity_name(n->severity), 100);
	fact(facts, "Alerts", count, 100);
	const char *group = notif_common(n, "group");
	if (group)
		fact(facts, "Group", group, 200);

	cJSON *alerts;
	cJSON *set = fact_set(&alerts);
	if (n->nalerts)
		cJSON_AddItemToArray(body, set);
	else
		cJSON_Delete(set);
	size_t shown = 0;
	for (size_t i = 0; i < n->nalerts && shown < T_ALERTS; i++, shown++) {
		const struct notify_alert *a = &n->alerts[i];
		char *v = xasprintf("%s%s (#%lld%s%s)", alert_is_resolved(a) ? "resolved: " : "",
				    nz(a->summary), (long long)a->id, a->acked_by ? ", acked by " : "",
				    a->acked_by ? a->acked_by : "");
		fact(alerts, nz(a->host), v, 300);
		free(v);
	}
	if (shown < n->nalerts) {
		char more[64];
		snprintf(more, sizeof more, "and %zu more", n->nalerts - shown);
		fact(alerts, "\xE2\x80\xA6", more, 100);
	}

	char *ack = notif_ack_hint(n);
	if (ack && !notif_resolved(n)) {
		char *t = xasprintf("Acknowledge: `%s`", ack);
		cJSON_AddItemToArray(body, text_block(t, "Small", false));
		free(t);
	}
	free(ack);
	char *key = text_cut(nz(n->key), 200, false);
	char *k = xasprintf("fleetop key %s", key);
	cJSON_AddItemToArray(body, text_block(k, "Small", true));
	free(k);
	free(key);

	const char *rb = notif_runbook(n);
	if (rb && (str_starts_with(rb, "https://") || str_starts_with(rb, "http://"))) {
		cJSON *actions = cJSON_AddArrayToObject(c, "actions");
		cJSON *a = cJSON_CreateObject();
		cJSON_AddStringToObject(a, "type", "Action.OpenUrl");
		cJSON_AddStringToObject(a, "title", "Runbook");
		char *url = text_cut(rb, 2000, false);
		cJSON_AddStringToObject(a, "url", url);
		free(url);
		cJSON_AddItemToArray(actions, a);
	} else if (rb) {
		char *t = xasprintf("Runbook: %s", rb);
		cJSON_AddItemToArray(body, text_block(t, "Small", false));
		free(t);
	}
	cJSON *ms = cJSON_AddObjectToObject(c, "msteams");
	cJSON_AddStringToObject(ms, "width", "Full");
	return c;
}

static int render_teams(const struct notify_receiver *r, const struct notification *n,
		 struct notify_request *req, struct error *err)
{
	(void)r, (void)err;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "message");
	cJSON *atts = cJSON_AddArrayToObject(o, "attachments");
	cJSON *att = cJSON_CreateObject();
	cJSON_AddStringToObject(att, "contentType", "application/vnd.microsoft.card.adaptive");
	cJSON_AddNullToObject(att, "contentUrl");
	cJSON_AddItemToObject(att, "content", card(n));
	cJSON_AddItemToArray(atts, att);
	req_header(req, "Content-Type: application/json");
	req_json_body(req, o);
	return 0;
}

const struct receiver_kind receiver_teams = {
	.name = "teams",
	.takes = RK_HTTP,
	.needs = RK_URL,
	.transport = TRANSPORT_HTTP,
	.url_is_secret = true,
	.url_has_token = true,
	.send_resolved = true,
	.render = render_teams,
};
