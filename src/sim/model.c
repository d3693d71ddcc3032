/* The metrics model: players follow the region's day (low before dawn,
 * peak in the evening, more at weekends), and players drive CPU, memory,
 * network and disk. Everything random is a hash of (seed, host, time
 * bucket), so a seed gives the same fleet every run and noise is smooth
 * rather than white. Counters integrate rates over real time so they are
 * monotonic and their rates look like a real host's whatever time_scale. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model.h"

#define KIB 1024.0
#define MIB (1024.0 * 1024.0)
#define GIB_KB (1024.0 * 1024.0) /* a GiB in kB */
#define PID_MAX 4194304.0
#define LEAK_PERIOD_S (16 * 3600.0) /* simulated: the leak grows, the game restarts */

uint64_t model_hash(uint64_t x)
{
	/* splitmix64's finalizer: cheap and well mixed. */
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

struct rng {
	uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
	r->s += 0x9E3779B97F4A7C15ull;
	return model_hash(r->s);
}

static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static double rng_range(struct rng *r, double lo, double hi)
{
	return lo + (hi - lo) * rng_unit(r);
}

static int rng_pick(struct rng *r, const double *weights, int n)
{
	double total = 0, x;
	for (int i = 0; i < n; i++)
		total += weights[i];
	x = rng_unit(r) * total;
	for (int i = 0; i < n; i++) {
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return n - 1;
}

/* Smooth value noise in [-1, 1] with the given period (seconds). */
static double vnoise(uint64_t seed, double t, double period)
{
	double x = t / period, k = floor(x), f = x - k;
	int64_t ki = (int64_t)k;
	double a = (double)(model_hash(seed ^ model_hash((uint64_t)ki)) >> 11) * 0x1.0p-53;
	double b = (double)(model_hash(seed ^ model_hash((uint64_t)(ki + 1))) >> 11) * 0x1.0p-53;
	double s = f * f * (3 - 2 * f);
	return 2 * (a + (b - a) * s) - 1;
}

double model_noise(uint64_t seed, double t, double period)
{
	return vnoise(seed, t, period);
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

double model_sim_time(const struct model_clock *c, int64_t now_ms)
{
	return c->start_wall_s + (double)(now_ms - c->start_mono_ms) / 1000.0 * c->time_scale;
}

/* Exactly n ASCII digits at s (sscanf would also take blanks and signs). */
static bool fixed_digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* "HH:MM" or "HH:MM:SS", and nothing after: seconds into the day. */
static bool parse_hms(const char *s, int *secs)
{
	int hh, mm, ss = 0;
	size_t len = strlen(s);
	if ((len != 5 && len != 8) || s[2] != ':' || !fixed_digits(s, 2, &hh) ||
	    !fixed_digits(s + 3, 2, &mm))
		return false;
	if (len == 8 && (s[5] != ':' || !fixed_digits(s + 6, 2, &ss)))
		return false;
	if (hh > 23 || mm > 59 || ss > 59)
		return false;
	*secs = hh * 3600 + mm * 60 + ss;
	return true;
}

int model_clock_parse(const char *when, double today_s, double *start_s)
{
	int secs, y, mo, d;
	if (!when)
		return -1;
	if (parse_hms(when, &secs)) {
		*start_s = floor(today_s / 86400) * 86400 + secs;
		return 0;
	}
	if (strlen(when) < 11 || !fixed_digits(when, 4, &y) || when[4] != '-' ||
	    !fixed_digits(when + 5, 2, &mo) || when[7] != '-' || !fixed_digits(when + 8, 2, &d) ||
	    (when[10] != 'T' && when[10] != ' ') || !parse_hms(when + 11, &secs))
		return -1;
	if (y < 2000 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d };
	time_t t = timegm(&tm);
	struct tm back;
	if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != d)
		return -1; /* 2026-02-31 rolls over into March */
	*start_s = (double)t + secs;
	return 0;
}

int model_mount_for(const struct model_host *m, const char *path)
{
	int best = -1;
	size_t best_len = 0;
	if (!path || path[0] != '/')
		return -1;
	for (int i = 0; i < m->nmounts; i++) {
		const char *mp = m->mounts[i].path;
		size_t len = strlen(mp);
		bool match = strcmp(mp, "/") == 0 ||
			     (strncmp(path, mp, len) == 0 && (path[len] == '\0' || path[len] == '/'));
		if (match && (best < 0 || len > best_len)) {
			best = i;
			best_len = len;
		}
	}
	return best;
}

/* Rates and gauges at one instant. */
struct rates {
	int players;
	double util, iowait, steal;
	double game_cores; /* the game server's own share of the busy cores */
	double runnable;
	double eth_rx, eth_tx, lo_bytes;
	double game_wr, base_wr, rd;
	double mem_used_kb, swapped_kb, leak_kb;
	double used_pct[MODEL_MAX_MOUNTS];
};

/* Share of the day's peak crowd at local hour h: lowest at 05:00, highest
 * at 21:00, rising slowly through the day and falling faster at night. */
static double day_shape(double h)
{
	double p;
	if (h >= 5 && h < 21)
		p = (h - 5) / 16 * 0.5;
	else
		p = 0.5 + fmod(h - 21 + 24, 24) / 8 * 0.5;
	return 0.5 - 0.5 * cos(2 * M_PI * p);
}

static int players_at(const struct model_host *m, double t)
{
	double hours = t / 3600 + m->tz_offset_h;
	double h = fmod(hours, 24);
	if (h < 0)
		h += 24;
	long day = (long)floor(hours / 24);
	int dow = (int)(((day + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
	double occ = 0.04 + 0.92 * pow(day_shape(h), 1.3);
	if (dow == 0 || dow == 6)
		occ *= 1.12;
	occ *= 1 + 0.12 * vnoise(m->noise_seed ^ 11, t, 900);
	return (int)lround(m->max_players * clamp(occ, 0, 1));
}

/* Sawtooth in [0, 1) over period seconds, shifted by the host's phase. */
static double saw(uint64_t seed, double t, double period)
{
	double phase = (double)(model_hash(seed) >> 11) * 0x1.0p-53;
	double x = t / period + phase;
	return x - floor(x);
}

static void rates_at(const struct model_host *m, double t, double real_s, struct rates *r)
{
	uint64_t ns = m->noise_seed;
	memset(r, 0, sizeof *r);
	r->players = players_at(m, t);
	double jitter = 0.05 * vnoise(ns ^ 21, real_s, 4) + 0.03 * vnoise(ns ^ 22, real_s, 1.1);
	double game = 0.02 + r->players * m->cpu_per_player;
	if (m->game == GAME_MINECRAFT) /* chunk saves and GC: bursts now and then */
		game += 0.25 * r->players * m->cpu_per_player *
			fmax(0, vnoise(ns ^ 23, real_s, 17) - 0.4);
	double busy = 0.03 + 0.03 * m->ncores + game; /* the OS, the game */
	r->util = clamp(busy / m->ncores * (1 + jitter), 0.004, 0.985);
	r->game_cores = r->util * m->ncores * (game / busy);

	r->game_wr = r->players * (m->game == GAME_MINECRAFT ? 3000.0 : 900.0);
	r->base_wr = 18000 + 6000 * vnoise(ns ^ 24, real_s, 30);
	r->rd = 4096 * (1.5 + 0.04 * r->players) * (1 + 0.5 * vnoise(ns ^ 25, real_s, 9));
	double wr = r->game_wr + r->base_wr + (m->fills_disk ? 400000 : 0);
	r->iowait = clamp(0.0015 + wr / 3e8 + 0.001 * vnoise(ns ^ 26, real_s, 6), 0, 0.08);
	r->steal = m->steal_share * (0.5 + r->util);
	if (r->util + r->iowait + r->steal > 0.995) {
		double cut = 0.995 - r->iowait - r->steal;
		r->game_cores *= cut / r->util;
		r->util = cut;
	}
	if (m->cpu_forced) {
		/* Exactly the share asked for, as the probe computes it: steal
		 * counts as busy, iowait does not. */
		double f = clamp(m->cpu_forced_util, 0, 1);
		r->steal = fmin(r->steal, f);
		r->iowait = fmin(r->iowait, 1 - f);
		r->util = f - r->steal;
		r->game_cores = r->util * m->ncores * (game / busy);
	}
	r->runnable = r->util * m->ncores + r->iowait * m->ncores * 0.5;

	double pj = 1 + jitter;
	r->eth_rx = (900 + r->players * m->rx_per_player) * pj;
	r->eth_tx = (1400 + r->players * m->tx_per_player) * pj;
	r->lo_bytes = 250 + 40.0 * r->players;

	double os_kb = 380 * KIB + m->ncores * 30 * KIB;
	if (m->leaks) {
		double room = m->mem_total_kb * 0.96 -
			      (os_kb + m->game_base_kb + m->max_players * m->ram_per_player_kb);
		r->leak_kb = fmax(0, room) * saw(ns ^ 31, t, LEAK_PERIOD_S);
	}
	double used = os_kb + m->game_base_kb + r->players * m->ram_per_player_kb + r->leak_kb;
	used *= 1 + 0.015 * vnoise(ns ^ 32, real_s, 20);
	double cap = m->mem_total_kb * 0.95;
	if (used > cap) {
		r->swapped_kb = fmin(used - cap, m->swap_total_kb * 0.97);
		used = cap;
	}
	r->mem_used_kb = used;

	for (int i = 0; i < m->nmounts; i++) {
		const struct model_mount *mt = &m->mounts[i];
		double pct = mt->base_pct + 0.004 * vnoise(ns ^ (40 + (uint64_t)i), t, 7200);
		if (m->fills_disk && i == m->fill_mount) {
			/* Fills over most of the period, sits full for a while, then a
			 * cleanup brings it back. */
			double s = saw(ns ^ 33, t, 10 * 3600.0);
			pct = mt->base_pct + (0.995 - mt->base_pct) * fmin(1, s / 0.85);
		}
		r->used_pct[i] = clamp(pct, 0.001, 0.995);
	}
}

static void set_gauges(struct model_host *m, const struct rates *r, double t)
{
	double total = (double)m->mem_total_kb;
	m->players = r->players;
	m->util = r->util;
	m->game_cores = r->game_cores;
	m->leak_kb = (uint64_t)r->leak_kb;
	double buffers = fmin(total * 0.012, 350 * KIB) * (0.9 + 0.1 * vnoise(m->noise_seed ^ 51, t, 3600));
	double cached = (total - r->mem_used_kb - buffers) * (0.5 + 0.1 * vnoise(m->noise_seed ^ 52, t, 3600));
	double free_kb = total - r->mem_used_kb - buffers - cached;
	double floor_kb = total * 0.015;
	if (free_kb < floor_kb) {
		cached = fmax(0, cached - (floor_kb - free_kb));
		free_kb = total - r->mem_used_kb - buffers - cached;
	}
	m->buffers_kb = (uint64_t)buffers;
	m->cached_kb = (uint64_t)cached;
	m->mem_free_kb = (uint64_t)fmax(0, free_kb);
	m->mem_avail_kb = (uint64_t)fmin(total, fmax(0, free_kb + cached * 0.92 + buffers * 0.6));
	double swap_used = m->swap_total_kb ? m->swap_total_kb * 0.01 + r->swapped_kb : 0;
	m->swap_free_kb = (uint64_t)fmax(0, (double)m->swap_total_kb - swap_used);
	m->procs = 118 + m->ncores * 6 + (r->players > 0 ? 2 : 1) +
		   (int)lround(3 * vnoise(m->noise_seed ^ 53, t, 300));
	m->threads = m->procs + model_game_threads(m) + 2 * m->ncores;
	m->procs_running = (int)lround(fmin(m->ncores, r->util * m->ncores * 0.9) + 0.6);
	if (m->procs_running < 1)
		m->procs_running = 1;
	m->procs_blocked = r->iowait > 0.02 ? 1 : 0;
	for (int i = 0; i < m->nmounts; i++)
		m->mounts[i].used_kb = m->mounts[i].size_kb * r->used_pct[i];
}

/* Adds dt seconds at rates r to every counter. */
static void integrate(struct model_host *m, const struct rates *r, double dt)
{
	double jif = dt * 100.0 * m->ncores;
	double u = r->util;
	m->cpu[CPU_USER] += jif * u * 0.79;
	m->cpu[CPU_NICE] += jif * u * 0.012;
	m->cpu[CPU_SYSTEM] += jif * u * 0.145;
	m->cpu[CPU_IRQ] += jif * u * 0.008;
	m->cpu[CPU_SOFTIRQ] += jif * u * 0.045;
	m->cpu[CPU_IOWAIT] += jif * r->iowait;
	m->cpu[CPU_STEAL] += jif * r->steal;
	double idle = jif * fmax(0, 1 - u - r->iowait - r->steal);
	m->cpu[CPU_IDLE] += idle;
	m->idle_s += idle / 100.0;
	m->uptime_s += dt;
	m->game_cpu += dt * 100.0 * r->game_cores;

	double pkts = r->eth_rx / 110 + r->eth_tx / 260;
	m->ctxt += dt * (m->ncores * 600 + u * m->ncores * 4000 + pkts * 0.5);
	m->intr += dt * (m->ncores * 300 + pkts);
	double forks = dt * (0.6 + r->players * 0.002);
	m->forks += forks;
	m->last_pid = fmod(m->last_pid + forks - 300, PID_MAX - 300) + 300;

	const double tau[3] = { 60, 300, 900 };
	for (int i = 0; i < 3; i++) {
		double e = exp(-dt / tau[i]);
		m->load[i] = m->load[i] * e + r->runnable * (1 - e);
	}

	struct model_iface *lo = &m->ifaces[0], *eth = &m->ifaces[1];
	lo->stat[NET_RX_BYTES] += dt * r->lo_bytes;
	lo->stat[NET_TX_BYTES] += dt * r->lo_bytes;
	lo->stat[NET_RX_PACKETS] += dt * r->lo_bytes / 120;
	lo->stat[NET_TX_PACKETS] += dt * r->lo_bytes / 120;
	eth->stat[NET_RX_BYTES] += dt * r->eth_rx;
	eth->stat[NET_TX_BYTES] += dt * r->eth_tx;
	eth->stat[NET_RX_PACKETS] += dt * r->eth_rx / 110;
	eth->stat[NET_TX_PACKETS] += dt * r->eth_tx / 260;
	eth->stat[NET_RX_DROP] += dt * 0.002;
	eth->stat[NET_RX_MULTICAST] += dt * 0.05;

	/* Disk: the OS writes to the root disk, the game to the data disk if
	 * there is one; a filling mount writes what it grows by. */
	for (int d = 0; d < m->ndisks; d++) {
		double wr = (d == 0 ? r->base_wr : 0) + r->game_wr * (m->ndisks == 1 ? 1 : d == 1 ? 0.7 : 0.3);
		double rd = r->rd * (d == 0 ? 0.6 : 0.4) * (m->ndisks == 1 ? 1.6 : 1);
		double dc_sectors = 0;
		for (int i = 0; i < m->nmounts; i++) {
			struct model_mount *mt = &m->mounts[i];
			if (mt->disk != d)
				continue;
			double now_used = mt->size_kb * r->used_pct[i];
			double delta = now_used - mt->used_kb;
			if (delta > 0)
				wr += delta * KIB / dt;
			else
				dc_sectors += -delta * 2;
			mt->used_kb = now_used;
		}
		double *s = m->disks[d].stat;
		double wr_ios = dt * wr / (48 * KIB), rd_ios = dt * rd / (24 * KIB);
		s[DS_RD_IOS] += rd_ios;
		s[DS_RD_MERGES] += rd_ios * 0.25;
		s[DS_RD_SECTORS] += dt * rd / 512;
		s[DS_RD_MS] += rd_ios * 0.35;
		s[DS_WR_IOS] += wr_ios;
		s[DS_WR_MERGES] += wr_ios * 0.6;
		s[DS_WR_SECTORS] += dt * wr / 512;
		s[DS_WR_MS] += wr_ios * 1.1;
		s[DS_IO_MS] += fmin(dt * 1000, (rd_ios + wr_ios) * 0.5);
		s[DS_WEIGHTED_MS] += rd_ios * 0.35 + wr_ios * 1.1;
		if (dc_sectors > 0) {
			s[DS_DC_IOS] += dc_sectors / 4096 + 1;
			s[DS_DC_SECTORS] += dc_sectors;
			s[DS_DC_MS] += dc_sectors / 4096 * 2 + 1;
		}
		s[DS_FL_IOS] += wr_ios * 0.12;
		s[DS_FL_MS] += wr_ios * 0.12 * 0.7;
	}
}

int model_game_threads(const struct model_host *m)
{
	return m->game == GAME_MINECRAFT ? 48 + 2 * m->ncores : m->game == GAME_VALHEIM ? 34 : 4;
}

double model_game_rss_kb(const struct model_host *m)
{
	return m->game_base_kb + m->players * m->ram_per_player_kb + (double)m->leak_kb;
}

/* The leak's sawtooth (rates_at) restarts the game at each tooth: how
 * many teeth have passed at simulated time t, and when the last began. */
static int64_t leak_gen(const struct model_host *m, double t, double *began)
{
	const double period = LEAK_PERIOD_S;
	double phase = (double)(model_hash(m->noise_seed ^ 31) >> 11) * 0x1.0p-53;
	double k = floor(t / period + phase);
	if (began)
		*began = (k - phase) * period;
	return m->leaks ? (int64_t)k : 0;
}

/* A restart noticed at simulated time t (the host's uptime as of t):
 * the new process began when the tooth did, a little while ago. */
static void game_restart(struct model_host *m, const struct model_clock *clk, double t, int64_t gen)
{
	double began;
	leak_gen(m, t, &began);
	double ago = (t - began) / clk->time_scale;
	m->game_gen = gen;
	m->game_start_s = fmax(m->uptime_s - ago, m->uptime_s - 60);
	m->game_pid = m->last_pid + 1;
	m->last_pid = m->game_pid;
	m->game_cpu = (m->uptime_s - m->game_start_s) * 100 * m->game_cores;
}

void model_advance(struct model_host *m, const struct model_clock *clk, int64_t now_ms)
{
	struct rates r;
	if (m->last_ms != 0 && now_ms <= m->last_ms)
		return;
	if (m->last_ms == 0) {
		m->last_ms = now_ms;
		rates_at(m, model_sim_time(clk, now_ms), now_ms / 1000.0, &r);
		for (int i = 0; i < 3; i++)
			m->load[i] = r.runnable * (0.9 + 0.05 * i);
		set_gauges(m, &r, model_sim_time(clk, now_ms));
		return;
	}
	/* Long gaps (nobody asked for a while) go in steps, so a busy evening
	 * in the gap is not integrated at the quiet rate of its end. */
	int64_t span = now_ms - m->last_ms;
	int64_t step = span > 10000 ? (span / 1000 > 10000 ? span / 1000 : 10000) : span;
	int64_t t_ms = m->last_ms;
	while (t_ms < now_ms) {
		int64_t next = t_ms + step < now_ms ? t_ms + step : now_ms;
		double t = model_sim_time(clk, next);
		rates_at(m, t, next / 1000.0, &r);
		integrate(m, &r, (double)(next - t_ms) / 1000.0);
		t_ms = next;
		int64_t gen = leak_gen(m, t, NULL);
		if (gen != m->game_gen) {
			m->game_cores = r.game_cores;
			game_restart(m, clk, t, gen);
		}
	}
	m->last_ms = now_ms;
	set_gauges(m, &r, model_sim_time(clk, now_ms));
}

/* The game process as the sim finds it: started a while after boot (or at
 * the leak's last restart) and busy at a typical rate since. Drawn from
 * its own hash so the rest of the host's traits stay as they were. */
static void game_init(struct model_host *m, const struct model_clock *clk, int64_t now_ms,
		      double avg_players)
{
	double up = m->uptime_s, t = model_sim_time(clk, now_ms), began;
	double f = (double)(model_hash(m->noise_seed ^ 61) >> 11) * 0x1.0p-53;
	m->game_gen = leak_gen(m, t, &began);
	double start = m->leaks ? up - (t - began) / clk->time_scale : up * (0.05 + 0.85 * f);
	m->game_start_s = fmin(up, fmax(start, 25 + 40 * f));
	/* pids go up with forks: one started early has a low pid. */
	m->game_pid = floor(300 + (m->last_pid - 300) * m->game_start_s / up);
	m->game_cpu = (up - m->game_start_s) * 100 *
		      (0.02 + avg_players * m->cpu_per_player) * 0.9;
}

static void disk_names(struct model_host *m, int kind, int d)
{
	static const char *const roots[] = { "vda", "nvme0n1", "sda" };
	static const char *const datas[] = { "vdb", "nvme1n1", "sdb" };
	static const int majors[] = { 254, 259, 8 };
	struct model_disk *dk = &m->disks[d];
	snprintf(dk->name, sizeof dk->name, "%s", d == 0 ? roots[kind] : datas[kind]);
	dk->major = majors[kind];
	dk->minor = kind == 1 ? d * 3 : d * 16;
}

static void add_mount(struct model_host *m, int d, int partno, const char *path, double size_kb,
		      double pct, double share)
{
	struct model_mount *mt = &m->mounts[m->nmounts++];
	const struct model_disk *dk = &m->disks[d];
	bool nvme = strncmp(dk->name, "nvme", 4) == 0;
	char part[sizeof mt->part];
	snprintf(part, sizeof part, "%s%s%d", dk->name, nvme ? "p" : "", partno);
	memcpy(mt->part, part, sizeof part);
	snprintf(mt->dev, sizeof mt->dev, "/dev/%s", part);
	snprintf(mt->path, sizeof mt->path, "%s", path);
	mt->part_minor = dk->minor + partno;
	mt->size_kb = size_kb;
	mt->base_pct = pct;
	mt->used_kb = size_kb * pct;
	mt->part_share = share;
	mt->disk = d;
}

void model_host_init(struct model_host *m, uint64_t seed, int idx, enum sim_game game,
		     double tz_offset_h, const struct model_clock *clk, int64_t now_ms)
{
	struct rng r = { model_hash(seed ^ model_hash((uint64_t)idx + 1)) };
	bool leaks = m->leaks, fills = m->fills_disk; /* the caller picks the roles */
	memset(m, 0, sizeof *m);
	m->leaks = leaks;
	m->fills_disk = fills;
	m->game = game;
	m->tz_offset_h = tz_offset_h;
	m->noise_seed = rng_next(&r);

	static const int cores[] = { 2, 4, 8, 12, 16 };
	static const double w_mc[] = { 0.1, 0.35, 0.35, 0.1, 0.1 };
	static const double w_q3[] = { 0.5, 0.4, 0.1, 0, 0 };
	static const double w_vh[] = { 0.2, 0.6, 0.2, 0, 0 };
	const double *w = game == GAME_MINECRAFT ? w_mc : game == GAME_QUAKE ? w_q3 : w_vh;
	m->ncores = cores[rng_pick(&r, w, 5)];

	switch (game) {
	case GAME_MINECRAFT:
		m->max_players = (int)lround(m->ncores * rng_range(&r, 7, 13));
		m->game_base_kb = rng_range(&r, 1.0, 2.5) * GIB_KB;
		m->ram_per_player_kb = rng_range(&r, 35, 60) * KIB;
		m->tx_per_player = rng_range(&r, 18, 35) * KIB;
		m->rx_per_player = rng_range(&r, 3, 6) * KIB;
		break;
	case GAME_QUAKE: {
		static const int caps[] = { 12, 16, 24, 32 };
		m->max_players = caps[rng_next(&r) % 4];
		m->game_base_kb = rng_range(&r, 90, 160) * KIB;
		m->ram_per_player_kb = rng_range(&r, 2, 5) * KIB;
		m->tx_per_player = rng_range(&r, 9, 15) * KIB;
		m->rx_per_player = rng_range(&r, 4, 8) * KIB;
		break;
	}
	case GAME_VALHEIM:
		m->max_players = 10;
		m->game_base_kb = rng_range(&r, 2.0, 3.0) * GIB_KB;
		m->ram_per_player_kb = rng_range(&r, 90, 140) * KIB;
		m->tx_per_player = rng_range(&r, 30, 50) * KIB;
		m->rx_per_player = rng_range(&r, 8, 15) * KIB;
		break;
	}
	/* Sized so a full server uses ~70% of its cores, give or take: some
	 * hosts are comfortable, a few run hot at peak. */
	m->cpu_per_player = 0.72 * m->ncores / m->max_players * rng_range(&r, 0.75, 1.3);

	double need_kb = 400 * KIB + m->ncores * 30 * KIB + m->game_base_kb +
			 m->max_players * m->ram_per_player_kb;
	static const int rams[] = { 4, 8, 16, 32, 64 };
	int ri = 0;
	while (ri < 4 && rams[ri] * GIB_KB * 0.9 < need_kb * 1.5)
		ri++;
	if (ri < 4 && rng_unit(&r) < 0.3)
		ri++;
	m->ram_gib = rams[ri];
	m->mem_total_kb = (uint64_t)(m->ram_gib * GIB_KB * 0.972 - rng_range(&r, 20, 90) * KIB);
	double sw = rng_unit(&r);
	m->swap_total_kb = sw < 0.5 ? 0 : sw < 0.8 ? 1048572 : 2097148;
	m->steal_share = rng_unit(&r) < 0.3 ? rng_range(&r, 0.002, 0.02) : 0;
	m->boot_uptime_s = rng_range(&r, 0.3, 120) * 86400;

	static const double w_kind[] = { 0.5, 0.3, 0.2 };
	int kind = rng_pick(&r, w_kind, 3);
	m->ndisks = rng_unit(&r) < 0.4 ? 2 : 1;
	for (int d = 0; d < m->ndisks; d++)
		disk_names(m, kind, d);
	double root_kb = rng_range(&r, 40, 480) * GIB_KB;
	add_mount(m, 0, 1, "/", root_kb, rng_range(&r, 0.15, 0.6), 0.985);
	add_mount(m, 0, 15, "/boot/efi", 126976, 0.049, 0.0004);
	if (m->ndisks == 2)
		add_mount(m, 1, 1, "/srv", rng_range(&r, 200, 2000) * GIB_KB, rng_range(&r, 0.1, 0.55), 0.99);
	m->fill_mount = m->ndisks == 2 ? 2 : 0;
	if (m->fills_disk)
		m->mounts[m->fill_mount].base_pct = 0.35;
	m->nloops = rng_unit(&r) < 0.2 ? 2 : 0;

	static const char *const nics[] = { "eth0", "ens3", "enp1s0" };
	snprintf(m->ifaces[0].name, sizeof m->ifaces[0].name, "lo");
	snprintf(m->ifaces[1].name, sizeof m->ifaces[1].name, "%s", nics[rng_next(&r) % 3]);
	m->nifaces = 2;

	/* Counters as if the host had run at a typical load since boot. */
	double up = m->boot_uptime_s, avg = 0.3;
	double jif = up * 100 * m->ncores;
	m->uptime_s = up;
	m->cpu[CPU_USER] = jif * avg * 0.79;
	m->cpu[CPU_NICE] = jif * avg * 0.012;
	m->cpu[CPU_SYSTEM] = jif * avg * 0.145;
	m->cpu[CPU_IRQ] = jif * avg * 0.008;
	m->cpu[CPU_SOFTIRQ] = jif * avg * 0.045;
	m->cpu[CPU_IOWAIT] = jif * 0.003;
	m->cpu[CPU_STEAL] = jif * m->steal_share;
	m->cpu[CPU_IDLE] = jif * (1 - avg - 0.003 - m->steal_share);
	m->idle_s = m->cpu[CPU_IDLE] / 100;
	m->ctxt = up * m->ncores * 1800;
	m->intr = up * m->ncores * 700;
	m->forks = up * 0.8 + 900;
	m->last_pid = fmod(m->forks, PID_MAX - 300) + 300;
	double avg_players = m->max_players * 0.4;
	game_init(m, clk, now_ms, avg_players);
	m->ifaces[0].stat[NET_RX_BYTES] = m->ifaces[0].stat[NET_TX_BYTES] = up * (250 + 40 * avg_players);
	m->ifaces[0].stat[NET_RX_PACKETS] = m->ifaces[0].stat[NET_TX_PACKETS] = up * (250 + 40 * avg_players) / 120;
	m->ifaces[1].stat[NET_RX_BYTES] = up * (900 + avg_players * m->rx_per_player);
	m->ifaces[1].stat[NET_TX_BYTES] = up * (1400 + avg_players * m->tx_per_player);
	m->ifaces[1].stat[NET_RX_PACKETS] = m->ifaces[1].stat[NET_RX_BYTES] / 110;
	m->ifaces[1].stat[NET_TX_PACKETS] = m->ifaces[1].stat[NET_TX_BYTES] / 260;
	m->ifaces[1].stat[NET_RX_DROP] = up * 0.002;
	m->ifaces[1].stat[NET_RX_MULTICAST] = up * 0.05;
	for (int d = 0; d < m->ndisks; d++) {
		double *s = m->disks[d].stat;
		double wr = up * (d == 0 ? 20000 : avg_players * 1500), rd = up * 6000;
		s[DS_RD_IOS] = rd / (24 * KIB);
		s[DS_RD_MERGES] = s[DS_RD_IOS] * 0.25;
		s[DS_RD_SECTORS] = rd / 512;
		s[DS_RD_MS] = s[DS_RD_IOS] * 0.35;
		s[DS_WR_IOS] = wr / (48 * KIB);
		s[DS_WR_MERGES] = s[DS_WR_IOS] * 0.6;
		s[DS_WR_SECTORS] = wr / 512;
		s[DS_WR_MS] = s[DS_WR_IOS] * 1.1;
		s[DS_IO_MS] = (s[DS_RD_IOS] + s[DS_WR_IOS]) * 0.5;
		s[DS_WEIGHTED_MS] = s[DS_RD_MS] + s[DS_WR_MS];
		s[DS_FL_IOS] = s[DS_WR_IOS] * 0.12;
		s[DS_FL_MS] = s[DS_FL_IOS] * 0.7;
	}
	model_advance(m, clk, now_ms);
}
