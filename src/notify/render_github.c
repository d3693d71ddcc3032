/* GitHub issues: REST, POST /repos/OWNER/REPO/issues with a token. Each
 * notification opens one issue; the body lists the alerts in a table and
 * carries the idempotency key. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_private.h"
#include "render_private.h"

enum { GH_TITLE = 256, GH_BODY = 60000, GH_ROWS = 100 };

static void cell(struct buf *b, const char *s, size_t max)
{
	char *c = text_cut(s, max, false);
	buf_puts(b, " ");
	text_escape(b, c, "|\\`*_<>[]");
	buf_puts(b, " |");
	free(c);
}

static char *github_body(const struct notification *n, const char *subject)
{
	struct buf b = { 0 };
	buf_puts(&b, "### ");
	text_escape(&b, subject, "\\`*_<>[]#|");
	buf_printf(&b, "\n\n%zu firing, %zu resolved; severity **%s**.\n\n", notif_count(n, true),
		   notif_count(n, false), alert_severity_name(n->severity));
	buf_puts(&b, "| Status | Host | Rule | Summary | Value | Since | Alert |\n"
		     "| --- | --- | --- | --- | --- | --- | --- |\n");
	size_t shown = 0;
	for (; shown < n->nalerts && shown < GH_ROWS; shown++) {
		const struct notify_alert *a = &n->alerts[shown];
		char value[40], since[40], id[32];
		render_value_text(a->value, value, sizeof value);
		fmt_rfc3339(a->starts_ms, since, sizeof since);
		snprintf(id, sizeof id, "%lld", (long long)a->id);
		buf_puts(&b, "|");
		cell(&b, alert_is_resolved(a) ? "resolved" : a->acked_by ? "acked" : "firing", 20);
		cell(&b, nz(a->host), 100);
		cell(&b, nz(a->rule), 100);
		cell(&b, nz(a->summary), 300);
		cell(&b, value, 40);
		cell(&b, since, 40);
		cell(&b, id, 30);
		buf_puts(&b, "\n");
	}
	if (shown < n->nalerts)
		buf_printf(&b, "\n…and %zu more.\n", n->nalerts - shown);
	const char *rb = notif_runbook(n);
	if (rb) {
		buf_puts(&b, "\nRunbook: ");
		char *c = text_cut(rb, 1000, false);
		text_escape(&b, c, "\\`*_<>[]");
		free(c);
		buf_puts(&b, "\n");
	}
	char *ack = notif_ack_hint(n);
	if (ack && !notif_resolved(n))
		buf_printf(&b, "\nAcknowledge: `%s`\n", ack);
	free(ack);
	char *key = text_cut(nz(n->key), 200, false);
	buf_puts(&b, "\n<sub>fleetop key: ");
	text_escape(&b, key, "\\`*_<>[]");
	buf_puts(&b, "</sub>\n");
	free(key);
	char *out = text_cut(b.data, GH_BODY, true);
	buf_free(&b);
	return out;
}

static int render_github(const struct notify_receiver *r, const struct notification *n,
		  struct notify_request *req, struct error *err)
{
	if (!r->project || !r->secret)
		return error_set(err, "%s: needs project and a token (secret)", req->what);
	free(req->url);
	char *path = xasprintf("/repos/%s/issues", r->project);
	req->url = render_join_url(r->url, path);
	free(path);
	req_header(req, "Authorization: Bearer %s", r->secret);
	req_header(req, "Accept: application/vnd.github+json");
	req_header(req, "X-GitHub-Api-Version: 2022-11-28");
	req_header(req, "Content-Type: application/json");

	char *subject = notif_subject(n);
	cJSON *o = cJSON_CreateObject();
	char *title = text_cut(subject, GH_TITLE, false);
	cJSON_AddStringToObject(o, "title", title);
	free(title);
	char *body = github_body(n, subject);
	cJSON_AddStringToObject(o, "body", body);
	free(body);
	cJSON *labels = cJSON_AddArrayToObject(o, "labels");
	cJSON_AddItemToArray(labels, cJSON_CreateString("fleetop"));
	if (n->severity != SEV_NONE)
		cJSON_AddItemToArray(labels, cJSON_CreateString(alert_severity_name(n->severity)));
	req_json_body(req, o);
	free(subject);
	return 0;
}


/* project = OWNER/REPO */
static int build_github(const struct conf_ctx *c, const struct conf_section *s,
			struct notify_receiver *r, struct error *err)
{
	const struct conf_kv *kv = conf_get(s, "project");
	const char *v = r->project ? r->project : "";
	const char *slash = strchr(v, '/');
	bool ok = slash && slash != v && slash[1] && !strchr(slash + 1, '/');
	for (const char *p = v; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || strchr("_.-/", *p);
	if (!ok)
		return conf_fail(c, s, kv ? kv->line : s->line, err, "project '%.80s' is not %s", v,
				 "OWNER/REPO");
	return 0;
}

const struct receiver_kind receiver_github = {
	.name = "github",
	.takes = RK_HTTP | RK_SECRET | RK_PROJECT,
	.needs = RK_SECRET | RK_PROJECT,
	.transport = TRANSPORT_HTTP,
	.default_url = "https://api.github.com",
	.build = build_github,
	.render = render_github,
};
