/* The game-process probe's frames on a simulated host, line for line what
 * src/collect/game_probe.sh prints on a real one: the process found by
 * pid file, unit or name, its /proc/PID/stat line (52 fields, CPU ticks
 * growing with the game's share of the host's CPU), resident memory and
 * threads, and the world's size every so many frames. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "game.h"

const char *gsrv_game_name(enum sim_game g)
{
	return g == GAME_MINECRAFT ? "minecraft" : g == GAME_QUAKE ? "openarena" : "valheim";
}

const char *gsrv_process_name(enum sim_game g)
{
	return g == GAME_MINECRAFT ? "java" : g == GAME_QUAKE ? "ioq3ded" : "valheim_server.x86_64";
}

const char *gsrv_world_dir(enum sim_game g)
{
	return g == GAME_MINECRAFT ? "/srv/minecraft/world" :
	       g == GAME_QUAKE	   ? "/srv/openarena/world" :
				     "/srv/valheim/world";
}

static unsigned long long ull(double v)
{
	return v <= 0 ? 0 : (unsigned long long)floor(v);
}

/* Whether the probe's lookup finds the game: a pid file of the game's,
 * its unit, or its name as the kernel keeps it (comm: 15 bytes). Sets why
 * as the script words a miss. */
static bool probe_finds(const struct model_host *m, const struct gsrv_probe_args *a, char *why,
			size_t size)
{
	const char *game = gsrv_game_name(m->game), *proc = gsrv_process_name(m->game);
	if (*a->pidfile) {
		size_t n = strlen(a->pidfile);
		const char *base = strrchr(a->pidfile, '/');
		base = base ? base + 1 : a->pidfile;
		if (n > 4 && strcmp(a->pidfile + n - 4, ".pid") == 0 &&
		    (strstr(base, game) || strstr(base, proc) || strcmp(base, "server.pid") == 0))
			return true;
		snprintf(why, size, "cannot read pid file %s", a->pidfile);
		return false;
	}
	if (*a->unit) {
		if (strstr(a->unit, game))
			return true;
		snprintf(why, size, "unit %s has no running main process", a->unit);
		return false;
	}
	/* comm keeps 15 bytes; the script cuts the name it looks for alike. */
	size_t wl = strnlen(a->process, 15), cl = strnlen(proc, 15);
	if (wl == cl && memcmp(a->process, proc, wl) == 0)
		return true;
	snprintf(why, size, "no process named %s", a->process);
	return false;
}

/* The world's size in kB: a base of its own and steady growth (chunks
 * generated, saves, logs), never shrinking. */
static unsigned long long world_kb(const struct model_host *m)
{
	double f = (double)(model_hash(m->noise_seed ^ 71) >> 11) * 0x1.0p-53;
	double base = m->game == GAME_MINECRAFT ? 400e3 + 2.6e6 * f :
		      m->game == GAME_VALHEIM	? 20e3 + 180e3 * f :
						  36e3 + 10e3 * f;
	double per_s = m->game == GAME_MINECRAFT ? 0.6 : m->game == GAME_VALHEIM ? 0.05 : 0.001;
	return ull(base + per_s * m->uptime_s);
}

static bool world_exists(const struct model_host *m, const char *path)
{
	const char *w = gsrv_world_dir(m->game);
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	return n == strlen(w) && strncmp(path, w, n) == 0;
}

static void stat_line(struct buf *out, const struct model_host *m)
{
	unsigned long long pid = ull(m->game_pid), cpu = ull(m->game_cpu);
	double rss_kb = model_game_rss_kb(m);
	const char *proc = gsrv_process_name(m->game);
	bool java = m->game == GAME_MINECRAFT;
	double vsize = java ? rss_kb * 1024 * 1.6 + 4.2e9 : rss_kb * 1024 * 1.25 + 180e6;
	/* Fields 1-3, then 4-52 as the kernel prints them (fs/proc/array.c). */
	buf_printf(out, "stat %llu (%.15s) S 1 %llu %llu 0 -1 4194560", pid, proc, pid, pid);
	buf_printf(out, " %llu 0 %llu 0", ull(cpu * 2.1 + 9000 + rss_kb / 4), ull(cpu * 0.0004 + 60));
	buf_printf(out, " %llu %llu 0 0 20 0 %d 0 %llu", ull(m->game_cpu * 0.86),
		   ull(m->game_cpu * 0.14), model_game_threads(m), ull(m->game_start_s * 100));
	buf_printf(out, " %llu %llu 18446744073709551615", ull(vsize), ull(rss_kb / 4));
	buf_printf(out, " 94316511993856 94316511994773 140730898477024 0 0 0 0 4096 16796879 1 0 0 17");
	buf_printf(out, " %llu 0 0 %llu 0 0", pid % (unsigned long long)(m->ncores > 0 ? m->ncores : 1),
		   ull(cpu * 0.0002));
	buf_printf(out, " 94316512003440 94316512004160 94316533956608 140730898484913"
			" 140730898485102 140730898485102 140730898485223 0\n");
}

void gsrv_probe_frame(struct buf *out, const struct model_host *m, const struct gsrv_probe_args *a,
		      uint64_t n)
{
	buf_puts(out, "game-frame\nhz 100\n");
	unsigned long long c = ull(m->uptime_s * 100);
	buf_printf(out, "uptime %llu.%02llu\n", c / 100, c % 100);
	if (*a->pidfile || *a->unit || *a->process) {
		char why[300];
		if (probe_finds(m, a, why, sizeof why)) {
			buf_printf(out, "pid %llu\n", ull(m->game_pid));
			stat_line(out, m);
			buf_printf(out, "rss_kb %llu\nthreads %d\n", ull(model_game_rss_kb(m)),
				   model_game_threads(m));
		} else {
			buf_printf(out, "error %s\n", why);
		}
	}
	int64_t every = a->interval_ms > 0 ? a->world_interval_ms / a->interval_ms : 1;
	if (every < 1)
		every = 1;
	if (*a->world && n % (uint64_t)every == 0) {
		if (world_exists(m, a->world))
			buf_printf(out, "world_kb %llu\n", world_kb(m));
		else
			buf_printf(out, "world_error du: cannot access '%s': No such file or directory\n",
				   a->world);
	}
	buf_puts(out, "game-end\n");
}
