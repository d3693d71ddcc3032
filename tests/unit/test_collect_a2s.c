/* collect (game, Valve A2S): requests byte for byte, INFO replies as Source
 * (with The Ship's extra fields and the Extra Data Flag tail) and
 * GoldSource servers send them, PLAYER replies, the reassembly of split
 * replies, and what a broken or hostile peer could send instead. Replies are
 * built field by field as the wiki's Server_queries page lays them out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/game.h"

#define OOB "\xff\xff\xff\xff"

/* ---- building replies ---- */

struct pkt {
	unsigned char b[GAME_MAX_REPLY + 256];
	size_t n;
};

static void put(struct pkt *p, const void *d, size_t n)
{
	assert_true(p->n + n <= sizeof p->b);
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void u8(struct pkt *p, unsigned v)
{
	unsigned char c = (unsigned char)v;
	put(p, &c, 1);
}

static void u16(struct pkt *p, unsigned v)
{
	u8(p, v & 0xff);
	u8(p, (v >> 8) & 0xff);
}

static void u32(struct pkt *p, uint32_t v)
{
	u16(p, v & 0xffff);
	u16(p, v >> 16);
}

static void u64(struct pkt *p, uint64_t v)
{
	u32(p, (uint32_t)v);
	u32(p, (uint32_t)(v >> 32));
}

static void str(struct pkt *p, const char *s)
{
	put(p, s, strlen(s) + 1);
}

static void f32(struct pkt *p, float f)
{
	uint32_t v;
	memcpy(&v, &f, 4);
	u32(p, v);
}

static struct pkt *pkt_new(void)
{
	struct pkt *p = calloc(1, sizeof *p);
	assert_non_null(p);
	return p;
}

/* Counter-Strike 2 as it answers after the challenge: EDF with port,
 * steam id, keywords and game id. *edf_at is the offset of the EDF byte. */
static struct pkt *cs2_info(size_t *edf_at)
{
	struct pkt *p = pkt_new();
	put(p, OOB "I", 5);
	u8(p, 17);                                /* protocol */
	str(p, "Fleet \x1b[31mCS2\x7f #1");       /* name */
	str(p, "de_dust2");                       /* map */
	str(p, "csgo");                           /* folder */
	str(p, "Counter-Strike 2");               /* game */
	u16(p, 730);                              /* app id */
	u8(p, 12);                                /* players (bots included) */
	u8(p, 24);                                /* max players */
	u8(p, 2);                                 /* bots */
	u8(p, 'd');                               /* dedicated */
	u8(p, 'l');                               /* linux */
	u8(p, 0);                                 /* public */
	u8(p, 1);                                 /* VAC */
	str(p, "1.40.2.4");                       /* version */
	if (edf_at)
		*edf_at = p->n;
	u8(p, 0x80 | 0x10 | 0x20 | 0x01);         /* EDF */
	u16(p, 27015);                            /* port */
	u64(p, 90071992547409921ull);             /* steam id */
	str(p, "empty,secure,valve_ds");          /* keywords */
	u64(p, 730);                              /* game id */
	return p;
}

/* Half-Life 1 mod server with the obsolete GoldSource reply. */
static struct pkt *hlds_info(int mod)
{
	struct pkt *p = pkt_new();
	put(p, OOB "m", 5);
	str(p, "127.0.0.1:27015");  /* address */
	str(p, "HLDS \xff\xfe Frag"); /* name, not UTF-8 */
	str(p, "crossfire");
	str(p, mod ? "tfc" : "valve");
	str(p, mod ? "Team Fortress Classic" : "Half-Life");
	u8(p, 5);   /* players */
	u8(p, 16);  /* max players */
	u8(p, 47);  /* protocol */
	u8(p, 'd');
	u8(p, 'l');
	u8(p, 1);   /* password */
	u8(p, mod); /* mod */
	if (mod) {
		str(p, "http://www.example.com/tfc");
		str(p, "http://www.example.com/tfc/dl");
		u8(p, 0);       /* NUL */
		u32(p, 1);      /* mod version */
		u32(p, 184000); /* mod size */
		u8(p, 0);       /* single and multiplayer */
		u8(p, 1);       /* own DLL */
	}
	u8(p, 1); /* VAC */
	u8(p, 3); /* bots */
	return p;
}

/* A PLAYER reply with n entries "pN" (score N, duration N seconds). */
static struct pkt *players_reply(int n)
{
	struct pkt *p = pkt_new();
	put(p, OOB "D", 5);
	u8(p, (unsigned)n & 0xff);
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof name, "p%d", i);
		u8(p, (unsigned)i & 0xff);
		str(p, name);
		u32(p, (uint32_t)i);
		f32(p, (float)i);
	}
	return p;
}

/* ---- checking ---- */

static void check_err(int r, const struct error *err)
{
	if (r < 0) {
		assert_true(err->msg[0]);
		assert_null(strchr(err->msg, '\n'));
		if (strncmp(err->msg, "a2s: ", 5))
			fail_msg("error without prefix: '%s'", err->msg);
	}
}

static void expect_msg(const struct error *err, const char *want)
{
	if (!strstr(err->msg, want))
		fail_msg("expected '%s' in '%s'", want, err->msg);
}

static int feed(struct a2s_reply *r, const void *d, size_t n, struct error *err)
{
	memset(err, 0, sizeof *err);
	int rc = a2s_reply_feed(r, d, n, err);
	check_err(rc, err);
	assert_true(rc >= -1 && rc <= 1);
	return rc;
}

static int info(const unsigned char *d, size_t n, struct game_status *s, struct error *err)
{
	memset(err, 0, sizeof *err);
	int rc = a2s_parse_info(d, n, s, err);
	check_err(rc, err);
	assert_null(s->list);
	if (rc < 0) {
		assert_int_equal(s->players, 0);
		assert_string_equal(s->name, "");
	}
	return rc;
}

static int players(const unsigned char *d, size_t n, struct game_status *s, struct error *err)
{
	memset(err, 0, sizeof *err);
	int rc = a2s_parse_players(d, n, s, err);
	check_err(rc, err);
	if (rc < 0) {
		assert_null(s->list);
		assert_int_equal(s->nlist, 0);
	}
	assert_true((s->nlist > 0) == (s->list != NULL));
	return rc;
}

/* Feeds one whole datagram into a fresh reply and returns its payload
 * (copied, caller frees). */
static unsigned char *single(const void *d, size_t n, size_t *plen)
{
	struct a2s_reply *r = a2s_reply_new();
	struct error err;
	assert_int_equal(feed(r, d, n, &err), 1);
	const unsigned char *p = a2s_reply_payload(r, plen);
	assert_non_null(p);
	assert_int_equal(*plen, n - 4);
	unsigned char *copy = malloc(*plen);
	assert_non_null(copy);
	memcpy(copy, p, *plen);
	a2s_reply_free(r);
	return copy;
}

/* ---- tests ---- */

static void test_requests(void **state)
{
	unsigned char buf[64];
	static const unsigned char plain[] = OOB "TSource Engine Query";
	memset(buf, 0xaa, sizeof buf);
	assert_int_equal(a2s_info_request(buf, sizeof buf, A2S_NO_CHALLENGE), 25);
	assert_memory_equal(buf, plain, 25); /* the NUL is sent */
	assert_int_equal(buf[25], 0xaa);
	assert_int_equal(a2s_info_request(buf, sizeof buf, 0x12345678), 29);
	assert_memory_equal(buf, plain, 25);
	assert_memory_equal(buf + 25, "\x78\x56\x34\x12", 4);
	assert_int_equal(a2s_info_request(buf, sizeof buf, (int32_t)0xdeadbeef), 29);
	assert_memory_equal(buf + 25, "\xef\xbe\xad\xde", 4);
	assert_int_equal(a2s_info_request(buf, 28, 7), -1);
	assert_int_equal(a2s_info_request(buf, 29, 7), 29);
	assert_int_equal(a2s_info_request(buf, 24, A2S_NO_CHALLENGE), -1);
	assert_int_equal(a2s_info_request(buf, 25, A2S_NO_CHALLENGE), 25);
	assert_int_equal(a2s_info_request(NULL, 0, A2S_NO_CHALLENGE), -1);

	assert_int_equal(a2s_player_request(buf, sizeof buf, A2S_NO_CHALLENGE), 9);
	assert_memory_equal(buf, OOB "U" OOB, 9);
	assert_int_equal(a2s_player_request(buf, sizeof buf, 0x0a0b0c0d), 9);
	assert_memory_equal(buf, OOB "U\x0d\x0c\x0b\x0a", 9);
	assert_int_equal(a2s_player_request(buf, 8, 1), -1);
	assert_int_equal(a2s_player_request(NULL, 0, 1), -1);
}

static void test_challenge(void **state)
{
	static const unsigned char ch[] = OOB "A\xef\xbe\xad\xde";
	size_t n;
	unsigned char *p = single(ch, sizeof ch - 1, &n);
	assert_int_equal(a2s_payload_type(p, n), A2S_TYPE_CHALLENGE);
	int32_t c = 0;
	struct error err;
	assert_int_equal(a2s_parse_challenge(p, n, &c, &err), 0);
	assert_int_equal(c, (int32_t)0xdeadbeef);
	/* ...and it goes back out as the server sent it. */
	unsigned char req[32];
	assert_int_equal(a2s_info_request(req, sizeof req, c), 29);
	assert_memory_equal(req + 25, ch + 5, 4);
	assert_int_equal(a2s_player_request(req, sizeof req, c), 9);
	assert_memory_equal(req + 5, ch + 5, 4);
	for (size_t i = 0; i < n; i++) {
		c = 42;
		assert_int_equal(a2s_parse_challenge(p, i, &c, &err), -1);
		check_err(-1, &err);
		assert_int_equal(c, 42);
	}
	expect_msg(&err, "a2s: truncated challenge reply (challenge at offset 1)");
	free(p);
	static const unsigned char info_reply[] = "I\x11";
	assert_int_equal(a2s_parse_challenge(info_reply, 2, &c, &err), -1);
	expect_msg(&err, "a2s: reply is INFO ('I'), not a challenge");
	assert_int_equal(a2s_payload_type(NULL, 0), -1);
	assert_int_equal(a2s_payload_type(info_reply, 0), -1);
}

static void test_source_info(void **state)
{
	struct pkt *d = cs2_info(NULL);
	size_t n;
	unsigned char *p = single(d->b, d->n, &n);
	assert_int_equal(a2s_payload_type(p, n), A2S_TYPE_INFO);
	struct game_status s;
	struct error err;
	assert_int_equal(info(p, n, &s, &err), 0);
	assert_string_equal(s.name, "Fleet ?[31mCS2? #1");
	assert_string_equal(s.map, "de_dust2");
	assert_string_equal(s.game, "Counter-Strike 2");
	assert_string_equal(s.version, "1.40.2.4");
	assert_int_equal(s.players, 12);
	assert_int_equal(s.players_max, 24);
	assert_int_equal(s.bots, 2);
	assert_int_equal(s.nlist, 0);
	game_status_free(&s);
	free(p);
	free(d);

	/* Every EDF field, SourceTV included, and bytes after them. */
	d = pkt_new();
	put(d, "I", 1);
	u8(d, 17);
	str(d, "tv");
	str(d, "cs_office");
	str(d, "csgo");
	str(d, "Counter-Strike 2");
	u16(d, 730);
	u8(d, 0);
	u8(d, 10);
	u8(d, 0);
	u8(d, 'd');
	u8(d, 'w');
	u8(d, 1);
	u8(d, 0);
	str(d, "1.0");
	u8(d, 0xf1);
	u16(d, 27015);
	u64(d, 1);
	u16(d, 27020);
	str(d, "SourceTV");
	str(d, "k1,k2");
	u64(d, 730);
	u8(d, 0x99); /* a field from the future */
	assert_int_equal(info(d->b, d->n, &s, &err), 0);
	assert_string_equal(s.map, "cs_office");
	assert_string_equal(s.version, "1.0");
	assert_int_equal(s.players_max, 10);
	/* Each cut before the future byte is refused. */
	for (size_t i = 0; i + 1 < d->n; i++) {
		size_t version_end = d->n - 1 - (1 + 2 + 8 + 2 + 9 + 6 + 8);
		int rc = info(d->b, i, &s, &err);
		assert_int_equal(rc, i == version_end ? 0 : -1);
	}
	free(d);
}

static void test_ship_info(void **state)
{
	/* The Ship (app id 2400): mode, witnesses and duration sit between
	 * VAC and the version; reading past them would make the version "". */
	struct pkt *d = pkt_new();
	put(d, "I", 1);
	u8(d, 7);
	str(d, "Ship");
	str(d, "batavier");
	str(d, "ship");
	str(d, "The Ship");
	u16(d, 2400);
	u8(d, 4);
	u8(d, 16);
	u8(d, 1);
	u8(d, 'd');
	u8(d, 'w');
	u8(d, 0);
	u8(d, 1);
	u8(d, 0); /* mode: hunt */
	u8(d, 2); /* witnesses */
	u8(d, 60); /* duration */
	str(d, "1.0.0.4");
	struct game_status s;
	struct error err;
	assert_int_equal(info(d->b, d->n, &s, &err), 0);
	assert_string_equal(s.version, "1.0.0.4");
	assert_string_equal(s.game, "The Ship");
	assert_int_equal(s.players, 4);
	assert_int_equal(s.bots, 1);
	for (size_t i = 0; i < d->n; i++)
		assert_int_equal(info(d->b, i, &s, &err), -1);
	expect_msg(&err, "a2s: truncated INFO reply (version at offset 42 has no terminating NUL)");
	free(d);
}

static void test_goldsource_info(void **state)
{
	for (int mod = 0; mod <= 1; mod++) {
		struct pkt *d = hlds_info(mod);
		size_t n;
		unsigned char *p = single(d->b, d->n, &n);
		assert_int_equal(a2s_payload_type(p, n), A2S_TYPE_INFO_OLD);
		struct game_status s;
		struct error err;
		assert_int_equal(info(p, n, &s, &err), 0);
		assert_string_equal(s.name, "HLDS ?? Frag");
		assert_string_equal(s.map, "crossfire");
		assert_string_equal(s.game, mod ? "Team Fortress Classic" : "Half-Life");
		assert_string_equal(s.version, "");
		assert_int_equal(s.players, 5);
		assert_int_equal(s.players_max, 16);
		assert_int_equal(s.bots, 3);
		/* No field is optional: every cut is refused. */
		for (size_t i = 0; i < n; i++)
			assert_int_equal(info(p, i, &s, &err), -1);
		expect_msg(&err, "a2s: truncated INFO reply (bots at offset");
		free(p);
		free(d);
	}
}

static void test_info_truncated(void **state)
{
	size_t edf_at;
	struct pkt *d = cs2_info(&edf_at);
	struct a2s_reply *r = a2s_reply_new();
	struct game_status s;
	struct error err;
	/* Cut the datagram at every length and take it through the whole
	 * path. Only the cut right before the EDF byte is a whole reply (the
	 * EDF is optional: pre-Orange Box servers end at the version). */
	for (size_t i = 0; i < d->n; i++) {
		a2s_reply_reset(r);
		int rc = feed(r, d->b, i, &err);
		if (i < 5) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 1);
		size_t n;
		const unsigned char *p = a2s_reply_payload(r, &n);
		assert_int_equal(n, i - 4);
		rc = info(p, n, &s, &err);
		if (i == edf_at) {
			assert_int_equal(rc, 0);
			assert_string_equal(s.version, "1.40.2.4");
			assert_int_equal(s.players, 12);
			game_status_free(&s);
		} else {
			assert_int_equal(rc, -1);
			expect_msg(&err, "a2s: truncated INFO reply (");
		}
	}
	/* Where it says the cut is. */
	assert_int_equal(info(d->b + 4, edf_at - 4 + 2, &s, &err), -1);
	expect_msg(&err, "a2s: truncated INFO reply (game port at offset");
	assert_int_equal(info(d->b + 4, d->n - 4 - 10, &s, &err), -1);
	expect_msg(&err, "(keywords at offset");
	assert_int_equal(info(d->b + 4, d->n - 4 - 1, &s, &err), -1);
	expect_msg(&err, "(game id at offset");
	assert_int_equal(info(d->b + 4, 7, &s, &err), -1);
	expect_msg(&err, "a2s: truncated INFO reply (name at offset 2 has no terminating NUL)");
	a2s_reply_free(r);
	free(d);
}

static void test_wrong_type(void **state)
{
	struct game_status s;
	struct error err;
	static const unsigned char pl[] = "D\0";
	assert_int_equal(info(pl, 2, &s, &err), -1);
	expect_msg(&err, "a2s: reply is PLAYER ('D'), not INFO");
	assert_int_equal(info(pl, 0, &s, &err), -1);
	expect_msg(&err, "a2s: empty reply where INFO was expected");
	assert_int_equal(info(NULL, 0, &s, &err), -1);
	static const unsigned char odd[] = "\x01";
	assert_int_equal(info(odd, 1, &s, &err), -1);
	expect_msg(&err, "a2s: reply type 0x01 is not INFO");
	memset(&s, 0, sizeof s);
	static const unsigned char ch[] = "A\1\2\3\4";
	assert_int_equal(players(ch, 5, &s, &err), -1);
	expect_msg(&err, "a2s: reply is a challenge ('A'), not PLAYER");
	static const unsigned char rules[] = "E\0\0";
	assert_int_equal(players(rules, 3, &s, &err), -1);
	expect_msg(&err, "RULES ('E')");
}

static void test_players(void **state)
{
	struct pkt *d = pkt_new();
	put(d, OOB "D", 5);
	u8(d, 5);
	const char *names[] = { "Alice", "\x1b[2Jevil\x07", "bad\xff\xfeutf", "", "Zo\xc3\xab" };
	const int32_t scores[] = { 10, -3, INT32_MAX, INT32_MIN, 0 };
	for (int i = 0; i < 5; i++) {
		u8(d, 0); /* Source sends index 0 for everyone */
		str(d, names[i]);
		u32(d, (uint32_t)scores[i]);
		f32(d, 12.5f * (float)i);
	}
	size_t n;
	unsigned char *p = single(d->b, d->n, &n);
	assert_int_equal(a2s_payload_type(p, n), A2S_TYPE_PLAYER);

	/* After INFO, the list is added and the rest stays. */
	struct pkt *i = cs2_info(NULL);
	struct game_status s;
	struct error err;
	assert_int_equal(info(i->b + 4, i->n - 4, &s, &err), 0);
	assert_int_equal(players(p, n, &s, &err), 0);
	assert_int_equal(s.nlist, 5);
	assert_string_equal(s.list[0].name, "Alice");
	assert_string_equal(s.list[1].name, "?[2Jevil?");
	assert_string_equal(s.list[2].name, "bad??utf");
	assert_string_equal(s.list[3].name, "");
	assert_string_equal(s.list[4].name, "Zo\xc3\xab");
	for (int k = 0; k < 5; k++) {
		assert_int_equal(s.list[k].score, scores[k]);
		assert_int_equal(s.list[k].ping, 0);
	}
	assert_int_equal(s.players, 12);
	assert_int_equal(s.bots, 2);
	assert_string_equal(s.map, "de_dust2");
	/* Parsing again replaces the list (ASan would see a leak). */
	assert_int_equal(players(p, n, &s, &err), 0);
	assert_int_equal(s.nlist, 5);
	/* Every cut is refused and drops the list it had. */
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(players(p, k, &s, &err), -1);
		assert_int_equal(s.players, 12);
	}
	expect_msg(&err, "a2s: truncated PLAYER reply (player duration at offset");
	assert_int_equal(players(p, 2, &s, &err), -1);
	expect_msg(&err, "a2s: truncated PLAYER reply (player index at offset 2)");
	game_status_free(&s);

	/* No players: an empty list, not an error. */
	static const unsigned char none[] = "D\0";
	assert_int_equal(players(none, 2, &s, &err), 0);
	assert_int_equal(s.nlist, 0);
	assert_null(s.list);
	free(p);
	free(i);
	free(d);
}

static void test_many_players(void **state)
{
	struct game_status s;
	struct error err;
	memset(&s, 0, sizeof s);
	/* 300 players: the count byte says 44 (300 mod 256), all 300 entries
	 * follow; the first 256 are kept. */
	struct pkt *d = players_reply(300);
	assert_int_equal(d->b[5], 44);
	assert_int_equal(players(d->b + 4, d->n - 4, &s, &err), 0);
	assert_int_equal(s.nlist, GAME_MAX_PLAYERS);
	assert_string_equal(s.list[255].name, "p255");
	assert_int_equal(s.list[255].score, 255);
	assert_string_equal(s.list[43].name, "p43");
	free(d);

	/* 255 players with The Ship's deaths and money (8 bytes each) after
	 * them: the tail is not taken for players. */
	d = players_reply(255);
	for (int k = 0; k < 255; k++) {
		u32(d, 1);
		u32(d, 1000);
	}
	assert_int_equal(players(d->b + 4, d->n - 4, &s, &err), 0);
	assert_int_equal(s.nlist, 255);
	free(d);

	/* 44 entries and a broken 256 after them: only the 44. */
	d = players_reply(300);
	d->n -= 3;
	assert_int_equal(players(d->b + 4, d->n - 4, &s, &err), 0);
	assert_int_equal(s.nlist, 44);
	free(d);

	/* 556 players (count 44 again): two more blocks of 256. */
	d = players_reply(556);
	assert_int_equal(players(d->b + 4, d->n - 4, &s, &err), 0);
	assert_int_equal(s.nlist, GAME_MAX_PLAYERS);
	game_status_free(&s);
	free(d);
}

/* Cuts a reply (with its -1 header) into Source split parts of chunk bytes. */
struct parts {
	struct pkt *p[40];
	int n;
};

static void split(struct parts *out, const struct pkt *reply, size_t chunk, uint32_t id)
{
	out->n = (int)((reply->n + chunk - 1) / chunk);
	assert_true(out->n <= 40);
	for (int i = 0; i < out->n; i++) {
		struct pkt *p = out->p[i] = pkt_new();
		size_t off = (size_t)i * chunk;
		size_t len = reply->n - off < chunk ? reply->n - off : chunk;
		u32(p, 0xfffffffeu);
		u32(p, id);
		u8(p, (unsigned)out->n);
		u8(p, (unsigned)i);
		u16(p, 1248);
		put(p, reply->b + off, len);
	}
}

static void parts_free(struct parts *ps)
{
	for (int i = 0; i < ps->n; i++)
		free(ps->p[i]);
}

static void expect_payload(struct a2s_reply *r, const struct pkt *reply)
{
	size_t n;
	const unsigned char *p = a2s_reply_payload(r, &n);
	assert_non_null(p);
	assert_int_equal(n, reply->n - 4);
	assert_memory_equal(p, reply->b + 4, n);
}

static void test_split(void **state)
{
	struct pkt *reply = players_reply(100);
	struct parts ps;
	split(&ps, reply, 400, 0x1234);
	assert_true(ps.n >= 3);
	struct a2s_reply *r = a2s_reply_new();
	struct error err;
	size_t n;

	/* In order. */
	for (int i = 0; i < ps.n; i++) {
		assert_null(a2s_reply_payload(r, &n));
		assert_int_equal(n, 0);
		assert_int_equal(feed(r, ps.p[i]->b, ps.p[i]->n, &err), i == ps.n - 1);
	}
	expect_payload(r, reply);
	struct game_status s;
	memset(&s, 0, sizeof s);
	const unsigned char *payload = a2s_reply_payload(r, &n);
	assert_int_equal(players(payload, n, &s, &err), 0);
	assert_int_equal(s.nlist, 100);
	assert_string_equal(s.list[99].name, "p99");
	game_status_free(&s);
	/* A late copy of a part changes nothing. */
	assert_int_equal(feed(r, ps.p[1]->b, ps.p[1]->n, &err), 1);
	expect_payload(r, reply);

	/* Reversed, with duplicates on the way. */
	a2s_reply_reset(r);
	assert_null(a2s_reply_payload(r, &n));
	for (int i = ps.n - 1; i >= 0; i--) {
		int want = i == 0;
		assert_int_equal(feed(r, ps.p[i]->b, ps.p[i]->n, &err), want);
		assert_int_equal(feed(r, ps.p[i]->b, ps.p[i]->n, &err), want);
	}
	expect_payload(r, reply);

	/* Middle first, then the rest. */
	a2s_reply_reset(r);
	assert_int_equal(feed(r, ps.p[1]->b, ps.p[1]->n, &err), 0);
	for (int i = 0; i < ps.n; i++)
		if (i != 1)
			assert_int_equal(feed(r, ps.p[i]->b, ps.p[i]->n, &err), i == ps.n - 1);
	expect_payload(r, reply);
	a2s_reply_free(r);
	parts_free(&ps);
	free(reply);

	/* The most parts allowed: 32 of them. */
	reply = players_reply(64);
	split(&ps, reply, (reply->n + 31) / 32, 7);
	assert_int_equal(ps.n, 32);
	r = a2s_reply_new();
	for (int i = 0; i < ps.n; i++)
		assert_int_equal(feed(r, ps.p[i]->b, ps.p[i]->n, &err), i == ps.n - 1);
	expect_payload(r, reply);
	a2s_reply_free(r);
	parts_free(&ps);
	free(reply);
}

static void test_split_contradicting(void **state)
{
	struct pkt *reply = players_reply(100);
	struct parts ps, other;
	split(&ps, reply, 500, 0x1234);
	split(&other, reply, 400, 0x1234); /* same id, more parts */
	assert_int_equal(ps.n, 3);
	assert_true(other.n != ps.n);
	struct a2s_reply *r = a2s_reply_new();
	struct error err;
	size_t n;

	assert_int_equal(feed(r, ps.p[0]->b, ps.p[0]->n, &err), 0);
	/* Another reply's part. */
	struct pkt *stray = pkt_new();
	put(stray, ps.p[1]->b, ps.p[1]->n);
	stray->b[4] = 0x35;
	assert_int_equal(feed(r, stray->b, stray->n, &err), -1);
	expect_msg(&err, "a2s: split part of reply 0x00001235 while reply 0x00001234 is half assembled");
	/* Same id, another total. */
	assert_int_equal(feed(r, other.p[1]->b, other.p[1]->n, &err), -1);
	expect_msg(&err, "says 4 parts, earlier parts said 3");
	/* Same part, other bytes. */
	stray->b[4] = 0x34;
	stray->b[stray->n - 1] ^= 1;
	assert_int_equal(feed(r, stray->b, stray->n, &err), 0);
	/* The same bytes again are a duplicate, ignored; the first copy of
	 * part 1 (the altered one) is what is held, so another is refused. */
	assert_int_equal(feed(r, stray->b, stray->n, &err), 0);
	assert_int_equal(feed(r, ps.p[1]->b, ps.p[1]->n, &err), -1);
	expect_msg(&err, "a2s: split part 1 of reply 0x00001234 came twice with different bytes");
	/* A single-packet reply does not cut in. */
	assert_int_equal(feed(r, "\xff\xff\xff\xff" "A\1\2\3\4", 9, &err), -1);
	expect_msg(&err, "while split reply 0x00001234 is half assembled (2 of 3 parts)");
	/* None of that spoiled the reply: the last part completes it. */
	assert_int_equal(feed(r, ps.p[2]->b, ps.p[2]->n, &err), 1);
	const unsigned char *p = a2s_reply_payload(r, &n);
	assert_int_equal(n, reply->n - 4);
	assert_memory_equal(p, reply->b + 4, 500 - 4);
	/* After completion: other replies are refused until reset. */
	assert_int_equal(feed(r, other.p[0]->b, other.p[0]->n, &err), -1);
	assert_int_equal(feed(r, "\xff\xff\xff\xff" "A\1\2\3\4", 9, &err), -1);
	expect_msg(&err, "already complete");
	stray->b[4] = 0x99;
	assert_int_equal(feed(r, stray->b, stray->n, &err), -1);
	expect_msg(&err, "after reply 0x00001234 is complete");
	assert_non_null(a2s_reply_payload(r, &n));

	/* A complete single reply: its duplicate is fine, another is not. */
	a2s_reply_reset(r);
	assert_int_equal(feed(r, "\xff\xff\xff\xff" "A\1\2\3\4", 9, &err), 1);
	assert_int_equal(feed(r, "\xff\xff\xff\xff" "A\1\2\3\4", 9, &err), 1);
	assert_int_equal(feed(r, "\xff\xff\xff\xff" "A\1\2\3\5", 9, &err), -1);
	assert_int_equal(feed(r, ps.p[0]->b, ps.p[0]->n, &err), -1);
	expect_msg(&err, "already complete");
	p = a2s_reply_payload(r, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(p, "A\1\2\3\4", 5);
	free(stray);
	a2s_reply_free(r);
	parts_free(&ps);
	parts_free(&other);
	free(reply);
}

static void test_split_refused(void **state)
{
	struct a2s_reply *r = a2s_reply_new();
	struct error err;
	struct pkt *p = pkt_new();

	/* bzip2: the id's high bit. */
	u32(p, 0xfffffffeu);
	u32(p, 0x80000001u);
	u8(p, 2);
	u8(p, 0);
	u16(p, 1248);
	u32(p, 1000); /* decompressed size */
	u32(p, 0);    /* crc */
	put(p, "BZh9", 4);
	assert_int_equal(feed(r, p->b, p->n, &err), -1);
	assert_string_equal(err.msg, "a2s: compressed split replies are not supported");

	/* GoldSource: number << 4 | total, no size, payload right after. */
	p->n = 0;
	u32(p, 0xfffffffeu);
	u32(p, 5);
	u8(p, 0x02);
	put(p, OOB "D\0", 6);
	assert_int_equal(feed(r, p->b, p->n, &err), -1);
	assert_string_equal(err.msg, "a2s: GoldSource split replies are not supported");

	/* Too many parts, out of range, no parts. */
	p->n = 0;
	u32(p, 0xfffffffeu);
	u32(p, 5);
	u8(p, 33);
	u8(p, 1);
	u16(p, 1248);
	put(p, "xx", 2);
	assert_int_equal(feed(r, p->b, p->n, &err), -1);
	expect_msg(&err, "a2s: split reply of 33 parts is over the 32 part limit");
	p->b[8] = 2;
	p->b[9] = 2;
	assert_int_equal(feed(r, p->b, p->n, &err), -1);
	expect_msg(&err, "a2s: split part number 2 of 2 parts is out of range");
	p->b[8] = 0;
	p->b[9] = 0;
	assert_int_equal(feed(r, p->b, p->n, &err), -1);
	/* A first part without the inner -1 header. */
	p->b[8] = 2;
	assert_int_equal(feed(r, p->b, p->n, &err), -1);
	expect_msg(&err, "a2s: first part of split reply 0x00000005 does not start with the -1 header");
	/* Headers too short or wrong. */
	assert_int_equal(feed(r, p->b, 11, &err), -1);
	expect_msg(&err, "a2s: split part of 11 bytes is shorter than its 12 byte header");
	assert_int_equal(feed(r, p->b, 3, &err), -1);
	expect_msg(&err, "too short for a header");
	assert_int_equal(feed(r, OOB, 4, &err), -1);
	expect_msg(&err, "a2s: reply has a header but no type byte");
	assert_int_equal(feed(r, "\xfd\xff\xff\xff" "I", 5, &err), -1);
	expect_msg(&err, "a2s: not an A2S reply (header 0xfffffffd is neither -1 nor -2)");
	assert_int_equal(feed(r, NULL, 5, &err), -1);
	assert_int_equal(feed(r, NULL, 0, &err), -1);
	size_t n;
	assert_null(a2s_reply_payload(r, &n));

	/* Over GAME_MAX_REPLY in total: the part that would pass it is
	 * refused, the ones before it are kept. */
	struct pkt *big = pkt_new();
	u32(big, 0xfffffffeu);
	u32(big, 9);
	u8(big, 2);
	u8(big, 0);
	u16(big, 1248);
	put(big, OOB "D", 5);
	memset(big->b + big->n, 'x', 40000 - 5);
	big->n += 40000 - 5;
	assert_int_equal(feed(r, big->b, big->n, &err), 0);
	big->b[9] = 1;
	assert_int_equal(feed(r, big->b, big->n, &err), -1);
	expect_msg(&err, "a2s: split reply 0x00000009 is over the 65536 byte limit");
	big->n = 12 + GAME_MAX_REPLY - 40000; /* exactly at the limit */
	assert_int_equal(feed(r, big->b, big->n, &err), 1);
	assert_non_null(a2s_reply_payload(r, &n));
	assert_int_equal(n, GAME_MAX_REPLY - 4);
	/* A datagram over the limit on its own. */
	a2s_reply_reset(r);
	assert_int_equal(feed(r, big->b, GAME_MAX_REPLY + 1, &err), -1);
	expect_msg(&err, "a2s: datagram of 65537 bytes is over the 65536 byte limit");

	/* Reset forgets half a reply. */
	a2s_reply_reset(r);
	big->b[9] = 0;
	big->n = 100;
	assert_int_equal(feed(r, big->b, big->n, &err), 0);
	a2s_reply_reset(r);
	assert_null(a2s_reply_payload(r, &n));
	assert_int_equal(feed(r, OOB "A\1\2\3\4", 9, &err), 1);
	a2s_reply_reset(r);
	a2s_reply_reset(r);
	assert_null(a2s_reply_payload(r, &n));
	a2s_reply_free(r);
	a2s_reply_free(NULL);
	a2s_reply_reset(NULL);
	free(big);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_challenge),
		cmocka_unit_test(test_source_info),
		cmocka_unit_test(test_ship_info),
		cmocka_unit_test(test_goldsource_info),
		cmocka_unit_test(test_info_truncated),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_players),
		cmocka_unit_test(test_many_players),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_split_contradicting),
		cmocka_unit_test(test_split_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
