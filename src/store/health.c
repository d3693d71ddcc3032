/* Health: what the store does when the history cannot be written (the
 * disk full, an I/O error). Samples wait in a bounded backlog, writes are
 * retried with backoff, and the change of state is said once each way, so
 * a full disk costs one log line, not one a sample. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "store_private.h"

#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 16000
/* A full disk lets some writes through (SQLite reuses room its WAL has, or
 * another process frees a little): an outage ends, and is said to, only
 * once writes have succeeded this long in a row. */
#define RECOVER_CONFIRM_MS 30000

const char *store_state_name(enum store_state st)
{
	switch (st) {
	case STORE_OK:
		return "ok";
	case STORE_FULL:
		return "full";
	default:
		return "error";
	}
}

static const char *code_name(int code)
{
	switch (code & 0xff) {
	case SQLITE_FULL:
		return "SQLITE_FULL";
	case SQLITE_IOERR:
		return "SQLITE_IOERR";
	case SQLITE_BUSY:
		return "SQLITE_BUSY";
	case SQLITE_LOCKED:
		return "SQLITE_LOCKED";
	case SQLITE_READONLY:
		return "SQLITE_READONLY";
	case SQLITE_CORRUPT:
		return "SQLITE_CORRUPT";
	case SQLITE_CANTOPEN:
		return "SQLITE_CANTOPEN";
	case SQLITE_NOMEM:
		return "SQLITE_NOMEM";
	default:
		return "SQLite error";
	}
}

/* "/var (0B free of 2.0MB)": the mount point holding path, found by
 * walking up while the device stays the same, and what statvfs says. */
static void fs_describe(const char *path, char *out, size_t size)
{
	char *copy = xstrdup(path), abs[PATH_MAX];
	if (!realpath(dirname(copy), abs)) {
		free(copy);
		snprintf(out, size, "the file system of %s", path);
		return;
	}
	free(copy);
	char mount[PATH_MAX];
	str_copy(mount, abs, sizeof mount);
	struct stat st, up;
	if (stat(abs, &st) == 0) {
		for (;;) {
			if (!strcmp(mount, "/"))
				break;
			char parent[PATH_MAX];
			str_copy(parent, mount, sizeof parent);
			char *slash = strrchr(parent, '/');
			if (slash == parent)
				slash[1] = 0;
			else if (slash)
				*slash = 0;
			if (stat(parent, &up) < 0 || up.st_dev != st.st_dev)
				break;
			str_copy(mount, parent, sizeof mount);
		}
	}
	struct statvfs vfs;
	if (statvfs(abs, &vfs) == 0) {
		char fr[16], tot[16];
		format_si((double)vfs.f_bavail * (double)vfs.f_frsize, fr, sizeof fr);
		format_si((double)vfs.f_blocks * (double)vfs.f_frsize, tot, sizeof tot);
		char *t = xasprintf("%s (%sB free of %sB)", mount, fr, tot);
		str_copy(out, t, size);
		free(t);
	} else {
		str_copy(out, mount, size);
	}
}

static bool is_full(int code, const char *msg)
{
	return (code & 0xff) == SQLITE_FULL || strstr(msg, sqlite3_errstr(SQLITE_FULL)) ||
	       strstr(msg, strerror(ENOSPC));
}

/* The message of a state, with today's counts. */
static void health_compose(struct store *s)
{
	char *m = s->health_msg;
	size_t size = sizeof s->health_msg;
	if (s->state == STORE_OK) {
		m[0] = 0;
		return;
	}
	int n;
	if (s->state == STORE_FULL)
		n = snprintf(m, size, "history %s: disk full (SQLITE_FULL) - %zu samples waiting, "
			     "the oldest dropped past %zu (%lld so far); free space on %s", s->path,
			     s->nbatch, s->opts.backlog_max, (long long)s->dropped_outage,
			     s->fs_where);
	else
		n = snprintf(m, size, "history %s: cannot write (%s: %s) - %zu samples waiting, "
			     "the oldest dropped past %zu (%lld so far); retrying", s->path,
			     code_name(s->fail_code), s->fail_msg, s->nbatch, s->opts.backlog_max,
			     (long long)s->dropped_outage);
	(void)n;
}

void store_fail(struct store *s, int64_t now_ms, int code, const char *msg)
{
	s->failures++;
	s->last_try_ms = now_ms;
	s->fail_code = code;
	/* The store's messages start with its path: say it once. */
	size_t plen = strlen(s->path);
	if (!strncmp(msg, s->path, plen) && !strncmp(msg + plen, ": ", 2))
		msg += plen + 2;
	str_copy(s->fail_msg, msg, sizeof s->fail_msg);
	enum store_state st = is_full(code, msg) ? STORE_FULL : STORE_ERROR;
	s->retry_delay_ms = s->state == STORE_OK ? RETRY_FIRST_MS
			  : s->retry_delay_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS
								   : s->retry_delay_ms * 2;
	s->retry_at_ms = now_ms + s->retry_delay_ms;
	if (st == s->state)
		return;
	/* Failing again soon after writes came back: the same outage. */
	bool again = s->state == STORE_OK && s->recovering_ms;
	if (s->state == STORE_OK && !again) {
		s->state_since_ms = now_ms;
		s->dropped_outage = 0;
	}
	s->recovering_ms = 0;
	s->state = st;
	if (st == STORE_FULL)
		fs_describe(s->path, s->fs_where, sizeof s->fs_where);
	health_compose(s);
	if (!again)
		log_error("%s", s->health_msg);
}

void store_recover(struct store *s, int64_t now_ms)
{
	if (s->state != STORE_OK) {
		/* Writing: ok now, but the outage ends when that lasts. */
		s->state = STORE_OK;
		s->recovering_ms = now_ms;
		s->retry_delay_ms = 0;
		s->retry_at_ms = 0;
		return;
	}
	if (!s->recovering_ms || now_ms - s->recovering_ms < RECOVER_CONFIRM_MS)
		return;
	int64_t secs = (s->recovering_ms - s->state_since_ms) / 1000;
	log_info("history %s: recovered, writing again after %llds (%s): the samples waiting "
		 "are stored, %lld were dropped", s->path, (long long)(secs > 0 ? secs : 0),
		 is_full(s->fail_code, s->fail_msg) ? "disk full" : code_name(s->fail_code),
		 (long long)s->dropped_outage);
	s->recovering_ms = 0;
	s->state_since_ms = now_ms;
	s->dropped_outage = 0;
}

bool store_may_try(const struct store *s, int64_t now_ms)
{
	/* A clock set back does not stop the retries. */
	return s->state == STORE_OK || now_ms >= s->retry_at_ms || now_ms < s->last_try_ms;
}

void store_backlog_make_room(struct store *s)
{
	size_t max = s->opts.backlog_max;
	if (s->nbatch < max)
		return;
	/* A sixteenth at once, so dropping costs one memmove per many samples. */
	size_t drop = max / 16 ? max / 16 : 1;
	if (drop > s->nbatch)
		drop = s->nbatch;
	memmove(s->batch, s->batch + drop, (s->nbatch - drop) * sizeof *s->batch);
	s->nbatch -= drop;
	s->dropped_total += (int64_t)drop;
	s->dropped_outage += (int64_t)drop;
}

void store_health(struct store *s, struct store_health *h)
{
	health_compose(s);
	*h = (struct store_health){
		.state = s->state,
		.message = s->health_msg,
		.since_ms = s->state == STORE_OK ? 0 : s->state_since_ms,
		.stored = s->committed_total,
		.waiting = (int64_t)s->nbatch,
		.waiting_max = (int64_t)s->opts.backlog_max,
		.dropped = s->dropped_total,
		.failures = s->failures,
		.next_try_ms = s->state == STORE_OK ? 0 : s->retry_at_ms,
	};
}

void store_files_private(const char *path)
{
	if (!*path || !strcmp(path, ":memory:") || str_starts_with(path, "file:"))
		return;
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		char *p = xasprintf("%s%s", path, suffixes[i]);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077)) {
			if (chmod(p, 0600) == 0)
				log_warn("history file %s was mode %04o, readable by others: now 0600",
					 p, (unsigned)(st.st_mode & 07777));
			else
				log_warn("history file %s is mode %04o, readable by others, and cannot "
					 "be changed (%s): chmod 600 it", p,
					 (unsigned)(st.st_mode & 07777), strerror(errno));
		}
		free(p);
	}
}
