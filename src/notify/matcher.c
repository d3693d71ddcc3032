/* Label matchers as Alertmanager writes them: `rule=cpu_high,host=~mc-.*`,
 * optionally in braces, values optionally in double quotes (so a value can
 * hold a comma). Silences, policies and inhibition rules use them. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/notify.h"

static const char *op_text[] = { "=", "!=", "=~", "!~" };

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || (!first && (isdigit((unsigned char)c) ||
								     c == '.' || c == '-'));
}

static void skip_space(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* A double-quoted value: \" \\ \n escape; the quote must close. */
static int read_quoted(const char **pp, struct buf *out)
{
	const char *p = *pp + 1;
	for (; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			buf_append(out, *p == 'n' ? "\n" : p, 1);
			continue;
		}
		buf_append(out, p, 1);
	}
	if (*p != '"')
		return -1;
	*pp = p + 1;
	return 0;
}

static int compile(struct matcher *m, struct error *err)
{
	/* Anchored as Prometheus anchors label regexes. */
	char *anchored = xasprintf("^(%s)$", m->value);
	int rc = regcomp(&m->re, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	if (rc != 0) {
		char why[160];
		regerror(rc, &m->re, why, sizeof why);
		regfree(&m->re);
		return error_set(err, "matcher '%s%s%.80s': bad regular expression: %s", m->key,
				 op_text[m->op], m->value, why);
	}
	return 0;
}

/* One matcher at *pp; leaves *pp after its value. */
static bool closes_braces(const char *p)
{
	if (*p != '}')
		return false;
	for (p++; *p == ' ' || *p == '\t'; p++)
		;
	return *p == '\0';
}

static int parse_one(struct matcher *m, const char **pp, int index, bool braces,
		     struct error *err)
{
	const char *p = *pp;
	const char *start = p;
	if (!name_char(*p, true)) {
		if (*p == ',' || *p == '\0' || *p == '}')
			return error_set(err, "matcher %d is empty", index);
		return error_set(err, "matcher %d '%.40s': expected a label name", index, start);
	}
	while (name_char(*p, false))
		p++;
	size_t klen = (size_t)(p - start);
	skip_space(&p);
	if (str_starts_with(p, "!="))
		m->op = MATCH_NE, p += 2;
	else if (str_starts_with(p, "=~"))
		m->op = MATCH_RE, p += 2;
	else if (str_starts_with(p, "!~"))
		m->op = MATCH_NRE, p += 2;
	else if (*p == '=')
		m->op = MATCH_EQ, p += 1;
	else
		return error_set(err, "matcher '%.40s': expected =, !=, =~ or !~ after '%.*s'",
				 start, (int)(klen > 60 ? 60 : klen), start);
	skip_space(&p);
	struct buf v = { 0 };
	buf_puts(&v, "");
	if (*p == '"') {
		if (read_quoted(&p, &v) < 0) {
			buf_free(&v);
			return error_set(err, "matcher '%.40s': unterminated quote", start);
		}
		skip_space(&p);
		if (*p && *p != ',' && !(braces && closes_braces(p))) {
			buf_free(&v);
			return error_set(err, "matcher '%.40s': unexpected text after the quoted value",
					 start);
		}
	} else {
		const char *vs = p;
		while (*p && *p != ',' && !(braces && closes_braces(p)))
			p++;
		const char *ve = p;
		while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		buf_append(&v, vs, (size_t)(ve - vs));
	}
	m->key = xstrndup(start, klen);
	m->value = v.data;
	*pp = p;
	if ((m->op == MATCH_RE || m->op == MATCH_NRE) && compile(m, err) < 0) {
		free(m->key);
		free(m->value);
		m->key = m->value = NULL;
		return -1;
	}
	return 0;
}

int matchers_parse(struct matcher_set *ms, const char *text, struct error *err)
{
	memset(ms, 0, sizeof *ms);
	const char *p = text;
	skip_space(&p);
	bool braces = *p == '{';
	if (braces) {
		p++;
		skip_space(&p);
	}
	size_t cap = 0;
	while (*p && !(braces && closes_braces(p))) {
		if (ms->n == cap) {
			cap = cap ? cap * 2 : 4;
			ms->m = xrealloc(ms->m, cap * sizeof *ms->m);
		}
		struct matcher *m = &ms->m[ms->n];
		memset(m, 0, sizeof *m);
		if (parse_one(m, &p, (int)ms->n + 1, braces, err) < 0) {
			matchers_free(ms);
			return -1;
		}
		ms->n++;
		skip_space(&p);
		if (*p == ',') {
			p++;
			skip_space(&p); /* a trailing comma is fine, as in Alertmanager */
		} else if (*p && !(braces && closes_braces(p))) {
			matchers_free(ms);
			return error_set(err, "matcher %zu: expected ',' before '%.20s'", ms->n + 1,
					 p);
		}
	}
	if (braces) {
		if (*p != '}') {
			matchers_free(ms);
			return error_set(err, "matchers: missing closing '}'");
		}
		p++;
		skip_space(&p);
	}
	if (*p) {
		matchers_free(ms);
		return error_set(err, "matchers: unexpected text '%.20s' at the end", p);
	}
	return 0;
}

static bool match_one(const struct matcher *m, const char *v)
{
	switch (m->op) {
	case MATCH_EQ: return strcmp(v, m->value) == 0;
	case MATCH_NE: return strcmp(v, m->value) != 0;
	case MATCH_RE: return regexec(&m->re, v, 0, NULL, 0) == 0;
	case MATCH_NRE: return regexec(&m->re, v, 0, NULL, 0) != 0;
	}
	return false;
}

bool matchers_match(const struct matcher_set *ms, const struct alert_label *labels, size_t n)
{
	for (size_t i = 0; i < ms->n; i++) {
		const char *v = labels_get(labels, n, ms->m[i].key);
		if (!match_one(&ms->m[i], v ? v : ""))
			return false;
	}
	return true;
}

static bool needs_quotes(const char *v)
{
	if (*v == ' ' || *v == '\t' || *v == '"')
		return true;
	size_t n = strlen(v);
	if (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		return true;
	return strpbrk(v, ",\\\n") != NULL;
}

char *matchers_format(const struct matcher_set *ms)
{
	struct buf b = { 0 };
	buf_puts(&b, "");
	for (size_t i = 0; i < ms->n; i++) {
		const struct matcher *m = &ms->m[i];
		buf_printf(&b, "%s%s%s", i ? "," : "", m->key, op_text[m->op]);
		if (!needs_quotes(m->value)) {
			buf_puts(&b, m->value);
			continue;
		}
		buf_puts(&b, "\"");
		for (const char *p = m->value; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_printf(&b, "\\%c", *p);
			else if (*p == '\n')
				buf_puts(&b, "\\n");
			else
				buf_append(&b, p, 1);
		}
		buf_puts(&b, "\"");
	}
	return b.data;
}

void matchers_free(struct matcher_set *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		if (ms->m[i].op == MATCH_RE || ms->m[i].op == MATCH_NRE)
			regfree(&ms->m[i].re);
		free(ms->m[i].key);
		free(ms->m[i].value);
	}
	free(ms->m);
	memset(ms, 0, sizeof *ms);
}
