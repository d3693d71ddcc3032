/* Delivery inside: what sender.c (the poll and the outcomes),
 * sender_http.c (libcurl on the loop) and sender_cmd.c (command hooks)
 * share, and what it decides without the network (retry.c: what a reply
 * means for its outbox row, when to try again, how much of a reply an
 * error message may show; pure functions, unit-tested). */
#ifndef FLEETOP_ALERT_SENDER_PRIVATE_H
#define FLEETOP_ALERT_SENDER_PRIVATE_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fleetop/notify.h"
#include "fleetop/core.h"

#define NOTIFY_BACKOFF_MIN_MS 1000LL
#define NOTIFY_RETRY_AFTER_MIN_MS 250LL /* floor on a wait the server asks for */
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

/* ---- one send in flight ---- */
#define NOTIFY_MAX_SECRETS 16
#define NOTIFY_REPLY_MAX 4096 /* what is kept of a reply or a hook's output */

struct xfer {
	struct notify_sender *s;
	struct xfer *next;
	int64_t id, created_ms, started_mono;
	int tries;
	char *key, *receiver;
	struct notify_request req;
	const char *secrets[NOTIFY_MAX_SECRETS]; /* what must not show (into req) */
	size_t nsecrets;
	char *secret_copy[2];                    /* the receiver's url and secret */
	struct buf reply;                        /* the first NOTIFY_REPLY_MAX bytes */
	/* sender_http.c */
	CURL *easy;
	struct curl_slist *headers, *rcpt;
	size_t upload_off;
	char *retry_after;
	char errbuf[CURL_ERROR_SIZE];
	/* sender_cmd.c */
	pid_t pid;             /* 0 once reaped */
	int in_fd, out_fd, pid_fd;
	size_t in_off;
	uint64_t deadline_timer, reap_timer;
	bool timed_out;
};

/* Per receiver: sends in flight, and the time a rate limit said to wait
 * for (a 429 is about the webhook, not only the row that got it). */
struct notify_gate {
	char *receiver;
	int in_flight;
	int64_t not_before_ms; /* wall */
};

/* An outcome the history did not take (busy, disk full): kept and written
 * again at the next poll, and its row not sent again meanwhile. */
struct notify_outcome {
	int64_t id;
	enum notify_verdict v;
	int64_t at_ms; /* done (sent, failed) or the next try (retry) */
	char *key, *msg;
};

struct notify_sender {
	struct loop *loop;
	struct store *st;
	const struct notify_config *cfg;
	CURLM *multi;
	uint64_t curl_timer, poll_timer;
	bool kicked;           /* poll_timer is an immediate one */
	int lock_fd;
	bool lock_warned;
	struct xfer *xfers;
	size_t in_flight;
	struct notify_gate *gates;
	size_t ngates;
	struct notify_outcome *unwritten;
	size_t nunwritten;
	uint64_t sent, retried, failed;
};

/* sender.c: the outcome of a send (msg: why, when not sent; retry_in_ms:
 * the wait a rate limit asked for, -1 for backoff). Frees x. */
void notify_xfer_done(struct xfer *x, enum notify_verdict v, int64_t retry_in_ms,
		      const char *msg);
/* Text that came back (a reply, curl's message, a hook's output) made safe
 * to store and log: secrets redacted, one line, cut. Caller frees. */
char *notify_xfer_text(const struct xfer *x, const char *text, size_t len);
/* Keeps the first NOTIFY_REPLY_MAX bytes of what comes back. */
void notify_xfer_keep(struct xfer *x, const char *data, size_t len);

/* sender_http.c: HTTP and SMTP through libcurl's multi interface. */
int notify_http_init(struct notify_sender *s);
void notify_http_cleanup(struct notify_sender *s);
int notify_http_start(struct xfer *x, struct error *err);
void notify_http_stop(struct xfer *x);

/* sender_cmd.c: a command hook. stop kills what still runs. */
int notify_cmd_start(struct xfer *x, struct error *err);
void notify_cmd_stop(struct xfer *x);

#endif
