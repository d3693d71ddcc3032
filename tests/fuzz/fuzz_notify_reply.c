/* Fuzz: what a receiver answers, as delivery reads it. The input is a
 * status selector byte, a Retry-After header line and the reply body.
 * Checks: the wait is -1 or within [0, 1 h]; the excerpt an error message
 * shows is at most 200 bytes of valid UTF-8 without control characters;
 * a secret redacted from the body (a slice of the input) is gone. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify/sender_private.h"

static const long statuses[] = { 429, 503, 500, 400, 200, 408 };

static void check_utf8_line(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		size_t n = p[i] < 0x80 ? 1 : (p[i] & 0xe0) == 0xc0 ? 2 : (p[i] & 0xf0) == 0xe0 ? 3
			 : (p[i] & 0xf8) == 0xf0 ? 4 : 0;
		if (n == 0 || i + n > len)
			abort();
		if (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))
			abort();
		for (size_t k = 1; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				abort();
		i += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	long status = statuses[data[0] % (sizeof statuses / sizeof statuses[0])];
	const char *rest = (const char *)data + 1;
	size_t left = size - 1;
	const char *nl = memchr(rest, '\n', left);
	size_t hlen = nl ? (size_t)(nl - rest) : 0;
	char *header = xstrndup(rest, hlen);
	const char *body = nl ? nl + 1 : rest;
	size_t blen = left - (size_t)(body - rest);

	int64_t w = notify_retry_after_ms(status, nl ? header : NULL, body, blen,
					  1764115200000LL);
	if (w != -1 && (w < 0 || w > NOTIFY_RETRY_AFTER_MAX_MS))
		abort();
	if (w != -1 && status != 429 && status != 503)
		abort();

	struct buf b = { 0 };
	notify_excerpt(&b, body, blen, NOTIFY_EXCERPT_MAX);
	if (b.len > NOTIFY_EXCERPT_MAX || (b.data && strlen(b.data) != b.len))
		abort();
	if (b.data)
		check_utf8_line(b.data, b.len);
	buf_free(&b);

	/* The header line as a secret to redact from the body. */
	char *text = xstrndup(body, blen);
	const char *secrets[] = { header };
	notify_redact(text, secrets, 1);
	if (strlen(header) >= 4 && strstr(text, header))
		abort();
	free(text);
	free(header);
	return 0;
}
