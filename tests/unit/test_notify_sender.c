/* Delivery's decisions without the network: verdicts on HTTP statuses,
 * curl and SMTP results; Retry-After in seconds and as a date, Discord's
 * retry_after body, the cap; backoff growth, cap and jitter; reply
 * excerpts and redaction of secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdint.h>
#include <string.h>

#include "notify/sender_private.h"

static void test_http_verdict(void **state)
{
	(void)state;
	assert_int_equal(notify_http_verdict(200), NOTIFY_SENT);
	assert_int_equal(notify_http_verdict(204), NOTIFY_SENT);
	assert_int_equal(notify_http_verdict(299), NOTIFY_SENT);
	assert_int_equal(notify_http_verdict(429), NOTIFY_RETRY);
	assert_int_equal(notify_http_verdict(408), NOTIFY_RETRY);
	assert_int_equal(notify_http_verdict(500), NOTIFY_RETRY);
	assert_int_equal(notify_http_verdict(502), NOTIFY_RETRY);
	assert_int_equal(notify_http_verdict(503), NOTIFY_RETRY);
	assert_int_equal(notify_http_verdict(599), NOTIFY_RETRY);
	assert_int_equal(notify_http_verdict(400), NOTIFY_FAIL);
	assert_int_equal(notify_http_verdict(401), NOTIFY_FAIL);
	assert_int_equal(notify_http_verdict(404), NOTIFY_FAIL);
	assert_int_equal(notify_http_verdict(413), NOTIFY_FAIL);
	assert_int_equal(notify_http_verdict(301), NOTIFY_FAIL); /* no redirects */
	assert_int_equal(notify_http_verdict(0), NOTIFY_RETRY);
}

static void test_curl_and_smtp_verdict(void **state)
{
	(void)state;
	assert_int_equal(notify_curl_verdict(CURLE_OK), NOTIFY_SENT);
	assert_int_equal(notify_curl_verdict(CURLE_COULDNT_CONNECT), NOTIFY_RETRY);
	assert_int_equal(notify_curl_verdict(CURLE_OPERATION_TIMEDOUT), NOTIFY_RETRY);
	assert_int_equal(notify_curl_verdict(CURLE_COULDNT_RESOLVE_HOST), NOTIFY_RETRY);
	assert_int_equal(notify_curl_verdict(CURLE_RECV_ERROR), NOTIFY_RETRY);
	assert_int_equal(notify_curl_verdict(CURLE_GOT_NOTHING), NOTIFY_RETRY);
	assert_int_equal(notify_curl_verdict(CURLE_URL_MALFORMAT), NOTIFY_FAIL);
	assert_int_equal(notify_curl_verdict(CURLE_UNSUPPORTED_PROTOCOL), NOTIFY_FAIL);
	assert_int_equal(notify_curl_verdict(CURLE_LOGIN_DENIED), NOTIFY_FAIL);
	assert_int_equal(notify_curl_verdict(CURLE_USE_SSL_FAILED), NOTIFY_FAIL);
	assert_int_equal(notify_smtp_verdict(CURLE_OK, 250), NOTIFY_SENT);
	assert_int_equal(notify_smtp_verdict(CURLE_SEND_ERROR, 550), NOTIFY_FAIL);
	assert_int_equal(notify_smtp_verdict(CURLE_SEND_ERROR, 451), NOTIFY_RETRY);
	assert_int_equal(notify_smtp_verdict(CURLE_COULDNT_CONNECT, 0), NOTIFY_RETRY);
	assert_int_equal(notify_smtp_verdict(CURLE_OPERATION_TIMEDOUT, 0), NOTIFY_RETRY);
	assert_int_equal(notify_smtp_verdict(CURLE_LOGIN_DENIED, 535), NOTIFY_FAIL);
}

#define NOW 1700000000000LL /* 2023-11-14T22:13:20Z */

static void test_retry_after_seconds(void **state)
{
	(void)state;
	assert_int_equal(notify_retry_after_ms(429, "5", NULL, 0, NOW), 5000);
	assert_int_equal(notify_retry_after_ms(503, " 120 ", NULL, 0, NOW), 120000);
	/* "At once" still waits a little: no tight loop against a broken endpoint. */
	assert_int_equal(notify_retry_after_ms(429, "0", NULL, 0, NOW), 250);
	assert_int_equal(notify_retry_after_ms(429, "1.5", NULL, 0, NOW), 1500);
	/* Capped at an hour. */
	assert_int_equal(notify_retry_after_ms(429, "86400", NULL, 0, NOW),
			 NOTIFY_RETRY_AFTER_MAX_MS);
	assert_int_equal(notify_retry_after_ms(429, "99999999999999999999", NULL, 0, NOW),
			 NOTIFY_RETRY_AFTER_MAX_MS);
	/* Only for 429 and 503. */
	assert_int_equal(notify_retry_after_ms(500, "5", NULL, 0, NOW), -1);
	assert_int_equal(notify_retry_after_ms(200, "5", NULL, 0, NOW), -1);
	/* Nonsense and nothing. */
	assert_int_equal(notify_retry_after_ms(429, "soon", NULL, 0, NOW), -1);
	assert_int_equal(notify_retry_after_ms(429, "5 minutes", NULL, 0, NOW), -1);
	assert_int_equal(notify_retry_after_ms(429, "-3", NULL, 0, NOW), -1);
	assert_int_equal(notify_retry_after_ms(429, "", NULL, 0, NOW), -1);
	assert_int_equal(notify_retry_after_ms(429, NULL, NULL, 0, NOW), -1);
}

static void test_retry_after_date(void **state)
{
	(void)state;
	/* NOW + 30 s, in the three forms HTTP allows. */
	assert_int_equal(notify_retry_after_ms(503, "Tue, 14 Nov 2023 22:13:50 GMT", NULL, 0, NOW),
			 30000);
	assert_int_equal(notify_retry_after_ms(503, "Tuesday, 14-Nov-23 22:13:50 GMT", NULL, 0,
					       NOW), 30000);
	assert_int_equal(notify_retry_after_ms(503, "Tue Nov 14 22:13:50 2023", NULL, 0, NOW),
			 30000);
	/* In the past: as soon as allowed. */
	assert_int_equal(notify_retry_after_ms(429, "Tue, 14 Nov 2023 20:00:00 GMT", NULL, 0, NOW),
			 250);
	/* Far away: capped. */
	assert_int_equal(notify_retry_after_ms(429, "Fri, 01 Jan 2038 00:00:00 GMT", NULL, 0, NOW),
			 NOTIFY_RETRY_AFTER_MAX_MS);
}

static void test_retry_after_discord_body(void **state)
{
	(void)state;
	const char *b = "{\"message\": \"You are being rate limited.\", \"retry_after\": 0.65, "
			"\"global\": false}";
	assert_int_equal(notify_retry_after_ms(429, NULL, b, strlen(b), NOW), 650);
	/* The header wins over the body. */
	assert_int_equal(notify_retry_after_ms(429, "2", b, strlen(b), NOW), 2000);
	/* A header that says nothing useful: the body. */
	assert_int_equal(notify_retry_after_ms(429, "junk", b, strlen(b), NOW), 650);
	const char *big = "{\"retry_after\": 7200}";
	assert_int_equal(notify_retry_after_ms(429, NULL, big, strlen(big), NOW),
			 NOTIFY_RETRY_AFTER_MAX_MS);
	const char *neg = "{\"retry_after\": -1}";
	assert_int_equal(notify_retry_after_ms(429, NULL, neg, strlen(neg), NOW), -1);
	const char *str = "{\"retry_after\": \"3\"}";
	assert_int_equal(notify_retry_after_ms(429, NULL, str, strlen(str), NOW), -1);
	const char *html = "<html>slow down</html>";
	assert_int_equal(notify_retry_after_ms(429, NULL, html, strlen(html), NOW), -1);
	/* Length is respected: the body is not read past body_len. */
	assert_int_equal(notify_retry_after_ms(429, NULL, b, 10, NOW), -1);
}

static void test_backoff(void **state)
{
	(void)state;
	/* Without jitter's extremes: rnd 0 is the low end (-25%). */
	assert_int_equal(notify_backoff_ms(0, 0), 750);
	assert_int_equal(notify_backoff_ms(1, 0), 1500);
	assert_int_equal(notify_backoff_ms(2, 0), 3000);
	assert_int_equal(notify_backoff_ms(3, 0), 6000);
	/* The middle of the range is the plain doubling. */
	assert_int_equal(notify_backoff_ms(0, 250), 1000);
	assert_int_equal(notify_backoff_ms(2, 1000), 4000);
	/* Capped at 5 min however many tries, whatever the jitter. */
	for (int t = 9; t < 100000; t = t * 3 + 1)
		for (uint32_t r = 0; r < 100; r++) {
			int64_t w = notify_backoff_ms(t, r * 2654435761u);
			assert_true(w <= NOTIFY_BACKOFF_MAX_MS);
			assert_true(w >= NOTIFY_BACKOFF_MAX_MS * 3 / 4);
		}
	assert_int_equal(notify_backoff_ms(30, 150000), NOTIFY_BACKOFF_MAX_MS);
	assert_int_equal(notify_backoff_ms(-5, 0), 750);
	/* Every value within +-25% of the doubling. */
	for (uint32_t r = 0; r < 5000; r += 7) {
		int64_t w = notify_backoff_ms(4, r * 2654435761u);
		assert_true(w >= 12000 && w <= 20000);
	}
}

static void excerpt(const char *in, size_t len, size_t max, const char *want)
{
	struct buf b = { 0 };
	notify_excerpt(&b, in, len, max);
	assert_string_equal(b.data ? b.data : "", want);
	buf_free(&b);
}

static void test_excerpt(void **state)
{
	(void)state;
	excerpt("{\"message\": \"Invalid Webhook Token\"}", 36, 200,
		"{\"message\": \"Invalid Webhook Token\"}");
	excerpt("line one\r\nline two\n", 19, 200, "line one line two");
	excerpt("  padded  ", 10, 200, "padded");
	excerpt("", 0, 200, "");
	excerpt("abcdefgh", 8, 5, "abcde");
	/* Cut at a whole character: "é" is two bytes and does not fit. */
	excerpt("abcd\xc3\xa9", 6, 5, "abcd");
	excerpt("ab\xc3\xa9z", 5, 5, "ab\xc3\xa9z");
	/* A stray byte is a space, not half a character. */
	excerpt("a\xff" "b", 3, 10, "a b");
	/* A NUL inside the reply does not end it early. */
	excerpt("a\0b", 3, 10, "a b");
}

static void test_redact(void **state)
{
	(void)state;
	char t[256];
	strcpy(t, "bad url https://discord.com/api/webhooks/123/tok-en and tok-en again");
	const char *secrets[] = { "/api/webhooks/123/tok-en", "tok-en", NULL, "ab" };
	notify_redact(t, secrets, 4);
	assert_string_equal(t, "bad url https://discord.com*** and *** again");
	strcpy(t, "short ab stays");
	notify_redact(t, secrets, 4);
	assert_string_equal(t, "short ab stays");
	/* A secret made of what replaces it still ends. */
	strcpy(t, "*******");
	const char *stars[] = { "****" };
	notify_redact(t, stars, 1);
	assert_string_equal(t, "***");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_verdict),
		cmocka_unit_test(test_curl_and_smtp_verdict),
		cmocka_unit_test(test_retry_after_seconds),
		cmocka_unit_test(test_retry_after_date),
		cmocka_unit_test(test_retry_after_discord_body),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_excerpt),
		cmocka_unit_test(test_redact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
