/* collect (game, Minecraft Java Server List Ping): the requests byte for
 * byte as https://wiki.vg/Server_List_Ping lays them out, VarInt edges,
 * packet framing over a stream cut anywhere, and the status JSON as
 * vanilla and Paper send it, then what a hostile or broken peer could. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/game.h"

#define SECT "\xc2\xa7" /* Minecraft's colour code sign */

/* The test's own VarInt writer, so the parser is not checked against itself. */
static void put_varint(struct buf *b, uint32_t u)
{
	do {
		unsigned char c = u & 0x7f;
		u >>= 7;
		if (u)
			c |= 0x80;
		buf_append(b, &c, 1);
	} while (u);
}

/* A Status Response body: the JSON as a Minecraft String. */
static void status_body(struct buf *b, const char *json)
{
	b->len = 0;
	put_varint(b, (uint32_t)strlen(json));
	buf_puts(b, json);
}

static int parse_status(const char *json, struct game_status *s, struct error *err)
{
	struct buf b = {0};
	status_body(&b, json);
	memset(err, 0, sizeof *err);
	int r = slp_parse_status((unsigned char *)b.data, b.len, s, err);
	buf_free(&b);
	if (r < 0) {
		/* Refused: nothing to free, one prefixed line to show. */
		assert_null(s->list);
		assert_int_equal(s->players, 0);
		assert_null(strchr(err->msg, '\n'));
		assert_true(!strncmp(err->msg, "minecraft: ", 11));
	}
	return r;
}

static void expect_refused(const char *json, const char *why)
{
	struct game_status s;
	struct error err;
	assert_int_equal(parse_status(json, &s, &err), -1);
	if (!strstr(err.msg, why))
		fail_msg("expected '%s' in '%s'", why, err.msg);
}

static void test_handshake_bytes(void **state)
{
	/* Worked out by hand from wiki.vg: protocol 765 (1.20.4) = 0x2fd ->
	 * VarInt fd 05; "localhost" = 09 + 9 bytes; port 25565 = 63 dd; next
	 * state 01. Handshake payload 00 fd 05 09 ... 63 dd 01 is 16 bytes ->
	 * length 10. Status Request: length 01, id 00. */
	static const unsigned char want[] = {
		0x10, 0x00, 0xfd, 0x05, 0x09, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't',
		0x63, 0xdd, 0x01, 0x01, 0x00,
	};
	struct buf b = {0};
	slp_status_request(&b, "localhost", 25565, 765);
	assert_int_equal(b.len, sizeof want);
	assert_memory_equal(b.data, want, sizeof want);
	/* It appends, so requests can queue behind what is unsent. */
	slp_status_request(&b, "localhost", 25565, 765);
	assert_int_equal(b.len, 2 * sizeof want);
	assert_memory_equal(b.data + sizeof want, want, sizeof want);
	buf_free(&b);

	/* Protocol -1 ("any", what tools send to learn the version) is a
	 * 5-byte VarInt; port 65535 is ff ff; an empty host is length 0. */
	static const unsigned char any[] = {
		0x0a, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0xff, 0xff, 0x01, 0x01, 0x00,
	};
	slp_status_request(&b, "", 65535, -1);
	assert_int_equal(b.len, sizeof any);
	assert_memory_equal(b.data, any, sizeof any);
	buf_free(&b);

	/* Longer than String(255) is cut to 255 bytes. */
	char host[400];
	memset(host, 'h', sizeof host - 1);
	host[sizeof host - 1] = '\0';
	slp_status_request(&b, host, 1, 0);
	/* Payload 1 + 1 + 2 + 255 + 2 + 1 = 262 = VarInt 86 02; the host's
	 * length 255 = VarInt ff 01. */
	static const unsigned char head[] = {0x86, 0x02, 0x00, 0x00, 0xff, 0x01, 'h'};
	assert_int_equal(b.len, 2 + 262 + 2);
	assert_memory_equal(b.data, head, sizeof head);
	buf_free(&b);
}

/* The protocol field is where the request's VarInt writer shows. */
static void test_varint_encode(void **state)
{
	static const struct {
		int v;
		unsigned char bytes[5];
		size_t n;
	} cases[] = {
		{0, {0x00}, 1},
		{1, {0x01}, 1},
		{127, {0x7f}, 1},
		{128, {0x80, 0x01}, 2},
		{255, {0xff, 0x01}, 2},
		{25565, {0xdd, 0xc7, 0x01}, 3},
		{2097151, {0xff, 0xff, 0x7f}, 3},
		{2147483647, {0xff, 0xff, 0xff, 0xff, 0x07}, 5},
		{-1, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
		{-2147483647 - 1, {0x80, 0x80, 0x80, 0x80, 0x08}, 5},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct buf b = {0};
		slp_status_request(&b, "", 0, cases[i].v);
		assert_int_equal((unsigned char)b.data[0], 1 + cases[i].n + 1 + 2 + 1);
		assert_memory_equal(b.data + 2, cases[i].bytes, cases[i].n);
		buf_free(&b);
	}
}

static int frame(const void *d, size_t n, int *id, const unsigned char **body, size_t *blen,
		 struct error *err)
{
	memset(err, 0, sizeof *err);
	int r = slp_frame(d, n, id, body, blen, err);
	if (r < 0) {
		assert_null(strchr(err->msg, '\n'));
		assert_true(!strncmp(err->msg, "minecraft: ", 11));
	}
	return r;
}

/* The packet id is where the reader's VarInt shows. */
static void test_varint_decode(void **state)
{
	static const struct {
		unsigned char bytes[8];
		size_t n;
		int id;
	} ok[] = {
		{{0x01, 0x00}, 2, 0},
		{{0x01, 0x7f}, 2, 127},
		{{0x02, 0x80, 0x01}, 3, 128},
		{{0x05, 0xff, 0xff, 0xff, 0xff, 0x07}, 6, 2147483647},
		{{0x05, 0xff, 0xff, 0xff, 0xff, 0x0f}, 6, -1},
		{{0x05, 0x80, 0x80, 0x80, 0x80, 0x08}, 6, -2147483647 - 1},
		/* Not the shortest form, but what Java's reader takes too. */
		{{0x02, 0x80, 0x00}, 3, 0},
	};
	int id;
	const unsigned char *body;
	size_t blen;
	struct error err;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		assert_int_equal(frame(ok[i].bytes, ok[i].n, &id, &body, &blen, &err), (int)ok[i].n);
		assert_int_equal(id, ok[i].id);
		assert_int_equal(blen, 0);
		assert_ptr_equal(body, ok[i].bytes + ok[i].n);
	}
	/* A 6-byte id VarInt: one byte too many. */
	static const unsigned char six[] = {0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
	assert_int_equal(frame(six, sizeof six, &id, &body, &blen, &err), -1);
	assert_non_null(strstr(err.msg, "VarInt"));
	/* Five bytes but bits past 32. */
	static const unsigned char wide[] = {0x05, 0xff, 0xff, 0xff, 0xff, 0x1f};
	assert_int_equal(frame(wide, sizeof wide, &id, &body, &blen, &err), -1);
	/* The same in the length: refused, not waited on. */
	static const unsigned char six_len[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
	assert_int_equal(frame(six_len, sizeof six_len, &id, &body, &blen, &err), -1);
	assert_int_equal(frame(six_len, 5, &id, &body, &blen, &err), -1);
	/* ... but four continuation bytes may still become a length. */
	assert_int_equal(frame(six_len, 4, &id, &body, &blen, &err), 0);
	assert_int_equal(frame(six_len, 0, &id, &body, &blen, &err), 0);
}

static void test_frame_refused(void **state)
{
	int id;
	const unsigned char *body;
	size_t blen;
	struct error err;
	/* Length 0 has no room for an id. */
	static const unsigned char zero[] = {0x00, 0x00};
	assert_int_equal(frame(zero, sizeof zero, &id, &body, &blen, &err), -1);
	/* Negative length. */
	static const unsigned char neg[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
	assert_int_equal(frame(neg, sizeof neg, &id, &body, &blen, &err), -1);
	/* Past SLP_MAX_PACKET: refused from the length alone, not waited on. */
	struct buf b = {0};
	put_varint(&b, SLP_MAX_PACKET + 1);
	assert_int_equal(frame(b.data, b.len, &id, &body, &blen, &err), -1);
	assert_non_null(strstr(err.msg, "limit"));
	b.len = 0;
	/* Exactly SLP_MAX_PACKET is fine once it is all there. */
	put_varint(&b, SLP_MAX_PACKET);
	size_t hdr = b.len;
	assert_int_equal(frame(b.data, b.len, &id, &body, &blen, &err), 0);
	unsigned char *big = calloc(1, SLP_MAX_PACKET);
	assert_non_null(big);
	buf_append(&b, big, SLP_MAX_PACKET);
	free(big);
	assert_int_equal(frame(b.data, b.len, &id, &body, &blen, &err), (int)hdr + SLP_MAX_PACKET);
	assert_int_equal(id, 0);
	assert_int_equal(blen, SLP_MAX_PACKET - 1);
	buf_free(&b);
	/* An id VarInt that runs past the packet's length. */
	static const unsigned char overrun[] = {0x01, 0x80, 0x01};
	assert_int_equal(frame(overrun, sizeof overrun, &id, &body, &blen, &err), -1);
	assert_non_null(strstr(err.msg, "runs past"));
	/* Something that is not Minecraft at all: an HTTP reply. */
	static const char http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
	/* 'H' reads as a 72-byte length: waited on (the collector's timeout
	 * ends it), never read past what is there. */
	assert_int_equal(frame(http, sizeof http - 1, &id, &body, &blen, &err), 0);
}

/* A status response and a pong, back to back, cut at every offset. */
static void test_frame_split(void **state)
{
	static const char json[] =
		"{\"version\":{\"name\":\"1.20.4\",\"protocol\":765},"
		"\"players\":{\"max\":20,\"online\":0},\"description\":{\"text\":\"A Minecraft Server\"}}";
	struct buf body = {0}, pkt = {0}, stream = {0};
	status_body(&body, json);
	put_varint(&pkt, (uint32_t)body.len + 1);
	buf_append(&pkt, "\x00", 1);
	buf_append(&pkt, body.data, body.len);
	size_t first = pkt.len;
	buf_append(&stream, pkt.data, pkt.len);
	slp_ping_request(&stream, 0x0102030405060708LL); /* a pong is the ping echoed */
	size_t total = stream.len;
	assert_int_equal(total - first, 10);

	int id;
	const unsigned char *b;
	size_t blen;
	struct error err;
	const unsigned char *d = (const unsigned char *)stream.data;
	for (size_t k = 0; k < first; k++)
		assert_int_equal(frame(d, k, &id, &b, &blen, &err), 0);
	for (size_t k = first; k <= total; k++) {
		assert_int_equal(frame(d, k, &id, &b, &blen, &err), (int)first);
		assert_int_equal(id, 0);
		assert_int_equal(blen, body.len);
		assert_memory_equal(b, body.data, body.len);
	}
	struct game_status s;
	assert_int_equal(slp_parse_status(b, blen, &s, &err), 0);
	assert_string_equal(s.name, "A Minecraft Server");
	game_status_free(&s);
	for (size_t k = 0; k < total - first; k++)
		assert_int_equal(frame(d + first, k, &id, &b, &blen, &err), 0);
	assert_int_equal(frame(d + first, total - first, &id, &b, &blen, &err), 10);
	assert_int_equal(id, 1);
	int64_t payload;
	assert_int_equal(slp_parse_pong(b, blen, &payload, &err), 0);
	assert_true(payload == 0x0102030405060708LL);
	buf_free(&body);
	buf_free(&pkt);
	buf_free(&stream);
}

static void test_ping_pong(void **state)
{
	struct buf b = {0};
	slp_ping_request(&b, -2);
	static const unsigned char want[] = {0x09, 0x01, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xfe};
	assert_int_equal(b.len, sizeof want);
	assert_memory_equal(b.data, want, sizeof want);
	buf_free(&b);

	int64_t v = 0;
	struct error err;
	assert_int_equal(slp_parse_pong(want + 2, 8, &v, &err), 0);
	assert_true(v == -2);
	static const unsigned char max[] = {0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	assert_int_equal(slp_parse_pong(max, 8, &v, &err), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(slp_parse_pong(max, 7, &v, &err), -1);
	assert_true(!strncmp(err.msg, "minecraft: ", 11));
	assert_int_equal(slp_parse_pong(max, 0, &v, &err), -1);
}

static void test_status_vanilla(void **state)
{
	/* Vanilla 1.20.4 with two players on; description a plain string with
	 * codes and the two-line MOTD's newline; enforcesSecureChat extra. */
	static const char json[] =
		"{\"version\":{\"name\":\"1.20.4\",\"protocol\":765},\"enforcesSecureChat\":true,"
		"\"description\":\"" SECT "6Fleet" SECT "r survival\\n" SECT "7   second line   \","
		"\"players\":{\"max\":20,\"online\":2,\"sample\":["
		"{\"id\":\"4566e69f-c907-48ee-8d71-d7ba5aa00d20\",\"name\":\"alice\"},"
		"{\"id\":\"069a79f4-44e9-4726-a5be-fca90e38aaf5\",\"name\":\"bob\"}]}}";
	struct game_status s;
	struct error err;
	assert_int_equal(parse_status(json, &s, &err), 0);
	assert_string_equal(s.name, "Fleet survival second line");
	assert_string_equal(s.version, "1.20.4");
	assert_int_equal(s.players, 2);
	assert_int_equal(s.players_max, 20);
	assert_int_equal(s.bots, 0);
	assert_int_equal(s.nlist, 2);
	assert_string_equal(s.list[0].name, "alice");
	assert_string_equal(s.list[1].name, "bob");
	assert_int_equal(s.list[1].score, 0);
	assert_int_equal(s.list[1].ping, 0);
	assert_string_equal(s.map, "");
	game_status_free(&s);
	game_status_free(&s);
}

static void test_status_component(void **state)
{
	/* Paper 1.20.4: a chat component, text spread over nested extra, a
	 * favicon, colour keys; the version name says the fork. */
	static const char json[] =
		"{\"version\":{\"name\":\"Paper 1.20.4\",\"protocol\":765},"
		"\"favicon\":\"data:image/png;base64,iVBORw0KGgo=\","
		"\"description\":{\"text\":\"\",\"extra\":["
		"{\"text\":\"Fleet \",\"color\":\"gold\",\"bold\":true},"
		"{\"text\":\"mc-eu-1\",\"color\":\"green\",\"extra\":[{\"text\":\" \"},\"(\",{\"text\":\"1.20\",\"extra\":[\")\"]}]},"
		"{\"translate\":\"ignored\"},{\"text\":42}]},"
		"\"players\":{\"max\":60,\"online\":41,\"sample\":[{\"name\":\"" SECT "cRed" SECT "rName\",\"id\":\"x\"}]}}";
	struct game_status s;
	struct error err;
	assert_int_equal(parse_status(json, &s, &err), 0);
	assert_string_equal(s.name, "Fleet mc-eu-1 (1.20)");
	assert_string_equal(s.version, "Paper 1.20.4");
	assert_int_equal(s.players, 41);
	assert_int_equal(s.players_max, 60);
	assert_int_equal(s.nlist, 1);
	assert_string_equal(s.list[0].name, "RedName");
	game_status_free(&s);

	/* Vanilla 1.20.3+: {"text": "..."} alone; a list of components. */
	assert_int_equal(parse_status("{\"description\":{\"text\":\"A Minecraft Server\"},"
				      "\"players\":{\"max\":20,\"online\":0}}",
				      &s, &err),
			 0);
	assert_string_equal(s.name, "A Minecraft Server");
	assert_string_equal(s.version, "");
	game_status_free(&s);
	assert_int_equal(parse_status("{\"description\":[\"a\",{\"text\":\"b\"},[\"c\"]],"
				      "\"players\":{\"max\":20,\"online\":0}}",
				      &s, &err),
			 0);
	assert_string_equal(s.name, "abc");
	game_status_free(&s);
}

static void test_status_sample(void **state)
{
	struct game_status s;
	struct error err;
	/* Sample missing (no one on, or hidden): counts only. */
	assert_int_equal(parse_status("{\"players\":{\"max\":20,\"online\":7}}", &s, &err), 0);
	assert_int_equal(s.players, 7);
	assert_int_equal(s.nlist, 0);
	assert_null(s.list);
	assert_string_equal(s.name, "");
	game_status_free(&s);
	/* Sample that is not a list, entries that are not names: skipped. */
	assert_int_equal(parse_status("{\"players\":{\"max\":20,\"online\":3,\"sample\":"
				      "[1,{\"id\":\"x\"},{\"name\":\"ok\"},{\"name\":[]}]}}",
				      &s, &err),
			 0);
	assert_int_equal(s.nlist, 1);
	assert_string_equal(s.list[0].name, "ok");
	game_status_free(&s);
	assert_int_equal(parse_status("{\"players\":{\"max\":20,\"online\":3,\"sample\":\"x\"}}",
				      &s, &err),
			 0);
	assert_int_equal(s.nlist, 0);
	game_status_free(&s);
	/* A decorative sample on an empty server is not a list of players. */
	assert_int_equal(parse_status("{\"players\":{\"max\":20,\"online\":0,\"sample\":"
				      "[{\"name\":\"" SECT "aWelcome!\",\"id\":\"0\"}]}}",
				      &s, &err),
			 0);
	assert_int_equal(s.nlist, 0);
	assert_null(s.list);
	game_status_free(&s);
	/* Names with control bytes and a name far over 64 bytes. */
	char json[512];
	char longname[200];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	snprintf(json, sizeof json,
		 "{\"players\":{\"max\":2,\"online\":2,\"sample\":[{\"name\":\"a\\u0007b\\nc\"},"
		 "{\"name\":\"%s\"}]}}",
		 longname);
	assert_int_equal(parse_status(json, &s, &err), 0);
	assert_string_equal(s.list[0].name, "a?b?c");
	assert_int_equal(strlen(s.list[1].name), 63);
	game_status_free(&s);
}

static void test_status_many(void **state)
{
	/* 300 in the sample, 500 online: GAME_MAX_PLAYERS kept. */
	struct buf j = {0};
	buf_puts(&j, "{\"players\":{\"max\":1000,\"online\":500,\"sample\":[");
	for (int i = 0; i < 300; i++)
		buf_printf(&j, "%s{\"name\":\"p%d\",\"id\":\"x\"}", i ? "," : "", i);
	buf_puts(&j, "]}}");
	struct game_status s;
	struct error err;
	assert_int_equal(parse_status(j.data, &s, &err), 0);
	assert_int_equal(s.players, 500);
	assert_int_equal(s.nlist, GAME_MAX_PLAYERS);
	assert_string_equal(s.list[255].name, "p255");
	game_status_free(&s);
	buf_free(&j);
}

static void test_status_motd_bounds(void **state)
{
	/* extra nested 2000 deep (past cJSON's own limit: refused as not
	 * JSON) and 200 deep (parsed; the MOTD reader stops at its depth). */
	for (int depth = 200; depth <= 2000; depth += 1800) {
		struct buf j = {0};
		buf_puts(&j, "{\"players\":{\"max\":1,\"online\":0},\"description\":");
		for (int i = 0; i < depth; i++)
			buf_puts(&j, "{\"text\":\"x\",\"extra\":[");
		buf_puts(&j, "\"deep\"");
		for (int i = 0; i < depth; i++)
			buf_puts(&j, "]}");
		buf_puts(&j, "}");
		struct game_status s;
		struct error err;
		int r = parse_status(j.data, &s, &err);
		if (depth == 200) {
			assert_int_equal(r, 0);
			assert_true(strlen(s.name) > 0 && strlen(s.name) < 40);
			assert_null(strstr(s.name, "deep"));
			game_status_free(&s);
		} else {
			assert_int_equal(r, -1);
			assert_non_null(strstr(err.msg, "not JSON"));
		}
		buf_free(&j);
	}
	/* A 10000-byte MOTD: kept to what name holds, cut on a character. */
	struct buf j = {0};
	buf_puts(&j, "{\"players\":{\"max\":1,\"online\":0},\"description\":\"");
	for (int i = 0; i < 5000; i++)
		buf_puts(&j, "\xc3\xa9"); /* é */
	buf_puts(&j, "\"}");
	struct game_status s;
	struct error err;
	assert_int_equal(parse_status(j.data, &s, &err), 0);
	assert_int_equal(strlen(s.name), 126);
	buf_free(&j);
	game_status_free(&s);
}

static void test_status_refused(void **state)
{
	expect_refused("[1,2]", "not an object");
	expect_refused("\"hello\"", "not an object");
	expect_refused("{\"version\":{\"name\":\"1.20.4\"}}", "no players object");
	expect_refused("{\"players\":[]}", "no players object");
	expect_refused("{\"players\":{\"max\":20}}", "players.online");
	expect_refused("{\"players\":{\"online\":1}}", "players.max");
	expect_refused("{\"players\":{\"max\":20,\"online\":-1}}", "players.online");
	expect_refused("{\"players\":{\"max\":20,\"online\":2.5}}", "players.online");
	expect_refused("{\"players\":{\"max\":20,\"online\":\"2\"}}", "players.online is not a number");
	expect_refused("{\"players\":{\"max\":100000000,\"online\":2}}", "players.max");
	expect_refused("{\"players\":{\"max\":1e400,\"online\":2}}", "players.max");
	expect_refused("{\"players\":{\"max\":20,\"online\":10000001}}", "players.online");
	expect_refused("not json", "not JSON");
	expect_refused("", "not JSON");
	expect_refused("{\"players\":{\"max\":20,\"online\":2}", "not JSON");
	expect_refused("{\"players\":{\"max\":20,\"online\":2}} x", "text after");
	/* Ten million exactly is still believed. */
	struct game_status s;
	struct error err;
	assert_int_equal(parse_status("{\"players\":{\"max\":10000000,\"online\":0}} \n", &s, &err), 0);
	assert_int_equal(s.players_max, 10000000);
	game_status_free(&s);
}

static void test_status_framing_refused(void **state)
{
	struct game_status s;
	struct error err;
	static const char json[] = "{\"players\":{\"max\":20,\"online\":2}}";
	struct buf b = {0};
	status_body(&b, json);
	/* Truncated: every shorter body. */
	for (size_t k = 0; k < b.len; k++) {
		memset(&err, 0, sizeof err);
		assert_int_equal(slp_parse_status((unsigned char *)b.data, k, &s, &err), -1);
		assert_non_null(strstr(err.msg, "truncated"));
		assert_null(s.list);
	}
	/* Bytes after the string. */
	buf_append(&b, "xx", 2);
	assert_int_equal(slp_parse_status((unsigned char *)b.data, b.len, &s, &err), -1);
	assert_non_null(strstr(err.msg, "after the status JSON"));
	/* A NUL inside the JSON string's bytes. */
	b.len = 0;
	put_varint(&b, sizeof json);
	buf_append(&b, json, sizeof json); /* with its NUL */
	assert_int_equal(slp_parse_status((unsigned char *)b.data, b.len, &s, &err), -1);
	/* A JSON length over SLP_MAX_PACKET, and a negative one. */
	b.len = 0;
	put_varint(&b, SLP_MAX_PACKET + 1);
	assert_int_equal(slp_parse_status((unsigned char *)b.data, b.len, &s, &err), -1);
	assert_non_null(strstr(err.msg, "out of range"));
	b.len = 0;
	put_varint(&b, 0xffffffffu);
	assert_int_equal(slp_parse_status((unsigned char *)b.data, b.len, &s, &err), -1);
	/* No body at all. */
	assert_int_equal(slp_parse_status(NULL, 0, &s, &err), -1);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake_bytes),
		cmocka_unit_test(test_varint_encode),
		cmocka_unit_test(test_varint_decode),
		cmocka_unit_test(test_frame_refused),
		cmocka_unit_test(test_frame_split),
		cmocka_unit_test(test_ping_pong),
		cmocka_unit_test(test_status_vanilla),
		cmocka_unit_test(test_status_component),
		cmocka_unit_test(test_status_sample),
		cmocka_unit_test(test_status_many),
		cmocka_unit_test(test_status_motd_bounds),
		cmocka_unit_test(test_status_refused),
		cmocka_unit_test(test_status_framing_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
