/* The host model: lookups, vars, latest metrics, state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_private.h"
#include "fleetop/text.h"

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static void nindex_grow(struct name_index *ix)
{
	size_t cap = ix->cap ? ix->cap * 2 : 64;
	struct name_slot *slots = xcalloc(cap, sizeof *slots);
	for (size_t i = 0; i < ix->cap; i++) {
		struct name_slot *s = &ix->slots[i];
		if (!s->name)
			continue;
		size_t j = s->hash & (cap - 1);
		while (slots[j].name)
			j = (j + 1) & (cap - 1);
		slots[j] = *s;
	}
	free(ix->slots);
	ix->slots = slots;
	ix->cap = cap;
}

void nindex_put(struct name_index *ix, const char *name, uint32_t id)
{
	if ((ix->n + 1) * 2 > ix->cap)
		nindex_grow(ix);
	uint32_t h = name_hash(name);
	size_t j = h & (ix->cap - 1);
	while (ix->slots[j].name) {
		if (ix->slots[j].hash == h && strcmp(ix->slots[j].name, name) == 0) {
			ix->slots[j].id = id;
			return;
		}
		j = (j + 1) & (ix->cap - 1);
	}
	ix->slots[j] = (struct name_slot){ name, h, id };
	ix->n++;
}

long nindex_get(const struct name_index *ix, const char *name)
{
	if (!ix->cap)
		return -1;
	uint32_t h = name_hash(name);
	size_t j = h & (ix->cap - 1);
	while (ix->slots[j].name) {
		if (ix->slots[j].hash == h && strcmp(ix->slots[j].name, name) == 0)
			return ix->slots[j].id;
		j = (j + 1) & (ix->cap - 1);
	}
	return -1;
}

void nindex_free(struct name_index *ix)
{
	free(ix->slots);
	memset(ix, 0, sizeof *ix);
}

void fleet_index_free(struct fleet_index *ix, size_t ngroups)
{
	if (!ix)
		return;
	nindex_free(&ix->hosts);
	nindex_free(&ix->groups);
	if (ix->group_hosts)
		for (size_t i = 0; i < ngroups; i++)
			free(ix->group_hosts[i]);
	free(ix->group_hosts);
	free(ix->ngroup_hosts);
	free(ix);
}

static void free_vars(struct host_var *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void fleet_free(struct fleet *f)
{
	fleet_index_free(f->index, f->ngroups);
	for (size_t i = 0; i < f->nhosts; i++) {
		struct host *h = &f->hosts[i];
		free(h->name);
		free(h->address);
		free(h->user);
		free_strv(h->groups, h->ngroups);
		free_vars(h->vars, h->nvars);
		for (size_t m = 0; m < h->nmetrics; m++)
			free(h->metrics[m].name);
		free(h->metrics);
		free(h->rings);
		free_vars(h->info, h->ninfo);
	}
	free(f->hosts);
	for (size_t i = 0; i < f->ngroups; i++) {
		struct group *g = &f->groups[i];
		free(g->name);
		free_strv(g->children, g->nchildren);
		free_vars(g->vars, g->nvars);
	}
	free(f->groups);
	free(f->path);
	memset(f, 0, sizeof *f);
}

struct host *fleet_find(const struct fleet *f, const char *name)
{
	if (f->index) {
		long i = nindex_get(&f->index->hosts, name);
		return i < 0 ? NULL : &f->hosts[i];
	}
	for (size_t i = 0; i < f->nhosts; i++)
		if (strcmp(f->hosts[i].name, name) == 0)
			return &f->hosts[i];
	return NULL;
}

const struct group *fleet_group(const struct fleet *f, const char *name)
{
	if (f->index) {
		long i = nindex_get(&f->index->groups, name);
		return i < 0 ? NULL : &f->groups[i];
	}
	for (size_t i = 0; i < f->ngroups; i++)
		if (strcmp(f->groups[i].name, name) == 0)
			return &f->groups[i];
	return NULL;
}

const char *host_var(const struct host *h, const char *key)
{
	for (size_t i = 0; i < h->nvars; i++)
		if (strcmp(h->vars[i].key, key) == 0)
			return h->vars[i].value;
	return NULL;
}

bool host_in_group(const struct host *h, const char *group)
{
	if (strcmp(group, "all") == 0)
		return true;
	for (size_t i = 0; i < h->ngroups; i++)
		if (strcmp(h->groups[i], group) == 0)
			return true;
	return false;
}

const char *host_state_name(enum host_state s)
{
	switch (s) {
	case HOST_UNKNOWN: return "unknown";
	case HOST_CONNECTING: return "connecting";
	case HOST_UP: return "up";
	case HOST_DOWN: return "down";
	}
	return "unknown";
}

const char *host_fault_name(enum host_fault f)
{
	switch (f) {
	case FAULT_NONE: return "none";
	case FAULT_REFUSED: return "refused";
	case FAULT_TIMEOUT: return "timeout";
	case FAULT_UNREACHABLE: return "unreachable";
	case FAULT_AUTH: return "auth";
	case FAULT_HOSTKEY_UNKNOWN: return "hostkey_unknown";
	case FAULT_HOSTKEY_CHANGED: return "hostkey_changed";
	case FAULT_PROTOCOL: return "protocol";
	case FAULT_CLOSED: return "closed";
	}
	return "none";
}

/* Metrics stay sorted by name: a binary search on ~40 names is a handful of
 * strcmp, and a name is allocated once, the first time it is seen. */
static size_t metric_pos(const struct host *h, const char *name, bool *found)
{
	size_t lo = 0, hi = h->nmetrics;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(h->metrics[mid].name, name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static uint64_t generation;

uint64_t fleet_generation(void)
{
	return generation;
}

static const char *const ring_names[RING_COUNT] = {
	"cpu.util", "mem.used_pct", "disk.used_pct", "net.rx_bps", "net.tx_bps", "game.players",
	"game.tps",
};

const char *ring_metric_name(enum ring_metric m)
{
	return m < RING_COUNT ? ring_names[m] : "?";
}

static void ring_push(struct host *h, const char *name, double value)
{
	/* Ring metrics all start with c, m, d, n or g: most names stop here. */
	if (!strchr("cmdng", name[0]))
		return;
	for (int m = 0; m < RING_COUNT; m++) {
		if (strcmp(name, ring_names[m]) != 0)
			continue;
		if (!h->rings)
			h->rings = xcalloc(RING_COUNT, sizeof *h->rings);
		struct host_ring *r = &h->rings[m];
		r->v[r->head] = (float)value;
		r->head = (uint16_t)((r->head + 1) % HOST_RING_LEN);
		if (r->count < HOST_RING_LEN)
			r->count++;
		return;
	}
}

int host_ring_read(const struct host *h, enum ring_metric m, float *out, int max)
{
	if (!h->rings || m >= RING_COUNT)
		return 0;
	const struct host_ring *r = &h->rings[m];
	int n = r->count < max ? r->count : max;
	int start = (r->head - n + HOST_RING_LEN) % HOST_RING_LEN;
	for (int i = 0; i < n; i++)
		out[i] = r->v[(start + i) % HOST_RING_LEN];
	return n;
}

void host_set_metric(struct host *h, const char *name, double value)
{
	generation++;
	ring_push(h, name, value);
	bool found;
	size_t i = metric_pos(h, name, &found);
	if (!found) {
		/* Capacity is 8, then doubles: nmetrics is the only size kept. */
		size_t n = h->nmetrics;
		if (n == 0 || (n >= 8 && (n & (n - 1)) == 0))
			h->metrics = xrealloc(h->metrics, (n ? n * 2 : 8) * sizeof *h->metrics);
		memmove(&h->metrics[i + 1], &h->metrics[i], (n - i) * sizeof *h->metrics);
		h->metrics[i].name = xstrdup(name);
		h->nmetrics++;
	}
	h->metrics[i].value = value;
}

bool host_get_metric(const struct host *h, const char *name, double *value)
{
	bool found;
	size_t i = metric_pos(h, name, &found);
	if (found && value)
		*value = h->metrics[i].value;
	return found;
}

static void host_info_put(struct host *h, const char *key, const char *value);

void host_set_info(struct host *h, const char *key, const char *value)
{
	/* Facts come from hosts and game servers (a map, an MOTD, stderr):
	 * stored clean, so no escape sequence reaches a screen or a log. */
	char *clean = value ? text_sanitize_dup(value, strlen(value), TEXT_KEEP_NEWLINES) : NULL;
	host_info_put(h, key, clean);
	free(clean);
}

static void host_info_put(struct host *h, const char *key, const char *value)
{
	for (size_t i = 0; i < h->ninfo; i++) {
		if (strcmp(h->info[i].key, key) != 0)
			continue;
		if (value && !strcmp(h->info[i].value, value))
			return; /* unchanged: no redraw */
		generation++;
		free(h->info[i].value);
		if (value) {
			h->info[i].value = xstrdup(value);
		} else {
			free(h->info[i].key);
			h->info[i] = h->info[--h->ninfo];
		}
		return;
	}
	if (!value)
		return;
	generation++;
	h->info = xrealloc(h->info, (h->ninfo + 1) * sizeof *h->info);
	h->info[h->ninfo].key = xstrdup(key);
	h->info[h->ninfo].value = xstrdup(value);
	h->ninfo++;
}

const char *host_get_info(const struct host *h, const char *key)
{
	for (size_t i = 0; i < h->ninfo; i++)
		if (!strcmp(h->info[i].key, key))
			return h->info[i].value;
	return NULL;
}

bool players_list_next(const char **cur, struct player_entry *p)
{
	while (**cur) {
		const char *l = *cur, *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		*cur = l + n + (nl ? 1 : 0);
		const char *t1 = memchr(l, '\t', n);
		const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(l + n - t1 - 1)) : NULL;
		if (!t2)
			continue;
		size_t nlen = (size_t)(t1 - l);
		if (nlen >= sizeof p->name)
			nlen = sizeof p->name - 1;
		memcpy(p->name, l, nlen);
		p->name[nlen] = '\0';
		p->score = atoi(t1 + 1);
		p->ping = atoi(t2 + 1);
		return true;
	}
	return false;
}

void host_set_state(struct host *h, enum host_state state, enum host_fault fault,
		    const char *fmt, ...)
{
	generation++;
	if (h->state != state || h->state_since_ms == 0)
		h->state_since_ms = time_wall_ms();
	h->state = state;
	h->fault = fault;
	h->error[0] = '\0';
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(h->error, sizeof h->error, fmt, ap);
		va_end(ap);
	}
	/* Remote stderr and server messages end up here: nothing of them
	 * may drive the terminal that shows it. */
	text_sanitize(h->error, strlen(h->error), 0);
	/* One line for a table cell: newlines from remote stderr become spaces,
	 * and a trailing one goes. */
	char *out = h->error;
	for (const char *p = h->error; *p; p++) {
		char c = *p;
		if (c == '\r' || c == '\n' || c == '\t')
			c = ' ';
		if (c == ' ' && (out == h->error || out[-1] == ' '))
			continue;
		*out++ = c;
	}
	while (out > h->error && out[-1] == ' ')
		out--;
	*out = '\0';
}
