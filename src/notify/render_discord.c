/* Discord webhook: {content, embeds: [one embed], allowed_mentions}. Every
 * one of Discord's limits holds whatever the alerts say: content 2000,
 * title 256, description 4096, 25 fields of 256/1024, footer 2048 and
 * 6000 for all the embed's text; a big group lists the first alerts that
 * fit, then "…and 180 more". The idempotency key is in the footer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_private.h"
#include "render_private.h"

enum {
	D_CONTENT = 2000,
	D_TITLE = 256,
	D_DESC = 4096,
	D_FIELDS = 25,
	D_FIELD_NAME = 256,
	D_FIELD_VALUE = 1024,
	D_FOOTER = 2048,
	D_TOTAL = 6000,
};

/* Colours of the side bar. */
enum {
	C_RESOLVED = 0x2ECC71, C_CRITICAL = 0xE74C3C, C_WARNING = 0xF39C12, C_INFO = 0x3498DB,
	C_ACKED = 0x95A5A6,
};

#define MARKDOWN "\\*_~`|"

static const char *icon(const struct notify_alert *a)
{
	if (alert_is_resolved(a))
		return "\xE2\x9C\x85"; /* ✅ */
	switch (a->severity) {
	case SEV_CRITICAL: return "\xF0\x9F\x94\xB4"; /* 🔴 */
	case SEV_WARNING: return "\xF0\x9F\x9F\xA0";  /* 🟠 */
	default: return "\xF0\x9F\x94\xB5";           /* 🔵 */
	}
}

static void line(struct buf *out, const struct notify_alert *a, void *arg)
{
	(void)arg;
	char *host = text_cut(nz(a->host), 64, false);
	char *summary = text_cut(nz(a->summary), 200, false);
	buf_printf(out, "%s **", icon(a));
	text_escape(out, host, MARKDOWN);
	buf_puts(out, "** ");
	text_escape(out, summary, MARKDOWN);
	/* <t:UNIX:R> shows "5 minutes ago" in the reader's own time zone. */
	if (alert_is_resolved(a) && a->ends_ms > 0)
		buf_printf(out, " \xC2\xB7 resolved <t:%lld:R>", (long long)(a->ends_ms / 1000));
	else if (a->starts_ms > 0)
		buf_printf(out, " \xC2\xB7 since <t:%lld:R>", (long long)(a->starts_ms / 1000));
	if (a->acked_by) {
		char *who = text_cut(a->acked_by, 40, false);
		buf_puts(out, " \xC2\xB7 acked by ");
		text_escape(out, who, MARKDOWN);
		free(who);
	}
	buf_printf(out, " \xC2\xB7 #%lld", (long long)a->id);
	free(host);
	free(summary);
}

/* Adds a field cut to Discord's limits; returns the units it took. */
static size_t add_field(cJSON *fields, const char *name, const char *value, bool is_inline)
{
	char *n = text_cut(name, D_FIELD_NAME, false);
	char *v = text_cut(*value ? value : "-", D_FIELD_VALUE, true);
	cJSON *f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "name", n);
	cJSON_AddStringToObject(f, "value", v);
	cJSON_AddBoolToObject(f, "inline", is_inline);
	cJSON_AddItemToArray(fields, f);
	size_t used = text_units(n) + text_units(v);
	free(n);
	free(v);
	return used;
}

static int color(const struct notification *n)
{
	if (notif_resolved(n))
		return C_RESOLVED;
	if (notif_all_acked(n))
		return C_ACKED;
	switch (n->severity) {
	case SEV_CRITICAL: return C_CRITICAL;
	case SEV_WARNING: return C_WARNING;
	default: return C_INFO;
	}
}

static cJSON *embed(const struct notification *n, const char *subject, const char *ack)
{
	cJSON *e = cJSON_CreateObject();
	size_t used = 0;
	char *title = text_cut(subject, D_TITLE, false);
	cJSON_AddStringToObject(e, "title", title);
	used += text_units(title);
	free(title);

	/* Fields and footer first: the list of alerts gets what is left. */
	cJSON *fields = cJSON_CreateArray();
	char count[64];
	size_t firing = notif_count(n, true), resolved = notif_count(n, false);
	if (firing && resolved)
		snprintf(count, sizeof count, "%zu firing, %zu resolved", firing, resolved);
	else
		snprintf(count, sizeof count, "%zu %s", firing + resolved, firing ? "firing" : "resolved");
	used += add_field(fields, "Severity", alert_severity_name(n->severity), true);
	used += add_field(fields, "Alerts", count, true);
	const char *group = notif_common(n, "group");
	if (group)
		used += add_field(fields, "Group", group, true);
	if (ack && !notif_resolved(n)) {
		char *v = xasprintf("`%s`", ack);
		used += add_field(fields, "Acknowledge", v, false);
		free(v);
	}
	const char *rb = notif_runbook(n);
	if (rb)
		used += add_field(fields, "Runbook", rb, false);

	char *key = text_cut(nz(n->key), 200, false);
	char *ftext = xasprintf("fleetop \xC2\xB7 key %s", key);
	char *footer_text = text_cut(ftext, D_FOOTER, false);
	cJSON *footer = cJSON_CreateObject();
	cJSON_AddStringToObject(footer, "text", footer_text);
	used += text_units(footer_text);
	free(key);
	free(ftext);
	free(footer_text);

	size_t room = D_TOTAL > used + 16 ? D_TOTAL - used - 16 : 0;
	if (room > D_DESC)
		room = D_DESC;
	char *desc = render_alert_list(n, room, 50, line, NULL, "\xE2\x80\xA6" "and %zu more");
	if (*desc)
		cJSON_AddStringToObject(e, "description", desc);
	free(desc);
	cJSON_AddNumberToObject(e, "color", color(n));
	cJSON_AddItemToObject(e, "fields", fields);
	cJSON_AddItemToObject(e, "footer", footer);
	if (n->created_ms > 0) {
		char ts[40];
		fmt_rfc3339(n->created_ms, ts, sizeof ts);
		cJSON_AddStringToObject(e, "timestamp", ts);
	}
	return e;
}

static int render_discord(const struct notify_receiver *r, const struct notification *n,
		   struct notify_request *req, struct error *err)
{
	(void)r, (void)err;
	char *subject = notif_subject(n);
	char *ack = notif_ack_hint(n);
	struct buf content = { 0 };
	buf_puts(&content, "**");
	text_escape(&content, subject, MARKDOWN);
	buf_puts(&content, "**");
	if (ack && !notif_resolved(n))
		buf_printf(&content, "\nack: `%s`", ack);
	char *c = text_cut(content.data, D_CONTENT, true);
	buf_free(&content);

	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "content", c);
	cJSON *embeds = cJSON_AddArrayToObject(o, "embeds");
	cJSON_AddItemToArray(embeds, embed(n, subject, ack));
	/* Labels and summaries come from hosts: no @everyone from them. */
	cJSON *am = cJSON_AddObjectToObject(o, "allowed_mentions");
	cJSON_AddArrayToObject(am, "parse");
	req_header(req, "Content-Type: application/json");
	req_json_body(req, o);
	free(c);
	free(subject);
	free(ack);
	return 0;
}

const struct receiver_kind receiver_discord = {
	.name = "discord",
	.takes = RK_HTTP,
	.needs = RK_URL,
	.transport = TRANSPORT_HTTP,
	.url_is_secret = true,
	.url_has_token = true,
	.send_resolved = true,
	.render = render_discord,
};
