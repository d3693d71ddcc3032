/* The alerts pane's rows: open alerts grouped by group key, folded or not,
 * and what a silence of a row matches. Rebuilt at every frame from the
 * engine's list, so it keeps its scratch arrays and sorts indexes, not
 * alerts: a thousand alerts cost one qsort. */
#include <stdlib.h>
#include <string.h>

#include "alert_view.h"

/* A run of alerts with one group key. */
struct alert_run {
	size_t start, len; /* in order[] */
	size_t first;      /* the smallest index in the engine's list */
};

static int key_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return a ? -1 : b ? 1 : 0;
	return strcmp(a, b);
}

/* qsort has no context argument: the list being sorted, for one build. */
static const struct alert_info *sort_base;

static int order_cmp(const void *pa, const void *pb)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = key_cmp(sort_base[a].group_key, sort_base[b].group_key);
	if (c)
		return c;
	return a < b ? -1 : a > b; /* the engine's order within a group */
}

static int run_cmp(const void *pa, const void *pb)
{
	const struct alert_run *a = pa, *b = pb;
	return a->first < b->first ? -1 : a->first > b->first;
}

static struct alert_row *row_add(struct alert_view *v)
{
	if (v->nrows == v->caprows) {
		v->caprows = v->caprows ? v->caprows * 2 : 32;
		v->rows = xrealloc(v->rows, v->caprows * sizeof *v->rows);
	}
	struct alert_row *r = &v->rows[v->nrows++];
	memset(r, 0, sizeof *r);
	return r;
}

bool alert_view_is_expanded(const struct alert_view *v, const char *group_key)
{
	for (size_t i = 0; group_key && i < v->nexpanded; i++)
		if (!strcmp(v->expanded[i], group_key))
			return true;
	return false;
}

void alert_view_set_expanded(struct alert_view *v, const char *group_key, bool on)
{
	if (!group_key || alert_view_is_expanded(v, group_key) == on)
		return;
	if (on) {
		v->expanded = xrealloc(v->expanded, (v->nexpanded + 1) * sizeof *v->expanded);
		v->expanded[v->nexpanded++] = xstrdup(group_key);
		return;
	}
	for (size_t i = 0; i < v->nexpanded; i++)
		if (!strcmp(v->expanded[i], group_key)) {
			free(v->expanded[i]);
			v->expanded[i] = v->expanded[--v->nexpanded];
			return;
		}
}

/* Forgets unfolded groups that are no longer open, so the set stays small
 * and a group that comes back starts folded. */
static void expanded_prune(struct alert_view *v, size_t nruns)
{
	for (size_t i = 0; i < v->nexpanded;) {
		bool open = false;
		for (size_t r = 0; r < nruns && !open; r++)
			open = v->runs[r].len > 1 &&
			       !key_cmp(v->base[v->order[v->runs[r].start]].group_key, v->expanded[i]);
		if (open) {
			i++;
		} else {
			free(v->expanded[i]);
			v->expanded[i] = v->expanded[--v->nexpanded];
		}
	}
}

static void group_fill(struct alert_view *v, struct alert_row *g, const struct alert_run *run)
{
	const struct alert_info *a = v->base;
	uint32_t maxhost = 0;
	for (size_t k = 0; k < run->len; k++) {
		uint32_t h = a[v->order[run->start + k]].host_id;
		maxhost = h > maxhost ? h : maxhost;
	}
	if (v->capseen < (size_t)maxhost + 1) {
		free(v->seen_host);
		v->capseen = (size_t)maxhost + 1;
		v->seen_host = xmalloc(v->capseen);
	}
	memset(v->seen_host, 0, (size_t)maxhost + 1);
	int64_t oldest_firing = 0, oldest = 0;
	for (size_t k = 0; k < run->len; k++) {
		const struct alert_info *m = &a[v->order[run->start + k]];
		g->count++;
		g->firing += m->state == ALERT_FIRING;
		g->pending += m->state == ALERT_PENDING;
		g->acked += m->acked_by != NULL;
		g->muted += m->muted != 0;
		if (!v->seen_host[m->host_id]) {
			v->seen_host[m->host_id] = 1;
			g->hosts++;
		}
		if (m->severity > g->severity)
			g->severity = m->severity;
		if (m->state == ALERT_FIRING && (!oldest_firing || m->since_ms < oldest_firing))
			oldest_firing = m->since_ms;
		if (!oldest || m->since_ms < oldest)
			oldest = m->since_ms;
	}
	g->since_ms = oldest_firing ? oldest_firing : oldest;
}

void alert_view_build(struct alert_view *v, const struct alert_info *a, size_t n)
{
	v->nrows = 0;
	v->firing = v->pending = v->muted = 0;
	v->base = a;
	if (v->caporder < n) {
		free(v->order);
		free(v->runs);
		v->caporder = n;
		v->order = xmalloc(n * sizeof *v->order);
		v->runs = xmalloc(n * sizeof *v->runs);
	}
	for (size_t i = 0; i < n; i++) {
		v->order[i] = i;
		if (a[i].muted)
			v->muted++;
		else if (a[i].state == ALERT_FIRING)
			v->firing++;
		else if (a[i].state == ALERT_PENDING)
			v->pending++;
	}
	sort_base = a;
	if (n > 1)
		qsort(v->order, n, sizeof *v->order, order_cmp);
	sort_base = NULL;
	size_t nruns = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		const char *key = a[v->order[i]].group_key;
		while (key && j < n && !key_cmp(key, a[v->order[j]].group_key))
			j++;
		v->runs[nruns++] = (struct alert_run){ i, j - i, v->order[i] };
		i = j;
	}
	if (nruns > 1)
		qsort(v->runs, nruns, sizeof *v->runs, run_cmp);
	expanded_prune(v, nruns);
	for (size_t r = 0; r < nruns; r++) {
		const struct alert_run *run = &v->runs[r];
		const struct alert_info *first = &a[v->order[run->start]];
		if (run->len == 1) {
			struct alert_row *row = row_add(v);
			row->kind = AROW_ALERT;
			row->alert = first;
			row->group_key = first->group_key;
			continue;
		}
		struct alert_row *g = row_add(v);
		g->kind = AROW_GROUP;
		g->alert = first;
		g->group_key = first->group_key;
		g->collapsed = !alert_view_is_expanded(v, first->group_key);
		group_fill(v, g, run);
		if (g->collapsed)
			continue;
		for (size_t k = 0; k < run->len; k++) {
			struct alert_row *row = row_add(v);
			row->kind = AROW_ALERT;
			row->alert = &a[v->order[run->start + k]];
			row->group_key = row->alert->group_key;
			row->member = true;
		}
	}
}

size_t alert_view_find(const struct alert_view *v, int64_t id, const char *group_key,
		       size_t fallback)
{
	if (!v->nrows)
		return 0;
	if (id > 0)
		for (size_t i = 0; i < v->nrows; i++)
			if (v->rows[i].kind == AROW_ALERT && v->rows[i].alert->id == id)
				return i;
	if (group_key) {
		for (size_t i = 0; i < v->nrows; i++)
			if (v->rows[i].kind == AROW_GROUP && !key_cmp(v->rows[i].group_key, group_key))
				return i;
		for (size_t i = 0; i < v->nrows; i++)
			if (!key_cmp(v->rows[i].group_key, group_key))
				return i;
	}
	return fallback < v->nrows ? fallback : v->nrows - 1;
}

void alert_view_free(struct alert_view *v)
{
	free(v->rows);
	for (size_t i = 0; i < v->nexpanded; i++)
		free(v->expanded[i]);
	free(v->expanded);
	free(v->order);
	free(v->runs);
	free(v->seen_host);
	memset(v, 0, sizeof *v);
}

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t alert_view_digest(const struct alert_info *a, size_t n)
{
	uint64_t h = fnv(14695981039346656037ULL, &n, sizeof n);
	for (size_t i = 0; i < n; i++) {
		int parts[3] = { (int)a[i].state, (int)a[i].severity, (int)a[i].muted };
		h = fnv(h, &a[i].id, sizeof a[i].id);
		h = fnv(h, parts, sizeof parts);
		const char *who = a[i].acked_by ? a[i].acked_by : "";
		h = fnv(h, who, strlen(who) + 1);
	}
	return h;
}

/* Labels */

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

int alert_key_labels(const char *key, struct alert_label **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!key || *key != '{')
		return -1;
	const char *p = key + 1;
	struct alert_label *labels = NULL;
	size_t count = 0;
	struct buf v = { 0 };
	while (*p != '}') {
		const char *k = p;
		while (label_char(*p))
			p++;
		if (p == k || p[0] != '=' || p[1] != '"')
			goto bad;
		size_t klen = (size_t)(p - k);
		buf_reset(&v);
		buf_puts(&v, "");
		for (p += 2; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			buf_append(&v, p, 1);
		}
		if (*p != '"')
			goto bad;
		p++;
		labels = xrealloc(labels, (count + 1) * sizeof *labels);
		labels[count].key = xstrndup(k, klen);
		labels[count].value = xstrdup(v.data);
		count++;
		if (*p == ',')
			p++;
		else if (*p != '}')
			goto bad;
	}
	if (p[1] != '\0')
		goto bad;
	buf_free(&v);
	*out = labels;
	*n = count;
	return 0;
bad:
	buf_free(&v);
	labels_free(labels, count);
	return -1;
}

const char *alert_group_title(const char *key, const char *sep, char *out, size_t size)
{
	struct alert_label *l;
	size_t n;
	if (!size)
		return out;
	if (alert_key_labels(key, &l, &n) < 0) {
		str_copy(out, key ? key : "", size);
		return out;
	}
	struct buf b = { 0 };
	buf_puts(&b, "");
	/* The group first, wherever the policy's group_by put it. */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(l[i].key, "group") && *l[i].value && !b.len)
			buf_printf(&b, "@%s", l[i].value);
	for (size_t i = 0; i < n; i++) {
		const char *gap = b.len ? sep : "";
		if (!strcmp(l[i].key, "group")) {
			continue;
		} else if (!strcmp(l[i].key, "rule") || !strcmp(l[i].key, "host")) {
			buf_printf(&b, "%s%s", gap, l[i].value);
		} else {
			buf_printf(&b, "%s%s=%s", gap, l[i].key, l[i].value);
		}
	}
	str_copy(out, b.data, size);
	buf_free(&b);
	labels_free(l, n);
	return out;
}

/* key=value, the value quoted when the matcher syntax needs it. */
static void matcher_add(struct buf *b, const char *key, const char *value)
{
	bool quote = !*value || *value == ' ' || *value == '\t';
	size_t len = strlen(value);
	if (len && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		quote = true;
	for (const char *p = value; *p && !quote; p++)
		quote = *p == ',' || *p == '"' || *p == '\\' || *p == '}' || *p == '{' || *p == '\n';
	buf_printf(b, "%s%s=", b->len ? "," : "", key);
	if (!quote) {
		buf_puts(b, value);
		return;
	}
	buf_puts(b, "\"");
	for (const char *p = value; *p; p++) {
		if (*p == '\n')
			buf_puts(b, "\\n");
		else if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else
			buf_append(b, p, 1);
	}
	buf_puts(b, "\"");
}

char *alert_matchers_for_alert(const struct alert_info *a)
{
	struct buf b = { 0 };
	matcher_add(&b, "rule", a->rule ? a->rule : "");
	matcher_add(&b, "host", a->host ? a->host : "");
	return b.data;
}

char *alert_matchers_for_group(const char *key)
{
	struct alert_label *l;
	size_t n;
	if (alert_key_labels(key, &l, &n) < 0 || n == 0) {
		labels_free(l, n);
		return NULL;
	}
	struct buf b = { 0 };
	for (size_t i = 0; i < n; i++)
		matcher_add(&b, l[i].key, l[i].value);
	labels_free(l, n);
	return b.data;
}
