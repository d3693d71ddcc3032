/* The sender on a real loop against a small HTTP server on the same loop
 * (127.0.0.1): rows confirmed by a 2xx, at most 4 sends a receiver in
 * flight (a receiver that does not answer leaves room for the others), a
 * 429's wait holding the receiver's other rows, unknown receivers and
 * unreadable rows failed at once, command hooks (stdin, exit status,
 * timeout killing the process group), and a stop leaving unconfirmed rows
 * pending. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fleetop/notify.h"

/* ---- a tiny HTTP server on the loop ---- */

#define MAXREQ 64
struct conn {
	int fd;
	struct buf in;
	bool answered;
	int req; /* index in srv.reqs once read */
};
static struct {
	int lfd, port;
	struct loop *loop;
	bool hold;           /* read requests, answer nothing */
	int status_once;     /* answer the next request with this (0: none) */
	const char *body_once;
	int nreq;
	char path[MAXREQ][128], key[MAXREQ][96];
	int64_t at[MAXREQ];
	struct conn *conns[MAXREQ];
} srv;

static void answer(struct conn *c, int status, const char *body)
{
	char out[512];
	body = body ? body : "ok";
	int n = snprintf(out, sizeof out, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s", status, strlen(body), body);
	if (write(c->fd, out, (size_t)n) != n)
		fprintf(stderr, "short write\n");
	c->answered = true;
	loop_fd_del(srv.loop, c->fd);
	close(c->fd);
	c->fd = -1;
}

static const char *header(const char *req, const char *name, char *out, size_t size)
{
	const char *p = strcasestr(req, name);
	out[0] = '\0';
	if (p) {
		p += strlen(name);
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, "\r\n");
		snprintf(out, size, "%.*s", (int)n, p);
	}
	return out;
}

static void on_conn(struct loop *loop, int fd, int events, void *arg)
{
	struct conn *c = arg;
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof tmp);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		loop_fd_del(loop, fd);
		close(fd);
		c->fd = -1;
		return;
	}
	buf_append(&c->in, tmp, (size_t)n);
	char *end = strstr(c->in.data, "\r\n\r\n");
	if (!end || c->req >= 0)
		return;
	char cl[32];
	size_t body = (size_t)atoi(header(c->in.data, "Content-Length:", cl, sizeof cl));
	if (c->in.len < (size_t)(end + 4 - c->in.data) + body)
		return;
	int i = srv.nreq++;
	assert_true(i < MAXREQ);
	c->req = i;
	srv.conns[i] = c;
	srv.at[i] = time_mono_ms();
	sscanf(c->in.data, "POST %127s", srv.path[i]);
	header(c->in.data, "Idempotency-Key:", srv.key[i], sizeof srv.key[i]);
	if (srv.status_once) {
		int st = srv.status_once;
		srv.status_once = 0;
		answer(c, st, srv.body_once);
	} else if (!srv.hold) {
		answer(c, 200, NULL);
	}
}

static void on_accept(struct loop *loop, int fd, int events, void *arg)
{
	int cfd;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c = xcalloc(1, sizeof *c);
		c->fd = cfd;
		c->req = -1;
		loop_fd_add(loop, cfd, LOOP_READ, on_conn, c);
	}
}

static void release_all(int status)
{
	srv.hold = false;
	for (int i = 0; i < srv.nreq; i++)
		if (srv.conns[i] && !srv.conns[i]->answered && srv.conns[i]->fd >= 0)
			answer(srv.conns[i], status, NULL);
}

/* ---- fixture ---- */

static char dir[64];
static struct store *st;
static struct notify_config cfg;
static struct notify_sender *sender;

static int setup(void **state)
{
	(void)state;
	struct error err;
	memset(&srv, 0, sizeof srv);
	strcpy(dir, "/tmp/fleetop-sender-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	char *db = xasprintf("%s/fleetop.db", dir);
	if (store_open(&st, db, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	free(db);
	srv.loop = loop_new();
	srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof a;
	if (bind(srv.lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(srv.lfd, 64) < 0 ||
	    getsockname(srv.lfd, (struct sockaddr *)&a, &alen) < 0)
		return -1;
	srv.port = ntohs(a.sin_port);
	loop_fd_add(srv.loop, srv.lfd, LOOP_READ, on_accept, NULL);
	char *conf = xasprintf(
		"[receiver a]\ntype = discord\nurl = http://127.0.0.1:%d/a/TOKEN-A\ntimeout = 3s\n"
		"[receiver b]\ntype = discord\nurl = http://127.0.0.1:%d/b/TOKEN-B\ntimeout = 3s\n"
		"[receiver hook]\ntype = command\ntimeout = 500ms\n"
		/* What to say and how to exit come from files: the hook gets
		 * none of our environment (HOOK_LEAK must not show). */
		"command = /bin/sh -c \"cat > %s/hook.in; echo said-$(cat %s/hook.says)$HOOK_LEAK; "
		"exit $(cat %s/hook.exit)\"\n"
		"[receiver sleeper]\ntype = command\ntimeout = 300ms\n"
		"command = /bin/sh -c \"sleep 30 & echo $! > %s/child.pid; wait\"\n",
		srv.port, srv.port, dir, dir, dir, dir);
	if (notify_config_load_string(&cfg, conf, "test.conf", &err) < 0)
		fail_msg("%s", err.msg);
	free(conf);
	sender = notify_sender_new(srv.loop, st, &cfg);
	assert_non_null(sender);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	notify_sender_free(sender);
	for (int i = 0; i < srv.nreq; i++)
		if (srv.conns[i]) {
			if (srv.conns[i]->fd >= 0) {
				loop_fd_del(srv.loop, srv.conns[i]->fd);
				close(srv.conns[i]->fd);
			}
			buf_free(&srv.conns[i]->in);
			free(srv.conns[i]);
		}
	loop_fd_del(srv.loop, srv.lfd);
	close(srv.lfd);
	loop_free(srv.loop);
	notify_config_free(&cfg);
	store_close(st);
	char *cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(cmd);
	unsetenv("HOOK_LEAK");
	return 0;
}

static void add(const char *key, const char *receiver)
{
	struct notification n = { 0 };
	struct notify_alert a = { 0 };
	struct error err;
	n.key = (char *)key;
	n.receiver = (char *)receiver;
	n.group_key = "{}";
	n.status = "firing";
	n.title = "CPU high";
	n.severity = SEV_CRITICAL;
	a.fingerprint = "f";
	a.status = "firing";
	a.rule = "cpu_high";
	a.host = "mc-1";
	a.summary = "mc-1: CPU 95%";
	a.severity = SEV_CRITICAL;
	a.value = 95;
	n.alerts = &a;
	n.nalerts = 1;
	char *json = notification_to_json(&n);
	assert_int_equal(store_outbox_add(st, key, receiver, json, time_wall_ms(), &err), 1);
	free(json);
	notify_sender_kick(sender);
}

static struct notify_sender_stats stats(void)
{
	struct notify_sender_stats s;
	notify_sender_stats(sender, &s);
	return s;
}

/* Runs the loop until cond holds or ms pass; returns cond. */
#define RUN_UNTIL(cond, ms)                                                  \
	({                                                                   \
		int64_t end_ = time_mono_ms() + (ms);                        \
		while (!(cond) && time_mono_ms() < end_)                     \
			loop_run_once(srv.loop, 10);                         \
		(cond);                                                      \
	})

struct row {
	char state[16], error[256];
	int tries;
	bool found;
};
static const char *want_key;
static void find(void *arg, const struct store_outbox *o)
{
	struct row *r = arg;
	if (strcmp(o->key, want_key))
		return;
	r->found = true;
	str_copy(r->state, o->state, sizeof r->state);
	str_copy(r->error, o->last_error ? o->last_error : "", sizeof r->error);
	r->tries = o->tries;
}
static struct row row(const char *key)
{
	struct row r = { 0 };
	struct error err;
	want_key = key;
	assert_int_equal(store_outbox_list(st, NULL, 0, find, &r, &err), 0);
	assert_true(r.found);
	return r;
}

static void test_sends_and_confirms(void **state)
{
	(void)state;
	add("k1", "a");
	add("k2", "a");
	add("k3", "b");
	assert_true(RUN_UNTIL(stats().sent == 3, 3000));
	assert_int_equal(srv.nreq, 3);
	assert_string_equal(row("k1").state, "sent");
	assert_int_equal(row("k1").tries, 1);
	assert_string_equal(row("k3").state, "sent");
	int seen = 0;
	for (int i = 0; i < 3; i++) {
		seen |= !strcmp(srv.key[i], "k1") ? 1 : !strcmp(srv.key[i], "k2") ? 2
		      : !strcmp(srv.key[i], "k3") ? 4 : 8;
		assert_true(!strcmp(srv.path[i], "/a/TOKEN-A") || !strcmp(srv.path[i], "/b/TOKEN-B"));
	}
	assert_int_equal(seen, 7);
	/* Nothing more goes out: confirmed rows stay confirmed. */
	RUN_UNTIL(false, 200);
	assert_int_equal(srv.nreq, 3);
	assert_int_equal(stats().pending, 0);
}

static void test_receiver_cap_leaves_room(void **state)
{
	(void)state;
	srv.hold = true; /* a receiver that never answers */
	char key[16];
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof key, "a%d", i);
		add(key, "a");
	}
	add("b0", "b");
	/* Four of a's in flight and b's: a's others wait their turn. */
	assert_true(RUN_UNTIL(srv.nreq == 5, 2000));
	RUN_UNTIL(false, 200);
	assert_int_equal(srv.nreq, 5);
	int nb = 0;
	for (int i = 0; i < srv.nreq; i++)
		nb += !strcmp(srv.path[i], "/b/TOKEN-B");
	assert_int_equal(nb, 1);
	struct notify_sender_stats s = stats();
	assert_int_equal(s.in_flight, 5);
	assert_int_equal(s.pending, 11);
	/* Answers: everything goes out, each once. */
	release_all(200);
	assert_true(RUN_UNTIL(stats().sent == 11 && (release_all(200), true), 3000));
	assert_int_equal(srv.nreq, 11);
	assert_int_equal(stats().pending, 0);
}

static void test_rate_limit_holds_receiver(void **state)
{
	(void)state;
	srv.status_once = 429; /* as Discord says it */
	srv.body_once = "{\"message\": \"You are being rate limited.\", \"retry_after\": 0.4}";
	add("r1", "a");
	assert_true(RUN_UNTIL(stats().retried == 1, 2000));
	int64_t limited = srv.at[0];
	assert_string_equal(row("r1").state, "pending");
	assert_non_null(strstr(row("r1").error, "HTTP 429 from a (discord)"));
	/* A new row for the limited receiver waits too; one for another goes now. */
	add("r2", "a");
	add("r3", "b");
	assert_true(RUN_UNTIL(srv.nreq == 2, 500));
	assert_string_equal(srv.key[1], "r3");
	assert_true(RUN_UNTIL(stats().sent == 3, 3000));
	for (int i = 2; i < srv.nreq; i++)
		assert_true(srv.at[i] - limited >= 390);
	assert_int_equal(row("r1").tries, 2);
}

static void test_bad_rows_fail_at_once(void **state)
{
	(void)state;
	struct error err;
	add("n1", "nobody");
	assert_int_equal(store_outbox_add(st, "n2", "a", "not json", time_wall_ms(), &err), 1);
	notify_sender_kick(sender);
	assert_true(RUN_UNTIL(stats().failed == 2, 2000));
	assert_string_equal(row("n1").state, "failed");
	assert_non_null(strstr(row("n1").error, "no receiver 'nobody' in test.conf"));
	assert_string_equal(row("n2").state, "failed");
	assert_non_null(strstr(row("n2").error, "does not read"));
	assert_int_equal(srv.nreq, 0);
}

static void test_400_fails_without_secrets(void **state)
{
	(void)state;
	srv.status_once = 400;
	add("f1", "a");
	assert_true(RUN_UNTIL(stats().failed == 1, 2000));
	struct row r = row("f1");
	assert_string_equal(r.state, "failed");
	assert_string_equal(r.error, "HTTP 400 from a (discord): ok");
	assert_null(strstr(r.error, "TOKEN"));
}

static char *slurp(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), *text = NULL;
	size_t len;
	struct error err;
	if (file_read_all(path, &text, &len, &err) < 0)
		text = NULL;
	free(path);
	return text;
}

static void test_command_hook(void **state)
{
	(void)state;
	struct error err;
	char *says = xasprintf("%s/hook.says", dir), *exits = xasprintf("%s/hook.exit", dir);
	assert_int_equal(file_write_atomic(says, "yes\n", 4, 0600, &err), 0);
	assert_int_equal(file_write_atomic(exits, "0\n", 2, 0600, &err), 0);
	setenv("HOOK_LEAK", "-leaked", 1);
	add("h1", "hook");
	assert_true(RUN_UNTIL(stats().sent == 1, 3000));
	char *in = slurp("hook.in");
	assert_non_null(in);
	assert_non_null(strstr(in, "\"key\":\"h1\""));
	free(in);
	assert_int_equal(file_write_atomic(says, "nope\n", 5, 0600, &err), 0);
	assert_int_equal(file_write_atomic(exits, "3\n", 2, 0600, &err), 0);
	free(says);
	free(exits);
	add("h2", "hook");
	assert_true(RUN_UNTIL(stats().retried == 1, 3000));
	assert_string_equal(row("h2").error, "hook (command) exited with status 3: said-nope");
}

/* Running, not a zombie waiting for an init that may not reap it. */
static bool alive(pid_t p)
{
	char path[64], *stat = NULL;
	size_t len;
	struct error err;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)p);
	if (file_read_all(path, &stat, &len, &err) < 0)
		return false;
	const char *paren = strrchr(stat, ')');
	bool running = paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
	free(stat);
	return running;
}

static void test_command_timeout_kills_group(void **state)
{
	(void)state;
	add("s1", "sleeper");
	assert_true(RUN_UNTIL(stats().retried == 1, 3000));
	assert_non_null(strstr(row("s1").error, "timed out after 0.3s"));
	/* The hook's own child went with it. */
	char *pid = slurp("child.pid");
	assert_non_null(pid);
	pid_t p = (pid_t)atoi(pid);
	free(pid);
	assert_true(p > 0);
	RUN_UNTIL(!alive(p), 1000);
	assert_false(alive(p));
}

static void test_stop_leaves_pending(void **state)
{
	(void)state;
	srv.hold = true;
	add("p1", "a");
	assert_true(RUN_UNTIL(srv.nreq == 1, 2000));
	notify_sender_free(sender);
	sender = NULL;
	struct row r = row("p1");
	assert_string_equal(r.state, "pending");
	assert_int_equal(r.tries, 0);
	/* The next sender sends it again, with the same key. */
	sender = notify_sender_new(srv.loop, st, &cfg);
	srv.hold = false;
	assert_true(RUN_UNTIL(stats().sent == 1, 3000));
	assert_int_equal(srv.nreq, 2);
	assert_string_equal(srv.key[1], "p1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sends_and_confirms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receiver_cap_leaves_room, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_holds_receiver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rows_fail_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_400_fails_without_secrets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_timeout_kills_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_leaves_pending, setup, teardown),
	};
	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
