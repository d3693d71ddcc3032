/* What delivery decides without the network (retry.c): what a reply
 * means for its outbox row, when to try again, and how much of a reply
 * an error message may show. Pure functions, unit-tested. */
#ifndef FLEETOP_ALERT_SENDER_PRIVATE_H
#define FLEETOP_ALERT_SENDER_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "fleetop/core.h"

#define NOTIFY_BACKOFF_MIN_MS 1000LL
#define NOTIFY_BACKOFF_MAX_MS (5 * 60 * 1000LL)
/* A Retry-After further away than this is taken as this. */
#define NOTIFY_RETRY_AFTER_MAX_MS (60 * 60 * 1000LL)
/* A row still failing this long after it was added is given up. */
#define NOTIFY_GIVE_UP_MS (24 * 60 * 60 * 1000LL)
/* How much of a reply an error message shows. */
#define NOTIFY_EXCERPT_MAX 200

enum notify_verdict {
	NOTIFY_SENT,  /* confirmed */
	NOTIFY_RETRY, /* may work later: try again */
	NOTIFY_FAIL,  /* will not work as configured: give up now */
};

/* An HTTP status: 2xx sent; 408, 425, 429 and 5xx retry; any other
 * (4xx, and 3xx as redirects are not followed) fails. */
enum notify_verdict notify_http_verdict(long status);
/* A libcurl result (CURLcode) of a transfer that got no usable reply:
 * errors of the configuration (bad URL, protocol, login refused, STARTTLS
 * required but not offered, unreadable CA file) fail, the rest retry. */
enum notify_verdict notify_curl_verdict(int code);
/* An SMTP transfer: CURLE_OK is sent; a 5xx reply of the server fails; the
 * rest as notify_curl_verdict. */
enum notify_verdict notify_smtp_verdict(int code, long smtp_status);

/* The wait a reply asked for, in ms from now_ms, for a 429 or 503: the
 * Retry-After header (seconds or an HTTP date) or else Discord's JSON body
 * {"retry_after": 1.5} (seconds); capped at NOTIFY_RETRY_AFTER_MAX_MS.
 * -1 when the reply names no wait (or the status is not 429/503). */
int64_t notify_retry_after_ms(long status, const char *header, const char *body,
			      size_t body_len, int64_t now_ms);
/* The wait before try tries+1 (tries: failures so far, 0 first): 1 s,
 * 2 s, 4 s ... capped at 5 min, each within +-25% (rnd: random bits), so
 * rows that failed together do not come back together. */
int64_t notify_backoff_ms(int tries, uint32_t rnd);

/* Appends a one-line excerpt of a reply to out: at most max bytes, whole
 * UTF-8 characters, control characters as spaces, trimmed. */
void notify_excerpt(struct buf *out, const char *text, size_t len, size_t max);
/* Replaces every occurrence of each secret (those at least 4 bytes long)
 * in text with "***", in place (text only shrinks). */
void notify_redact(char *text, const char *const *secrets, size_t nsecrets);

#endif
