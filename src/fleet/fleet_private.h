/* fleet internals shared by inventory.c, select.c, host.c and range.c. */
#ifndef FLEET_PRIVATE_H
#define FLEET_PRIVATE_H

#include "fleetop/fleet.h"

/* An inventory larger than this is surely a mistake (a range typo like
 * [1:1000000]); refusing it keeps one bad line from eating the machine. */
#define FLEET_MAX_HOSTS 100000

/* Open-addressing hash from a name to an index; the names are owned elsewhere. */
struct name_slot {
	const char *name;
	uint32_t hash;
	uint32_t id;
};
struct name_index {
	struct name_slot *slots;
	size_t cap, n;
};
void nindex_put(struct name_index *ix, const char *name, uint32_t id);
long nindex_get(const struct name_index *ix, const char *name); /* -1: absent */
void nindex_free(struct name_index *ix);

struct fleet_index {
	struct name_index hosts, groups;
	uint32_t **group_hosts; /* by group id: every host in it, directly or via children */
	size_t *ngroup_hosts;
};
void fleet_index_free(struct fleet_index *ix, size_t ngroups);

/* A host range: [01:12], [1:10:2], [a:f]; ':' or '-' between the bounds. */
struct fleet_range {
	long beg, end, step;
	int width;  /* zero-padded width, 0 = none */
	bool alpha; /* bounds are letters, in the order a-z then A-Z */
};
/* s points at '['. Returns 1 and fills r and *len (through the ']') when a
 * range follows, 0 when the brackets hold something else (a glob class),
 * -1 with why when it is a range written wrongly (begin > end, ...). */
int fleet_range_parse(const char *s, struct fleet_range *r, size_t *len, char *why,
		      size_t whysize);
/* Expands every range in pat, first range varying slowest (as Ansible).
 * At most max names; *out is an array of *n new strings. */
int fleet_expand(const char *pat, size_t max, char ***out, size_t *n, char *why,
		 size_t whysize);
/* The letters a range of letters walks through, in Ansible's order. */
extern const char fleet_letters[];

#endif
