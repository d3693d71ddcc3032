/* Jira issues: REST v2, POST /rest/api/2/issue with basic auth (user +
 * API token). Each notification opens one issue; the description lists
 * the alerts and carries the idempotency key. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_private.h"
#include "render_private.h"

enum { JIRA_SUMMARY = 255, JIRA_DESC = 30000, JIRA_ROWS = 100 };

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
	for (; shown < n->nalerts && shown < JIRA_ROWS; shown++) {
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

static int render_jira(const struct notify_receiver *r, const struct notification *n,
		struct notify_request *req, struct error *err)
{
	if (!r->project || !r->user || !r->secret)
		return error_set(err, "%s: needs project, user and an API token (secret)",
				 req->what);
	free(req->url);
	req->url = render_join_url(r->url, "/rest/api/2/issue");
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

/* project = a project key like OPS; issue_type defaults to Bug. */
static int build_jira(const struct conf_ctx *c, const struct conf_section *s,
		      struct notify_receiver *r, struct error *err)
{
	const struct conf_kv *kv = conf_get(s, "project");
	const char *v = r->project ? r->project : "";
	bool ok = *v != '\0';
	for (const char *p = v; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '_';
	if (!ok)
		return conf_fail(c, s, kv ? kv->line : s->line, err, "project '%.80s' is not %s", v,
				 "a project key like OPS");
	if (!r->issue_type)
		r->issue_type = xstrdup("Bug");
	return 0;
}

const struct receiver_kind receiver_jira = {
	.name = "jira",
	.takes = RK_HTTP | RK_USER | RK_SECRET | RK_PROJECT | RK_ISSUE_TYPE,
	.needs = RK_URL | RK_USER | RK_SECRET | RK_PROJECT,
	.transport = TRANSPORT_HTTP,
	.build = build_jira,
	.render = render_jira,
};
