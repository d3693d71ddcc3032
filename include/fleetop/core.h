/* core: errors, memory, strings, time, logging — what every module may use. */
#ifndef FLEETOP_CORE_H
#define FLEETOP_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FT_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* An error a caller can show as it is: one line, saying what and where. */
struct error {
	char msg[512];
};
/* Sets err (if not NULL) and returns -1, so `return error_set(err, ...)` reads well. */
int error_set(struct error *err, const char *fmt, ...) FT_PRINTF(2, 3);

/* Allocation that cannot fail: out of memory aborts (as git and tmux do). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) FT_PRINTF(1, 2);

/* A growable byte buffer, always NUL-terminated after len. */
struct buf {
	char *data;
	size_t len, cap;
};
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) FT_PRINTF(2, 3);
void buf_consume(struct buf *b, size_t n); /* drops the first n bytes */
void buf_reset(struct buf *b);
/* b's first line, trimmed, cut in place (b is changed); "" when empty:
 * what a failed command's stderr says, for a one-line error. */
char *buf_first_line(struct buf *b);
void buf_free(struct buf *b);

/* Strings. */
char *str_trim(char *s);                         /* in place, returns start */
bool str_starts_with(const char *s, const char *prefix);
/* Not empty, and no space or control character in it (a path, a URL, a token). */
bool str_is_word(const char *s);
size_t str_copy(char *dst, const char *src, size_t size); /* strlcpy */
/* "90", "90s", "500ms", "5m", "2h", "7d", "1w" -> milliseconds; -1 on error. */
int parse_duration_ms(const char *s, int64_t *out_ms);
/* "1024", "10k", "5M", "2G" (powers of 1024) -> bytes. */
int parse_size_bytes(const char *s, uint64_t *out);
bool parse_bool(const char *s, bool *out);
/* Formats a byte count or rate as 1.5K, 3.2M ...; returns out. */
const char *format_si(double v, char *out, size_t size);

/* Time. Monotonic for intervals and deadlines, wall for what is stored. */
int64_t time_mono_ms(void);
int64_t time_wall_ms(void);

/* Random numbers, one source for the whole program (core/random.c): seeded
 * from the kernel once per thread; for jitter, challenges, spreads. */
uint64_t random_u64(void);
uint32_t random_u32(void);
uint64_t random_below(uint64_t n); /* uniform in [0, n); 0 when n is 0 */
/* n bytes straight from the kernel (getrandom): for what must be
 * unpredictable, such as the name of a temporary file. Never blocks: -1
 * when the kernel cannot give them now (its pool not ready at early boot). */
int random_bytes(void *buf, size_t n);

/* Logging: to stderr by default, or to a file. Never pass secrets.
 * Errors and warnings are rate limited: one text (its digits aside) shows
 * at most 10 lines a minute; the rest are counted, and the next line of it
 * says "(N similar messages suppressed)"; a steady flood is one such line a
 * minute. */
enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
void log_set_level(enum log_level level);
/* Logs to path (created 0600 whatever the umask; an existing file readable
 * by others is narrowed to 0600, with a warning), moved to path.1 whenever
 * it passes 8 MiB. */
int log_set_file(const char *path, struct error *err);
/* Says the counts of suppressed messages whose minute has ended (all:
 * every count, e.g. before exit). Call now and then (the engine does). */
void log_report_suppressed(bool all);
/* The limiter's clock (tests); NULL: time_mono_ms. Forgets what it counted. */
void log_set_clock(int64_t (*now_ms)(void));
/* For a full-screen program: log to path (as log_set_file; moved to
 * path.1 first when over 8 MiB), and point fd 2 there too, so nothing a
 * library prints lands on the screen. A path that cannot be opened is -1
 * with err, but fd 2 and the log go to /dev/null then all the same.
 * log_release_stderr() gives fd 2 back and logs to it again. */
int log_capture_stderr(const char *path, struct error *err);
void log_release_stderr(void);
/* Also hands each message logged (no time stamp; NULL: none) to fn. */
typedef void (*log_hook_fn)(void *arg, enum log_level level, const char *msg);
void log_set_hook(log_hook_fn fn, void *arg);
void log_msg(enum log_level level, const char *fmt, ...) FT_PRINTF(2, 3);
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Writes a whole file atomically: a temp file of an unpredictable name in
 * the same folder (O_EXCL|O_NOFOLLOW, so nothing planted there is written
 * through), fsync, rename, fsync of the folder. */
int file_write_atomic(const char *path, const void *data, size_t len, int mode, struct error *err);
/* The same, with the two fsyncs only when sync (a file that is cheap to
 * make again, such as a simulator's host key). */
int file_write_atomic_sync(const char *path, const void *data, size_t len, int mode, bool sync,
			   struct error *err);
/* Reads a whole file; *out is NUL-terminated, caller frees. */
int file_read_all(const char *path, char **out, size_t *len, struct error *err);
/* Reads a file whose content fleetop acts on as the user (notify.conf can
 * run commands): refused unless a regular file owned by the user (or
 * root) that group and others cannot write. *mode (if not NULL) gets its
 * permission bits. */
int file_read_trusted(const char *path, char **out, size_t *len, unsigned *mode,
		      struct error *err);
/* Raises the open-files limit to the hard limit: a large fleet needs a
 * socket a host, more than the usual 1024. */
void fd_limit_raise(void);
/* mkdir -p with mode for the created parts. */
int mkdir_p(const char *path, int mode, struct error *err);

#endif
