/* Errors, allocation and string helpers. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleetop/core.h"

int error_set(struct error *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
		/* One line, always: callers print it in a table cell or a log line. */
		for (char *p = err->msg; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
	}
	return -1;
}

static void oom(size_t n)
{
	fprintf(stderr, "fleetop: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *out = NULL;
	int n = vasprintf(&out, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(strlen(fmt));
	return out;
}

char *str_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

bool str_is_word(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

bool str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

size_t str_copy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);
	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int parse_duration_ms(const char *s, int64_t *out_ms)
{
	if (!s || !*s)
		return -1;
	int64_t total = 0;
	const char *p = s;
	/* Allows compound forms like "1h30m" as well as "90s". */
	while (*p) {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1;
		char *end;
		errno = 0;
		double v = strtod(p, &end);
		if (end == p || errno || v < 0 || !isfinite(v))
			return -1;
		p = end;
		double unit;
		if (str_starts_with(p, "ms")) {
			unit = 1, p += 2;
		} else if (*p == 's') {
			unit = 1000, p++;
		} else if (*p == 'm') {
			unit = 60e3, p++;
		} else if (*p == 'h') {
			unit = 3600e3, p++;
		} else if (*p == 'd') {
			unit = 86400e3, p++;
		} else if (*p == 'w') {
			unit = 7 * 86400e3, p++;
		} else if (*p == '\0' && p == end && total == 0) {
			unit = 1000; /* a bare number is seconds */
		} else {
			return -1;
		}
		double ms = v * unit;
		if (ms > 1e15)
			return -1;
		total += (int64_t)(ms + 0.5);
	}
	*out_ms = total;
	return 0;
}

int parse_size_bytes(const char *s, uint64_t *out)
{
	if (!s || !*s || !isdigit((unsigned char)*s))
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || v < 0 || !isfinite(v))
		return -1;
	double mult = 1;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': mult = 1024.0; end++; break;
	case 'M': mult = 1024.0 * 1024; end++; break;
	case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
	case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
	default: return -1;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v * mult > 1.8e19)
		return -1;
	*out = (uint64_t)(v * mult);
	return 0;
}

bool parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "1", "yes", "true", "on" };
	static const char *no[] = { "0", "no", "false", "off" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = true, true;
		if (strcasecmp(s, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

const char *format_si(double v, char *out, size_t size)
{
	static const char units[] = " KMGTP";
	int u = 0;
	double a = fabs(v);
	while (a >= 1000 && u < 5)
		a /= 1024, v /= 1024, u++;
	if (u == 0)
		snprintf(out, size, "%.0f", v);
	else
		snprintf(out, size, a < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
	return out;
}
