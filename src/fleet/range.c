/* Host ranges: mc-[01:12], web[a:c], db[1:9:2] (Ansible), and mc-[01-12]. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_private.h"

const char fleet_letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

static int letter_index(char c)
{
	const char *p = c ? strchr(fleet_letters, c) : NULL;
	return p ? (int)(p - fleet_letters) : -1;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

int fleet_range_parse(const char *s, struct fleet_range *r, size_t *len, char *why,
		      size_t whysize)
{
	const char *close = strchr(s + 1, ']');
	if (!close)
		return 0;
	const char *part[3];
	size_t plen[3];
	char sep[2] = { 0, 0 };
	int nparts = 0;
	const char *p = s + 1;
	part[0] = p;
	for (; p < close; p++) {
		if (*p == ':' || *p == '-') {
			if (nparts == 2)
				return 0;
			plen[nparts] = (size_t)(p - part[nparts]);
			sep[nparts] = *p;
			part[++nparts] = p + 1;
		} else if (!isalnum((unsigned char)*p)) {
			return 0;
		}
	}
	plen[nparts] = (size_t)(close - part[nparts]);
	nparts++;
	if (nparts < 2)
		return 0;
	const char *b = part[0], *e = part[1];
	size_t bl = plen[0], el = plen[1];
	bool balpha = bl == 1 && isalpha((unsigned char)*b);
	bool ealpha = el == 1 && isalpha((unsigned char)*e);
	/* "[a-]", "[-a]" and the like are glob classes, not ranges. */
	if ((bl == 0 && sep[0] != ':') || (el == 0 && sep[0] != ':'))
		return 0;
	if (!(balpha || all_digits(b, bl)) || !(ealpha || all_digits(e, el)))
		return 0;
	if (nparts == 3 && (plen[2] == 0 || !all_digits(part[2], plen[2])))
		return 0;

	int n = (int)(close - s + 1);
	memset(r, 0, sizeof *r);
	*len = (size_t)n;
	if (el == 0) {
		snprintf(why, whysize, "range %.*s has no end value", n, s);
		return -1;
	}
	if (balpha != ealpha && bl > 0) {
		snprintf(why, whysize, "range %.*s mixes letters and digits", n, s);
		return -1;
	}
	if (bl > 9 || el > 9 || (nparts == 3 && plen[2] > 9)) {
		snprintf(why, whysize, "range %.*s has a bound too large", n, s);
		return -1;
	}
	r->step = nparts == 3 ? strtol(part[2], NULL, 10) : 1;
	if (r->step <= 0) {
		snprintf(why, whysize, "range %.*s has a step of 0", n, s);
		return -1;
	}
	if (ealpha) {
		r->alpha = true;
		r->beg = bl ? letter_index(*b) : 0;
		r->end = letter_index(*e);
	} else {
		r->beg = bl ? strtol(b, NULL, 10) : 0;
		r->end = strtol(e, NULL, 10);
		if (bl > 1 && b[0] == '0') {
			if (el != bl) {
				snprintf(why, whysize,
					 "range %.*s: begin and end must have the same width when "
					 "zero-padded",
					 n, s);
				return -1;
			}
			r->width = (int)bl;
		}
	}
	if (r->beg > r->end) {
		snprintf(why, whysize, "range %.*s: begin is after end", n, s);
		return -1;
	}
	return 1;
}

struct seg {
	const char *lit;
	size_t litlen;
	bool is_range;
	struct fleet_range r;
	long count, at;
};

static void format_value(const struct fleet_range *r, long i, struct buf *out)
{
	long v = r->beg + i * r->step;
	if (r->alpha)
		buf_append(out, &fleet_letters[v], 1);
	else
		buf_printf(out, "%0*ld", r->width, v);
}

int fleet_expand(const char *pat, size_t max, char ***out, size_t *n, char *why,
		 size_t whysize)
{
	struct seg *segs = NULL;
	size_t nsegs = 0, cap = 0;
	size_t total = 1;
	const char *p = pat;
	int rc = 0;
	while (*p) {
		if (nsegs == cap) {
			cap = cap ? cap * 2 : 8;
			segs = xrealloc(segs, cap * sizeof *segs);
		}
		struct seg *sg = &segs[nsegs];
		memset(sg, 0, sizeof *sg);
		if (*p == '[') {
			size_t len;
			int k = fleet_range_parse(p, &sg->r, &len, why, whysize);
			if (k == 0) {
				snprintf(why, whysize, "'[' in '%s' does not start a range like [01:12]",
					 pat);
				k = -1;
			}
			if (k < 0) {
				rc = -1;
				break;
			}
			sg->is_range = true;
			sg->count = (sg->r.end - sg->r.beg) / sg->r.step + 1;
			p += len;
			if ((unsigned long long)total * (unsigned long long)sg->count > max) {
				snprintf(why, whysize, "'%s' expands to more than %zu names", pat, max);
				rc = -1;
				break;
			}
			total *= (size_t)sg->count;
		} else {
			const char *q = strchr(p, '[');
			sg->lit = p;
			sg->litlen = q ? (size_t)(q - p) : strlen(p);
			p += sg->litlen;
		}
		nsegs++;
	}
	if (rc < 0) {
		free(segs);
		return -1;
	}

	char **names = xmalloc(total * sizeof *names);
	struct buf b = { 0 };
	for (size_t k = 0; k < total; k++) {
		buf_reset(&b);
		buf_append(&b, "", 0);
		for (size_t i = 0; i < nsegs; i++) {
			if (segs[i].is_range)
				format_value(&segs[i].r, segs[i].at, &b);
			else
				buf_append(&b, segs[i].lit, segs[i].litlen);
		}
		names[k] = xstrdup(b.data);
		/* Odometer: the last range turns fastest. */
		for (size_t i = nsegs; i-- > 0;) {
			if (!segs[i].is_range)
				continue;
			if (++segs[i].at < segs[i].count)
				break;
			segs[i].at = 0;
		}
	}
	buf_free(&b);
	free(segs);
	*out = names;
	*n = total;
	return 0;
}
