/* collect (game, Quake 3 family): getstatus requests and statusResponse
 * replies as ioquake3/OpenArena and DarkPlaces (Xonotic) send them, then
 * everything a hostile or broken peer could send instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/game.h"

#define OOB "\xff\xff\xff\xff"

/* ioquake3 1.36 (SV_Status): the serverinfo cvars, the echoed challenge
 * appended last, then "%i %i \"%s\"\n" per client. Two bots (ping 0). */
static const char ioq3_reply[] =
	OOB "statusResponse\n"
	"\\sv_hostname\\^1Fleet ^7DM ^3#1\\sv_maxclients\\16\\sv_privateClients\\2"
	"\\mapname\\q3dm17\\g_gametype\\0\\sv_floodProtect\\1\\sv_maxRate\\25000"
	"\\dmflags\\0\\fraglimit\\20\\timelimit\\0\\version\\ioq3 1.36_GIT_ada2e5a-2023-04-03 linux-x86_64 Apr  3 2023"
	"\\protocol\\68\\g_needpass\\0\\sv_allowDownload\\0\\g_humanplayers\\2\\challenge\\12345\n"
	"12 48 \"^1Rail^7Gun\"\n"
	"7 0 \"Sarge\"\n"
	"-1 999 \"^4new^7comer\"\n"
	"3 0 \"Major\"\n"
	"0 15 \"UnnamedPlayer\"\n";

/* OpenArena 0.8.8: same format, no challenge echo (request sent none). */
static const char oa_reply[] =
	OOB "statusResponse\n"
	"\\sv_hostname\\^3OA ^7Instagib\\sv_maxclients\\12\\mapname\\oasago2"
	"\\g_gametype\\3\\g_instantgib\\1\\version\\ioq3+oa 1.35 linux-x86_64\\protocol\\71\n"
	"25 62 \"^2Grism\"\n";

/* DarkPlaces (Xonotic 0.8.6): "hostname", not "sv_hostname", qcstatus, the
 * challenge, then "%d %d %d \"%s\"\n" (frags ping team name); spectators
 * have frags -666. */
static const char dp_reply[] =
	OOB "statusResponse\n"
	"\\gamename\\Xonotic\\modname\\data\\gameversion\\806\\sv_maxclients\\24"
	"\\clients\\3\\bots\\1\\mapname\\stormkeep\\hostname\\^xF80Xon^7otic ^^ Fleet"
	"\\protocol\\3\\qcstatus\\dm:0.8.6:P0:S3:F4::score!!,\\d0_blind_id\\1 2 3 4\\challenge\\4242\n"
	"31 54 1 \"^x0AFZo\xc3\xab^7\"\n"
	"17 0 2 \"[BOT]Lion\"\n"
	"-666 120 0 \"spec\"\n";

static int parse(const void *d, size_t n, unsigned ch, struct game_status *s, struct error *err)
{
	memset(err, 0, sizeof *err);
	int r = q3_status_parse(d, n, ch, s, err);
	if (r < 0) {
		/* A refused reply leaves nothing to free and one line to show. */
		assert_null(s->list);
		assert_int_equal(s->players, 0);
		assert_true(err->msg[0]);
		assert_null(strchr(err->msg, '\n'));
		assert_non_null(strstr(err->msg, "q3 status: "));
	}
	return r;
}

static void expect_refused(const void *d, size_t n, unsigned ch, const char *why)
{
	struct game_status s;
	struct error err;
	assert_int_equal(parse(d, n, ch, &s, &err), -1);
	if (!strstr(err.msg, why))
		fail_msg("expected '%s' in '%s'", why, err.msg);
}

static void test_request(void **state)
{
	char buf[64];
	assert_int_equal(q3_status_request(buf, sizeof buf, 0), 14);
	assert_memory_equal(buf, OOB "getstatus\n", 15);
	assert_int_equal(q3_status_request(buf, sizeof buf, 12345), 20);
	assert_memory_equal(buf, OOB "getstatus 12345\n", 21);
	assert_int_equal(q3_status_request(buf, sizeof buf, 4294967295u), 25);
	assert_memory_equal(buf, OOB "getstatus 4294967295\n", 26);
	assert_int_equal(q3_status_request(buf, 20, 12345), -1);
	assert_int_equal(q3_status_request(buf, 21, 12345), 20);
	assert_int_equal(q3_status_request(NULL, 0, 0), -1);
}

static void test_ioq3(void **state)
{
	struct game_status s;
	struct error err;
	assert_int_equal(parse(ioq3_reply, sizeof ioq3_reply - 1, 12345, &s, &err), 0);
	assert_string_equal(s.name, "Fleet DM #1");
	assert_string_equal(s.map, "q3dm17");
	assert_int_equal(s.players, 5);
	assert_int_equal(s.players_max, 14);
	assert_int_equal(s.bots, 2);
	assert_int_equal(s.nlist, 5);
	assert_string_equal(s.list[0].name, "RailGun");
	assert_int_equal(s.list[0].score, 12);
	assert_int_equal(s.list[0].ping, 48);
	assert_string_equal(s.list[2].name, "newcomer");
	assert_int_equal(s.list[2].score, -1);
	assert_int_equal(s.list[2].ping, 999);
	assert_string_equal(s.list[4].name, "UnnamedPlayer");
	game_status_free(&s);
	assert_null(s.list);
	game_status_free(&s);
}

static void test_openarena(void **state)
{
	struct game_status s;
	struct error err;
	assert_int_equal(parse(oa_reply, sizeof oa_reply - 1, 0, &s, &err), 0);
	assert_string_equal(s.name, "OA Instagib");
	assert_string_equal(s.map, "oasago2");
	assert_int_equal(s.players_max, 12);
	assert_int_equal(s.players, 1);
	assert_int_equal(s.bots, 0);
	assert_string_equal(s.list[0].name, "Grism");
	game_status_free(&s);
	/* A server that does not echo the challenge is still believed. */
	assert_int_equal(parse(oa_reply, sizeof oa_reply - 1, 999, &s, &err), 0);
	game_status_free(&s);
}

static void test_darkplaces(void **state)
{
	struct game_status s;
	struct error err;
	assert_int_equal(parse(dp_reply, sizeof dp_reply - 1, 4242, &s, &err), 0);
	assert_string_equal(s.name, "Xonotic ^ Fleet");
	assert_string_equal(s.map, "stormkeep");
	assert_int_equal(s.players_max, 24);
	assert_int_equal(s.players, 3);
	assert_int_equal(s.bots, 1);
	assert_string_equal(s.list[0].name, "Zo\xc3\xab");
	assert_int_equal(s.list[0].score, 31);
	assert_int_equal(s.list[0].ping, 54);
	assert_string_equal(s.list[1].name, "[BOT]Lion");
	assert_int_equal(s.list[2].score, -666);
	game_status_free(&s);
}

static const char *one_name(const char *line_name, struct game_status *s)
{
	char reply[512];
	struct error err;
	int n = snprintf(reply, sizeof reply, OOB "statusResponse\n\\mapname\\x\n1 2 \"%s\"\n",
			 line_name);
	assert_int_equal(parse(reply, (size_t)n, 0, s, &err), 0);
	assert_int_equal(s->nlist, 1);
	return s->list[0].name;
}

static void test_names(void **state)
{
	struct game_status s;
	const struct {
		const char *in, *out;
	} cases[] = {
		{ "^1Red^7Rocket", "RedRocket" },
		{ "^^caret", "^caret" },
		{ "^xF00Hot^xzz", "Hotzz" },    /* ^x + non-hex: plain colour ^x */
		{ "end^", "end^" },
		{ "^ space", "^ space" },        /* ^ + space is no colour code */
		{ "\x01" "bad\x7f\x1b[2J", "?bad??[2J" },
		{ "hi\xff\xfe", "hi??" },
		{ "\xc0\xaf", "??" },            /* overlong '/' */
		{ "\xed\xa0\x80", "???" },       /* surrogate */
		{ "\xc2\x9b" "31m", "??31m" },   /* C1 CSI */
		{ "\xe2\x98\x83snow", "\xe2\x98\x83snow" },
		{ "say \"hi\"", "say \"hi\"" },  /* name ends at the last quote */
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *got = one_name(cases[i].in, &s);
		if (strcmp(got, cases[i].out))
			fail_msg("case %zu: got '%s' want '%s'", i, got, cases[i].out);
		game_status_free(&s);
	}
	/* 70 bytes of ASCII keep 63; a 2-byte letter straddling the end goes whole. */
	char longname[80];
	memset(longname, 'a', 70);
	longname[70] = '\0';
	assert_int_equal(strlen(one_name(longname, &s)), 63);
	game_status_free(&s);
	memset(longname, 'a', 62);
	memcpy(longname + 62, "\xc3\xa9zz", 5);
	const char *n = one_name(longname, &s);
	assert_int_equal(strlen(n), 62);
	assert_int_equal(n[61], 'a');
	game_status_free(&s);
}

static void test_empty_server(void **state)
{
	static const char r[] = OOB "statusResponse\n\\sv_hostname\\Empty\\mapname\\q3dm1\\sv_maxclients\\8\n";
	struct game_status s;
	struct error err;
	assert_int_equal(parse(r, sizeof r - 1, 0, &s, &err), 0);
	assert_int_equal(s.players, 0);
	assert_int_equal(s.nlist, 0);
	assert_null(s.list);
	assert_int_equal(s.players_max, 8);
	game_status_free(&s);
	/* Nothing at all in the info line still parses: the server said so. */
	static const char bare[] = OOB "statusResponse\n\n";
	assert_int_equal(parse(bare, sizeof bare - 1, 0, &s, &err), 0);
	assert_string_equal(s.map, "");
	assert_int_equal(s.players_max, 0);
	game_status_free(&s);
}

static void test_truncated(void **state)
{
	size_t n = sizeof ioq3_reply - 1;
	expect_refused(ioq3_reply, 18, 12345, "truncated after the header");
	expect_refused(ioq3_reply, 60, 12345, "truncated in the server info");
	expect_refused(ioq3_reply, n - 5, 12345, "truncated in player line 5");
	expect_refused(ioq3_reply, n - 1, 12345, "truncated in player line 5");
	expect_refused(ioq3_reply, 3, 0, "no \\xff");
	expect_refused("", 0, 0, "no \\xff");
	expect_refused(NULL, 0, 0, "no \\xff");
	/* Every cut either parses or is refused cleanly (parse() checks). */
	for (size_t i = 0; i <= n; i++) {
		struct game_status s;
		struct error err;
		if (parse(ioq3_reply, i, 12345, &s, &err) == 0)
			game_status_free(&s);
	}
}

static void test_missing_header(void **state)
{
	static const char noff[] = "statusResponse\n\\mapname\\q3dm1\n";
	expect_refused(noff, sizeof noff - 1, 0, "not a Quake reply");
	static const char info[] = OOB "infoResponse\n\\mapname\\q3dm1\n";
	expect_refused(info, sizeof info - 1, 0, "reply is 'infoResponse', not statusResponse");
	static const char print[] = OOB "print\nNo such command\n";
	expect_refused(print, sizeof print - 1, 0, "reply is 'print'");
	static const char glued[] = OOB "statusResponseX\n\\mapname\\q3dm1\n";
	expect_refused(glued, sizeof glued - 1, 0, "no end of line after statusResponse");
}

static void test_challenge(void **state)
{
	size_t n = sizeof ioq3_reply - 1;
	expect_refused(ioq3_reply, n, 12346, "not 12346 (spoofed or stale)");
	expect_refused(ioq3_reply, n, 1234, "'12345', not 1234");
	expect_refused(ioq3_reply, n, 0, "but none was sent");
	/* A second, different echo after a right one is still spoofing. */
	static const char two[] = OOB "statusResponse\n\\challenge\\7\\challenge\\8\n";
	expect_refused(two, sizeof two - 1, 7, "'8', not 7");
	static const char pad[] = OOB "statusResponse\n\\challenge\\007\n";
	expect_refused(pad, sizeof pad - 1, 7, "'007', not 7");
	static const char ctl[] = OOB "statusResponse\n\\challenge\\\x1b[31m\n";
	expect_refused(ctl, sizeof ctl - 1, 7, "'?[31m'");
	struct game_status s;
	struct error err;
	static const char caps[] = OOB "statusResponse\n\\CHALLENGE\\7\n";
	assert_int_equal(parse(caps, sizeof caps - 1, 7, &s, &err), 0);
	game_status_free(&s);
}

static void test_oversized(void **state)
{
	size_t n = GAME_MAX_REPLY + 1;
	char *big = malloc(n);
	assert_non_null(big);
	int h = snprintf(big, n, OOB "statusResponse\n\\mapname\\big\n");
	/* Filled with valid player lines so only the size can refuse it. */
	for (size_t i = (size_t)h; i < n; i++)
		big[i] = "1 2 \"x\"\n"[(i - (size_t)h) % 8];
	expect_refused(big, n, 0, "over the 65536 byte limit");
	struct game_status s;
	struct error err;
	size_t fit = (size_t)h + (GAME_MAX_REPLY - (size_t)h) / 8 * 8;
	assert_int_equal(parse(big, fit, 0, &s, &err), 0);
	assert_int_equal(s.players, (int)((fit - (size_t)h) / 8));
	assert_int_equal(s.nlist, GAME_MAX_PLAYERS);
	game_status_free(&s);
	free(big);
}

static void test_junk(void **state)
{
	static const char nul[] = OOB "statusResponse\n\\mapname\\q3\0dm1\n";
	expect_refused(nul, sizeof nul - 1, 0, "NUL byte at offset 30");
	const char *bad_lines[] = {
		"x 2 \"n\"", "1 2 n", "1 \"n\"", "1 2 \"n", "1 2 \"n\" x", "1  -2 \"n\"",
		"1 2 3 4 \"n\"", "99999999999 2 \"n\"", "1\t2 \"n\"", "1 2 t \"n\"", "-",
	};
	const char *why[] = {
		"score is not", "team is not", "ping is not", "name has no closing quote",
		"text after the name", "ping is not", "name is not quoted", "score is not",
		"no space after score", "team is not", "score is not",
	};
	for (size_t i = 0; i < sizeof bad_lines / sizeof bad_lines[0]; i++) {
		char r[128];
		int n = snprintf(r, sizeof r, OOB "statusResponse\n\\mapname\\m\n1 2 \"ok\"\n%s\n",
				 bad_lines[i]);
		char want[64];
		snprintf(want, sizeof want, "player line 2: %s", why[i]);
		expect_refused(r, (size_t)n, 0, want);
	}
	/* Random bytes behind a right header: never a crash or leak. */
	unsigned seed = 1;
	for (int round = 0; round < 2000; round++) {
		char r[300];
		memcpy(r, OOB "statusResponse\n", 19);
		size_t n = 19 + (size_t)(round % 280);
		for (size_t i = 19; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Biased to the bytes that matter to the parser. */
			const char pick[] = "\\\n\" 0123456789-^x\r\xff\xc3\xa9" "a";
			r[i] = (seed >> 16) % 3 ? pick[(seed >> 8) % (sizeof pick - 1)] : (char)(seed >> 8);
		}
		struct game_status s;
		struct error err;
		if (parse(r, n, 0, &s, &err) == 0) {
			assert_true(s.nlist <= s.players && s.bots <= s.players);
			game_status_free(&s);
		}
	}
}

static void test_many_players(void **state)
{
	/* 300 lines: all are counted (the server has 300 players), the first
	 * 256 are kept; bots count over all lines too. */
	size_t cap = 300 * 32 + 128, n;
	char *r = malloc(cap);
	assert_non_null(r);
	n = (size_t)snprintf(r, cap, OOB "statusResponse\n\\sv_maxclients\\512\\mapname\\big\n");
	for (int i = 0; i < 300; i++)
		n += (size_t)snprintf(r + n, cap - n, "%d %d \"p%d\"\n", i, i >= 250 ? 0 : 30, i);
	struct game_status s;
	struct error err;
	assert_int_equal(parse(r, n, 0, &s, &err), 0);
	assert_int_equal(s.players, 300);
	assert_int_equal(s.nlist, GAME_MAX_PLAYERS);
	assert_int_equal(s.bots, 50);
	assert_int_equal(s.players_max, 512);
	assert_string_equal(s.list[255].name, "p255");
	assert_int_equal(s.list[255].score, 255);
	game_status_free(&s);
	free(r);
}

static void test_odd_info(void **state)
{
	struct game_status s;
	struct error err;
	/* A dangling key reads as empty; empty keys and values are skipped. */
	static const char odd[] = OOB "statusResponse\n\\mapname\\q3dm6\\\\\\sv_maxclients\n1 5 \"a\"\n";
	assert_int_equal(parse(odd, sizeof odd - 1, 0, &s, &err), 0);
	assert_string_equal(s.map, "q3dm6");
	assert_int_equal(s.players_max, 0);
	assert_int_equal(s.players, 1);
	game_status_free(&s);
	/* No leading backslash, CRLF lines, junk numbers read as unknown. */
	static const char loose[] = OOB "statusResponse\nmapname\\q3tourney2\\sv_maxclients\\lots"
					"\\sv_privateClients\\-1\r\n1 5 \"a\"\r\n\r\n";
	assert_int_equal(parse(loose, sizeof loose - 1, 0, &s, &err), 0);
	assert_string_equal(s.map, "q3tourney2");
	assert_int_equal(s.players_max, 0);
	assert_int_equal(s.players, 1);
	game_status_free(&s);
	/* More private slots than slots: none public, not negative. */
	static const char priv[] = OOB "statusResponse\n\\sv_maxclients\\4\\sv_privateClients\\8\n";
	assert_int_equal(parse(priv, sizeof priv - 1, 0, &s, &err), 0);
	assert_int_equal(s.players_max, 0);
	game_status_free(&s);
	/* Last value wins for repeated keys. */
	static const char twice[] = OOB "statusResponse\n\\mapname\\a\\mapname\\b\n";
	assert_int_equal(parse(twice, sizeof twice - 1, 0, &s, &err), 0);
	assert_string_equal(s.map, "b");
	game_status_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_ioq3),
		cmocka_unit_test(test_openarena),
		cmocka_unit_test(test_darkplaces),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_empty_server),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_missing_header),
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_junk),
		cmocka_unit_test(test_many_players),
		cmocka_unit_test(test_odd_info),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
