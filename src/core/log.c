/* Logging: one line per message with time and level. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fleetop/core.h"

static enum log_level log_level = LOG_WARN;
static FILE *log_file;
static int saved_stderr = -1;
static log_hook_fn log_hook;
static void *log_hook_arg;

#define LOG_ROTATE_BYTES (8L << 20)

void log_set_level(enum log_level level)
{
	log_level = level;
}

int log_set_file(const char *path, struct error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_set(err, "cannot open log file %s: %s", path, strerror(errno));
	FILE *f = fdopen(fd, "a");
	if (!f) {
		close(fd);
		return error_set(err, "cannot open log file %s: %s", path, strerror(errno));
	}
	setvbuf(f, NULL, _IOLBF, 0);
	if (log_file)
		fclose(log_file);
	log_file = f;
	return 0;
}

int log_capture_stderr(const char *path, struct error *err)
{
	struct stat st;
	if (stat(path, &st) == 0 && st.st_size > LOG_ROTATE_BYTES) {
		char old[4096];
		snprintf(old, sizeof old, "%s.1", path);
		rename(path, old); /* if it fails, the file just grows */
	}
	struct error nerr;
	int rc = log_set_file(path, err);
	if (rc < 0 && log_set_file("/dev/null", &nerr) < 0)
		return -1; /* stderr stays what it was */
	fflush(stderr);
	if (saved_stderr < 0)
		saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (dup2(fileno(log_file), STDERR_FILENO) < 0)
		return error_set(err, "cannot send stderr to %s: %s", path, strerror(errno));
	return rc;
}

void log_release_stderr(void)
{
	fflush(stderr);
	if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
	if (log_file)
		fclose(log_file);
	log_file = NULL;
}

void log_set_hook(log_hook_fn fn, void *arg)
{
	log_hook = fn;
	log_hook_arg = arg;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	if (level > log_level)
		return;
	FILE *out = log_file ? log_file : stderr;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(out, "%s fleetop %s: %s\n", stamp, names[level], line);
	if (log_hook) {
		log_hook_fn fn = log_hook;
		log_hook = NULL; /* a hook that logs does not recurse */
		fn(log_hook_arg, level, line);
		log_hook = fn;
	}
}
