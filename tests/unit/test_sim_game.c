/* sim: the simulated game servers' wire formats (Quake 3 getstatus, A2S
 * with its challenge and split packets, Server List Ping, RCON), the model
 * behind them (names, TPS, tick times, the game process restarting with
 * the leak) and the game-process probe's frames. The real clients
 * (gamedig, rcon-client, ssh) are in tests/integration/sim_games.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/core.h"
#include "sim/game.h"
#include "sim/model.h"

static const struct model_clock clk = { .start_mono_ms = 1000, .start_wall_s = 1700000000,
					.time_scale = 1 };

/* A view as a server shows it, without the model. */
static struct gsrv_view view(enum sim_game g, int players, int max)
{
	struct gsrv_view v;
	memset(&v, 0, sizeof v);
	v.game = g;
	snprintf(v.hostname, sizeof v.hostname, "%s", g == GAME_QUAKE ? "q3-01" : "mc-eu-01");
	v.seed = 42;
	v.players = players;
	v.max_players = max;
	v.bots = g == GAME_QUAKE && players ? 2 : 0;
	snprintf(v.map, sizeof v.map, "%s", g == GAME_QUAKE ? "oa_dm2" : "Dedicated");
	v.map_s = 300;
	v.real_s = 1000;
	for (int i = 0; i < 3; i++) {
		v.tps[i] = 20;
		v.mspt[i][0] = 12.1, v.mspt[i][1] = 8, v.mspt[i][2] = 30.2;
	}
	v.game_port = 2456;
	return v;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int count_lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- Quake 3 ---- */

static int q3(const struct gsrv_view *v, const char *req, size_t len, struct buf *out)
{
	buf_reset(out);
	int r = gsrv_q3_answer(v, (const unsigned char *)req, len, out);
	buf_append(out, "", 1); /* NUL for string checks */
	out->len--;
	return r;
}

static void test_q3_status(void **state)
{
	(void)state;
	struct gsrv_view v = view(GAME_QUAKE, 5, 16);
	struct buf out = { 0 };
	const char req[] = "\xff\xff\xff\xffgetstatus 8812\n";
	assert_int_equal(q3(&v, req, sizeof req - 1, &out), 1);
	assert_true(str_starts_with(out.data, "\xff\xff\xff\xffstatusResponse\n\\"));
	assert_non_null(strstr(out.data, "\\sv_hostname\\q3-01"));
	assert_non_null(strstr(out.data, "\\mapname\\oa_dm2\\"));
	assert_non_null(strstr(out.data, "\\sv_maxclients\\16\\"));
	assert_non_null(strstr(out.data, "\\challenge\\8812\n"));
	/* Info line, then 5 players and 2 bots with ping 0, bots last. */
	assert_int_equal(count_lines(out.data), 1 + 1 + 7);
	char *line = strchr(out.data + 4, '\n') + 1;
	line = strchr(line, '\n') + 1;
	for (int k = 0; k < 7; k++) {
		int score, ping;
		char name[64];
		assert_int_equal(sscanf(line, "%d %d \"%63[^\"]\"", &score, &ping, name), 3);
		if (k < 5)
			assert_true(ping > 0 && ping < 400);
		else
			assert_int_equal(ping, 0);
		line = strchr(line, '\n') + 1;
	}

	/* gamedig ends its request with a NUL, not a newline; any case. */
	const char bare[] = "\xff\xff\xff\xffGETSTATUS";
	assert_int_equal(q3(&v, bare, sizeof bare, &out), 1);
	assert_null(strstr(out.data, "challenge"));
	/* A challenge that would break the info string is not echoed. */
	const char bs[] = "\xff\xff\xff\xffgetstatus a\\b\n";
	assert_int_equal(q3(&v, bs, sizeof bs - 1, &out), 1);
	assert_null(strstr(out.data, "challenge"));
	/* Nobody playing: no bots either. */
	struct gsrv_view empty = view(GAME_QUAKE, 0, 16);
	assert_int_equal(q3(&empty, req, sizeof req - 1, &out), 1);
	assert_int_equal(count_lines(out.data), 2);

	/* Not answered: other commands, no header, an overlong challenge. */
	const char info[] = "\xff\xff\xff\xffgetinfo\n";
	assert_int_equal(q3(&v, info, sizeof info - 1, &out), 0);
	assert_int_equal(q3(&v, "getstatus\n", 10, &out), 0);
	assert_int_equal(q3(&v, "\xff\xff\xff", 3, &out), 0);
	char longc[300];
	int n = snprintf(longc, sizeof longc, "\xff\xff\xff\xffgetstatus ");
	memset(longc + n, 'x', 129);
	assert_int_equal(q3(&v, longc, (size_t)n + 129, &out), 0);
	buf_free(&out);
}

/* ---- A2S ---- */

static const char info_req[] = "\xff\xff\xff\xffTSource Engine Query"; /* + NUL: sizeof */

static void test_a2s_challenge_and_info(void **state)
{
	(void)state;
	struct gsrv_view v = view(GAME_VALHEIM, 3, 10);
	struct buf out = { 0 };
	const uint32_t ch = 0x12345678;
	/* No challenge: S2C_CHALLENGE. */
	assert_int_equal(gsrv_a2s_answer(&v, (const unsigned char *)info_req, sizeof info_req, ch, &out), 1);
	assert_int_equal(out.len, 9);
	const unsigned char *d = (const unsigned char *)out.data;
	assert_int_equal(le32(d), 0xffffffffu);
	assert_int_equal(d[4], 'A');
	assert_int_equal(le32(d + 5), ch);
	/* A wrong one: the same. */
	unsigned char req[64];
	memcpy(req, info_req, sizeof info_req);
	memcpy(req + sizeof info_req, "\x01\x02\x03\x04", 4);
	buf_reset(&out);
	assert_int_equal(gsrv_a2s_answer(&v, req, sizeof info_req + 4, ch, &out), 1);
	assert_int_equal(((unsigned char *)out.data)[4], 'A');
	/* The right one: the info. */
	req[sizeof info_req] = 0x78, req[sizeof info_req + 1] = 0x56;
	req[sizeof info_req + 2] = 0x34, req[sizeof info_req + 3] = 0x12;
	buf_reset(&out);
	assert_int_equal(gsrv_a2s_answer(&v, req, sizeof info_req + 4, ch, &out), 1);
	d = (const unsigned char *)out.data;
	assert_int_equal(d[4], 'I');
	assert_int_equal(d[5], 17);
	const char *p = (const char *)d + 6;
	assert_string_equal(p, "mc-eu-01");
	p += strlen(p) + 1;
	assert_string_equal(p, "Dedicated");
	p += strlen(p) + 1;
	assert_string_equal(p, "valheim");
	p += strlen(p) + 1;
	assert_string_equal(p, "Valheim");
	p += strlen(p) + 1;
	const unsigned char *q = (const unsigned char *)p + 2; /* app id short */
	assert_int_equal(q[0], 3);  /* players */
	assert_int_equal(q[1], 10); /* max */
	assert_int_equal(q[2], 0);  /* bots */
	assert_int_equal(q[3], 'd');
	assert_int_equal(q[4], 'l');
	p = (const char *)q + 7;
	assert_string_equal(p, "0.218.15");
	q = (const unsigned char *)p + strlen(p) + 1;
	assert_int_equal(q[0] & 0x80, 0x80); /* EDF: the game port follows */
	assert_int_equal(q[1] | q[2] << 8, 2456);
	/* The game id (app 892970) ends the reply. */
	assert_int_equal(le32(d + out.len - 8), 892970);

	/* Players: -1 asks for the challenge, the right one gets the list. */
	unsigned char preq[9] = { 0xff, 0xff, 0xff, 0xff, 'U', 0xff, 0xff, 0xff, 0xff };
	buf_reset(&out);
	assert_int_equal(gsrv_a2s_answer(&v, preq, 9, ch, &out), 1);
	assert_int_equal(((unsigned char *)out.data)[4], 'A');
	memcpy(preq + 5, "\x78\x56\x34\x12", 4);
	buf_reset(&out);
	assert_int_equal(gsrv_a2s_answer(&v, preq, 9, ch, &out), 1);
	d = (const unsigned char *)out.data;
	assert_int_equal(d[4], 'D');
	assert_int_equal(d[5], 3);
	p = (const char *)d + 7; /* after the first index byte */
	assert_true(strlen(p) >= 3);
	/* Unknown or short requests: no answer. */
	buf_reset(&out);
	assert_int_equal(gsrv_a2s_answer(&v, preq, 8, ch, &out), 0);
	assert_int_equal(gsrv_a2s_answer(&v, (const unsigned char *)"\xff\xff\xff\xffZ", 5, ch, &out), 0);
	assert_int_equal(gsrv_a2s_answer(&v, (const unsigned char *)"\xff\xff\xff\xffTSource", 11, ch, &out), 0);
	assert_int_equal(out.len, 0);
	buf_free(&out);
}

static void test_a2s_split(void **state)
{
	(void)state;
	unsigned char reply[3000];
	for (size_t i = 0; i < sizeof reply; i++)
		reply[i] = (unsigned char)(i * 7);
	memcpy(reply, "\xff\xff\xff\xff" "D", 5);
	struct buf out = { 0 };
	size_t lens[8];
	int n = gsrv_a2s_split(reply, sizeof reply, 0x80000005u, &out, lens, 8);
	assert_int_equal(n, 3);
	struct buf joined = { 0 };
	size_t at = 0;
	for (int i = 0; i < n; i++) {
		const unsigned char *d = (const unsigned char *)out.data + at;
		assert_int_equal(le32(d), 0xfffffffeu);
		assert_int_equal(le32(d + 4), 5); /* the top bit (bzip2) cleared */
		assert_int_equal(d[8], 3);
		assert_int_equal(d[9], i);
		assert_int_equal(d[10] | d[11] << 8, GSRV_A2S_SPLIT_SIZE);
		assert_true(lens[i] - 12 <= GSRV_A2S_SPLIT_AT);
		buf_append(&joined, d + 12, lens[i] - 12);
		at += lens[i];
	}
	assert_int_equal(at, out.len);
	assert_int_equal(joined.len, sizeof reply);
	assert_memory_equal(joined.data, reply, sizeof reply);
	/* Short enough: one datagram, as it was. */
	buf_reset(&out);
	assert_int_equal(gsrv_a2s_split(reply, 1200, 1, &out, lens, 8), 1);
	assert_int_equal(lens[0], 1200);
	assert_memory_equal(out.data, reply, 1200);
	/* More parts than allowed. */
	assert_int_equal(gsrv_a2s_split(reply, sizeof reply, 1, &out, lens, 2), -1);
	buf_free(&out);
	buf_free(&joined);

	/* A full player list of long names does split. */
	struct gsrv_view v = view(GAME_VALHEIM, 255, 255);
	unsigned char preq[9] = { 0xff, 0xff, 0xff, 0xff, 'U', 1, 0, 0, 0 };
	struct buf r = { 0 }, parts = { 0 };
	assert_int_equal(gsrv_a2s_answer(&v, preq, 9, 1, &r), 1);
	assert_true(r.len > GSRV_A2S_SPLIT_AT);
	assert_true(gsrv_a2s_split((unsigned char *)r.data, r.len, 9, &parts, lens, 8) > 1);
	buf_free(&r);
	buf_free(&parts);
}

/* ---- Server List Ping ---- */

static void varint(struct buf *b, uint32_t v)
{
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		buf_append(b, &c, 1);
	} while (v);
}

static void packet(struct buf *b, const struct buf *body)
{
	varint(b, (uint32_t)body->len);
	buf_append(b, body->data, body->len);
}

static void handshake(struct buf *b, int next)
{
	struct buf body = { 0 };
	varint(&body, 0);   /* id */
	varint(&body, 765); /* protocol */
	varint(&body, 9);
	buf_append(&body, "127.0.0.1", 9);
	buf_append(&body, "\x63\xdd", 2);
	varint(&body, (uint32_t)next);
	packet(b, &body);
	buf_free(&body);
}

/* Reads one packet from out: returns its id, *json the string it holds. */
static int read_packet(struct buf *out, size_t *at, char **json)
{
	const unsigned char *d = (const unsigned char *)out->data + *at;
	uint32_t len = 0, id = 0, slen = 0;
	int shift = 0, i = 0;
	do {
		len |= (uint32_t)(d[i] & 0x7f) << shift;
		shift += 7;
	} while (d[i++] & 0x80);
	const unsigned char *body = d + i;
	id = body[0];
	*json = NULL;
	if (id == 0) {
		int j = 1;
		shift = 0;
		do {
			slen |= (uint32_t)(body[j] & 0x7f) << shift;
			shift += 7;
		} while (body[j++] & 0x80);
		*json = xstrndup((const char *)body + j, slen);
	}
	*at += (size_t)i + len;
	return (int)id;
}

static void test_slp(void **state)
{
	(void)state;
	struct gsrv_view v = view(GAME_MINECRAFT, 20, 60);
	struct buf in = { 0 }, out = { 0 }, all = { 0 };
	handshake(&all, 1);
	buf_append(&all, "\x01\x00", 2); /* status request */
	buf_append(&all, "\x09\x01" "ABCDEFGH", 10); /* ping */
	/* Byte by byte: every prefix is "more", never "bad". */
	struct gsrv_slp st = { 0 };
	enum gsrv_feed r = GSRV_MORE;
	for (size_t i = 0; i < all.len && r == GSRV_MORE; i++) {
		buf_append(&in, all.data + i, 1);
		r = gsrv_slp_feed(&st, &in, &v, &out);
	}
	assert_int_equal(r, GSRV_CLOSE); /* after the pong */
	size_t at = 0;
	char *json;
	assert_int_equal(read_packet(&out, &at, &json), 0);
	assert_non_null(strstr(json, "\"version\":{\"name\":\"1.20.4\",\"protocol\":765}"));
	assert_non_null(strstr(json, "\"max\":60,\"online\":20"));
	assert_non_null(strstr(json, "\"description\":{\"text\":"));
	int names = 0;
	for (const char *p = json; (p = strstr(p, "\"name\":")); p++)
		names++;
	assert_int_equal(names, 1 + GSRV_SLP_SAMPLE); /* version name + 12 players */
	free(json);
	assert_int_equal(read_packet(&out, &at, &json), 1);
	assert_int_equal(at, out.len);
	assert_memory_equal(out.data + out.len - 8, "ABCDEFGH", 8);

	/* Nobody online: no sample. */
	struct gsrv_view empty = view(GAME_MINECRAFT, 0, 60);
	buf_reset(&in), buf_reset(&out);
	st = (struct gsrv_slp){ 0 };
	handshake(&in, 1);
	buf_append(&in, "\x01\x00", 2);
	assert_int_equal(gsrv_slp_feed(&st, &in, &empty, &out), GSRV_MORE);
	at = 0;
	read_packet(&out, &at, &json);
	assert_null(strstr(json, "sample"));
	free(json);

	/* Login: a disconnect, then close. */
	buf_reset(&in), buf_reset(&out);
	st = (struct gsrv_slp){ 0 };
	handshake(&in, 2);
	assert_int_equal(gsrv_slp_feed(&st, &in, &v, &out), GSRV_CLOSE);
	assert_true(out.len > 0);

	/* Bad input: legacy ping, a huge length, a wrong first packet, a
	 * VarInt that never ends, a status request with a body. */
	const char *bad[] = { "\xfe\x01", "\xff\xff\x7f", "\x02\x05\x01", "\x80\x80\x80\x80\x80\x01" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		buf_reset(&in), buf_reset(&out);
		st = (struct gsrv_slp){ 0 };
		buf_puts(&in, bad[i]);
		assert_int_equal(gsrv_slp_feed(&st, &in, &v, &out), GSRV_BAD);
	}
	buf_reset(&in);
	st = (struct gsrv_slp){ 0 };
	handshake(&in, 1);
	buf_append(&in, "\x02\x00\x07", 3);
	assert_int_equal(gsrv_slp_feed(&st, &in, &v, &out), GSRV_BAD);
	buf_free(&in);
	buf_free(&out);
	buf_free(&all);
}

/* ---- RCON ---- */

static void rcon_req(struct buf *b, int32_t id, int32_t type, const char *body)
{
	gsrv_rcon_packet(b, id, type, body, strlen(body));
}

struct pkt {
	int32_t id, type;
	char body[8192];
	size_t len;
};

static size_t read_rcon(const struct buf *out, size_t at, struct pkt *p)
{
	const unsigned char *d = (const unsigned char *)out->data + at;
	int32_t size = (int32_t)le32(d);
	assert_true(size >= 10 && at + 4 + (size_t)size <= out->len);
	p->id = (int32_t)le32(d + 4);
	p->type = (int32_t)le32(d + 8);
	p->len = (size_t)size - 10;
	memcpy(p->body, d + 12, p->len);
	p->body[p->len] = '\0';
	assert_int_equal(d[4 + size - 2], 0);
	assert_int_equal(d[4 + size - 1], 0);
	return at + 4 + (size_t)size;
}

static void test_rcon(void **state)
{
	(void)state;
	struct gsrv_view v = view(GAME_MINECRAFT, 3, 20);
	v.tps[0] = 19.8, v.tps[1] = 19.9, v.tps[2] = 20;
	struct gsrv_rcon st = { 0 };
	struct buf in = { 0 }, out = { 0 };
	struct pkt p;
	/* A command before auth, then a wrong password: id -1 both times. */
	rcon_req(&in, 1, 2, "list");
	rcon_req(&in, 2, 3, "wrong");
	assert_int_equal(gsrv_rcon_feed(&st, &in, &v, "secret", &out), GSRV_MORE);
	size_t at = read_rcon(&out, 0, &p);
	assert_int_equal(p.id, -1);
	assert_int_equal(p.type, 2);
	at = read_rcon(&out, at, &p);
	assert_int_equal(p.id, -1);
	assert_int_equal(p.type, 2);
	assert_int_equal(at, out.len);
	/* The right one, then commands, each answered with its id. */
	buf_reset(&out);
	rcon_req(&in, 7, 3, "secret");
	rcon_req(&in, 8, 2, "list");
	rcon_req(&in, 9, 2, "tps");
	rcon_req(&in, 10, 2, "mspt");
	rcon_req(&in, 11, 2, "kill @a");
	rcon_req(&in, 12, 0, ""); /* the end-of-reply marker */
	/* Fed in two pieces, cut inside a packet. */
	struct buf tail = { 0 };
	buf_append(&tail, in.data + 20, in.len - 20);
	in.len = 20;
	assert_int_equal(gsrv_rcon_feed(&st, &in, &v, "secret", &out), GSRV_MORE);
	buf_append(&in, tail.data, tail.len);
	assert_int_equal(gsrv_rcon_feed(&st, &in, &v, "secret", &out), GSRV_MORE);
	assert_int_equal(in.len, 0);
	at = read_rcon(&out, 0, &p);
	assert_int_equal(p.id, 7);
	assert_int_equal(p.type, 2);
	at = read_rcon(&out, at, &p);
	assert_int_equal(p.id, 8);
	assert_int_equal(p.type, 0);
	assert_true(str_starts_with(p.body, "There are 3 of a max of 20 players online: "));
	assert_int_equal(strlen(p.body) - strlen("There are 3 of a max of 20 players online: ") > 6, 1);
	at = read_rcon(&out, at, &p);
	assert_string_equal(p.body, "\xc2\xa7" "6TPS from last 1m, 5m, 15m: \xc2\xa7" "a19.8, \xc2\xa7"
				    "a19.9, \xc2\xa7" "a20.0");
	at = read_rcon(&out, at, &p);
	assert_string_equal(p.body,
			    "\xc2\xa7" "6Server tick times \xc2\xa7" "e(\xc2\xa7" "7avg\xc2\xa7" "e/\xc2\xa7"
			    "7min\xc2\xa7" "e/\xc2\xa7" "7max\xc2\xa7" "e)\xc2\xa7" "6 from last 5s\xc2\xa7"
			    "7,\xc2\xa7" "6 10s\xc2\xa7" "7,\xc2\xa7" "6 1m\xc2\xa7" "e:\n\xc2\xa7"
			    "6\xe2\x97\xb4 \xc2\xa7" "a12.1\xc2\xa7" "7/\xc2\xa7" "a8.0\xc2\xa7" "7/\xc2\xa7"
			    "a30.2\xc2\xa7" "e, \xc2\xa7" "a12.1\xc2\xa7" "7/\xc2\xa7" "a8.0\xc2\xa7" "7/\xc2\xa7"
			    "a30.2\xc2\xa7" "e, \xc2\xa7" "a12.1\xc2\xa7" "7/\xc2\xa7" "a8.0\xc2\xa7" "7/\xc2\xa7"
			    "a30.2");
	at = read_rcon(&out, at, &p);
	assert_int_equal(p.id, 11);
	assert_true(str_starts_with(p.body, "Unknown or incomplete command"));
	at = read_rcon(&out, at, &p);
	assert_int_equal(p.id, 12);
	assert_int_equal(p.type, 0);
	assert_int_equal(p.len, 0);
	assert_int_equal(at, out.len);

	/* A reply over 4096 bytes comes in several packets of one id. */
	struct gsrv_view big = view(GAME_MINECRAFT, 600, 600);
	buf_reset(&out);
	rcon_req(&in, 20, 2, "list");
	assert_int_equal(gsrv_rcon_feed(&st, &in, &big, "secret", &out), GSRV_MORE);
	struct buf text = { 0 };
	int npk = 0;
	for (at = 0; at < out.len; npk++) {
		at = read_rcon(&out, at, &p);
		assert_int_equal(p.id, 20);
		assert_true(p.len <= GSRV_RCON_MAX_BODY);
		buf_append(&text, p.body, p.len);
	}
	assert_true(npk >= 2);
	struct buf want = { 0 };
	gsrv_mc_command(&big, "list", &want);
	assert_int_equal(text.len, want.len);
	assert_memory_equal(text.data, want.data, want.len);

	/* Bad packets end the connection: a size out of range, no final NUL. */
	const unsigned char small[4] = { 9, 0, 0, 0 }, huge[4] = { 0, 0x20, 0, 0 };
	struct gsrv_rcon fresh = { 0 };
	buf_reset(&in);
	buf_append(&in, small, 4);
	assert_int_equal(gsrv_rcon_feed(&fresh, &in, &v, "secret", &out), GSRV_BAD);
	buf_reset(&in);
	buf_append(&in, huge, 4);
	assert_int_equal(gsrv_rcon_feed(&fresh, &in, &v, "secret", &out), GSRV_BAD);
	buf_reset(&in);
	rcon_req(&in, 1, 3, "secret");
	in.data[in.len - 1] = 'x';
	assert_int_equal(gsrv_rcon_feed(&fresh, &in, &v, "secret", &out), GSRV_BAD);
	/* An empty password never lets anyone in. */
	buf_reset(&in), buf_reset(&out);
	rcon_req(&in, 3, 3, "");
	assert_int_equal(gsrv_rcon_feed(&fresh, &in, &v, "", &out), GSRV_MORE);
	read_rcon(&out, 0, &p);
	assert_int_equal(p.id, -1);
	buf_free(&in);
	buf_free(&out);
	buf_free(&tail);
	buf_free(&text);
	buf_free(&want);
}

/* ---- the model behind the servers ---- */

static void test_names(void **state)
{
	(void)state;
	struct gsrv_view v = view(GAME_MINECRAFT, 1600, 1600);
	static char names[1600][48];
	for (int k = 0; k < 1600; k++) {
		struct gsrv_player p;
		gsrv_player_at(&v, k, &p);
		size_t n = strlen(p.name);
		assert_true(n >= 3 && n <= 16);
		for (size_t i = 0; i < n; i++)
			assert_true(isalnum((unsigned char)p.name[i]) || p.name[i] == '_');
		snprintf(names[k], sizeof names[k], "%s", p.name);
	}
	/* No name twice on one server (the pool is a permutation). */
	for (int a = 0; a < 1600; a++)
		for (int b = a + 1; b < 1600; b++)
			assert_string_not_equal(names[a], names[b]);
	/* The same player keeps the name; another seed, other names. */
	struct gsrv_player p;
	gsrv_player_at(&v, 5, &p);
	assert_string_equal(p.name, names[5]);
	v.seed = 43;
	int same = 0;
	for (int k = 0; k < 20; k++) {
		gsrv_player_at(&v, k, &p);
		same += strcmp(p.name, names[k]) == 0;
	}
	assert_true(same < 5);
}

static void test_tps_and_mspt(void **state)
{
	(void)state;
	assert_true(gsrv_tps_for(0.1, 1) == 20.0);
	assert_true(gsrv_tps_for(0.79, -1) == 20.0);
	assert_true(gsrv_tps_for(0.85, 0) < 20.0);
	assert_true(fabs(gsrv_tps_for(1.0, 0) - 8.0) < 0.01);
	assert_true(gsrv_tps_for(0.9, 0) > gsrv_tps_for(0.95, 0));

	struct model_host m = { 0 };
	model_host_init(&m, 3, 0, GAME_MINECRAFT, 0, &clk, 1000);
	for (int i = 0; i < 200; i++) {
		double u = i / 200.0;
		m.util = u;
		for (int j = 0; j < 3; j++)
			m.load[j] = u * m.ncores;
		struct gsrv_view v;
		gsrv_view_make(&v, &m, 3, 0, "mc-eu-01", 1700000000 + i * 77.0, 5000 + i * 3.1, 25565);
		for (int w = 0; w < 3; w++) {
			/* Behind (TPS under 20) exactly when ticks take over 50 ms. */
			assert_true((v.tps[w] < 20) == (v.mspt[w][0] > 50));
			assert_true(v.mspt[w][1] <= v.mspt[w][0] && v.mspt[w][0] <= v.mspt[w][2]);
			assert_true(v.tps[w] >= 1 && v.tps[w] <= 20);
		}
		if (u < 0.8)
			assert_true(v.tps[0] == 20);
		else
			assert_true(v.tps[0] < 20 && v.tps[0] > 7);
	}
}

static void test_view_from_model(void **state)
{
	(void)state;
	struct model_host q = { 0 };
	model_host_init(&q, 9, 3, GAME_QUAKE, 0, &clk, 1000);
	/* The map changes every 20 simulated minutes through oa_dm1..4. */
	char seen[4] = { 0 };
	for (int i = 0; i < 16; i++) {
		struct gsrv_view v;
		gsrv_view_make(&v, &q, 9, 3, "q3-01", 1700000000 + i * 600.0, 1, 27960);
		assert_true(str_starts_with(v.map, "oa_dm"));
		seen[v.map[5] - '1'] = 1;
		assert_true(v.map_s >= 0 && v.map_s < 1200);
		assert_int_equal(v.players, q.players);
		assert_int_equal(v.bots, q.players ? (q.max_players - q.players < 2 ? q.max_players - q.players : 2) : 0);
	}
	assert_int_equal(seen[0] + seen[1] + seen[2] + seen[3], 4);
	struct model_host vh = { 0 };
	model_host_init(&vh, 9, 4, GAME_VALHEIM, 0, &clk, 1000);
	struct gsrv_view v;
	gsrv_view_make(&v, &vh, 9, 4, "vh-01", 1700000000, 1, 2456);
	assert_string_equal(v.map, "Dedicated");
	assert_int_equal(v.max_players, 10);
	assert_int_equal(v.bots, 0);
}

/* ---- the game process and its probe ---- */

static int count_fields(const char *line)
{
	const char *close = strrchr(line, ')');
	int n = 2; /* pid and (comm) */
	for (const char *p = close + 1; *p && *p != '\n'; p++)
		if (*p == ' ' && p[1] != ' ' && p[1] != '\n' && p[1])
			n++;
	return n;
}

static char *line_of(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	if (!p)
		return NULL;
	if (*key == '\n')
		p++;
	return xstrndup(p, strcspn(p, "\n"));
}

static void test_probe_frames(void **state)
{
	(void)state;
	struct model_host m = { 0 };
	model_host_init(&m, 5, 1, GAME_VALHEIM, 0, &clk, 1000);
	struct gsrv_probe_args a = { 1000, 3000, "", "", "valheim_server.x86_64", "/srv/valheim/world/" };
	struct buf out = { 0 };
	gsrv_probe_frame(&out, &m, &a, 0);
	assert_true(str_starts_with(out.data, "game-frame\nhz 100\nuptime "));
	assert_true(str_starts_with(out.data + out.len - 9, "game-end\n"));
	char *stat = line_of(out.data, "\nstat ");
	assert_non_null(stat);
	/* comm as the kernel keeps it: cut to 15 bytes. */
	assert_non_null(strstr(stat, " (valheim_server.) S 1 "));
	assert_int_equal(count_fields(stat + 5), 52);
	char *threads = line_of(out.data, "\nthreads ");
	long st_threads = 0;
	const char *f = strrchr(stat, ')') + 2;
	for (int i = 3; i < 20; i++)
		f = strchr(f, ' ') + 1;
	st_threads = strtol(f, NULL, 10);
	assert_int_equal(st_threads, atol(threads + 8));
	assert_non_null(strstr(out.data, "\nrss_kb "));
	assert_non_null(strstr(out.data, "\nworld_kb "));
	free(stat);
	free(threads);
	/* World every 3rd frame only. */
	buf_reset(&out);
	gsrv_probe_frame(&out, &m, &a, 1);
	assert_null(strstr(out.data, "world_"));
	/* Another name, another world: the script's errors. */
	struct gsrv_probe_args b = { 1000, 1000, "", "", "java", "/srv/minecraft/world" };
	buf_reset(&out);
	gsrv_probe_frame(&out, &m, &b, 0);
	assert_non_null(strstr(out.data, "\nerror no process named java\n"));
	assert_non_null(strstr(out.data, "\nworld_error du: cannot access '/srv/minecraft/world'"));
	assert_null(strstr(out.data, "\npid "));
	/* By unit and by pid file; nothing asked, nothing said. */
	struct gsrv_probe_args c = { 1000, 1000, "", "valheim.service", "", "" };
	buf_reset(&out);
	gsrv_probe_frame(&out, &m, &c, 0);
	assert_non_null(strstr(out.data, "\npid "));
	struct gsrv_probe_args d = { 1000, 1000, "/run/other.pid", "", "", "" };
	buf_reset(&out);
	gsrv_probe_frame(&out, &m, &d, 0);
	assert_non_null(strstr(out.data, "\nerror cannot read pid file /run/other.pid\n"));
	struct gsrv_probe_args e = { 1000, 1000, "", "", "", "" };
	buf_reset(&out);
	gsrv_probe_frame(&out, &m, &e, 0);
	assert_int_equal(count_lines(out.data), 4); /* game-frame, hz, uptime, game-end */
	assert_null(strstr(out.data, "pid"));
	assert_null(strstr(out.data, "error"));
	buf_free(&out);
}

static double stat_field(const struct model_host *m, int field)
{
	struct gsrv_probe_args a = { 1000, 1000, "", "", "java", "" };
	struct buf out = { 0 };
	gsrv_probe_frame(&out, m, &a, 0);
	char *stat = line_of(out.data, "\nstat ");
	const char *f = strrchr(stat, ')') + 2;
	for (int i = 3; i < field; i++)
		f = strchr(f, ' ') + 1;
	double v = strtod(f, NULL);
	free(stat);
	buf_free(&out);
	return v;
}

static void test_game_restarts_with_leak(void **state)
{
	(void)state;
	/* 16 simulated hours a leak cycle; at 3600x that is 16 s real. */
	struct model_clock fast = { .start_mono_ms = 1000, .start_wall_s = 1700000000, .time_scale = 3600 };
	struct model_host leak = { .leaks = true }, plain = { 0 };
	model_host_init(&leak, 42, 0, GAME_MINECRAFT, 1, &fast, 1000);
	model_host_init(&plain, 42, 1, GAME_MINECRAFT, 1, &fast, 1000);
	double pid0 = leak.game_pid, start0 = leak.game_start_s, ppid0 = plain.game_pid;
	assert_true(start0 > 0 && start0 <= leak.uptime_s);
	double ticks_prev = stat_field(&leak, 14) + stat_field(&leak, 15);
	double start_prev = stat_field(&leak, 22);
	int restarts = 0;
	for (int64_t t = 1000; t <= 1000 + 40000; t += 250) {
		model_advance(&leak, &fast, t);
		model_advance(&plain, &fast, t);
		double ticks = stat_field(&leak, 14) + stat_field(&leak, 15);
		double start = stat_field(&leak, 22);
		if (start != start_prev) {
			/* A new process: started after the old one, near now. */
			restarts++;
			assert_true(start > start_prev);
			assert_true(start / 100 <= leak.uptime_s && start / 100 > leak.uptime_s - 2);
			assert_true(ticks < ticks_prev);
		} else {
			assert_true(ticks >= ticks_prev); /* CPU only grows */
		}
		ticks_prev = ticks;
		start_prev = start;
	}
	/* 40 s at 3600x is 40 simulated hours: two or three restarts. */
	assert_true(restarts >= 2 && restarts <= 3);
	assert_true(leak.game_pid != pid0);
	assert_true(plain.game_pid == ppid0);
	assert_true(model_game_rss_kb(&leak) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_q3_status),
		cmocka_unit_test(test_a2s_challenge_and_info),
		cmocka_unit_test(test_a2s_split),
		cmocka_unit_test(test_slp),
		cmocka_unit_test(test_rcon),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_tps_and_mspt),
		cmocka_unit_test(test_view_from_model),
		cmocka_unit_test(test_probe_frames),
		cmocka_unit_test(test_game_restarts_with_leak),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
