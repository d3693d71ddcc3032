/* The game-process probe's parser on arbitrary output, fed in two pieces:
 * never crashes, every value it emits is finite and not negative, and a
 * refusal is one line naming the host. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect_private.h"

static void emit(void *arg, const char *metric, double value)
{
	(void)arg;
	if (!isfinite(value) || value < 0 || strncmp(metric, "proc.", 5) != 0) {
		if (strcmp(metric, "game.world_bytes") != 0 || !isfinite(value) || value < 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t cut = data[0] % (size);
	data++;
	size--;
	if (cut > size)
		cut = size;
	struct game_proc_parser *p = game_proc_parser_new("fz");
	char note[200];
	struct error err;
	for (int i = 0; i < 2; i++) {
		const char *d = (const char *)data + (i ? cut : 0);
		size_t n = i ? size - cut : cut;
		if (game_proc_parser_feed(p, d, n, emit, NULL, note, sizeof note, &err) < 0 &&
		    (strncmp(err.msg, "fz: game probe: ", 16) || strchr(err.msg, '\n')))
			abort();
		if (strnlen(note, sizeof note) == sizeof note)
			abort();
	}
	game_proc_parser_free(p);
	return 0;
}
