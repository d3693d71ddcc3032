/* The linux probe parser on arbitrary host output: never crashes, never
 * emits a negative or non-finite value, and reads the same whether the
 * bytes come whole or split at arbitrary points. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/collect.h"

struct digest {
	uint64_t hash;
	size_t n;
};

static void digest_emit(void *arg, const char *metric, double value)
{
	struct digest *d = arg;
	if (!metric[0] || !isfinite(value) || value < 0)
		abort();
	for (const char *c = metric; *c; c++)
		d->hash = (d->hash ^ (unsigned char)*c) * 1099511628211ull;
	uint64_t bits;
	memcpy(&bits, &value, sizeof bits);
	d->hash = (d->hash ^ bits) * 1099511628211ull;
	d->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	/* The first byte picks the split: chunk sizes 1..256. */
	size_t chunk = (size_t)data[0] + 1;
	data++;
	size--;
	struct error err;
	struct digest whole = { 14695981039346656037ull, 0 }, split = whole;
	int whole_frames = 0, split_frames = 0;

	struct linux_parser *p = linux_parser_new("fuzz");
	int r = linux_parser_feed(p, (const char *)data, size, digest_emit, &whole, &err);
	if (r > 0)
		whole_frames = r;
	if (r < 0 && !strstr(err.msg, "fuzz: probe"))
		abort();
	linux_parser_free(p);

	p = linux_parser_new("fuzz");
	for (size_t i = 0; i < size; i += chunk) {
		size_t n = size - i < chunk ? size - i : chunk;
		r = linux_parser_feed(p, (const char *)data + i, n, digest_emit, &split, &err);
		if (r > 0)
			split_frames += r;
	}
	linux_parser_free(p);
	/* Frame counts are lost in calls that also failed, so only the
	 * metrics are compared. */
	(void)whole_frames;
	(void)split_frames;
	if (whole.n != split.n || whole.hash != split.hash)
		abort();
	return 0;
}
