/* Valve A2S on arbitrary datagrams: reassembly never crashes or leaks, a
 * refused datagram changes nothing, and what the parsers accept is bounded
 * and printable. The first byte picks how the rest becomes datagrams:
 *   & 3 == 0  the rest is one datagram
 *   & 3 == 1  length-prefixed datagrams (2 bytes, big endian), in order
 *   & 3 == 2  the same, fed last to first
 *   & 3 == 3  in order, a zero length resets the reply
 * The parsers also see the rest directly, as a payload. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/game.h"
#include "fuzz_check.h"

static void check_err(const struct error *err)
{
	if (strncmp(err->msg, "a2s: ", 5) || strchr(err->msg, '\n'))
		abort();
}

static void check_payload(const unsigned char *p, size_t n)
{
	struct error err;
	int type = a2s_payload_type(p, n);
	if ((n == 0) != (type < 0))
		abort();

	int32_t ch = 7;
	if (a2s_parse_challenge(p, n, &ch, &err) < 0) {
		check_err(&err);
		if (ch != 7)
			abort();
	} else if (type != A2S_TYPE_CHALLENGE || n < 5) {
		abort();
	}

	struct game_status s;
	memset(&s, 0xa5, sizeof s);
	if (a2s_parse_info(p, n, &s, &err) < 0) {
		check_err(&err);
		if (s.players || s.list || s.name[0] || s.map[0])
			abort();
	} else {
		if ((type != A2S_TYPE_INFO && type != A2S_TYPE_INFO_OLD) || s.list || s.nlist ||
		    s.players < 0 || s.players > 255 || s.players_max < 0 ||
		    s.players_max > 255 || s.bots < 0 || s.bots > 255)
			abort();
		check_text(s.name, sizeof s.name);
		check_text(s.map, sizeof s.map);
		check_text(s.game, sizeof s.game);
		check_text(s.version, sizeof s.version);
	}

	/* After an INFO (or an empty status), as the collector would. */
	int players = s.players;
	if (a2s_parse_players(p, n, &s, &err) < 0) {
		check_err(&err);
		if (s.list || s.nlist)
			abort();
	} else {
		if (type != A2S_TYPE_PLAYER || s.nlist < 0 || s.nlist > GAME_MAX_PLAYERS ||
		    (s.nlist > 0) != (s.list != NULL))
			abort();
		for (int i = 0; i < s.nlist; i++) {
			check_text(s.list[i].name, sizeof s.list[i].name);
			if (s.list[i].ping)
				abort();
		}
	}
	if (s.players != players)
		abort();
	game_status_free(&s);
}

static void feed(struct a2s_reply *r, const uint8_t *d, size_t n)
{
	struct error err;
	size_t before_len, after_len;
	const unsigned char *before = a2s_reply_payload(r, &before_len);
	int rc = a2s_reply_feed(r, d, n, &err);
	const unsigned char *after = a2s_reply_payload(r, &after_len);
	switch (rc) {
	case -1:
		/* A refused datagram leaves the reply as it was. */
		check_err(&err);
		if (before != after || before_len != after_len)
			abort();
		break;
	case 0:
		if (after || after_len)
			abort();
		break;
	case 1:
		/* Complete: the -1 header in front, and within the limit. */
		if (!after || after_len < 1 || after_len > GAME_MAX_REPLY - 4 ||
		    memcmp(after - 4, "\xff\xff\xff\xff", 4))
			abort();
		if (before && (before != after || before_len != after_len ||
			       memcmp(before, after, after_len)))
			abort();
		check_payload(after, after_len);
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0] & 3;
	data++;
	size--;
	check_payload(data, size);

	unsigned char req[32];
	int32_t ch = size >= 4 ? (int32_t)((uint32_t)data[0] | (uint32_t)data[1] << 8 |
					   (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24)
			       : A2S_NO_CHALLENGE;
	if (a2s_info_request(req, size % sizeof req, ch) > (int)sizeof req ||
	    a2s_player_request(req, size % sizeof req, ch) > (int)sizeof req)
		abort();

	struct a2s_reply *r = a2s_reply_new();
	if (mode == 0) {
		feed(r, data, size);
		a2s_reply_free(r);
		return 0;
	}
	/* Split the rest into datagrams (at most 64, more adds nothing). */
	const uint8_t *dg[64];
	size_t len[64];
	int n = 0;
	const uint8_t *p = data, *end = data + size;
	while (p < end && n < 64) {
		size_t want = end - p >= 2 ? (size_t)p[0] << 8 | p[1] : 0;
		p += end - p >= 2 ? 2 : end - p;
		if (want > (size_t)(end - p))
			want = (size_t)(end - p);
		dg[n] = p;
		len[n++] = want;
		p += want;
	}
	for (int i = 0; i < n; i++) {
		int k = mode == 2 ? n - 1 - i : i;
		if (mode == 3 && len[k] == 0) {
			a2s_reply_reset(r);
			if (a2s_reply_payload(r, NULL))
				abort();
			continue;
		}
		feed(r, dg[k], len[k]);
	}
	a2s_reply_free(r);
	return 0;
}
