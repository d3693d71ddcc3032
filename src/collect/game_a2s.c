/* game (Valve A2S): INFO and PLAYER requests, the reassembly of split
 * replies and the parsing of what they carry. As with Quake 3, a reply is
 * whatever any host sends to our port: every read is bounded by the
 * datagram, a reply cut short is refused whole, and all text is cleaned
 * before anyone shows it.
 *
 * Split replies: only the Source layout (-2, id, total, number, size) is
 * reassembled. The GoldSource layout packs number and total into one byte
 * and has no size; only its first part can be told apart from a Source part
 * (its payload's -1 header sits where Source keeps the part number), so that
 * part is refused by name and the others fail the Source checks or never
 * complete. GoldSource servers send INFO and PLAYER replies in one datagram,
 * so nothing we ask for is lost. bzip2-compressed splits are refused too. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/game.h"
#include "game_private.h"

#define A2S_SINGLE 0xffffffffu
#define A2S_SPLIT 0xfffffffeu
#define A2S_COMPRESSED 0x80000000u
/* -2, id, total, number, size */
#define A2S_SPLIT_HEADER 12
/* A reply of GAME_MAX_REPLY bytes in 1248-byte parts needs 53; servers
 * send INFO and PLAYER in one to four. */
#define A2S_MAX_PARTS 32
/* Replies from The Ship carry three more bytes in INFO. */
#define A2S_APPID_SHIP 2400
/* Reply buffers larger than this are not kept across resets. */
#define A2S_KEEP_BUF 4096

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

int a2s_info_request(unsigned char *buf, size_t size, int32_t challenge)
{
	/* The query string's NUL is part of the request. */
	static const char q[] = "\xff\xff\xff\xffTSource Engine Query";
	size_t len = sizeof q + (challenge != A2S_NO_CHALLENGE ? 4 : 0);
	if (!buf || size < len)
		return -1;
	memcpy(buf, q, sizeof q);
	if (challenge != A2S_NO_CHALLENGE)
		put_le32(buf + sizeof q, (uint32_t)challenge);
	return (int)len;
}

int a2s_player_request(unsigned char *buf, size_t size, int32_t challenge)
{
	if (!buf || size < 9)
		return -1;
	put_le32(buf, A2S_SINGLE);
	buf[4] = 'U';
	put_le32(buf + 5, (uint32_t)challenge);
	return 9;
}

/* ---- reassembly ---- */

struct a2s_reply {
	bool complete, split;
	/* The split being assembled (have > 0) or completed (split). */
	uint32_t id;
	int total, have;
	unsigned char *part[A2S_MAX_PARTS];
	size_t part_len[A2S_MAX_PARTS];
	size_t bytes;
	/* The complete reply, -1 header included. */
	unsigned char *buf;
	size_t len, cap;
};

struct a2s_reply *a2s_reply_new(void)
{
	return xcalloc(1, sizeof(struct a2s_reply));
}

void a2s_reply_reset(struct a2s_reply *r)
{
	if (!r)
		return;
	for (int i = 0; i < A2S_MAX_PARTS; i++) {
		free(r->part[i]);
		r->part[i] = NULL;
		r->part_len[i] = 0;
	}
	/* A small buffer is kept for the next reply; a big one would sit idle
	 * in every host's reply between queries. */
	if (r->cap > A2S_KEEP_BUF) {
		free(r->buf);
		r->buf = NULL;
		r->cap = 0;
	}
	r->complete = r->split = false;
	r->id = 0;
	r->total = r->have = 0;
	r->bytes = r->len = 0;
}

void a2s_reply_free(struct a2s_reply *r)
{
	if (!r)
		return;
	a2s_reply_reset(r);
	free(r->buf);
	free(r);
}

static void reply_reserve(struct a2s_reply *r, size_t n)
{
	if (n > r->cap) {
		r->buf = xrealloc(r->buf, n);
		r->cap = n;
	}
}

static int feed_single(struct a2s_reply *r, const unsigned char *d, size_t len, struct error *err)
{
	if (len < 5)
		return error_set(err, "a2s: reply has a header but no type byte");
	if (r->complete) {
		/* The network may deliver a datagram twice. */
		if (!r->split && len == r->len && !memcmp(r->buf, d, len))
			return 1;
		return error_set(err, "a2s: a reply is already complete (reset before the next request)");
	}
	if (r->have)
		return error_set(err, "a2s: single-packet reply while split reply 0x%08x is half assembled (%d of %d parts)",
				 r->id, r->have, r->total);
	reply_reserve(r, len);
	memcpy(r->buf, d, len);
	r->len = len;
	r->complete = true;
	r->split = false;
	return 1;
}

static void assemble(struct a2s_reply *r)
{
	reply_reserve(r, r->bytes);
	r->len = 0;
	for (int i = 0; i < r->total; i++) {
		memcpy(r->buf + r->len, r->part[i], r->part_len[i]);
		r->len += r->part_len[i];
	}
	r->complete = true;
	r->split = true;
}

static int feed_part(struct a2s_reply *r, const unsigned char *d, size_t len, struct error *err)
{
	if (len < A2S_SPLIT_HEADER)
		return error_set(err, "a2s: split part of %zu bytes is shorter than its %d byte header",
				 len, A2S_SPLIT_HEADER);
	uint32_t id = le32(d + 4);
	int total = d[8], number = d[9];
	const unsigned char *body = d + A2S_SPLIT_HEADER;
	size_t blen = len - A2S_SPLIT_HEADER;
	if (id & A2S_COMPRESSED)
		return error_set(err, "a2s: compressed split replies are not supported");
	if (total >= 2 && total <= 15 && len >= 13 && le32(d + 9) == A2S_SINGLE)
		return error_set(err, "a2s: GoldSource split replies are not supported");
	if (total == 0 || number >= total)
		return error_set(err, "a2s: split part number %d of %d parts is out of range", number,
				 total);
	if (total > A2S_MAX_PARTS)
		return error_set(err, "a2s: split reply of %d parts is over the %d part limit", total,
				 A2S_MAX_PARTS);
	if (r->complete && !r->split)
		return error_set(err, "a2s: a reply is already complete (reset before the next request)");
	if (r->have) {
		if (id != r->id)
			return error_set(err, r->complete ? "a2s: split part of reply 0x%08x after reply 0x%08x is complete (reset before the next request)"
							  : "a2s: split part of reply 0x%08x while reply 0x%08x is half assembled",
					 id, r->id);
		if (total != r->total)
			return error_set(err, "a2s: split part of reply 0x%08x says %d parts, earlier parts said %d",
					 id, total, r->total);
		if (r->part[number]) {
			if (r->part_len[number] == blen && !memcmp(r->part[number], body, blen))
				return r->complete ? 1 : 0;
			return error_set(err, "a2s: split part %d of reply 0x%08x came twice with different bytes",
					 number, id);
		}
	}
	/* The parts join into one reply with its own -1 header. */
	if (number == 0 && (blen < 5 || le32(body) != A2S_SINGLE))
		return error_set(err, "a2s: first part of split reply 0x%08x does not start with the -1 header",
				 id);
	if (r->bytes + blen > GAME_MAX_REPLY)
		return error_set(err, "a2s: split reply 0x%08x is over the %d byte limit", id,
				 GAME_MAX_REPLY);
	if (!r->have) {
		r->id = id;
		r->total = total;
	}
	r->part[number] = xmalloc(blen ? blen : 1);
	memcpy(r->part[number], body, blen);
	r->part_len[number] = blen;
	r->bytes += blen;
	if (++r->have < r->total)
		return 0;
	assemble(r);
	return 1;
}

int a2s_reply_feed(struct a2s_reply *r, const void *data, size_t len, struct error *err)
{
	const unsigned char *d = data;
	if (!d && len)
		return error_set(err, "a2s: no data");
	if (len > GAME_MAX_REPLY)
		return error_set(err, "a2s: datagram of %zu bytes is over the %d byte limit", len,
				 GAME_MAX_REPLY);
	if (len < 4)
		return error_set(err, "a2s: datagram of %zu bytes is too short for a header", len);
	uint32_t h = le32(d);
	if (h == A2S_SINGLE)
		return feed_single(r, d, len, err);
	if (h == A2S_SPLIT)
		return feed_part(r, d, len, err);
	return error_set(err, "a2s: not an A2S reply (header 0x%08x is neither -1 nor -2)", h);
}

const unsigned char *a2s_reply_payload(const struct a2s_reply *r, size_t *len)
{
	if (!r || !r->complete) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = r->len - 4;
	return r->buf + 4;
}

/* ---- payloads ---- */

int a2s_payload_type(const unsigned char *payload, size_t len)
{
	return payload && len ? payload[0] : -1;
}

/* Reads fields in order; the first read past the end fails the reader (and
 * sets err once), later reads then give zeros, so a parser checks once. */
struct reader {
	const unsigned char *p;
	size_t len, off;
	const char *what;
	struct error *err;
	bool failed;
};

static bool rd_need(struct reader *r, size_t n, const char *field)
{
	if (r->failed)
		return false;
	if (r->len - r->off < n) {
		r->failed = true;
		error_set(r->err, "a2s: truncated %s reply (%s at offset %zu)", r->what, field, r->off);
		return false;
	}
	return true;
}

static unsigned rd_u8(struct reader *r, const char *field)
{
	if (!rd_need(r, 1, field))
		return 0;
	return r->p[r->off++];
}

static unsigned rd_u16(struct reader *r, const char *field)
{
	if (!rd_need(r, 2, field))
		return 0;
	unsigned v = r->p[r->off] | (unsigned)r->p[r->off + 1] << 8;
	r->off += 2;
	return v;
}

static int32_t rd_i32(struct reader *r, const char *field)
{
	if (!rd_need(r, 4, field))
		return 0;
	uint32_t v = le32(r->p + r->off);
	r->off += 4;
	/* Two's complement without relying on the implementation's cast. */
	return v <= INT32_MAX ? (int32_t)v : (int32_t)(v - INT32_MAX - 1) + INT32_MIN;
}

static void rd_skip(struct reader *r, size_t n, const char *field)
{
	if (rd_need(r, n, field))
		r->off += n;
}

/* A NUL-terminated string, cleaned into dst (NULL skips it). */
static void rd_str(struct reader *r, char *dst, size_t size, const char *field)
{
	if (r->failed)
		return;
	const unsigned char *s = r->p + r->off;
	const unsigned char *nul = memchr(s, '\0', r->len - r->off);
	if (!nul) {
		r->failed = true;
		error_set(r->err, "a2s: truncated %s reply (%s at offset %zu has no terminating NUL)",
			  r->what, field, r->off);
		return;
	}
	if (dst)
		game_text_clean(dst, size, (const char *)s, (size_t)(nul - s), GAME_COLORS_NONE);
	r->off += (size_t)(nul - s) + 1;
}

static const char *type_name(int type)
{
	switch (type) {
	case A2S_TYPE_CHALLENGE:
		return "a challenge ('A')";
	case A2S_TYPE_INFO:
		return "INFO ('I')";
	case A2S_TYPE_INFO_OLD:
		return "GoldSource INFO ('m')";
	case A2S_TYPE_PLAYER:
		return "PLAYER ('D')";
	case 'E':
		return "RULES ('E')";
	default:
		return NULL;
	}
}

static int wrong_type(const unsigned char *payload, size_t len, const char *want, struct error *err)
{
	int type = a2s_payload_type(payload, len);
	if (type < 0)
		return error_set(err, "a2s: empty reply where %s was expected", want);
	const char *name = type_name(type);
	if (name)
		return error_set(err, "a2s: reply is %s, not %s", name, want);
	return error_set(err, "a2s: reply type 0x%02x is not %s", (unsigned)type, want);
}

int a2s_parse_challenge(const unsigned char *payload, size_t len, int32_t *challenge,
			struct error *err)
{
	if (a2s_payload_type(payload, len) != A2S_TYPE_CHALLENGE)
		return wrong_type(payload, len, "a challenge", err);
	struct reader r = { payload, len, 1, "challenge", err, false };
	int32_t c = rd_i32(&r, "challenge");
	if (r.failed)
		return -1;
	*challenge = c;
	return 0;
}

/* Extra Data Flag fields: checked for length, none of them kept. */
static void source_edf(struct reader *r)
{
	unsigned edf = rd_u8(r, "extra data flags");
	if (edf & 0x80)
		rd_u16(r, "game port");
	if (edf & 0x10)
		rd_skip(r, 8, "steam id");
	if (edf & 0x40) {
		rd_u16(r, "SourceTV port");
		rd_str(r, NULL, 0, "SourceTV name");
	}
	if (edf & 0x20)
		rd_str(r, NULL, 0, "keywords");
	if (edf & 0x01)
		rd_skip(r, 8, "game id");
}

static void source_info(struct reader *r, struct game_status *out)
{
	rd_u8(r, "protocol");
	rd_str(r, out->name, sizeof out->name, "name");
	rd_str(r, out->map, sizeof out->map, "map");
	rd_str(r, NULL, 0, "folder");
	rd_str(r, out->game, sizeof out->game, "game");
	unsigned appid = rd_u16(r, "app id");
	out->players = (int)rd_u8(r, "players");
	out->players_max = (int)rd_u8(r, "max players");
	out->bots = (int)rd_u8(r, "bots");
	rd_u8(r, "server type");
	rd_u8(r, "environment");
	rd_u8(r, "visibility");
	rd_u8(r, "VAC");
	if (appid == A2S_APPID_SHIP)
		rd_skip(r, 3, "The Ship mode, witnesses and duration");
	rd_str(r, out->version, sizeof out->version, "version");
	/* Servers before the Orange Box end here; later fields may follow
	 * the known ones and are ignored. */
	if (!r->failed && r->off < r->len)
		source_edf(r);
}

static void goldsource_info(struct reader *r, struct game_status *out)
{
	rd_str(r, NULL, 0, "address");
	rd_str(r, out->name, sizeof out->name, "name");
	rd_str(r, out->map, sizeof out->map, "map");
	rd_str(r, NULL, 0, "folder");
	rd_str(r, out->game, sizeof out->game, "game");
	out->players = (int)rd_u8(r, "players");
	out->players_max = (int)rd_u8(r, "max players");
	rd_u8(r, "protocol");
	rd_u8(r, "server type");
	rd_u8(r, "environment");
	rd_u8(r, "visibility");
	if (rd_u8(r, "mod")) {
		rd_str(r, NULL, 0, "mod link");
		rd_str(r, NULL, 0, "mod download link");
		rd_skip(r, 1 + 4 + 4 + 1 + 1, "mod version, size, type and DLL");
	}
	rd_u8(r, "VAC");
	out->bots = (int)rd_u8(r, "bots");
}

int a2s_parse_info(const unsigned char *payload, size_t len, struct game_status *out,
		   struct error *err)
{
	memset(out, 0, sizeof *out);
	int type = a2s_payload_type(payload, len);
	if (type != A2S_TYPE_INFO && type != A2S_TYPE_INFO_OLD)
		return wrong_type(payload, len, "INFO", err);
	struct reader r = { payload, len, 1, "INFO", err, false };
	if (type == A2S_TYPE_INFO)
		source_info(&r, out);
	else
		goldsource_info(&r, out);
	if (r.failed) {
		memset(out, 0, sizeof *out);
		return -1;
	}
	return 0;
}

struct player_list {
	struct game_player *list;
	int n, cap;
};

static void read_player(struct reader *r, struct player_list *pl)
{
	struct game_player p = { .ping = 0 };
	rd_u8(r, "player index");
	rd_str(r, p.name, sizeof p.name, "player name");
	p.score = rd_i32(r, "player score");
	rd_skip(r, 4, "player duration");
	if (r->failed || pl->n == GAME_MAX_PLAYERS)
		return;
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 16;
		pl->list = xrealloc(pl->list, (size_t)pl->cap * sizeof *pl->list);
	}
	pl->list[pl->n++] = p;
}

int a2s_parse_players(const unsigned char *payload, size_t len, struct game_status *out,
		      struct error *err)
{
	free(out->list);
	out->list = NULL;
	out->nlist = 0;
	if (a2s_payload_type(payload, len) != A2S_TYPE_PLAYER)
		return wrong_type(payload, len, "PLAYER", err);
	struct reader r = { payload, len, 1, "PLAYER", err, false };
	struct player_list pl = { NULL, 0, 0 };
	unsigned count = rd_u8(&r, "player count");
	for (unsigned i = 0; i < count && !r.failed; i++)
		read_player(&r, &pl);
	if (r.failed) {
		free(pl.list);
		return -1;
	}
	/* The count is one byte: a server with more than 255 players sends
	 * it modulo 256 and the entries in full. So as long as another 256
	 * whole entries follow, they are players too. Anything shorter is
	 * left alone: The Ship appends 8 bytes a player (at most 2040),
	 * and 256 entries take at least 2560. */
	while (r.off < r.len) {
		struct reader more = r;
		int n = pl.n;
		more.err = NULL;
		for (int i = 0; i < 256 && !more.failed; i++)
			read_player(&more, &pl);
		if (more.failed) {
			pl.n = n;
			break;
		}
		r.off = more.off;
	}
	if (pl.n) {
		out->list = pl.list;
		out->nlist = pl.n;
	} else {
		free(pl.list);
	}
	return 0;
}
