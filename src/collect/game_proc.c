/* The game-process probe: its command line and the parser of its frames
 * (src/collect/game_probe.sh). CPU is the process's ticks over the host's
 * own uptime between two frames, so a late frame does not read as a spike;
 * a new pid or start time (a restart) starts the rate over. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect_private.h"
#include "fleetop/ssh.h"
#include "game_probe_script.h"

#define FRAME_MAX_LINES 64
#define LINE_MAX_BYTES 4096
#define PROBE_MIN_INTERVAL_MS 500

struct game_proc_parser {
	char *host;
	struct buf line;        /* partial line */
	bool skipping;          /* an overlong line, dropped up to its newline */
	bool in_frame;
	int lines;
	bool frame_bad;
	char bad[200];
	/* The frame being read. */
	double hz, uptime;
	long long pid;
	bool have_stat;
	double ticks, start_ticks, stat_threads;
	double rss_kb, threads;
	bool have_rss, have_threads;
	double world_bytes;
	bool have_world;
	char error[200], world_error[200];
	/* The frame before, for the CPU rate. */
	long long prev_pid;
	double prev_ticks, prev_start, prev_uptime;
};

char *game_proc_command(int64_t interval_ms, int64_t world_interval_ms, const char *pidfile,
			const char *unit, const char *process, const char *world)
{
	if (interval_ms < PROBE_MIN_INTERVAL_MS)
		interval_ms = PROBE_MIN_INTERVAL_MS;
	if (world_interval_ms < interval_ms)
		world_interval_ms = interval_ms;
	const char *args[] = { pidfile, unit, process, world };
	struct buf b = { 0 };
	buf_printf(&b, "exec /bin/sh -s fleetop-gameprobe %lld %lld", (long long)interval_ms,
		   (long long)world_interval_ms);
	for (size_t i = 0; i < 4; i++) {
		char *q = shell_quote(args[i] ? args[i] : "");
		buf_printf(&b, " %s", q);
		free(q);
	}
	return b.data;
}

const char *game_proc_script(void)
{
	return game_probe_text;
}

struct game_proc_parser *game_proc_parser_new(const char *host)
{
	struct game_proc_parser *p = xcalloc(1, sizeof *p);
	p->host = xstrdup(host);
	p->prev_pid = -1;
	return p;
}

void game_proc_parser_free(struct game_proc_parser *p)
{
	if (!p)
		return;
	buf_free(&p->line);
	free(p->host);
	free(p);
}

static void frame_reset(struct game_proc_parser *p)
{
	p->lines = 0;
	p->frame_bad = false;
	p->bad[0] = '\0';
	p->hz = 0;
	p->uptime = -1;
	p->pid = -1;
	p->have_stat = p->have_rss = p->have_threads = p->have_world = false;
	p->error[0] = p->world_error[0] = '\0';
}

static void frame_refuse(struct game_proc_parser *p, const char *fmt, ...) FT_PRINTF(2, 3);
static void frame_refuse(struct game_proc_parser *p, const char *fmt, ...)
{
	if (p->frame_bad)
		return;
	p->frame_bad = true;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->bad, sizeof p->bad, fmt, ap);
	va_end(ap);
}

static bool number(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || v < 0)
		return false;
	while (*end == ' ')
		end++;
	if (*end)
		return false;
	*out = v;
	return true;
}

/* /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and
 * parentheses, so fields are counted from the last ')'. */
static bool parse_stat(struct game_proc_parser *p, const char *s)
{
	const char *close = strrchr(s, ')');
	if (!close)
		return false;
	double f[64];
	int n = 0;
	const char *q = close + 1;
	/* Field 3 (state) is a letter; count from there. */
	while (*q == ' ')
		q++;
	if (!*q)
		return false;
	q++;
	while (*q && n < 64) {
		while (*q == ' ')
			q++;
		if (!*q)
			break;
		char *end;
		f[n++] = strtod(q, &end);
		if (end == q)
			return false;
		q = end;
	}
	/* f[0] is field 4 (ppid): utime 14, stime 15, threads 20, starttime 22. */
	if (n < 19)
		return false;
	for (int i = 0; i < 19; i++)
		if (!isfinite(f[i]))
			return false;
	p->ticks = f[14 - 4] + f[15 - 4];
	p->stat_threads = f[20 - 4];
	p->start_ticks = f[22 - 4];
	return isfinite(p->ticks) && p->ticks >= 0 && p->start_ticks >= 0 && p->stat_threads >= 0;
}

static void frame_line(struct game_proc_parser *p, char *l)
{
	if (++p->lines > FRAME_MAX_LINES) {
		frame_refuse(p, "more than %d lines in a frame", FRAME_MAX_LINES);
		return;
	}
	char *v = strchr(l, ' ');
	if (v)
		*v++ = '\0';
	else
		v = l + strlen(l);
	double x;
	if (!strcmp(l, "hz")) {
		if (!number(v, &p->hz) || p->hz < 1 || p->hz > 100000)
			frame_refuse(p, "bad hz '%.20s'", v);
	} else if (!strcmp(l, "uptime")) {
		if (!number(v, &p->uptime))
			frame_refuse(p, "bad uptime '%.20s'", v);
	} else if (!strcmp(l, "pid")) {
		if (!number(v, &x) || x < 1 || x > 1e9)
			frame_refuse(p, "bad pid '%.20s'", v);
		else
			p->pid = (long long)x;
	} else if (!strcmp(l, "stat")) {
		if (!parse_stat(p, v))
			frame_refuse(p, "unreadable /proc/PID/stat line");
		else
			p->have_stat = true;
	} else if (!strcmp(l, "rss_kb")) {
		p->have_rss = number(v, &p->rss_kb);
	} else if (!strcmp(l, "threads")) {
		p->have_threads = number(v, &p->threads);
	} else if (!strcmp(l, "world_kb") || !strcmp(l, "world_bytes")) {
		if (number(v, &x)) {
			p->world_bytes = l[6] == 'k' ? x * 1024 : x;
			p->have_world = true;
		} else {
			snprintf(p->world_error, sizeof p->world_error, "world size unreadable");
		}
	} else if (!strcmp(l, "error")) {
		str_copy(p->error, v, sizeof p->error);
	} else if (!strcmp(l, "world_error")) {
		snprintf(p->world_error, sizeof p->world_error, "world size: %.150s", v);
	}
	/* Unknown keys: a newer probe; ignored. */
}

static int frame_end(struct game_proc_parser *p, metric_emit_fn emit, void *arg, char *note,
		     size_t note_size, struct error *err)
{
	if (p->frame_bad || (p->have_stat && (p->hz <= 0 || p->uptime < 0 || p->pid < 0))) {
		error_set(err, "%s: game probe: %s", p->host,
			  p->frame_bad ? p->bad : "stat without hz, uptime or pid");
		p->prev_pid = -1;
		return -1;
	}
	note[0] = '\0';
	if (p->have_stat) {
		emit(arg, "proc.up", 1);
		bool same = p->pid == p->prev_pid && p->start_ticks == p->prev_start;
		double dt = p->uptime - p->prev_uptime;
		double cpu = dt > 0 ? (p->ticks - p->prev_ticks) / p->hz / dt * 100.0 : -1;
		if (same && p->ticks >= p->prev_ticks && isfinite(cpu) && cpu >= 0)
			emit(arg, "proc.cpu", cpu);
		double up = p->uptime - p->start_ticks / p->hz;
		emit(arg, "proc.uptime", up > 0 ? up : 0);
		if (p->have_rss)
			emit(arg, "proc.rss_bytes", p->rss_kb * 1024);
		emit(arg, "proc.threads", p->have_threads ? p->threads : p->stat_threads);
		p->prev_pid = p->pid;
		p->prev_ticks = p->ticks;
		p->prev_start = p->start_ticks;
		p->prev_uptime = p->uptime;
	} else if (p->error[0]) {
		emit(arg, "proc.up", 0);
		snprintf(note, note_size, "%s", p->error);
		p->prev_pid = -1;
	}
	if (p->have_world)
		emit(arg, "game.world_bytes", p->world_bytes);
	else if (p->world_error[0] && !note[0])
		snprintf(note, note_size, "%s", p->world_error);
	return 1;
}

int game_proc_parser_feed(struct game_proc_parser *p, const char *data, size_t len,
			  metric_emit_fn emit, void *arg, char *note, size_t note_size,
			  struct error *err)
{
	int frames = 0;
	bool bad = false;
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		if (p->skipping || p->line.len + take > LINE_MAX_BYTES) {
			/* Drop the overlong line, and its frame. */
			if (p->in_frame)
				frame_refuse(p, "a line over %d bytes", LINE_MAX_BYTES);
			buf_reset(&p->line);
			p->skipping = true;
		} else {
			buf_append(&p->line, data, take);
		}
		if (!nl)
			break;
		data += take + 1;
		len -= take + 1;
		char *l = p->line.data ? p->line.data : "";
		if (p->skipping) {
			p->skipping = false;
		} else if (!strcmp(l, "game-frame")) {
			p->in_frame = true;
			frame_reset(p);
		} else if (!strcmp(l, "game-end")) {
			if (p->in_frame) {
				struct error e;
				if (frame_end(p, emit, arg, note, note_size, &e) < 0) {
					if (!bad)
						*err = e;
					bad = true;
				} else {
					frames++;
				}
			}
			p->in_frame = false;
		} else if (p->in_frame) {
			frame_line(p, l);
		}
		buf_reset(&p->line);
	}
	return bad ? -1 : frames;
}
