/* The outbox: adding (a key only once), due rows in order, retries moving
 * the next try, confirmation and failure (final: a late outcome changes
 * nothing), listing, reopening, and the one-sender lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fleetop/store.h"

static char dir[64];
static char *path;

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/fleetop-outbox-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	path = xasprintf("%s/fleetop.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	free(path);
	return 0;
}

static struct store *open_store(void)
{
	struct store *s = NULL;
	struct error err;
	if (store_open(&s, path, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	return s;
}

#define MAXROWS 32
struct rows {
	int n;
	int64_t id[MAXROWS], created[MAXROWS], next_try[MAXROWS], done[MAXROWS];
	int tries[MAXROWS];
	char key[MAXROWS][64], receiver[MAXROWS][64], body[MAXROWS][128], state[MAXROWS][16],
		error[MAXROWS][128];
	bool has_error[MAXROWS];
};

static void collect(void *arg, const struct store_outbox *o)
{
	struct rows *r = arg;
	assert_true(r->n < MAXROWS);
	int i = r->n++;
	r->id[i] = o->id;
	r->created[i] = o->created_ms;
	r->next_try[i] = o->next_try_ms;
	r->done[i] = o->done_ms;
	r->tries[i] = o->tries;
	str_copy(r->key[i], o->key, sizeof r->key[0]);
	str_copy(r->receiver[i], o->receiver, sizeof r->receiver[0]);
	str_copy(r->body[i], o->body, sizeof r->body[0]);
	str_copy(r->state[i], o->state, sizeof r->state[0]);
	r->has_error[i] = o->last_error != NULL;
	str_copy(r->error[i], o->last_error ? o->last_error : "", sizeof r->error[0]);
}

static struct rows due(struct store *s, int64_t now, int limit)
{
	struct rows r = { 0 };
	struct error err;
	if (store_outbox_due(s, now, limit, collect, &r, &err) < 0)
		fail_msg("%s", err.msg);
	return r;
}

static struct rows list(struct store *s, const char *state, int limit)
{
	struct rows r = { 0 };
	struct error err;
	if (store_outbox_list(s, state, limit, collect, &r, &err) < 0)
		fail_msg("%s", err.msg);
	return r;
}

static void add(struct store *s, const char *key, const char *recv, int64_t now, int want)
{
	struct error err;
	char body[64];
	snprintf(body, sizeof body, "{\"title\":\"%s\"}", key);
	int rc = store_outbox_add(s, key, recv, body, now, &err);
	if (rc < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(rc, want);
}

static void test_add_and_duplicate(void **state)
{
	(void)state;
	struct store *s = open_store();
	struct error err;
	assert_int_equal(store_outbox_next(s, &err), INT64_MAX);
	add(s, "g1-1-discord", "discord", 1000, 1);
	/* The same key again (a resend of the same notification after a
	 * crash of the engine) changes nothing: not the body, not the time. */
	struct error e2;
	assert_int_equal(store_outbox_add(s, "g1-1-discord", "other", "{\"x\":1}", 5000, &e2), 0);
	struct rows r = list(s, NULL, 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.key[0], "g1-1-discord");
	assert_string_equal(r.receiver[0], "discord");
	assert_string_equal(r.body[0], "{\"title\":\"g1-1-discord\"}");
	assert_string_equal(r.state[0], "pending");
	assert_int_equal(r.created[0], 1000);
	assert_int_equal(r.next_try[0], 1000);
	assert_int_equal(r.tries[0], 0);
	assert_int_equal(r.done[0], 0);
	assert_false(r.has_error[0]);
	assert_int_equal(store_outbox_next(s, &err), 1000);
	/* What a row needs. */
	assert_int_equal(store_outbox_add(s, "", "discord", "{}", 1, &e2), -1);
	assert_non_null(strstr(e2.msg, "key"));
	assert_int_equal(store_outbox_add(s, "k", NULL, "{}", 1, &e2), -1);
	store_close(s);
}

static void test_due_order_and_limit(void **state)
{
	(void)state;
	struct store *s = open_store();
	struct error err;
	add(s, "a", "r1", 3000, 1);
	add(s, "b", "r2", 1000, 1);
	add(s, "c", "r1", 2000, 1);
	add(s, "d", "r3", 2000, 1);
	add(s, "later", "r1", 9000, 1);
	/* Due at 2500: b (1000), then c and d (2000, in the order added). */
	struct rows r = due(s, 2500, 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.key[0], "b");
	assert_string_equal(r.key[1], "c");
	assert_string_equal(r.key[2], "d");
	r = due(s, 2500, 2);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.key[1], "c");
	r = due(s, 999, 0);
	assert_int_equal(r.n, 0);
	r = due(s, 100000, 0);
	assert_int_equal(r.n, 5);
	assert_string_equal(r.key[4], "later");
	assert_int_equal(store_outbox_next(s, &err), 1000);
	store_close(s);
}

static int64_t id_of(struct store *s, const char *key)
{
	struct rows r = list(s, NULL, 0);
	for (int i = 0; i < r.n; i++)
		if (!strcmp(r.key[i], key))
			return r.id[i];
	fail_msg("no row %s", key);
	return -1;
}

static void test_retry_sent_failed(void **state)
{
	(void)state;
	struct store *s = open_store();
	struct error err;
	add(s, "a", "r1", 1000, 1);
	add(s, "b", "r1", 1000, 1);
	add(s, "c", "r2", 1000, 1);
	int64_t a = id_of(s, "a"), b = id_of(s, "b"), c = id_of(s, "c");
	/* a fails once and waits: b and c are due before it now. */
	assert_int_equal(store_outbox_retry(s, a, 5000, "HTTP 500 from x (discord): oops", &err), 0);
	struct rows r = due(s, 1500, 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.key[0], "b");
	assert_string_equal(r.key[1], "c");
	r = due(s, 5000, 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.key[2], "a");
	assert_int_equal(r.tries[2], 1);
	assert_int_equal(r.next_try[2], 5000);
	assert_string_equal(r.error[2], "HTTP 500 from x (discord): oops");
	/* The second retry counts again. */
	assert_int_equal(store_outbox_retry(s, a, 7000, "timeout", &err), 0);
	/* b is confirmed, c given up. */
	assert_int_equal(store_outbox_sent(s, b, 2000, &err), 0);
	assert_int_equal(store_outbox_failed(s, c, 2100, "HTTP 404 from y (slack): no", &err), 0);
	r = due(s, 100000, 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.key[0], "a");
	assert_int_equal(r.tries[0], 2);
	assert_string_equal(r.error[0], "timeout");
	assert_int_equal(store_outbox_next(s, &err), 7000);
	r = list(s, "sent", 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.key[0], "b");
	assert_int_equal(r.done[0], 2000);
	assert_int_equal(r.tries[0], 1);
	r = list(s, "failed", 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.key[0], "c");
	assert_int_equal(r.done[0], 2100);
	assert_string_equal(r.error[0], "HTTP 404 from y (slack): no");
	/* Final states stay final: a late retry or failure of a confirmed row
	 * (an outcome arriving twice) changes nothing. */
	assert_int_equal(store_outbox_retry(s, b, 9000, "late", &err), 0);
	assert_int_equal(store_outbox_failed(s, b, 9000, "late", &err), 0);
	assert_int_equal(store_outbox_sent(s, c, 9000, &err), 0);
	r = list(s, "sent", 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.done[0], 2000);
	assert_false(r.has_error[0]);
	r = list(s, "failed", 0);
	assert_int_equal(r.n, 1);
	/* a is confirmed at last; nothing pending remains. */
	assert_int_equal(store_outbox_sent(s, a, 7100, &err), 0);
	assert_int_equal(store_outbox_next(s, &err), INT64_MAX);
	assert_int_equal(due(s, INT64_MAX, 0).n, 0);
	store_close(s);
}

static void test_list_newest_first_and_limit(void **state)
{
	(void)state;
	struct store *s = open_store();
	char key[16];
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof key, "k%d", i);
		add(s, key, "r", 1000 + i, 1);
	}
	struct rows r = list(s, NULL, 3);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.key[0], "k9");
	assert_string_equal(r.key[2], "k7");
	r = list(s, "pending", 0);
	assert_int_equal(r.n, 10);
	r = list(s, "sent", 0);
	assert_int_equal(r.n, 0);
	store_close(s);
}

static void test_reopen_keeps_rows(void **state)
{
	(void)state;
	struct store *s = open_store();
	struct error err;
	add(s, "a", "r1", 1000, 1);
	add(s, "b", "r1", 1000, 1);
	assert_int_equal(store_outbox_sent(s, id_of(s, "a"), 1500, &err), 0);
	assert_int_equal(store_outbox_retry(s, id_of(s, "b"), 4000, "HTTP 503", &err), 0);
	store_close(s);
	s = open_store();
	struct rows r = list(s, NULL, 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.key[0], "b");
	assert_string_equal(r.state[0], "pending");
	assert_int_equal(r.tries[0], 1);
	assert_int_equal(r.next_try[0], 4000);
	assert_string_equal(r.key[1], "a");
	assert_string_equal(r.state[1], "sent");
	/* The key is still taken after the reopen. */
	add(s, "a", "r1", 2000, 0);
	assert_int_equal(store_outbox_next(s, &err), 4000);
	store_close(s);
}

/* A row written by a process that is then killed (no close, no flush) is
 * there for the next one: each write commits by itself. */
static void test_survives_kill(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s = NULL;
		struct error err;
		if (store_open(&s, path, NULL, &err) < 0 ||
		    store_outbox_add(s, "crash", "r", "{}", 1000, &err) != 1)
			_exit(1);
		_exit(0); /* as kill -9 would: no store_close */
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct store *s = open_store();
	struct rows r = due(s, 1000, 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.key[0], "crash");
	store_close(s);
}

/* One sender a history file: a second process cannot take the lock while
 * the first holds it, and gets it once the holder dies. */
static void test_sender_lock(void **state)
{
	(void)state;
	struct store *s = open_store();
	struct error err;
	int fd = -1;
	assert_int_equal(store_lock(s, "outbox", &fd, &err), 1);
	assert_true(fd >= 0);
	assert_int_equal(store_lock(s, "outbox", &fd, &err), 1); /* held: still held */
	int up[2], down[2]; /* child -> parent, parent -> child */
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Another process: its own open file, refused while we hold it.
		 * (The copy of the parent's lock fork gave us must go, or the
		 * lock outlives the parent's close: exec would close it.) */
		close(fd);
		struct store *s2 = NULL;
		int fd2 = -1;
		char c;
		if (store_open(&s2, path, NULL, &err) < 0)
			_exit(3);
		int rc = store_lock(s2, "outbox", &fd2, &err);
		if (write(up[1], &(char){ (char)('0' + rc) }, 1) != 1)
			_exit(3);
		/* Wait until the parent let go, then take it. */
		if (read(down[0], &c, 1) != 1)
			_exit(3);
		rc = store_lock(s2, "outbox", &fd2, &err);
		_exit(rc == 1 ? 0 : 4);
	}
	char c;
	assert_int_equal(read(up[0], &c, 1), 1);
	assert_int_equal(c, '0');
	close(fd);
	assert_int_equal(write(down[1], "x", 1), 1);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	for (int i = 0; i < 2; i++) {
		close(up[i]);
		close(down[i]);
	}
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_and_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_due_order_and_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_sent_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_newest_first_and_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survives_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sender_lock, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
