/* alert: notifications as JSON and rendered for every receiver type, each
 * checked against the service's documented payload and limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fleetop/notify.h"

#define T0 1893456000000LL /* 2030-01-01T00:00:00Z */

static struct notify_config cfg;

static const char conf[] =
	"[receiver discord-ops]\ntype = discord\nurl_env = T_DISCORD_URL\n"
	"[receiver slack]\ntype = slack\nurl = http://127.0.0.1:1/slack\n"
	"[receiver teams]\ntype = teams\nurl = http://127.0.0.1:1/teams\n"
	"[receiver pd]\ntype = pagerduty\nurl = http://127.0.0.1:1/v2/enqueue\n"
	"secret_env = T_PD_KEY\n"
	"[receiver hook]\ntype = webhook\nurl = http://127.0.0.1:1/hook\n"
	"[receiver hook-auth]\ntype = webhook\nurl = http://127.0.0.1:1/hook\nuser = u\n"
	"secret_env = T_PD_KEY\n"
	"[receiver hook-bearer]\ntype = webhook\nurl = http://127.0.0.1:1/hook\n"
	"secret_env = T_PD_KEY\n"
	"[receiver mail]\ntype = email\nurl = smtp://127.0.0.1:2525\nstarttls = off\n"
	"user = alerts@example.com\nsecret_env = T_MAIL_PW\nfrom = fleetop@example.com\n"
	"to = oncall@example.com, boss@example.com\n"
	"[receiver sms]\ntype = sms\nurl = http://127.0.0.1:1/2010-04-01/Accounts/AC123/Messages.json\n"
	"user = AC123\nsecret_env = T_SMS_TOKEN\nfrom = +15550000\nto = +15551111\n"
	"[receiver cmd]\ntype = command\ncommand = /bin/cat --x 'a b'\ntimeout = 3s\n"
	"[receiver gh]\ntype = github\nurl = http://127.0.0.1:1/api/\nproject = acme/servers\n"
	"secret_env = T_GH_TOKEN\n"
	"[receiver jira]\ntype = jira\nurl = http://127.0.0.1:1/jira\nproject = OPS\n"
	"user = bot@example.com\nsecret_env = T_GH_TOKEN\nissue_type = Incident\n";

static int setup(void **state)
{
	(void)state;
	setenv("T_DISCORD_URL", "http://127.0.0.1:1/api/webhooks/1/SECRET-DISCORD", 1);
	setenv("T_PD_KEY", "SECRET-ROUTING-KEY", 1);
	setenv("T_MAIL_PW", "SECRET-MAIL-PW", 1);
	setenv("T_SMS_TOKEN", "SECRET-SMS", 1);
	setenv("T_GH_TOKEN", "SECRET-GH", 1);
	struct error err;
	if (notify_config_load_string(&cfg, conf, "test-notify.conf", &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	notify_config_free(&cfg);
	return 0;
}

/* ---- building notifications ---- */

static struct alert_label *labels_of(size_t *n, const char *host, const char *sev)
{
	*n = 4;
	struct alert_label *l = xcalloc(4, sizeof *l);
	l[0] = (struct alert_label){ xstrdup("rule"), xstrdup("cpu_high") };
	l[1] = (struct alert_label){ xstrdup("host"), xstrdup(host) };
	l[2] = (struct alert_label){ xstrdup("severity"), xstrdup(sev) };
	l[3] = (struct alert_label){ xstrdup("group"), xstrdup("eu") };
	return l;
}

/* count alerts of rule cpu_high in group eu; summary (NULL: a short one). */
static void make(struct notification *n, size_t count, const char *status, const char *key,
		 const char *summary)
{
	memset(n, 0, sizeof *n);
	n->key = xstrdup(key);
	n->receiver = xstrdup("discord-ops");
	n->group_key = xstrdup("{group=\"eu\",rule=\"cpu_high\"}");
	n->status = xstrdup(status);
	n->title = count == 1 ? xstrdup("mc-eu-0: CPU 94% > 80%")
			      : xasprintf("%zu hosts in @eu: CPU high", count);
	n->severity = SEV_CRITICAL;
	n->common_labels = xcalloc(2, sizeof *n->common_labels);
	n->common_labels[0] = (struct alert_label){ xstrdup("rule"), xstrdup("cpu_high") };
	n->common_labels[1] = (struct alert_label){ xstrdup("group"), xstrdup("eu") };
	n->ncommon = 2;
	n->alerts = xcalloc(count, sizeof *n->alerts);
	n->nalerts = count;
	for (size_t i = 0; i < count; i++) {
		struct notify_alert *a = &n->alerts[i];
		char host[32];
		snprintf(host, sizeof host, "mc-eu-%zu", i);
		a->id = 100 + (int64_t)i;
		a->fingerprint = xasprintf("cpu_high/%s", host);
		a->status = xstrdup(status);
		a->rule = xstrdup("cpu_high");
		a->host = xstrdup(host);
		a->summary = summary ? xstrdup(summary) : xasprintf("CPU %d%% > 80%%", 90 + (int)i % 10);
		a->runbook = xstrdup("https://wiki.example.com/runbooks/cpu");
		a->severity = SEV_CRITICAL;
		a->labels = labels_of(&a->nlabels, host, "critical");
		a->value = 94.25;
		a->starts_ms = T0 - 60000;
		a->ends_ms = strcmp(status, "resolved") == 0 ? T0 + 1500 : 0;
	}
	n->step = 1;
	n->created_ms = T0 + 1500;
}

static const struct notify_receiver *recv_named(const char *name)
{
	const struct notify_receiver *r = notify_config_receiver(&cfg, name);
	assert_non_null(r);
	return r;
}

static cJSON *render_json(const char *receiver, const struct notification *n,
			  struct notify_request *req)
{
	struct error err = { { 0 } };
	if (notify_render(recv_named(receiver), n, req, &err) < 0)
		fail_msg("render %s: %s", receiver, err.msg);
	assert_int_equal(req->kind, REQ_HTTP);
	assert_int_equal(strlen(req->body), req->body_len);
	cJSON *o = cJSON_Parse(req->body);
	if (!o)
		fail_msg("%s: body is not JSON: %.200s", receiver, req->body);
	return o;
}

static const char *header(const struct notify_request *req, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < req->nheaders; i++)
		if (!strncasecmp(req->headers[i], name, n) && req->headers[i][n] == ':')
			return req->headers[i] + n + 2;
	return NULL;
}

static const char *str(const cJSON *o, const char *path)
{
	/* "a.b.c" through objects. */
	char *copy = xstrdup(path);
	const cJSON *v = o;
	for (char *save, *t = strtok_r(copy, ".", &save); t && v; t = strtok_r(NULL, ".", &save))
		v = cJSON_GetObjectItemCaseSensitive(v, t);
	free(copy);
	if (!cJSON_IsString(v))
		fail_msg("%s is not a string", path);
	return v->valuestring;
}

static const cJSON *item(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	if (!v)
		fail_msg("no '%s'", name);
	return v;
}

/* Valid UTF-8 and its length in UTF-16 code units, as Discord counts. */
static size_t units(const char *s)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3
			   : (*p >> 3) == 30 ? 4 : 0;
		if (len == 0)
			fail_msg("bad UTF-8 lead byte 0x%02x in '%.40s'", *p, s);
		for (size_t i = 1; i < len; i++)
			if ((p[i] & 0xC0) != 0x80)
				fail_msg("bad UTF-8 in '%.40s'", s);
		n += len == 4 ? 2 : 1;
		p += len;
	}
	return n;
}

/* ---- notification JSON ---- */

static void test_json_round_trip(void **state)
{
	(void)state;
	struct notification n, back;
	make(&n, 3, "firing", "k-1", NULL);
	n.alerts[1].acked_by = xstrdup("alice");
	free(n.alerts[2].runbook);
	n.alerts[2].runbook = NULL;
	n.alerts[2].value = NAN;
	n.alerts[2].severity = SEV_WARNING;
	char *json = notification_to_json(&n);
	struct error err = { { 0 } };
	assert_int_equal(notification_from_json(&back, json, &err), 0);
	assert_string_equal(back.key, "k-1");
	assert_string_equal(back.receiver, "discord-ops");
	assert_string_equal(back.group_key, n.group_key);
	assert_string_equal(back.status, "firing");
	assert_string_equal(back.title, "3 hosts in @eu: CPU high");
	assert_int_equal(back.severity, SEV_CRITICAL);
	assert_int_equal(back.ncommon, 2);
	assert_string_equal(back.common_labels[1].key, "group");
	assert_string_equal(back.common_labels[1].value, "eu");
	assert_int_equal(back.step, 1);
	assert_int_equal(back.created_ms, T0 + 1500);
	assert_int_equal(back.nalerts, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct notify_alert *a = &n.alerts[i], *b = &back.alerts[i];
		assert_int_equal(b->id, a->id);
		assert_string_equal(b->fingerprint, a->fingerprint);
		assert_string_equal(b->status, a->status);
		assert_string_equal(b->rule, a->rule);
		assert_string_equal(b->host, a->host);
		assert_string_equal(b->summary, a->summary);
		assert_int_equal(b->severity, a->severity);
		assert_int_equal(b->nlabels, 4);
		assert_string_equal(b->labels[1].value, a->host);
		assert_int_equal(b->starts_ms, a->starts_ms);
		assert_int_equal(b->ends_ms, 0);
	}
	assert_string_equal(back.alerts[0].runbook, "https://wiki.example.com/runbooks/cpu");
	assert_null(back.alerts[2].runbook);
	assert_null(back.alerts[0].acked_by);
	assert_string_equal(back.alerts[1].acked_by, "alice");
	assert_true(back.alerts[0].value == 94.25);
	assert_true(isnan(back.alerts[2].value));
	/* And the same JSON again. */
	char *again = notification_to_json(&back);
	assert_string_equal(again, json);
	free(again);
	free(json);
	notification_free(&back);
	notification_free(&n);
	notification_free(&n); /* twice is harmless */

	/* Bad input: an error, and nothing to free. */
	static const char *bad[] = {
		"", "[]", "{\"key\": 5}", "{\"alerts\": {}}", "{\"alerts\": [1]}",
		"{\"severity\": \"loud\"}", "{\"common_labels\": {\"a\": 1}}",
		"{\"alerts\": [{\"labels\": []}]}", "{\"alerts\": [{\"value\": \"x\"}]}",
		"{\"created_ms\": 1e300}", "{\"step\": -1}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		assert_int_equal(notification_from_json(&back, bad[i], &err), -1);
		assert_true(str_starts_with(err.msg, "notification: "));
		assert_null(back.alerts);
		assert_null(back.key);
	}
	/* Bytes that are not UTF-8 (from a host) become U+FFFD: JSON is UTF-8. */
	make(&n, 1, "firing", "k\xff", "bad \xc3\x28 byte");
	json = notification_to_json(&n);
	assert_null(strstr(json, "\xff"));
	assert_non_null(strstr(json, "\"k\xEF\xBF\xBD\""));
	assert_non_null(strstr(json, "bad \xEF\xBF\xBD( byte"));
	units(json);
	free(json);
	notification_free(&n);

	/* Missing fields read as empty. */
	assert_int_equal(notification_from_json(&back, "{\"alerts\":[{}]}", &err), 0);
	assert_string_equal(back.key, "");
	assert_string_equal(back.status, "firing");
	assert_string_equal(back.alerts[0].host, "");
	assert_null(back.alerts[0].runbook);
	notification_free(&back);
}

/* ---- Discord ---- */

static void test_discord(void **state)
{
	(void)state;
	struct notification n;
	make(&n, 1, "firing", "g1-7", NULL);
	n.alerts[0].host[0] = 'm'; /* keep */
	struct notify_request req;
	cJSON *o = render_json("discord-ops", &n, &req);
	assert_string_equal(req.url, "http://127.0.0.1:1/api/webhooks/1/SECRET-DISCORD");
	assert_string_equal(req.what, "discord-ops (discord)");
	assert_string_equal(header(&req, "Content-Type"), "application/json");
	assert_string_equal(header(&req, "Idempotency-Key"), "g1-7");
	assert_int_equal(req.timeout_ms, 10000);
	assert_non_null(strstr(str(o, "content"), "[CRITICAL] mc-eu-0: CPU 94% > 80%"));
	assert_non_null(strstr(str(o, "content"), "fleetop alerts ack 100"));
	const cJSON *embeds = item(o, "embeds");
	assert_int_equal(cJSON_GetArraySize(embeds), 1);
	const cJSON *e = cJSON_GetArrayItem(embeds, 0);
	assert_string_equal(str(e, "title"), "[CRITICAL] mc-eu-0: CPU 94% > 80%");
	assert_int_equal(item(e, "color")->valueint, 0xE74C3C);
	assert_non_null(strstr(str(e, "description"), "**mc-eu-0** CPU 90% > 80%"));
	assert_non_null(strstr(str(e, "description"), "<t:1893455940:R>"));
	assert_non_null(strstr(str(e, "footer.text"), "g1-7"));
	assert_string_equal(str(e, "timestamp"), "2030-01-01T00:00:01.500Z");
	const cJSON *fields = item(e, "fields");
	assert_true(cJSON_GetArraySize(fields) >= 3);
	assert_string_equal(str(cJSON_GetArrayItem(fields, 0), "name"), "Severity");
	assert_string_equal(str(cJSON_GetArrayItem(fields, 0), "value"), "critical");
	assert_true(cJSON_IsBool(item(cJSON_GetArrayItem(fields, 0), "inline")));
	/* No @everyone from a label. */
	const cJSON *parse = item(item(o, "allowed_mentions"), "parse");
	assert_true(cJSON_IsArray(parse));
	assert_int_equal(cJSON_GetArraySize(parse), 0);
	cJSON_Delete(o);
	notify_request_free(&req);
	notify_request_free(&req);

	/* Resolved: green, says so, no ack hint. */
	struct notification r;
	make(&r, 2, "resolved", "g1-8", NULL);
	o = render_json("discord-ops", &r, &req);
	e = cJSON_GetArrayItem(item(o, "embeds"), 0);
	assert_int_equal(item(e, "color")->valueint, 0x2ECC71);
	assert_true(str_starts_with(str(e, "title"), "[RESOLVED] 2 hosts in @eu"));
	assert_null(strstr(str(o, "content"), "ack"));
	assert_non_null(strstr(str(e, "description"), "resolved <t:"));
	cJSON_Delete(o);
	notify_request_free(&req);
	notification_free(&r);
	notification_free(&n);
}

static void check_discord_limits(const cJSON *o, size_t nalerts)
{
	assert_true(units(str(o, "content")) <= 2000);
	const cJSON *embeds = item(o, "embeds");
	assert_true(cJSON_GetArraySize(embeds) >= 1 && cJSON_GetArraySize(embeds) <= 10);
	const cJSON *e;
	cJSON_ArrayForEach(e, embeds) {
		size_t total = 0;
		total += units(str(e, "title"));
		assert_true(units(str(e, "title")) <= 256);
		const char *d = str(e, "description");
		assert_true(units(d) <= 4096);
		total += units(d);
		const cJSON *fields = item(e, "fields"), *f;
		assert_true(cJSON_GetArraySize(fields) <= 25);
		cJSON_ArrayForEach(f, fields) {
			size_t nu = units(str(f, "name")), vu = units(str(f, "value"));
			assert_true(nu >= 1 && nu <= 256);
			assert_true(vu >= 1 && vu <= 1024);
			total += nu + vu;
		}
		assert_true(units(str(e, "footer.text")) <= 2048);
		total += units(str(e, "footer.text"));
		if (total > 6000)
			fail_msg("embed text is %zu > 6000", total);
		/* The first alerts, then how many more. */
		size_t lines = 1;
		for (const char *p = d; *p; p++)
			lines += *p == '\n';
		assert_true(lines < nalerts);
		char more[64];
		snprintf(more, sizeof more, "and %zu more", nalerts - (lines - 1));
		if (!strstr(d, more))
			fail_msg("description does not end with '%s': ...%s", more,
				 d + (strlen(d) > 80 ? strlen(d) - 80 : 0));
	}
}

static void test_discord_limits(void **state)
{
	(void)state;
	/* 300 alerts with long UTF-8 summaries, emoji outside the BMP, bad
	 * UTF-8 and control characters; a long title, runbook and key. */
	struct buf sum = { 0 };
	for (int i = 0; i < 200; i++)
		buf_puts(&sum, "Überhitzung 🔥 ");
	buf_puts(&sum, "\xff\xfe bad\x01\r\n");
	struct notification n;
	make(&n, 300, "firing", "k", sum.data);
	free(n.title);
	n.title = xstrdup(sum.data);
	free(n.key);
	struct buf k = { 0 };
	for (int i = 0; i < 300; i++)
		buf_puts(&k, "key-");
	n.key = k.data;
	for (size_t i = 0; i < n.nalerts; i++) {
		free(n.alerts[i].runbook);
		n.alerts[i].runbook = xstrdup(sum.data);
	}
	struct notify_request req;
	cJSON *o = render_json("discord-ops", &n, &req);
	check_discord_limits(o, 300);
	assert_null(strstr(req.body, "\\u0001"));
	cJSON_Delete(o);
	notify_request_free(&req);
	notification_free(&n);

	/* 200 short ones: still within the limits, and the count is right. */
	make(&n, 200, "firing", "k2", NULL);
	o = render_json("discord-ops", &n, &req);
	check_discord_limits(o, 200);
	cJSON_Delete(o);
	notify_request_free(&req);
	notification_free(&n);
	buf_free(&sum);
}

/* ---- Slack, Teams ---- */

static void test_slack(void **state)
{
	(void)state;
	struct notification n;
	make(&n, 300, "firing", "s-1", "load <script> & more");
	struct notify_request req;
	cJSON *o = render_json("slack", &n, &req);
	assert_string_equal(str(o, "text"), "[CRITICAL] 300 hosts in @eu: CPU high");
	const cJSON *blocks = item(o, "blocks"), *b;
	assert_true(cJSON_GetArraySize(blocks) >= 2 && cJSON_GetArraySize(blocks) <= 50);
	const cJSON *h = cJSON_GetArrayItem(blocks, 0);
	assert_string_equal(str(h, "type"), "header");
	assert_string_equal(str(h, "text.type"), "plain_text");
	assert_true(units(str(h, "text.text")) <= 150);
	bool saw_list = false, saw_context = false;
	cJSON_ArrayForEach(b, blocks) {
		const char *type = str(b, "type");
		if (!strcmp(type, "section") && cJSON_GetObjectItem(b, "text")) {
			const char *t = str(b, "text.text");
			assert_string_equal(str(b, "text.type"), "mrkdwn");
			assert_true(units(t) <= 3000);
			assert_non_null(strstr(t, "load &lt;script&gt; &amp; more"));
			assert_null(strstr(t, "<script>"));
			assert_non_null(strstr(t, "more"));
			saw_list = true;
		}
		if (!strcmp(type, "context")) {
			const char *t = str(cJSON_GetArrayItem(item(b, "elements"), 0), "text");
			assert_non_null(strstr(t, "s-1"));
			assert_non_null(strstr(t, "<https://wiki.example.com/runbooks/cpu|runbook>"));
			saw_context = true;
		}
	}
	assert_true(saw_list && saw_context);
	cJSON_Delete(o);
	notify_request_free(&req);
	notification_free(&n);
}

static void test_teams(void **state)
{
	(void)state;
	struct notification n;
	make(&n, 300, "firing", "t-1", NULL);
	struct notify_request req;
	cJSON *o = render_json("teams", &n, &req);
	assert_true(req.body_len < 28 * 1024);
	assert_string_equal(str(o, "type"), "message");
	const cJSON *att = cJSON_GetArrayItem(item(o, "attachments"), 0);
	assert_string_equal(str(att, "contentType"), "application/vnd.microsoft.card.adaptive");
	const cJSON *card = item(att, "content");
	assert_string_equal(str(card, "type"), "AdaptiveCard");
	assert_string_equal(str(card, "version"), "1.4");
	const cJSON *body = item(card, "body");
	const cJSON *title = cJSON_GetArrayItem(body, 0);
	assert_string_equal(str(title, "type"), "TextBlock");
	assert_string_equal(str(title, "text"), "[CRITICAL] 300 hosts in @eu: CPU high");
	assert_string_equal(str(title, "color"), "Attention");
	assert_non_null(strstr(req.body, "and 275 more"));
	assert_non_null(strstr(req.body, "t-1"));
	const cJSON *action = cJSON_GetArrayItem(item(card, "actions"), 0);
	assert_string_equal(str(action, "type"), "Action.OpenUrl");
	assert_string_equal(str(action, "url"), "https://wiki.example.com/runbooks/cpu");
	cJSON_Delete(o);
	notify_request_free(&req);
	notification_free(&n);
}

/* ---- PagerDuty ---- */

static void test_pagerduty(void **state)
{
	(void)state;
	struct notification a, b, r;
	make(&a, 3, "firing", "grp-1", NULL);
	make(&b, 5, "firing", "grp-2", NULL); /* a later send about the same group */
	make(&r, 5, "resolved", "grp-3", NULL);
	struct notify_request ra, rb, rr;
	cJSON *oa = render_json("pd", &a, &ra), *ob = render_json("pd", &b, &rb),
	      *orr = render_json("pd", &r, &rr);
	assert_string_equal(ra.url, "http://127.0.0.1:1/v2/enqueue");
	assert_string_equal(str(oa, "routing_key"), "SECRET-ROUTING-KEY");
	assert_string_equal(str(oa, "event_action"), "trigger");
	assert_string_equal(str(orr, "event_action"), "resolve");
	/* One dedup_key a group: the resolve closes what the trigger opened. */
	const char *dk = str(oa, "dedup_key");
	assert_true(strlen(dk) > 0 && strlen(dk) <= 255);
	assert_string_equal(str(ob, "dedup_key"), dk);
	assert_string_equal(str(orr, "dedup_key"), dk);
	/* ...and stable across two renders of one notification. */
	struct notify_request again;
	cJSON *oa2 = render_json("pd", &a, &again);
	assert_string_equal(str(oa2, "dedup_key"), dk);
	assert_string_equal(again.body, ra.body);
	/* Another group, another key. */
	free(b.group_key);
	b.group_key = xstrdup("{group=\"us\",rule=\"cpu_high\"}");
	struct notify_request rc;
	cJSON *oc = render_json("pd", &b, &rc);
	assert_string_not_equal(str(oc, "dedup_key"), dk);

	const cJSON *p = item(oa, "payload");
	assert_string_equal(str(p, "summary"), "[CRITICAL] 3 hosts in @eu: CPU high");
	assert_string_equal(str(p, "source"), "eu");
	assert_string_equal(str(p, "severity"), "critical");
	assert_string_equal(str(p, "timestamp"), "2030-01-01T00:00:01.500Z");
	assert_string_equal(str(p, "component"), "cpu_high");
	assert_string_equal(str(p, "class"), "cpu_high");
	assert_string_equal(str(p, "group"), "eu");
	const cJSON *cd = item(p, "custom_details");
	assert_int_equal(cJSON_GetArraySize(item(cd, "alerts")), 3);
	assert_string_equal(str(cd, "fleetop_key"), "grp-1");
	assert_string_equal(str(oa, "client"), "fleetop");
	assert_string_equal(str(cJSON_GetArrayItem(item(oa, "links"), 0), "href"),
			    "https://wiki.example.com/runbooks/cpu");
	assert_null(cJSON_GetObjectItem(orr, "payload"));

	/* Severities PagerDuty knows; every firing alert acked: acknowledge. */
	a.severity = SEV_WARNING;
	for (size_t i = 0; i < a.nalerts; i++)
		a.alerts[i].acked_by = xstrdup("bob");
	struct notify_request rw;
	cJSON *ow = render_json("pd", &a, &rw);
	assert_string_equal(str(ow, "event_action"), "acknowledge");
	assert_string_equal(str(ow, "dedup_key"), dk);
	a.alerts[0].acked_by[0] = 'B';
	free(a.alerts[1].acked_by);
	a.alerts[1].acked_by = NULL;
	struct notify_request rw2;
	cJSON *ow2 = render_json("pd", &a, &rw2);
	assert_string_equal(str(ow2, "event_action"), "trigger");
	assert_string_equal(str(ow2, "payload.severity"), "warning");

	/* Long summaries are cut to 1024. */
	struct notification big;
	struct buf t = { 0 };
	for (int i = 0; i < 300; i++)
		buf_puts(&t, "Ärger ");
	make(&big, 1, "firing", "big", t.data);
	free(big.title);
	big.title = xstrdup(t.data);
	struct notify_request rbig;
	cJSON *obig = render_json("pd", &big, &rbig);
	assert_true(units(str(obig, "payload.summary")) <= 1024);
	assert_string_equal(str(obig, "payload.source"), "mc-eu-0");

	cJSON *all[] = { oa, ob, orr, oa2, oc, ow, ow2, obig };
	struct notify_request *reqs[] = { &ra, &rb, &rr, &again, &rc, &rw, &rw2, &rbig };
	for (size_t i = 0; i < 8; i++) {
		cJSON_Delete(all[i]);
		notify_request_free(reqs[i]);
	}
	notification_free(&a);
	notification_free(&b);
	notification_free(&r);
	notification_free(&big);
	buf_free(&t);
}

/* ---- webhook (Alertmanager's format, version 4) ---- */

static void test_webhook(void **state)
{
	(void)state;
	struct notification n;
	make(&n, 2, "firing", "wh-1", NULL);
	free(n.alerts[1].status);
	n.alerts[1].status = xstrdup("resolved");
	n.alerts[1].ends_ms = T0;
	struct notify_request req;
	cJSON *o = render_json("hook", &n, &req);
	assert_string_equal(header(&req, "Content-Type"), "application/json");
	assert_string_equal(header(&req, "Idempotency-Key"), "wh-1");
	assert_null(header(&req, "Authorization"));
	assert_null(req.userpwd);
	assert_string_equal(str(o, "version"), "4");
	assert_string_equal(str(o, "groupKey"), "{group=\"eu\",rule=\"cpu_high\"}");
	assert_true(cJSON_IsNumber(item(o, "truncatedAlerts")));
	assert_int_equal(item(o, "truncatedAlerts")->valueint, 0);
	assert_string_equal(str(o, "status"), "firing");
	assert_string_equal(str(o, "receiver"), "hook");
	assert_string_equal(str(o, "groupLabels.group"), "eu");
	assert_string_equal(str(o, "groupLabels.rule"), "cpu_high");
	assert_int_equal(cJSON_GetArraySize(item(o, "groupLabels")), 2);
	assert_string_equal(str(o, "commonLabels.rule"), "cpu_high");
	assert_string_equal(str(o, "commonAnnotations.runbook_url"),
			    "https://wiki.example.com/runbooks/cpu");
	assert_true(cJSON_IsString(item(o, "externalURL")));
	assert_string_equal(str(o, "fleetopKey"), "wh-1");
	const cJSON *alerts = item(o, "alerts");
	assert_int_equal(cJSON_GetArraySize(alerts), 2);
	const cJSON *a0 = cJSON_GetArrayItem(alerts, 0), *a1 = cJSON_GetArrayItem(alerts, 1);
	assert_string_equal(str(a0, "status"), "firing");
	assert_string_equal(str(a0, "labels.host"), "mc-eu-0");
	assert_string_equal(str(a0, "labels.severity"), "critical");
	assert_string_equal(str(a0, "labels.alertname"), "cpu_high");
	assert_string_equal(str(o, "commonLabels.alertname"), "cpu_high");
	assert_string_equal(str(a0, "annotations.summary"), "CPU 90% > 80%");
	assert_string_equal(str(a0, "annotations.runbook_url"),
			    "https://wiki.example.com/runbooks/cpu");
	assert_string_equal(str(a0, "startsAt"), "2029-12-31T23:59:00Z");
	assert_string_equal(str(a0, "endsAt"), "0001-01-01T00:00:00Z");
	assert_true(cJSON_IsString(item(a0, "generatorURL")));
	assert_string_equal(str(a0, "fingerprint"), "cpu_high/mc-eu-0");
	assert_string_equal(str(a1, "status"), "resolved");
	assert_string_equal(str(a1, "endsAt"), "2030-01-01T00:00:00Z");
	/* Different summaries: no common one. */
	assert_null(cJSON_GetObjectItem(item(o, "commonAnnotations"), "summary"));
	cJSON_Delete(o);
	notify_request_free(&req);

	/* Resolved group; auth when configured. */
	free(n.status);
	n.status = xstrdup("resolved");
	o = render_json("hook-auth", &n, &req);
	assert_string_equal(str(o, "status"), "resolved");
	assert_string_equal(req.userpwd, "u:SECRET-ROUTING-KEY");
	cJSON_Delete(o);
	notify_request_free(&req);
	o = render_json("hook-bearer", &n, &req);
	assert_string_equal(header(&req, "Authorization"), "Bearer SECRET-ROUTING-KEY");
	assert_string_equal(req.what, "hook-bearer (webhook)");
	cJSON_Delete(o);
	notify_request_free(&req);
	notification_free(&n);
}

/* ---- email ---- */

/* The header named name (unfolded), or NULL. Caller frees. */
static char *mail_header(const char *msg, const char *name)
{
	const char *end = strstr(msg, "\r\n\r\n");
	assert_non_null(end);
	size_t n = strlen(name);
	for (const char *p = msg; p < end; p = strstr(p, "\r\n") + 2) {
		if (strncmp(p, name, n) || p[n] != ':')
			continue;
		struct buf b = { 0 };
		const char *v = p + n + 2;
		for (;;) {
			const char *eol = strstr(v, "\r\n");
			buf_append(&b, v, (size_t)(eol - v));
			if (eol[2] != ' ' && eol[2] != '\t')
				break;
			v = eol + 2;
		}
		return b.data;
	}
	return NULL;
}

static char *qp_decode(const char *s)
{
	struct buf b = { 0 };
	for (const char *p = s; *p; p++) {
		if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
			p += 2;
		} else if (p[0] == '=' && p[1] && p[2]) {
			char hex[3] = { p[1], p[2], 0 };
			char c = (char)strtol(hex, NULL, 16);
			buf_append(&b, &c, 1);
			p += 2;
		} else if (*p != '\r') {
			buf_append(&b, p, 1);
		}
	}
	return b.data;
}

static void render_mail(const struct notification *n, struct notify_request *req)
{
	struct error err;
	if (notify_render(recv_named("mail"), n, req, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(req->kind, REQ_SMTP);
	/* Every line ends in CRLF, none longer than RFC 5322's 998. */
	const char *p = req->body;
	while (*p) {
		const char *eol = strstr(p, "\r\n");
		assert_non_null(eol);
		assert_true(eol - p <= 998);
		assert_null(memchr(p, '\n', (size_t)(eol - p)));
		assert_null(memchr(p, '\r', (size_t)(eol - p)));
		p = eol + 2;
	}
}

static void test_email(void **state)
{
	(void)state;
	struct notification n;
	make(&n, 2, "firing", "mail-key/1", NULL);
	/* A title that tries to add a header. */
	free(n.title);
	n.title = xstrdup("CPU high\r\nBcc: evil@example.com\nX-Evil: 1");
	struct notify_request req;
	render_mail(&n, &req);
	assert_string_equal(req.url, "smtp://127.0.0.1:2525");
	assert_string_equal(req.mail_from, "fleetop@example.com");
	assert_int_equal(req.nrcpt, 2);
	assert_string_equal(req.rcpt[1], "boss@example.com");
	assert_string_equal(req.userpwd, "alerts@example.com:SECRET-MAIL-PW");
	assert_int_equal(req.starttls, 0);
	assert_string_equal(req.what, "mail (email)");
	assert_null(strstr(req.body, "\r\nBcc:"));
	assert_null(strstr(req.body, "\r\nX-Evil:"));
	assert_null(strstr(req.body, "SECRET"));

	char *h = mail_header(req.body, "Date");
	assert_string_equal(h, "Tue, 01 Jan 2030 00:00:01 +0000");
	free(h);
	h = mail_header(req.body, "From");
	assert_string_equal(h, "fleetop@example.com");
	free(h);
	h = mail_header(req.body, "To");
	assert_string_equal(h, "oncall@example.com, boss@example.com");
	free(h);
	h = mail_header(req.body, "Subject");
	assert_string_equal(h, "[CRITICAL] CPU high  Bcc: evil@example.com X-Evil: 1");
	free(h);
	char *mid = mail_header(req.body, "Message-ID");
	assert_true(str_starts_with(mid, "<fleetop-mail-key1-"));
	assert_non_null(strstr(mid, "@example.com>"));
	h = mail_header(req.body, "MIME-Version");
	assert_string_equal(h, "1.0");
	free(h);
	h = mail_header(req.body, "Content-Type");
	assert_string_equal(h, "text/plain; charset=utf-8");
	free(h);
	h = mail_header(req.body, "Content-Transfer-Encoding");
	assert_string_equal(h, "quoted-printable");
	free(h);
	char *body = qp_decode(strstr(req.body, "\r\n\r\n") + 4);
	assert_non_null(strstr(body, "mc-eu-1  CPU 91% > 80%"));
	assert_non_null(strstr(body, "ack: fleetop alerts ack 100"));
	assert_non_null(strstr(body, "mail-key/1"));
	free(body);

	/* The same key: the same Message-ID (a resend is the same mail). */
	struct notify_request again;
	render_mail(&n, &again);
	char *mid2 = mail_header(again.body, "Message-ID");
	assert_string_equal(mid, mid2);
	free(mid2);
	notify_request_free(&again);
	free(n.key);
	n.key = xstrdup("mail-key/2");
	render_mail(&n, &again);
	mid2 = mail_header(again.body, "Message-ID");
	assert_string_not_equal(mid, mid2);
	free(mid2);
	free(mid);
	notify_request_free(&again);
	notify_request_free(&req);

	/* UTF-8 subject: RFC 2047 encoded words; long body lines folded. */
	free(n.title);
	n.title = xstrdup("Überhitzung in Köln 🔥 und noch viel mehr Text, damit es umbricht");
	free(n.alerts[0].summary);
	struct buf longsum = { 0 };
	for (int i = 0; i < 100; i++)
		buf_puts(&longsum, "ä=b ");
	n.alerts[0].summary = longsum.data;
	render_mail(&n, &req);
	h = mail_header(req.body, "Subject");
	assert_true(str_starts_with(h, "=?UTF-8?B?"));
	assert_null(strchr(h, 0xC3));
	free(h);
	body = qp_decode(strstr(req.body, "\r\n\r\n") + 4);
	assert_non_null(strstr(body, "ä=b ä=b ä=b"));
	free(body);
	notify_request_free(&req);
	notification_free(&n);
}

/* ---- SMS ---- */

static char *form_get(const char *body, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = body; p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
		if (strncmp(p, name, n) || p[n] != '=')
			continue;
		struct buf b = { 0 };
		buf_puts(&b, "");
		for (const char *v = p + n + 1; *v && *v != '&'; v++) {
			if (*v == '+') {
				buf_puts(&b, " ");
			} else if (*v == '%') {
				char hex[3] = { v[1], v[2], 0 };
				char c = (char)strtol(hex, NULL, 16);
				buf_append(&b, &c, 1);
				v += 2;
			} else {
				buf_append(&b, v, 1);
			}
		}
		return b.data;
	}
	return NULL;
}

static void test_sms(void **state)
{
	(void)state;
	struct notification n;
	make(&n, 14, "firing", "sms-1", NULL);
	struct error err;
	struct notify_request req;
	assert_int_equal(notify_render(recv_named("sms"), &n, &req, &err), 0);
	assert_int_equal(req.kind, REQ_HTTP);
	assert_string_equal(req.url, "http://127.0.0.1:1/2010-04-01/Accounts/AC123/Messages.json");
	assert_string_equal(header(&req, "Content-Type"), "application/x-www-form-urlencoded");
	assert_string_equal(req.userpwd, "AC123:SECRET-SMS");
	/* The exact encoding: + and % escaped, spaces as +. */
	assert_true(str_starts_with(req.body, "From=%2B15550000&To=%2B15551111&Body="));
	assert_non_null(strstr(req.body, "Body=%5BCRITICAL%5D+14+hosts+in+%40eu%3A+CPU+high+"));
	char *body = form_get(req.body, "Body");
	assert_string_equal(body, "[CRITICAL] 14 hosts in @eu: CPU high (ack: fleetop alerts ack 100)");
	free(body);
	char *to = form_get(req.body, "To");
	assert_string_equal(to, "+15551111");
	free(to);
	notify_request_free(&req);

	/* A huge title: cut to 1600, the ack hint kept. */
	free(n.title);
	struct buf t = { 0 };
	for (int i = 0; i < 500; i++)
		buf_puts(&t, "Ü & x ");
	n.title = t.data;
	assert_int_equal(notify_render(recv_named("sms"), &n, &req, &err), 0);
	body = form_get(req.body, "Body");
	assert_true(units(body) <= 1600);
	assert_true(strstr(body, "(ack: fleetop alerts ack 100)") != NULL);
	free(body);
	notify_request_free(&req);

	/* One alert: its summary too when the title does not say it. */
	struct notification one;
	make(&one, 1, "firing", "sms-2", "disk 97% on /srv");
	assert_int_equal(notify_render(recv_named("sms"), &one, &req, &err), 0);
	body = form_get(req.body, "Body");
	assert_string_equal(body, "[CRITICAL] mc-eu-0: CPU 94% > 80%: disk 97% on /srv "
			    "(ack: fleetop alerts ack 100)");
	free(body);
	notify_request_free(&req);
	free(one.alerts[0].summary);
	one.alerts[0].summary = xstrdup("CPU 94% > 80%");
	assert_int_equal(notify_render(recv_named("sms"), &one, &req, &err), 0);
	body = form_get(req.body, "Body");
	assert_string_equal(body, "[CRITICAL] mc-eu-0: CPU 94% > 80% (ack: fleetop alerts ack 100)");
	free(body);
	notify_request_free(&req);
	notification_free(&one);

	/* Resolved: no ack hint. */
	free(n.status);
	n.status = xstrdup("resolved");
	free(n.title);
	n.title = xstrdup("CPU high (resolved)"); /* the engine's resolved title */
	assert_int_equal(notify_render(recv_named("sms"), &n, &req, &err), 0);
	body = form_get(req.body, "Body");
	assert_string_equal(body, "[RESOLVED] CPU high");
	free(body);
	notify_request_free(&req);
	notification_free(&n);
}

/* ---- command, GitHub, Jira ---- */

static void test_command(void **state)
{
	(void)state;
	struct notification n, back;
	make(&n, 2, "firing", "cmd-1", NULL);
	struct error err;
	struct notify_request req;
	assert_int_equal(notify_render(recv_named("cmd"), &n, &req, &err), 0);
	assert_int_equal(req.kind, REQ_COMMAND);
	assert_string_equal(req.argv[0], "/bin/cat");
	assert_string_equal(req.argv[1], "--x");
	assert_string_equal(req.argv[2], "a b");
	assert_null(req.argv[3]);
	assert_null(req.url);
	assert_int_equal(req.timeout_ms, 3000);
	assert_int_equal(notification_from_json(&back, req.body, &err), 0);
	assert_string_equal(back.key, "cmd-1");
	assert_int_equal(back.nalerts, 2);
	notification_free(&back);
	notify_request_free(&req);
	notification_free(&n);
}

static void test_github(void **state)
{
	(void)state;
	struct notification n;
	make(&n, 150, "firing", "gh-1", "a | b");
	struct notify_request req;
	cJSON *o = render_json("gh", &n, &req);
	assert_string_equal(req.url, "http://127.0.0.1:1/api/repos/acme/servers/issues");
	assert_string_equal(header(&req, "Authorization"), "Bearer SECRET-GH");
	assert_string_equal(header(&req, "Accept"), "application/vnd.github+json");
	assert_string_equal(header(&req, "X-GitHub-Api-Version"), "2022-11-28");
	assert_non_null(header(&req, "User-Agent"));
	assert_string_equal(str(o, "title"), "[CRITICAL] 150 hosts in @eu: CPU high");
	const char *body = str(o, "body");
	assert_non_null(strstr(body, "| Status | Host |"));
	assert_non_null(strstr(body, "a \\| b"));
	assert_non_null(strstr(body, "and 50 more"));
	assert_non_null(strstr(body, "gh-1"));
	const cJSON *labels = item(o, "labels");
	assert_int_equal(cJSON_GetArraySize(labels), 2);
	assert_string_equal(cJSON_GetArrayItem(labels, 0)->valuestring, "fleetop");
	assert_string_equal(cJSON_GetArrayItem(labels, 1)->valuestring, "critical");
	cJSON_Delete(o);
	notify_request_free(&req);
	notification_free(&n);
}

static void test_jira(void **state)
{
	(void)state;
	struct notification n;
	make(&n, 2, "firing", "jira-1", "x {noformat} y");
	free(n.title);
	struct buf t = { 0 };
	for (int i = 0; i < 100; i++)
		buf_puts(&t, "long title ");
	n.title = t.data;
	struct notify_request req;
	cJSON *o = render_json("jira", &n, &req);
	assert_string_equal(req.url, "http://127.0.0.1:1/jira/rest/api/2/issue");
	assert_string_equal(req.userpwd, "bot@example.com:SECRET-GH");
	assert_string_equal(str(o, "fields.project.key"), "OPS");
	assert_string_equal(str(o, "fields.issuetype.name"), "Incident");
	const char *summary = str(o, "fields.summary");
	assert_true(units(summary) <= 255);
	assert_null(strchr(summary, '\n'));
	const char *d = str(o, "fields.description");
	assert_non_null(strstr(d, "jira-1"));
	assert_non_null(strstr(d, "x (noformat) y"));
	const cJSON *labels = item(item(o, "fields"), "labels");
	assert_int_equal(cJSON_GetArraySize(labels), 1);
	assert_string_equal(cJSON_GetArrayItem(labels, 0)->valuestring, "fleetop");
	cJSON_Delete(o);
	notify_request_free(&req);
	notification_free(&n);
}

static void test_render_errors(void **state)
{
	(void)state;
	struct notification n;
	make(&n, 1, "firing", "e-1", NULL);
	struct notify_receiver r = { .name = "bare", .kind = receiver_kind_find("pagerduty"),
				     .url = "http://127.0.0.1:1/" };
	struct notify_request req;
	struct error err = { { 0 } };
	assert_int_equal(notify_render(&r, &n, &req, &err), -1);
	assert_string_equal(err.msg, "bare (pagerduty): no routing key (secret_file or secret_env)");
	assert_null(req.body);
	assert_null(req.what);
	r.kind = receiver_kind_find("discord");
	r.url = NULL;
	assert_int_equal(notify_render(&r, &n, &req, &err), -1);
	assert_string_equal(err.msg, "bare (discord): no url");
	r.kind = receiver_kind_find("command");
	assert_int_equal(notify_render(&r, &n, &req, &err), -1);
	r.kind = NULL; /* a receiver of no kind */
	assert_int_equal(notify_render(&r, &n, &req, &err), -1);
	/* An empty notification still renders for every type. */
	struct notification empty = { 0 };
	for (size_t i = 0; i < cfg.nreceivers; i++) {
		assert_int_equal(notify_render(&cfg.receivers[i], &empty, &req, &err), 0);
		assert_non_null(req.body);
		if (req.kind == REQ_HTTP && cfg.receivers[i].kind != receiver_kind_find("sms")) {
			cJSON *o = cJSON_Parse(req.body);
			assert_non_null(o);
			cJSON_Delete(o);
		}
		/* what is safe to log: never the URL or a secret. */
		assert_null(strstr(req.what, "SECRET"));
		assert_null(strstr(req.what, "127.0.0.1"));
		notify_request_free(&req);
	}
	notification_free(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_discord),
		cmocka_unit_test(test_discord_limits),
		cmocka_unit_test(test_slack),
		cmocka_unit_test(test_teams),
		cmocka_unit_test(test_pagerduty),
		cmocka_unit_test(test_webhook),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_sms),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_github),
		cmocka_unit_test(test_jira),
		cmocka_unit_test(test_render_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
