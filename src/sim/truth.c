/* The simulator's ground truth (`fleetop sim --truth FILE`): once a second
 * of real time, a line a host with what its model really holds, so a
 * bench can tell an alert the fleet deserved from one it did not without
 * guessing what the daily cycle did. Every figure is the one the host
 * would show a probe that asked at that moment: CPU from the counters of
 * /proc/stat over the second just gone (the busy share, all but idle and
 * iowait), the 1m TPS the game's `tps` command answers, MemAvailable's
 * share used, df's Use% of /, whether the game server and the host answer
 * at all. A line (format in TRUTH_HEADER):
 *   1765148400123 mc-eu-04 clock=22:14:05 cpu=83.41 tps=17.62 mem=41.20 disk=38 game=up host=up players=54
 * tps is `-` where the game has no TPS (Quake, Valheim) or none answers. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "game.h"
#include "sim_private.h"

#define TRUTH_EVERY_MS 1000

#define TRUTH_HEADER                                                                          \
	"# fleetop sim ground truth: a line a host a second, as its model stands.\n"          \
	"# wall-clock-ms host clock=<model's UTC time> cpu=<busy % over the last second>\n" \
	"#   tps=<1m TPS, - if none> mem=<used %> disk=<df Use% of /> game=up|down|none\n"   \
	"#   host=up|down players=<N>\n"

struct sim_truth {
	FILE *f;
	char *path;
	uint64_t timer;
	int64_t next_ms;
	double (*prev)[CPU_NFIELDS]; /* each host's counters at the last line */
};

static void cpu_snapshot(const struct model_host *m, double *out)
{
	memcpy(out, m->cpu, sizeof m->cpu);
}

/* Busy share (percent) between two snapshots, as the probe's reader
 * computes it; -1 when no time passed. */
static double busy_pct(const double *a, const double *b)
{
	double total = 0, idle;
	for (int i = 0; i < CPU_NFIELDS; i++)
		total += b[i] - a[i];
	idle = (b[CPU_IDLE] - a[CPU_IDLE]) + (b[CPU_IOWAIT] - a[CPU_IOWAIT]);
	return total > 0 ? 100.0 * (total - idle) / total : -1;
}

/* df's Use% of /: used over what non-root may use, rounded up. */
static int root_use_pct(const struct model_host *m)
{
	int i = model_mount_for(m, "/");
	if (i < 0)
		return -1;
	const struct model_mount *mt = &m->mounts[i];
	double reserved = strcmp(mt->path, "/boot/efi") == 0 ? 0 : mt->size_kb * 0.05;
	unsigned long long used = (unsigned long long)mt->used_kb;
	unsigned long long avail = (unsigned long long)fmax(0, mt->size_kb - mt->used_kb - reserved);
	unsigned long long all = used + avail;
	return all ? (int)((used * 100 + all - 1) / all) : -1;
}

static void truth_line(struct sim_truth *t, struct sim_host *h, int64_t wall_ms, const char *clock)
{
	const struct model_host *m = sim_host_model(h);
	double *prev = t->prev[h->idx];
	double cpu = busy_pct(prev, m->cpu);
	cpu_snapshot(m, prev);
	bool has_game = h->query_port != 0;
	bool game_up = has_game && !h->game_stopped && !h->down;
	char tps[16] = "-";
	if (game_up && h->game == GAME_MINECRAFT) {
		struct gsrv_view v;
		sim_game_view(h, &v);
		snprintf(tps, sizeof tps, "%.2f", v.tps[0]);
	}
	double mem = m->mem_total_kb ?
			     100.0 * (double)(m->mem_total_kb - m->mem_avail_kb) / (double)m->mem_total_kb :
			     -1;
	fprintf(t->f, "%lld %s clock=%s cpu=%.2f tps=%s mem=%.2f disk=%d game=%s host=%s players=%d\n",
		(long long)wall_ms, h->name, clock, cpu, tps, mem, root_use_pct(m),
		!has_game ? "none" : game_up ? "up" : "down", h->down ? "down" : "up", m->players);
}

static void truth_tick(struct loop *loop, void *arg)
{
	struct sim *s = arg;
	struct sim_truth *t = s->truth;
	int64_t now = loop_now_ms(loop), wall = time_wall_ms();
	t->timer = 0;
	time_t day = (time_t)floor(model_sim_time(&s->clock, now));
	struct tm tm;
	char clock[16] = "?";
	if (gmtime_r(&day, &tm))
		strftime(clock, sizeof clock, "%H:%M:%S", &tm);
	for (int i = 0; i < s->nhosts; i++)
		truth_line(t, &s->hosts[i], wall, clock);
	if (fflush(t->f) != 0 || ferror(t->f)) {
		log_warn("sim: cannot write the ground truth to %s: %s; no more of it", t->path,
			 strerror(errno));
		return;
	}
	/* Keep to the second: a late tick does not push the rest later. */
	t->next_ms += TRUTH_EVERY_MS;
	if (t->next_ms <= now)
		t->next_ms = now + TRUTH_EVERY_MS;
	t->timer = loop_timer_add(loop, t->next_ms - now, truth_tick, s);
}

int sim_truth_open(struct sim *s, const char *path, struct error *err)
{
	FILE *f = fopen(path, "we");
	if (!f)
		return error_set(err, "sim: cannot write the ground truth to %s: %s", path,
				 strerror(errno));
	struct sim_truth *t = xcalloc(1, sizeof *t);
	t->f = f;
	t->path = xstrdup(path);
	t->prev = xcalloc((size_t)s->nhosts, sizeof *t->prev);
	for (int i = 0; i < s->nhosts; i++)
		cpu_snapshot(sim_host_model(&s->hosts[i]), t->prev[i]);
	fputs(TRUTH_HEADER, f);
	fflush(f);
	s->truth = t;
	t->next_ms = loop_now_ms(s->loop) + TRUTH_EVERY_MS;
	t->timer = loop_timer_add(s->loop, TRUTH_EVERY_MS, truth_tick, s);
	return 0;
}

void sim_truth_close(struct sim *s)
{
	struct sim_truth *t = s->truth;
	if (!t)
		return;
	if (t->timer)
		loop_timer_del(s->loop, t->timer);
	fclose(t->f);
	free(t->path);
	free(t->prev);
	free(t);
	s->truth = NULL;
}
