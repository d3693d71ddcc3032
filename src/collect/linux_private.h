/* What the linux probe's parser (linux_parse.c) hands to the metric maths
 * (linux_metrics.c): one frame read into a snapshot of raw counters. */
#ifndef COLLECT_LINUX_PRIVATE_H
#define COLLECT_LINUX_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetop/collect.h"

#define LINUX_LINE_MAX 4096
#define LINUX_FRAME_MAX (256 * 1024)

/* /proc/stat cpu fields in the kernel's order; guest and guest_nice are
 * already counted in user and nice, so they are not read. */
enum linux_cpu_field { LCPU_USER, LCPU_NICE, LCPU_SYSTEM, LCPU_IDLE, LCPU_IOWAIT, LCPU_IRQ,
		       LCPU_SOFTIRQ, LCPU_STEAL, LCPU_N };

enum linux_mem_field { LMEM_TOTAL, LMEM_FREE, LMEM_AVAILABLE, LMEM_BUFFERS, LMEM_CACHED,
		       LMEM_SWAP_TOTAL, LMEM_SWAP_FREE, LMEM_N };

/* Which parts a frame held (a "missing FILE" leaves its part out). */
enum {
	LHAVE_UPTIME = 1 << 0,
	LHAVE_CPU = 1 << 1,
	LHAVE_RUNNING = 1 << 2,
	LHAVE_BLOCKED = 1 << 3,
	LHAVE_LOAD = 1 << 4,
	LHAVE_NETDEV = 1 << 5,
	LHAVE_DISKSTATS = 1 << 6,
	LHAVE_PROCS = 1 << 7,
};

/* A named pair of cumulative counters: an interface's rx/tx bytes or a
 * disk's read/written sectors. */
struct linux_counter {
	size_t name_off; /* into the snapshot's names while the frame is read */
	const char *name; /* set once the frame is complete */
	uint64_t in, out;
};

struct linux_mount {
	size_t name_off;
	const char *name;
	bool has_df;
	uint64_t total_kb, used_kb, avail_kb;
};

struct linux_counters {
	struct linux_counter *v;
	size_t n, cap;
};

struct linux_snapshot {
	unsigned have;
	unsigned mem_have; /* bit per enum linux_mem_field */
	double uptime;
	double load[3];
	uint64_t cpu[LCPU_N];
	uint64_t mem_kb[LMEM_N];
	uint64_t procs, procs_running, procs_blocked;
	struct linux_counters ifaces; /* without lo */
	struct linux_counters disks;  /* whole disks only */
	struct linux_mount *mounts;   /* in the order the probe was given them */
	size_t nmounts, mounts_cap;
	struct buf names; /* every name above, NUL-separated */
};

/* Keeps the arrays' memory for the next frame. */
void linux_snapshot_reset(struct linux_snapshot *s);
void linux_snapshot_free(struct linux_snapshot *s);

/* Emits the gauges of cur, and the rates between prev and cur when prev
 * is not NULL. Both snapshots must be complete (names set, counters
 * sorted by name and unique). */
void linux_metrics_emit(const struct linux_snapshot *prev, const struct linux_snapshot *cur,
			metric_emit_fn emit, void *arg);

#endif
