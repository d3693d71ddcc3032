/* text_sanitize's edges, one escape family a test; text_secret_name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/core.h"
#include "fleetop/text.h"

/* in (len bytes, may hold NULs) cleaned with flags must be want. */
static void cleans_n(const char *in, size_t len, unsigned flags, const char *want)
{
	char *buf = xmalloc(len + 1);
	memcpy(buf, in, len);
	buf[len] = 'Z'; /* not a NUL: text_sanitize must end the string itself */
	size_t n = text_sanitize(buf, len, flags);
	if (n != strlen(want) || memcmp(buf, want, n) != 0 || buf[n] != '\0')
		fail_msg("cleaning %zu bytes: got '%.*s' (%zu), want '%s'", len, (int)n, buf, n,
			 want);
	free(buf);
}

static void cleans(const char *in, const char *want)
{
	cleans_n(in, strlen(in), 0, want);
}

static void test_plain_and_utf8_untouched(void **state)
{
	(void)state;
	cleans("", "");
	cleans("mc-eu-1: connection refused", "mc-eu-1: connection refused");
	cleans("a\tb", "a\tb");
	cleans("Grüße, 世界, 🎮 ~", "Grüße, 世界, 🎮 ~");
	cleans("\xc2\xa0nbsp", "\xc2\xa0nbsp");         /* U+00A0: first after C1 */
	cleans("\xef\xbf\xbf max bmp", "\xef\xbf\xbf max bmp");
	cleans("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
}

static void test_c0_del_and_newlines(void **state)
{
	(void)state;
	cleans("bell\a back\b nul-free\x01\x1f end", "bell back nul-free end");
	cleans("del\x7f!", "del!");
	cleans("two\nlines\r\nthree\rfour", "two lines three four");
	cleans_n("two\nlines\r\nthree\rfour", 22, TEXT_KEEP_NEWLINES, "two\nlines\nthree\nfour");
	cleans_n("a\0b", 3, 0, "ab"); /* a NUL inside is a C0 control */
}

static void test_csi(void **state)
{
	(void)state;
	cleans("\x1b[2Jcleared", "cleared");
	cleans("\x1b[1;31mred\x1b[0m text", "red text");
	cleans("\x1b[?1049h\x1b[H", "");
	cleans("cursor \x1b[10;20H here", "cursor  here");
	cleans("\x1b[>4;2m ok", " ok");
	cleans("cut \x1b[12", "cut ");                /* cut short at the end */
	cleans("\x1b[12\x07x", "x");                  /* a C0 inside ends it; BEL goes too */
	cleans("\x1b[31\xc3\xa9", "\xc3\xa9");        /* non-ASCII ends it and stays */
}

static void test_osc_and_strings(void **state)
{
	(void)state;
	cleans("\x1b]0;pwned title\x07" "after", "after");
	cleans("\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", "link");
	cleans("\x1b]52;c;ZWNobyBoaQ==\x07" "clip", "clip"); /* clipboard write */
	cleans("\x1bPq#0;2;0;0;0\x1b\\sixel", "sixel");   /* DCS */
	cleans("\x1b_apc\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\ok", "ok");
	cleans("\x1b]unterminated title", "");
	cleans("\x1b]0;t\x1b[2Jx", "x"); /* an ESC inside starts a new sequence */
	cleans("\x1b]0;t\xc2\x9cok", "ok");  /* C1 ST ends it */
}

static void test_other_escapes(void **state)
{
	(void)state;
	cleans("\x1b" "c reset", " reset");     /* RIS */
	cleans("\x1b(Bascii", "ascii");         /* charset: nF */
	cleans("\x1b#8fill", "fill");           /* DECALN */
	cleans("\x1b" "7save\x1b" "8", "save"); /* DECSC / DECRC */
	cleans("end\x1b", "end");
	cleans("\x1b\x1b[2J", "");
}

static void test_c1(void **state)
{
	(void)state;
	cleans("a\xc2\x85" "b", "ab");                 /* NEL */
	cleans("\xc2\x9b" "2Jcsi", "csi");             /* 8-bit CSI and its sequence */
	cleans("\xc2\x9d" "0;title\xc2\x9cok", "ok");  /* 8-bit OSC to 8-bit ST */
	cleans("\xc2\x90q\x1b\\dcs", "dcs");
	cleans("\xc2\x80\xc2\x9f", "");
	cleans("raw \x9b" "2J", "raw ?2J");            /* a lone byte 0x9b: not UTF-8 */
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	cleans("\xff\xfe", "??");
	cleans("\xc0\xaf", "??");                   /* overlong '/' */
	cleans("\xe0\x80\xaf", "???");              /* overlong, 3 bytes */
	cleans("\xed\xa0\x80", "???");              /* a surrogate */
	cleans("\xf4\x90\x80\x80", "????");         /* past U+10FFFF */
	cleans("\xf5\x80\x80\x80", "????");
	cleans("cut \xe4\xb8", "cut ??");           /* cut short */
	cleans("\xe4\xb8x", "??x");
	cleans("\x80\xbf", "??");                   /* lone continuation bytes */
}

static void test_dup_and_str(void **state)
{
	(void)state;
	char *d = text_sanitize_dup("\x1b[2Jmotd\x1b]0;x\x07", 15, 0);
	assert_string_equal(d, "motd");
	free(d);
	char s[] = "player\x1b[5m\n";
	assert_string_equal(text_sanitize_str(s, 0), "player ");
}

static void test_secret_names(void **state)
{
	(void)state;
	const char *secret[] = { "ansible_password", "ansible_become_password", "rcon_password",
				 "ansible_ssh_pass", "ansible_become_pass", "db_passwd",
				 "API_TOKEN", "github_token", "client_secret", "vault_secret_id",
				 "ssh_passphrase", "aws_secret_access_key", "stripe_api_key",
				 "apikey", "license_key", "Password", "pass", "credentials" };
	for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
		if (!text_secret_name(secret[i]))
			fail_msg("%s should be secret", secret[i]);
		assert_string_equal(text_redact(secret[i], "hunter2"), TEXT_REDACTED);
	}
	const char *shown[] = { "ansible_host", "ansible_port", "ansible_user", "game",
				"query_port", "rcon_port", "rcon_password_file",
				"ansible_ssh_private_key_file", "ssl_key_path", "keyboard",
				"monkey", "passenger", "tokenizer_file", "query_via", "" };
	for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++) {
		if (text_secret_name(shown[i]))
			fail_msg("%s should be shown", shown[i]);
		assert_string_equal(text_redact(shown[i], "v"), "v");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_utf8_untouched),
		cmocka_unit_test(test_c0_del_and_newlines),
		cmocka_unit_test(test_csi),
		cmocka_unit_test(test_osc_and_strings),
		cmocka_unit_test(test_other_escapes),
		cmocka_unit_test(test_c1),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_dup_and_str),
		cmocka_unit_test(test_secret_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
