/* bench/alert-eval: what the alert engine costs per tick with 20 rules
 * (plain values, and avg/max/min/rate/delta/absent over 5 minutes) on 1000
 * hosts sending 10 metrics a second. Five minutes of 1 s samples fill the
 * windows first; then TICKS more ticks are timed, each after its second of
 * samples. Prints mean, median, p99 and max of alert_engine_tick, as a share
 * of the 1 s tick budget, against a reference timed in the same run: feeding
 * that second's samples (HOSTS x 10 alert_engine_sample calls), the least
 * the engine must do per second whatever its rules. Then a minute ticked
 * the way `fleetop collect` ticks (a tick at most every 200 ms after
 * samples: 5 a second when hosts' samples come spread over the second,
 * each on every rule and host): the engine's CPU per second. The history
 * is a real SQLite file (store_open), as in the engine. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleetop/alert.h"
#include "fleetop/fleet.h"
#include "fleetop/store.h"

#define NMETRICS 10

static const char *const metric_names[NMETRICS] = {
	"cpu.util", "cpu.iowait", "mem.used_pct", "disk.used_pct", "net.rx_bps",
	"net.tx_bps", "load.1", "game.players", "game.tps", "procs",
};

/* 20 rules: 7 on the latest value, 13 over a window (all windows 5m but
 * absent's 2m), as a real rules.conf mixes them. */
static const char rules_text[] =
	"[cpu_high]\nexpr = cpu.util > 80\nseverity = critical\nsummary = {host} CPU {value}%\n"
	"[cpu_avg]\nexpr = avg(cpu.util, 5m) > 85\nfor = 1m\nclear = avg(cpu.util, 5m) < 75\n"
	"[cpu_peak]\nexpr = max(cpu.util, 5m) > 99.5\n"
	"[iowait]\nexpr = avg(cpu.iowait, 5m) > 20\nfor = 30s\n"
	"[mem_high]\nexpr = mem.used_pct > 95\n"
	"[mem_avg]\nexpr = avg(mem.used_pct, 5m) > 90\nclear = avg(mem.used_pct, 5m) < 85\n"
	"[mem_leak]\nexpr = delta(mem.used_pct, 5m) > 25\nfor = 2m\n"
	"[disk_full]\nexpr = disk.used_pct > 90\nfor = 30s\n"
	"[disk_filling]\nexpr = rate(disk.used_pct, 5m) * 3600 > 10\n"
	"[net_rx]\nexpr = avg(net.rx_bps, 5m) > 500000000\n"
	"[net_tx_peak]\nexpr = max(net.tx_bps, 5m) > 900000000\n"
	"[net_total]\nexpr = (net.rx_bps + net.tx_bps) / 1000000 > 1500\n"
	"[load_high]\nexpr = load.1 > 32\n"
	"[load_avg]\nexpr = avg(load.1, 5m) > 24 and max(load.1, 5m) > 28\n"
	"[tps_low]\nexpr = avg(game.tps, 5m) < 18\nfor = 15s\nclear = avg(game.tps, 5m) > 19\n"
	"[tps_floor]\nexpr = min(game.tps, 5m) < 5\n"
	"[players_drop]\nexpr = delta(game.players, 5m) < -40\n"
	"[players_absent]\nexpr = absent(game.players, 2m)\nfor = 30s\n"
	"[busy_and_slow]\nexpr = cpu.util > 90 and game.tps < 15\n"
	"[procs_many]\nexpr = procs > 2000 or not (host.up == 1)\n";

static const char notify_text[] =
	"[receiver hook]\ntype = webhook\nurl = http://127.0.0.1:9/webhook\n"
	"[policy all]\ngroup_by = rule, host\ngroup_wait = 0s\ngroup_interval = 1s\nstep = hook\n";

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, int n, double p)
{
	int i = (int)ceil(p * n) - 1;
	return sorted[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

/* A metric's value on host h at second t: smooth enough to look like a
 * host, and 1 host in 100 runs hot (CPU, TPS) so some rules fire. */
static double value_at(int h, int m, int t)
{
	double noise = (double)(mix((uint64_t)h * 1000003u + (uint64_t)m * 7919u + (uint64_t)t) >> 11) *
		       0x1.0p-53;
	double phase = sin((t + h * 37) / 60.0);
	bool hot = h % 100 == 7;
	switch (m) {
	case 0: return hot ? 92 + 5 * noise : 35 + 20 * phase + 10 * noise;
	case 1: return 1 + 2 * noise;
	case 2: return 55 + 10 * phase + 2 * noise;
	case 3: return 40 + (h % 50) + 0.001 * t;
	case 4: return 2e7 * (1.2 + phase) * (1 + 0.1 * noise);
	case 5: return 6e7 * (1.2 + phase) * (1 + 0.1 * noise);
	case 6: return 2 + 2 * phase + noise;
	case 7: return floor(40 + 30 * phase);
	case 8: return hot ? 12 + 3 * noise : 19.5 + 0.5 * noise;
	default: return 300 + 20 * noise;
	}
}

int main(int argc, char **argv)
{
	int nhosts = argc > 1 ? atoi(argv[1]) : 1000;
	int ticks = argc > 2 ? atoi(argv[2]) : 300;
	const char *dir = argc > 3 ? argv[3] : "/tmp";
	int warm = 300; /* 5 minutes: every window full before timing */
	if (nhosts < 1 || ticks < 1) {
		fprintf(stderr, "usage: alert_eval [HOSTS] [TICKS] [DIR]\n");
		return 2;
	}
	struct error err;
	struct buf inv = { 0 };
	for (int h = 0; h < nhosts; h++) {
		if (h % 100 == 0)
			buf_printf(&inv, "[g%d]\n", h / 100);
		buf_printf(&inv, "host-%04d ansible_host=127.0.0.1\n", h);
	}
	struct fleet fleet;
	memset(&fleet, 0, sizeof fleet);
	if (fleet_load_string(&fleet, inv.data, "bench", &err) < 0) {
		fprintf(stderr, "fleet: %s\n", err.msg);
		return 1;
	}
	buf_free(&inv);
	for (size_t i = 0; i < fleet.nhosts; i++)
		fleet.hosts[i].state = HOST_UP;

	struct rule_set rs;
	memset(&rs, 0, sizeof rs);
	if (rules_load_string(&rs, rules_text, "bench-rules", &err) < 0) {
		fprintf(stderr, "rules: %s\n", err.msg);
		return 1;
	}
	struct notify_config nc;
	memset(&nc, 0, sizeof nc);
	if (notify_config_load_string(&nc, notify_text, "bench-notify", &err) < 0) {
		fprintf(stderr, "notify: %s\n", err.msg);
		return 1;
	}
	char *db = xasprintf("%s/bench-alerts.db", dir);
	unlink(db);
	struct store *st;
	if (store_open(&st, db, NULL, &err) < 0) {
		fprintf(stderr, "store: %s\n", err.msg);
		return 1;
	}
	int split_secs = ticks < 60 ? ticks : 60;
	int64_t base = time_wall_ms() - (int64_t)(warm + ticks + split_secs + 5) * 1000;
	struct alert_engine *ae = alert_engine_new(&fleet, st, base);
	if (alert_engine_set_rules(ae, &rs, &err) < 0) {
		fprintf(stderr, "rules: %s\n", err.msg);
		return 1;
	}
	alert_engine_set_notify(ae, &nc);

	double *tick_ms = calloc((size_t)ticks, sizeof *tick_ms);
	double *feed_ms = calloc((size_t)ticks, sizeof *feed_ms);
	long queued = 0, firing = 0;
	for (int t = 0; t < warm + ticks; t++) {
		int64_t ts = base + (int64_t)t * 1000;
		double f0 = now_ms();
		for (int h = 0; h < nhosts; h++)
			for (int m = 0; m < NMETRICS; m++)
				alert_engine_sample(ae, &fleet.hosts[h], metric_names[m], ts,
						    value_at(h, m, t));
		double f1 = now_ms();
		int n = alert_engine_tick(ae, ts + 50, &err);
		double f2 = now_ms();
		if (n < 0) {
			fprintf(stderr, "tick %d: %s\n", t, err.msg);
			return 1;
		}
		if (t >= warm) {
			feed_ms[t - warm] = f1 - f0;
			tick_ms[t - warm] = f2 - f1;
			queued += n;
		}
	}
	/* As `fleetop collect` ticks (src/cli/engine_alerts.c): samples come
	 * spread over the second; a changed-tick follows them at most every
	 * 50 ms and evaluates only the hosts that brought news (here a
	 * twentieth of them each time), and one full tick a second evaluates
	 * every rule on every host. */
	double *sec_ms = calloc((size_t)split_secs, sizeof *sec_ms);
	for (int s2 = 0; s2 < split_secs; s2++) {
		int t = warm + ticks + s2;
		for (int k = 0; k < 20; k++) {
			int64_t ts = base + (int64_t)t * 1000 + k * 50;
			for (int h = k; h < nhosts; h += 20)
				for (int m = 0; m < NMETRICS; m++)
					alert_engine_sample(ae, &fleet.hosts[h], metric_names[m], ts,
							    value_at(h, m, t));
			double f1 = now_ms();
			if (alert_engine_tick_changed(ae, ts + 20, &err) < 0 ||
			    (k == 19 && alert_engine_tick(ae, ts + 40, &err) < 0)) {
				fprintf(stderr, "tick: %s\n", err.msg);
				return 1;
			}
			sec_ms[s2] += now_ms() - f1;
		}
	}
	double sum_s = 0;
	for (int i = 0; i < split_secs; i++)
		sum_s += sec_ms[i];
	qsort(sec_ms, (size_t)split_secs, sizeof *sec_ms, cmp_double);

	const struct alert_info *open;
	size_t nopen = alert_engine_alerts(ae, &open);
	for (size_t i = 0; i < nopen; i++)
		firing += open[i].state == ALERT_FIRING;
	if (getenv("ALERT_EVAL_DEBUG"))
		for (size_t i = 0; i < nopen; i++)
			fprintf(stderr, "%s %s %g\n", open[i].rule, open[i].host, open[i].value);

	double sum_t = 0, sum_f = 0;
	for (int i = 0; i < ticks; i++) {
		sum_t += tick_ms[i];
		sum_f += feed_ms[i];
	}
	qsort(tick_ms, (size_t)ticks, sizeof *tick_ms, cmp_double);
	qsort(feed_ms, (size_t)ticks, sizeof *feed_ms, cmp_double);
	double mean_t = sum_t / ticks, mean_f = sum_f / ticks;
	double p99_t = pct(tick_ms, ticks, 0.99);
	printf("alert_engine_tick: %zu rules x %d hosts, %d metrics a host a second, windows full "
	       "(5m), %d ticks timed; %zu alerts open (%ld firing), %ld notifications queued while timed\n",
	       rs.n, nhosts, NMETRICS, ticks, nopen, firing, queued);
	printf("  tick:      mean %.3f ms, median %.3f ms, p99 %.3f ms, max %.3f ms\n", mean_t,
	       pct(tick_ms, ticks, 0.5), p99_t, tick_ms[ticks - 1]);
	printf("  budget:    mean %.2f%%, p99 %.2f%% of the 1 s tick (one core)\n", mean_t / 10,
	       p99_t / 10);
	printf("  reference: feeding the second's %d samples (alert_engine_sample): mean %.3f ms, "
	       "median %.3f ms, p99 %.3f ms\n", nhosts * NMETRICS, mean_f, pct(feed_ms, ticks, 0.5),
	       pct(feed_ms, ticks, 0.99));
	printf("  tick / feed = %.2f (mean), %.1f ns a rule a host\n",
	       mean_f > 0 ? mean_t / mean_f : 0.0, mean_t * 1e6 / ((double)rs.n * nhosts));

	printf("  as collect ticks (20 changed-ticks a second on the hosts with new samples, "
	       "1 full tick; %d s):\n", split_secs);
	printf("             %.3f ms of ticks a second (mean), p99 %.3f ms = %.1f%% of one core\n",
	       sum_s / split_secs, pct(sec_ms, split_secs, 0.99), sum_s / split_secs / 10);
	free(sec_ms);

	alert_engine_free(ae);
	store_close(st);
	unlink(db);
	free(db);
	notify_config_free(&nc);
	rules_free(&rs);
	fleet_free(&fleet);
	free(tick_ms);
	free(feed_ms);
	return 0;
}
