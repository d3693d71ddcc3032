/* collect (linux): the probe's frames into metrics, the command line that
 * starts it, and the real script against this machine's df and meminfo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetop/collect.h"

/* Three frames of the real probe on this machine (Debian 12 VM, both
 * cores busy), run as `sh -s fleetop-probe 1 / /tmp`: df on the first. */
static const char real_frames[] =
	"frame 1 1\n"
	"uptime 2906.78 3000.25\n"
	"stat cpu  156021 0 93368 300025 23376 0 4954 0 0 0\n"
	"stat procs_running 5\n"
	"stat procs_blocked 0\n"
	"loadavg 3.43 3.15 2.37 5/113 29921\n"
	"meminfo MemTotal:       24683620 kB\n"
	"meminfo MemFree:        22311516 kB\n"
	"meminfo MemAvailable:   23987636 kB\n"
	"meminfo Buffers:           31372 kB\n"
	"meminfo Cached:          1811516 kB\n"
	"meminfo SwapTotal:             0 kB\n"
	"meminfo SwapFree:              0 kB\n"
	"netdev     lo: 118485781  149266    0    0    0     0          0         0 118485781  149266    0    0    0     0       0          0\n"
	"netdev   ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n"
	"netdev   ifb1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n"
	"netdev   eth0: 21277019     870    0    0    0     0          0         0    59351     799    0    0    0     0       0          0\n"
	"diskstats  254       0 vda 87775 29527 5930738 58140 4264524 41246 496715072 17412859 1 399640 17669137 13720 37 15758112 34326 10274 163811\n"
	"dfarg /\n"
	"df /dev/vda         264212084 18061408  82275780      19% /\n"
	"dfarg /tmp\n"
	"df /dev/vda         264212084 18061404  82275784      19% /\n"
	"procs 93\n"
	"end 1\n"
	"frame 1 2\n"
	"uptime 2907.77 3000.25\n"
	"stat cpu  156102 0 93414 300025 23440 0 4960 0 0 0\n"
	"stat procs_running 8\n"
	"stat procs_blocked 0\n"
	"loadavg 3.39 3.15 2.37 8/114 29926\n"
	"meminfo MemTotal:       24683620 kB\n"
	"meminfo MemFree:        22312240 kB\n"
	"meminfo MemAvailable:   23990412 kB\n"
	"meminfo Buffers:           31460 kB\n"
	"meminfo Cached:          1813964 kB\n"
	"meminfo SwapTotal:             0 kB\n"
	"meminfo SwapFree:              0 kB\n"
	"netdev     lo: 118485781  149266    0    0    0     0          0         0 118485781  149266    0    0    0     0       0          0\n"
	"netdev   ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n"
	"netdev   ifb1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n"
	"netdev   eth0: 21277019     870    0    0    0     0          0         0    59351     799    0    0    0     0       0          0\n"
	"diskstats  254       0 vda 87775 29527 5930738 58140 4281274 41253 497092808 17457317 0 400156 17714362 14168 37 15761744 34851 10289 164052\n"
	"procs 94\n"
	"end 2\n"
	"frame 1 3\n"
	"uptime 2908.80 3000.26\n"
	"stat cpu  156186 0 93496 300026 23472 0 4967 0 0 0\n"
	"stat procs_running 5\n"
	"stat procs_blocked 0\n"
	"loadavg 3.39 3.15 2.37 5/110 29942\n"
	"meminfo MemTotal:       24683620 kB\n"
	"meminfo MemFree:        22302088 kB\n"
	"meminfo MemAvailable:   23994328 kB\n"
	"meminfo Buffers:           31572 kB\n"
	"meminfo Cached:          1827244 kB\n"
	"meminfo SwapTotal:             0 kB\n"
	"meminfo SwapFree:              0 kB\n"
	"netdev     lo: 118485781  149266    0    0    0     0          0         0 118485781  149266    0    0    0     0       0          0\n"
	"netdev   ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n"
	"netdev   ifb1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0\n"
	"netdev   eth0: 21277019     870    0    0    0     0          0         0    59351     799    0    0    0     0       0          0\n"
	"diskstats  254       0 vda 87775 29527 5930738 58140 4288095 41262 497760368 17484137 0 400664 17741479 14173 37 15762072 34943 10297 164258\n"
	"procs 90\n"
	"end 3\n"
	;

/* Everything a feed emitted, in order. */
struct metric {
	char name[128];
	double value;
};
struct sink {
	struct metric *v;
	size_t n, cap;
};

static void sink_emit(void *arg, const char *name, double value)
{
	struct sink *s = arg;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		assert_non_null(s->v);
	}
	snprintf(s->v[s->n].name, sizeof s->v[s->n].name, "%s", name);
	s->v[s->n++].value = value;
}

static void sink_reset(struct sink *s)
{
	s->n = 0;
}

static void sink_free(struct sink *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* The last value of name, or NAN when it was not emitted. */
static double sink_get(const struct sink *s, const char *name)
{
	for (size_t i = s->n; i-- > 0;)
		if (strcmp(s->v[i].name, name) == 0)
			return s->v[i].value;
	return NAN;
}

static size_t sink_count(const struct sink *s, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += strcmp(s->v[i].name, name) == 0;
	return n;
}

static bool sink_has_prefix(const struct sink *s, const char *prefix)
{
	for (size_t i = 0; i < s->n; i++)
		if (strncmp(s->v[i].name, prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static int feed_str(struct linux_parser *p, const char *text, struct sink *s, struct error *err)
{
	return linux_parser_feed(p, text, strlen(text), sink_emit, s, err);
}

#define assert_near(a, b, eps)                                                              \
	do {                                                                                \
		double a_ = (a), b_ = (b);                                                  \
		if (!(fabs(a_ - b_) <= (eps)))                                              \
			fail_msg("%s = %.9g, expected %.9g (within %g)", #a, a_, b_,        \
				 (double)(eps));                                            \
	} while (0)

/* A crafted frame: counters chosen so the expected rates are exact. */
static char *frame(unsigned seq, double uptime, unsigned long long cpu_busy,
		   unsigned long long cpu_idle, unsigned long long eth_rx,
		   unsigned long long eth_tx, unsigned long long rd_sect, unsigned long long wr_sect)
{
	char *f = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&f, &n);
	fprintf(m, "frame 1 %u\n", seq);
	fprintf(m, "uptime %.2f 100.00\n", uptime);
	fprintf(m, "stat cpu  %llu 0 0 %llu 0 0 0 0 0 0\n", cpu_busy, cpu_idle);
	fprintf(m, "stat procs_running 2\nstat procs_blocked 1\n");
	fprintf(m, "loadavg 0.50 0.25 0.10 2/100 1234\n");
	fprintf(m, "meminfo MemTotal:        8000000 kB\n"
		   "meminfo MemFree:         1000000 kB\n"
		   "meminfo MemAvailable:    6000000 kB\n"
		   "meminfo Buffers:           10000 kB\n"
		   "meminfo Cached:          2000000 kB\n"
		   "meminfo SwapTotal:       1000000 kB\n"
		   "meminfo SwapFree:         750000 kB\n");
	fprintf(m, "netdev     lo: 999999 1 0 0 0 0 0 0 999999 1 0 0 0 0 0 0\n");
	fprintf(m, "netdev   eth0: %llu 10 0 0 0 0 0 0 %llu 10 0 0 0 0 0 0\n", eth_rx, eth_tx);
	fprintf(m, "netdev   eth1: 100 1 0 0 0 0 0 0 200 1 0 0 0 0 0 0\n");
	/* The partition and the dm volume repeat sda's I/O; only sda counts. */
	fprintf(m, "diskstats    8 0 sda 10 0 %llu 0 10 0 %llu 0 0 0 0 0 0 0 0 0 0\n", rd_sect, wr_sect);
	fprintf(m, "diskstats    8 1 sda1 10 0 %llu 0 10 0 %llu 0 0 0 0 0 0 0 0 0 0\n", rd_sect, wr_sect);
	fprintf(m, "diskstats  253 0 dm-0 10 0 %llu 0 10 0 %llu 0 0 0 0 0 0 0 0 0 0\n", rd_sect, wr_sect);
	fprintf(m, "dfarg /\n");
	fprintf(m, "df /dev/sda1 1100000 333333 666667 34%% /\n");
	fprintf(m, "dfarg /srv/game data\n");
	fprintf(m, "df /dev/sdb 2000 1000 1000 50%% /srv/game data\n");
	fprintf(m, "procs 100\n");
	fprintf(m, "end %u\n", seq);
	fclose(m);
	return f;
}

static void test_real_frames(void **state)
{
	(void)state;
	struct linux_parser *p = linux_parser_new("local");
	struct sink s = { 0 };
	struct error err = { { 0 } };
	assert_int_equal(feed_str(p, real_frames, &s, &err), 3);
	/* Gauges of the last frame. */
	assert_near(sink_get(&s, "mem.total_bytes"), 24683620.0 * 1024, 0);
	assert_near(sink_get(&s, "mem.available_bytes"), 23994328.0 * 1024, 0);
	assert_near(sink_get(&s, "mem.used_pct"), 100.0 * (24683620.0 - 23994328) / 24683620, 1e-9);
	assert_near(sink_get(&s, "swap.used_pct"), 0, 0);
	assert_near(sink_get(&s, "uptime"), 2908.80, 1e-9);
	assert_near(sink_get(&s, "load.1"), 3.39, 1e-9);
	assert_near(sink_get(&s, "load.15"), 2.37, 1e-9);
	assert_near(sink_get(&s, "procs"), 90, 0);
	assert_near(sink_get(&s, "procs.running"), 5, 0);
	assert_near(sink_get(&s, "procs.blocked"), 0, 0);
	/* df printed 19% for 18061408 used, 82275780 available (18.0007%
	 * rounded up); it ran on the first frame only. */
	assert_near(sink_get(&s, "disk.used_pct"), 19, 0);
	assert_near(sink_get(&s, "disk.used_pct:/"), 19, 0);
	assert_near(sink_get(&s, "disk.used_pct:/tmp"), 19, 0);
	assert_near(sink_get(&s, "disk.free_bytes"), 82275780.0 * 1024, 0);
	assert_near(sink_get(&s, "disk.free_bytes:/tmp"), 82275784.0 * 1024, 0);
	assert_near(sink_get(&s, "disk.total_bytes:/tmp"), 264212084.0 * 1024, 0);
	assert_int_equal(sink_count(&s, "disk.used_pct"), 1);
	/* Rates between frames 2 and 3, timed by the host's uptime (1.03 s):
	 * 84 user, 82 system, 1 idle, 32 iowait, 7 softirq ticks. */
	assert_near(sink_get(&s, "cpu.util"), 100.0 * (206 - 1 - 32) / 206, 1e-9);
	assert_near(sink_get(&s, "cpu.iowait"), 100.0 * 32 / 206, 1e-9);
	assert_near(sink_get(&s, "cpu.steal"), 0, 0);
	assert_near(sink_get(&s, "disk.read_bps"), 0, 0);
	assert_near(sink_get(&s, "disk.write_bps"), (497760368.0 - 497092808) * 512 / 1.03, 1e-3);
	assert_near(sink_get(&s, "net.rx_bps"), 0, 0);
	assert_near(sink_get(&s, "net.tx_bps:eth0"), 0, 0);
	assert_false(isnan(sink_get(&s, "net.rx_bps:ifb0")));
	assert_true(isnan(sink_get(&s, "net.rx_bps:lo")));
	/* Rates need two frames: 2 of the 3 frames carry them. */
	assert_int_equal(sink_count(&s, "cpu.util"), 2);
	assert_int_equal(sink_count(&s, "uptime"), 3);
	sink_free(&s);
	linux_parser_free(p);
}

static void test_crafted_rates(void **state)
{
	(void)state;
	struct linux_parser *p = linux_parser_new("mc-1");
	struct sink s = { 0 };
	struct error err = { { 0 } };
	char *a = frame(1, 1000.00, 5000, 5000, 10000000, 5000000, 100, 1000);
	/* 1.00 s later by the host's clock: 100 busy and 100 idle ticks,
	 * 1 MB in, 0.5 MB out, 2000 sectors read, 4000 written. */
	char *b = frame(2, 1001.00, 5100, 5100, 11000000, 5500000, 2100, 5000);
	assert_int_equal(feed_str(p, a, &s, &err), 1);
	assert_false(sink_has_prefix(&s, "cpu."));
	assert_false(sink_has_prefix(&s, "net."));
	assert_false(sink_has_prefix(&s, "disk.read"));
	assert_near(sink_get(&s, "mem.total_bytes"), 8192000000.0, 0);
	assert_near(sink_get(&s, "mem.available_bytes"), 6144000000.0, 0);
	assert_near(sink_get(&s, "mem.used_pct"), 25, 1e-12);
	assert_near(sink_get(&s, "swap.used_pct"), 25, 1e-12);
	/* df rounds 33.3333% up to 34. */
	assert_near(sink_get(&s, "disk.used_pct"), 34, 0);
	assert_near(sink_get(&s, "disk.used_pct:/srv/game data"), 50, 0);
	assert_near(sink_get(&s, "disk.free_bytes:/srv/game data"), 1024000, 0);
	assert_near(sink_get(&s, "disk.total_bytes:/"), 1100000.0 * 1024, 0);
	assert_near(sink_get(&s, "procs.blocked"), 1, 0);
	sink_reset(&s);
	assert_int_equal(feed_str(p, b, &s, &err), 1);
	assert_near(sink_get(&s, "cpu.util"), 50, 1e-12);
	assert_near(sink_get(&s, "net.rx_bps"), 1000000, 1e-6);
	assert_near(sink_get(&s, "net.rx_bps:eth0"), 1000000, 1e-6);
	assert_near(sink_get(&s, "net.tx_bps"), 500000, 1e-6);
	assert_near(sink_get(&s, "net.rx_bps:eth1"), 0, 0);
	assert_true(isnan(sink_get(&s, "net.rx_bps:lo")));
	assert_near(sink_get(&s, "disk.read_bps"), 2000 * 512, 1e-6);
	assert_near(sink_get(&s, "disk.write_bps"), 4000 * 512, 1e-6);
	free(a);
	free(b);
	sink_free(&s);
	linux_parser_free(p);
}

/* Rates come from the host's uptime, not from when frames arrive. */
static void test_rates_use_host_clock(void **state)
{
	(void)state;
	struct linux_parser *p = linux_parser_new("mc-1");
	struct sink s = { 0 };
	struct error err = { { 0 } };
	char *a = frame(1, 500.00, 0, 0, 0, 0, 0, 0);
	char *b = frame(2, 502.50, 0, 0, 5000000, 0, 0, 0);
	assert_int_equal(feed_str(p, a, &s, &err), 1);
	usleep(10000);
	sink_reset(&s);
	assert_int_equal(feed_str(p, b, &s, &err), 1);
	assert_near(sink_get(&s, "net.rx_bps"), 2000000, 1e-6);
	/* No cpu time passed: no share to give, rather than 0/0. */
	assert_true(isnan(sink_get(&s, "cpu.util")));
	free(a);
	free(b);
	sink_free(&s);
	linux_parser_free(p);
}

static void feed_all(const char *text, size_t chunk, struct sink *s, int *frames, int *errors)
{
	struct linux_parser *p = linux_parser_new("mc-2");
	struct error err = { { 0 } };
	size_t len = strlen(text);
	*frames = *errors = 0;
	for (size_t i = 0; i < len; i += chunk) {
		size_t n = len - i < chunk ? len - i : chunk;
		int r = linux_parser_feed(p, text + i, n, sink_emit, s, &err);
		if (r < 0)
			(*errors)++;
		else
			*frames += r;
	}
	linux_parser_free(p);
}

static void test_split_feeding(void **state)
{
	(void)state;
	char *a = frame(1, 10.00, 10, 10, 0, 0, 0, 0);
	char *b = frame(2, 11.00, 30, 20, 1000, 2000, 8, 16);
	char *text = NULL;
	size_t tn = 0;
	FILE *m = open_memstream(&text, &tn);
	fprintf(m, "%s%s%s", real_frames, a, b);
	fclose(m);
	struct sink whole = { 0 };
	int frames, errors;
	feed_all(text, strlen(text), &whole, &frames, &errors);
	assert_int_equal(frames, 5);
	assert_int_equal(errors, 0);
	size_t chunks[] = { 1, 2, 3, 7, 64, 4095 };
	for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
		struct sink part = { 0 };
		feed_all(text, chunks[c], &part, &frames, &errors);
		assert_int_equal(frames, 5);
		assert_int_equal(errors, 0);
		assert_int_equal(part.n, whole.n);
		for (size_t i = 0; i < whole.n; i++) {
			assert_string_equal(part.v[i].name, whole.v[i].name);
			assert_memory_equal(&part.v[i].value, &whole.v[i].value, sizeof(double));
		}
		sink_free(&part);
	}
	sink_free(&whole);
	free(a);
	free(b);
	free(text);
}

static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	assert_non_null(at);
	char *out = malloc(strlen(text) - strlen(from) + strlen(to) + 1);
	assert_non_null(out);
	sprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

static void test_counter_reset(void **state)
{
	(void)state;
	struct linux_parser *p = linux_parser_new("mc-3");
	struct sink s = { 0 };
	struct error err = { { 0 } };
	char *a = frame(1, 90000.00, 900000, 900000, 90000000000ull, 80000000000ull, 9000000, 9000000);
	/* Rebooted: uptime and every counter start again. */
	char *b = frame(2, 30.00, 100, 200, 1000, 1000, 10, 10);
	char *c = frame(3, 31.00, 200, 300, 2000, 3000, 20, 30);
	/* eth0's rx counter wraps (32-bit on old drivers); tx and eth1 go on. */
	char *d = frame(4, 32.00, 300, 400, 500, 4000, 30, 40);
	assert_int_equal(feed_str(p, a, &s, &err), 1);
	sink_reset(&s);
	assert_int_equal(feed_str(p, b, &s, &err), 1);
	assert_false(sink_has_prefix(&s, "cpu."));
	assert_false(sink_has_prefix(&s, "net."));
	assert_false(sink_has_prefix(&s, "disk.read"));
	assert_false(sink_has_prefix(&s, "disk.write"));
	assert_near(sink_get(&s, "uptime"), 30, 0);
	sink_reset(&s);
	assert_int_equal(feed_str(p, c, &s, &err), 1);
	assert_near(sink_get(&s, "cpu.util"), 50, 1e-12);
	assert_near(sink_get(&s, "net.rx_bps"), 1000, 1e-9);
	assert_near(sink_get(&s, "disk.write_bps"), 20 * 512, 1e-9);
	sink_reset(&s);
	assert_int_equal(feed_str(p, d, &s, &err), 1);
	assert_true(isnan(sink_get(&s, "net.rx_bps:eth0")));
	assert_true(isnan(sink_get(&s, "net.rx_bps")));
	assert_near(sink_get(&s, "net.tx_bps:eth0"), 1000, 1e-9);
	assert_near(sink_get(&s, "net.tx_bps"), 1000, 1e-9);
	assert_near(sink_get(&s, "net.rx_bps:eth1"), 0, 0);
	/* Nothing emitted is ever negative. */
	for (size_t i = 0; i < s.n; i++)
		assert_true(s.v[i].value >= 0);
	/* One cpu field going back (a buggy iowait) skips the cpu shares only. */
	char *e = frame(5, 33.00, 400, 500, 600, 5000, 40, 50);
	char *e2 = replace(e, "stat cpu  400 0 0 500 0", "stat cpu  400 0 0 500 0 0 0 0");
	char *f = frame(6, 34.00, 500, 600, 700, 6000, 50, 60);
	char *f2 = replace(f, "stat cpu  500 0 0 600 0", "stat cpu  500 0 0 399 0");
	assert_int_equal(feed_str(p, e2, &s, &err), 1);
	sink_reset(&s);
	assert_int_equal(feed_str(p, f2, &s, &err), 1);
	assert_true(isnan(sink_get(&s, "cpu.util")));
	assert_near(sink_get(&s, "net.rx_bps"), 100, 1e-9);
	free(a), free(b), free(c), free(d), free(e), free(e2), free(f), free(f2);
	sink_free(&s);
	linux_parser_free(p);
}

static char *drop_lines(const char *text, const char *tag)
{
	char *out = malloc(strlen(text) + 64), *o = out;
	assert_non_null(out);
	for (const char *l = text; *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) + 1 : strlen(l);
		if (strncmp(l, tag, strlen(tag)) != 0) {
			memcpy(o, l, n);
			o += n;
		}
		l += n;
	}
	*o = '\0';
	return out;
}

static void test_missing_file(void **state)
{
	(void)state;
	struct linux_parser *p = linux_parser_new("mc-4");
	struct sink s = { 0 };
	struct error err = { { 0 } };
	char *a = frame(1, 10.00, 10, 10, 0, 0, 0, 0);
	char *b0 = frame(2, 11.00, 20, 20, 1000, 1000, 8, 8);
	char *b1 = drop_lines(b0, "netdev");
	char *b2 = drop_lines(b1, "meminfo");
	char *b = replace(b2, "end 2", "missing /proc/net/dev\nmissing /proc/meminfo\nend 2");
	assert_int_equal(feed_str(p, a, &s, &err), 1);
	sink_reset(&s);
	assert_int_equal(feed_str(p, b, &s, &err), 1);
	assert_false(sink_has_prefix(&s, "net."));
	assert_false(sink_has_prefix(&s, "mem."));
	assert_near(sink_get(&s, "cpu.util"), 50, 1e-12);
	assert_near(sink_get(&s, "disk.read_bps"), 8 * 512, 1e-9);
	assert_near(sink_get(&s, "disk.used_pct"), 34, 0);
	assert_true(isnan(sink_get(&s, "swap.used_pct")));
	free(a), free(b0), free(b1), free(b2), free(b);
	sink_free(&s);
	linux_parser_free(p);
}

static void test_garbage_between_frames(void **state)
{
	(void)state;
	struct linux_parser *p = linux_parser_new("mc-5");
	struct sink s = { 0 };
	struct error err = { { 0 } };
	char *a = frame(1, 10.00, 10, 10, 0, 0, 0, 0);
	char *b = frame(2, 11.00, 20, 20, 1000, 1000, 8, 8);
	/* What a chatty .bashrc or a half-dead pipe might leave between frames. */
	const char junk[] = "Welcome to mc-5!\n\n  end 1\nend 7\nuptime 5 5\n\x01\x02\xff\r\n"
			    "framework 1 2\n   frame 1 3\n";
	assert_int_equal(feed_str(p, junk, &s, &err), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(feed_str(p, a, &s, &err), 1);
	assert_int_equal(feed_str(p, junk, &s, &err), 0);
	sink_reset(&s);
	assert_int_equal(feed_str(p, b, &s, &err), 1);
	assert_near(sink_get(&s, "net.rx_bps"), 1000, 1e-9);
	/* Binary data with no newline at all stays bounded and harmless. */
	char *blob = malloc(100000);
	assert_non_null(blob);
	for (int i = 0; i < 100000; i++)
		blob[i] = (char)(i * 7 + 1) == '\n' ? 'x' : (char)(i * 7 + 1);
	assert_int_equal(linux_parser_feed(p, blob, 100000, sink_emit, &s, &err), 0);
	assert_int_equal(feed_str(p, "\n", &s, &err), 0);
	free(blob);
	/* Windows line ends from some odd shell are tolerated. */
	char *c = frame(3, 12.00, 30, 30, 2000, 2000, 16, 16);
	char *crlf = malloc(2 * strlen(c) + 1), *o = crlf;
	assert_non_null(crlf);
	for (const char *q = c; *q; q++) {
		if (*q == '\n')
			*o++ = '\r';
		*o++ = *q;
	}
	*o = '\0';
	sink_reset(&s);
	assert_int_equal(feed_str(p, crlf, &s, &err), 1);
	assert_near(sink_get(&s, "net.rx_bps"), 1000, 1e-9);
	free(a), free(b), free(c), free(crlf);
	sink_free(&s);
	linux_parser_free(p);
}

static void test_oversized_line_and_frame(void **state)
{
	(void)state;
	struct linux_parser *p = linux_parser_new("mc-6");
	struct sink s = { 0 };
	struct error err = { { 0 } };
	char *a = frame(1, 10.00, 10, 10, 0, 0, 0, 0);
	char *b = frame(2, 11.00, 20, 20, 1000, 1000, 8, 8);
	char *c = frame(3, 12.00, 30, 30, 2000, 2000, 16, 16);
	/* A 4096-byte line is allowed (an unknown tag, ignored); 4097 is not. */
	char *ok = malloc(4097 + 2), *long_line = malloc(5000 + 2);
	assert_non_null(ok);
	assert_non_null(long_line);
	memset(ok, 'a', 4096);
	strcpy(ok + 4096, "\n");
	memset(long_line, 'b', 5000);
	strcpy(long_line + 5000, "\n");
	char *a2 = replace(a, "procs 100\n", ok);
	assert_int_equal(feed_str(p, a2, &s, &err), 1);
	char *b2 = replace(b, "procs 100\n", long_line);
	sink_reset(&s);
	assert_int_equal(feed_str(p, b2, &s, &err), -1);
	assert_string_equal(err.msg, "mc-6: probe frame 2: line longer than 4096 bytes");
	assert_int_equal(s.n, 0);
	/* The next frame reads fine, its rates taken against frame 1. */
	assert_int_equal(feed_str(p, c, &s, &err), 1);
	assert_near(sink_get(&s, "net.rx_bps"), 1000, 1e-9);

	/* A frame past 256 KiB (a host with absurdly many interfaces, or a
	 * runaway) is dropped, and the one after it is read. */
	size_t cap = 300 * 1024;
	char *big = malloc(cap + 4096), *o = big;
	assert_non_null(big);
	o += sprintf(o, "frame 1 4\nuptime 13.00 1.00\n");
	for (int i = 0; (size_t)(o - big) < cap; i++)
		o += sprintf(o, "netdev veth%d: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n", i);
	sprintf(o, "end 4\n");
	sink_reset(&s);
	assert_int_equal(feed_str(p, big, &s, &err), -1);
	assert_string_equal(err.msg, "mc-6: probe frame 4: frame larger than 262144 bytes");
	assert_int_equal(s.n, 0);
	char *d = frame(5, 14.00, 40, 40, 4000, 4000, 32, 32);
	assert_int_equal(feed_str(p, d, &s, &err), 1);
	assert_near(sink_get(&s, "net.rx_bps"), 1000, 1e-9);
	free(a), free(b), free(c), free(d), free(a2), free(b2), free(ok), free(long_line), free(big);
	sink_free(&s);
	linux_parser_free(p);
}

static void test_truncated_then_good(void **state)
{
	(void)state;
	struct linux_parser *p = linux_parser_new("mc-7");
	struct sink s = { 0 };
	struct error err = { { 0 } };
	char *a = frame(1, 10.00, 10, 10, 0, 0, 0, 0);
	char *b = frame(2, 11.00, 20, 20, 1000, 1000, 8, 8);
	char *c = frame(3, 12.00, 30, 30, 2000, 2000, 16, 16);
	assert_int_equal(feed_str(p, a, &s, &err), 1);
	/* Frame 2 cut off after its netdev lines (the probe was killed). */
	char *half = strndup(b, (size_t)(strstr(b, "diskstats") - b));
	char *text = malloc(strlen(half) + strlen(c) + 1);
	assert_non_null(text);
	strcpy(text, half);
	strcat(text, c);
	sink_reset(&s);
	assert_int_equal(feed_str(p, text, &s, &err), -1);
	assert_string_equal(err.msg,
			    "mc-7: probe frame 2: truncated (a new frame began before its end)");
	/* Frame 3 still came through, its rates over the 2 s since frame 1. */
	assert_near(sink_get(&s, "net.rx_bps"), 1000, 1e-9);
	assert_near(sink_get(&s, "cpu.util"), 50, 1e-12);
	assert_int_equal(sink_count(&s, "uptime"), 1);
	/* A frame whose end does not match is dropped too. */
	char *d = frame(4, 13.00, 40, 40, 3000, 3000, 24, 24);
	char *d2 = replace(d, "end 4", "end 44");
	sink_reset(&s);
	assert_int_equal(feed_str(p, d2, &s, &err), -1);
	assert_string_equal(err.msg, "mc-7: probe frame 4: bad end line 'end 44'");
	assert_int_equal(s.n, 0);
	free(a), free(b), free(c), free(d), free(d2), free(half), free(text);
	sink_free(&s);
	linux_parser_free(p);
}

static void test_bad_lines(void **state)
{
	(void)state;
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
		{ "meminfo MemTotal:        8000000 kB", "meminfo MemTotal: x kB",
		  "mc-3: probe frame 41: bad meminfo line 'MemTotal: x kB'" },
		{ "uptime 41.00", "uptime -41.00", "mc-3: probe frame 41: bad uptime line '-41.00 100.00'" },
		{ "loadavg 0.50 0.25 0.10", "loadavg 0.50 nan 0.10",
		  "mc-3: probe frame 41: bad loadavg line '0.50 nan 0.10 2/100 1234'" },
		{ "stat cpu  10 0 0", "stat cpu  10 0 zero",
		  "mc-3: probe frame 41: bad stat line 'cpu  10 0 zero 10 0 0 0 0 0 0'" },
		{ "stat cpu  10 0 0 10 0 0 0 0 0 0", "stat cpu  10 0 0",
		  "mc-3: probe frame 41: bad stat line 'cpu  10 0 0'" },
		{ "netdev   eth1: 100 1 0 0 0 0 0 0 200", "netdev   eth1: 100 1 0 0 0 0 0 0 99999999999999999999",
		  "mc-3: probe frame 41: bad netdev line '  eth1: 100 1 0 0 0 0 0 0 99999999999999999999 1 0 0 0 0 0 0'" },
		{ "netdev   eth1:", "netdev   eth 1:", NULL },
		{ "diskstats    8 0 sda 10", "diskstats    8 0 sda -10", NULL },
		{ "df /dev/sda1 1100000 333333 666667 34%", "df /dev/sda1 lots", NULL },
		{ "procs 100", "procs many", "mc-3: probe frame 41: bad procs line 'procs many'" },
		{ "netdev   eth1: 100", "netdev   eth0: 100", "mc-3: probe frame 41: interface 'eth0' listed twice" },
		{ "frame 1 41", "frame 2 41", "mc-3: probe frame 41: probe format 2, expected 1 (a newer fleetop's probe?)" },
		{ "frame 1 41", "frame 1 x41", "mc-3: probe: bad frame line 'frame 1 x41'" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct linux_parser *p = linux_parser_new("mc-3");
		struct sink s = { 0 };
		struct error err = { { 0 } };
		char *good = frame(41, 41.00, 10, 10, 0, 0, 0, 0);
		char *bad = replace(good, cases[i].from, cases[i].to);
		int r = feed_str(p, bad, &s, &err);
		if (r != -1)
			fail_msg("case %zu: %d frames from '%s'", i, r, cases[i].to);
		if (cases[i].msg)
			assert_string_equal(err.msg, cases[i].msg);
		else
			assert_non_null(strstr(err.msg, "mc-3: probe frame 41: bad "));
		assert_int_equal(s.n, 0);
		/* And the parser reads the next good frame. */
		char *next = frame(42, 42.00, 20, 20, 1000, 1000, 8, 8);
		assert_int_equal(feed_str(p, next, &s, &err), 1);
		free(good), free(bad), free(next);
		sink_free(&s);
		linux_parser_free(p);
	}
}

static void test_old_kernels_and_disk_names(void **state)
{
	(void)state;
	struct linux_parser *p = linux_parser_new("old");
	struct sink s = { 0 };
	struct error err = { { 0 } };
	/* 2.6-era: no MemAvailable, 7 cpu fields, "eth0:123" without a space,
	 * 4-field partition lines, the /proc/net/dev headers left in. */
	const char *f1 =
		"frame 1 1\nuptime 100.00 50.00\nstat cpu  100 0 100 800 0 0 0\n"
		"meminfo MemTotal: 1000 kB\nmeminfo MemFree: 100 kB\nmeminfo Buffers: 50 kB\n"
		"meminfo Cached: 250 kB\nmeminfo SwapTotal: 0 kB\nmeminfo SwapFree: 0 kB\n"
		"netdev Inter-|   Receive                            |  Transmit\n"
		"netdev  face |bytes    packets errs drop fifo frame compressed multicast|bytes\n"
		"netdev   eth0:4294967000 1 0 0 0 0 0 0 1000 1 0 0 0 0 0 0\n"
		"diskstats 8 0 sda 1 0 100 0 1 0 100 0 0 0 0\n"
		"diskstats 8 1 sda1 1 100 1 100\n"
		"diskstats 259 0 nvme0n1 1 0 100 0 1 0 100 0 0 0 0\n"
		"diskstats 259 1 nvme0n1p1 1 0 100 0 1 0 100 0 0 0 0\n"
		"diskstats 179 0 mmcblk0 1 0 100 0 1 0 100 0 0 0 0\n"
		"diskstats 179 1 mmcblk0p2 1 0 100 0 1 0 100 0 0 0 0\n"
		"diskstats 202 1 xvda1 1 0 100 0 1 0 100 0 0 0 0\n"
		"diskstats 252 1 vda1 1 0 100 0 1 0 100 0 0 0 0\n"
		"diskstats 9 0 md0 1 0 100 0 1 0 100 0 0 0 0\n"
		"diskstats 253 0 dm-0 1 0 100 0 1 0 100 0 0 0 0\n"
		"diskstats 7 0 loop0 1 0 100 0 1 0 100 0 0 0 0\n"
		"end 1\n";
	const char *f2 =
		"frame 1 2\nuptime 102.00 50.00\nstat cpu  150 0 150 900 0 0 0\n"
		"meminfo MemTotal: 1000 kB\nmeminfo MemFree: 100 kB\nmeminfo Buffers: 50 kB\n"
		"meminfo Cached: 250 kB\nmeminfo SwapTotal: 0 kB\nmeminfo SwapFree: 0 kB\n"
		"netdev   eth0:4294968000 1 0 0 0 0 0 0 1000 1 0 0 0 0 0 0\n"
		"diskstats 8 0 sda 1 0 300 0 1 0 100 0 0 0 0\n"
		"diskstats 8 1 sda1 1 300 1 100\n"
		"diskstats 259 0 nvme0n1 1 0 500 0 1 0 100 0 0 0 0\n"
		"diskstats 259 1 nvme0n1p1 1 0 500 0 1 0 100 0 0 0 0\n"
		"diskstats 179 0 mmcblk0 1 0 100 0 1 0 100 0 0 0 0\n"
		"diskstats 179 1 mmcblk0p2 1 0 9999 0 1 0 100 0 0 0 0\n"
		"diskstats 202 1 xvda1 1 0 9999 0 1 0 100 0 0 0 0\n"
		"diskstats 252 1 vda1 1 0 9999 0 1 0 100 0 0 0 0\n"
		"diskstats 9 0 md0 1 0 9999 0 1 0 100 0 0 0 0\n"
		"diskstats 253 0 dm-0 1 0 9999 0 1 0 100 0 0 0 0\n"
		"diskstats 7 0 loop0 1 0 9999 0 1 0 100 0 0 0 0\n"
		"end 2\n";
	assert_int_equal(feed_str(p, f1, &s, &err), 1);
	assert_near(sink_get(&s, "mem.available_bytes"), 400 * 1024, 0);
	assert_near(sink_get(&s, "mem.used_pct"), 60, 1e-12);
	assert_near(sink_get(&s, "swap.used_pct"), 0, 0);
	sink_reset(&s);
	assert_int_equal(feed_str(p, f2, &s, &err), 1);
	assert_near(sink_get(&s, "cpu.util"), 50, 1e-12);
	assert_near(sink_get(&s, "net.rx_bps:eth0"), 500, 1e-9);
	/* sda +200 and nvme0n1 +400 sectors over 2 s; the rest are
	 * partitions, volumes or loops. */
	assert_near(sink_get(&s, "disk.read_bps"), 600 * 512 / 2.0, 1e-9);
	assert_near(sink_get(&s, "disk.write_bps"), 0, 0);
	sink_free(&s);
	linux_parser_free(p);
}

static void test_command(void **state)
{
	(void)state;
	char *c = linux_probe_command(1000, NULL, 0);
	assert_string_equal(c, "exec /bin/sh -s fleetop-probe 1 '/'");
	free(c);
	char *mounts[] = { "/", "/srv/game data", "/mnt/it's", "$(reboot)`id`\\" };
	c = linux_probe_command(500, mounts, 1);
	assert_string_equal(c, "exec /bin/sh -s fleetop-probe 0.5 '/'");
	free(c);
	c = linux_probe_command(1500, mounts, 4);
	assert_string_equal(c, "exec /bin/sh -s fleetop-probe 1.5 '/' '/srv/game data' "
			       "'/mnt/it'\\''s' '$(reboot)`id`\\'");
	free(c);
	c = linux_probe_command(60250, mounts, 0);
	assert_string_equal(c, "exec /bin/sh -s fleetop-probe 60.25 '/'");
	free(c);
	assert_non_null(strstr(linux_probe_script(), "frame 1 "));

	/* The quoting holds in a real shell: each mount arrives as one word,
	 * unchanged. A stand-in script on stdin prints its arguments. */
	c = linux_probe_command(2000, mounts, 4);
	char tmpl[] = "/tmp/fleetop-test-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	const char stub[] = "printf '<%s>\\n' \"$@\"\n";
	assert_int_equal(write(fd, stub, strlen(stub)), (ssize_t)strlen(stub));
	close(fd);
	char *cmd = NULL;
	size_t cn = 0;
	FILE *m = open_memstream(&cmd, &cn);
	fprintf(m, "%s < %s", c, tmpl);
	fclose(m);
	FILE *out = popen(cmd, "r");
	assert_non_null(out);
	char got[1024] = "";
	size_t n = fread(got, 1, sizeof got - 1, out);
	got[n] = '\0';
	pclose(out);
	unlink(tmpl);
	assert_string_equal(got, "<fleetop-probe>\n<2>\n</>\n</srv/game data>\n</mnt/it's>\n"
				 "<$(reboot)`id`\\>\n");
	free(cmd);
	free(c);
}

/* The real probe on this machine, through the real command line: what it
 * reports matches df and /proc/meminfo. */
static void test_df_parity(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/fleetop-probe-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	const char *script = linux_probe_script();
	assert_int_equal(write(fd, script, strlen(script)), (ssize_t)strlen(script));
	close(fd);
	char *mounts[] = { "/" };
	char *c = linux_probe_command(200, mounts, 1);
	char *cmd = NULL;
	size_t cn = 0;
	FILE *m = open_memstream(&cmd, &cn);
	fprintf(m, "%s < %s", c, tmpl);
	fclose(m);
	FILE *probe = popen(cmd, "r");
	assert_non_null(probe);
	struct linux_parser *p = linux_parser_new("local");
	struct sink s = { 0 };
	struct error err = { { 0 } };
	int frames = 0;
	char chunk[512];
	size_t n;
	while (frames < 2 && (n = fread(chunk, 1, sizeof chunk, probe)) > 0) {
		int r = linux_parser_feed(p, chunk, n, sink_emit, &s, &err);
		if (r < 0)
			fail_msg("%s", err.msg);
		frames += r;
	}
	/* Closing the pipe ends the probe at its next write (SIGPIPE). */
	pclose(probe);
	unlink(tmpl);
	assert_int_equal(frames, 2);

	FILE *df = popen("df -P /", "r");
	assert_non_null(df);
	char line[1024];
	double df_pct = -1;
	while (fgets(line, sizeof line, df)) {
		char fs[512];
		unsigned long long blocks, used, avail;
		int pct;
		if (sscanf(line, "%511s %llu %llu %llu %d%%", fs, &blocks, &used, &avail, &pct) == 5)
			df_pct = pct;
	}
	pclose(df);
	assert_true(df_pct >= 0);
	assert_near(sink_get(&s, "disk.used_pct"), df_pct, 1);
	assert_near(sink_get(&s, "disk.used_pct:/"), df_pct, 1);

	FILE *mi = fopen("/proc/meminfo", "r");
	assert_non_null(mi);
	double memtotal = -1;
	while (fgets(line, sizeof line, mi)) {
		unsigned long long kb;
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			memtotal = (double)kb * 1024;
	}
	fclose(mi);
	assert_near(sink_get(&s, "mem.total_bytes"), memtotal, 0);
	/* The second frame carried rates. */
	double util = sink_get(&s, "cpu.util");
	assert_true(util >= 0 && util <= 100);
	assert_false(isnan(sink_get(&s, "net.rx_bps")));
	assert_false(isnan(sink_get(&s, "disk.write_bps")));
	assert_true(sink_get(&s, "procs") > 1);
	free(c);
	free(cmd);
	sink_free(&s);
	linux_parser_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_frames),
		cmocka_unit_test(test_crafted_rates),
		cmocka_unit_test(test_rates_use_host_clock),
		cmocka_unit_test(test_split_feeding),
		cmocka_unit_test(test_counter_reset),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_garbage_between_frames),
		cmocka_unit_test(test_oversized_line_and_frame),
		cmocka_unit_test(test_truncated_then_good),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_old_kernels_and_disk_names),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_df_parity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
