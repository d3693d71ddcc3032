/* The server side of the game query protocols, written from their
 * documentation: Quake 3's getstatus (ioquake3's SVC_Status), Valve's
 * Server_queries (A2S_INFO with the challenge handshake, A2S_PLAYER, split
 * packets), Minecraft's Server_List_Ping and Valve's Source_RCON_Protocol
 * as Minecraft serves it. Requests are untrusted bytes: anything that is
 * not one of them is ignored (UDP) or ends the connection (TCP). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "game.h"

/* ---- little helpers ---- */

static void put_u8(struct buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;
	buf_append(b, &c, 1);
}

static void put_le16(struct buf *b, unsigned v)
{
	unsigned char c[2] = { (unsigned char)v, (unsigned char)(v >> 8) };
	buf_append(b, c, 2);
}

static void put_le32(struct buf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	buf_append(b, c, 4);
}

static void put_le64(struct buf *b, uint64_t v)
{
	put_le32(b, (uint32_t)v);
	put_le32(b, (uint32_t)(v >> 32));
}

static void put_cstr(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s) + 1);
}

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int clamp_byte(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

/* ---- Quake 3 ---- */

#define Q3_MAX_REQUEST 1024
#define Q3_MAX_CHALLENGE 128 /* ioquake3 ignores a getstatus with a longer one */
#define Q3_VERSION "ioq3+oa 1.36_GIT_f2c61c14-2012-10-03 linux-x86_64 Oct  3 2012"

/* The next word of a connectionless command as Cmd_TokenizeString reads
 * it: blanks (anything up to ' ') separate, "quotes" group. */
static const char *q3_word(const char *p, char *w, size_t size)
{
	size_t n = 0;
	while (*p && (unsigned char)*p <= ' ')
		p++;
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			if (n + 1 < size)
				w[n++] = *p;
		if (*p == '"')
			p++;
	} else {
		for (; (unsigned char)*p > ' '; p++)
			if (n + 1 < size)
				w[n++] = *p;
	}
	w[n] = '\0';
	return p;
}

int gsrv_q3_answer(const struct gsrv_view *v, const unsigned char *req, size_t len, struct buf *out)
{
	char text[Q3_MAX_REQUEST + 1], cmd[32], challenge[Q3_MAX_CHALLENGE + 2];
	if (len < 4 || len - 4 > Q3_MAX_REQUEST || get_le32(req) != 0xffffffffu)
		return 0;
	memcpy(text, req + 4, len - 4);
	text[len - 4] = '\0'; /* a NUL inside ends the command, as in C */
	const char *p = q3_word(text, cmd, sizeof cmd);
	if (strcasecmp(cmd, "getstatus") != 0)
		return 0;
	q3_word(p, challenge, sizeof challenge);
	if (strlen(challenge) > Q3_MAX_CHALLENGE)
		return 0;
	buf_puts(out, "\xff\xff\xff\xffstatusResponse\n");
	buf_printf(out, "\\sv_hostname\\%s | Free For All\\sv_maxclients\\%d\\sv_privateClients\\0"
			"\\g_gametype\\0\\timelimit\\20\\fraglimit\\30\\capturelimit\\8\\dmflags\\0"
			"\\sv_floodProtect\\1\\sv_maxPing\\0\\sv_minPing\\0\\sv_maxRate\\25000"
			"\\sv_allowDownload\\0\\version\\%s\\protocol\\71\\mapname\\%s\\gamename\\baseoa"
			"\\g_needpass\\0\\g_humanplayers\\%d",
		   v->hostname, v->max_players, Q3_VERSION, v->map, v->players);
	/* Info_SetValueForKey refuses what would break the info string. */
	if (*challenge && !strpbrk(challenge, "\\;\""))
		buf_printf(out, "\\challenge\\%s", challenge);
	buf_puts(out, "\n");
	for (int k = 0; k < v->players + v->bots; k++) {
		struct gsrv_player pl;
		gsrv_player_at(v, k, &pl);
		buf_printf(out, "%d %d \"%s\"\n", pl.score, pl.ping, pl.name);
	}
	return 1;
}

/* ---- Valve A2S ---- */

#define A2S_INFO_QUERY "Source Engine Query" /* and its NUL */
#define VALHEIM_APPID 892970u
#define VALHEIM_VERSION "0.218.15"

static void a2s_challenge_reply(struct buf *out, uint32_t challenge)
{
	put_le32(out, 0xffffffffu);
	put_u8(out, 'A');
	put_le32(out, challenge);
}

static void a2s_info_reply(const struct gsrv_view *v, struct buf *out)
{
	put_le32(out, 0xffffffffu);
	put_u8(out, 'I');
	put_u8(out, 17); /* protocol */
	put_cstr(out, v->hostname);
	put_cstr(out, v->map);
	put_cstr(out, "valheim");
	put_cstr(out, "Valheim");
	put_le16(out, 0); /* the app id does not fit 16 bits: it goes in the game id */
	put_u8(out, (unsigned)clamp_byte(v->players));
	put_u8(out, (unsigned)clamp_byte(v->max_players));
	put_u8(out, 0);   /* bots */
	put_u8(out, 'd'); /* dedicated */
	put_u8(out, 'l'); /* linux */
	put_u8(out, 0);   /* no password */
	put_u8(out, 0);   /* no VAC */
	put_cstr(out, VALHEIM_VERSION);
	put_u8(out, 0x80 | 0x10 | 0x20 | 0x01); /* EDF: port, steam id, keywords, game id */
	put_le16(out, (unsigned)v->game_port);
	put_le64(out, 90000000000000000ull + (v->seed & 0xffffffffffull));
	put_cstr(out, VALHEIM_VERSION);
	put_le64(out, VALHEIM_APPID);
}

static void a2s_player_reply(const struct gsrv_view *v, struct buf *out)
{
	int n = clamp_byte(v->players + v->bots);
	put_le32(out, 0xffffffffu);
	put_u8(out, 'D');
	put_u8(out, (unsigned)n);
	for (int k = 0; k < n; k++) {
		struct gsrv_player pl;
		gsrv_player_at(v, k, &pl);
		float t = (float)pl.online_s;
		uint32_t tb;
		memcpy(&tb, &t, 4);
		put_u8(out, 0); /* index: servers send 0 */
		put_cstr(out, pl.name);
		put_le32(out, (uint32_t)(v->game == GAME_VALHEIM ? 0 : pl.score));
		put_le32(out, tb);
	}
}

int gsrv_a2s_answer(const struct gsrv_view *v, const unsigned char *req, size_t len,
		    uint32_t challenge, struct buf *out)
{
	const size_t qlen = sizeof A2S_INFO_QUERY; /* with its NUL */
	if (len < 5 || get_le32(req) != 0xffffffffu)
		return 0;
	switch (req[4]) {
	case 'T':
		if (len < 5 + qlen || memcmp(req + 5, A2S_INFO_QUERY, qlen) != 0)
			return 0;
		/* Since 2020 servers want their challenge repeated after the query
		 * (no amplified replies to spoofed sources). */
		if (len >= 5 + qlen + 4 && get_le32(req + 5 + qlen) == challenge)
			a2s_info_reply(v, out);
		else
			a2s_challenge_reply(out, challenge);
		return 1;
	case 'U':
		if (len < 9)
			return 0;
		if (get_le32(req + 5) == challenge)
			a2s_player_reply(v, out);
		else
			a2s_challenge_reply(out, challenge); /* -1 asks for one */
		return 1;
	case 'W': /* A2S_SERVERQUERY_GETCHALLENGE, deprecated but answered */
		a2s_challenge_reply(out, challenge);
		return 1;
	default:
		return 0;
	}
}

int gsrv_a2s_split(const unsigned char *reply, size_t len, uint32_t id, struct buf *out,
		   size_t *lens, int max)
{
	if (len <= GSRV_A2S_SPLIT_AT) {
		if (max < 1)
			return -1;
		buf_append(out, reply, len);
		lens[0] = len;
		return 1;
	}
	size_t total = (len + GSRV_A2S_SPLIT_AT - 1) / GSRV_A2S_SPLIT_AT;
	if (total > 255 || (int)total > max)
		return -1;
	id &= 0x7fffffffu; /* the top bit would say bzip2 */
	for (size_t i = 0; i < total; i++) {
		size_t at = i * GSRV_A2S_SPLIT_AT;
		size_t n = len - at < GSRV_A2S_SPLIT_AT ? len - at : GSRV_A2S_SPLIT_AT;
		put_le32(out, 0xfffffffeu);
		put_le32(out, id);
		put_u8(out, (unsigned)total);
		put_u8(out, (unsigned)i);
		put_le16(out, GSRV_A2S_SPLIT_SIZE);
		buf_append(out, reply + at, n);
		lens[i] = 12 + n;
	}
	return (int)total;
}

/* ---- Minecraft Server List Ping ---- */

#define SLP_MAX_PACKET 1024 /* a handshake with a 255-character address fits */

static void put_varint(struct buf *b, uint32_t v)
{
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		if (v)
			c |= 0x80;
		buf_append(b, &c, 1);
	} while (v);
}

/* A VarInt at *p (before end): 1 with *v set, 0 when more bytes are
 * needed, -1 when it runs past 5 bytes. */
static int get_varint(const unsigned char **p, const unsigned char *end, uint32_t *v)
{
	uint32_t x = 0;
	for (int i = 0; i < 5; i++) {
		if (*p >= end)
			return 0;
		unsigned char c = *(*p)++;
		x |= (uint32_t)(c & 0x7f) << (7 * i);
		if (!(c & 0x80)) {
			*v = x;
			return 1;
		}
	}
	return -1;
}

static void json_str(struct buf *b, const char *s)
{
	buf_puts(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			buf_printf(b, "\\u%04x", c);
		else
			buf_append(b, s, 1);
	}
	buf_puts(b, "\"");
}

/* An offline-mode style UUID for a name: stable, version 3 shaped. */
static void name_uuid(char *out, size_t size, const char *name)
{
	uint64_t h = 1469598103934665603ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	uint64_t a = model_hash(h), b = model_hash(h ^ 0x5a5a);
	a = (a & ~0xf000ull) | 0x3000ull;
	b = (b & ~(3ull << 62)) | (2ull << 62);
	snprintf(out, size, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xffff, (unsigned)(b >> 48),
		 (unsigned long long)(b & 0xffffffffffffull));
}

static void slp_packet(struct buf *out, uint32_t id, const struct buf *body)
{
	struct buf idb = { 0 };
	put_varint(&idb, id);
	put_varint(out, (uint32_t)(idb.len + body->len));
	buf_append(out, idb.data, idb.len);
	buf_append(out, body->data ? body->data : "", body->len);
	buf_free(&idb);
}

static void slp_string_packet(struct buf *out, uint32_t id, const struct buf *text)
{
	struct buf body = { 0 };
	put_varint(&body, (uint32_t)text->len);
	buf_append(&body, text->data ? text->data : "", text->len);
	slp_packet(out, id, &body);
	buf_free(&body);
}

static void slp_status(const struct gsrv_view *v, struct buf *out)
{
	struct buf j = { 0 };
	buf_printf(&j, "{\"version\":{\"name\":\"%s\",\"protocol\":%d},\"players\":{\"max\":%d,"
		       "\"online\":%d",
		   GSRV_MC_VERSION, GSRV_MC_PROTOCOL, v->max_players, v->players);
	if (v->players > 0) {
		buf_puts(&j, ",\"sample\":[");
		for (int k = 0; k < v->players && k < GSRV_SLP_SAMPLE; k++) {
			struct gsrv_player pl;
			char uuid[40];
			gsrv_player_at(v, k, &pl);
			name_uuid(uuid, sizeof uuid, pl.name);
			buf_puts(&j, k ? ",{\"name\":" : "{\"name\":");
			json_str(&j, pl.name);
			buf_printf(&j, ",\"id\":\"%s\"}", uuid);
		}
		buf_puts(&j, "]");
	}
	char motd[96];
	snprintf(motd, sizeof motd, "\xc2\xa7" "6%s\xc2\xa7r - a simulated survival server", v->hostname);
	buf_puts(&j, "},\"description\":{\"text\":");
	json_str(&j, motd);
	buf_puts(&j, "},\"enforcesSecureChat\":true,\"previewsChat\":false}");
	slp_string_packet(out, 0, &j);
	buf_free(&j);
}

enum gsrv_feed gsrv_slp_feed(struct gsrv_slp *st, struct buf *in, const struct gsrv_view *v,
			     struct buf *out)
{
	for (;;) {
		const unsigned char *start = (const unsigned char *)in->data, *end = start + in->len;
		const unsigned char *p = start;
		uint32_t plen, id;
		if (in->len == 0)
			return GSRV_MORE;
		if (st->state == 0 && start[0] == 0xfe)
			return GSRV_BAD; /* the pre-1.7 ping: not served */
		int r = get_varint(&p, end, &plen);
		if (r < 0 || (r == 1 && (plen == 0 || plen > SLP_MAX_PACKET)))
			return GSRV_BAD;
		if (r == 0 || (size_t)(end - p) < plen)
			return in->len > SLP_MAX_PACKET + 5 ? GSRV_BAD : GSRV_MORE;
		const unsigned char *pend = p + plen;
		if (get_varint(&p, pend, &id) != 1)
			return GSRV_BAD;
		enum gsrv_feed res = GSRV_MORE;
		if (st->state == 0) {
			uint32_t proto, alen, next;
			if (id != 0 || get_varint(&p, pend, &proto) != 1 ||
			    get_varint(&p, pend, &alen) != 1 || alen > 255 * 4 ||
			    (size_t)(pend - p) < (size_t)alen + 2)
				return GSRV_BAD;
			p += alen + 2; /* address and port: whoever they asked for, it is us */
			if (get_varint(&p, pend, &next) != 1 || p != pend)
				return GSRV_BAD;
			if (next == 1) {
				st->state = 1;
			} else if (next == 2 || next == 3) {
				/* Login (or transfer): turned away as a real server would
				 * turn away a client it cannot take. */
				struct buf t = { 0 };
				buf_puts(&t, "{\"text\":\"This server is simulated: nobody can join.\"}");
				slp_string_packet(out, 0, &t);
				buf_free(&t);
				res = GSRV_CLOSE;
			} else {
				return GSRV_BAD;
			}
		} else if (id == 0 && p == pend) {
			slp_status(v, out);
		} else if (id == 1 && pend - p == 8) {
			struct buf body = { 0 };
			buf_append(&body, p, 8);
			slp_packet(out, 1, &body);
			buf_free(&body);
			res = GSRV_CLOSE; /* vanilla closes after the pong */
		} else {
			return GSRV_BAD;
		}
		buf_consume(in, (size_t)(pend - start));
		if (res != GSRV_MORE)
			return res;
	}
}

/* ---- Source RCON ---- */

enum { RCON_RESPONSE_VALUE = 0, RCON_AUTH_RESPONSE = 2, RCON_EXECCOMMAND = 2, RCON_AUTH = 3 };

void gsrv_rcon_packet(struct buf *out, int32_t id, int32_t type, const char *body, size_t len)
{
	put_le32(out, (uint32_t)(len + 10));
	put_le32(out, (uint32_t)id);
	put_le32(out, (uint32_t)type);
	buf_append(out, body, len);
	buf_append(out, "\0", 2);
}

/* A reply body cut into packets of at most GSRV_RCON_MAX_BODY bytes,
 * never inside a UTF-8 character. */
static void rcon_reply(struct buf *out, int32_t id, const char *text, size_t len)
{
	size_t at = 0;
	do {
		size_t n = len - at;
		if (n > GSRV_RCON_MAX_BODY) {
			n = GSRV_RCON_MAX_BODY;
			while (n > 1 && ((unsigned char)text[at + n] & 0xc0) == 0x80)
				n--;
		}
		gsrv_rcon_packet(out, id, RCON_RESPONSE_VALUE, text + at, n);
		at += n;
	} while (at < len);
}

enum gsrv_feed gsrv_rcon_feed(struct gsrv_rcon *st, struct buf *in, const struct gsrv_view *v,
			      const char *password, struct buf *out)
{
	while (in->len >= 4) {
		const unsigned char *d = (const unsigned char *)in->data;
		int32_t size = (int32_t)get_le32(d);
		if (size < 10 || size > GSRV_RCON_MAX_PACKET)
			return GSRV_BAD;
		if (in->len < 4 + (size_t)size)
			return GSRV_MORE;
		if (d[4 + size - 1] != 0)
			return GSRV_BAD; /* not the empty string that ends a packet */
		int32_t id = (int32_t)get_le32(d + 4), type = (int32_t)get_le32(d + 8);
		/* The body ends at its first NUL (a NUL inside cuts it, as in Java's
		 * reading of a C string). */
		char body[GSRV_RCON_MAX_PACKET];
		size_t blen = strnlen((const char *)d + 12, (size_t)size - 9);
		memcpy(body, d + 12, blen);
		body[blen] = '\0';
		buf_consume(in, 4 + (size_t)size);
		if (type == RCON_AUTH) {
			st->authed = password && *password && strcmp(body, password) == 0;
			gsrv_rcon_packet(out, st->authed ? id : -1, RCON_AUTH_RESPONSE, "", 0);
		} else if (!st->authed) {
			gsrv_rcon_packet(out, -1, RCON_AUTH_RESPONSE, "", 0);
		} else if (type == RCON_EXECCOMMAND) {
			struct buf text = { 0 };
			gsrv_mc_command(v, body, &text);
			rcon_reply(out, id, text.data ? text.data : "", text.len);
			buf_free(&text);
		} else if (type == RCON_RESPONSE_VALUE) {
			/* Clients send this after a command to find where a reply in
			 * several packets ends: Source servers mirror it, empty. */
			gsrv_rcon_packet(out, id, RCON_RESPONSE_VALUE, "", 0);
		} else {
			char t[48];
			int n = snprintf(t, sizeof t, "Unknown request %x", (unsigned)type);
			gsrv_rcon_packet(out, id, RCON_RESPONSE_VALUE, t, (size_t)n);
		}
	}
	return GSRV_MORE;
}
