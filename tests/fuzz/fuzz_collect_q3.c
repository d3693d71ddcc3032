/* The Quake 3 statusResponse parser on arbitrary datagrams: never crashes
 * or leaks, refuses with one prefixed line, and what it accepts is bounded
 * and printable. The first byte picks the challenge the request carried. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/game.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned challenge = data[0] & 1 ? 12345 : 0;
	data++;
	size--;
	struct game_status s;
	struct error err;
	if (q3_status_parse(data, size, challenge, &s, &err) < 0) {
		if (s.list || s.players || strncmp(err.msg, "q3 status: ", 11) ||
		    strchr(err.msg, '\n'))
			abort();
		return 0;
	}
	if (s.nlist < 0 || s.nlist > GAME_MAX_PLAYERS || s.nlist > s.players ||
	    s.bots > s.players || s.players_max < 0 || (s.nlist > 0) != (s.list != NULL))
		abort();
	check_text(s.map, sizeof s.map);
	check_text(s.name, sizeof s.name);
	for (int i = 0; i < s.nlist; i++) {
		check_text(s.list[i].name, sizeof s.list[i].name);
		if (s.list[i].ping < 0)
			abort();
	}
	game_status_free(&s);
	return 0;
}
