/* Logging: one line per message with time and level. Errors and warnings
 * that repeat are rate limited (a flood of one message says so once, with
 * a count, instead of filling the disk), and a log file is moved aside to
 * .1 when it passes 8 MiB, while running too. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fleetop/core.h"

static enum log_level log_level = LOG_WARN;
static FILE *log_file;
static char *log_path;        /* of log_file, to rotate it; NULL when none */
static bool log_captured;     /* fd 2 points at log_file */
static int saved_stderr = -1;
static log_hook_fn log_hook;
static void *log_hook_arg;
static int64_t (*log_clock)(void) = time_mono_ms;

#define LOG_ROTATE_BYTES (8L << 20)

/* The limiter: a key is a message's level and text with its digits left
 * out ("mc-12: 300 samples" and "mc-3: 41 samples" are similar), so a
 * message repeating from one place with changing numbers or hosts is one
 * key. A key shows LOG_BURST lines a window; past that, lines are counted,
 * and the next window shows one line with the count. A key that flooded
 * the window before gets one line in the next, so a steady flood is a line
 * a window. */
#define LOG_SLOTS 64
#define LOG_BURST 10
#define LOG_WINDOW_MS 60000

struct log_slot {
	uint64_t key;          /* 0: free */
	int64_t window_start;
	unsigned shown;        /* lines shown in this window */
	unsigned allowed;      /* lines this window may show */
	uint64_t suppressed;   /* held back since the last line shown */
	enum log_level level;
	char last[512];        /* the last line held back, for the count line */
};
static struct log_slot log_slots[LOG_SLOTS];

void log_set_level(enum log_level level)
{
	log_level = level;
}

void log_set_clock(int64_t (*now_ms)(void))
{
	log_clock = now_ms ? now_ms : time_mono_ms;
	memset(log_slots, 0, sizeof log_slots);
}

/* Opens path for appending, 0600 whatever the umask; a file there already
 * with a wider mode (it holds host names, player names, alert texts) is
 * narrowed. *note says so, for the caller to log once the log is set. */
static FILE *log_open(const char *path, char *note, size_t note_size, struct error *err)
{
	note[0] = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		error_set(err, "cannot open log file %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077)) {
		if (fchmod(fd, 0600) == 0)
			snprintf(note, note_size, "log file %s was mode %04o, readable by others: "
				 "now 0600", path, (unsigned)(st.st_mode & 07777));
		else
			snprintf(note, note_size, "log file %s is mode %04o, readable by others, and "
				 "cannot be changed (%s): chmod 600 it", path,
				 (unsigned)(st.st_mode & 07777), strerror(errno));
	}
	FILE *f = fdopen(fd, "a");
	if (!f) {
		error_set(err, "cannot open log file %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

/* Moves a log file past LOG_ROTATE_BYTES to path.1 (the one there before
 * goes) and starts a new one; fd 2 follows when it points there. */
static void log_rotate_if_big(void)
{
	struct stat st;
	if (!log_file || !log_path || fstat(fileno(log_file), &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size <= LOG_ROTATE_BYTES)
		return;
	char old[4096], note[600];
	struct error err;
	snprintf(old, sizeof old, "%s.1", log_path);
	if (rename(log_path, old) < 0)
		return; /* it grows: better than losing lines */
	FILE *f = log_open(log_path, note, sizeof note, &err);
	if (!f)
		return; /* still writing to the moved file, which is at least kept */
	fflush(stderr);
	if (log_captured)
		dup2(fileno(f), STDERR_FILENO);
	fclose(log_file);
	log_file = f;
}

int log_set_file(const char *path, struct error *err)
{
	char note[600];
	FILE *f = log_open(path, note, sizeof note, err);
	if (!f)
		return -1;
	if (log_file)
		fclose(log_file);
	log_file = f;
	free(log_path);
	log_path = xstrdup(path);
	log_rotate_if_big(); /* one left big by an earlier run goes aside now */
	if (note[0])
		log_warn("%s", note);
	return 0;
}

int log_capture_stderr(const char *path, struct error *err)
{
	struct error nerr;
	int rc = log_set_file(path, err);
	if (rc < 0 && log_set_file("/dev/null", &nerr) < 0)
		return -1; /* stderr stays what it was */
	fflush(stderr);
	if (saved_stderr < 0)
		saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (dup2(fileno(log_file), STDERR_FILENO) < 0)
		return error_set(err, "cannot send stderr to %s: %s", path, strerror(errno));
	log_captured = true;
	return rc;
}

void log_release_stderr(void)
{
	log_report_suppressed(true);
	fflush(stderr);
	if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
	log_captured = false;
	if (log_file)
		fclose(log_file);
	log_file = NULL;
	free(log_path);
	log_path = NULL;
}

void log_set_hook(log_hook_fn fn, void *arg)
{
	log_hook = fn;
	log_hook_arg = arg;
}

static void log_write(enum log_level level, const char *line)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	FILE *out = log_file ? log_file : stderr;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(out, "%s fleetop %s: %s\n", stamp, names[level], line);
	log_rotate_if_big();
	if (log_hook) {
		log_hook_fn fn = log_hook;
		log_hook = NULL; /* a hook that logs does not recurse */
		fn(log_hook_arg, level, line);
		log_hook = fn;
	}
}

static uint64_t log_key(enum log_level level, const char *line)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)level;
	for (const char *p = line; *p; p++)
		if (*p < '0' || *p > '9')
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h ? h : 1;
}

static void slot_say_count(struct log_slot *sl)
{
	char line[700];
	snprintf(line, sizeof line, "%s (%llu similar message%s suppressed)", sl->last,
		 (unsigned long long)sl->suppressed, sl->suppressed == 1 ? "" : "s");
	sl->suppressed = 0;
	log_write(sl->level, line);
}

void log_report_suppressed(bool all)
{
	int64_t now = log_clock();
	for (int i = 0; i < LOG_SLOTS; i++) {
		struct log_slot *sl = &log_slots[i];
		if (!sl->key || !sl->suppressed)
			continue;
		if (!all && now - sl->window_start < LOG_WINDOW_MS)
			continue;
		slot_say_count(sl);
		if (!all) {
			/* The count line is this window's one line of a flood. */
			sl->window_start = now;
			sl->shown = sl->allowed = 1;
		}
	}
}

/* Whether line may be written now; it is counted when not. *count is set
 * to how many similar lines were held back before it (to say so). */
static bool log_allow(enum log_level level, const char *line, uint64_t *count)
{
	*count = 0;
	int64_t now = log_clock();
	uint64_t key = log_key(level, line);
	struct log_slot *sl = NULL, *oldest = &log_slots[0];
	for (int i = 0; i < LOG_SLOTS && !sl; i++) {
		if (log_slots[i].key == key)
			sl = &log_slots[i];
		else if (!log_slots[i].key || (oldest->key && log_slots[i].window_start < oldest->window_start))
			oldest = &log_slots[i];
	}
	if (!sl) {
		sl = oldest;
		if (sl->key && sl->suppressed)
			slot_say_count(sl);
		*sl = (struct log_slot){ .key = key, .window_start = now, .allowed = LOG_BURST,
					 .level = level };
	} else if (now - sl->window_start >= LOG_WINDOW_MS) {
		/* A flood in the window that ended gets one line now. */
		sl->allowed = sl->suppressed ? 1 : LOG_BURST;
		sl->window_start = now;
		sl->shown = 0;
	}
	if (sl->shown < sl->allowed) {
		sl->shown++;
		*count = sl->suppressed;
		sl->suppressed = 0;
		return true;
	}
	sl->suppressed++;
	str_copy(sl->last, line, sizeof sl->last);
	return false;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > log_level)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (level <= LOG_WARN) {
		uint64_t held;
		if (!log_allow(level, line, &held))
			return;
		if (held) {
			size_t len = strlen(line);
			snprintf(line + len, sizeof line - len, " (%llu similar message%s suppressed)",
				 (unsigned long long)held, held == 1 ? "" : "s");
		}
	}
	log_write(level, line);
}
