/* text: what may be shown of text fleetop did not write. Text from hosts
 * (stderr lines, probe errors, game names, MOTDs, player names) is cleaned
 * before it is stored or printed, so a host cannot drive the operator's
 * terminal; inventory variables that hold secrets are shown redacted. */
#ifndef FLEETOP_TEXT_H
#define FLEETOP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The one UTF-8 decoder (core/utf8.c): the length of the well-formed
 * sequence at s (at most n bytes) with its code point in *cp, or 0 when
 * there is none (overlong, surrogate, past U+10FFFF, cut short, a stray
 * continuation byte). Stops at a NUL, so a NUL-terminated string may pass
 * n = 4 without knowing its length. */
size_t utf8_decode(const void *s, size_t n, uint32_t *cp);

/* Cleans s[0..len) in place and returns its new length (never more than
 * len); s[result] is set to '\0', so s needs room for len + 1 bytes. Removed: terminal escape sequences (ESC
 * and its CSI, OSC, DCS, SOS, PM, APC and two-byte forms, and their
 * 8-bit C1 introducers), every other C0 control but tab, DEL, and the C1
 * controls U+0080-U+009F. Each byte of invalid UTF-8 (overlong forms,
 * surrogates, past U+10FFFF, cut sequences) becomes '?'. Line breaks
 * become spaces unless TEXT_KEEP_NEWLINES (then "\r\n" and "\r" are "\n"). */
enum { TEXT_KEEP_NEWLINES = 1 };
size_t text_sanitize(char *s, size_t len, unsigned flags);
/* A cleaned, NUL-terminated copy of s[0..len); caller frees. */
char *text_sanitize_dup(const char *s, size_t len, unsigned flags);
/* Cleans a NUL-terminated string in place; returns s. */
char *text_sanitize_str(char *s, unsigned flags);

/* Whether an inventory variable (or any key) names a secret: its name,
 * in any case, holds password, passwd, passphrase, secret, token,
 * credential or api_key/apikey, or ends in _pass or _key; a name ending
 * in _file or _path names where a secret is, not the secret, and is
 * shown. */
bool text_secret_name(const char *name);
#define TEXT_REDACTED "<redacted>"
/* value, or TEXT_REDACTED when name names a secret. */
const char *text_redact(const char *name, const char *value);

#endif
