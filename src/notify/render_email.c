/* Email: a whole RFC 5322 message for libcurl's SMTP upload (smtp:// with
 * STARTTLS, smtps:// with TLS from the start). Header values are cleaned
 * of CR and LF, so nothing an alert says can add a header; the text is
 * UTF-8 in quoted-printable. The Message-ID comes from the idempotency
 * key: a resend after a crash is the same message to mail clients. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify_private.h"
#include "render_private.h"

enum { E_SUBJECT = 200, E_ALERTS = 500 };

static void date_header(struct buf *b, int64_t ms)
{
	time_t t = (time_t)((ms > 0 ? ms : time_wall_ms()) / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	static const char *days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	/* RFC 5322 wants English names whatever the locale. */
	buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
		   tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		   tm.tm_sec);
}

/* <fleetop-KEY-HASH@DOMAIN>: the key's safe characters, and a hash of all
 * of it so two keys that differ only in the others differ here too. */
static void message_id(struct buf *b, const struct notification *n, const char *from)
{
	const char *key = nz(n->key);
	uint64_t h = 0xcbf29ce484222325ULL;
	buf_puts(b, "Message-ID: <fleetop-");
	size_t len = 0;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h = (h ^ *p) * 0x100000001b3ULL;
		if (len < 100 && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')) {
			buf_append(b, p, 1);
			len++;
		}
	}
	const char *at = strrchr(from, '@');
	char *domain = at ? text_clean(at + 1, false) : xstrdup("fleetop.invalid");
	for (char *p = domain; *p; p++)
		if (*p == '>' || *p == '<' || *p == ' ')
			*p = '-';
	buf_printf(b, "-%016llx@%s>\r\n", (unsigned long long)h, domain);
	free(domain);
}

static void alert_text(struct buf *b, const struct notify_alert *a)
{
	char value[40], since[40];
	render_value_text(a->value, value, sizeof value);
	fmt_rfc3339(a->starts_ms, since, sizeof since);
	char *host = text_cut(nz(a->host), 200, false);
	char *summary = text_cut(nz(a->summary), 1000, false);
	buf_printf(b, "%s  %s  %s\n", alert_is_resolved(a) ? "RESOLVED" : "FIRING  ", host,
		   summary);
	buf_printf(b, "    rule %s, severity %s, value %s, since %s", nz(a->rule),
		   alert_severity_name(a->severity), value, since);
	if (alert_is_resolved(a) && a->ends_ms > 0) {
		char ended[40];
		fmt_rfc3339(a->ends_ms, ended, sizeof ended);
		buf_printf(b, ", resolved %s", ended);
	}
	buf_puts(b, "\n");
	if (a->acked_by)
		buf_printf(b, "    acknowledged by %s\n", a->acked_by);
	else if (!alert_is_resolved(a) && a->id > 0)
		buf_printf(b, "    ack: fleetop alerts ack %lld\n", (long long)a->id);
	if (a->runbook && *a->runbook)
		buf_printf(b, "    runbook: %s\n", a->runbook);
	free(host);
	free(summary);
}

static char *text_body(const struct notification *n, const char *subject)
{
	struct buf b = { 0 };
	buf_printf(&b, "%s\n\n", subject);
	buf_printf(&b, "%zu firing, %zu resolved.\n", notif_count(n, true), notif_count(n, false));
	if (n->ncommon) {
		buf_puts(&b, "Labels:");
		for (size_t i = 0; i < n->ncommon; i++)
			buf_printf(&b, " %s=%s", nz(n->common_labels[i].key),
				   nz(n->common_labels[i].value));
		buf_puts(&b, "\n");
	}
	buf_puts(&b, "\n");
	size_t shown = n->nalerts < E_ALERTS ? n->nalerts : E_ALERTS;
	for (size_t i = 0; i < shown; i++) {
		alert_text(&b, &n->alerts[i]);
		buf_puts(&b, "\n");
	}
	if (shown < n->nalerts)
		buf_printf(&b, "...and %zu more.\n\n", n->nalerts - shown);
	buf_printf(&b, "-- \nfleetop (notification key %s)\n", nz(n->key));
	char *clean = text_clean(b.data, true);
	buf_free(&b);
	return clean;
}

static int render_email(const struct notify_receiver *r, const struct notification *n,
		 struct notify_request *req, struct error *err)
{
	if (!r->from || r->nto == 0)
		return error_set(err, "%s: needs from and to", req->what);
	req->kind = REQ_SMTP;
	req->mail_from = xstrdup(r->from);
	req->rcpt = xcalloc(r->nto, sizeof *req->rcpt);
	for (size_t i = 0; i < r->nto; i++)
		req->rcpt[i] = xstrdup(r->to[i]);
	req->nrcpt = r->nto;
	req->starttls = r->starttls;
	if (r->user && r->secret)
		req->userpwd = xasprintf("%s:%s", r->user, r->secret);

	char *subject = notif_subject(n);
	char *subj = text_cut(subject, E_SUBJECT, false);
	struct buf m = { 0 };
	date_header(&m, n->created_ms);
	text_header(&m, "From", r->from);
	struct buf to = { 0 };
	for (size_t i = 0; i < r->nto; i++)
		buf_printf(&to, "%s%s", i ? ", " : "", r->to[i]);
	text_header(&m, "To", to.data);
	buf_free(&to);
	text_header(&m, "Subject", subj);
	message_id(&m, n, r->from);
	char *key = text_cut(nz(n->key), 200, false);
	text_header(&m, "X-Fleetop-Key", key);
	free(key);
	/* RFC 3834: no vacation auto-replies to alerts. */
	buf_puts(&m, "Auto-Submitted: auto-generated\r\n");
	buf_puts(&m, "MIME-Version: 1.0\r\n");
	buf_puts(&m, "Content-Type: text/plain; charset=utf-8\r\n");
	buf_puts(&m, "Content-Transfer-Encoding: quoted-printable\r\n");
	buf_puts(&m, "\r\n");
	char *body = text_body(n, subj);
	text_qp(&m, body);
	free(body);
	free(subj);
	free(subject);
	req_set_body(req, m.data);
	return 0;
}

/* An address as SMTP takes it: local@domain, no spaces, no <>,;" */
static bool email_ok(const char *v)
{
	const char *at = strrchr(v, '@');
	if (!at || at == v || at[1] == '\0' || !str_is_word(v))
		return false;
	return strpbrk(v, "<>,;\"()[]\\") == NULL;
}

static int build_email(const struct conf_ctx *c, const struct conf_section *s,
		       struct notify_receiver *r, struct error *err)
{
	const struct conf_kv *from = conf_get(s, "from"), *to = conf_get(s, "to");
	if (r->from && !email_ok(r->from))
		return conf_fail(c, s, from->line, err, "from '%.80s' is not %s", r->from,
				 "an address like fleetop@example.com");
	for (size_t i = 0; i < r->nto; i++)
		if (!email_ok(r->to[i]))
			return conf_fail(c, s, to->line, err, "to: '%.80s' is not %s", r->to[i],
					 "an address like oncall@example.com");
	if (r->secret && !r->user)
		return conf_fail(c, s, s->line, err, "a password (secret) without a user to log in");
	/* A password only over TLS, unless the server is this machine. */
	if (r->secret && r->starttls < 2 && r->url && str_starts_with(r->url, "smtp://") &&
	    !notify_url_is_loopback(r->url)) {
		const struct conf_kv *tkv = conf_get(s, "starttls");
		return conf_fail(c, s, tkv ? tkv->line : s->line, err, "starttls = %s with a password "
				 "(secret): the password would go in clear text whenever the "
				 "server offers no STARTTLS (or someone on the way strips it); use "
				 "starttls = required or an smtps:// URL",
				 r->starttls == 1 ? "try" : "off");
	}
	return 0;
}

const struct receiver_kind receiver_email = {
	.name = "email",
	.takes = RK_HTTP | RK_USER | RK_SECRET | RK_FROM | RK_TO | RK_STARTTLS,
	.needs = RK_URL | RK_FROM | RK_TO,
	.transport = TRANSPORT_SMTP,
	.build = build_email,
	.render = render_email,
};
