/* game: Source RCON packets (Valve's protocol, which Minecraft, Rust,
 * Factorio and ARK speak too), https://developer.valvesoftware.com/wiki/Source_RCON_Protocol.
 * Only the framing lives here; what a command's output means is game_mc.c's. */
#include <string.h>

#include "fleetop/game.h"

/* id and type, then at least the body's NUL and the empty second string's. */
#define RCON_MIN_SIZE 10

static void le32_put(unsigned char *p, int32_t v)
{
	uint32_t u = (uint32_t)v;
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(u >> (8 * i));
}

static int32_t le32_get(const unsigned char *p)
{
	uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		     (uint32_t)p[3] << 24;
	return u <= INT32_MAX ? (int32_t)u : -(int32_t)(~u) - 1;
}

void rcon_packet(struct buf *out, int32_t id, int32_t type, const char *body)
{
	/* A longer body would be refused by our own rcon_unpack and by every
	 * server (Source's limit is 4096): what the caller sends is cut. */
	size_t blen = body ? strnlen(body, RCON_MAX_BODY) : 0;
	unsigned char head[12];
	le32_put(head, (int32_t)(blen + RCON_MIN_SIZE));
	le32_put(head + 4, id);
	le32_put(head + 8, type);
	buf_append(out, head, sizeof head);
	buf_append(out, body ? body : "", blen);
	buf_append(out, "\0\0", 2);
}

int rcon_unpack(const unsigned char *data, size_t len, struct rcon_packet *pkt,
		struct error *err)
{
	memset(pkt, 0, sizeof *pkt);
	if (len < 4)
		return 0;
	int32_t size = le32_get(data);
	if (size < RCON_MIN_SIZE || size > RCON_MAX_BODY + RCON_MIN_SIZE)
		return error_set(err, "rcon: packet size %d is out of range (%d..%d; not an RCON server?)",
				 (int)size, RCON_MIN_SIZE, RCON_MAX_BODY + RCON_MIN_SIZE);
	if (len - 4 < (size_t)size)
		return 0;
	const unsigned char *p = data + 4;
	/* The spec ends a packet with the body's NUL and an empty string's;
	 * some servers end it with one NUL counted in the size. Either way
	 * the last byte the size covers is a NUL and the body stops at the
	 * first NUL, so both read the same and the stream stays in step. */
	if (p[size - 1] != '\0')
		return error_set(err, "rcon: packet of %d bytes does not end in a NUL", (int)size);
	const char *body = (const char *)p + 8;
	pkt->id = le32_get(p);
	pkt->type = le32_get(p + 4);
	pkt->body = body;
	pkt->body_len = strnlen(body, (size_t)size - 8);
	return 4 + (int)size;
}
