/* game (Minecraft Java): Server List Ping, the status a server shows in the
 * client's server list (https://wiki.vg/Server_List_Ping, 1.7 and later).
 * The reply is whatever answers on the port, so every length is checked
 * before it is trusted and the JSON is refused whole when it does not
 * carry the player counts: a half-read status would show wrong players. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fleetop/game.h"
#include "game_private.h"

/* A VarInt carries 32 bits in at most 5 bytes; longer is not Minecraft. */
#define VARINT_MAX 5
/* The protocol's String(255) for the server address. */
#define SLP_MAX_HOST 255
/* No server has ten million players; a bigger count is a broken or hostile peer. */
#define SLP_MAX_COUNT 10000000
/* Chat components nest; real MOTDs are a few levels and a few hundred bytes. */
#define MOTD_DEPTH 32
#define MOTD_MAX 1024

static void varint_put(struct buf *out, int32_t v)
{
	uint32_t u = (uint32_t)v;
	unsigned char b[VARINT_MAX];
	size_t n = 0;
	do {
		unsigned char c = u & 0x7f;
		u >>= 7;
		if (u)
			c |= 0x80;
		b[n++] = c;
	} while (u);
	buf_append(out, b, n);
}

/* Reads a VarInt from p (len bytes). Returns the bytes it took (1..5), 0
 * when p ends inside it, -1 when it runs past 5 bytes or 32 bits. */
static int varint_get(const unsigned char *p, size_t len, int32_t *v)
{
	uint32_t u = 0;
	for (size_t i = 0; i < VARINT_MAX; i++) {
		if (i == len)
			return 0;
		unsigned char c = p[i];
		/* The fifth byte holds the top 4 bits and must end the VarInt. */
		if (i == VARINT_MAX - 1 && (c & 0xf0))
			return -1;
		u |= (uint32_t)(c & 0x7f) << (7 * i);
		if (!(c & 0x80)) {
			*v = u <= INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
			return (int)i + 1;
		}
	}
	return -1;
}

/* Appends payload (packet id and data) as one packet: its length, then it. */
static void slp_packet(struct buf *out, const struct buf *payload)
{
	varint_put(out, (int32_t)payload->len);
	buf_append(out, payload->data, payload->len);
}

void slp_status_request(struct buf *out, const char *host, int port, int protocol)
{
	struct buf p = {0};
	size_t hlen = host ? strnlen(host, SLP_MAX_HOST + 1) : 0;
	if (hlen > SLP_MAX_HOST) {
		/* Servers refuse a longer address; cut it where a character starts. */
		hlen = SLP_MAX_HOST;
		while (hlen && ((unsigned char)host[hlen] & 0xc0) == 0x80)
			hlen--;
	}
	unsigned char be_port[2] = {(unsigned char)((unsigned)port >> 8 & 0xff),
				    (unsigned char)((unsigned)port & 0xff)};
	varint_put(&p, 0x00); /* Handshake */
	varint_put(&p, protocol);
	varint_put(&p, (int32_t)hlen);
	buf_append(&p, host ? host : "", hlen);
	buf_append(&p, be_port, sizeof be_port);
	varint_put(&p, 1); /* next state: status */
	slp_packet(out, &p);
	p.len = 0;
	varint_put(&p, 0x00); /* Status Request, no fields */
	slp_packet(out, &p);
	buf_free(&p);
}

void slp_ping_request(struct buf *out, int64_t payload)
{
	unsigned char b[10];
	uint64_t u = (uint64_t)payload;
	b[0] = 9;    /* length: id and 8 bytes */
	b[1] = 0x01; /* Ping Request */
	for (int i = 0; i < 8; i++)
		b[2 + i] = (unsigned char)(u >> (56 - 8 * i));
	buf_append(out, b, sizeof b);
}

int slp_frame(const unsigned char *data, size_t len, int *id, const unsigned char **body,
	      size_t *body_len, struct error *err)
{
	int32_t plen, pid;
	*id = -1;
	*body = NULL;
	*body_len = 0;
	int n = varint_get(data, len, &plen);
	if (n == 0)
		return 0;
	if (n < 0)
		return error_set(err, "minecraft: packet length is not a VarInt (over 5 bytes or 32 bits)");
	if (plen <= 0)
		return error_set(err, "minecraft: packet length %d (not a Minecraft server?)", (int)plen);
	if (plen > SLP_MAX_PACKET)
		return error_set(err, "minecraft: packet of %d bytes is over the %d byte limit", (int)plen,
				 SLP_MAX_PACKET);
	if (len - (size_t)n < (size_t)plen)
		return 0;
	const unsigned char *p = data + n;
	int m = varint_get(p, (size_t)plen, &pid);
	if (m == 0)
		return error_set(err, "minecraft: packet id runs past the packet's %d bytes", (int)plen);
	if (m < 0)
		return error_set(err, "minecraft: packet id is not a VarInt (over 5 bytes or 32 bits)");
	*id = pid;
	*body = p + m;
	*body_len = (size_t)plen - (size_t)m;
	return n + (int)plen;
}

/* players.online and players.max: whole numbers a server could have. */
static int slp_count(const cJSON *players, const char *key, int *out, struct error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(players, key);
	if (!v)
		return error_set(err, "minecraft: status has no players.%s", key);
	if (!cJSON_IsNumber(v))
		return error_set(err, "minecraft: players.%s is not a number", key);
	double d = v->valuedouble;
	if (!(d >= 0) || d > SLP_MAX_COUNT || d != floor(d))
		return error_set(err, "minecraft: players.%s is %g, not a count between 0 and %d", key, d,
				 SLP_MAX_COUNT);
	*out = (int)d;
	return 0;
}

/* The MOTD's text: a string, or a chat component ({"text", "extra": [...]})
 * or a list of them; formatting keys are dropped, text concatenated. */
static void motd_add(struct buf *b, const cJSON *c, int depth)
{
	if (!c || depth > MOTD_DEPTH || b->len >= MOTD_MAX)
		return;
	if (cJSON_IsString(c)) {
		size_t n = strlen(c->valuestring);
		buf_append(b, c->valuestring, n < MOTD_MAX - b->len ? n : MOTD_MAX - b->len);
	} else if (cJSON_IsArray(c)) {
		const cJSON *e;
		cJSON_ArrayForEach(e, c) {
			if (b->len >= MOTD_MAX)
				break;
			motd_add(b, e, depth + 1);
		}
	} else if (cJSON_IsObject(c)) {
		const cJSON *text = cJSON_GetObjectItemCaseSensitive(c, "text");
		if (cJSON_IsString(text))
			motd_add(b, text, depth + 1);
		const cJSON *extra = cJSON_GetObjectItemCaseSensitive(c, "extra");
		if (cJSON_IsArray(extra))
			motd_add(b, extra, depth + 1);
	}
}

/* The MOTD as one line: its two lines joined by a space, the padding that
 * centres them in the client squeezed out. */
static void slp_motd(char *dst, size_t size, const cJSON *desc)
{
	struct buf raw = {0};
	char clean[MOTD_MAX + 1]; /* cleaning never lengthens */
	motd_add(&raw, desc, 0);
	if (!raw.len) {
		dst[0] = '\0';
		buf_free(&raw);
		return;
	}
	for (size_t i = 0; i < raw.len; i++)
		if (raw.data[i] == '\n' || raw.data[i] == '\r' || raw.data[i] == '\t')
			raw.data[i] = ' ';
	game_text_clean(clean, sizeof clean, raw.data, raw.len, GAME_COLORS_MC);
	buf_free(&raw);
	size_t o = 0;
	for (size_t i = 0; clean[i]; i++) {
		if (clean[i] == ' ' && (o == 0 || clean[o - 1] == ' '))
			continue;
		clean[o++] = clean[i];
	}
	while (o && clean[o - 1] == ' ')
		o--;
	/* Cleaning again is a no-op on clean text but cuts at a character boundary. */
	game_text_clean(dst, size, clean, o, GAME_COLORS_NONE);
}

/* players.sample: names only; entries that are not {"name": "..."} are
 * skipped (servers put decorative lines there too). Never more than the
 * online count, so a status never lists more players than it counts. */
static void slp_sample(const cJSON *players, struct game_status *out)
{
	const cJSON *sample = cJSON_GetObjectItemCaseSensitive(players, "sample"), *e;
	int keep = out->players < GAME_MAX_PLAYERS ? out->players : GAME_MAX_PLAYERS, cap = 0;
	if (!cJSON_IsArray(sample))
		return;
	cJSON_ArrayForEach(e, sample) {
		if (out->nlist >= keep)
			break;
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
		if (!cJSON_IsString(name))
			continue;
		if (out->nlist == cap) {
			cap = cap ? cap * 2 : 16;
			out->list = xrealloc(out->list, (size_t)cap * sizeof *out->list);
		}
		struct game_player *pl = &out->list[out->nlist++];
		memset(pl, 0, sizeof *pl);
		game_text_clean(pl->name, sizeof pl->name, name->valuestring, strlen(name->valuestring),
				GAME_COLORS_MC);
	}
}

static int slp_status_json(const cJSON *root, struct game_status *out, struct error *err)
{
	if (!cJSON_IsObject(root))
		return error_set(err, "minecraft: status JSON is not an object");
	const cJSON *players = cJSON_GetObjectItemCaseSensitive(root, "players");
	if (!cJSON_IsObject(players))
		return error_set(err, "minecraft: status has no players object");
	if (slp_count(players, "online", &out->players, err) < 0 ||
	    slp_count(players, "max", &out->players_max, err) < 0)
		return -1;
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
	const cJSON *vname = cJSON_GetObjectItemCaseSensitive(version, "name");
	if (cJSON_IsObject(version) && cJSON_IsString(vname))
		game_text_clean(out->version, sizeof out->version, vname->valuestring,
				strlen(vname->valuestring), GAME_COLORS_MC);
	slp_motd(out->name, sizeof out->name, cJSON_GetObjectItemCaseSensitive(root, "description"));
	slp_sample(players, out);
	return 0;
}

int slp_parse_status(const unsigned char *body, size_t len, struct game_status *out,
		     struct error *err)
{
	int32_t slen;
	memset(out, 0, sizeof *out);
	int n = varint_get(body, len, &slen);
	if (n == 0)
		return error_set(err, "minecraft: status truncated in the JSON's length");
	if (n < 0)
		return error_set(err, "minecraft: status JSON length is not a VarInt");
	if (slen < 0 || slen > SLP_MAX_PACKET)
		return error_set(err, "minecraft: status JSON length %d is out of range (0..%d)", (int)slen,
				 SLP_MAX_PACKET);
	size_t have = len - (size_t)n;
	if (have < (size_t)slen)
		return error_set(err, "minecraft: status truncated: JSON of %d bytes, %zu there", (int)slen,
				 have);
	if (have > (size_t)slen)
		return error_set(err, "minecraft: %zu bytes after the status JSON", have - (size_t)slen);
	/* cJSON gets a NUL-terminated copy: it is not trusted to stop at the
	 * length on its own (cJSON before 1.7.18 could read past it). */
	char *json = xmalloc((size_t)slen + 1);
	memcpy(json, body + n, (size_t)slen);
	json[slen] = '\0';
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(json, (size_t)slen, &end, 0);
	int r;
	if (!root) {
		r = error_set(err, "minecraft: status is not JSON (error at byte %zu of %d)",
			      end && end >= json ? (size_t)(end - json) : (size_t)0, (int)slen);
	} else {
		while (end && end < json + slen && *end && strchr(" \t\r\n", *end))
			end++;
		if (end && end < json + slen)
			r = error_set(err, "minecraft: text after the status JSON at byte %zu",
				      (size_t)(end - json));
		else
			r = slp_status_json(root, out, err);
	}
	cJSON_Delete(root);
	free(json);
	if (r < 0)
		game_status_free(out);
	return r;
}

int slp_parse_pong(const unsigned char *body, size_t len, int64_t *payload, struct error *err)
{
	if (len != 8)
		return error_set(err, "minecraft: pong of %zu bytes, not 8", len);
	uint64_t u = 0;
	for (int i = 0; i < 8; i++)
		u = u << 8 | body[i];
	*payload = u <= INT64_MAX ? (int64_t)u : -(int64_t)(~u) - 1;
	return 0;
}
