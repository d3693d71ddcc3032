/* Source RCON on arbitrary bytes, read as a stream of packets; each body
 * (and the whole input) also goes through the Minecraft command output
 * parsers, since that is what they are fed. Nothing crashes or leaks,
 * refusals are one prefixed line, results are bounded; a packet written
 * with the input as body reads back the same. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/game.h"
#include "fuzz_check.h"

static void check_err(const struct error *err, const char *prefix)
{
	if (strncmp(err->msg, prefix, strlen(prefix)) || strchr(err->msg, '\n'))
		abort();
}

static void minecraft(const char *text, size_t len)
{
	struct error err;
	double v;
	if (mc_parse_tps(text, len, &v, &err) < 0)
		check_err(&err, "minecraft: ");
	else if (!(v >= 0 && v <= 1000))
		abort();
	if (mc_parse_mspt(text, len, &v, &err) < 0)
		check_err(&err, "minecraft: ");
	else if (!(v >= 0 && v <= 1000000))
		abort();
	struct game_status s;
	if (mc_parse_list(text, len, &s, &err) < 0) {
		check_err(&err, "minecraft: ");
		if (s.list || s.players || s.nlist)
			abort();
		return;
	}
	if (s.players < 0 || s.players > 10000000 || s.players_max < 0 || s.nlist < 0 ||
	    s.nlist > GAME_MAX_PLAYERS || s.nlist > s.players || (s.nlist > 0) != (s.list != NULL))
		abort();
	for (int i = 0; i < s.nlist; i++)
		check_text(s.list[i].name, sizeof s.list[i].name);
	game_status_free(&s);
}

static void round_trip(const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size);
	if (n > RCON_MAX_BODY)
		n = RCON_MAX_BODY;
	char *body = malloc(n + 1);
	memcpy(body, data, n);
	body[n] = '\0';
	struct buf b = {0};
	struct rcon_packet p;
	struct error err;
	int32_t id = size >= 4 ? (int32_t)((uint32_t)data[0] | (uint32_t)data[1] << 8 |
					   (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24)
			       : 7;
	rcon_packet(&b, id, RCON_EXECCOMMAND, body);
	if (rcon_unpack((const unsigned char *)b.data, b.len, &p, &err) != (int)b.len ||
	    p.id != id || p.type != RCON_EXECCOMMAND || p.body_len != n || memcmp(p.body, body, n))
		abort();
	buf_free(&b);
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	for (;;) {
		struct rcon_packet p;
		struct error err;
		int n = rcon_unpack(data + off, size - off, &p, &err);
		if (n < 0) {
			check_err(&err, "rcon: ");
			break;
		}
		if (n == 0)
			break;
		const char *start = (const char *)data + off;
		if ((size_t)n > size - off || n < 14 || p.body != start + 12 ||
		    p.body_len > (size_t)n - 13 || p.body[p.body_len] != '\0')
			abort();
		minecraft(p.body, p.body_len);
		off += (size_t)n;
	}
	minecraft((const char *)data, size);
	round_trip(data, size);
	return 0;
}
