/* SMS through a Twilio-style gateway: a form POST of From, To and Body
 * with basic auth (account:token). One receiver is one phone number (the
 * config refuses more); a step that pages three people names three sms
 * receivers. The body is one short line: "[CRITICAL] 14 hosts in @eu: CPU
 * high (ack: fleetop alerts ack 12)" (with a lone alert's summary when the
 * title does not hold it), at most 1600 characters (Twilio's limit). */
#include <stdlib.h>
#include <string.h>

#include "notify_private.h"
#include "render_private.h"

enum { SMS_BODY = 1600 };

static int render_sms(const struct notify_receiver *r, const struct notification *n,
	       struct notify_request *req, struct error *err)
{
	if (!r->from || r->nto == 0 || !r->user || !r->secret)
		return error_set(err, "%s: needs from, to, user and a secret", req->what);
	char *subject = notif_subject(n);
	/* One alert: its summary too, unless the title already says it. */
	const char *summary = n->nalerts == 1 ? n->alerts[0].summary : NULL;
	if (summary && *summary && !strstr(subject, summary)) {
		char *with = xasprintf("%s: %s", subject, summary);
		free(subject);
		subject = text_cut(with, SMS_BODY, false);
		free(with);
	}
	char *ack = notif_ack_hint(n);
	char *text = ack && !notif_resolved(n) ? xasprintf("%s (ack: %s)", subject, ack)
					       : xstrdup(subject);
	/* The ack hint matters most on a phone: cut the subject, keep the hint. */
	if (text_units(text) > SMS_BODY && ack) {
		char *hint = xasprintf(" (ack: %s)", ack);
		char *cut = text_cut(subject, SMS_BODY - text_units(hint), false);
		free(text);
		text = xasprintf("%s%s", cut, hint);
		free(cut);
		free(hint);
	}
	char *body = text_cut(text, SMS_BODY, false);
	struct buf form = { 0 };
	text_form(&form, "From", r->from);
	text_form(&form, "To", r->to[0]);
	text_form(&form, "Body", body);
	req_header(req, "Content-Type: application/x-www-form-urlencoded");
	req->userpwd = xasprintf("%s:%s", r->user, r->secret);
	req_set_body(req, form.data);
	free(body);
	free(text);
	free(ack);
	free(subject);
	return 0;
}

static int build_sms(const struct conf_ctx *c, const struct conf_section *s,
		     struct notify_receiver *r, struct error *err)
{
	const struct conf_kv *from = conf_get(s, "from"), *to = conf_get(s, "to");
	if (r->from && !str_is_word(r->from))
		return conf_fail(c, s, from->line, err, "from '%.80s' is not %s", r->from,
				 "a number like +15550000");
	for (size_t i = 0; i < r->nto; i++)
		if (!str_is_word(r->to[i]))
			return conf_fail(c, s, to->line, err, "to: '%.80s' is not %s", r->to[i],
					 "a number like +15551111");
	if (to && r->nto != 1)
		return conf_fail(c, s, to->line, err, "to: an sms receiver sends to one number; "
				 "define one receiver per number and name them all in the step");
	return 0;
}

const struct receiver_kind receiver_sms = {
	.name = "sms",
	.takes = RK_HTTP | RK_USER | RK_SECRET | RK_FROM | RK_TO,
	.needs = RK_URL | RK_USER | RK_SECRET | RK_FROM | RK_TO,
	.transport = TRANSPORT_HTTP,
	.build = build_sms,
	.render = render_sms,
};
