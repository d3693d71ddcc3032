/* Tickets: a GitHub issue (REST: POST /repos/OWNER/REPO/issues with a
 * token) or a Jira issue (REST v2: POST /rest/api/2/issue with basic auth,
 * user + API token). Each notification opens one issue; the body lists the
 * alerts and carries the idempotency key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_private.h"

enum { GH_TITLE = 256, GH_BODY = 60000, GH_ROWS = 100, JIRA_SUMMARY = 255, JIRA_DESC = 30000 };

/* The base URL without its trailing slashes, then path. */
static char *join_url(const char *base, const char *path)
{
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s", (int)n, base, path);
}

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

int render_github(const struct notify_receiver *r, const struct notification *n,
		  struct notify_request *req, struct error *err)
{
	if (!r->project || !r->secret)
		return error_set(err, "%s: needs project and a token (secret)", req->what);
	free(req->url);
	char *path = xasprintf("/repos/%s/issues", r->project);
	req->url = join_url(r->url, path);
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

/* Jira wiki text: the alerts in a {noformat} block, where no markup
 * applies, so nothing from an alert needs escaping but the block's end. */
static void jira_text(struct buf *b, const char *s)
{
	for (const char *p = s; *p;) {
		if (str_starts_with(p, "{noformat}")) {
			buf_puts(b, "(noformat)");
			p += 10;
		} else {
			buf_append(b, p++, 1);
		}
	}
}

static char *jira_description(const struct notification *n)
{
	struct buf b = { 0 };
	buf_printf(&b, "%zu firing, %zu resolved; severity %s.\n\n{noformat}\n",
		   notif_count(n, true), notif_count(n, false), alert_severity_name(n->severity));
	size_t shown = 0;
	for (; shown < n->nalerts && shown < GH_ROWS; shown++) {
		const struct notify_alert *a = &n->alerts[shown];
		char value[40], since[40];
		render_value_text(a->value, value, sizeof value);
		fmt_rfc3339(a->starts_ms, since, sizeof since);
		char *summary = text_cut(nz(a->summary), 300, false);
		char *line = xasprintf("%-8s %s  %s  (rule %s, value %s, since %s, alert %lld)\n",
				       alert_is_resolved(a) ? "resolved" : "firing", nz(a->host),
				       summary, nz(a->rule), value, since, (long long)a->id);
		jira_text(&b, line);
		free(line);
		free(summary);
	}
	if (shown < n->nalerts)
		buf_printf(&b, "...and %zu more\n", n->nalerts - shown);
	buf_puts(&b, "{noformat}\n");
	char *ack = notif_ack_hint(n);
	if (ack && !notif_resolved(n))
		buf_printf(&b, "\nAcknowledge: {{%s}}\n", ack);
	free(ack);
	buf_puts(&b, "\nfleetop key: ");
	jira_text(&b, nz(n->key));
	buf_puts(&b, "\n");
	char *out = text_cut(b.data, JIRA_DESC, true);
	buf_free(&b);
	return out;
}

int render_jira(const struct notify_receiver *r, const struct notification *n,
		struct notify_request *req, struct error *err)
{
	if (!r->project || !r->user || !r->secret)
		return error_set(err, "%s: needs project, user and an API token (secret)",
				 req->what);
	free(req->url);
	req->url = join_url(r->url, "/rest/api/2/issue");
	req->userpwd = xasprintf("%s:%s", r->user, r->secret);
	req_header(req, "Content-Type: application/json");
	req_header(req, "Accept: application/json");

	char *subject = notif_subject(n);
	cJSON *o = cJSON_CreateObject();
	cJSON *f = cJSON_AddObjectToObject(o, "fields");
	cJSON *project = cJSON_AddObjectToObject(f, "project");
	cJSON_AddStringToObject(project, "key", r->project);
	char *summary = text_cut(subject, JIRA_SUMMARY, false); /* one line, as Jira wants */
	cJSON_AddStringToObject(f, "summary", summary);
	free(summary);
	char *desc = jira_description(n);
	cJSON_AddStringToObject(f, "description", desc);
	free(desc);
	cJSON *it = cJSON_AddObjectToObject(f, "issuetype");
	cJSON_AddStringToObject(it, "name", r->issue_type ? r->issue_type : "Bug");
	cJSON *labels = cJSON_AddArrayToObject(f, "labels");
	cJSON_AddItemToArray(labels, cJSON_CreateString("fleetop"));
	req_json_body(req, o);
	free(subject);
	return 0;
}
