/* Time to build one frame of the console: tui_frame [HOSTS...]
 * (default 100 1000); the largest size is also drawn small and whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_private.h"

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void run(int nhosts, bool fleet_only, int rows, int cols)
{
	struct buf inv = { 0 };
	for (int g = 0; g < 10; g++) {
		buf_printf(&inv, "[group-%d]\n", g);
		for (int h = g; h < nhosts; h += 10)
			buf_printf(&inv, "host-%04d ansible_host=127.0.0.1\n", h);
	}
	struct fleet f;
	struct error err;
	if (fleet_load_string(&f, inv.data, "bench", &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	for (size_t h = 0; h < f.nhosts; h++) {
		host_set_state(&f.hosts[h], HOST_UP, FAULT_NONE, "%s", "");
		for (int i = 0; i < HOST_RING_LEN; i++) {
			host_set_metric(&f.hosts[h], "cpu.util", (double)((h + (size_t)i) % 100));
			host_set_metric(&f.hosts[h], "mem.used_pct", 50);
			host_set_metric(&f.hosts[h], "net.rx_bps", 1e6);
			host_set_metric(&f.hosts[h], "net.tx_bps", 2e6);
		}
		host_set_metric(&f.hosts[h], "disk.used_pct", 40);
	}
	enum { N = 300 };
	int64_t us[N];
	if (tui_bench_frames(&f, rows, cols, fleet_only, N, us, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	qsort(us, N, sizeof us[0], cmp);
	printf("  %5d hosts, %s, %dx%d: median %.2f ms, p99 %.2f ms per frame\n", nhosts,
	       fleet_only ? "fleet view" : "all panes", cols, rows, us[N / 2] / 1000.0,
	       us[N * 99 / 100] / 1000.0);
	fleet_free(&f);
	buf_free(&inv);
}

int main(int argc, char **argv)
{
	int sizes[16] = { 100, 1000 }, nsizes = 2;
	if (argc > 1) {
		nsizes = 0;
		for (int i = 1; i < argc && nsizes < 16; i++) {
			char *end;
			long n = strtol(argv[i], &end, 10);
			if (*end || n < 1 || n > 1000000) {
				fprintf(stderr, "tui_frame: '%s' is not a host count (1 to 1000000)\n", argv[i]);
				return 2;
			}
			sizes[nsizes++] = (int)n;
		}
	}
	printf("tui-frame: time to build and output one frame (target < 4 ms at 1000 hosts)\n");
	for (int i = 0; i < nsizes; i++)
		run(sizes[i], true, 50, 200);
	int largest = sizes[nsizes - 1];
	run(largest, true, 24, 80);
	run(largest, false, 50, 200);
	return 0;
}
