/* core log: the rate limiter (a flood of one message is bounded, and says
 * what it held back), rotation by size while running, 0600 files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fleetop/core.h"

static char dir[64];
static char *log_path;
static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/fleetop-log-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	log_path = xasprintf("%s/test.log", dir);
	fake_now = 1000000;
	log_set_clock(fake_clock);
	log_set_level(LOG_INFO);
	struct error err;
	return log_set_file(log_path, &err);
}

static int teardown(void **state)
{
	(void)state;
	log_release_stderr();
	log_set_clock(NULL);
	char *cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	free(log_path);
	return 0;
}

static char *read_log(void)
{
	char *text = NULL;
	size_t len;
	struct error err;
	if (file_read_all(log_path, &text, &len, &err) < 0)
		fail_msg("%s", err.msg);
	return text;
}

static int count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static int lines(const char *text)
{
	return count(text, "\n");
}

static void test_flood_is_bounded_and_counted(void **state)
{
	(void)state;
	/* 1000 a second for a minute, from 50 hosts: the numbers differ. */
	for (int i = 0; i < 60000; i++) {
		log_warn("mc-%02d: not stored: batch %d failed", i % 50, i);
		if (i % 1000 == 999)
			fake_now += 1000;
	}
	char *text = read_log();
	assert_int_equal(lines(text), 10);
	assert_int_equal(count(text, "suppressed"), 0);
	free(text);
	/* The next minute: one line, with the count of what was held back. */
	log_warn("mc-07: not stored: batch 1 failed");
	text = read_log();
	assert_int_equal(lines(text), 11);
	assert_non_null(strstr(text, "mc-07: not stored: batch 1 failed (59990 similar messages suppressed)"));
	free(text);
	/* A steady flood stays at a line a minute. */
	for (int m = 0; m < 5; m++) {
		for (int i = 0; i < 1000; i++)
			log_warn("mc-%02d: not stored: batch %d failed", i % 50, i);
		fake_now += 60000;
		log_report_suppressed(false);
	}
	text = read_log();
	assert_int_equal(lines(text), 16);
	assert_int_equal(count(text, "(1000 similar messages suppressed)"), 5);
	free(text);
}

static void test_different_messages_and_levels(void **state)
{
	(void)state;
	for (int i = 0; i < 100; i++) {
		log_warn("disk full on %d", i);
		log_error("cannot write the outbox");
		log_info("host mc-%d up", i); /* info is what happened: never held back */
	}
	char *text = read_log();
	assert_int_equal(count(text, "disk full on"), 10);
	assert_int_equal(count(text, "cannot write the outbox"), 10);
	assert_int_equal(count(text, "info: host mc-"), 100);
	free(text);
	/* What is still held back is said at the end (all = true). */
	log_report_suppressed(true);
	text = read_log();
	assert_non_null(strstr(text, "disk full on 99 (90 similar messages suppressed)"));
	assert_non_null(strstr(text, "cannot write the outbox (90 similar messages suppressed)"));
	free(text);
	/* A single suppressed one reads right too. */
	for (int i = 0; i < 11; i++)
		log_warn("once more");
	log_report_suppressed(true);
	text = read_log();
	assert_non_null(strstr(text, "once more (1 similar message suppressed)"));
	free(text);
}

static void test_many_keys_stay_bounded(void **state)
{
	(void)state;
	/* More keys than slots: evicting one says its count, nothing is lost
	 * silently, and the total stays bounded by keys x burst. */
	char word[8] = "aaaa";
	for (int i = 0; i < 200 * 20; i++) {
		int k = i % 200;
		word[0] = (char)('a' + k % 26);
		word[1] = (char)('a' + k / 26);
		log_warn("%s failed", word);
	}
	log_report_suppressed(true);
	char *text = read_log();
	assert_true(lines(text) <= 200 * 20);
	assert_true(lines(text) >= 200);
	free(text);
}

static void test_rotates_while_running(void **state)
{
	(void)state;
	char line[1000];
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = 0;
	/* 9 MiB of info lines through one open log. */
	for (int i = 0; i < 9 * 1024; i++)
		log_info("%d %s", i, line);
	char *old = xasprintf("%s.1", log_path);
	struct stat st_old, st_new;
	assert_int_equal(stat(old, &st_old), 0);
	assert_int_equal(stat(log_path, &st_new), 0);
	assert_true(st_old.st_size > 8L << 20);
	assert_true(st_old.st_size < (8L << 20) + 4096);
	assert_true(st_new.st_size < 2L << 20);
	assert_true(st_new.st_size > 0);
	assert_int_equal(st_new.st_mode & 0777, 0600);
	/* The newest line is in the new file. */
	char *text = read_log();
	assert_non_null(strstr(text, "9215 xxx"));
	free(text);
	free(old);
}

static void test_files_0600_whatever_the_umask(void **state)
{
	(void)state;
	mode_t old = umask(0);
	char *p = xasprintf("%s/new.log", dir);
	struct error err;
	assert_int_equal(log_set_file(p, &err), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* One readable by others is narrowed, and that is said. */
	char *q = xasprintf("%s/wide.log", dir);
	FILE *f = fopen(q, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(q, 0644), 0);
	assert_int_equal(log_set_file(q, &err), 0);
	assert_int_equal(stat(q, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *text = NULL;
	size_t len;
	assert_int_equal(file_read_all(q, &text, &len, &err), 0);
	assert_non_null(strstr(text, "was mode 0644"));
	free(text);
	free(p);
	free(q);
	umask(old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flood_is_bounded_and_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_different_messages_and_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_keys_stay_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotates_while_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_0600_whatever_the_umask, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
