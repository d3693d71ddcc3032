/* Text for other services: valid UTF-8, lengths as they count them, cut to
 * their limits without splitting a character, and the escapes of each
 * format (markdown, Slack's mrkdwn, forms, quoted-printable, RFC 2047). */
#include <stdlib.h>
#include <string.h>

#include "fleetop/text.h"
#include "render_private.h"

/* The length of the valid UTF-8 sequence at p (a NUL-terminated string),
 * 0 when it is not one. */
static size_t utf8_seq(const unsigned char *p)
{
	uint32_t cp;
	return utf8_decode(p, 4, &cp);
}

char *text_clean(const char *s, bool keep_nl)
{
	struct buf b = { 0 };
	buf_puts(&b, "");
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_seq(p);
		if (n == 0) {
			buf_puts(&b, "\xEF\xBF\xBD"); /* U+FFFD */
			p++;
		} else if (n == 1) {
			char c = (char)*p;
			if (c == '\r' && keep_nl)
				c = p[1] == '\n' ? 0 : '\n';
			else if (c == '\t' || (c == '\n' && !keep_nl) || c == '\r')
				c = ' ';
			else if ((unsigned char)c < 0x20 && c != '\n')
				c = ' ';
			else if (c == 0x7f)
				c = ' ';
			if (c)
				buf_append(&b, &c, 1);
			p++;
		} else if (n == 2 && p[0] == 0xC2 && p[1] < 0xA0) {
			buf_puts(&b, " "); /* C1 controls */
			p += 2;
		} else {
			buf_append(&b, p, n);
			p += n;
		}
	}
	return b.data;
}

char *text_utf8(const char *s)
{
	struct buf b = { 0 };
	buf_puts(&b, "");
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = utf8_seq(p);
		if (n == 0) {
			buf_puts(&b, "\xEF\xBF\xBD");
			p++;
		} else {
			buf_append(&b, p, n);
			p += n;
		}
	}
	return b.data;
}

size_t text_units(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0xF0)
			n += 2; /* outside the BMP: a surrogate pair */
		else if ((*p & 0xC0) != 0x80)
			n += 1;
	}
	return n;
}

char *text_cut(const char *s, size_t max, bool keep_nl)
{
	char *c = text_clean(s, keep_nl);
	if (text_units(c) <= max)
		return c;
	if (max == 0) {
		c[0] = '\0';
		return c;
	}
	size_t units = 0;
	unsigned char *p = (unsigned char *)c;
	while (*p) {
		size_t n = utf8_seq(p);
		size_t u = *p >= 0xF0 ? 2 : 1;
		if (units + u > max - 1)
			break;
		units += u;
		p += n;
	}
	*p = '\0';
	/* No dangling space before the ellipsis. */
	while (p > (unsigned char *)c && (p[-1] == ' ' || p[-1] == '\n'))
		*--p = '\0';
	char *out = xasprintf("%s\xE2\x80\xA6", c);
	free(c);
	return out;
}

void text_escape(struct buf *b, const char *s, const char *chars)
{
	for (const char *p = s; *p; p++) {
		if (strchr(chars, *p))
			buf_append(b, "\\", 1);
		buf_append(b, p, 1);
	}
}

void text_escape_slack(struct buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '&')
			buf_puts(b, "&amp;");
		else if (*p == '<')
			buf_puts(b, "&lt;");
		else if (*p == '>')
			buf_puts(b, "&gt;");
		else
			buf_append(b, p, 1);
	}
}

static void form_part(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~", *p)) {
			buf_append(b, p, 1);
		} else if (*p == ' ') {
			buf_append(b, "+", 1);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
			buf_append(b, e, 3);
		}
	}
}

void text_form(struct buf *b, const char *name, const char *value)
{
	if (b->len)
		buf_append(b, "&", 1);
	form_part(b, name);
	buf_append(b, "=", 1);
	form_part(b, value);
}

void text_qp(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		const unsigned char *end = p + strcspn((const char *)p, "\n");
		const unsigned char *stop = end;
		if (stop > p && stop[-1] == '\r')
			stop--;
		size_t col = 0;
		for (; p < stop; p++) {
			char tok[4];
			size_t len;
			bool last = p + 1 == stop;
			if ((*p >= 33 && *p <= 126 && *p != '=') || ((*p == ' ' || *p == '\t') && !last)) {
				tok[0] = (char)*p;
				len = 1;
			} else {
				tok[0] = '=', tok[1] = hex[*p >> 4], tok[2] = hex[*p & 15];
				len = 3;
			}
			if (col + len > 75) {
				buf_puts(b, "=\r\n");
				col = 0;
			}
			buf_append(b, tok, len);
			col += len;
		}
		buf_puts(b, "\r\n");
		p = *end ? end + 1 : end;
	}
}

static void base64(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char out[4] = { tab[v >> 18 & 63], tab[v >> 12 & 63],
				i + 1 < n ? tab[v >> 6 & 63] : '=', i + 2 < n ? tab[v & 63] : '=' };
		buf_append(b, out, 4);
	}
}

void text_header(struct buf *b, const char *name, const char *value)
{
	char *v = text_clean(value, false); /* no CR or LF: no header injection */
	bool ascii = true;
	for (const char *p = v; *p; p++)
		ascii &= (unsigned char)*p < 0x80;
	buf_printf(b, "%s: ", name);
	if (ascii) {
		/* Fold long lines at spaces (RFC 5322 2.2.3). */
		size_t col = strlen(name) + 2;
		for (const char *p = v; *p; p++) {
			if (*p == ' ' && col > 70 && p[1] && p[1] != ' ') {
				buf_puts(b, "\r\n");
				col = 0;
			}
			buf_append(b, p, 1);
			col++;
		}
	} else {
		/* RFC 2047 encoded words of at most 45 bytes (75 characters
		 * each), split between characters, one a folded line. */
		const unsigned char *p = (const unsigned char *)v;
		bool first = true;
		while (*p) {
			size_t n = 0;
			while (p[n]) {
				size_t len = utf8_seq(p + n);
				if (n + len > 45)
					break;
				n += len;
			}
			if (!first)
				buf_puts(b, "\r\n ");
			buf_puts(b, "=?UTF-8?B?");
			base64(b, p, n);
			buf_puts(b, "?=");
			p += n;
			first = false;
		}
	}
	buf_puts(b, "\r\n");
	free(v);
}
