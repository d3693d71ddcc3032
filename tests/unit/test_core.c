/* core: loop timers and fds, durations, buffers, atomic files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "fleetop/core.h"
#include "fleetop/loop.h"

static int order[16], norder;
static void note(struct loop *l, void *arg)
{
	(void)l;
	order[norder++] = (int)(intptr_t)arg;
}

static void test_timers_fire_in_order(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	norder = 0;
	loop_timer_add(l, 30, note, (void *)3);
	loop_timer_add(l, 10, note, (void *)1);
	uint64_t id = loop_timer_add(l, 20, note, (void *)2);
	loop_timer_add(l, 25, note, (void *)4);
	loop_timer_del(l, id);
	loop_timer_del(l, id); /* twice is harmless */
	int64_t start = time_mono_ms();
	while (norder < 3 && time_mono_ms() - start < 1000)
		loop_run_once(l, 100);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 4);
	assert_int_equal(order[2], 3);
	assert_true(time_mono_ms() - start >= 30);
	/* A stale id from a freed slot must not cancel the slot's new timer. */
	norder = 0;
	uint64_t newer = loop_timer_add(l, 0, note, (void *)7);
	assert_int_not_equal(newer, id);
	loop_timer_del(l, id);
	loop_run_once(l, 50);
	assert_int_equal(norder, 1);
	loop_free(l);
}

static void test_many_timers_heap(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	norder = 0;
	uint64_t ids[2000];
	for (int i = 0; i < 2000; i++)
		ids[i] = loop_timer_add(l, 1000 + (i * 7919) % 1000, note, (void *)0);
	for (int i = 0; i < 2000; i++)
		loop_timer_del(l, ids[i]);
	loop_timer_add(l, 0, note, (void *)5);
	loop_run_once(l, 100);
	assert_int_equal(norder, 1);
	assert_int_equal(order[0], 5);
	loop_free(l);
}

static int got_read;
static void on_read(struct loop *l, int fd, int events, void *arg)
{
	char c;
	assert_true(events & LOOP_READ);
	assert_int_equal(read(fd, &c, 1), 1);
	got_read = c;
	loop_fd_del(l, fd);
	loop_stop(l);
}

static void test_fd_readiness(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_fd_add(l, p[0], LOOP_READ, on_read, NULL), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	loop_run(l);
	assert_int_equal(got_read, 'x');
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

static void test_durations(void **state)
{
	(void)state;
	int64_t ms;
	assert_int_equal(parse_duration_ms("90", &ms), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(parse_duration_ms("500ms", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(parse_duration_ms("1h30m", &ms), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(parse_duration_ms("2y", &ms), -1);
	assert_int_equal(parse_duration_ms("0.5s", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(parse_duration_ms("7d", &ms), 0);
	assert_int_equal(ms, 7 * 86400000LL);
	assert_int_equal(parse_duration_ms("", &ms), -1);
	assert_int_equal(parse_duration_ms("-1s", &ms), -1);
	assert_int_equal(parse_duration_ms("1e99s", &ms), -1);
	assert_int_equal(parse_duration_ms("s", &ms), -1);
	uint64_t b;
	assert_int_equal(parse_size_bytes("10k", &b), 0);
	assert_int_equal(b, 10240);
	assert_int_equal(parse_size_bytes("x", &b), -1);
}

static void test_buf_and_errors(void **state)
{
	(void)state;
	struct buf b = { 0 };
	buf_printf(&b, "%d-%s", 42, "x");
	buf_puts(&b, "yz");
	assert_string_equal(b.data, "42-xyz");
	buf_consume(&b, 3);
	assert_string_equal(b.data, "xyz");
	buf_consume(&b, 10);
	assert_int_equal(b.len, 0);
	buf_free(&b);
	struct error err;
	assert_int_equal(error_set(&err, "a\nb"), -1);
	assert_string_equal(err.msg, "a b");
	char s[8];
	assert_int_equal(str_copy(s, "0123456789", sizeof s), 10);
	assert_string_equal(s, "0123456");
}

static void test_atomic_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/fleetop-core-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/a/b/secret", dir);
	char *sub = xasprintf("%s/a/b", dir);
	struct error err;
	assert_int_equal(mkdir_p(sub, 0700, &err), 0);
	assert_int_equal(file_write_atomic(path, "hello", 5, 0600, &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *data;
	size_t len;
	assert_int_equal(file_read_all(path, &data, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_string_equal(data, "hello");
	free(data);
	assert_int_equal(file_read_all("/nonexistent/x", &data, &len, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/x"));
	char *cmd = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(path);
	free(sub);
}

/* Entries of dir other than . and .. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* A link planted where the old predictable temp name (path.tmp.PID) was
 * is never written through; the write leaves no temp file behind. */
static void test_atomic_file_planted_link(void **state)
{
	(void)state;
	char dir[] = "/tmp/fleetop-core-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/prefs", dir);
	char *victim = xasprintf("%s/victim", dir);
	char *planted = xasprintf("%s.tmp.%ld", path, (long)getpid());
	struct error err;
	assert_int_equal(file_write_atomic(victim, "keep", 4, 0600, &err), 0);
	assert_int_equal(symlink(victim, planted), 0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(file_write_atomic(path, "new", 3, 0644, &err), 0);
	char *data;
	assert_int_equal(file_read_all(victim, &data, NULL, &err), 0);
	assert_string_equal(data, "keep");
	free(data);
	assert_int_equal(file_read_all(path, &data, NULL, &err), 0);
	assert_string_equal(data, "new");
	free(data);
	assert_int_equal(dir_entries(dir), 3); /* victim, the link, prefs */
	assert_int_equal(file_write_atomic_sync(path, "quick", 5, 0600, false, &err), 0);
	assert_int_equal(dir_entries(dir), 3);
	/* A folder it cannot write: an error naming the temp file. */
	char *nodir = xasprintf("%s/missing/x", dir);
	assert_int_equal(file_write_atomic(nodir, "x", 1, 0600, &err), -1);
	assert_non_null(strstr(err.msg, "missing/x.tmp."));
	char *cmd = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(nodir);
	free(path);
	free(victim);
	free(planted);
}

static void test_read_trusted(void **state)
{
	(void)state;
	char dir[] = "/tmp/fleetop-core-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *path = xasprintf("%s/notify.conf", dir);
	struct error err;
	char *data;
	size_t len;
	unsigned mode = 0;
	assert_int_equal(file_write_atomic(path, "[receiver a]\n", 13, 0644, &err), 0);
	assert_int_equal(file_read_trusted(path, &data, &len, &mode, &err), 0);
	assert_int_equal(len, 13);
	assert_int_equal(mode, 0644);
	free(data);
	chmod(path, 0664);
	assert_int_equal(file_read_trusted(path, &data, &len, &mode, &err), -1);
	assert_non_null(strstr(err.msg, "is writable by its group (mode 0664)"));
	assert_non_null(strstr(err.msg, "chmod go-w"));
	assert_non_null(strstr(err.msg, path));
	chmod(path, 0602);
	assert_int_equal(file_read_trusted(path, &data, &len, &mode, &err), -1);
	assert_non_null(strstr(err.msg, "is writable by everyone (mode 0602)"));
	chmod(path, 0600);
	if (geteuid() == 0) {
		/* Owned by someone else (nobody) yet not writable by others. */
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(file_read_trusted(path, &data, &len, &mode, &err), -1);
		assert_non_null(strstr(err.msg, "is owned by uid 65534, not by you"));
		assert_int_equal(chown(path, 0, 0), 0);
	}
	assert_int_equal(file_read_trusted(dir, &data, &len, &mode, &err), -1);
	assert_non_null(strstr(err.msg, "is not a regular file"));
	assert_int_equal(file_read_trusted("/nonexistent/x", &data, &len, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "cannot open /nonexistent/x"));
	char *cmd = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_order),
		cmocka_unit_test(test_many_timers_heap),
		cmocka_unit_test(test_fd_readiness),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_buf_and_errors),
		cmocka_unit_test(test_atomic_file),
		cmocka_unit_test(test_atomic_file_planted_link),
		cmocka_unit_test(test_read_trusted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
