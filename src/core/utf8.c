/* The one UTF-8 decoder. Strict, as RFC 3629 says: no overlong forms, no
 * surrogates, nothing past U+10FFFF, no cut sequences. Every reader of
 * text from outside (the sanitiser, game strings, notification text, the
 * console's column counting) steps through text with it, so they agree on
 * what is a character. */
#include "fleetop/text.h"

size_t utf8_decode(const void *text, size_t n, uint32_t *cp)
{
	const unsigned char *s = text;
	if (n == 0)
		return 0;
	unsigned char c = s[0];
	size_t need;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		need = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0; /* a continuation byte, 0xc0/0xc1 (always overlong) or 0xf5.. */
	}
	for (size_t i = 1; i < need; i++) {
		/* Checked byte by byte, so a NUL ends a sequence before anything
		 * past it is read: a NUL-terminated string may pass n = 4. */
		if (i >= n || (s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return need;
}
