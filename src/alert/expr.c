/* The rule expression language: a small recursive-descent parser into a
 * flat node array, type-checked as it is built (numbers vs conditions), and
 * an evaluator with three-valued logic over the window store. See
 * fleetop-rules(5) for the grammar and the meaning of undefined values. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr_private.h"

enum node_kind {
	N_NUM, N_METRIC, N_HOST_UP, N_HOST_AGE,
	N_NEG, N_ABS, N_ADD, N_SUB, N_MUL, N_DIV,
	N_GT, N_GE, N_LT, N_LE, N_EQ, N_NE,
	N_AND, N_OR, N_NOT,
	N_FUNC,
};

enum func {
	F_AVG, F_MIN, F_MAX, F_SUM, F_COUNT, F_RATE, F_DELTA, F_ABSENT, F_LAST, F_ABS,
	F_STDDEV, F_ZSCORE,
};

/* zscore() compares the newest sample with at least this many before it. */
#define ZSCORE_MIN_BASELINE 10

static const struct {
	const char *name;
	enum func fn;
	int args; /* 1: metric, 2: metric and window, 0: one number */
} funcs[] = {
	{ "avg", F_AVG, 2 },     { "min", F_MIN, 2 },       { "max", F_MAX, 2 },
	{ "sum", F_SUM, 2 },     { "count", F_COUNT, 2 },   { "rate", F_RATE, 2 },
	{ "delta", F_DELTA, 2 }, { "absent", F_ABSENT, 2 }, { "last", F_LAST, 1 },
	{ "abs", F_ABS, 0 },     { "stddev", F_STDDEV, 2 }, { "zscore", F_ZSCORE, 2 },
};
#define NFUNCS (sizeof funcs / sizeof funcs[0])

struct node {
	uint8_t kind, fn;
	bool cond;         /* a condition (has a truth) rather than a number */
	uint8_t height;    /* of the subtree: bounds the evaluator's recursion */
	int32_t a, b;      /* children; -1 none */
	int32_t ref;       /* metric reference (N_METRIC, N_FUNC) */
	double num;        /* N_NUM */
	int64_t window_ms; /* N_FUNC */
	uint32_t start, end; /* source span, for messages */
};

struct metric_ref {
	char *name;
	uint32_t hash;
	/* The window store's slot for name, resolved on first use and again
	 * only when the store's serial moves: no string hashing per host. */
	uint64_t serial;
	long slot;
};

struct expr {
	struct node *nodes;
	size_t n, cap;
	struct metric_ref *refs;
	size_t nrefs;
	int32_t root;
};

/* ---- metric names ---- */

/* Families whose names are all known: a typo in them is refused at load
 * rather than never firing. Other families (custom.*, ...) are open. */
static const char *const known_metrics[] = {
	"cpu.util", "cpu.iowait", "cpu.steal",
	"load.1", "load.5", "load.15",
	"mem.total_bytes", "mem.available_bytes", "mem.used_pct",
	"swap.used_pct",
	"disk.used_pct", "disk.free_bytes", "disk.total_bytes", "disk.read_bps", "disk.write_bps",
	"net.rx_bps", "net.tx_bps",
	"uptime", "procs", "procs.running", "procs.blocked",
	"game.up", "game.players", "game.players_max", "game.bots", "game.latency_ms",
	"game.tps", "game.mspt", "game.world_bytes",
	"proc.up", "proc.cpu", "proc.rss_bytes", "proc.threads", "proc.uptime",
	"host.up", "host.sample_age",
};
static const char *const closed_families[] = {
	"cpu", "load", "mem", "swap", "disk", "net", "uptime", "procs", "game", "proc", "host",
};

/* "cpu" of "cpu.util", "uptime" of "uptime". */
static size_t family_len(const char *name)
{
	return strcspn(name, ".:");
}

static bool family_is(const char *name, size_t flen, const char *family)
{
	return strlen(family) == flen && strncmp(name, family, flen) == 0;
}

/* ---- the parser ---- */

enum tok_kind {
	T_END, T_NUM, T_NAME, T_QNAME, T_LP, T_RP, T_COMMA, T_PLUS, T_MINUS, T_STAR, T_SLASH,
	T_GT, T_GE, T_LT, T_LE, T_EQ, T_NE, T_AND, T_OR, T_NOT,
};

struct tok {
	enum tok_kind kind;
	size_t start, len;
	size_t numlen; /* T_NUM: the digits, before any unit */
};

struct parser {
	const char *text;
	size_t len;
	size_t pos;
	struct tok tok;
	int nesting;
	struct expr *e;
	struct error *err;
	bool failed;
};

/* A piece of the input fit for a one-line message. */
static void snippet(const char *s, size_t len, char *out, size_t size)
{
	size_t skip = 0;
	const size_t max = 48;
	if (len > max)
		skip = len - max;
	size_t o = 0;
	if (skip) {
		memcpy(out, "...", 3);
		o = 3;
	}
	for (size_t i = skip; i < len && o + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[o] = '\0';
}

static int fail(struct parser *p, size_t at, const char *fmt, ...) FT_PRINTF(3, 4);
static int fail(struct parser *p, size_t at, const char *fmt, ...)
{
	if (p->failed)
		return -1;
	p->failed = true;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	error_set(p->err, "%s (column %zu)", msg, at + 1);
	return -1;
}

static bool name_start(int c)
{
	return isalpha(c) || c == '_';
}

static bool name_char(int c)
{
	return isalnum(c) || c == '_' || c == '.';
}

static bool instance_char(int c)
{
	return isalnum(c) || strchr("_./@+-", c) != NULL;
}

static void lex_number(struct parser *p, size_t i)
{
	const char *s = p->text;
	size_t j = i;
	while (j < p->len && isdigit((unsigned char)s[j]))
		j++;
	if (j < p->len && s[j] == '.') {
		j++;
		while (j < p->len && isdigit((unsigned char)s[j]))
			j++;
	}
	if (j < p->len && (s[j] == 'e' || s[j] == 'E')) {
		size_t k = j + 1;
		if (k < p->len && (s[k] == '+' || s[k] == '-'))
			k++;
		if (k < p->len && isdigit((unsigned char)s[k])) {
			while (k < p->len && isdigit((unsigned char)s[k]))
				k++;
			j = k;
		}
	}
	size_t numlen = j - i;
	/* A unit or a duration follows without a space: 10Gi, 80%, 5m, 1h30m. */
	while (j < p->len && (isalnum((unsigned char)s[j]) || s[j] == '.' || s[j] == '%'))
		j++;
	p->tok = (struct tok){ T_NUM, i, j - i, numlen };
}

static void lex_name(struct parser *p, size_t i)
{
	const char *s = p->text;
	size_t j = i;
	/* custom collectors' names may hold '-' (custom.tick-ms); elsewhere
	 * '-' is a minus, so write `a - b` with spaces there. */
	bool custom = p->len - i > 7 && strncmp(s + i, "custom.", 7) == 0;
	while (j < p->len && (name_char((unsigned char)s[j]) ||
			      (custom && s[j] == '-' && j + 1 < p->len &&
			       isalnum((unsigned char)s[j + 1]))))
		j++;
	if (j < p->len && s[j] == ':') {
		j++;
		while (j < p->len && instance_char((unsigned char)s[j]))
			j++;
	}
	p->tok = (struct tok){ T_NAME, i, j - i, 0 };
	static const struct { const char *w; enum tok_kind k; } words[] = {
		{ "and", T_AND }, { "or", T_OR }, { "not", T_NOT },
	};
	for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
		if (j - i == strlen(words[k].w) && strncasecmp(s + i, words[k].w, j - i) == 0)
			p->tok.kind = words[k].k;
}

static void next(struct parser *p)
{
	const char *s = p->text;
	size_t i = p->pos;
	while (i < p->len && isspace((unsigned char)s[i]))
		i++;
	if (i >= p->len) {
		p->tok = (struct tok){ T_END, p->len, 0, 0 };
		p->pos = p->len;
		return;
	}
	unsigned char c = (unsigned char)s[i];
	unsigned char d = i + 1 < p->len ? (unsigned char)s[i + 1] : 0;
	if (isdigit(c) || (c == '.' && isdigit(d))) {
		lex_number(p, i);
	} else if (name_start(c)) {
		lex_name(p, i);
	} else if (c == '`') {
		const char *close = memchr(s + i + 1, '`', p->len - i - 1);
		if (!close) {
			fail(p, i, "metric name in backquotes has no closing '`'");
			p->tok = (struct tok){ T_END, i, 0, 0 };
			return;
		}
		p->tok = (struct tok){ T_QNAME, i, (size_t)(close - (s + i)) + 1, 0 };
	} else {
		static const struct { const char *op; enum tok_kind k; } ops[] = {
			{ ">=", T_GE }, { "<=", T_LE }, { "==", T_EQ }, { "!=", T_NE },
			{ ">", T_GT },  { "<", T_LT },  { "(", T_LP },  { ")", T_RP },
			{ ",", T_COMMA }, { "+", T_PLUS }, { "-", T_MINUS }, { "*", T_STAR },
			{ "/", T_SLASH },
		};
		for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
			size_t n = strlen(ops[k].op);
			if (p->len - i >= n && strncmp(s + i, ops[k].op, n) == 0) {
				p->tok = (struct tok){ ops[k].k, i, n, 0 };
				p->pos = i + n;
				return;
			}
		}
		static const struct { const char *op, *hint; } wrong[] = {
			{ "&&", "use 'and'" }, { "||", "use 'or'" }, { "=", "use '==' to compare" },
			{ "!", "use 'not'" },  { "&", "use 'and'" }, { "|", "use 'or'" },
			{ "%", "there is no '%' operator" },
		};
		for (size_t k = 0; k < sizeof wrong / sizeof wrong[0]; k++) {
			size_t n = strlen(wrong[k].op);
			if (p->len - i >= n && strncmp(s + i, wrong[k].op, n) == 0) {
				fail(p, i, "'%s' is not an operator here; %s", wrong[k].op, wrong[k].hint);
				p->tok = (struct tok){ T_END, i, 0, 0 };
				return;
			}
		}
		if (c < 0x20 || c >= 0x7f)
			fail(p, i, "unexpected byte 0x%02x", c);
		else
			fail(p, i, "unexpected character '%c'", c);
		p->tok = (struct tok){ T_END, i, 0, 0 };
		return;
	}
	p->pos = p->tok.start + p->tok.len;
}

/* "expected X after 'TEXT'[ but found 'TOK']" at the current token. */
static int expected(struct parser *p, const char *what)
{
	char before[64], found[64];
	size_t end = p->tok.start;
	while (end > 0 && isspace((unsigned char)p->text[end - 1]))
		end--;
	snippet(p->text, end, before, sizeof before);
	if (p->tok.kind == T_END) {
		if (end == 0)
			return fail(p, p->tok.start, "expected %s", what);
		return fail(p, p->tok.start, "expected %s after '%s'", what, before);
	}
	snippet(p->text + p->tok.start, p->tok.len > 40 ? 40 : p->tok.len, found, sizeof found);
	if (end == 0)
		return fail(p, p->tok.start, "expected %s at the start but found '%s'", what, found);
	return fail(p, p->tok.start, "expected %s after '%s' but found '%s'", what, before, found);
}

static int32_t add_node(struct parser *p, struct node n)
{
	struct expr *e = p->e;
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->nodes = xrealloc(e->nodes, e->cap * sizeof *e->nodes);
	}
	int h = 0;
	if (n.a >= 0)
		h = e->nodes[n.a].height;
	if (n.b >= 0 && e->nodes[n.b].height > h)
		h = e->nodes[n.b].height;
	if (h + 1 > EXPR_MAX_DEPTH) {
		fail(p, n.start, "expression nested deeper than %d levels", EXPR_MAX_DEPTH);
		return -1;
	}
	n.height = (uint8_t)(h + 1);
	e->nodes[e->n] = n;
	return (int32_t)e->n++;
}

static struct node leaf(enum node_kind k, size_t start, size_t end)
{
	return (struct node){ .kind = (uint8_t)k, .a = -1, .b = -1, .ref = -1,
			      .start = (uint32_t)start, .end = (uint32_t)end };
}

static const struct node *node(const struct parser *p, int32_t i)
{
	return &p->e->nodes[i];
}

static void node_text(const struct parser *p, int32_t i, char *out, size_t size)
{
	const struct node *n = node(p, i);
	snippet(p->text + n->start, n->end - n->start, out, size);
}

static int need_number(struct parser *p, int32_t i, const char *what)
{
	if (!node(p, i)->cond)
		return 0;
	char t[64];
	node_text(p, i, t, sizeof t);
	return fail(p, node(p, i)->start, "%s needs a number, but '%s' is a condition", what, t);
}

static int need_condition(struct parser *p, int32_t i, const char *what)
{
	if (node(p, i)->cond)
		return 0;
	char t[64];
	node_text(p, i, t, sizeof t);
	return fail(p, node(p, i)->start,
		    "%s needs a condition, but '%s' is a number (compare it, as in %s > 0)", what, t,
		    t);
}

static int32_t binary(struct parser *p, enum node_kind k, int32_t a, int32_t b, bool cond)
{
	struct node n = leaf(k, node(p, a)->start, node(p, b)->end);
	n.a = a, n.b = b, n.cond = cond;
	return add_node(p, n);
}

static int32_t parse_or(struct parser *p);

static int enter(struct parser *p)
{
	if (++p->nesting > EXPR_MAX_DEPTH)
		return fail(p, p->tok.start, "expression nested deeper than %d levels",
			    EXPR_MAX_DEPTH);
	return 0;
}

static int32_t metric_ref(struct parser *p, const char *name)
{
	struct expr *e = p->e;
	for (size_t i = 0; i < e->nrefs; i++)
		if (strcmp(e->refs[i].name, name) == 0)
			return (int32_t)i;
	e->refs = xrealloc(e->refs, (e->nrefs + 1) * sizeof *e->refs);
	e->refs[e->nrefs] = (struct metric_ref){ xstrdup(name), windows_hash(name), 0, -1 };
	return (int32_t)e->nrefs++;
}

/* The current name token as a metric name (NULL on error; caller frees). */
static char *take_metric_name(struct parser *p)
{
	const struct tok *t = &p->tok;
	const char *s = p->text + t->start;
	size_t len = t->len;
	if (t->kind == T_QNAME)
		s++, len -= 2;
	if (len == 0)
		return fail(p, t->start, "empty metric name"), NULL;
	if (len > EXPR_MAX_METRIC)
		return fail(p, t->start, "metric name longer than %d characters", EXPR_MAX_METRIC),
		       NULL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(p, t->start, "control character in a metric name"), NULL;
	char *name = xstrndup(s, len);
	char shown[64];
	snippet(name, len, shown, sizeof shown);
	size_t base = strcspn(name, ":");
	if (t->kind == T_NAME) {
		if (name[base] == ':' && name[base + 1] == '\0') {
			fail(p, t->start, "metric '%s' has an empty instance after ':'", shown);
			goto bad;
		}
		if (name[base - 1] == '.' || strstr(name, "..") != NULL) {
			fail(p, t->start, "bad metric name '%s' (a dot at the end or two in a row)",
			     shown);
			goto bad;
		}
	}
	size_t flen = family_len(name);
	for (size_t f = 0; f < sizeof closed_families / sizeof closed_families[0]; f++) {
		if (!family_is(name, flen, closed_families[f]))
			continue;
		for (size_t k = 0; k < sizeof known_metrics / sizeof known_metrics[0]; k++)
			if (strlen(known_metrics[k]) == base &&
			    strncmp(known_metrics[k], name, base) == 0)
				return name;
		struct buf list = { 0 };
		for (size_t k = 0; k < sizeof known_metrics / sizeof known_metrics[0]; k++) {
			if (family_is(known_metrics[k], family_len(known_metrics[k]),
				      closed_families[f]))
				buf_printf(&list, "%s%s", list.len ? ", " : "", known_metrics[k]);
		}
		fail(p, t->start, "unknown metric '%s' (%s metrics: %s)", shown, closed_families[f],
		     list.data);
		buf_free(&list);
		goto bad;
	}
	return name;
bad:
	free(name);
	return NULL;
}

static int32_t parse_call(struct parser *p, size_t start)
{
	const struct tok name = p->tok;
	size_t fi = 0;
	while (fi < NFUNCS && !(strlen(funcs[fi].name) == name.len &&
				strncasecmp(funcs[fi].name, p->text + name.start, name.len) == 0))
		fi++;
	if (fi == NFUNCS) {
		char n[64];
		snippet(p->text + name.start, name.len, n, sizeof n);
		return fail(p, name.start,
			    "unknown function '%s' (functions: avg, min, max, sum, count, rate, "
			    "delta, absent, last, abs, stddev, zscore)", n);
	}
	const char *fname = funcs[fi].name;
	if (enter(p) < 0)
		return -1;
	next(p); /* the name */
	next(p); /* '(' */
	if (funcs[fi].args == 0) {
		int32_t a = parse_or(p);
		if (a < 0 || need_number(p, a, fname) < 0)
			return -1;
		if (p->tok.kind != T_RP)
			return expected(p, "')'");
		struct node n = leaf(N_ABS, start, p->tok.start + 1);
		n.a = a;
		next(p);
		p->nesting--;
		return add_node(p, n);
	}
	char usage[96];
	snprintf(usage, sizeof usage, funcs[fi].args == 2 ? "%s(cpu.util, 5m)" : "%s(cpu.util)",
		 fname);
	if (p->tok.kind != T_NAME && p->tok.kind != T_QNAME)
		return fail(p, p->tok.start, "%s() takes a metric name first, as in %s", fname, usage);
	char *metric = take_metric_name(p);
	if (!metric)
		return -1;
	size_t mstart = p->tok.start;
	if (strcmp(metric, "host.up") == 0 || strcmp(metric, "host.sample_age") == 0) {
		fail(p, mstart, "%s has no history; use it on its own, as in host.up == 0", metric);
		free(metric);
		return -1;
	}
	struct node n = leaf(N_FUNC, start, 0);
	n.fn = (uint8_t)funcs[fi].fn;
	n.ref = metric_ref(p, metric);
	free(metric);
	next(p);
	if (funcs[fi].args == 2) {
		if (p->tok.kind == T_RP)
			return fail(p, p->tok.start, "%s() needs a window too, as in %s", fname, usage);
		if (p->tok.kind != T_COMMA)
			return expected(p, "','");
		next(p);
		if (p->tok.kind != T_NUM)
			return fail(p, p->tok.start, "%s() needs a window (a duration: 30s, 5m, 1h) "
				    "after the metric, as in %s", fname, usage);
		char dur[32];
		size_t dl = p->tok.len < sizeof dur - 1 ? p->tok.len : sizeof dur - 1;
		memcpy(dur, p->text + p->tok.start, dl);
		dur[dl] = '\0';
		char shown[64];
		snippet(p->text + p->tok.start, p->tok.len > 40 ? 40 : p->tok.len, shown,
			sizeof shown);
		if (p->tok.len >= sizeof dur || parse_duration_ms(dur, &n.window_ms) < 0 ||
		    n.window_ms < 0)
			return fail(p, p->tok.start, "window '%s' is not a duration (30s, 5m, 1h)",
				    shown);
		if (n.window_ms < 1000)
			return fail(p, p->tok.start, "window '%s' is shorter than 1s", shown);
		if (n.window_ms > EXPR_MAX_WINDOW_MS)
			return fail(p, p->tok.start, "window '%s' is longer than 24h", shown);
		next(p);
	}
	if (p->tok.kind != T_RP)
		return expected(p, "')'");
	n.end = (uint32_t)(p->tok.start + 1);
	n.cond = funcs[fi].fn == F_ABSENT;
	next(p);
	p->nesting--;
	return add_node(p, n);
}

static int32_t parse_number(struct parser *p)
{
	const struct tok t = p->tok;
	char num[64];
	if (t.numlen >= sizeof num)
		return fail(p, t.start, "number too long");
	memcpy(num, p->text + t.start, t.numlen);
	num[t.numlen] = '\0';
	double v = strtod(num, NULL);
	const char *unit = p->text + t.start + t.numlen;
	size_t ulen = t.len - t.numlen;
	static const struct { const char *u; double f; } units[] = {
		{ "", 1 },      { "%", 1 },        { "k", 1e3 },       { "K", 1e3 },
		{ "M", 1e6 },   { "G", 1e9 },      { "T", 1e12 },      { "Ki", 1024.0 },
		{ "Mi", 1048576.0 }, { "Gi", 1073741824.0 }, { "Ti", 1099511627776.0 },
	};
	size_t k = 0;
	while (k < sizeof units / sizeof units[0] &&
	       !(strlen(units[k].u) == ulen && strncmp(units[k].u, unit, ulen) == 0))
		k++;
	if (k == sizeof units / sizeof units[0]) {
		char u[48];
		snippet(unit, ulen > 40 ? 40 : ulen, u, sizeof u);
		return fail(p, t.start + t.numlen,
			    "unknown unit '%s' after %s (numbers take k M G T, Ki Mi Gi Ti or %%; "
			    "durations go only in a function's window)", u, num);
	}
	v *= units[k].f;
	if (!isfinite(v))
		return fail(p, t.start, "number %s is out of range", num);
	struct node n = leaf(N_NUM, t.start, t.start + t.len);
	n.num = v;
	next(p);
	return add_node(p, n);
}

static int32_t parse_primary(struct parser *p)
{
	size_t start = p->tok.start;
	switch (p->tok.kind) {
	case T_NUM:
		return parse_number(p);
	case T_LP: {
		if (enter(p) < 0)
			return -1;
		next(p);
		int32_t inner = parse_or(p);
		if (inner < 0)
			return -1;
		if (p->tok.kind != T_RP)
			return expected(p, "')'");
		next(p);
		p->nesting--;
		return inner;
	}
	case T_NAME: {
		/* A name followed by '(' calls a function. */
		size_t j = start + p->tok.len;
		while (j < p->len && isspace((unsigned char)p->text[j]))
			j++;
		if (j < p->len && p->text[j] == '(')
			return parse_call(p, start);
		for (size_t k = 0; k < NFUNCS; k++)
			if (strlen(funcs[k].name) == p->tok.len &&
			    strncmp(funcs[k].name, p->text + start, p->tok.len) == 0)
				return fail(p, start, "'%s' is a function: %s(METRIC%s)", funcs[k].name,
					    funcs[k].name, funcs[k].args == 2 ? ", WINDOW" : "");
	}
		/* fall through */
	case T_QNAME: {
		char *metric = take_metric_name(p);
		if (!metric)
			return -1;
		struct node n = leaf(N_METRIC, start, start + p->tok.len);
		if (strcmp(metric, "host.up") == 0)
			n.kind = N_HOST_UP;
		else if (strcmp(metric, "host.sample_age") == 0)
			n.kind = N_HOST_AGE;
		else
			n.ref = metric_ref(p, metric);
		free(metric);
		next(p);
		return add_node(p, n);
	}
	default:
		return expected(p, "a number, a metric or '('");
	}
}

static int32_t parse_unary(struct parser *p)
{
	if (p->tok.kind != T_MINUS && p->tok.kind != T_PLUS)
		return parse_primary(p);
	bool neg = p->tok.kind == T_MINUS;
	size_t start = p->tok.start;
	if (enter(p) < 0)
		return -1;
	next(p);
	int32_t a = parse_unary(p);
	if (a < 0 || need_number(p, a, neg ? "'-'" : "'+'") < 0)
		return -1;
	p->nesting--;
	if (!neg)
		return a;
	struct node n = leaf(N_NEG, start, node(p, a)->end);
	n.a = a;
	return add_node(p, n);
}

static int32_t parse_term(struct parser *p)
{
	int32_t a = parse_unary(p);
	while (a >= 0 && (p->tok.kind == T_STAR || p->tok.kind == T_SLASH)) {
		enum node_kind k = p->tok.kind == T_STAR ? N_MUL : N_DIV;
		const char *op = k == N_MUL ? "'*'" : "'/'";
		next(p);
		int32_t b = parse_unary(p);
		if (b < 0 || need_number(p, a, op) < 0 || need_number(p, b, op) < 0)
			return -1;
		a = binary(p, k, a, b, false);
	}
	return a;
}

static int32_t parse_sum(struct parser *p)
{
	int32_t a = parse_term(p);
	while (a >= 0 && (p->tok.kind == T_PLUS || p->tok.kind == T_MINUS)) {
		enum node_kind k = p->tok.kind == T_PLUS ? N_ADD : N_SUB;
		const char *op = k == N_ADD ? "'+'" : "'-'";
		next(p);
		int32_t b = parse_term(p);
		if (b < 0 || need_number(p, a, op) < 0 || need_number(p, b, op) < 0)
			return -1;
		a = binary(p, k, a, b, false);
	}
	return a;
}

static bool is_cmp(enum tok_kind k)
{
	return k == T_GT || k == T_GE || k == T_LT || k == T_LE || k == T_EQ || k == T_NE;
}

static int32_t parse_cmp(struct parser *p)
{
	int32_t a = parse_sum(p);
	if (a < 0 || !is_cmp(p->tok.kind))
		return a;
	static const enum node_kind kinds[] = {
		[T_GT] = N_GT, [T_GE] = N_GE, [T_LT] = N_LT, [T_LE] = N_LE, [T_EQ] = N_EQ, [T_NE] = N_NE,
	};
	enum node_kind k = kinds[p->tok.kind];
	char op[4];
	snprintf(op, sizeof op, "%.*s", (int)p->tok.len, p->text + p->tok.start);
	char what[24];
	snprintf(what, sizeof what, "'%s'", op);
	next(p);
	int32_t b = parse_sum(p);
	if (b < 0 || need_number(p, a, what) < 0 || need_number(p, b, what) < 0)
		return -1;
	if (is_cmp(p->tok.kind))
		return fail(p, p->tok.start, "comparisons do not chain (a < b < c); join them with "
			    "'and'");
	return binary(p, k, a, b, true);
}

static int32_t parse_not(struct parser *p)
{
	if (p->tok.kind != T_NOT)
		return parse_cmp(p);
	size_t start = p->tok.start;
	if (enter(p) < 0)
		return -1;
	next(p);
	int32_t a = parse_not(p);
	if (a < 0 || need_condition(p, a, "'not'") < 0)
		return -1;
	p->nesting--;
	struct node n = leaf(N_NOT, start, node(p, a)->end);
	n.a = a, n.cond = true;
	return add_node(p, n);
}

static int32_t parse_and(struct parser *p)
{
	int32_t a = parse_not(p);
	while (a >= 0 && p->tok.kind == T_AND) {
		next(p);
		int32_t b = parse_not(p);
		if (b < 0 || need_condition(p, a, "'and'") < 0 || need_condition(p, b, "'and'") < 0)
			return -1;
		a = binary(p, N_AND, a, b, true);
	}
	return a;
}

static int32_t parse_or(struct parser *p)
{
	int32_t a = parse_and(p);
	while (a >= 0 && p->tok.kind == T_OR) {
		next(p);
		int32_t b = parse_and(p);
		if (b < 0 || need_condition(p, a, "'or'") < 0 || need_condition(p, b, "'or'") < 0)
			return -1;
		a = binary(p, N_OR, a, b, true);
	}
	return a;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nrefs; i++)
		free(e->refs[i].name);
	free(e->refs);
	free(e->nodes);
	free(e);
}

struct expr *expr_parse(const char *text, struct error *err)
{
	size_t len = strlen(text);
	if (len > EXPR_MAX_LEN) {
		error_set(err, "expression longer than %d characters", EXPR_MAX_LEN);
		return NULL;
	}
	struct parser p = { .text = text, .len = len, .err = err };
	p.e = xcalloc(1, sizeof *p.e);
	next(&p);
	if (!p.failed && p.tok.kind == T_END) {
		error_set(err, "empty expression");
		expr_free(p.e);
		return NULL;
	}
	int32_t root = p.failed ? -1 : parse_or(&p);
	if (root >= 0 && p.tok.kind != T_END)
		root = expected(&p, "an operator ('and', 'or', '>', '+', ...) or the end");
	if (root >= 0 && !node(&p, root)->cond) {
		char t[64];
		node_text(&p, root, t, sizeof t);
		root = fail(&p, node(&p, root)->start,
			    "'%s' is a number, not a condition; compare it, as in %s > 80", t, t);
	}
	if (root < 0 || p.failed) {
		expr_free(p.e);
		return NULL;
	}
	p.e->root = root;
	return p.e;
}

void expr_metrics(const struct expr *e, expr_metric_fn fn, void *arg)
{
	for (size_t i = 0; i < e->n; i++) {
		const struct node *n = &e->nodes[i];
		if (n->kind == N_METRIC)
			fn(arg, e->refs[n->ref].name, 0);
		else if (n->kind == N_FUNC)
			fn(arg, e->refs[n->ref].name,
			   n->fn == F_ABSENT || n->fn == F_LAST ? 0 : n->window_ms);
	}
}

/* ---- evaluation ---- */

struct val {
	double v; /* a number, or for a condition the value it shows; NAN: undefined */
	int t;    /* a condition's truth: 1, 0, -1 undefined */
};

struct eval {
	const struct expr *e;
	const struct expr_ctx *c;
	bool up;
};

static const struct win_series *series_of(const struct eval *ev, int32_t ref)
{
	const struct expr_ctx *c = ev->c;
	if (!c->win || !c->host)
		return NULL;
	/* The cache lives in the expression, which the caller owns and does
	 * not share between threads; evaluation is otherwise read-only. */
	struct metric_ref *r = (struct metric_ref *)&ev->e->refs[ref];
	uint64_t serial = alert_windows_serial(c->win);
	if (r->serial != serial) {
		r->slot = alert_windows_slot(c->win, r->name, r->hash);
		r->serial = serial;
	}
	const struct win_series *s = alert_windows_at(c->win, c->host->id, r->slot);
	return s && s->count ? s : NULL;
}

static double latest(const struct eval *ev, int32_t ref)
{
	if (!ev->up)
		return NAN;
	const struct win_series *s = series_of(ev, ref);
	if (!s)
		return NAN;
	const struct win_sample *last = win_at(s, s->count - 1);
	if (ev->c->now_ms - last->ts > EXPR_LOOKBACK_MS)
		return NAN;
	return last->v;
}

static struct val absent(const struct eval *ev, const struct node *n)
{
	const struct win_series *s = series_of(ev, n->ref);
	int64_t now = ev->c->now_ms;
	/* Never seen: absent only once a whole window has passed since
	 * watching began, so a start (or a reload) does not fire at once. */
	int64_t since = s ? win_at(s, s->count - 1)->ts : ev->c->started_ms;
	return (struct val){ (double)(now - since) / 1000.0, now - since >= n->window_ms };
}

/* The first sample newer than from (count when none): samples are in time order. */
static uint32_t first_after(const struct win_series *s, int64_t from)
{
	uint32_t lo = 0, hi = s->count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (win_at(s, mid)->ts > from)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static double window_fn(const struct eval *ev, const struct node *n)
{
	if (n->fn == F_LAST)
		return latest(ev, n->ref);
	if (!ev->up)
		return NAN;
	const struct win_series *s = series_of(ev, n->ref);
	if (!s)
		return n->fn == F_COUNT ? 0 : NAN;
	uint32_t k = first_after(s, ev->c->now_ms - n->window_ms);
	uint32_t cnt = s->count - k;
	if (n->fn == F_COUNT)
		return cnt;
	if (cnt == 0)
		return NAN;
	const struct win_sample *first = win_at(s, k), *last = win_at(s, s->count - 1);
	uint32_t mask = s->cap - 1;
	const struct win_sample *a = s->s;
	double acc;
	switch ((enum func)n->fn) {
	case F_DELTA:
		return cnt >= 2 ? last->v - first->v : NAN;
	case F_RATE: {
		if (cnt < 2 || last->ts <= first->ts)
			return NAN;
		/* A counter that went down restarted from zero. */
		double inc = 0, prev = first->v;
		for (uint32_t j = k + 1; j < s->count; j++) {
			double v = a[(s->head + j) & mask].v;
			inc += v >= prev ? v - prev : v;
			prev = v;
		}
		return inc * 1000.0 / (double)(last->ts - first->ts);
	}
	case F_AVG: case F_SUM:
		acc = last->cum - first->cum + first->v;
		if (!isfinite(acc)) { /* the running sum overflowed: add up this window alone */
			acc = 0;
			for (uint32_t j = k; j < s->count; j++)
				acc += a[(s->head + j) & mask].v;
		}
		return n->fn == F_AVG ? acc / cnt : acc;
	case F_MIN:
		acc = first->v;
		for (uint32_t j = k + 1; j < s->count; j++)
			if (a[(s->head + j) & mask].v < acc)
				acc = a[(s->head + j) & mask].v;
		return acc;
	case F_MAX:
		acc = first->v;
		for (uint32_t j = k + 1; j < s->count; j++)
			if (a[(s->head + j) & mask].v > acc)
				acc = a[(s->head + j) & mask].v;
		return acc;
	case F_STDDEV: case F_ZSCORE: {
		/* zscore: the newest sample against those before it in the
		 * window (the baseline), in standard deviations. */
		uint32_t end = n->fn == F_ZSCORE ? s->count - 1 : s->count;
		uint32_t nb = end - k;
		if (nb < (n->fn == F_ZSCORE ? ZSCORE_MIN_BASELINE : 2))
			return NAN;
		double mean = 0, var = 0;
		for (uint32_t j = k; j < end; j++)
			mean += a[(s->head + j) & mask].v;
		mean /= nb;
		for (uint32_t j = k; j < end; j++) {
			double d = a[(s->head + j) & mask].v - mean;
			var += d * d;
		}
		double sd = sqrt(var / (nb - 1));
		if (n->fn == F_STDDEV)
			return sd;
		/* A baseline that never moved says nothing of how far is far. */
		return sd > 0 ? (last->v - mean) / sd : NAN;
	}
	case F_COUNT: case F_ABSENT: case F_LAST: case F_ABS:
		break;
	}
	return NAN;
}

static double num(double v)
{
	return isfinite(v) ? v : NAN;
}

static struct val eval(const struct eval *ev, int32_t idx)
{
	const struct node *n = &ev->e->nodes[idx];
	const struct expr_ctx *c = ev->c;
	struct val a, b;
	switch ((enum node_kind)n->kind) {
	case N_NUM:
		return (struct val){ n->num, -1 };
	case N_METRIC:
		return (struct val){ latest(ev, n->ref), -1 };
	case N_HOST_UP: {
		const struct host *h = c->host;
		double v = NAN;
		if (h && h->state == HOST_UP)
			v = 1;
		/* A host being retried after a failure is still down: its
		 * CONNECTING spells must not reset a pending "unreachable". */
		else if (h && (h->state == HOST_DOWN ||
			       (h->state == HOST_CONNECTING && (h->retry_at_ms || h->last_sample_ms))))
			v = 0;
		return (struct val){ v, -1 };
	}
	case N_HOST_AGE: {
		const struct host *h = c->host;
		if (!h || h->last_sample_ms <= 0)
			return (struct val){ NAN, -1 };
		return (struct val){ (double)(c->now_ms - h->last_sample_ms) / 1000.0, -1 };
	}
	case N_FUNC:
		if (n->fn == F_ABSENT)
			return absent(ev, n);
		return (struct val){ window_fn(ev, n), -1 };
	case N_NEG:
		return (struct val){ -eval(ev, n->a).v, -1 };
	case N_ABS:
		return (struct val){ fabs(eval(ev, n->a).v), -1 };
	case N_ADD: case N_SUB: case N_MUL: case N_DIV: {
		a = eval(ev, n->a), b = eval(ev, n->b);
		double r = n->kind == N_ADD ? a.v + b.v : n->kind == N_SUB ? a.v - b.v
			 : n->kind == N_MUL ? a.v * b.v : (b.v == 0 ? NAN : a.v / b.v);
		return (struct val){ num(r), -1 };
	}
	case N_GT: case N_GE: case N_LT: case N_LE: case N_EQ: case N_NE: {
		a = eval(ev, n->a), b = eval(ev, n->b);
		if (isnan(a.v) || isnan(b.v))
			return (struct val){ a.v, -1 };
		bool r = n->kind == N_GT ? a.v > b.v : n->kind == N_GE ? a.v >= b.v
		       : n->kind == N_LT ? a.v < b.v : n->kind == N_LE ? a.v <= b.v
		       : n->kind == N_EQ ? a.v == b.v : a.v != b.v;
		return (struct val){ a.v, r };
	}
	case N_NOT:
		a = eval(ev, n->a);
		return (struct val){ a.v, a.t < 0 ? -1 : !a.t };
	case N_AND:
		/* The side that decided shows its value: the first false one, or
		 * the left when both hold. */
		a = eval(ev, n->a);
		if (a.t == 0)
			return a;
		b = eval(ev, n->b);
		if (b.t == 0)
			return b;
		if (a.t == 1 && b.t == 1)
			return a;
		return (struct val){ a.t < 0 ? a.v : b.v, -1 };
	case N_OR:
		a = eval(ev, n->a);
		if (a.t == 1)
			return a;
		b = eval(ev, n->b);
		if (b.t == 1)
			return b;
		if (a.t == 0 && b.t == 0)
			return a;
		return (struct val){ a.t < 0 ? a.v : b.v, -1 };
	}
	return (struct val){ NAN, -1 };
}

void expr_eval(const struct expr *e, const struct expr_ctx *ctx, struct expr_result *out)
{
	if (!e) {
		*out = (struct expr_result){ -1, NAN };
		return;
	}
	struct eval ev = { e, ctx, ctx->host && ctx->host->state == HOST_UP };
	struct val r = eval(&ev, e->root);
	out->truth = r.t;
	out->value = r.v;
}

/* ---- showing values ---- */

static void trim_zero(char *s)
{
	size_t n = strlen(s);
	if (n > 2 && s[n - 2] == '.' && s[n - 1] == '0')
		s[n - 2] = '\0';
}

void expr_format_value(double v, char *out, size_t size)
{
	if (isnan(v)) {
		snprintf(out, size, "n/a");
		return;
	}
	if (isinf(v)) {
		snprintf(out, size, v > 0 ? "inf" : "-inf");
		return;
	}
	double a = fabs(v);
	if (a < 100000) {
		if (v == floor(v))
			snprintf(out, size, "%.0f", v);
		else {
			snprintf(out, size, "%.1f", v);
			trim_zero(out);
			if (strcmp(out, "-0") == 0)
				snprintf(out, size, "0");
		}
		return;
	}
	static const char units[] = "kMGTPE";
	int u = -1;
	while (a >= 1000 && u < 5)
		a /= 1000, v /= 1000, u++;
	snprintf(out, size, "%.1f", v);
	trim_zero(out);
	size_t n = strlen(out);
	if (n + 1 < size) {
		out[n] = units[u];
		out[n + 1] = '\0';
	}
}
