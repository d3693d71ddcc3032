/* Fuzz: text_sanitize. Whatever a host sends, what is left is valid UTF-8
 * with no ESC, no C0 control but tab (and newline when kept), no DEL, no
 * C1 control; never longer than the input; the same when cleaned again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/core.h"
#include "fleetop/text.h"

static void check_clean(const unsigned char *s, size_t n, unsigned flags)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && !(c == '\n' && (flags & TEXT_KEEP_NEWLINES))) ||
			    c == 0x7f)
				abort();
			i++;
			continue;
		}
		size_t k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (c < 0xc2 || c > 0xf4 || i + k > n)
			abort();
		uint32_t v = c & (k == 2 ? 0x1f : k == 3 ? 0x0f : 0x07);
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				abort();
			v = (v << 6) | (s[i + j] & 0x3f);
		}
		static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (v < min[k] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || v <= 0x9f)
			abort();
		i += k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (unsigned flags = 0; flags <= TEXT_KEEP_NEWLINES; flags++) {
		char *buf = xmalloc(size + 1);
		memcpy(buf, data, size);
		size_t n = text_sanitize(buf, size, flags);
		if (n > size || buf[n] != '\0' || strlen(buf) != n)
			abort();
		check_clean((const unsigned char *)buf, n, flags);
		/* Cleaning is idempotent: a second pass changes nothing. */
		char *again = text_sanitize_dup(buf, n, flags);
		if (strcmp(again, buf) != 0)
			abort();
		free(again);
		free(buf);
	}
	return 0;
}
