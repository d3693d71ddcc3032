/* Checks the fuzz targets share. */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdlib.h>
#include <string.h>

/* Text a parser hands on must be NUL-terminated within its field and
 * printable: it goes to a terminal. */
static inline void check_text(const char *s, size_t size)
{
	size_t n = strnlen(s, size);
	if (n == size)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

#endif
