/* Fuzzes the decoders of what the store reads back from its own file (a
 * damaged file must cost a chunk, never the process). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sample *v = NULL;
	size_t n = 0;
	if (chunk_decode(data, size, 60000, &v, &n) == 0) {
		/* What decodes must encode back to the same bytes. */
		struct buf b = { 0 };
		chunk_encode(v, n, 60000, &b);
		if (b.len > size)
			abort();
		buf_free(&b);
	}
	free(v);
	if (batch_decode(data, size, &v, &n) == 0) {
		struct buf b = { 0 };
		int64_t mx;
		batch_encode(v, n, &b, &mx);
		buf_free(&b);
	}
	free(v);
	return 0;
}
