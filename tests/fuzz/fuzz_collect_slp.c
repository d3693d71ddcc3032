/* Minecraft Server List Ping on arbitrary bytes: the input is read as a
 * stream of packets (each status body and pong parsed) and, whole, as one
 * status body; nothing crashes or leaks, refusals are one prefixed line,
 * what is accepted is bounded and printable. The request writer's output
 * must read back through the frame reader. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/game.h"
#include "fuzz_check.h"

static void check_err(const struct error *err)
{
	if (strncmp(err->msg, "minecraft: ", 11) || strchr(err->msg, '\n'))
		abort();
}

static void status(const unsigned char *d, size_t n)
{
	struct game_status s;
	struct error err;
	if (slp_parse_status(d, n, &s, &err) < 0) {
		check_err(&err);
		if (s.list || s.players || s.nlist || s.players_max || s.name[0] || s.version[0])
			abort();
		return;
	}
	if (s.players < 0 || s.players > 10000000 || s.players_max < 0 ||
	    s.players_max > 10000000 || s.nlist < 0 || s.nlist > GAME_MAX_PLAYERS ||
	    s.nlist > s.players || (s.nlist > 0) != (s.list != NULL) || s.bots)
		abort();
	check_text(s.name, sizeof s.name);
	check_text(s.version, sizeof s.version);
	check_text(s.map, sizeof s.map);
	for (int i = 0; i < s.nlist; i++) {
		check_text(s.list[i].name, sizeof s.list[i].name);
		if (s.list[i].score || s.list[i].ping)
			abort();
	}
	game_status_free(&s);
}

/* The request for a host and protocol taken from the input reads back. */
static void request(const uint8_t *data, size_t size)
{
	if (size < 6)
		return;
	int32_t protocol = (int32_t)((uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
				     (uint32_t)data[2] << 8 | data[3]);
	int port = data[4] << 8 | data[5];
	size_t hlen = strnlen((const char *)data + 6, size - 6);
	char *host = malloc(hlen + 1);
	memcpy(host, data + 6, hlen);
	host[hlen] = '\0';
	struct buf b = {0};
	struct error err;
	slp_status_request(&b, host, port, protocol);
	const unsigned char *p = (const unsigned char *)b.data, *body;
	size_t blen;
	int id;
	int n = slp_frame(p, b.len, &id, &body, &blen, &err);
	if (n <= 0 || id != 0 || blen < 5 || blen > 5 + 4 + 1 + 255 + 2 + 1)
		abort();
	if (body[blen - 1] != 1 || body[blen - 3] != (port >> 8) || body[blen - 2] != (port & 0xff))
		abort();
	int m = slp_frame(p + n, b.len - (size_t)n, &id, &body, &blen, &err);
	if (m != 2 || id != 0 || blen != 0 || (size_t)(n + m) != b.len)
		abort();
	buf_free(&b);
	free(host);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	for (;;) {
		int id;
		const unsigned char *body;
		size_t blen;
		struct error err;
		int n = slp_frame(data + off, size - off, &id, &body, &blen, &err);
		if (n < 0) {
			check_err(&err);
			break;
		}
		if (n == 0)
			break;
		if ((size_t)n > size - off || body < data + off || body + blen != data + off + n)
			abort();
		if (id == 0) {
			status(body, blen);
		} else if (id == 1) {
			int64_t v;
			if (slp_parse_pong(body, blen, &v, &err) < 0)
				check_err(&err);
			else if (blen != 8)
				abort();
		}
		off += (size_t)n;
	}
	status(data, size);
	request(data, size);
	return 0;
}
