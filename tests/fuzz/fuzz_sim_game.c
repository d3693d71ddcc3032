/* The simulated game servers read requests from anyone on loopback: the
 * Quake 3 and A2S request parsers, the Server List Ping and RCON stream
 * parsers (fed in pieces, as TCP delivers them) must never crash, hang,
 * leak or grow without bound, whatever they are sent. The first byte picks
 * the protocol and where the stream is cut. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/game.h"

static struct gsrv_view view(enum sim_game g, int players)
{
	struct gsrv_view v;
	memset(&v, 0, sizeof v);
	v.game = g;
	memcpy(v.hostname, "fz-01", 6);
	v.seed = 1;
	v.players = players;
	v.max_players = players + 3;
	v.bots = g == GAME_QUAKE && players ? 2 : 0;
	memcpy(v.map, "oa_dm1", 7);
	v.map_s = 500;
	for (int i = 0; i < 3; i++)
		v.tps[i] = 19.5, v.mspt[i][0] = 51, v.mspt[i][1] = 30, v.mspt[i][2] = 90;
	return v;
}

/* Feeds a stream in pieces of `cut` bytes; the parser must consume what it
 * answers and never keep more than a request's worth. */
static void stream(int proto, const uint8_t *data, size_t size, size_t cut)
{
	struct gsrv_view v = view(GAME_MINECRAFT, 30);
	struct gsrv_slp slp = { 0 };
	struct gsrv_rcon rcon = { 0 };
	struct buf in = { 0 }, out = { 0 };
	for (size_t at = 0; at < size;) {
		size_t n = size - at < cut ? size - at : cut;
		buf_append(&in, data + at, n);
		at += n;
		enum gsrv_feed r = proto ? gsrv_rcon_feed(&rcon, &in, &v, "pw", &out) :
					   gsrv_slp_feed(&slp, &in, &v, &out);
		if (in.len > 8192)
			abort(); /* the connection's input cap would be hit: must have said BAD */
		if (r != GSRV_MORE)
			break;
		buf_reset(&out);
	}
	buf_free(&in);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int pick = data[0] & 3;
	size_t cut = 1 + (data[0] >> 2);
	data++;
	size--;
	struct buf out = { 0 };
	if (pick == 0) {
		struct gsrv_view v = view(GAME_QUAKE, 5);
		if (gsrv_q3_answer(&v, data, size, &out) == 0 && out.len)
			abort();
	} else if (pick == 1) {
		struct gsrv_view v = view(GAME_VALHEIM, 300);
		if (gsrv_a2s_answer(&v, data, size, 0x01020304, &out) == 1) {
			struct buf parts = { 0 };
			size_t lens[32];
			int n = gsrv_a2s_split((const unsigned char *)out.data, out.len, 7, &parts, lens, 32);
			size_t total = 0;
			for (int i = 0; i < n; i++)
				total += lens[i];
			if (n < 1 || total != parts.len)
				abort();
			buf_free(&parts);
		} else if (out.len) {
			abort();
		}
	} else {
		stream(pick == 3, data, size, cut);
	}
	buf_free(&out);
	return 0;
}
