/* The inventory: Ansible's INI form, read as Ansible reads it.
 *
 *   web1 ansible_host=10.0.0.5       hosts before any section: "ungrouped"
 *   [eu]                             a group and its hosts
 *   mc-eu-[01:12] ansible_user=mc    ranges, host vars (shell-style quoting)
 *   [eu:vars]                        group vars, key=value
 *   [minecraft:children]             child groups
 *
 * The parse builds plain arrays and name indexes; a final pass checks the
 * references, orders the groups as Ansible does (depth, priority, name) and
 * works out each host's groups and effective vars. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_private.h"

struct ivar {
	char *key, *value;
	int line;
};
struct ivars {
	struct ivar *v;
	size_t n, cap;
};
struct edge {
	uint32_t id;
	int line;
};

struct bgroup {
	char *name;
	bool defined;     /* by [x] or [x:children]; [x:vars] alone is not enough */
	int ref_line;     /* first line that used it while undefined */
	bool ref_is_vars; /* that use was [x:vars], else a :children entry */
	uint32_t ref_parent;
	struct ivars vars;
	long priority; /* ansible_group_priority */
	struct edge *children;
	size_t nchildren, capchildren;
	uint32_t *parents;
	size_t nparents, capparents;
	int depth;
};

struct bhost {
	char *name;
	int line;
	struct ivars vars;
	uint32_t *groups; /* direct */
	size_t ngroups, capgroups;
};

struct inv {
	const char *name;
	struct bhost *hosts;
	size_t nhosts, caphosts;
	struct bgroup *groups;
	size_t ngroups, capgroups;
	struct name_index hix, gix;
	struct error *err;
};

enum { G_ALL = 0, G_UNGROUPED = 1 };

static int fail(struct inv *in, int line, const char *fmt, ...) FT_PRINTF(3, 4);
static int fail(struct inv *in, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (line > 0)
		return error_set(in->err, "%s:%d: %s", in->name, line, msg);
	return error_set(in->err, "%s: %s", in->name, msg);
}

static void ivars_set(struct ivars *vs, const char *key, const char *value, int line)
{
	for (size_t i = 0; i < vs->n; i++) {
		if (strcmp(vs->v[i].key, key) == 0) {
			free(vs->v[i].value);
			vs->v[i].value = xstrdup(value);
			vs->v[i].line = line;
			return;
		}
	}
	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? vs->cap * 2 : 4;
		vs->v = xrealloc(vs->v, vs->cap * sizeof *vs->v);
	}
	vs->v[vs->n++] = (struct ivar){ xstrdup(key), xstrdup(value), line };
}

static const struct ivar *ivars_get(const struct ivars *vs, const char *key)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].key, key) == 0)
			return &vs->v[i];
	return NULL;
}

static void ivars_free(struct ivars *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].key);
		free(vs->v[i].value);
	}
	free(vs->v);
}

static uint32_t group_get(struct inv *in, const char *name)
{
	long id = nindex_get(&in->gix, name);
	if (id >= 0)
		return (uint32_t)id;
	if (in->ngroups == in->capgroups) {
		in->capgroups = in->capgroups ? in->capgroups * 2 : 16;
		in->groups = xrealloc(in->groups, in->capgroups * sizeof *in->groups);
		/* The index holds name pointers, which stay put: only the array moved. */
	}
	struct bgroup *g = &in->groups[in->ngroups];
	memset(g, 0, sizeof *g);
	g->name = xstrdup(name);
	g->priority = 1;
	nindex_put(&in->gix, g->name, (uint32_t)in->ngroups);
	return (uint32_t)in->ngroups++;
}

static uint32_t host_get(struct inv *in, const char *name, int line)
{
	long id = nindex_get(&in->hix, name);
	if (id >= 0)
		return (uint32_t)id;
	if (in->nhosts == in->caphosts) {
		in->caphosts = in->caphosts ? in->caphosts * 2 : 64;
		in->hosts = xrealloc(in->hosts, in->caphosts * sizeof *in->hosts);
	}
	struct bhost *h = &in->hosts[in->nhosts];
	memset(h, 0, sizeof *h);
	h->name = xstrdup(name);
	h->line = line;
	nindex_put(&in->hix, h->name, (uint32_t)in->nhosts);
	return (uint32_t)in->nhosts++;
}

static void u32_add(uint32_t **v, size_t *n, size_t *cap, uint32_t x)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		*v = xrealloc(*v, *cap * sizeof **v);
	}
	(*v)[(*n)++] = x;
}

static void inv_free(struct inv *in)
{
	for (size_t i = 0; i < in->nhosts; i++) {
		free(in->hosts[i].name);
		ivars_free(&in->hosts[i].vars);
		free(in->hosts[i].groups);
	}
	free(in->hosts);
	for (size_t i = 0; i < in->ngroups; i++) {
		free(in->groups[i].name);
		ivars_free(&in->groups[i].vars);
		free(in->groups[i].children);
		free(in->groups[i].parents);
	}
	free(in->groups);
	nindex_free(&in->hix);
	nindex_free(&in->gix);
}

/* ---- lexing ---- */

/* Characters that would make a name impossible to select or to tell apart
 * from a pattern, a variable or a comment. */
static const char *bad_name_char(const char *name)
{
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr(",!*?[]@=#\"'\\", *p))
			return p;
	return NULL;
}

/* Ansible reads a value with Python's literal_eval: a whole quoted string
 * loses its quotes; anything else is kept as written. */
static void unquote_literal(char *v)
{
	size_t n = strlen(v);
	if (n < 2 || (v[0] != '"' && v[0] != '\'') || v[n - 1] != v[0])
		return;
	char q = v[0];
	char *out = v;
	for (size_t i = 1; i < n - 1; i++) {
		char c = v[i];
		if (c == '\\' && i + 1 < n - 1) {
			c = v[++i];
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '\\': case '"': case '\'': break;
			default: *out++ = '\\'; break;
			}
		} else if (c == q) {
			return; /* "a" "b": not one string literal, keep it all */
		}
		*out++ = c;
	}
	*out = '\0';
}

/* The value of a :vars line: quoted as a whole, or up to a " #" comment. */
static void var_value(char *v)
{
	v = str_trim(v);
	if (*v == '"' || *v == '\'') {
		size_t n = strlen(v);
		if (n >= 2 && v[n - 1] == v[0]) {
			unquote_literal(v);
			return;
		}
	}
	for (char *p = v; *p; p++) {
		if (*p == '#' && p > v && isspace((unsigned char)p[-1])) {
			*p = '\0';
			break;
		}
	}
	str_trim(v);
}

struct tokens {
	char **t;
	size_t n, cap;
};

static void tokens_free(struct tokens *tk)
{
	for (size_t i = 0; i < tk->n; i++)
		free(tk->t[i]);
	free(tk->t);
	memset(tk, 0, sizeof *tk);
}

static void tokens_push(struct tokens *tk, struct buf *b)
{
	if (tk->n == tk->cap) {
		tk->cap = tk->cap ? tk->cap * 2 : 8;
		tk->t = xrealloc(tk->t, tk->cap * sizeof *tk->t);
	}
	tk->t[tk->n++] = xstrdup(b->data ? b->data : "");
	buf_reset(b);
}

/* Python's shlex.split(line, comments=True), which Ansible uses for host
 * lines: quotes group, backslash escapes, '#' outside quotes ends the line. */
static int shlex_split(const char *s, struct tokens *tk, const char **why)
{
	struct buf b = { 0 };
	bool in_word = false;
	char quote = 0;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (quote == '\'') {
			if (c == '\'')
				quote = 0;
			else
				buf_append(&b, p, 1);
		} else if (quote == '"') {
			if (c == '"')
				quote = 0;
			else if (c == '\\' && p[1] && strchr("\"\\$`", p[1]))
				buf_append(&b, ++p, 1);
			else
				buf_append(&b, p, 1);
		} else if (isspace((unsigned char)c)) {
			if (in_word)
				tokens_push(tk, &b);
			in_word = false;
		} else if (c == '#') {
			break;
		} else if (c == '\'' || c == '"') {
			quote = c;
			in_word = true;
		} else if (c == '\\') {
			if (!p[1]) {
				*why = "a backslash ends the line";
				buf_free(&b);
				return -1;
			}
			buf_append(&b, ++p, 1);
			in_word = true;
		} else {
			buf_append(&b, p, 1);
			in_word = true;
		}
	}
	if (quote) {
		*why = "a quote is not closed";
		buf_free(&b);
		return -1;
	}
	if (in_word)
		tokens_push(tk, &b);
	buf_free(&b);
	return 0;
}

static int parse_port(const char *s, int *port)
{
	if (!*s || strlen(s) > 5)
		return -1;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	long v = strtol(s, NULL, 10);
	if (v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* ---- lines ---- */

enum state { S_HOSTS, S_VARS, S_CHILDREN };

static int section_line(struct inv *in, char *line, int lineno, uint32_t *group,
			enum state *state)
{
	char *p = line + 1;
	char *name = p;
	while (*p && *p != ':' && *p != ']' && !isspace((unsigned char)*p))
		p++;
	size_t namelen = (size_t)(p - name);
	char *tag = NULL;
	size_t taglen = 0;
	if (*p == ':') {
		tag = ++p;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		taglen = (size_t)(p - tag);
	}
	char *rest = *p == ']' ? p + 1 : p;
	while (isspace((unsigned char)*rest))
		rest++;
	if (namelen == 0 || *p != ']' || (tag && taglen == 0) || (*rest && *rest != '#'))
		return fail(in, lineno,
			    "invalid section header '%.80s': expected [group], [group:vars] or "
			    "[group:children] with no spaces inside",
			    line);
	name[namelen] = '\0';
	if (tag)
		tag[taglen] = '\0';
	const char *bad = bad_name_char(name);
	if (bad)
		return fail(in, lineno, "group name '%s' may not contain '%c'", name, *bad);
	if (!tag || strcmp(tag, "hosts") == 0)
		*state = S_HOSTS;
	else if (strcmp(tag, "vars") == 0)
		*state = S_VARS;
	else if (strcmp(tag, "children") == 0)
		*state = S_CHILDREN;
	else
		return fail(in, lineno, "section [%s:%s] has unknown type '%s' (expected :vars or "
				  ":children)", name, tag, tag);
	*group = group_get(in, name);
	struct bgroup *g = &in->groups[*group];
	if (*state == S_VARS) {
		if (!g->defined && !g->ref_line) {
			g->ref_line = lineno;
			g->ref_is_vars = true;
		}
	} else {
		g->defined = true;
	}
	return 0;
}

static int vars_line(struct inv *in, char *line, int lineno, uint32_t group)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return fail(in, lineno, "expected key=value in [%s:vars], got '%.80s'",
			    in->groups[group].name, line);
	*eq = '\0';
	char *key = str_trim(line);
	char *value = eq + 1;
	if (!*key)
		return fail(in, lineno, "missing variable name before '=' in [%s:vars]",
			    in->groups[group].name);
	var_value(value);
	value = str_trim(value);
	struct bgroup *g = &in->groups[group];
	if (strcmp(key, "ansible_group_priority") == 0) {
		char *end;
		errno = 0;
		long prio = strtol(value, &end, 10);
		if (!*value || *end || errno)
			return fail(in, lineno, "ansible_group_priority '%s' of group %s is not a "
					  "number", value, g->name);
		g->priority = prio;
	}
	ivars_set(&g->vars, key, value, lineno);
	return 0;
}

static int children_line(struct inv *in, char *line, int lineno, uint32_t parent)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	char *name = str_trim(line);
	if (!*name || strpbrk(name, ":] \t"))
		return fail(in, lineno, "expected a group name in [%s:children], got '%.80s'",
			    in->groups[parent].name, line);
	const char *bad = bad_name_char(name);
	if (bad)
		return fail(in, lineno, "group name '%s' may not contain '%c'", name, *bad);
	if (strcmp(name, "all") == 0)
		return fail(in, lineno, "group 'all' cannot be a child of '%s': it holds every "
				  "group", in->groups[parent].name);
	uint32_t child = group_get(in, name);
	struct bgroup *c = &in->groups[child];
	if (!c->defined && !c->ref_line) {
		c->ref_line = lineno;
		c->ref_is_vars = false;
		c->ref_parent = parent;
	}
	struct bgroup *p = &in->groups[parent];
	for (size_t i = 0; i < p->nchildren; i++)
		if (p->children[i].id == child)
			return 0;
	if (p->nchildren == p->capchildren) {
		p->capchildren = p->capchildren ? p->capchildren * 2 : 4;
		p->children = xrealloc(p->children, p->capchildren * sizeof *p->children);
	}
	p->children[p->nchildren++] = (struct edge){ child, lineno };
	return 0;
}

static int host_line(struct inv *in, char *line, int lineno, uint32_t group)
{
	struct tokens tk = { 0 };
	const char *why = NULL;
	char **names = NULL;
	size_t nnames = 0;
	int rc = -1;
	if (shlex_split(line, &tk, &why) < 0) {
		fail(in, lineno, "cannot read host line: %s", why);
		goto out;
	}
	if (tk.n == 0) {
		rc = 0;
		goto out;
	}
	char *pattern = tk.t[0];
	if (strchr(pattern, '=')) {
		fail(in, lineno, "'%.80s' is a variable, not a host name (group variables go in "
				 "[%s:vars])", pattern, in->groups[group].name);
		goto out;
	}
	/* host:port, but an IPv6 address has many colons and no port here. */
	char *port_str = NULL;
	int colons = 0, depth = 0;
	char *last_colon = NULL;
	for (char *p = pattern; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		else if (*p == ':' && depth == 0)
			colons++, last_colon = p;
	}
	if (colons == 1) {
		*last_colon = '\0';
		port_str = last_colon + 1;
	}
	if (!*pattern) {
		fail(in, lineno, "missing host name before ':%s'", port_str ? port_str : "");
		goto out;
	}
	int port = 0;
	if (port_str && parse_port(port_str, &port) < 0) {
		fail(in, lineno, "port '%s' of host %s is not a number 1-65535", port_str, pattern);
		goto out;
	}
	for (size_t i = 1; i < tk.n; i++) {
		char *eq = strchr(tk.t[i], '=');
		if (!eq) {
			fail(in, lineno, "expected key=value after host %s, got '%.80s'", pattern,
			     tk.t[i]);
			goto out;
		}
		if (eq == tk.t[i]) {
			fail(in, lineno, "missing variable name before '=%.80s'", eq + 1);
			goto out;
		}
	}
	char why_buf[200];
	size_t room = FLEET_MAX_HOSTS - in->nhosts;
	if (fleet_expand(pattern, room ? room : 1, &names, &nnames, why_buf, sizeof why_buf) < 0) {
		if (strstr(why_buf, "expands to more than"))
			fail(in, lineno, "host %s: more than %d hosts in the inventory", pattern,
			     FLEET_MAX_HOSTS);
		else
			fail(in, lineno, "host %s: %s", pattern, why_buf);
		goto out;
	}
	for (size_t k = 0; k < nnames; k++) {
		const char *bad = bad_name_char(names[k]);
		if (!names[k][0] || bad) {
			fail(in, lineno, "host name '%s' may not contain '%c'", names[k],
			     bad ? *bad : ' ');
			goto out;
		}
	}
	if (in->nhosts + nnames > FLEET_MAX_HOSTS) {
		/* Some names may be hosts seen before; count only new ones. */
		size_t fresh = 0;
		for (size_t k = 0; k < nnames; k++)
			fresh += nindex_get(&in->hix, names[k]) < 0;
		if (in->nhosts + fresh > FLEET_MAX_HOSTS) {
			fail(in, lineno, "more than %d hosts in the inventory", FLEET_MAX_HOSTS);
			goto out;
		}
	}
	for (size_t k = 0; k < nnames; k++) {
		uint32_t id = host_get(in, names[k], lineno); /* may move in->hosts */
		struct bhost *h = &in->hosts[id];
		u32_add(&h->groups, &h->ngroups, &h->capgroups, group);
		if (port)
			ivars_set(&h->vars, "ansible_port", port_str, lineno);
		for (size_t i = 1; i < tk.n; i++) {
			char *eq = strchr(tk.t[i], '=');
			*eq = '\0';
			char *value = xstrdup(eq + 1);
			unquote_literal(value);
			ivars_set(&h->vars, tk.t[i], value, lineno);
			free(value);
			*eq = '=';
		}
	}
	rc = 0;
out:
	for (size_t k = 0; k < nnames; k++)
		free(names[k]);
	free(names);
	tokens_free(&tk);
	return rc;
}

/* A YAML inventory would otherwise fail on its first line with a puzzling
 * message about a host named "all:". */
static bool looks_like_yaml(const char *line)
{
	size_t n = strlen(line);
	if (strcmp(line, "---") == 0 || line[0] == '{')
		return true;
	return line[0] != '[' && n > 1 && line[n - 1] == ':';
}

static int parse_text(struct inv *in, const char *text)
{
	uint32_t group = G_UNGROUPED;
	enum state state = S_HOSTS;
	struct buf lb = { 0 };
	int lineno = 0;
	bool first = true;
	int rc = 0;
	if (str_starts_with(text, "\xef\xbb\xbf"))
		text += 3; /* a UTF-8 byte order mark from a Windows editor */
	for (const char *p = text; *p && rc == 0;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		buf_reset(&lb);
		buf_append(&lb, p, len);
		p += len + (nl ? 1 : 0);
		char *line = str_trim(lb.data);
		if (!*line || *line == '#' || *line == ';')
			continue;
		if (first && looks_like_yaml(line)) {
			rc = fail(in, lineno, "this looks like a YAML inventory; fleetop reads only "
					      "Ansible's INI form ([group], then host key=value lines)");
			break;
		}
		first = false;
		if (*line == '[')
			rc = section_line(in, line, lineno, &group, &state);
		else if (state == S_HOSTS)
			rc = host_line(in, line, lineno, group);
		else if (state == S_VARS)
			rc = vars_line(in, line, lineno, group);
		else
			rc = children_line(in, line, lineno, group);
	}
	buf_free(&lb);
	return rc;
}

/* ---- the final pass ---- */

static int check_references(struct inv *in)
{
	struct bgroup *worst = NULL;
	for (size_t i = 0; i < in->ngroups; i++) {
		struct bgroup *g = &in->groups[i];
		if (!g->defined && (!worst || g->ref_line < worst->ref_line))
			worst = g;
	}
	if (!worst)
		return 0;
	if (worst->ref_is_vars)
		return fail(in, worst->ref_line, "[%s:vars] is for group '%s', which is not "
				 "defined (no [%s] or [%s:children] section)", worst->name,
			    worst->name, worst->name, worst->name);
	return fail(in, worst->ref_line, "[%s:children] names group '%s', which is not defined "
			 "(add a [%s] section)", in->groups[worst->ref_parent].name, worst->name,
		    worst->name);
}

/* Depth-first over :children, without recursion so a long chain cannot
 * overflow the stack. Fills order with the groups, parents before children. */
static int check_cycles(struct inv *in, uint32_t *order)
{
	size_t n = in->ngroups, norder = n;
	unsigned char *color = xcalloc(n, 1); /* 0 new, 1 on the path, 2 done */
	uint32_t *stack = xmalloc(n * sizeof *stack);
	size_t *next = xcalloc(n, sizeof *next);
	int rc = 0;
	for (size_t root = 0; root < n && rc == 0; root++) {
		if (color[root])
			continue;
		size_t sp = 0;
		stack[sp++] = (uint32_t)root;
		color[root] = 1;
		while (sp > 0 && rc == 0) {
			uint32_t g = stack[sp - 1];
			struct bgroup *bg = &in->groups[g];
			if (next[g] == bg->nchildren) {
				color[g] = 2;
				order[--norder] = g;
				sp--;
				continue;
			}
			struct edge *e = &bg->children[next[g]++];
			if (color[e->id] == 0) {
				color[e->id] = 1;
				stack[sp++] = e->id;
			} else if (color[e->id] == 1) {
				struct buf path = { 0 };
				size_t from = 0;
				while (stack[from] != e->id)
					from++;
				for (size_t i = from; i < sp; i++)
					buf_printf(&path, "%s -> ", in->groups[stack[i]].name);
				buf_puts(&path, in->groups[e->id].name);
				rc = fail(in, e->line, "groups loop through :children: %.300s",
					  path.data);
				buf_free(&path);
			}
		}
	}
	free(color);
	free(stack);
	free(next);
	return rc;
}

static void link_parents(struct inv *in, const uint32_t *order)
{
	for (size_t i = 0; i < in->ngroups; i++) {
		struct bgroup *p = &in->groups[i];
		for (size_t k = 0; k < p->nchildren; k++) {
			struct bgroup *c = &in->groups[p->children[k].id];
			u32_add(&c->parents, &c->nparents, &c->capparents, (uint32_t)i);
		}
	}
	/* Every group without a parent hangs under "all", as in Ansible. */
	struct bgroup *all = &in->groups[G_ALL];
	for (size_t i = 1; i < in->ngroups; i++) {
		struct bgroup *g = &in->groups[i];
		if (g->nparents == 0) {
			u32_add(&g->parents, &g->nparents, &g->capparents, G_ALL);
			if (all->nchildren == all->capchildren) {
				all->capchildren = all->capchildren ? all->capchildren * 2 : 8;
				all->children = xrealloc(all->children,
							 all->capchildren * sizeof *all->children);
			}
			all->children[all->nchildren++] = (struct edge){ (uint32_t)i, 0 };
		}
	}
	/* Depth is the longest way down from "all"; order has parents first. */
	for (size_t k = 0; k < in->ngroups; k++) {
		struct bgroup *g = &in->groups[order[k]];
		if (order[k] == G_ALL)
			continue;
		for (size_t i = 0; i < g->nparents; i++) {
			int d = in->groups[g->parents[i]].depth + 1;
			if (d > g->depth)
				g->depth = d;
		}
	}
}

static const struct inv *sort_ctx;
static int group_precedence(const void *a, const void *b)
{
	const struct bgroup *x = &sort_ctx->groups[*(const uint32_t *)a];
	const struct bgroup *y = &sort_ctx->groups[*(const uint32_t *)b];
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Later layers win; within one layer the ansible_ name wins over the short one. */
static void pick_alias(const struct ivars *layer, const char *const *names,
		       const struct ivar **cur)
{
	for (int i = 0; names[i]; i++) {
		const struct ivar *v = ivars_get(layer, names[i]);
		if (v) {
			*cur = v;
			return;
		}
	}
}

static const char *const addr_names[] = { "ansible_host", "ansible_ssh_host", "host", NULL };
static const char *const port_names[] = { "ansible_port", "ansible_ssh_port", "port", NULL };
static const char *const user_names[] = { "ansible_user", "ansible_ssh_user", "user", NULL };

struct merged {
	struct host_var *v;
	size_t n, cap;
};

static void merge_layer(struct merged *m, const struct ivars *layer)
{
	for (size_t i = 0; i < layer->n; i++) {
		const struct ivar *iv = &layer->v[i];
		size_t k = 0;
		while (k < m->n && strcmp(m->v[k].key, iv->key) != 0)
			k++;
		if (k < m->n) {
			m->v[k].value = iv->value; /* borrowed until copied out */
			continue;
		}
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 16;
			m->v = xrealloc(m->v, m->cap * sizeof *m->v);
		}
		m->v[m->n++] = (struct host_var){ iv->key, iv->value };
	}
}

static int build_fleet(struct inv *in, struct fleet *f, const uint32_t *order)
{
	(void)order;
	size_t ng = in->ngroups;
	f->index = xcalloc(1, sizeof *f->index);
	struct fleet_index *ix = f->index;
	ix->group_hosts = xcalloc(ng, sizeof *ix->group_hosts);
	ix->ngroup_hosts = xcalloc(ng, sizeof *ix->ngroup_hosts);
	size_t *capgh = xcalloc(ng, sizeof *capgh);

	f->groups = xcalloc(ng, sizeof *f->groups);
	f->ngroups = ng;
	for (size_t i = 0; i < ng; i++) {
		struct bgroup *bg = &in->groups[i];
		struct group *g = &f->groups[i];
		g->name = xstrdup(bg->name);
		g->nchildren = bg->nchildren;
		g->children = xcalloc(bg->nchildren, sizeof *g->children);
		for (size_t k = 0; k < bg->nchildren; k++)
			g->children[k] = xstrdup(in->groups[bg->children[k].id].name);
		g->nvars = bg->vars.n;
		g->vars = xcalloc(bg->vars.n, sizeof *g->vars);
		for (size_t k = 0; k < bg->vars.n; k++) {
			g->vars[k].key = xstrdup(bg->vars.v[k].key);
			g->vars[k].value = xstrdup(bg->vars.v[k].value);
		}
		nindex_put(&ix->groups, g->name, (uint32_t)i);
	}

	f->hosts = xcalloc(in->nhosts, sizeof *f->hosts);
	f->nhosts = in->nhosts;
	uint32_t *stamp = xcalloc(ng, sizeof *stamp);
	uint32_t *mine = xmalloc(ng * sizeof *mine);
	uint32_t *queue = xmalloc(ng * sizeof *queue);
	struct merged m = { 0 };
	int rc = 0;
	for (size_t hi = 0; hi < in->nhosts && rc == 0; hi++) {
		struct bhost *bh = &in->hosts[hi];
		struct host *h = &f->hosts[hi];
		h->id = (uint32_t)hi;
		h->name = xstrdup(bh->name);
		h->file = f->path;
		h->line = bh->line;
		nindex_put(&ix->hosts, h->name, (uint32_t)hi);

		/* Ansible's rule: "ungrouped" holds exactly the hosts in no other group. */
		bool other = false;
		for (size_t k = 0; k < bh->ngroups; k++)
			other |= bh->groups[k] != G_ALL && bh->groups[k] != G_UNGROUPED;
		size_t nd = 0;
		for (size_t k = 0; k < bh->ngroups; k++)
			if (!(other && bh->groups[k] == G_UNGROUPED))
				bh->groups[nd++] = bh->groups[k];
		bh->ngroups = nd;
		if (!other)
			u32_add(&bh->groups, &bh->ngroups, &bh->capgroups, G_UNGROUPED);

		/* Every group above the direct ones. */
		uint32_t tag = (uint32_t)hi + 1;
		size_t nmine = 0, qh = 0, qt = 0;
		for (size_t k = 0; k < bh->ngroups; k++) {
			if (stamp[bh->groups[k]] != tag) {
				stamp[bh->groups[k]] = tag;
				queue[qt++] = bh->groups[k];
			}
		}
		if (stamp[G_ALL] != tag) {
			stamp[G_ALL] = tag;
			queue[qt++] = G_ALL;
		}
		while (qh < qt) {
			uint32_t g = queue[qh++];
			mine[nmine++] = g;
			struct bgroup *bg = &in->groups[g];
			for (size_t k = 0; k < bg->nparents; k++) {
				uint32_t p = bg->parents[k];
				if (stamp[p] != tag) {
					stamp[p] = tag;
					queue[qt++] = p;
				}
			}
		}

		qsort(mine, nmine, sizeof *mine, u32_cmp);
		h->groups = xcalloc(nmine, sizeof *h->groups);
		for (size_t k = 0; k < nmine; k++) {
			uint32_t g = mine[k];
			if (g == G_ALL)
				continue;
			h->groups[h->ngroups++] = xstrdup(in->groups[g].name);
			if (ix->ngroup_hosts[g] == capgh[g]) {
				capgh[g] = capgh[g] ? capgh[g] * 2 : 16;
				ix->group_hosts[g] = xrealloc(ix->group_hosts[g],
							      capgh[g] * sizeof **ix->group_hosts);
			}
			ix->group_hosts[g][ix->ngroup_hosts[g]++] = (uint32_t)hi;
		}

		sort_ctx = in;
		qsort(mine, nmine, sizeof *mine, group_precedence);
		m.n = 0;
		const struct ivar *addr = NULL, *port = NULL, *user = NULL;
		for (size_t k = 0; k <= nmine; k++) {
			const struct ivars *layer = k < nmine ? &in->groups[mine[k]].vars : &bh->vars;
			merge_layer(&m, layer);
			pick_alias(layer, addr_names, &addr);
			pick_alias(layer, port_names, &port);
			pick_alias(layer, user_names, &user);
		}
		h->nvars = m.n;
		h->vars = xcalloc(m.n, sizeof *h->vars);
		for (size_t k = 0; k < m.n; k++) {
			h->vars[k].key = xstrdup(m.v[k].key);
			h->vars[k].value = xstrdup(m.v[k].value);
		}
		if (addr && *addr->value)
			h->address = xstrdup(addr->value);
		if (user && *user->value)
			h->user = xstrdup(user->value);
		if (port && parse_port(port->value, &h->port) < 0)
			rc = fail(in, port->line, "port '%s' of host %s is not a number 1-65535",
				  port->value, h->name);
	}
	free(m.v);
	free(stamp);
	free(mine);
	free(queue);
	free(capgh);
	return rc;
}

int fleet_load_string(struct fleet *f, const char *text, const char *name, struct error *err)
{
	memset(f, 0, sizeof *f);
	struct inv in = { .name = name, .err = err };
	group_get(&in, "all");
	group_get(&in, "ungrouped");
	in.groups[G_ALL].defined = in.groups[G_UNGROUPED].defined = true;

	int rc = parse_text(&in, text);
	if (rc == 0)
		rc = check_references(&in);
	uint32_t *order = xcalloc(in.ngroups, sizeof *order);
	if (rc == 0)
		rc = check_cycles(&in, order);
	if (rc == 0) {
		link_parents(&in, order);
		f->path = xstrdup(name);
		rc = build_fleet(&in, f, order);
	}
	free(order);
	inv_free(&in);
	if (rc < 0) {
		fleet_free(f);
		return -1;
	}
	return 0;
}

int fleet_load_file(struct fleet *f, const char *path, struct error *err)
{
	char *text;
	size_t len;
	memset(f, 0, sizeof *f);
	if (file_read_all(path, &text, &len, err) < 0)
		return -1;
	if (strlen(text) != len) {
		free(text);
		return error_set(err, "%s: contains a NUL byte; not a text file", path);
	}
	int rc = fleet_load_string(f, text, path, err);
	free(text);
	return rc;
}
