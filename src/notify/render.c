/* Rendering: a notification and a receiver -> the request that receiver
 * takes (render_<type>.c), the command hook's request, and the words every
 * format shares: subject, ack hint, times, values. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "render_private.h"

void req_header(struct notify_request *req, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *h = NULL;
	if (vasprintf(&h, fmt, ap) < 0)
		abort();
	va_end(ap);
	/* A header is one line whatever went into it. */
	for (char *p = h; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	req->headers = xrealloc(req->headers, (req->nheaders + 1) * sizeof *req->headers);
	req->headers[req->nheaders++] = xstrdup(h);
	free(h);
}

void req_set_body(struct notify_request *req, char *body)
{
	free(req->body);
	req->body = body;
	req->body_len = strlen(body);
}

void req_json_body(struct notify_request *req, cJSON *o)
{
	char *raw = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!raw)
		abort(); /* cJSON fails only when out of memory */
	req_set_body(req, xstrdup(raw));
	cJSON_free(raw);
}

/* ---- words ---- */

bool alert_is_resolved(const struct notify_alert *a)
{
	return a->status && strcmp(a->status, "resolved") == 0;
}

bool notif_resolved(const struct notification *n)
{
	return n->status && strcmp(n->status, "resolved") == 0;
}

size_t notif_count(const struct notification *n, bool firing)
{
	size_t c = 0;
	for (size_t i = 0; i < n->nalerts; i++)
		c += alert_is_resolved(&n->alerts[i]) != firing;
	return c;
}

bool notif_all_acked(const struct notification *n)
{
	size_t firing = 0;
	for (size_t i = 0; i < n->nalerts; i++) {
		const struct notify_alert *a = &n->alerts[i];
		if (alert_is_resolved(a))
			continue;
		if (!a->acked_by)
			return false;
		firing++;
	}
	return firing > 0;
}

const struct notify_alert *notif_ack_alert(const struct notification *n)
{
	for (size_t i = 0; i < n->nalerts; i++)
		if (!alert_is_resolved(&n->alerts[i]) && !n->alerts[i].acked_by)
			return &n->alerts[i];
	return NULL;
}

const char *notif_common(const struct notification *n, const char *key)
{
	return labels_get(n->common_labels, n->ncommon, key);
}

const char *notif_runbook(const struct notification *n)
{
	const char *rb = NULL;
	for (size_t i = 0; i < n->nalerts; i++) {
		const char *r = n->alerts[i].runbook;
		if (!r || !*r || (rb && strcmp(rb, r)))
			return NULL;
		rb = r;
	}
	return rb;
}

const char *notif_state_word(const struct notification *n)
{
	if (notif_resolved(n))
		return "RESOLVED";
	switch (n->severity) {
	case SEV_CRITICAL: return "CRITICAL";
	case SEV_WARNING: return "WARNING";
	case SEV_INFO: return "INFO";
	case SEV_NONE: break;
	}
	return "FIRING";
}

char *notif_subject(const struct notification *n)
{
	char *title;
	if (n->title && *n->title) {
		title = xstrdup(n->title);
		/* "[RESOLVED] x", not "[RESOLVED] x (resolved)". */
		size_t len = strlen(title), sl = strlen(" (resolved)");
		if (notif_resolved(n) && len > sl && !strcmp(title + len - sl, " (resolved)"))
			title[len - sl] = '\0';
	} else if (n->nalerts == 1) {
		title = xasprintf("%s: %s", nz(n->alerts[0].host), nz(n->alerts[0].summary));
	} else {
		const char *rule = notif_common(n, "rule");
		title = xasprintf("%zu alerts%s%s", n->nalerts, rule ? ": " : "", rule ? rule : "");
	}
	char *raw = xasprintf("[%s] %s", notif_state_word(n), title);
	char *out = text_clean(raw, false);
	free(raw);
	free(title);
	return out;
}

char *notif_ack_hint(const struct notification *n)
{
	const struct notify_alert *a = notif_ack_alert(n);
	/* A test notification's alert (id 0) has nothing to acknowledge. */
	return a && a->id > 0 ? xasprintf("fleetop alerts ack %lld", (long long)a->id) : NULL;
}

void fmt_rfc3339(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	if (ms < 0) {
		t = 0;
		frac = 0;
	}
	struct tm tm;
	gmtime_r(&t, &tm);
	char base[40];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac)
		snprintf(out, size, "%s.%03dZ", base, frac);
	else
		snprintf(out, size, "%sZ", base);
}

void render_value_text(double v, char *out, size_t size)
{
	if (!isfinite(v))
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%.6g", v);
}

cJSON *labels_object(const struct alert_label *l, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < n; i++) {
		if (!l[i].key || cJSON_GetObjectItemCaseSensitive(o, l[i].key))
			continue;
		char *v = text_clean(nz(l[i].value), true);
		char *k = text_clean(l[i].key, false);
		cJSON_AddStringToObject(o, k, v);
		free(k);
		free(v);
	}
	return o;
}

cJSON *group_key_labels(const char *gk)
{
	cJSON *o = cJSON_CreateObject();
	const char *p = nz(gk);
	if (*p++ != '{')
		return o;
	struct buf v = { 0 };
	while (*p && *p != '}') {
		const char *k = p;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-')
			p++;
		if (p == k || *p != '=' || p[1] != '"')
			break;
		char *key = xstrndup(k, (size_t)(p - k));
		p += 2;
		buf_reset(&v);
		buf_puts(&v, "");
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			buf_append(&v, p++, 1);
		}
		if (*p == '"') {
			char *clean = text_clean(v.data, true);
			if (!cJSON_GetObjectItemCaseSensitive(o, key))
				cJSON_AddStringToObject(o, key, clean);
			free(clean);
			p++;
		}
		free(key);
		if (*p == ',')
			p++;
		else if (*p != '}')
			break;
	}
	buf_free(&v);
	return o;
}

char *render_alert_list(const struct notification *n, size_t max, size_t max_items,
			alert_line_fn line, void *arg, const char *more_fmt)
{
	struct buf out = { 0 }, one = { 0 };
	buf_puts(&out, "");
	size_t used = 0, shown = 0;
	/* Room for "…and 123456 more" is kept back while lines remain. */
	size_t reserve = text_units(more_fmt) + 10;
	for (size_t i = 0; i < n->nalerts && shown < max_items; i++) {
		buf_reset(&one);
		buf_puts(&one, "");
		line(&one, &n->alerts[i], arg);
		char *clean = text_clean(one.data, true);
		size_t u = text_units(clean) + (shown ? 1 : 0);
		bool last = i + 1 == n->nalerts;
		if (used + u + (last ? 0 : reserve) > max) {
			free(clean);
			break;
		}
		if (shown)
			buf_puts(&out, "\n");
		buf_puts(&out, clean);
		used += u;
		shown++;
		free(clean);
	}
	if (shown < n->nalerts) {
		if (shown)
			buf_puts(&out, "\n");
		buf_printf(&out, more_fmt, n->nalerts - shown);
	}
	buf_free(&one);
	/* The fallback when even the "more" line is too long for max. */
	char *cut = text_cut(out.data, max, true);
	buf_free(&out);
	return cut;
}

/* ---- the command hook and dispatch ---- */


char *render_join_url(const char *base, const char *path)
{
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s", (int)n, base, path);
}

int notify_render(const struct notify_receiver *r, const struct notification *n,
		  struct notify_request *req, struct error *err)
{
	memset(req, 0, sizeof *req);
	const struct receiver_kind *k = r->kind;
	if (!k || !k->render)
		return error_set(err, "receiver %s: unknown type", r->name);
	req->what = xasprintf("%s (%s)", r->name, k->name);
	req->timeout_ms = r->timeout_ms > 0 ? r->timeout_ms : 10000;
	if (k->transport != TRANSPORT_COMMAND) {
		if (!r->url || !*r->url) {
			error_set(err, "%s: no url", req->what);
			notify_request_free(req);
			return -1;
		}
		req->kind = REQ_HTTP;
		req->url = xstrdup(r->url);
		req->ca_file = r->ca_file ? xstrdup(r->ca_file) : NULL;
		if (k->transport == TRANSPORT_HTTP) {
			req_header(req, "User-Agent: fleetop");
			/* The same key on every resend, so a receiver can drop repeats. */
			if (n->key && *n->key)
				req_header(req, "Idempotency-Key: %s", n->key);
		}
	}
	if (k->render(r, n, req, err) < 0) {
		notify_request_free(req);
		return -1;
	}
	return 0;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		explicit_bzero(v[i], strlen(v[i]));
		free(v[i]);
	}
	free(v);
}

void notify_request_free(struct notify_request *req)
{
	if (req->url)
		explicit_bzero(req->url, strlen(req->url)); /* a webhook URL is a secret */
	free(req->url);
	/* Headers and userpwd may hold tokens. */
	strv_free(req->headers, req->nheaders);
	free(req->body);
	if (req->userpwd)
		explicit_bzero(req->userpwd, strlen(req->userpwd));
	free(req->userpwd);
	free(req->mail_from);
	strv_free(req->rcpt, req->nrcpt);
	free(req->ca_file);
	if (req->argv)
		for (char **a = req->argv; *a; a++)
			free(*a);
	free(req->argv);
	free(req->what);
	memset(req, 0, sizeof *req);
}
