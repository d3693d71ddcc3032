/* Delivery's decisions that need no network: the verdict on a reply, the
 * wait a rate limit asks for, backoff with jitter, and what of a reply an
 * error message may show. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sender_private.h"

enum notify_verdict notify_http_verdict(long status)
{
	if (status >= 200 && status <= 299)
		return NOTIFY_SENT;
	/* 408 timeout, 425 too early, 429 rate limited: the server's state,
	 * not our request, is what is wrong. So is every 5xx. */
	if (status == 408 || status == 425 || status == 429 || (status >= 500 && status <= 599))
		return NOTIFY_RETRY;
	if (status <= 0)
		return NOTIFY_RETRY; /* no status: nothing was answered */
	return NOTIFY_FAIL;
}

enum notify_verdict notify_curl_verdict(int code)
{
	switch ((CURLcode)code) {
	case CURLE_OK:
		return NOTIFY_SENT;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_UNKNOWN_OPTION:
	case CURLE_REMOTE_ACCESS_DENIED:
		return NOTIFY_FAIL;
	default:
		/* Connection refused, timeouts, resets, DNS, TLS handshakes:
		 * the far side may be back later. */
		return NOTIFY_RETRY;
	}
}

enum notify_verdict notify_smtp_verdict(int code, long smtp_status)
{
	if (code == CURLE_OK)
		return NOTIFY_SENT;
	/* A 5xx reply is the server's final no (unknown mailbox, relaying
	 * denied); a 4xx asks to come back later. */
	if (smtp_status >= 500 && smtp_status <= 599 && code != CURLE_OPERATION_TIMEDOUT)
		return NOTIFY_FAIL;
	if (smtp_status >= 400 && smtp_status <= 499)
		return NOTIFY_RETRY;
	return notify_curl_verdict(code);
}

static int64_t cap_wait(double ms)
{
	if (!(ms >= 0))
		return -1;
	if (ms > (double)NOTIFY_RETRY_AFTER_MAX_MS)
		return NOTIFY_RETRY_AFTER_MAX_MS;
	return (int64_t)ceil(ms);
}

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110 10.2.3). */
static int64_t header_wait(const char *header, int64_t now_ms)
{
	char v[128];
	str_copy(v, header, sizeof v);
	char *t = str_trim(v);
	if (!*t)
		return -1;
	if (isdigit((unsigned char)*t)) {
		char *end;
		double sec = strtod(t, &end);
		if (*str_trim(end) == '\0')
			return cap_wait(sec * 1000.0);
	}
	time_t when = curl_getdate(t, NULL);
	if (when == (time_t)-1)
		return -1;
	double ms = (double)when * 1000.0 - (double)now_ms;
	return cap_wait(ms < 0 ? 0 : ms);
}

/* Discord: {"message": "You are being rate limited.", "retry_after": 0.65,
 * "global": false} (seconds, a float, in API v10). */
static int64_t body_wait(const char *body, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(body, len);
	if (!o)
		return -1;
	const cJSON *ra = cJSON_GetObjectItemCaseSensitive(o, "retry_after");
	int64_t w = cJSON_IsNumber(ra) ? cap_wait(ra->valuedouble * 1000.0) : -1;
	cJSON_Delete(o);
	return w;
}

int64_t notify_retry_after_ms(long status, const char *header, const char *body,
			      size_t body_len, int64_t now_ms)
{
	if (status != 429 && status != 503)
		return -1;
	int64_t w = header ? header_wait(header, now_ms) : -1;
	if (w < 0 && body && body_len)
		w = body_wait(body, body_len);
	/* "Retry after 0" from a broken or hostile endpoint must not become a
	 * tight resend loop. */
	if (w >= 0 && w < NOTIFY_RETRY_AFTER_MIN_MS)
		w = NOTIFY_RETRY_AFTER_MIN_MS;
	return w;
}

int64_t notify_backoff_ms(int tries, uint32_t rnd)
{
	int64_t base = NOTIFY_BACKOFF_MIN_MS;
	for (int i = 0; i < tries && base < NOTIFY_BACKOFF_MAX_MS; i++)
		base *= 2;
	if (base > NOTIFY_BACKOFF_MAX_MS)
		base = NOTIFY_BACKOFF_MAX_MS;
	int64_t w = base - base / 4 + (int64_t)(rnd % (uint32_t)(base / 2 + 1));
	return w > NOTIFY_BACKOFF_MAX_MS ? NOTIFY_BACKOFF_MAX_MS : w;
}

/* Bytes of the UTF-8 sequence starting at p (1 for a bad one). */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
	size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3
		 : (*p & 0xf8) == 0xf0 ? 4 : 1;
	if (n > avail)
		return 1;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

void notify_excerpt(struct buf *out, const char *text, size_t len, size_t max)
{
	struct buf b = { 0 };
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0;
	while (i < len) {
		size_t n = utf8_len(p + i, len - i);
		if (b.len + n > max)
			break;
		if (n == 1 && (p[i] < 0x20 || p[i] >= 0x7f)) {
			/* Control characters and stray bytes: a space. */
			if (b.len && b.data[b.len - 1] != ' ')
				buf_append(&b, " ", 1);
		} else {
			buf_append(&b, p + i, n);
		}
		i += n;
	}
	if (b.len) {
		buf_puts(out, str_trim(b.data));
	}
	buf_free(&b);
}

void notify_redact(char *text, const char *const *secrets, size_t nsecrets)
{
	for (size_t i = 0; i < nsecrets; i++) {
		const char *sec = secrets[i];
		size_t n = sec ? strlen(sec) : 0;
		if (n < 4)
			continue;
		char *p;
		while ((p = strstr(text, sec))) {
			memcpy(p, "***", 3);
			memmove(p + 3, p + n, strlen(p + n) + 1);
		}
	}
}
