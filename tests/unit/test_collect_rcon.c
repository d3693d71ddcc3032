/* collect (game, RCON): Source RCON packets byte for byte, a stream cut
 * anywhere or holding several packets, what servers really send (one NUL
 * or two), what is refused; then Minecraft's tps, mspt and list output as
 * Paper, Spigot and vanilla print it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/game.h"

#define SECT "\xc2\xa7" /* Minecraft's colour code sign */

static int unpack(const void *d, size_t n, struct rcon_packet *p, struct error *err)
{
	memset(err, 0, sizeof *err);
	int r = rcon_unpack(d, n, p, err);
	if (r < 0) {
		assert_null(strchr(err->msg, '\n'));
		assert_true(!strncmp(err->msg, "rcon: ", 6));
	}
	return r;
}

static void test_packet_bytes(void **state)
{
	/* size = 4 (id) + 4 (type) + 2 ("pw") + 2 (NULs) = 12, little endian. */
	static const unsigned char auth[] = {0x0c, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
					     0x03, 0x00, 0x00, 0x00, 'p',  'w',  0x00, 0x00};
	struct buf b = {0};
	rcon_packet(&b, 1, RCON_AUTH, "pw");
	assert_int_equal(b.len, sizeof auth);
	assert_memory_equal(b.data, auth, sizeof auth);
	/* Appends: a command can follow the auth in the same write. */
	rcon_packet(&b, -2, RCON_EXECCOMMAND, "");
	static const unsigned char cmd[] = {0x0a, 0x00, 0x00, 0x00, 0xfe, 0xff, 0xff, 0xff,
					    0x02, 0x00, 0x00, 0x00, 0x00, 0x00};
	assert_int_equal(b.len, sizeof auth + sizeof cmd);
	assert_memory_equal(b.data + sizeof auth, cmd, sizeof cmd);
	b.len = 0;
	rcon_packet(&b, 0x12345678, RCON_EXECCOMMAND, NULL);
	static const unsigned char big_id[] = {0x0a, 0x00, 0x00, 0x00, 0x78, 0x56, 0x34, 0x12};
	assert_memory_equal(b.data, big_id, sizeof big_id);
	buf_free(&b);
}

static void test_round_trip(void **state)
{
	static const struct {
		int32_t id, type;
		const char *body;
	} cases[] = {
		{1, RCON_AUTH, "hunter2"},
		{2, RCON_EXECCOMMAND, "list"},
		{-1, RCON_AUTH_RESPONSE, ""},
		{2147483647, RCON_RESPONSE_VALUE, "There are 0 of a max of 20 players online: "},
		{-2147483647 - 1, 99, "\xc3\xa9t\xc3\xa9 " SECT "6gold"},
	};
	struct buf b = {0};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		rcon_packet(&b, cases[i].id, cases[i].type, cases[i].body);
	/* All in one buffer, back to back: each comes out in turn. */
	size_t off = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rcon_packet p;
		struct error err;
		int n = unpack(b.data + off, b.len - off, &p, &err);
		assert_int_equal(n, (int)(14 + strlen(cases[i].body)));
		assert_int_equal(p.id, cases[i].id);
		assert_int_equal(p.type, cases[i].type);
		assert_int_equal(p.body_len, strlen(cases[i].body));
		assert_string_equal(p.body, cases[i].body);
		assert_ptr_equal(p.body, b.data + off + 12);
		off += (size_t)n;
	}
	assert_int_equal(off, b.len);
	buf_free(&b);
}

static void test_partial(void **state)
{
	/* Two packets cut at every offset: 0 until the first is whole. */
	struct buf b = {0};
	rcon_packet(&b, 7, RCON_RESPONSE_VALUE, "hello");
	size_t first = b.len;
	rcon_packet(&b, 8, RCON_RESPONSE_VALUE, "world");
	struct rcon_packet p;
	struct error err;
	for (size_t k = 0; k < first; k++)
		assert_int_equal(unpack(b.data, k, &p, &err), 0);
	for (size_t k = first; k <= b.len; k++) {
		assert_int_equal(unpack(b.data, k, &p, &err), (int)first);
		assert_string_equal(p.body, "hello");
	}
	for (size_t k = first; k < b.len; k++)
		assert_int_equal(unpack(b.data + first, k - first, &p, &err), 0);
	assert_int_equal(unpack(b.data + first, b.len - first, &p, &err), (int)(b.len - first));
	assert_int_equal(p.id, 8);
	assert_string_equal(p.body, "world");
	assert_int_equal(unpack(NULL, 0, &p, &err), 0);
	buf_free(&b);
}

static void test_real_servers(void **state)
{
	struct rcon_packet p;
	struct error err;
	/* Minecraft's auth reply: id echoed, type 2, empty body, two NULs. */
	static const unsigned char mc_auth[] = {0x0a, 0, 0, 0, 0x2a, 0, 0, 0, 0x02, 0, 0, 0, 0, 0};
	assert_int_equal(unpack(mc_auth, sizeof mc_auth, &p, &err), 14);
	assert_int_equal(p.id, 42);
	assert_int_equal(p.type, RCON_AUTH_RESPONSE);
	assert_int_equal(p.body_len, 0);
	assert_string_equal(p.body, "");
	/* Minecraft's wrong password: id -1. */
	static const unsigned char mc_bad[] = {0x0a, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0};
	assert_int_equal(unpack(mc_bad, sizeof mc_bad, &p, &err), 14);
	assert_int_equal(p.id, -1);
	/* One NUL counted in the size, as some servers end a packet: the
	 * body is the same and the next packet is found where it starts. */
	static const unsigned char one_nul[] = {0x0c, 0, 0, 0, 0x05, 0, 0, 0, 0x00, 0, 0, 0, 'a', 'b', 'c', 0,
						0x0a, 0, 0, 0, 0x06, 0, 0, 0, 0x00, 0, 0, 0, 0, 0};
	assert_int_equal(unpack(one_nul, sizeof one_nul, &p, &err), 16);
	assert_int_equal(p.body_len, 3);
	assert_string_equal(p.body, "abc");
	assert_int_equal(unpack(one_nul + 16, sizeof one_nul - 16, &p, &err), 14);
	assert_int_equal(p.id, 6);
	/* SRCDS's end-of-response marker after a mirrored empty
	 * RESPONSE_VALUE: body bytes 00 01 00 00, read as empty. */
	static const unsigned char marker[] = {0x0c, 0, 0, 0, 0x09, 0, 0, 0, 0x00, 0, 0, 0, 0x00, 0x01, 0x00, 0x00};
	assert_int_equal(unpack(marker, sizeof marker, &p, &err), 16);
	assert_int_equal(p.body_len, 0);
	/* An embedded NUL cuts the body there. */
	static const unsigned char embedded[] = {0x0f, 0, 0, 0, 0x01, 0, 0, 0, 0x00, 0, 0, 0, 'a', 'b', 0, 'c', 'd', 0, 0};
	assert_int_equal(unpack(embedded, sizeof embedded, &p, &err), 19);
	assert_int_equal(p.body_len, 2);
	assert_string_equal(p.body, "ab");
}

static void test_refused(void **state)
{
	struct rcon_packet p;
	struct error err;
	/* Size below 10, zero, negative: refused from the 4 size bytes alone. */
	static const unsigned char nine[] = {0x09, 0, 0, 0};
	assert_int_equal(unpack(nine, sizeof nine, &p, &err), -1);
	assert_non_null(strstr(err.msg, "out of range"));
	static const unsigned char zero[] = {0, 0, 0, 0};
	assert_int_equal(unpack(zero, sizeof zero, &p, &err), -1);
	static const unsigned char neg[] = {0xff, 0xff, 0xff, 0xff};
	assert_int_equal(unpack(neg, sizeof neg, &p, &err), -1);
	/* Over RCON_MAX_BODY + 10, and the largest allowed. */
	unsigned char *big = calloc(1, RCON_MAX_BODY + 14 + 1);
	assert_non_null(big);
	int32_t size = RCON_MAX_BODY + 11;
	memcpy(big, (unsigned char[]){(unsigned char)size, (unsigned char)(size >> 8),
				      (unsigned char)(size >> 16), 0},
	       4);
	assert_int_equal(unpack(big, 4, &p, &err), -1);
	size = RCON_MAX_BODY + 10;
	memcpy(big, (unsigned char[]){(unsigned char)size, (unsigned char)(size >> 8),
				      (unsigned char)(size >> 16), 0},
	       4);
	memset(big + 12, 'x', RCON_MAX_BODY);
	assert_int_equal(unpack(big, 4, &p, &err), 0);
	assert_int_equal(unpack(big, RCON_MAX_BODY + 14, &p, &err), RCON_MAX_BODY + 14);
	assert_int_equal(p.body_len, RCON_MAX_BODY);
	free(big);
	/* No terminating NUL. */
	static const unsigned char no_nul[] = {0x0c, 0, 0, 0, 0x01, 0, 0, 0, 0x00, 0, 0, 0, 'a', 'b', 'c', 'd'};
	assert_int_equal(unpack(no_nul, sizeof no_nul, &p, &err), -1);
	assert_non_null(strstr(err.msg, "NUL"));
	static const unsigned char half[] = {0x0a, 0, 0, 0, 0x01, 0, 0, 0, 0x00, 0, 0, 0, 0, 'x'};
	assert_int_equal(unpack(half, sizeof half, &p, &err), -1);
	/* Something else on the port: an HTTP reply is a huge size. */
	static const char http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
	assert_int_equal(unpack(http, sizeof http - 1, &p, &err), -1);
}

/* ---- Minecraft command output ---- */

static void check_err(struct error *err)
{
	assert_true(!strncmp(err->msg, "minecraft: ", 11));
	assert_null(strchr(err->msg, '\n'));
}

static int tps(const char *s, double *v, struct error *err)
{
	memset(err, 0, sizeof *err);
	int r = mc_parse_tps(s, strlen(s), v, err);
	if (r < 0)
		check_err(err);
	return r;
}

static int mspt(const char *s, double *v, struct error *err)
{
	memset(err, 0, sizeof *err);
	int r = mc_parse_mspt(s, strlen(s), v, err);
	if (r < 0)
		check_err(err);
	return r;
}

static int list(const char *s, struct game_status *out, struct error *err)
{
	memset(err, 0, sizeof *err);
	int r = mc_parse_list(s, strlen(s), out, err);
	if (r < 0) {
		check_err(err);
		assert_null(out->list);
		assert_int_equal(out->players, 0);
	}
	return r;
}

static void test_tps(void **state)
{
	double v = -1;
	struct error err;
	/* Paper and Spigot, as RCON returns them. */
	assert_int_equal(tps(SECT "6TPS from last 1m, 5m, 15m: " SECT "a20.0, " SECT "a20.0, " SECT "a20.0",
			     &v, &err),
			 0);
	assert_true(v == 20.0);
	assert_int_equal(tps(SECT "6TPS from last 1m, 5m, 15m: " SECT "a*20.0, " SECT "a19.97, " SECT "e17.5\n",
			     &v, &err),
			 0);
	assert_true(v == 20.0);
	assert_int_equal(tps(SECT "6TPS from last 1m, 5m, 15m: " SECT "e17.43, " SECT "a19.97, " SECT "a*20.0",
			     &v, &err),
			 0);
	assert_float_equal(v, 17.43, 1e-9);
	/* Uncoloured (Paper with plain-text RCON). */
	assert_int_equal(tps("TPS from last 1m, 5m, 15m: 12.5, 19.97, 20.0", &v, &err), 0);
	assert_float_equal(v, 12.5, 1e-9);
	/* Purpur/Pufferfish add 5s in front: the 1m figure is the second. */
	assert_int_equal(tps(SECT "6TPS from last 5s, 1m, 5m, 15m: " SECT "a19.1, " SECT "a18.2, " SECT "a20.0, " SECT "a20.0",
			     &v, &err),
			 0);
	assert_float_equal(v, 18.2, 1e-9);
	/* A whole number. */
	assert_int_equal(tps("TPS from last 1m, 5m, 15m: 3, 4, 5", &v, &err), 0);
	assert_true(v == 3.0);

	/* Vanilla has no tps command. */
	assert_int_equal(tps("Unknown or incomplete command, see below for error\ntps<--[HERE]", &v, &err), -1);
	assert_non_null(strstr(err.msg, "no tps command"));
	assert_non_null(strstr(err.msg, "Unknown or incomplete command"));
	assert_int_equal(tps("", &v, &err), -1);
	assert_int_equal(tps("TPS from last 1m, 5m, 15m:", &v, &err), -1);
	assert_int_equal(tps("TPS from last 1m, 5m, 15m: nan, 1, 2", &v, &err), -1);
	assert_int_equal(tps("TPS from last 1m, 5m, 15m: -1.0, 1, 2", &v, &err), -1);
	assert_int_equal(tps("TPS from last 5m, 15m: 20.0, 20.0", &v, &err), -1);
	assert_non_null(strstr(err.msg, "no 1m"));
	assert_int_equal(tps("TPS from last 5s, 1m: 20.0", &v, &err), -1);
	assert_int_equal(tps("TPS from last 1m: 99999.0", &v, &err), -1);
	assert_int_equal(tps("TPS from last 1m\n: 20.0", &v, &err), -1);
	/* Not NUL-terminated: the length is what counts. */
	static const char cut[] = "TPS from last 1m, 5m, 15m: 19.5, 1, 1";
	assert_int_equal(mc_parse_tps(cut, 31, &v, &err), 0);
	assert_float_equal(v, 19.5, 1e-9);
	assert_int_equal(mc_parse_tps(cut, 27, &v, &err), -1);
}

static void test_mspt(void **state)
{
	double v = -1;
	struct error err;
	static const char paper[] =
		SECT "6Server tick times " SECT "e(" SECT "7avg" SECT "e/" SECT "7min" SECT "e/" SECT "7max" SECT "e)"
		SECT "6 from last 5s" SECT "7," SECT "6 10s" SECT "7," SECT "6 1m" SECT "e:\n"
		SECT "6\xe2\x97\xb4 " SECT "a2.1" SECT "7/" SECT "a1.0" SECT "7/" SECT "a5.2" SECT "e, "
		SECT "a2.0" SECT "7/" SECT "a0.9" SECT "7/" SECT "a6.0" SECT "e, "
		SECT "a2.2" SECT "7/" SECT "a0.8" SECT "7/" SECT "a9.9";
	assert_int_equal(mspt(paper, &v, &err), 0);
	assert_float_equal(v, 2.1, 1e-9);
	/* Plain, and with a JVM in a locale that writes decimal commas. */
	assert_int_equal(mspt("Server tick times (avg/min/max) from last 5s, 10s, 1m:\n"
			      "\xe2\x97\xb4 48.7/1.0/5.2, 2.0/0.9/6.0, 2.2/0.8/9.9",
			      &v, &err),
			 0);
	assert_float_equal(v, 48.7, 1e-9);
	assert_int_equal(mspt("Server tick times (avg/min/max) from last 5s, 10s, 1m:\n"
			      "\xe2\x97\xb4 12,5/1,0/5,2, 2,0/0,9/6,0, 2,2/0,8/9,9",
			      &v, &err),
			 0);
	assert_float_equal(v, 12.5, 1e-9);

	assert_int_equal(mspt("Unknown or incomplete command, see below for error\nmspt<--[HERE]", &v, &err), -1);
	assert_non_null(strstr(err.msg, "no mspt command"));
	assert_int_equal(mspt("Server tick times (avg/min/max) from last 5s, 10s, 1m:\n", &v, &err), -1);
	assert_int_equal(mspt("Server tick times (avg/min/max) from last 5s, 10s, 1m: x2.1/1/1", &v, &err), -1);
	assert_int_equal(mspt("Server tick times", &v, &err), -1);
	assert_int_equal(mspt("Server tick times: 2.1, 3", &v, &err), -1);
	assert_int_equal(mspt("TPS from last 1m, 5m, 15m: 20.0, 20.0, 20.0", &v, &err), -1);
}

static void test_list(void **state)
{
	struct game_status s;
	struct error err;
	assert_int_equal(list("There are 2 of a max of 20 players online: alice, bob", &s, &err), 0);
	assert_int_equal(s.players, 2);
	assert_int_equal(s.players_max, 20);
	assert_int_equal(s.nlist, 2);
	assert_string_equal(s.list[0].name, "alice");
	assert_string_equal(s.list[1].name, "bob");
	assert_int_equal(s.list[1].ping, 0);
	game_status_free(&s);

	assert_int_equal(list("There are 0 of a max of 20 players online: ", &s, &err), 0);
	assert_int_equal(s.players, 0);
	assert_int_equal(s.players_max, 20);
	assert_int_equal(s.nlist, 0);
	assert_null(s.list);
	game_status_free(&s);

	/* Older servers and Bukkit: count/max, names on the next line. */
	assert_int_equal(list("There are 2/20 players online:\nalice, bob\n", &s, &err), 0);
	assert_int_equal(s.players, 2);
	assert_int_equal(s.players_max, 20);
	assert_int_equal(s.nlist, 2);
	assert_string_equal(s.list[1].name, "bob");
	game_status_free(&s);
	assert_int_equal(list("There are 0/20 players online:\n", &s, &err), 0);
	assert_int_equal(s.nlist, 0);
	game_status_free(&s);

	/* Colour codes around and in names; a control byte in one. */
	assert_int_equal(list(SECT "6There are " SECT "c3" SECT "6 of a max of " SECT "c100" SECT "6 players online: "
			      SECT "c[Admin] " SECT "ralice" SECT "r, b\x01ob, carol",
			      &s, &err),
			 0);
	assert_int_equal(s.players, 3);
	assert_int_equal(s.players_max, 100);
	assert_int_equal(s.nlist, 3);
	assert_string_equal(s.list[0].name, "[Admin] alice");
	assert_string_equal(s.list[1].name, "b?ob");
	assert_string_equal(s.list[2].name, "carol");
	game_status_free(&s);

	/* More names than the count: the count wins, the list never outgrows it. */
	assert_int_equal(list("There are 1 of a max of 20 players online: a, b, c", &s, &err), 0);
	assert_int_equal(s.players, 1);
	assert_int_equal(s.nlist, 1);
	game_status_free(&s);

	/* 300 names: GAME_MAX_PLAYERS kept. */
	struct buf b = {0};
	buf_puts(&b, "There are 300 of a max of 500 players online: ");
	for (int i = 0; i < 300; i++)
		buf_printf(&b, "%sp%d", i ? ", " : "", i);
	assert_int_equal(list(b.data, &s, &err), 0);
	assert_int_equal(s.players, 300);
	assert_int_equal(s.nlist, GAME_MAX_PLAYERS);
	assert_string_equal(s.list[255].name, "p255");
	game_status_free(&s);
	buf_free(&b);

	assert_int_equal(list("Unknown or incomplete command, see below for error\nlis<--[HERE]", &s, &err), -1);
	assert_non_null(strstr(err.msg, "no list command"));
	assert_int_equal(list("", &s, &err), -1);
	assert_int_equal(list("There are x of a max of 20 players online: a", &s, &err), -1);
	assert_int_equal(list("There are 2 of a max of players online: a", &s, &err), -1);
	assert_int_equal(list("There are 2 of 20 players online: a", &s, &err), -1);
	assert_int_equal(list("There are 2 of a max of 20 players: a", &s, &err), -1);
	assert_int_equal(list("There are 99999999 of a max of 20 players online: a", &s, &err), -1);
	assert_int_equal(list("There are -1 of a max of 20 players online: a", &s, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_packet_bytes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_real_servers),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_tps),
		cmocka_unit_test(test_mspt),
		cmocka_unit_test(test_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
