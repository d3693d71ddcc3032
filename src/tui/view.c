/* The fleet view: filter, sort, group and mark the hosts the fleet pane
 * shows. Pure logic, no drawing. view_rebuild runs every second and after
 * each key, so it allocates only when the fleet grows, computes each sort
 * key once, and sorts an array of keys with qsort. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "view.h"

/* Columns */

static const char *const col_names[COL_COUNT] = {
	[COL_HOST] = "host",   [COL_GROUP] = "group",	  [COL_STATE] = "state",
	[COL_CPU] = "cpu",     [COL_RAM] = "ram",	  [COL_DISK] = "disk",
	[COL_NET] = "net",     [COL_PLAYERS] = "players", [COL_TPS] = "tps",
	[COL_ALERT] = "alert",
};

const char *view_col_name(enum view_col c)
{
	return (unsigned)c < COL_COUNT ? col_names[c] : "?";
}

int view_col_parse(const char *name)
{
	if (!name)
		return -1;
	for (int c = 0; c < COL_COUNT; c++)
		if (strcasecmp(name, col_names[c]) == 0)
			return c;
	return -1;
}

static bool col_is_numeric(enum view_col c)
{
	return c >= COL_CPU && c < COL_COUNT;
}

/* The metric behind a single-metric column; NULL for the others. */
static const char *col_metric(enum view_col c)
{
	switch (c) {
	case COL_CPU: return "cpu.util";
	case COL_RAM: return "mem.used_pct";
	case COL_DISK: return "disk.used_pct";
	case COL_PLAYERS: return "game.players";
	case COL_TPS: return "game.tps";
	default: return NULL;
	}
}

static double metric_or_nan(const struct host *h, const char *name)
{
	double v;
	if (!host_get_metric(h, name, &v) || isnan(v))
		return NAN;
	return v;
}

double view_sort_value(const struct host *h, enum view_col c)
{
	if (!h)
		return NAN;
	if (c == COL_NET) {
		/* One direction alone still says something; neither is "no data". */
		double rx = metric_or_nan(h, "net.rx_bps"), tx = metric_or_nan(h, "net.tx_bps");
		if (isnan(rx) && isnan(tx))
			return NAN;
		return (isnan(rx) ? 0 : rx) + (isnan(tx) ? 0 : tx);
	}
	if (c == COL_ALERT)
		return NAN; /* the view's alert_sev has it (the engine's, not the host's) */
	const char *m = col_metric(c);
	return m ? metric_or_nan(h, m) : NAN;
}

/* Filter */

enum term_kind { TERM_TEXT, TERM_GROUP, TERM_STATE, TERM_METRIC };
enum term_op { OP_GT, OP_GE, OP_LT, OP_LE, OP_EQ, OP_NE };

struct term {
	enum term_kind kind;
	bool negate;
	char *text;             /* TEXT: needle; GROUP: name; METRIC: dotted name */
	enum host_state state;  /* STATE */
	int col;                /* METRIC: a column, or -1 for text as a metric name */
	enum term_op op;
	double value;
};

struct view_filter {
	struct term *terms;
	size_t nterms;
};

void view_filter_free(struct view_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nterms; i++)
		free(f->terms[i].text);
	free(f->terms);
	free(f);
}

static bool metric_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

/* "80", "1.5K", "2M", "3G", "90%": K/M/G are powers of 1000 (a rate in
 * bits or bytes a second reads the same either way at a glance). */
static int parse_number(const char *s, double *out)
{
	if (!*s || isspace((unsigned char)*s))
		return -1;
	char *end;
	double v = strtod(s, &end);
	if (end == s || isnan(v) || isinf(v))
		return -1;
	switch (*end) {
	case 'k': case 'K': v *= 1e3; end++; break;
	case 'M': v *= 1e6; end++; break;
	case 'G': v *= 1e9; end++; break;
	case '%': end++; break;
	default: break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* Reads the operator at s; returns its length, 0 if none. */
static size_t parse_op(const char *s, enum term_op *op)
{
	if (s[0] == '>' && s[1] == '=') { *op = OP_GE; return 2; }
	if (s[0] == '<' && s[1] == '=') { *op = OP_LE; return 2; }
	if (s[0] == '!' && s[1] == '=') { *op = OP_NE; return 2; }
	if (s[0] == '=' && s[1] == '=') { *op = OP_EQ; return 2; }
	if (s[0] == '>') { *op = OP_GT; return 1; }
	if (s[0] == '<') { *op = OP_LT; return 1; }
	if (s[0] == '=') { *op = OP_EQ; return 1; }
	return 0;
}

/* Where a comparison's operator starts in a term, or NULL when it has none. */
static const char *find_op(const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p == '<' || *p == '>' || *p == '=' || (p[0] == '!' && p[1] == '='))
			return p;
	return NULL;
}

static int term_error(struct error *err, const char *term, const char *why)
{
	return error_set(err, "filter term '%.120s': %s", term, why);
}

/* word is the whole term (for messages), s the comparison in it. */
static int parse_metric_term(const char *word, const char *s, const char *opat, struct term *t,
			     struct error *err)
{
	size_t namelen = (size_t)(opat - s);
	if (namelen == 0)
		return term_error(err, word, "metric name missing before the operator");
	for (size_t i = 0; i < namelen; i++)
		if (!metric_name_char(s[i]))
			return term_error(err, word, "not a metric name before the operator");
	char *name = xstrndup(s, namelen);
	int col = view_col_parse(name);
	if (col >= 0 && !col_is_numeric((enum view_col)col)) {
		free(name);
		return term_error(err, word, "only numeric columns compare (cpu, ram, disk, "
				  "net, players, tps)");
	}
	if (col < 0 && !strchr(name, '.')) {
		free(name);
		return term_error(err, word, "unknown metric (a column: cpu, ram, disk, net, "
				  "players, tps; or a dotted name like load.1)");
	}
	const char *num = opat + parse_op(opat, &t->op);
	if (!*num) {
		free(name);
		return term_error(err, word, "number missing after the operator");
	}
	if (parse_number(num, &t->value) < 0) {
		free(name);
		return error_set(err, "filter term '%.120s': '%.60s' is not a number "
				 "(digits, then K, M or G)", word, num);
	}
	t->kind = TERM_METRIC;
	t->col = col;
	t->text = name;
	return 0;
}

static int parse_state_term(const char *word, const char *value, struct term *t,
			    struct error *err)
{
	static const enum host_state states[] = { HOST_UP, HOST_DOWN, HOST_CONNECTING,
						  HOST_UNKNOWN };
	for (size_t i = 0; i < sizeof states / sizeof *states; i++) {
		if (strcasecmp(value, host_state_name(states[i])) == 0) {
			t->kind = TERM_STATE;
			t->state = states[i];
			return 0;
		}
	}
	return term_error(err, word, "unknown state (up, down, connecting or unknown)");
}

/* One space-free word: "!cpu>80", "@eu", "state:up", "mc-". */
static int parse_term(const char *word, struct term *t, struct error *err)
{
	const char *s = word;
	memset(t, 0, sizeof *t);
	while (*s == '!') {
		t->negate = !t->negate;
		s++;
	}
	if (!*s)
		return term_error(err, word, "nothing after '!'");
	if (*s == '@') {
		if (!s[1])
			return term_error(err, word, "group name missing after '@'");
		if (strpbrk(s + 1, "<>=!:@"))
			return term_error(err, word, "not a group name");
		t->kind = TERM_GROUP;
		t->text = xstrdup(s + 1);
		return 0;
	}
	if (strncasecmp(s, "state:", 6) == 0)
		return parse_state_term(word, s + 6, t, err);
	const char *op = find_op(s);
	if (op)
		return parse_metric_term(word, s, op, t, err);
	if (strchr(s, ':')) /* host names never hold one: surely a mistyped state: */
		return term_error(err, word, "unknown key (only state: takes a value)");
	t->kind = TERM_TEXT;
	t->text = xstrdup(s);
	return 0;
}

static void filter_add(struct view_filter *f, size_t *cap, const struct term *t)
{
	if (f->nterms == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		f->terms = xrealloc(f->terms, *cap * sizeof *f->terms);
	}
	f->terms[f->nterms++] = *t;
}

int view_filter_parse(const char *text, struct view_filter **out, struct error *err)
{
	struct view_filter *f = xcalloc(1, sizeof *f);
	size_t cap = 0;
	const char *p = text ? text : "";
	char word[256];
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		size_t n = 0;
		while (p[n] && !isspace((unsigned char)p[n]))
			n++;
		if (n == 0)
			break;
		if (n >= sizeof word) {
			view_filter_free(f);
			return error_set(err, "filter term '%.40s...': too long", p);
		}
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		struct term t;
		if (parse_term(word, &t, err) < 0) {
			view_filter_free(f);
			return -1;
		}
		filter_add(f, &cap, &t);
	}
	*out = f;
	return 0;
}

static bool compare(double v, enum term_op op, double n)
{
	switch (op) {
	case OP_GT: return v > n;
	case OP_GE: return v >= n;
	case OP_LT: return v < n;
	case OP_LE: return v <= n;
	case OP_EQ: return v == n;
	case OP_NE: return v != n;
	}
	return false;
}

static bool term_match(const struct term *t, const struct host *h)
{
	switch (t->kind) {
	case TERM_TEXT:
		return h->name && strcasestr(h->name, t->text) != NULL;
	case TERM_GROUP:
		return host_in_group(h, t->text);
	case TERM_STATE:
		return h->state == t->state;
	case TERM_METRIC: {
		/* A host without the metric matches no comparison, != included:
		 * "!cpu>80" is how to ask for the hosts not known to be busy. */
		double v = t->col >= 0 ? view_sort_value(h, (enum view_col)t->col)
				       : metric_or_nan(h, t->text);
		return !isnan(v) && compare(v, t->op, t->value);
	}
	}
	return false;
}

bool view_filter_match(const struct view_filter *f, const struct host *h)
{
	if (!f)
		return true;
	for (size_t i = 0; i < f->nterms; i++)
		if (term_match(&f->terms[i], h) == f->terms[i].negate)
			return false;
	return true;
}

/* The view */

/* One host that passed the filter, with what it sorts by worked out once. */
struct view_key {
	double num;          /* numeric columns; NAN sorts last either way */
	const char *str;     /* string columns */
	const char *name;    /* the tie-break */
	uint32_t group_rank; /* grouped: the group's place; else 0 */
	uint32_t host;
	signed char dir;     /* 1 ascending, -1 descending */
	bool numeric;
};

static const char ungrouped[] = "ungrouped";

static void marks_fit(struct fleet_view *v)
{
	size_t n = v->fleet ? v->fleet->nhosts : 0;
	if (v->marked && v->nmarked == n)
		return;
	/* A fleet reloaded with another size: ids no longer name the same hosts. */
	free(v->marked);
	v->marked = xcalloc(n ? n : 1, 1);
	v->nmarked = n;
}

void view_init(struct fleet_view *v, struct fleet *f)
{
	memset(v, 0, sizeof *v);
	v->fleet = f;
	v->sort = COL_HOST;
	marks_fit(v);
	view_rebuild(v);
}

void view_free(struct fleet_view *v)
{
	view_filter_free(v->filter);
	free(v->filter_text);
	for (size_t i = 0; i < v->ncollapsed; i++)
		free(v->collapsed[i]);
	free(v->collapsed);
	free(v->marked);
	free(v->rows);
	free(v->keys);
	free(v->group_count);
	memset(v, 0, sizeof *v);
}

int view_set_filter(struct fleet_view *v, const char *text, struct error *err)
{
	struct view_filter *f;
	if (view_filter_parse(text, &f, err) < 0)
		return -1;
	view_filter_free(v->filter);
	free(v->filter_text);
	if (f->nterms == 0) {
		view_filter_free(f);
		v->filter = NULL;
		v->filter_text = NULL;
	} else {
		v->filter = f;
		v->filter_text = xstrdup(text);
	}
	view_rebuild(v);
	return 0;
}

static const char *host_first_group(const struct host *h)
{
	return h->ngroups > 0 ? h->groups[0] : ungrouped;
}

/* Groups come in inventory order, "ungrouped" (no section of its own)
 * last; ranks index v->group_count. */
static uint32_t group_rank(const struct fleet *f, const char *name)
{
	if (strcmp(name, ungrouped) == 0)
		return (uint32_t)f->ngroups;
	const struct group *g = fleet_group(f, name);
	return g ? (uint32_t)(g - f->groups) : (uint32_t)f->ngroups;
}

static const char *rank_name(const struct fleet *f, uint32_t rank)
{
	return rank < f->ngroups ? f->groups[rank].name : ungrouped;
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct view_key *a = pa, *b = pb;
	if (a->group_rank != b->group_rank)
		return a->group_rank < b->group_rank ? -1 : 1;
	int c = 0;
	if (a->numeric) {
		bool na = isnan(a->num), nb = isnan(b->num);
		if (na != nb)
			return na ? 1 : -1; /* no value: last, in either direction */
		if (!na && a->num != b->num)
			c = (a->num < b->num ? -1 : 1) * a->dir;
	} else {
		c = fleet_name_cmp(a->str, b->str) * a->dir;
	}
	if (c)
		return c;
	c = fleet_name_cmp(a->name, b->name);
	if (c)
		return c;
	return a->host < b->host ? -1 : a->host > b->host;
}

static void key_fill(struct view_key *k, const struct fleet_view *v, const struct host *h)
{
	k->host = h->id;
	k->name = h->name ? h->name : "";
	k->dir = v->sort_desc ? -1 : 1;
	k->numeric = col_is_numeric(v->sort);
	k->num = k->numeric ? view_sort_value(h, v->sort) : NAN;
	if (v->sort == COL_ALERT && v->alert_sev && v->alert_sev[h->id])
		k->num = v->alert_sev[h->id];
	switch (v->sort) {
	case COL_GROUP: k->str = host_first_group(h); break;
	case COL_STATE: k->str = host_state_name(h->state); break;
	default: k->str = k->name; break;
	}
}

static struct view_row *row_add(struct fleet_view *v)
{
	if (v->nrows == v->caprows) {
		v->caprows = v->caprows ? v->caprows * 2 : 64;
		v->rows = xrealloc(v->rows, v->caprows * sizeof *v->rows);
	}
	struct view_row *r = &v->rows[v->nrows++];
	memset(r, 0, sizeof *r);
	return r;
}

static bool is_collapsed(const struct fleet_view *v, const char *group)
{
	for (size_t i = 0; i < v->ncollapsed; i++)
		if (strcmp(v->collapsed[i], group) == 0)
			return true;
	return false;
}

/* Fills v->keys with the hosts that pass the filter; returns how many. */
static size_t collect_keys(struct fleet_view *v)
{
	struct fleet *f = v->fleet;
	if (v->capkeys < f->nhosts) {
		free(v->keys);
		v->keys = xmalloc(f->nhosts * sizeof *v->keys);
		v->capkeys = f->nhosts;
	}
	if (v->capgroups < f->ngroups + 1) {
		free(v->group_count);
		v->group_count = xmalloc((f->ngroups + 1) * sizeof *v->group_count);
		v->capgroups = f->ngroups + 1;
	}
	memset(v->group_count, 0, (f->ngroups + 1) * sizeof *v->group_count);
	size_t n = 0;
	for (size_t i = 0; i < f->nhosts; i++) {
		const struct host *h = &f->hosts[i];
		if (!view_filter_match(v->filter, h))
			continue;
		struct view_key *k = &v->keys[n++];
		key_fill(k, v, h);
		k->group_rank = 0;
		if (v->grouped) {
			k->group_rank = group_rank(f, host_first_group(h));
			v->group_count[k->group_rank]++;
		}
	}
	return n;
}

void view_rebuild(struct fleet_view *v)
{
	v->nrows = 0;
	v->nshown = 0;
	if (!v->fleet)
		return;
	marks_fit(v);
	struct fleet *f = v->fleet;
	size_t n = collect_keys(v);
	v->nshown = n;
	if (n > 1)
		qsort(v->keys, n, sizeof *v->keys, key_cmp);

	bool collapsed = false;
	for (size_t i = 0; i < n; i++) {
		const struct view_key *k = &v->keys[i];
		struct host *h = &f->hosts[k->host];
		const char *group = host_first_group(h);
		if (v->grouped) {
			group = rank_name(f, k->group_rank);
			if (i == 0 || k->group_rank != v->keys[i - 1].group_rank) {
				struct view_row *g = row_add(v);
				g->kind = ROW_GROUP;
				g->group = group;
				g->count = (int)v->group_count[k->group_rank];
				g->collapsed = collapsed = is_collapsed(v, group);
			}
			if (collapsed)
				continue;
		}
		struct view_row *r = row_add(v);
		r->kind = ROW_HOST;
		r->host = h;
		r->group = group;
	}
}

void view_toggle_collapse(struct fleet_view *v, const char *group)
{
	if (!group)
		return;
	for (size_t i = 0; i < v->ncollapsed; i++) {
		if (strcmp(v->collapsed[i], group) == 0) {
			free(v->collapsed[i]);
			v->collapsed[i] = v->collapsed[--v->ncollapsed];
			view_rebuild(v);
			return;
		}
	}
	v->collapsed = xrealloc(v->collapsed, (v->ncollapsed + 1) * sizeof *v->collapsed);
	v->collapsed[v->ncollapsed++] = xstrdup(group);
	view_rebuild(v);
}

/* Marks */

void view_mark(struct fleet_view *v, struct host *h, bool on)
{
	marks_fit(v);
	if (h && h->id < v->nmarked)
		v->marked[h->id] = on;
}

void view_mark_shown(struct fleet_view *v, bool on)
{
	marks_fit(v);
	if (!v->fleet)
		return;
	for (size_t i = 0; i < v->fleet->nhosts; i++)
		if (view_filter_match(v->filter, &v->fleet->hosts[i]))
			v->marked[i] = on;
}

size_t view_marked_count(const struct fleet_view *v)
{
	size_t n = 0;
	if (!v->marked || !v->fleet || v->nmarked != v->fleet->nhosts)
		return 0;
	for (size_t i = 0; i < v->nmarked; i++)
		n += v->marked[i] != 0;
	return n;
}
