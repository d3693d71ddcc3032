/* Slack incoming webhook: {text, blocks}. text is the fallback that
 * notifications and old clients show, so it is always set; the blocks are
 * a header, the alerts (mrkdwn, at most 3000 characters), facts as fields
 * and a context line with the ack command and the idempotency key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_private.h"
#include "render_private.h"

enum { S_HEADER = 150, S_TEXT = 3000, S_FIELD = 2000 };

static void line(struct buf *out, const struct notify_alert *a, void *arg)
{
	(void)arg;
	char *host = text_cut(nz(a->host), 64, false);
	char *summary = text_cut(nz(a->summary), 200, false);
	const char *mark = alert_is_resolved(a) ? ":white_check_mark:"
			 : a->severity == SEV_CRITICAL ? ":red_circle:"
			 : a->severity == SEV_WARNING ? ":large_orange_circle:" : ":large_blue_circle:";
	buf_printf(out, "%s *", mark);
	text_escape_slack(out, host);
	buf_puts(out, "* ");
	text_escape_slack(out, summary);
	int64_t t = alert_is_resolved(a) && a->ends_ms > 0 ? a->ends_ms : a->starts_ms;
	if (t > 0) {
		char iso[40];
		fmt_rfc3339(t, iso, sizeof iso);
		/* Slack shows the date in the reader's time zone; iso is the fallback. */
		buf_printf(out, " \xC2\xB7 %s <!date^%lld^{date_short_pretty} {time}|%s>",
			   alert_is_resolved(a) ? "resolved" : "since", (long long)(t / 1000), iso);
	}
	if (a->acked_by) {
		char *who = text_cut(a->acked_by, 40, false);
		buf_puts(out, " \xC2\xB7 acked by ");
		text_escape_slack(out, who);
		free(who);
	}
	buf_printf(out, " \xC2\xB7 #%lld", (long long)a->id);
	free(host);
	free(summary);
}

static cJSON *text_obj(const char *type, const char *text)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "type", type);
	cJSON_AddStringToObject(t, "text", text);
	if (!strcmp(type, "plain_text"))
		cJSON_AddBoolToObject(t, "emoji", true);
	return t;
}

static cJSON *block(const char *type)
{
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "type", type);
	return b;
}

static void add_field(cJSON *fields, const char *name, const char *value)
{
	struct buf b = { 0 };
	buf_printf(&b, "*%s*\n", name);
	text_escape_slack(&b, value);
	char *cut = text_cut(b.data, S_FIELD, true);
	cJSON_AddItemToArray(fields, text_obj("mrkdwn", cut));
	free(cut);
	buf_free(&b);
}

static bool linkable(const char *url)
{
	return (str_starts_with(url, "https://") || str_starts_with(url, "http://")) &&
	       !strpbrk(url, "|<> \t\n");
}

static int render_slack(const struct notify_receiver *r, const struct notification *n,
		 struct notify_request *req, struct error *err)
{
	(void)r, (void)err;
	char *subject = notif_subject(n);
	char *ack = notif_ack_hint(n);
	cJSON *o = cJSON_CreateObject();

	struct buf t = { 0 };
	text_escape_slack(&t, subject);
	char *text = text_cut(t.data, S_TEXT, false);
	cJSON_AddStringToObject(o, "text", text);
	free(text);
	buf_free(&t);

	cJSON *blocks = cJSON_AddArrayToObject(o, "blocks");
	cJSON *h = block("header");
	char *head = text_cut(subject, S_HEADER, false);
	cJSON_AddItemToObject(h, "text", text_obj("plain_text", head));
	free(head);
	cJSON_AddItemToArray(blocks, h);

	char *list = render_alert_list(n, S_TEXT, 50, line, NULL, "\xE2\x80\xA6" "and %zu more");
	if (*list) {
		cJSON *s = block("section");
		cJSON_AddItemToObject(s, "text", text_obj("mrkdwn", list));
		cJSON_AddItemToArray(blocks, s);
	}
	free(list);

	cJSON *f = block("section");
	cJSON *fields = cJSON_AddArrayToObject(f, "fields");
	char count[64];
	snprintf(count, sizeof count, "%zu firing, %zu resolved", notif_count(n, true),
		 notif_count(n, false));
	add_field(fields, "Severity", alert_severity_name(n->severity));
	add_field(fields, "Alerts", count);
	const char *group = notif_common(n, "group");
	if (group)
		add_field(fields, "Group", group);
	cJSON_AddItemToArray(blocks, f);

	struct buf ctx = { 0 };
	if (ack && !notif_resolved(n))
		buf_printf(&ctx, "ack: `%s` \xC2\xB7 ", ack);
	const char *rb = notif_runbook(n);
	if (rb && linkable(rb)) {
		buf_printf(&ctx, "<%s|runbook> \xC2\xB7 ", rb);
	} else if (rb) {
		buf_puts(&ctx, "runbook: ");
		text_escape_slack(&ctx, rb);
		buf_puts(&ctx, " \xC2\xB7 ");
	}
	char *key = text_cut(nz(n->key), 200, false);
	buf_puts(&ctx, "fleetop key `");
	text_escape_slack(&ctx, key);
	buf_puts(&ctx, "`");
	free(key);
	char *ctext = text_cut(ctx.data, S_TEXT, false);
	cJSON *c = block("context");
	cJSON *elems = cJSON_AddArrayToObject(c, "elements");
	cJSON_AddItemToArray(elems, text_obj("mrkdwn", ctext));
	cJSON_AddItemToArray(blocks, c);
	free(ctext);
	buf_free(&ctx);

	req_header(req, "Content-Type: application/json");
	req_json_body(req, o);
	free(subject);
	free(ack);
	return 0;
}

const struct receiver_kind receiver_slack = {
	.name = "slack",
	.takes = RK_HTTP,
	.needs = RK_URL,
	.transport = TRANSPORT_HTTP,
	.url_is_secret = true,
	.url_has_token = true,
	.send_resolved = true,
	.render = render_slack,
};
