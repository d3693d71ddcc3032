/* Logging: one line per message with time and level. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fleetop/core.h"

static enum log_level log_level = LOG_WARN;
static FILE *log_file;

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
}
