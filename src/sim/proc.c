/* A simulated host's files in the kernel's and coreutils' exact layouts.
 * Counters are printed as floor() of the model's doubles, so they only
 * ever go up. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "proc.h"

static unsigned long long u(double v)
{
	return v <= 0 ? 0 : (unsigned long long)floor(v);
}

/* Numbers without printf: frames are most of the simulator's work. */
static void put_u(struct buf *b, unsigned long long v)
{
	char tmp[24], *p = tmp + sizeof tmp;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* Right-aligned in width, as printf's %*llu. */
static void put_pad(struct buf *b, unsigned long long v, int width)
{
	char tmp[24], *p = tmp + sizeof tmp;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	int len = (int)(tmp + sizeof tmp - p);
	for (; len < width; len++)
		buf_append(b, " ", 1);
	buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* "12.34" from seconds, as the kernel prints centiseconds. */
static void centi(struct buf *b, double s)
{
	unsigned long long c = u(s * 100);
	char frac[3] = { (char)('0' + c % 100 / 10), (char)('0' + c % 10), '\0' };
	put_u(b, c / 100);
	buf_append(b, ".", 1);
	buf_append(b, frac, 2);
}

void proc_uptime(struct buf *b, const struct model_host *m)
{
	centi(b, m->uptime_s);
	buf_puts(b, " ");
	centi(b, m->idle_s);
	buf_puts(b, "\n");
}

void proc_loadavg(struct buf *b, const struct model_host *m)
{
	for (int i = 0; i < 3; i++) {
		centi(b, m->load[i]);
		buf_puts(b, " ");
	}
	buf_printf(b, "%d/%d %llu\n", m->procs_running, m->threads, u(m->last_pid));
}

static void cpu_line(struct buf *b, const char *name, const double *cpu, double share)
{
	buf_puts(b, name);
	for (int i = 0; i < CPU_NFIELDS; i++) {
		buf_append(b, " ", 1);
		put_u(b, u(cpu[i] * share));
	}
	buf_puts(b, "\n");
}

/* brief: only the lines the probe keeps, for frames. */
static void stat_text(struct buf *b, const struct model_host *m, double wall_s, bool brief)
{
	cpu_line(b, "cpu ", m->cpu, 1);
	if (brief) {
		buf_puts(b, "procs_running ");
		put_u(b, (unsigned long long)m->procs_running);
		buf_puts(b, "\nprocs_blocked ");
		put_u(b, (unsigned long long)m->procs_blocked);
		buf_puts(b, "\n");
		return;
	}
	for (int c = 0; c < m->ncores; c++) {
		char name[16];
		snprintf(name, sizeof name, "cpu%d", c);
		cpu_line(b, name, m->cpu, 1.0 / m->ncores);
	}
	buf_printf(b, "intr %llu", u(m->intr));
	for (int i = 0; i < 24; i++)
		buf_puts(b, " 0");
	buf_printf(b, "\nctxt %llu\nbtime %llu\nprocesses %llu\nprocs_running %d\nprocs_blocked %d\n",
		   u(m->ctxt), u(wall_s - m->uptime_s), u(m->forks), m->procs_running,
		   m->procs_blocked);
	buf_printf(b, "softirq %llu 0 %llu 6 %llu %llu 0 4 %llu 0 %llu\n", u(m->intr * 0.9),
		   u(m->intr * 0.15), u(m->intr * 0.01), u(m->intr * 0.25), u(m->intr * 0.3),
		   u(m->intr * 0.19));
}

void proc_stat(struct buf *b, const struct model_host *m, double wall_s)
{
	stat_text(b, m, wall_s, false);
}

/* "MemTotal:       24683620 kB": the label padded to 16, the number to 8. */
static void kb_line(struct buf *b, const char *key, double kb)
{
	size_t n = strlen(key);
	buf_append(b, key, n);
	buf_append(b, ":", 1);
	for (n++; n < 16; n++)
		buf_append(b, " ", 1);
	put_pad(b, u(kb), 8);
	buf_puts(b, " kB\n");
}

static void meminfo_text(struct buf *b, const struct model_host *m, bool brief)
{
	double total = (double)m->mem_total_kb, cached = (double)m->cached_kb;
	double anon = total - (double)m->mem_free_kb - cached - (double)m->buffers_kb;
	double swap_used = (double)(m->swap_total_kb - m->swap_free_kb);
	kb_line(b, "MemTotal", total);
	kb_line(b, "MemFree", (double)m->mem_free_kb);
	kb_line(b, "MemAvailable", (double)m->mem_avail_kb);
	kb_line(b, "Buffers", (double)m->buffers_kb);
	kb_line(b, "Cached", cached);
	if (brief) {
		kb_line(b, "SwapTotal", (double)m->swap_total_kb);
		kb_line(b, "SwapFree", (double)m->swap_free_kb);
		return;
	}
	kb_line(b, "SwapCached", swap_used * 0.05);
	kb_line(b, "Active", anon * 0.1 + cached * 0.55);
	kb_line(b, "Inactive", anon * 0.8 + cached * 0.45);
	kb_line(b, "Active(anon)", anon * 0.1);
	kb_line(b, "Inactive(anon)", anon * 0.8);
	kb_line(b, "Active(file)", cached * 0.55);
	kb_line(b, "Inactive(file)", cached * 0.45);
	kb_line(b, "Unevictable", 0);
	kb_line(b, "Mlocked", 0);
	kb_line(b, "SwapTotal", (double)m->swap_total_kb);
	kb_line(b, "SwapFree", (double)m->swap_free_kb);
	kb_line(b, "Zswap", 0);
	kb_line(b, "Zswapped", 0);
	kb_line(b, "Dirty", 120 + m->players * 4.0);
	kb_line(b, "Writeback", 0);
	kb_line(b, "AnonPages", anon * 0.88);
	kb_line(b, "Mapped", cached * 0.08);
	kb_line(b, "Shmem", 9000);
	kb_line(b, "KReclaimable", anon * 0.02);
	kb_line(b, "Slab", anon * 0.035);
	kb_line(b, "SReclaimable", anon * 0.02);
	kb_line(b, "SUnreclaim", anon * 0.015);
	kb_line(b, "KernelStack", m->threads * 16.0);
	kb_line(b, "PageTables", anon * 0.004);
	kb_line(b, "CommitLimit", total / 2 + (double)m->swap_total_kb);
	kb_line(b, "Committed_AS", anon * 1.3);
	kb_line(b, "VmallocTotal", 34359738367.0);
	kb_line(b, "VmallocUsed", 24000 + m->ncores * 1200.0);
	kb_line(b, "VmallocChunk", 0);
	kb_line(b, "Percpu", m->ncores * 344.0);
	kb_line(b, "AnonHugePages", 0);
	buf_printf(b, "%-16s%8d\n%-16s%8d\n%-16s%8d\n%-16s%8d\n", "HugePages_Total:", 0,
		   "HugePages_Free:", 0, "HugePages_Rsvd:", 0, "HugePages_Surp:", 0);
	kb_line(b, "Hugepagesize", 2048);
	kb_line(b, "Hugetlb", 0);
	kb_line(b, "DirectMap4k", 190000);
	kb_line(b, "DirectMap2M", total + 1048576 - 190000);
}

void proc_meminfo(struct buf *b, const struct model_host *m)
{
	meminfo_text(b, m, false);
}

void proc_net_dev(struct buf *b, const struct model_host *m)
{
	buf_puts(b, "Inter-|   Receive                                                |  Transmit\n"
		    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n");
	for (int i = 0; i < m->nifaces; i++) {
		const double *s = m->ifaces[i].stat;
		buf_printf(b, "%6s: %7llu %7llu %4llu %4llu %4llu %5llu %10llu %9llu "
			      "%8llu %7llu %4llu %4llu %4llu %5llu %7llu %10llu\n",
			   m->ifaces[i].name, u(s[NET_RX_BYTES]), u(s[NET_RX_PACKETS]), 0ull,
			   u(s[NET_RX_DROP]), 0ull, 0ull, 0ull, u(s[NET_RX_MULTICAST]),
			   u(s[NET_TX_BYTES]), u(s[NET_TX_PACKETS]), 0ull, 0ull, 0ull, 0ull, 0ull, 0ull);
	}
}

static void disk_line(struct buf *b, int major, int minor, const char *name, const double *s,
		      double share)
{
	put_pad(b, (unsigned long long)major, 4);
	buf_append(b, " ", 1);
	put_pad(b, (unsigned long long)minor, 7);
	buf_append(b, " ", 1);
	buf_puts(b, name);
	for (int i = 0; i < DS_NFIELDS; i++) {
		buf_append(b, " ", 1);
		put_u(b, i == DS_IN_FLIGHT ? 0ull : u(s[i] * share));
	}
	buf_puts(b, "\n");
}

void proc_diskstats(struct buf *b, const struct model_host *m)
{
	static const double zero[DS_NFIELDS];
	for (int i = 0; i < m->nloops; i++) {
		char name[16];
		snprintf(name, sizeof name, "loop%d", i);
		disk_line(b, 7, i, name, zero, 1);
	}
	for (int d = 0; d < m->ndisks; d++) {
		const struct model_disk *dk = &m->disks[d];
		disk_line(b, dk->major, dk->minor, dk->name, dk->stat, 1);
		for (int i = 0; i < m->nmounts; i++)
			if (m->mounts[i].disk == d)
				disk_line(b, dk->major, m->mounts[i].part_minor, m->mounts[i].part,
					  dk->stat, m->mounts[i].part_share);
	}
}

void proc_cpuinfo(struct buf *b, const struct model_host *m)
{
	for (int c = 0; c < m->ncores; c++)
		buf_printf(b, "processor\t: %d\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n"
			      "model name\t: AMD EPYC 7763 64-Core Processor\ncpu MHz\t\t: 2445.404\n"
			      "cache size\t: 512 KB\nphysical id\t: 0\nsiblings\t: %d\ncore id\t\t: %d\n"
			      "cpu cores\t: %d\nbogomips\t: 4890.80\n\n",
			   c, m->ncores, c, m->ncores);
}

static int digits(unsigned long long v)
{
	int n = 1;
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static int imax(int a, int b)
{
	return a > b ? a : b;
}

struct df_row {
	const char *dev, *path;
	unsigned long long size, used, avail;
	char cap[8];
};

static void df_row(const struct model_host *m, int i, struct df_row *r)
{
	const struct model_mount *mt = &m->mounts[i];
	/* ext4 keeps 5% for root; vfat keeps nothing. */
	double reserved = strcmp(mt->path, "/boot/efi") == 0 ? 0 : mt->size_kb * 0.05;
	r->dev = mt->dev;
	r->path = mt->path;
	r->size = u(mt->size_kb);
	r->used = u(mt->used_kb);
	r->avail = u(fmax(0, mt->size_kb - mt->used_kb - reserved));
	/* df rounds the percentage up. */
	unsigned long long all = r->used + r->avail;
	unsigned long long pct = all ? (r->used * 100 + all - 1) / all : 0;
	snprintf(r->cap, sizeof r->cap, "%llu%%", pct);
}

void proc_df_rows(struct buf *b, const struct model_host *m, const int *mounts, int n, bool header)
{
	struct df_row rows[MODEL_MAX_MOUNTS * 4];
	if (n > (int)(sizeof rows / sizeof rows[0]))
		n = (int)(sizeof rows / sizeof rows[0]);
	/* coreutils sizes each column to its widest cell, header included. */
	int wfs = 14, wsize = 11, wused = 4, wavail = 9, wcap = 8;
	for (int i = 0; i < n; i++) {
		df_row(m, mounts[i], &rows[i]);
		wfs = imax(wfs, (int)strlen(rows[i].dev));
		wsize = imax(wsize, digits(rows[i].size));
		wused = imax(wused, digits(rows[i].used));
		wavail = imax(wavail, digits(rows[i].avail));
	}
	if (header)
		buf_printf(b, "%-*s %*s %*s %*s %*s Mounted on\n", wfs, "Filesystem", wsize,
			   "1024-blocks", wused, "Used", wavail, "Available", wcap, "Capacity");
	for (int i = 0; i < n; i++)
		buf_printf(b, "%-*s %*llu %*llu %*llu %*s %s\n", wfs, rows[i].dev, wsize, rows[i].size,
			   wused, rows[i].used, wavail, rows[i].avail, wcap, rows[i].cap, rows[i].path);
}

int proc_df(struct buf *b, const struct model_host *m, const char *path, bool with_header)
{
	int i = model_mount_for(m, path);
	if (i < 0)
		return -1;
	proc_df_rows(b, m, &i, 1, with_header);
	return 0;
}

static const char os_release[] =
	"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
	"NAME=\"Debian GNU/Linux\"\n"
	"VERSION_ID=\"12\"\n"
	"VERSION=\"12 (bookworm)\"\n"
	"VERSION_CODENAME=bookworm\n"
	"ID=debian\n"
	"HOME_URL=\"https://www.debian.org/\"\n"
	"SUPPORT_URL=\"https://www.debian.org/support\"\n"
	"BUG_REPORT_URL=\"https://bugs.debian.org/\"\n";

int proc_file(struct buf *b, const struct model_host *m, const char *host, const char *path,
	      double wall_s)
{
	if (strcmp(path, "/proc/uptime") == 0)
		proc_uptime(b, m);
	else if (strcmp(path, "/proc/loadavg") == 0)
		proc_loadavg(b, m);
	else if (strcmp(path, "/proc/stat") == 0)
		proc_stat(b, m, wall_s);
	else if (strcmp(path, "/proc/meminfo") == 0)
		proc_meminfo(b, m);
	else if (strcmp(path, "/proc/net/dev") == 0)
		proc_net_dev(b, m);
	else if (strcmp(path, "/proc/diskstats") == 0)
		proc_diskstats(b, m);
	else if (strcmp(path, "/proc/cpuinfo") == 0)
		proc_cpuinfo(b, m);
	else if (strcmp(path, "/proc/version") == 0)
		buf_puts(b, "Linux version " SIM_KERNEL_RELEASE " (debian-kernel@lists.debian.org) "
			    "(gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) "
			    SIM_KERNEL_VERSION "\n");
	else if (strcmp(path, "/etc/hostname") == 0)
		buf_printf(b, "%s\n", host);
	else if (strcmp(path, "/etc/os-release") == 0 || strcmp(path, "/usr/lib/os-release") == 0)
		buf_puts(b, os_release);
	else if (strcmp(path, "/etc/debian_version") == 0)
		buf_puts(b, "12.5\n");
	else
		return -1;
	return 0;
}

/* The probe's awk filters, line by line. */
static bool keep_all(const char *line, size_t len)
{
	(void)line;
	(void)len;
	return true;
}

static bool keep_stat(const char *line, size_t len)
{
	(void)len;
	return str_starts_with(line, "cpu ") || str_starts_with(line, "procs_running") ||
	       str_starts_with(line, "procs_blocked");
}

static bool keep_meminfo(const char *line, size_t len)
{
	static const char *const keys[] = { "MemTotal:", "MemFree:", "MemAvailable:", "Buffers:",
					    "Cached:", "SwapTotal:", "SwapFree:" };
	(void)len;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (str_starts_with(line, keys[i]))
			return true;
	return false;
}

static bool keep_netdev(const char *line, size_t len)
{
	return memchr(line, ':', len) != NULL;
}

/* Not " (loop|ram|zram)[0-9]+ ". */
static bool keep_diskstats(const char *line, size_t len)
{
	static const char *const skip[] = { " loop", " ram", " zram" };
	for (size_t i = 0; i < len; i++) {
		if (line[i] != ' ')
			continue;
		for (size_t k = 0; k < 3; k++) {
			size_t n = strlen(skip[k]), j;
			if (i + n > len || memcmp(line + i, skip[k], n) != 0)
				continue;
			for (j = i + n; j < len && line[j] >= '0' && line[j] <= '9'; j++)
				;
			if (j > i + n && j < len && line[j] == ' ')
				return false;
		}
	}
	return true;
}

static void dump(struct buf *out, const char *tag, const struct buf *text,
		 bool (*keep)(const char *, size_t))
{
	const char *p = text->data, *end = text->data + text->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (keep(p, len)) {
			buf_puts(out, tag);
			buf_puts(out, " ");
			buf_append(out, p, len);
			buf_puts(out, "\n");
		}
		p += len + 1;
	}
}

void probe_frame(struct buf *out, const struct model_host *m, uint64_t seq, char *const *mounts,
		 int nmounts, double wall_s)
{
	struct buf t = { 0 };
	buf_printf(out, "frame 1 %llu\n", (unsigned long long)seq);
	proc_uptime(&t, m);
	dump(out, "uptime", &t, keep_all);
	buf_reset(&t);
	stat_text(&t, m, wall_s, true);
	dump(out, "stat", &t, keep_stat);
	buf_reset(&t);
	proc_loadavg(&t, m);
	dump(out, "loadavg", &t, keep_all);
	buf_reset(&t);
	meminfo_text(&t, m, true);
	dump(out, "meminfo", &t, keep_meminfo);
	buf_reset(&t);
	proc_net_dev(&t, m);
	dump(out, "netdev", &t, keep_netdev);
	buf_reset(&t);
	proc_diskstats(&t, m);
	dump(out, "diskstats", &t, keep_diskstats);
	for (int i = 0; i < nmounts; i++) {
		buf_reset(&t);
		buf_printf(out, "dfarg %s\n", mounts[i]);
		if (proc_df(&t, m, mounts[i], false) == 0)
			dump(out, "df", &t, keep_all);
	}
	buf_free(&t);
	buf_printf(out, "procs %d\nend %llu\n", m->procs, (unsigned long long)seq);
}
