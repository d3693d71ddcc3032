/* What the renderers (render_*.c) share: the request they fill, the words
 * every format uses (subject, alert lines, the ack hint) and text that fits
 * a service's limits (UTF-8 clean, cut with "…", counted as the services
 * count: UTF-16 code units). */
#ifndef FLEETOP_ALERT_RENDER_PRIVATE_H
#define FLEETOP_ALERT_RENDER_PRIVATE_H

#include <cjson/cJSON.h>

#include "fleetop/notify.h"
#include "notify_private.h"

/* ---- render.c: requests and words ---- */
/* base without its trailing slashes, then path; caller frees. */
char *render_join_url(const char *base, const char *path);
void req_header(struct notify_request *req, const char *fmt, ...) FT_PRINTF(2, 3);
/* Prints o as the body (and deletes o). */
void req_json_body(struct notify_request *req, cJSON *o);
void req_set_body(struct notify_request *req, char *body); /* takes body */

static inline const char *nz(const char *s)
{
	return s ? s : "";
}
bool notif_resolved(const struct notification *n);
/* Every alert still firing is acknowledged (and at least one fires). */
bool notif_all_acked(const struct notification *n);
size_t notif_count(const struct notification *n, bool firing);
/* The alert to acknowledge: the first firing one not acked yet, else the
 * first; NULL when there are none. */
const struct notify_alert *notif_ack_alert(const struct notification *n);
/* The label all alerts share (common labels), or NULL. */
const char *notif_common(const struct notification *n, const char *key);
/* The runbook when every alert has the same one, else NULL. */
const char *notif_runbook(const struct notification *n);
/* "CRITICAL", "WARNING", "INFO", "RESOLVED" (the status word of a subject). */
const char *notif_state_word(const struct notification *n);
/* "[CRITICAL] 14 hosts in @eu: CPU high", clean one line; caller frees. */
char *notif_subject(const struct notification *n);
/* "fleetop alerts ack 12" or NULL when nothing is left to acknowledge. */
char *notif_ack_hint(const struct notification *n);
bool alert_is_resolved(const struct notify_alert *a);
/* "2030-01-02T03:04:05.678Z" (no fraction when whole seconds). */
void fmt_rfc3339(int64_t ms, char *out, size_t size);
/* "94.2", "-" for NaN. */
void render_value_text(double v, char *out, size_t size);
/* Parses {k="v",...} (Alertmanager's group key form) into a JSON object;
 * an empty object when group_key is not in that form. */
cJSON *group_key_labels(const char *group_key);
cJSON *labels_object(const struct alert_label *l, size_t n);

/* ---- render_text.c ---- */
/* Valid UTF-8 (bad bytes become U+FFFD), control characters spaces (and
 * newlines kept when keep_nl). Caller frees. */
char *text_clean(const char *s, bool keep_nl);
/* Only bad UTF-8 mended (U+FFFD); everything else kept. Caller frees. */
char *text_utf8(const char *s);
/* Length in UTF-16 code units: what JavaScript-based services count. */
size_t text_units(const char *s);
/* A clean copy at most max units long, cut at a character with "…". */
char *text_cut(const char *s, size_t max, bool keep_nl);
/* Appends s with `chars` escaped by a backslash (markdown). */
void text_escape(struct buf *b, const char *s, const char *chars);
/* Slack's mrkdwn: & < > as entities. */
void text_escape_slack(struct buf *b, const char *s);
/* application/x-www-form-urlencoded */
void text_form(struct buf *b, const char *name, const char *value);
/* Quoted-printable with CRLF line ends (RFC 2045). */
void text_qp(struct buf *b, const char *s);
/* A header value: one line, RFC 2047 encoded words when not ASCII. */
void text_header(struct buf *b, const char *name, const char *value);

/* Lines one an alert, while they fit in max units (at most max_items
 * lines), then "…and N more"; line formats one alert (already cut to
 * line_max units by the caller's choice). Caller frees. */
typedef void (*alert_line_fn)(struct buf *out, const struct notify_alert *a, void *arg);
char *render_alert_list(const struct notification *n, size_t max, size_t max_items,
			alert_line_fn line, void *arg, const char *more_fmt);

#endif
