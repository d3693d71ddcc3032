/* Caps the distinct series each host may create and keeps their names safe.
 * Per host: an open-addressed set of the names it was allowed. It never
 * forgets one (a host rotating names would otherwise make new series
 * without end) and never holds more than the cap, so a hostile host costs
 * at most cap names of memory here and everywhere downstream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect_private.h"
#include "series_cap.h"

#define EXAMPLE_MAX 60

struct entry {
	char *name;     /* NULL: free slot */
	uint32_t hash;
};

struct host_series {
	struct entry *slots;
	size_t nslots;  /* a power of two, or 0 */
	size_t n;
	uint64_t refused;
	bool warned_cap, warned_name;
};

struct series_cap {
	size_t cap;
	struct host_slots hosts; /* struct host_series by host id */
};

static bool metric_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

const char *series_name_check(const char *name)
{
	size_t n = strnlen(name, SERIES_NAME_MAX + 1);
	if (n == 0)
		return "is empty";
	if (n > SERIES_NAME_MAX)
		return "is longer than 128 bytes";
	const char *colon = strchr(name, ':');
	size_t metric_len = colon ? (size_t)(colon - name) : n;
	if (metric_len == 0)
		return "has no metric name before ':'";
	for (size_t i = 0; i < metric_len; i++)
		if (!metric_char((unsigned char)name[i]))
			return "has a character other than letters, digits, _ . - in its metric name";
	if (!colon)
		return NULL;
	if (colon[1] == '\0')
		return "has an empty instance after ':'";
	for (const char *p = colon + 1; *p; p++)
		if (!metric_char((unsigned char)*p) && *p != '/' && *p != ':')
			return "has a character other than letters, digits, _ . - / : in its instance";
	return NULL;
}

struct series_cap *series_cap_new(size_t cap)
{
	struct series_cap *sc = xcalloc(1, sizeof *sc);
	sc->cap = cap ? cap : 1;
	return sc;
}

void series_cap_free(struct series_cap *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->hosts.n; i++) {
		struct host_series *hs = sc->hosts.v[i];
		if (!hs)
			continue;
		for (size_t k = 0; k < hs->nslots; k++)
			free(hs->slots[k].name);
		free(hs->slots);
		free(hs);
	}
	free(sc->hosts.v);
	free(sc);
}

/* FNV-1a: names are short, and a host cannot pick collisions that cost more
 * than a probe of its own set, which the cap keeps small. */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot holding name, or the free slot where it would go. */
static struct entry *slot_of(const struct host_series *hs, const char *name, uint32_t hash)
{
	size_t mask = hs->nslots - 1;
	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct entry *e = &hs->slots[i];
		if (!e->name || (e->hash == hash && strcmp(e->name, name) == 0))
			return e;
	}
}

/* Keeps at most half the slots full, so a probe ends soon at a free one. */
static void grow(struct host_series *hs)
{
	struct host_series bigger = { .nslots = hs->nslots ? hs->nslots * 2 : 16 };
	bigger.slots = xcalloc(bigger.nslots, sizeof *bigger.slots);
	for (size_t i = 0; i < hs->nslots; i++)
		if (hs->slots[i].name)
			*slot_of(&bigger, hs->slots[i].name, hs->slots[i].hash) = hs->slots[i];
	free(hs->slots);
	hs->slots = bigger.slots;
	hs->nslots = bigger.nslots;
}

/* Up to EXAMPLE_MAX bytes of name for a log line: bytes outside printable
 * ASCII become '?', and "..." marks a cut. */
static const char *example(char *out, size_t size, const char *name)
{
	size_t n = 0;
	for (; name[n] && n < EXAMPLE_MAX && n + 4 < size; n++) {
		unsigned char c = (unsigned char)name[n];
		out[n] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[n] = '\0';
	if (name[n])
		strcat(out, "...");
	return out;
}

static bool refuse(struct series_cap *sc, struct host_series *hs, const struct host *h,
		   const char *name, const char *why)
{
	hs->refused++;
	char ex[EXAMPLE_MAX + 4];
	if (!why && !hs->warned_cap) {
		hs->warned_cap = true;
		log_warn("%s: reached max_series_per_host=%zu: new metric names are refused "
			 "(first: \"%s\"), its series go on; raise [collect] "
			 "max_series_per_host in fleetop.conf if they are meant",
			 h->name, sc->cap, example(ex, sizeof ex, name));
	} else if (why && !hs->warned_name) {
		hs->warned_name = true;
		log_warn("%s: metric name \"%s\" %s: refused, and so are other bad names of this "
			 "host (see fleetop-collectors(7) for the names fleetop keeps)",
			 h->name, example(ex, sizeof ex, name), why);
	}
	return false;
}

bool series_cap_admit(struct series_cap *sc, const struct host *h, const char *name)
{
	void **slot = host_slot(&sc->hosts, h->id);
	if (!*slot)
		*slot = xcalloc(1, sizeof(struct host_series));
	struct host_series *hs = *slot;
	/* Names in the set were checked when they came in: most samples stop
	 * at this lookup. */
	uint32_t hash = name_hash(name);
	if (hs->nslots && slot_of(hs, name, hash)->name)
		return true;
	const char *why = series_name_check(name);
	if (why)
		return refuse(sc, hs, h, name, why);
	if (hs->n >= sc->cap)
		return refuse(sc, hs, h, name, NULL);
	if (2 * (hs->n + 1) > hs->nslots)
		grow(hs);
	struct entry *e = slot_of(hs, name, hash);
	e->name = xstrdup(name);
	e->hash = hash;
	hs->n++;
	return true;
}

size_t series_cap_count(const struct series_cap *sc, const struct host *h)
{
	const struct host_series *hs = host_slot_get(&sc->hosts, h->id);
	return hs ? hs->n : 0;
}

uint64_t series_cap_refused(const struct series_cap *sc, const struct host *h)
{
	const struct host_series *hs = host_slot_get(&sc->hosts, h->id);
	return hs ? hs->refused : 0;
}
