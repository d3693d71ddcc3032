/* What a simulated host's files say: /proc text in the kernel's exact
 * layout, df -Pk lines, /etc files, and the probe's frames. The frames
 * are cut from the same /proc text with the probe's own filters, so a
 * frame and `cat /proc/...` on the same host always agree. */
#ifndef SIM_PROC_H
#define SIM_PROC_H

#include "fleetop/core.h"
#include "model.h"

#define SIM_KERNEL_RELEASE "6.1.0-18-amd64"
#define SIM_KERNEL_VERSION "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"

void proc_uptime(struct buf *b, const struct model_host *m);
void proc_loadavg(struct buf *b, const struct model_host *m);
/* wall_s dates btime (boot time in wall-clock seconds). */
void proc_stat(struct buf *b, const struct model_host *m, double wall_s);
void proc_meminfo(struct buf *b, const struct model_host *m);
void proc_net_dev(struct buf *b, const struct model_host *m);
void proc_diskstats(struct buf *b, const struct model_host *m);
void proc_cpuinfo(struct buf *b, const struct model_host *m);

/* `df -Pk path`: header (if with_header) and the line of the filesystem
 * holding path. Returns -1 (nothing written) when path does not exist. */
int proc_df(struct buf *b, const struct model_host *m, const char *path, bool with_header);
/* Several rows (mount indexes) in one table, columns aligned as df does. */
void proc_df_rows(struct buf *b, const struct model_host *m, const int *mounts, int n, bool header);

/* The text of a simulated file (/proc/..., /etc/...), or -1 if there is
 * no such file. host names /etc/hostname. */
int proc_file(struct buf *b, const struct model_host *m, const char *host, const char *path,
	      double wall_s);

/* One probe frame, byte for byte what linux_probe.sh prints. */
void probe_frame(struct buf *out, const struct model_host *m, uint64_t seq, char *const *mounts,
		 int nmounts, double wall_s);

#endif
