/* Selection patterns: "@eu,mc-[01-12] !mc-07", "web*", "all".
 *
 * A term is matched by a small compiled matcher rather than by expanding
 * its ranges, so "mc-[1-99999]*" costs one pass over the hosts, not one
 * per name in the range. Globs are fnmatch's (*, ?, [abc], \x); a bracket
 * that reads as a range ([01-12], [1:12], [a-c], [1:9:2]) is a range. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_private.h"

/* Longer terms are surely not names; the limit bounds the matcher's memo. */
#define TERM_MAX 1024

enum el_kind { EL_CHAR, EL_ANY, EL_STAR, EL_CLASS, EL_RANGE };

struct el {
	enum el_kind kind;
	char c;
	char *cls; /* "[...]" for fnmatch, EL_CLASS */
	struct fleet_range r;
	int maxdigits; /* EL_RANGE, unpadded: digits of the end value */
};

struct matcher {
	struct el *e;
	size_t n;
	bool literal;
	unsigned char *memo; /* failed (element, offset) pairs */
	size_t memocap;
};

static void matcher_free(struct matcher *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].cls);
	free(m->e);
	free(m->memo);
	memset(m, 0, sizeof *m);
}

/* fnmatch's rule: after '[' and an optional '!' or '^', a ']' is literal. */
static const char *class_end(const char *p)
{
	const char *q = p + 1;
	if (*q == '!' || *q == '^')
		q++;
	if (*q == ']')
		q++;
	while (*q && *q != ']')
		q++;
	return *q ? q : NULL;
}

static int compile(struct matcher *m, const char *term, char *why, size_t whysize)
{
	memset(m, 0, sizeof *m);
	size_t cap = strlen(term) + 1;
	m->e = xcalloc(cap, sizeof *m->e);
	m->literal = true;
	for (const char *p = term; *p;) {
		struct el *e = &m->e[m->n];
		if (*p == '\\') {
			e->kind = EL_CHAR;
			e->c = p[1] ? p[1] : '\\';
			p += p[1] ? 2 : 1;
			m->literal = false;
		} else if (*p == '*') {
			m->literal = false;
			while (*p == '*')
				p++;
			e->kind = EL_STAR;
		} else if (*p == '?') {
			m->literal = false;
			e->kind = EL_ANY;
			p++;
		} else if (*p == '[') {
			size_t len;
			int k = fleet_range_parse(p, &e->r, &len, why, whysize);
			if (k < 0)
				return -1;
			const char *end = k == 0 ? class_end(p) : NULL;
			if (k == 1) {
				m->literal = false;
				e->kind = EL_RANGE;
				long v = e->r.end;
				e->maxdigits = 1;
				while (v >= 10)
					v /= 10, e->maxdigits++;
				p += len;
			} else if (end) {
				m->literal = false;
				e->kind = EL_CLASS;
				e->cls = xstrndup(p, (size_t)(end - p + 1));
				p = end + 1;
			} else {
				e->kind = EL_CHAR; /* fnmatch: a lone '[' is itself */
				e->c = *p++;
			}
		} else {
			e->kind = EL_CHAR;
			e->c = *p++;
		}
		m->n++;
	}
	return 0;
}

static bool in_range(const struct fleet_range *r, long v)
{
	return v >= r->beg && v <= r->end && (v - r->beg) % r->step == 0;
}

static bool match_from(struct matcher *m, size_t i, const char *s, size_t si, size_t slen)
{
	if (i == m->n)
		return si == slen;
	size_t key = i * (slen + 1) + si;
	if (m->memo[key >> 3] & (1u << (key & 7)))
		return false;
	const struct el *e = &m->e[i];
	bool ok = false;
	switch (e->kind) {
	case EL_CHAR:
		ok = si < slen && s[si] == e->c && match_from(m, i + 1, s, si + 1, slen);
		break;
	case EL_ANY:
		ok = si < slen && match_from(m, i + 1, s, si + 1, slen);
		break;
	case EL_STAR:
		for (size_t k = si; k <= slen && !ok; k++)
			ok = match_from(m, i + 1, s, k, slen);
		break;
	case EL_CLASS:
		if (si < slen) {
			char one[2] = { s[si], '\0' };
			ok = fnmatch(e->cls, one, 0) == 0 && match_from(m, i + 1, s, si + 1, slen);
		}
		break;
	case EL_RANGE:
		if (si >= slen)
			break;
		if (e->r.alpha) {
			const char *l = strchr(fleet_letters, s[si]);
			ok = s[si] && l && in_range(&e->r, (long)(l - fleet_letters)) &&
			     match_from(m, i + 1, s, si + 1, slen);
			break;
		}
		/* Padded: exactly width digits. Unpadded: no leading zero. */
		long v = 0;
		for (size_t len = 1; si + len <= slen && !ok; len++) {
			char c = s[si + len - 1];
			if (c < '0' || c > '9')
				break;
			v = v * 10 + (c - '0');
			if (e->r.width) {
				if ((int)len == e->r.width)
					ok = in_range(&e->r, v) &&
					     match_from(m, i + 1, s, si + len, slen);
				if ((int)len >= e->r.width)
					break;
				continue;
			}
			if ((int)len > e->maxdigits || (len > 1 && s[si] == '0'))
				break;
			ok = in_range(&e->r, v) && match_from(m, i + 1, s, si + len, slen);
		}
		break;
	}
	if (!ok)
		m->memo[key >> 3] |= (unsigned char)(1u << (key & 7));
	return ok;
}

static bool matches(struct matcher *m, const char *s)
{
	size_t slen = strlen(s);
	size_t bits = (m->n + 1) * (slen + 1);
	size_t bytes = bits / 8 + 1;
	if (bytes > m->memocap) {
		free(m->memo);
		m->memo = xmalloc(bytes);
		m->memocap = bytes;
	}
	memset(m->memo, 0, bytes);
	return match_from(m, 0, s, 0, slen);
}

static size_t mark_group(const struct fleet *f, size_t gid, unsigned char *mark)
{
	const char *name = f->groups[gid].name;
	if (strcmp(name, "all") == 0) {
		memset(mark, 1, f->nhosts);
		return f->nhosts;
	}
	if (f->index) {
		for (size_t k = 0; k < f->index->ngroup_hosts[gid]; k++)
			mark[f->index->group_hosts[gid][k]] = 1;
		return f->index->ngroup_hosts[gid];
	}
	size_t n = 0;
	for (size_t i = 0; i < f->nhosts; i++)
		if (host_in_group(&f->hosts[i], name))
			mark[i] = 1, n++;
	return n;
}

static int select_term(const struct fleet *f, const char *term, unsigned char *mark,
		       struct error *err)
{
	const char *shown = term;
	bool at = term[0] == '@';
	if (at)
		term++;
	if (!*term)
		return error_set(err, "'@' without a group name in the selection");
	if (!at && (strcmp(term, "all") == 0 || strcmp(term, "*") == 0)) {
		if (f->nhosts)
			memset(mark, 1, f->nhosts);
		return 0;
	}
	if (strlen(term) > TERM_MAX)
		return error_set(err, "selection term '%.40s...' is longer than %d characters",
				 term, TERM_MAX);
	struct matcher m;
	char why[200];
	if (compile(&m, term, why, sizeof why) < 0) {
		matcher_free(&m);
		return error_set(err, "selection term '%s': %s", shown, why);
	}
	size_t count = 0;
	bool empty_group = false;
	if (m.literal) {
		const struct group *g = fleet_group(f, term);
		if (g) {
			size_t n = mark_group(f, (size_t)(g - f->groups), mark);
			count += n;
			empty_group = n == 0;
		}
		struct host *h = at ? NULL : fleet_find(f, term);
		if (h) {
			mark[h - f->hosts] = 1;
			count++;
		}
	} else {
		/* Like Ansible, a glob matches group names as well as host names;
		 * unlike Ansible, not the implicit ones, or "a*" would mean all. */
		for (size_t g = 0; g < f->ngroups; g++) {
			const char *gname = f->groups[g].name;
			if (strcmp(gname, "all") == 0 || strcmp(gname, "ungrouped") == 0)
				continue;
			if (matches(&m, gname))
				count += mark_group(f, g, mark);
		}
		if (!at)
			for (size_t i = 0; i < f->nhosts; i++)
				if (matches(&m, f->hosts[i].name))
					mark[i] = 1, count++;
	}
	matcher_free(&m);
	if (count > 0)
		return 0;
	if (empty_group)
		return error_set(err, "group '%s' has no hosts", term);
	if (at)
		return error_set(err, "no group matches '%s'", shown);
	return error_set(err, "no host or group matches '%s'", shown);
}

int fleet_select(const struct fleet *f, const char *pattern, unsigned char *selected,
		 struct error *err)
{
	size_t n = f->nhosts;
	unsigned char *pos = xcalloc(n ? n : 1, 1);
	unsigned char *neg = xcalloc(n ? n : 1, 1);
	bool any_pos = false;
	int rc = 0;
	struct buf term = { 0 };
	const char *p = pattern ? pattern : "";
	while (*p && rc == 0) {
		while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			break;
		/* A term runs to the next separator outside brackets. */
		buf_reset(&term);
		buf_append(&term, "", 0);
		int depth = 0;
		for (; *p; p++) {
			if (depth == 0 && (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n' ||
					   *p == '\r'))
				break;
			if (*p == '[')
				depth++;
			else if (*p == ']' && depth > 0)
				depth--;
			buf_append(&term, p, 1);
		}
		const char *t = term.data;
		bool negate = t[0] == '!';
		if (negate && !*++t) {
			rc = error_set(err, "'!' without a host or group after it in the selection");
			break;
		}
		if (!negate)
			any_pos = true;
		rc = select_term(f, t, negate ? neg : pos, err);
	}
	buf_free(&term);
	if (rc == 0)
		for (size_t i = 0; i < n; i++)
			selected[i] = (!any_pos || pos[i]) && !neg[i];
	free(pos);
	free(neg);
	return rc;
}

/* Natural order */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digit runs compare by value without converting them, so a run of any
 * length neither overflows nor loses digits: leading zeros skipped, then
 * the longer run is the larger, then the first digit that differs. */
static int digits_cmp(const char **pa, const char **pb)
{
	const char *a = *pa, *b = *pb;
	while (*a == '0')
		a++;
	while (*b == '0')
		b++;
	size_t la = 0, lb = 0;
	while (is_digit(a[la]))
		la++;
	while (is_digit(b[lb]))
		lb++;
	*pa = a + la;
	*pb = b + lb;
	if (la != lb)
		return la < lb ? -1 : 1;
	for (size_t i = 0; i < la; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

int fleet_name_cmp(const char *a, const char *b)
{
	a = a ? a : "";
	b = b ? b : "";
	const char *p = a, *q = b;
	while (*p && *q) {
		if (is_digit(*p) && is_digit(*q)) {
			int c = digits_cmp(&p, &q);
			if (c)
				return c;
			continue;
		}
		if (*p != *q)
			return (unsigned char)*p < (unsigned char)*q ? -1 : 1;
		p++;
		q++;
	}
	if (*p || *q)
		return *p ? 1 : -1;
	/* Equal but for leading zeros (db-07, db-7): a total order all the same. */
	int c = strcmp(a, b);
	return c < 0 ? -1 : c > 0;
}

static int host_ptr_cmp(const void *pa, const void *pb)
{
	const struct host *a = *(const struct host *const *)pa;
	const struct host *b = *(const struct host *const *)pb;
	int c = fleet_name_cmp(a->name, b->name);
	if (c)
		return c;
	return a->id < b->id ? -1 : a->id > b->id;
}

size_t fleet_sorted(const struct fleet *f, const unsigned char *selected, uint32_t *ids)
{
	if (!f->nhosts)
		return 0;
	const struct host **hs = xmalloc(f->nhosts * sizeof *hs);
	size_t n = 0;
	for (size_t i = 0; i < f->nhosts; i++)
		if (!selected || selected[i])
			hs[n++] = &f->hosts[i];
	if (n > 1)
		qsort(hs, n, sizeof *hs, host_ptr_cmp);
	for (size_t i = 0; i < n; i++)
		ids[i] = (uint32_t)(hs[i] - f->hosts);
	free(hs);
	return n;
}
