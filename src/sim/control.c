/* The simulator's control: a FIFO, DIR/control, to which tests and benches
 * write lines that make hosts misbehave on demand, at a known moment:
 *   cpu HOST PCT [SECONDS]   hold HOST's CPU at PCT% (for SECONDS, else on)
 *   cpu HOST auto            back to the model's own
 *   game HOST down [SECONDS] its game server stops answering (a crash)
 *   game HOST up             and answers again
 * HOST may be `*` for every host. Each change is printed on stdout with the
 * wall-clock ms at which it took effect ("control: cpu mc-eu-03 95 at
 * 1700000000123"), so a bench can time what follows from it. The model is
 * first brought up to now at the old rate, then counters integrate at the
 * new one: /proc/stat stays monotonic and the next frame shows the change
 * in proportion to the part of its interval it covers, as a real host's
 * would. A bad line costs a one-line warning and is ignored. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_private.h"

#define CONTROL_FILE "control"
#define CONTROL_MAX_LINE 1024
#define CONTROL_MAX_WORDS 8
#define CONTROL_MAX_FOR_MS (366 * 86400 * 1000LL)

/* A word from the line for a message: printable ASCII only, cut short. */
static const char *shown(const char *w, char *out, size_t size)
{
	size_t n = 0;
	for (; *w && n + 1 < size; w++)
		out[n++] = *w > ' ' && *w < 127 ? *w : '?';
	out[n] = '\0';
	return out;
}

void sim_said(const char *kind, const char *what)
{
	/* stdout is a pipe or a file for benches: flush each line at once. */
	printf("%s: %s at %lld\n", kind, what, (long long)time_wall_ms());
	fflush(stdout);
}

static void cpu_expire(struct loop *loop, void *arg)
{
	struct sim_host *h = arg;
	(void)loop;
	h->cpu_timer = 0;
	sim_host_model(h); /* the forced rate up to now */
	h->model.cpu_forced = false;
	char what[64];
	snprintf(what, sizeof what, "cpu %s auto", h->name);
	sim_said("control", what);
}

/* on: hold at util (0..1) for for_ms (0: until told); off: the model's. */
static void cpu_set(struct sim_host *h, bool on, double util, int64_t for_ms, const char *text)
{
	struct sim *s = h->sim;
	if (!on && !h->model.cpu_forced)
		return;
	sim_host_model(h); /* the old rate up to now */
	if (h->cpu_timer) {
		loop_timer_del(s->loop, h->cpu_timer);
		h->cpu_timer = 0;
	}
	h->model.cpu_forced = on;
	h->model.cpu_forced_util = util;
	if (on && for_ms > 0)
		h->cpu_timer = loop_timer_add(s->loop, for_ms, cpu_expire, h);
	char what[128];
	snprintf(what, sizeof what, "cpu %s %s", h->name, text);
	sim_said("control", what);
}

static bool parse_pct(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v))
		return false;
	if (*end == '%')
		end++;
	if (*end || v < 0 || v > 100)
		return false;
	*out = v;
	return true;
}

/* "30" (seconds), or a duration with units ("1500ms", "2m"). */
static bool parse_for(const char *s, int64_t *out_ms)
{
	size_t n = strlen(s);
	int64_t ms;
	if (n && s[n - 1] >= '0' && s[n - 1] <= '9') {
		char *end;
		errno = 0;
		double v = strtod(s, &end);
		if (end == s || *end || errno || !isfinite(v) || v * 1000 > (double)CONTROL_MAX_FOR_MS)
			return false;
		ms = (int64_t)llround(v * 1000);
	} else if (parse_duration_ms(s, &ms) < 0 || ms > CONTROL_MAX_FOR_MS) {
		return false;
	}
	if (ms <= 0)
		return false;
	*out_ms = ms;
	return true;
}

/* HOST: *only its index, or -1 for `*` (every host). */
static int host_arg(const struct sim *s, const char *word, int *only, struct error *err)
{
	char shown_word[40];
	*only = -1;
	if (strcmp(word, "*") == 0)
		return 0;
	for (int i = 0; i < s->nhosts; i++) {
		if (strcmp(s->hosts[i].name, word) == 0) {
			*only = i;
			return 0;
		}
	}
	return error_set(err, "no host %s", shown(word, shown_word, sizeof shown_word));
}

static int cpu_cmd(struct sim *s, char **w, int n, struct error *err)
{
	if (n < 3 || n > 4)
		return error_set(err, "want `cpu HOST PCT [SECONDS]` or `cpu HOST auto`");
	int only;
	char word[40];
	if (host_arg(s, w[1], &only, err) < 0)
		return -1;
	bool on = strcmp(w[2], "auto") != 0;
	double pct = 0;
	int64_t for_ms = 0;
	if (!on && n == 4)
		return error_set(err, "`cpu HOST auto` takes no duration");
	if (on && !parse_pct(w[2], &pct))
		return error_set(err, "CPU %s: want auto or a percentage from 0 to 100",
				 shown(w[2], word, sizeof word));
	if (n == 4 && !parse_for(w[3], &for_ms))
		return error_set(err, "duration %s: want seconds (e.g. 30, 1.5 or 2m)",
				 shown(w[3], word, sizeof word));
	char text[64];
	if (!on)
		snprintf(text, sizeof text, "auto");
	else if (for_ms)
		snprintf(text, sizeof text, "%g for %gs", pct, (double)for_ms / 1000);
	else
		snprintf(text, sizeof text, "%g", pct);
	for (int i = 0; i < s->nhosts; i++)
		if (only < 0 || i == only)
			cpu_set(&s->hosts[i], on, pct / 100, for_ms, text);
	return 0;
}

static void game_set(struct sim_host *h, bool up, int64_t for_ms);

static void game_expire(struct loop *loop, void *arg)
{
	struct sim_host *h = arg;
	(void)loop;
	h->game_timer = 0;
	game_set(h, true, 0);
}

/* Stops or restarts a host's game server; a host that is off the network
 * gets it back with the network. */
static void game_set(struct sim_host *h, bool up, int64_t for_ms)
{
	struct sim *s = h->sim;
	struct error err;
	if (h->game_timer) {
		loop_timer_del(s->loop, h->game_timer);
		h->game_timer = 0;
	}
	if (up && h->game_stopped) {
		h->game_stopped = false;
		if (!h->down && sim_game_listen(h, &err) < 0)
			log_warn("%s", err.msg);
	} else if (!up && !h->game_stopped) {
		h->game_stopped = true;
		sim_game_unlisten(h);
	}
	if (!up && for_ms > 0)
		h->game_timer = loop_timer_add(s->loop, for_ms, game_expire, h);
	char what[96];
	if (!up && for_ms > 0)
		snprintf(what, sizeof what, "game %s down for %gs", h->name, (double)for_ms / 1000);
	else
		snprintf(what, sizeof what, "game %s %s", h->name, up ? "up" : "down");
	sim_said("control", what);
}

static int game_cmd(struct sim *s, char **w, int n, struct error *err)
{
	char word[40];
	if (n < 3 || n > 4 || (strcmp(w[2], "down") != 0 && strcmp(w[2], "up") != 0))
		return error_set(err, "want `game HOST down [SECONDS]` or `game HOST up`");
	bool up = strcmp(w[2], "up") == 0;
	int64_t for_ms = 0;
	if (up && n == 4)
		return error_set(err, "`game HOST up` takes no duration");
	if (n == 4 && !parse_for(w[3], &for_ms))
		return error_set(err, "duration %s: want seconds (e.g. 30, 1.5 or 2m)",
				 shown(w[3], word, sizeof word));
	int only;
	if (host_arg(s, w[1], &only, err) < 0)
		return -1;
	for (int i = 0; i < s->nhosts; i++)
		if ((only < 0 || i == only) && s->hosts[i].gs)
			game_set(&s->hosts[i], up, for_ms);
	return 0;
}

int sim_control_exec(struct sim *s, const char *line, struct error *err)
{
	if (strlen(line) > CONTROL_MAX_LINE)
		return error_set(err, "line too long");
	char copy[CONTROL_MAX_LINE + 1], *w[CONTROL_MAX_WORDS], *save = NULL;
	snprintf(copy, sizeof copy, "%s", line);
	char *hash = strchr(copy, '#');
	if (hash)
		*hash = '\0';
	int n = 0;
	for (char *t = strtok_r(copy, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == CONTROL_MAX_WORDS)
			return error_set(err, "too many words");
		w[n++] = t;
	}
	if (n == 0)
		return 0; /* blank or a comment */
	if (strcmp(w[0], "cpu") == 0)
		return cpu_cmd(s, w, n, err);
	if (strcmp(w[0], "game") == 0)
		return game_cmd(s, w, n, err);
	char word[40];
	return error_set(err, "unknown command %s (known: cpu, game)", shown(w[0], word, sizeof word));
}

/* One line that could not be run: said once, without echoing much of it. */
static void control_warn(const struct sim *s, const char *msg)
{
	log_warn("sim: %s/" CONTROL_FILE ": %s; line ignored", s->dir, msg);
}

static void on_control(struct loop *loop, int fd, int events, void *arg)
{
	struct sim *s = arg;
	char chunk[4096];
	ssize_t got;
	(void)loop, (void)events;
	while ((got = read(fd, chunk, sizeof chunk)) > 0) {
		buf_append(&s->control_in, chunk, (size_t)got);
		char *nl;
		while (s->control_in.len &&
		       (nl = memchr(s->control_in.data, '\n', s->control_in.len))) {
			size_t len = (size_t)(nl - s->control_in.data);
			struct error err;
			if (s->control_skip) {
				s->control_skip = false; /* the end of a line refused already */
			} else if (len > CONTROL_MAX_LINE) {
				control_warn(s, "line too long");
			} else {
				char line[CONTROL_MAX_LINE + 1];
				memcpy(line, s->control_in.data, len);
				line[len] = '\0';
				if (memchr(line, '\0', len))
					control_warn(s, "a NUL byte in the line");
				else if (sim_control_exec(s, line, &err) < 0)
					control_warn(s, err.msg);
			}
			buf_consume(&s->control_in, len + 1);
		}
		if (s->control_in.len > CONTROL_MAX_LINE) {
			/* No end in sight: refuse it now and drop the rest of it
			 * as it comes. */
			if (!s->control_skip)
				control_warn(s, "line too long");
			s->control_skip = true;
			buf_reset(&s->control_in);
		}
	}
}

void sim_control_open(struct sim *s)
{
	s->control_fd = -1;
	char *path = xasprintf("%s/" CONTROL_FILE, s->dir);
	struct stat st;
	int rc = lstat(path, &st);
	if (rc < 0 && errno == ENOENT && (rc = mkfifo(path, 0600)) == 0)
		rc = lstat(path, &st);
	if (rc < 0) {
		log_warn("sim: cannot make %s: %s; no control", path, strerror(errno));
	} else if (!S_ISFIFO(st.st_mode)) {
		log_warn("sim: %s is there and not a FIFO; no control", path);
	} else {
		/* Read and write: the sim holds a writer itself, so the FIFO never
		 * reads as ended when a writer goes, and writers never block. */
		s->control_fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (s->control_fd < 0)
			log_warn("sim: cannot open %s: %s; no control", path, strerror(errno));
		else
			loop_fd_add(s->loop, s->control_fd, LOOP_READ, on_control, s);
	}
	free(path);
}

void sim_control_close(struct sim *s)
{
	if (s->control_fd >= 0) {
		loop_fd_del(s->loop, s->control_fd);
		close(s->control_fd);
		s->control_fd = -1;
	}
	buf_free(&s->control_in);
	for (int i = 0; s->hosts && i < s->nhosts; i++) {
		if (s->hosts[i].cpu_timer)
			loop_timer_del(s->loop, s->hosts[i].cpu_timer);
		s->hosts[i].cpu_timer = 0;
		if (s->hosts[i].game_timer)
			loop_timer_del(s->loop, s->hosts[i].game_timer);
		s->hosts[i].game_timer = 0;
	}
}
