/* Cleaning text from hosts before anyone sees it, and telling which
 * variable names hold secrets. See fleetop/text.h. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleetop/core.h"
#include "fleetop/text.h"

#define ESC 0x1b
#define BEL 0x07

/* The character at s as a code point for the escape parser: ESC's C1
 * forms (U+009B and friends) read as the two-byte ESC forms would. */
static size_t next_cp(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t k = utf8_decode(s, n, cp);
	if (k == 0) {
		*cp = 0xfffd;
		return 1;
	}
	return k;
}

/* Skips a string sequence's body (OSC, DCS, SOS, PM, APC) up to and with
 * its terminator: BEL (for OSC, as xterm takes), ESC \ or U+009C. An
 * unterminated one runs to the end, as a terminal would swallow it. */
static size_t skip_string(const unsigned char *s, size_t n, size_t i)
{
	while (i < n) {
		uint32_t cp;
		size_t k = next_cp(s + i, n - i, &cp);
		if (cp == BEL || cp == 0x9c)
			return i + k;
		if (cp == ESC && i + 1 < n && s[i + 1] == '\\')
			return i + 2;
		if (cp == ESC) /* a new sequence ends this one */
			return i;
		i += k;
	}
	return n;
}

/* Skips a CSI's parameters, intermediates and final byte. A byte that
 * cannot be in a CSI ends it (and stays, to be judged on its own). */
static size_t skip_csi(const unsigned char *s, size_t n, size_t i)
{
	while (i < n && s[i] >= 0x20 && s[i] <= 0x3f)
		i++;
	if (i < n && s[i] >= 0x40 && s[i] <= 0x7e)
		i++;
	return i;
}

/* i is just past an ESC: the sequence's end. */
static size_t skip_escape(const unsigned char *s, size_t n, size_t i)
{
	if (i >= n)
		return n;
	switch (s[i]) {
	case '[':
		return skip_csi(s, n, i + 1);
	case ']': case 'P': case 'X': case '^': case '_':
		return skip_string(s, n, i + 1);
	}
	/* nF (ESC ( B, ESC # 8...): intermediates, then one final byte. */
	while (i < n && s[i] >= 0x20 && s[i] <= 0x2f)
		i++;
	if (i < n && s[i] >= 0x30 && s[i] <= 0x7e)
		i++;
	return i;
}

size_t text_sanitize(char *str, size_t len, unsigned flags)
{
	unsigned char *s = (unsigned char *)str;
	size_t i = 0, o = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c == ESC) {
			i = skip_escape(s, len, i + 1);
			continue;
		}
		if (c == '\t') {
			s[o++] = c;
			i++;
			continue;
		}
		if (c == '\r' || c == '\n') {
			bool crlf = c == '\r' && i + 1 < len && s[i + 1] == '\n';
			s[o++] = (flags & TEXT_KEEP_NEWLINES) ? '\n' : ' ';
			i += crlf ? 2 : 1;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			i++;
			continue;
		}
		if (c < 0x80) {
			s[o++] = c;
			i++;
			continue;
		}
		uint32_t cp;
		size_t k = utf8_decode(s + i, len - i, &cp);
		if (k == 0) {
			s[o++] = '?';
			i++;
			continue;
		}
		if (cp >= 0x80 && cp <= 0x9f) {
			/* C1: CSI and the string introducers take their
			 * sequence with them, the rest go alone. */
			i += k;
			if (cp == 0x9b)
				i = skip_csi(s, len, i);
			else if (cp == 0x9d || cp == 0x90 || cp == 0x98 || cp == 0x9e || cp == 0x9f)
				i = skip_string(s, len, i);
			continue;
		}
		memmove(s + o, s + i, k);
		o += k;
		i += k;
	}
	s[o] = '\0';
	return o;
}

char *text_sanitize_dup(const char *s, size_t len, unsigned flags)
{
	char *out = xmalloc(len + 1);
	memcpy(out, s, len);
	out[len] = '\0';
	text_sanitize(out, len, flags);
	return out;
}

char *text_sanitize_str(char *s, unsigned flags)
{
	text_sanitize(s, strlen(s), flags);
	return s;
}

static bool ends_with_ci(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);
	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

static bool has_ci(const char *s, const char *needle)
{
	return strcasestr(s, needle) != NULL;
}

bool text_secret_name(const char *name)
{
	size_t n = strlen(name);
	if (ends_with_ci(name, n, "_file") || ends_with_ci(name, n, "_path"))
		return false;
	static const char *const parts[] = { "password", "passwd", "passphrase", "secret",
					     "token", "credential", "api_key", "apikey" };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (has_ci(name, parts[i]))
			return true;
	return ends_with_ci(name, n, "_pass") || ends_with_ci(name, n, "_key") ||
	       strcasecmp(name, "pass") == 0 || strcasecmp(name, "key") == 0;
}

const char *text_redact(const char *name, const char *value)
{
	return text_secret_name(name) ? TEXT_REDACTED : value;
}
