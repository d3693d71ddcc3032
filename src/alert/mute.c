/* What keeps an open alert from notifying: silences (matchers until an
 * expiry), maintenance windows (hosts, from a start to an end) and
 * inhibition (a firing source alert mutes the targets that share its
 * `equal` labels: a host that is down mutes that host's other alerts).
 * A muted alert still shows in the console and `fleetop alerts`, marked. */
#include <stdlib.h>
#include <string.h>

#include "engine_private.h"

void mutes_free(struct alert_engine *ae)
{
	for (size_t i = 0; i < ae->nmutes; i++) {
		matchers_free(&ae->mutes[i].match);
		free(ae->mutes[i].hosts);
	}
	free(ae->mutes);
	ae->mutes = NULL;
	ae->nmutes = 0;
}

struct mute_read {
	struct alert_engine *ae;
	struct mute *v;
	size_t n;
};

static void mute_row(void *arg, const struct store_mute *m)
{
	struct mute_read *r = arg;
	struct mute mu = { .kind = m->kind, .id = m->id, .starts_ms = m->starts_ms,
			   .ends_ms = m->ends_ms };
	struct error err;
	if (m->kind == STORE_SILENCE) {
		if (matchers_parse(&mu.match, m->what, &err) < 0) {
			log_warn("alerts: silence %lld ignored: %s", (long long)m->id, err.msg);
			return;
		}
	} else {
		mu.hosts = xcalloc(r->ae->fleet->nhosts + 1, 1);
		if (fleet_select(r->ae->fleet, m->what, mu.hosts, &err) < 0) {
			/* A window for hosts no longer in the inventory covers nothing. */
			free(mu.hosts);
			return;
		}
	}
	r->v = xrealloc(r->v, (r->n + 1) * sizeof *r->v);
	r->v[r->n++] = mu;
}

int mutes_load(struct alert_engine *ae, int64_t now_ms, struct error *err)
{
	struct mute_read r = { .ae = ae };
	if (store_mutes(ae->store, STORE_SILENCE, now_ms, mute_row, &r, err) < 0 ||
	    store_mutes(ae->store, STORE_MAINTENANCE, now_ms, mute_row, &r, err) < 0) {
		for (size_t i = 0; i < r.n; i++) {
			matchers_free(&r.v[i].match);
			free(r.v[i].hosts);
		}
		free(r.v);
		return -1;
	}
	mutes_free(ae);
	ae->mutes = r.v;
	ae->nmutes = r.n;
	ae->mutes_read_ms = now_ms;
	return 0;
}

static bool labels_equal(const struct alert_inst *a, const struct alert_inst *b,
			 const struct inhibit_rule *ir)
{
	for (size_t i = 0; i < ir->nequal; i++) {
		const char *va = labels_get(a->labels, a->nlabels, ir->equal[i]);
		const char *vb = labels_get(b->labels, b->nlabels, ir->equal[i]);
		if (strcmp(va ? va : "", vb ? vb : "") != 0)
			return false;
	}
	return true;
}

/* Is a muted by a firing source of ir? Sources are few (a host down, a
 * datacenter alert), targets many: sources are gathered once. */
static bool inhibited(struct alert_inst *const *sources, size_t nsources,
		      const struct alert_inst *a, const struct inhibit_rule *ir)
{
	if (!matchers_match(&ir->target, a->labels, a->nlabels))
		return false;
	for (size_t i = 0; i < nsources; i++) {
		if (sources[i] != a && labels_equal(sources[i], a, ir))
			return true;
	}
	return false;
}

void mutes_apply(struct alert_engine *ae, int64_t now_ms)
{
	size_t nhosts = ae->fleet->nhosts;
	struct alert_inst **sources = NULL;
	size_t nsources = 0, capsources = 0;
	for (size_t i = 0; i < ae->nslots; i++) {
		for (size_t h = 0; h < nhosts; h++) {
			struct alert_inst *a = &ae->slots[i].inst[h];
			if (a->state == ALERT_INACTIVE)
				continue;
			a->muted = 0;
			for (size_t m = 0; m < ae->nmutes; m++) {
				const struct mute *mu = &ae->mutes[m];
				if (now_ms < mu->starts_ms || now_ms >= mu->ends_ms)
					continue;
				if (mu->kind == STORE_MAINTENANCE && mu->hosts[h])
					a->muted |= ALERT_MUTE_MAINTENANCE;
				if (mu->kind == STORE_SILENCE &&
				    matchers_match(&mu->match, a->labels, a->nlabels))
					a->muted |= ALERT_MUTE_SILENCED;
			}
		}
	}
	if (!ae->notify)
		return;
	for (size_t k = 0; k < ae->notify->ninhibits; k++) {
		const struct inhibit_rule *ir = &ae->notify->inhibits[k];
		nsources = 0;
		for (size_t i = 0; i < ae->nslots; i++) {
			for (size_t h = 0; h < nhosts; h++) {
				struct alert_inst *a = &ae->slots[i].inst[h];
				if (a->state != ALERT_FIRING ||
				    !matchers_match(&ir->source, a->labels, a->nlabels))
					continue;
				if (nsources == capsources) {
					capsources = capsources ? capsources * 2 : 16;
					sources = xrealloc(sources, capsources * sizeof *sources);
				}
				sources[nsources++] = a;
			}
		}
		if (!nsources)
			continue;
		for (size_t i = 0; i < ae->nslots; i++) {
			for (size_t h = 0; h < nhosts; h++) {
				struct alert_inst *a = &ae->slots[i].inst[h];
				if (a->state != ALERT_INACTIVE && inhibited(sources, nsources, a, ir))
					a->muted |= ALERT_MUTE_INHIBITED;
			}
		}
	}
	free(sources);
}
