/* The ssh pool against a real OpenSSH sshd on 127.0.0.1: exec with streamed
 * output and exit status, stdin, large output, many channels at once,
 * atomic remote file writes (also when the link drops mid-write), file
 * reads, and TCP forwarding to the host's own loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fleetop/fleet.h"
#include "fleetop/loop.h"
#include "fleetop/settings.h"
#include "fleetop/ssh.h"

static char dir[] = "/tmp/fleetop-pool-XXXXXX";
static struct settings settings;
static struct fleet fleet;
static struct loop *loop;
static struct ssh_pool *pool;
static struct host *host;

struct result {
	struct buf out, err;
	int status;
	char error[256];
	bool done;
};

static void r_out(void *arg, const char *d, size_t n) { buf_append(&((struct result *)arg)->out, d, n); }
static void r_err(void *arg, const char *d, size_t n) { buf_append(&((struct result *)arg)->err, d, n); }
static void r_exit(void *arg, int status, const char *error)
{
	struct result *r = arg;
	r->status = status;
	if (error)
		str_copy(r->error, error, sizeof r->error);
	r->done = true;
}
static const struct ssh_exec_cbs r_cbs = { r_out, r_err, r_exit };

static void run_until(bool *flag, int64_t ms)
{
	int64_t end = time_mono_ms() + ms;
	while (!*flag && time_mono_ms() < end)
		loop_run_once(loop, 50);
}

static void run_for(int64_t ms)
{
	int64_t end = time_mono_ms() + ms;
	while (time_mono_ms() < end)
		loop_run_once(loop, 20);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	const char *src = getenv("FLEETOP_SRC");
	char *cmd = xasprintf("bash %s/tests/integration/lib/sshd-up.sh %s",
			      src ? src : SOURCE_DIR, dir);
	int rc = system(cmd);
	free(cmd);
	if (rc != 0)
		return -1;
	char *port = NULL, *path = xasprintf("%s/port", dir);
	struct error err;
	if (file_read_all(path, &port, NULL, &err) < 0)
		return -1;
	free(path);
	settings_init(&settings);
	settings.ssh_config = xstrdup("none");
	settings.known_hosts = xasprintf("%s/known_hosts", dir);
	settings.identities[settings.nidentities++] = xasprintf("%s/id_ed25519", dir);
	settings.connect_timeout_ms = 5000;
	char *inv = xasprintf("[t]\nbox ansible_host=127.0.0.1 ansible_port=%d\n", atoi(port));
	free(port);
	rc = fleet_load_string(&fleet, inv, "test", &err);
	free(inv);
	if (rc < 0)
		return -1;
	host = &fleet.hosts[0];
	loop = loop_new();
	pool = ssh_pool_new(loop, &settings, NULL, NULL);
	ssh_pool_connect(pool, host);
	int64_t end = time_mono_ms() + 10000;
	while (host->state != HOST_UP && time_mono_ms() < end)
		loop_run_once(loop, 50);
	if (host->state != HOST_UP) {
		fprintf(stderr, "not up: %s\n", host->error);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ssh_pool_free(pool);
	loop_free(loop);
	fleet_free(&fleet);
	settings_free(&settings);
	char *cmd = xasprintf("kill $(cat %s/sshd.pid) 2>/dev/null; rm -rf %s", dir, dir);
	if (system(cmd) != 0) {
	}
	free(cmd);
	return 0;
}

static struct result *run(const char *command, const void *in, size_t inlen)
{
	struct result *r = xcalloc(1, sizeof *r);
	struct error err;
	struct ssh_exec *e = ssh_pool_exec(pool, host, command, in, inlen, &r_cbs, r, &err);
	assert_non_null(e);
	run_until(&r->done, 20000);
	assert_true(r->done);
	return r;
}

static void result_free(struct result *r)
{
	buf_free(&r->out);
	buf_free(&r->err);
	free(r);
}

static void test_exec_streams_and_status(void **state)
{
	(void)state;
	struct result *r = run("echo hello; echo oops >&2; exit 3", NULL, 0);
	assert_int_equal(r->status, 3);
	assert_string_equal(r->out.data, "hello\n");
	assert_string_equal(r->err.data, "oops\n");
	result_free(r);
	r = run("true", NULL, 0);
	assert_int_equal(r->status, 0);
	assert_int_equal(r->out.len, 0);
	result_free(r);
}

static void test_exec_stdin_and_large_output(void **state)
{
	(void)state;
	size_t n = 300000;
	char *in = xmalloc(n);
	memset(in, 'x', n);
	struct result *r = run("wc -c", in, n);
	free(in);
	assert_int_equal(r->status, 0);
	assert_int_equal(atol(r->out.data), (long)n);
	result_free(r);
	r = run("head -c 5000000 /dev/zero", NULL, 0);
	assert_int_equal(r->status, 0);
	assert_int_equal(r->out.len, 5000000);
	result_free(r);
}

static void test_many_channels_at_once(void **state)
{
	(void)state;
	enum { N = 8 };
	struct result rs[N];
	memset(rs, 0, sizeof rs);
	struct error err;
	for (int i = 0; i < N; i++) {
		char cmd[64];
		snprintf(cmd, sizeof cmd, "sleep 0.2; echo %d", i);
		assert_non_null(ssh_pool_exec(pool, host, cmd, NULL, 0, &r_cbs, &rs[i], &err));
	}
	int64_t end = time_mono_ms() + 20000;
	for (;;) {
		int done = 0;
		for (int i = 0; i < N; i++)
			done += rs[i].done;
		if (done == N || time_mono_ms() > end)
			break;
		loop_run_once(loop, 50);
	}
	for (int i = 0; i < N; i++) {
		assert_true(rs[i].done);
		assert_int_equal(rs[i].status, 0);
		assert_int_equal(atoi(rs[i].out.data), i);
		buf_free(&rs[i].out);
		buf_free(&rs[i].err);
	}
}

struct fileres {
	bool done;
	char error[512];
	struct buf data;
};
static void file_done(void *arg, const char *data, size_t len, const char *error)
{
	struct fileres *f = arg;
	f->done = true;
	if (error)
		str_copy(f->error, error, sizeof f->error);
	if (data)
		buf_append(&f->data, data, len);
}

static void test_write_and_read_file(void **state)
{
	(void)state;
	char *path = xasprintf("%s/remote file's name", dir);
	struct error err;
	struct fileres w = { 0 };
	const char *text = "motd=hello\nmax-players=60\n";
	assert_int_equal(ssh_pool_write_file(pool, host, path, text, strlen(text), 0640, file_done,
					     &w, &err), 0);
	run_until(&w.done, 10000);
	assert_true(w.done);
	assert_string_equal(w.error, "");
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	struct fileres r = { 0 };
	assert_int_equal(ssh_pool_read_file(pool, host, path, 1 << 20, file_done, &r, &err), 0);
	run_until(&r.done, 10000);
	assert_string_equal(r.error, "");
	assert_string_equal(r.data.data, text);
	buf_free(&r.data);
	/* Too large for max_bytes: an error, not a huge buffer. */
	struct fileres big = { 0 };
	assert_int_equal(ssh_pool_read_file(pool, host, path, 10, file_done, &big, &err), 0);
	run_until(&big.done, 10000);
	assert_non_null(strstr(big.error, "larger than 10 bytes"));
	/* A missing file names the path. */
	struct fileres miss = { 0 };
	assert_int_equal(ssh_pool_read_file(pool, host, "/nonexistent/x.cfg", 0, file_done, &miss,
					    &err), 0);
	run_until(&miss.done, 10000);
	assert_non_null(strstr(miss.error, "/nonexistent/x.cfg"));
	free(path);
}

static void test_write_survives_dropped_link(void **state)
{
	(void)state;
	char *path = xasprintf("%s/world.cfg", dir);
	struct error err;
	assert_int_equal(file_write_atomic(path, "old\n", 4, 0644, &err), 0);
	size_t n = 64 << 20;
	char *big = xmalloc(n);
	memset(big, 'n', n);
	struct fileres w = { 0 };
	assert_int_equal(ssh_pool_write_file(pool, host, path, big, n, 0644, file_done, &w, &err), 0);
	run_for(150);
	ssh_pool_disconnect(pool, host); /* the link drops mid-transfer */
	assert_true(w.done);
	if (w.error[0]) /* else the write beat the drop, and the new file must be whole */
		assert_non_null(strstr(w.error, "world.cfg"));
	free(big);
	sleep(1);
	char *data;
	size_t len;
	assert_int_equal(file_read_all(path, &data, &len, &err), 0);
	/* The old file or the whole new one, never a part. */
	assert_true((len == 4 && !memcmp(data, "old\n", 4)) || len == n);
	free(data);
	char *cmd = xasprintf("ls %s | grep -c fleetop-tmp", dir);
	FILE *p = popen(cmd, "r");
	int left = -1;
	assert_int_equal(fscanf(p, "%d", &left), 1);
	pclose(p);
	assert_int_equal(left, 0);
	free(cmd);
	free(path);
	/* And the pool connects again when asked. */
	ssh_pool_connect(pool, host);
	int64_t end = time_mono_ms() + 10000;
	while (host->state != HOST_UP && time_mono_ms() < end)
		loop_run_once(loop, 50);
	assert_int_equal(host->state, HOST_UP);
}

static void test_forward_to_host_loopback(void **state)
{
	(void)state;
	/* An echo server reachable only on the host's loopback. */
	char *portfile = xasprintf("%s/echo.port", dir);
	char *cmd = xasprintf("python3 -c '\n"
			      "import socket\n"
			      "s=socket.socket(); s.bind((\"127.0.0.1\",0)); s.listen(1)\n"
			      "open(\"%s\",\"w\").write(str(s.getsockname()[1]))\n"
			      "c,_=s.accept()\n"
			      "d=c.recv(100); c.sendall(b\"echo:\"+d); c.close()' &",
			      portfile);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	char *port = NULL;
	struct error err;
	for (int i = 0; i < 100 && file_read_all(portfile, &port, NULL, &err) < 0; i++)
		usleep(50000);
	assert_non_null(port);
	usleep(100000);
	struct result r = { 0 };
	struct ssh_exec *f = ssh_pool_forward(pool, host, "127.0.0.1", atoi(port), &r_cbs, &r, &err);
	assert_non_null(f);
	ssh_exec_write(f, "ping", 4);
	run_until(&r.done, 10000);
	assert_true(r.done);
	assert_string_equal(r.out.data, "echo:ping");
	buf_free(&r.out);
	buf_free(&r.err);
	free(port);
	free(portfile);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_streams_and_status),
		cmocka_unit_test(test_exec_stdin_and_large_output),
		cmocka_unit_test(test_many_channels_at_once),
		cmocka_unit_test(test_write_and_read_file),
		cmocka_unit_test(test_forward_to_host_loopback),
		cmocka_unit_test(test_write_survives_dropped_link),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
