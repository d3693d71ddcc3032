/* From snapshots of the kernel's counters to the metrics users see. Metric
 * names are a contract (rules, --json, /metrics): see /tmp/collect-man.txt
 * and man/fleetop.1 before renaming one. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "linux_private.h"

#define SECTOR_BYTES 512.0

struct emitter {
	metric_emit_fn fn;
	void *arg;
};

static void put(const struct emitter *e, const char *name, double v)
{
	e->fn(e->arg, name, v);
}

/* NAME:INSTANCE; instances come from the host and may be long. */
static void put_inst(const struct emitter *e, const char *name, const char *inst, double v)
{
	char full[LINUX_LINE_MAX + 64];
	snprintf(full, sizeof full, "%s:%s", name, inst);
	e->fn(e->arg, full, v);
}

static bool mem_has(const struct linux_snapshot *s, enum linux_mem_field f)
{
	return s->mem_have & (1u << f);
}

static uint64_t mem_kb_or0(const struct linux_snapshot *s, enum linux_mem_field f)
{
	return mem_has(s, f) ? s->mem_kb[f] : 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static void emit_memory(const struct emitter *e, const struct linux_snapshot *s)
{
	if (mem_has(s, LMEM_TOTAL)) {
		uint64_t total = s->mem_kb[LMEM_TOTAL], avail;
		bool have_avail = true;
		if (mem_has(s, LMEM_AVAILABLE))
			avail = s->mem_kb[LMEM_AVAILABLE];
		else if (mem_has(s, LMEM_FREE))
			/* Kernels before 3.14 have no MemAvailable; free plus
			 * reclaimable caches is what `free` showed then. */
			avail = sat_add(sat_add(s->mem_kb[LMEM_FREE], mem_kb_or0(s, LMEM_BUFFERS)),
					mem_kb_or0(s, LMEM_CACHED));
		else
			have_avail = false;
		put(e, "mem.total_bytes", (double)total * 1024.0);
		if (have_avail) {
			if (avail > total)
				avail = total;
			put(e, "mem.available_bytes", (double)avail * 1024.0);
			if (total > 0)
				put(e, "mem.used_pct", 100.0 * (double)(total - avail) / (double)total);
		}
	}
	if (mem_has(s, LMEM_SWAP_TOTAL)) {
		uint64_t total = s->mem_kb[LMEM_SWAP_TOTAL];
		if (total == 0)
			put(e, "swap.used_pct", 0);
		else if (mem_has(s, LMEM_SWAP_FREE)) {
			uint64_t sfree = s->mem_kb[LMEM_SWAP_FREE];
			if (sfree > total)
				sfree = total;
			put(e, "swap.used_pct", 100.0 * (double)(total - sfree) / (double)total);
		}
	}
}

/* As df prints Use%: used over what non-root may use, rounded up, so a
 * rule on disk.used_pct agrees with what the admin sees in df. */
static bool df_used_pct(const struct linux_mount *m, double *pct)
{
	uint64_t room = m->used_kb + m->avail_kb;
	if (room == 0 || room < m->used_kb)
		return false;
	if (m->used_kb > UINT64_MAX / 100) {
		*pct = ceil(100.0 * (double)m->used_kb / (double)room);
		return true;
	}
	uint64_t u100 = m->used_kb * 100;
	*pct = (double)(u100 / room + (u100 % room != 0));
	return true;
}

static void emit_disks(const struct emitter *e, const struct linux_snapshot *s)
{
	for (size_t i = 0; i < s->nmounts; i++) {
		const struct linux_mount *m = &s->mounts[i];
		if (!m->has_df)
			continue;
		double pct;
		bool has_pct = df_used_pct(m, &pct);
		if (i == 0) {
			if (has_pct)
				put(e, "disk.used_pct", pct);
			put(e, "disk.free_bytes", (double)m->avail_kb * 1024.0);
		}
		if (has_pct)
			put_inst(e, "disk.used_pct", m->name, pct);
		put_inst(e, "disk.free_bytes", m->name, (double)m->avail_kb * 1024.0);
		put_inst(e, "disk.total_bytes", m->name, (double)m->total_kb * 1024.0);
	}
}

static void emit_gauges(const struct emitter *e, const struct linux_snapshot *s)
{
	if (s->have & LHAVE_UPTIME)
		put(e, "uptime", s->uptime);
	if (s->have & LHAVE_LOAD) {
		put(e, "load.1", s->load[0]);
		put(e, "load.5", s->load[1]);
		put(e, "load.15", s->load[2]);
	}
	emit_memory(e, s);
	emit_disks(e, s);
	if (s->have & LHAVE_PROCS)
		put(e, "procs", (double)s->procs);
	if (s->have & LHAVE_RUNNING)
		put(e, "procs.running", (double)s->procs_running);
	if (s->have & LHAVE_BLOCKED)
		put(e, "procs.blocked", (double)s->procs_blocked);
}

static void emit_cpu(const struct emitter *e, const struct linux_snapshot *a,
		     const struct linux_snapshot *b)
{
	if (!(a->have & b->have & LHAVE_CPU))
		return;
	uint64_t d[LCPU_N], total = 0;
	for (int i = 0; i < LCPU_N; i++) {
		if (b->cpu[i] < a->cpu[i])
			return; /* counters restarted: no honest share this time */
		d[i] = b->cpu[i] - a->cpu[i];
		if (total + d[i] < total)
			return;
		total += d[i];
	}
	if (total == 0)
		return;
	double t = (double)total;
	put(e, "cpu.util", 100.0 * (double)(total - d[LCPU_IDLE] - d[LCPU_IOWAIT]) / t);
	put(e, "cpu.iowait", 100.0 * (double)d[LCPU_IOWAIT] / t);
	put(e, "cpu.steal", 100.0 * (double)d[LCPU_STEAL] / t);
}

/* Rates of named counter pairs present in both frames, matched by a merge
 * of the two sorted lists. A counter that went down (wrap, interface
 * recreated) gives no rate for that frame, and no total either, since a
 * total without it would read as a drop in traffic. Names that come or go
 * between frames are left out of both. */
static void emit_counter_rates(const struct emitter *e, const struct linux_counters *a,
			       const struct linux_counters *b, double dt, double unit,
			       const char *in_name, const char *out_name, bool per_instance)
{
	double in_sum = 0, out_sum = 0;
	bool in_ok = true, out_ok = true;
	size_t i = 0, j = 0;
	while (i < a->n && j < b->n) {
		int c = strcmp(a->v[i].name, b->v[j].name);
		if (c < 0) {
			i++;
			continue;
		}
		if (c > 0) {
			j++;
			continue;
		}
		const struct linux_counter *x = &a->v[i++], *y = &b->v[j++];
		if (y->in >= x->in) {
			double r = (double)(y->in - x->in) * unit / dt;
			in_sum += r;
			if (per_instance)
				put_inst(e, in_name, y->name, r);
		} else {
			in_ok = false;
		}
		if (y->out >= x->out) {
			double r = (double)(y->out - x->out) * unit / dt;
			out_sum += r;
			if (per_instance)
				put_inst(e, out_name, y->name, r);
		} else {
			out_ok = false;
		}
	}
	if (in_ok)
		put(e, in_name, in_sum);
	if (out_ok)
		put(e, out_name, out_sum);
}

void linux_metrics_emit(const struct linux_snapshot *prev, const struct linux_snapshot *cur,
			metric_emit_fn emit, void *arg)
{
	const struct emitter e = { emit, arg };
	emit_gauges(&e, cur);
	if (!prev)
		return;
	/* The host's own clock times the interval, so a frame delayed on the
	 * network does not read as a burst. Uptime going back is a reboot:
	 * every counter restarted, and no rate of this frame means anything. */
	bool timed = (prev->have & cur->have & LHAVE_UPTIME) != 0;
	if (timed && cur->uptime < prev->uptime)
		return;
	emit_cpu(&e, prev, cur);
	double dt = timed ? cur->uptime - prev->uptime : 0;
	if (!(dt > 0))
		return;
	if (prev->have & cur->have & LHAVE_NETDEV)
		emit_counter_rates(&e, &prev->ifaces, &cur->ifaces, dt, 1.0, "net.rx_bps",
				   "net.tx_bps", true);
	if (prev->have & cur->have & LHAVE_DISKSTATS)
		emit_counter_rates(&e, &prev->disks, &cur->disks, dt, SECTOR_BYTES,
				   "disk.read_bps", "disk.write_bps", false);
}
