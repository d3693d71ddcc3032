/* Locks beside a history file, one process a job across processes: an
 * flock on "<db>-<what>.lock", which the OS drops when its holder dies. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "store_private.h"

static int lock_take(struct store *s, const char *what, int how, int *lock_fd,
		     struct error *err)
{
	if (*lock_fd >= 0)
		return 1;
	if (!strcmp(s->path, ":memory:") || !*s->path)
		return 1; /* nobody else can see this history */
	char *path = xasprintf("%s-%s.lock", s->path, what);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		error_set(err, "cannot open %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	free(path);
	if (flock(fd, how | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return 0;
		return error_set(err, "cannot lock the %s of %s: %s", what, s->path, strerror(e));
	}
	*lock_fd = fd;
	return 1;
}

void store_unlock(int *lock_fd)
{
	if (*lock_fd >= 0)
		close(*lock_fd);
	*lock_fd = -1;
}

int store_lock(struct store *s, const char *what, int *lock_fd, struct error *err)
{
	return lock_take(s, what, LOCK_EX, lock_fd, err);
}

int store_lock_shared(struct store *s, const char *what, int *lock_fd, struct error *err)
{
	return lock_take(s, what, LOCK_SH, lock_fd, err);
}

bool store_lock_taken(struct store *s, const char *what, bool exclusively)
{
	int fd = -1;
	struct error err;
	if (lock_take(s, what, exclusively ? LOCK_SH : LOCK_EX, &fd, &err) != 0) {
		store_unlock(&fd); /* ours for a moment (or a history no other sees) */
		return false;
	}
	return true;
}

int store_lock_wait(struct store *s, const char *what, int64_t timeout_ms, int *lock_fd,
		    struct error *err)
{
	int64_t end = time_mono_ms() + timeout_ms;
	for (;;) {
		int rc = store_lock(s, what, lock_fd, err);
		if (rc != 0)
			return rc;
		if (time_mono_ms() >= end)
			return error_set(err, "%s: another fleetop held the %s lock for %llds; "
					 "is one stuck?", s->path, what,
					 (long long)(timeout_ms / 1000));
		usleep(5000);
	}
}
