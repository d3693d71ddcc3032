/* Whole-file reads and atomic writes. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleetop/core.h"

/* A name no other process can guess: pid and 64 random bits (from the
 * kernel; the program's generator while the kernel has none to give). */
static char *temp_name(const char *path)
{
	uint64_t r;
	if (random_bytes(&r, sizeof r) < 0)
		r = random_u64();
	return xasprintf("%s.tmp.%ld.%016llx", path, (long)getpid(), (unsigned long long)r);
}

/* The folder holding path, synced so the rename itself survives a crash. */
static int sync_dir_of(const char *path, struct error *err)
{
	char *copy = xstrdup(path);
	char *dir = dirname(copy);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;
	if (fd < 0 || fsync(fd) < 0)
		rc = error_set(err, "cannot sync directory %s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int file_write_atomic_sync(const char *path, const void *data, size_t len, int mode, bool sync,
			   struct error *err)
{
	/* O_EXCL|O_NOFOLLOW on a fresh random name: a link or file planted
	 * in the folder beforehand is refused, never written through. */
	char *tmp = NULL;
	int fd = -1;
	for (int tries = 0; tries < 8 && fd < 0; tries++) {
		free(tmp);
		tmp = temp_name(path);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		error_set(err, "cannot create %s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	/* open() honours umask; a secret file must be exactly mode. */
	fchmod(fd, (mode_t)mode);
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, "cannot write %s: %s", tmp, strerror(errno));
			goto fail;
		}
		p += n;
		left -= (size_t)n;
	}
	if (sync && fsync(fd) < 0) {
		error_set(err, "cannot sync %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		error_set(err, "cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		error_set(err, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail;
	}
	free(tmp);
	return sync ? sync_dir_of(path, err) : 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int file_write_atomic(const char *path, const void *data, size_t len, int mode, struct error *err)
{
	return file_write_atomic_sync(path, data, len, mode, true, err);
}

/* Reads fd to its end and closes it. */
static int read_fd(int fd, const char *path, char **out, size_t *len, struct error *err)
{
	struct buf b = { 0 };
	char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error_set(err, "cannot read %s: %s", path, strerror(errno));
			close(fd);
			buf_free(&b);
			return -1;
		}
		if (n == 0)
			break;
		buf_append(&b, chunk, (size_t)n);
	}
	close(fd);
	if (!b.data)
		buf_append(&b, "", 0);
	*out = b.data;
	if (len)
		*len = b.len;
	return 0;
}

int file_read_trusted(const char *path, char **out, size_t *len, unsigned *mode,
		      struct error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return error_set(err, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		error_set(err, "cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	const char *why = NULL;
	char why_buf[400];
	if (!S_ISREG(st.st_mode)) {
		why = "is not a regular file";
	} else if (st.st_uid != geteuid() && st.st_uid != 0) {
		/* What it says runs as us (a command receiver): nobody else
		 * may have written it. Root's own files are trusted, as
		 * OpenSSH trusts them. */
		snprintf(why_buf, sizeof why_buf, "is owned by uid %ld, not by you (uid %ld): whoever "
			 "writes it can make fleetop act as you; chown it to yourself",
			 (long)st.st_uid, (long)geteuid());
		why = why_buf;
	} else if (st.st_mode & 022) {
		snprintf(why_buf, sizeof why_buf, "is writable by %s (mode %04o): whoever writes it "
			 "can make fleetop act as you; run chmod go-w %s",
			 (st.st_mode & 002) ? "everyone" : "its group",
			 (unsigned)(st.st_mode & 07777), path);
		why = why_buf;
	}
	if (why) {
		close(fd);
		return error_set(err, "%s %s", path, why);
	}
	/* Back to blocking: a regular file, read whole. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (mode)
		*mode = (unsigned)(st.st_mode & 07777);
	return read_fd(fd, path, out, len, err);
}

int file_read_all(const char *path, char **out, size_t *len, struct error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, "cannot open %s: %s", path, strerror(errno));
	return read_fd(fd, path, out, len, err);
}

int mkdir_p(const char *path, int mode, struct error *err)
{
	char *copy = xstrdup(path);
	for (char *p = copy + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(copy, (mode_t)mode) < 0 && errno != EEXIST) {
				error_set(err, "cannot create directory %s: %s", copy, strerror(errno));
				free(copy);
				return -1;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(copy);
	return 0;
}

void fd_limit_raise(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}
