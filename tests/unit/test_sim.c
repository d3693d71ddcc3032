/* sim: the simulated fleet, checked with the real OpenSSH client (host key
 * verification, exit codes, refused keys, probe frames, many channels on
 * one session), plus the model and the built-in shell on their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim_ports.h"
#include "fleetop/collect.h"
#include "fleetop/core.h"
#include "fleetop/loop.h"
#include "fleetop/sim.h"
#include "sim/model.h"
#include "sim/proc.h"
#include "sim/sim_private.h"

static char dir[PATH_MAX];
static int port;
static pid_t sim_pid = -1;
/* Every sim started, so a failed assertion does not leave one running. */
static pid_t started[8];
static int nstarted;

/* Runs argv with stdin from in_path (or /dev/null), collecting stdout and
 * stderr until it exits or until stop (if not NULL) shows up in stdout or
 * timeout_ms passes; then it is killed. Returns the exit status, 128+sig
 * if killed by a signal, -2 on timeout. */
static int run(char *const *argv, const char *in_path, const char *stop, int timeout_ms,
	       struct buf *out, struct buf *err)
{
	int po[2], pe[2];
	if (pipe(po) < 0 || pipe(pe) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		/* Its own group, so a stop reaches the whole pipeline (the probe
		 * script's loop and awk), and SIGPIPE back to normal so they end
		 * when nobody reads them. */
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
		dup2(in, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		execvp(argv[0], argv);
		_exit(126);
	}
	setpgid(pid, pid); /* also here: whichever side runs first */
	close(po[1]);
	close(pe[1]);
	int64_t deadline = time_mono_ms() + timeout_ms;
	bool open_o = true, open_e = true, timed_out = false, stopped = false;
	while (open_o || open_e) {
		struct pollfd pfd[2] = { { open_o ? po[0] : -1, POLLIN, 0 }, { open_e ? pe[0] : -1, POLLIN, 0 } };
		int64_t left = deadline - time_mono_ms();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		if (poll(pfd, 2, (int)left) < 0 && errno != EINTR)
			break;
		char chunk[4096];
		for (int i = 0; i < 2; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			ssize_t n = read(pfd[i].fd, chunk, sizeof chunk);
			if (n <= 0) {
				if (i == 0)
					open_o = false;
				else
					open_e = false;
				continue;
			}
			buf_append(i == 0 ? out : err, chunk, (size_t)n);
		}
		if (stop && out->data && strstr(out->data, stop)) {
			stopped = true;
			break;
		}
	}
	if (timed_out || stopped)
		kill(-pid, SIGTERM);
	int st;
	waitpid(pid, &st, 0);
	close(po[0]);
	close(pe[0]);
	if (timed_out)
		return -2;
	if (stopped)
		return 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ssh to host i of the 3-host sim with the sim's key and known_hosts. */
static int ssh_run(int host_port, const char *key, const char *known, const char *cmd,
		   const char *in_path, const char *stop, int timeout_ms, struct buf *out, struct buf *err)
{
	char portstr[16], idopt[PATH_MAX], khopt[PATH_MAX + 32];
	snprintf(portstr, sizeof portstr, "%d", host_port);
	snprintf(idopt, sizeof idopt, "%s", key);
	snprintf(khopt, sizeof khopt, "UserKnownHostsFile=%s", known);
	char *argv[] = { "ssh", "-F", "/dev/null", "-i", idopt, "-o", khopt,
			 "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
			 "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=5",
			 "-p", portstr, "127.0.0.1", (char *)cmd, NULL };
	return run(argv, in_path, stop, timeout_ms, out, err);
}

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static int sim_ssh(int host, const char *cmd, struct buf *out, struct buf *err)
{
	char *key = path_in("id_ed25519"), *kh = path_in("known_hosts");
	int rc = ssh_run(port + host, key, kh, cmd, NULL, NULL, 20000, out, err);
	free(key);
	free(kh);
	return rc;
}

static bool port_open(int p)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

/* Starts `fleetop sim` in a child on dir; waits until its files and the
 * given port are there. */
static pid_t start_sim(int nhosts, int first_port, int wait_port)
{
	char n[16], p[16];
	snprintf(n, sizeof n, "%d", nhosts);
	snprintf(p, sizeof p, "%d", first_port);
	char *kh = path_in("fleet.conf"); /* written last */
	unlink(kh);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { "sim", "--hosts", n, "--dir", dir, "--port", p, "--flap-every", "0",
				 "--time-scale", "60", NULL };
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		exit(sim_main(11, argv)); /* exit, not _exit: leak checkers run at exit */
	}
	if (nstarted < 8)
		started[nstarted++] = pid;
	struct stat st;
	int64_t deadline = time_mono_ms() + 30000;
	while (time_mono_ms() < deadline && (stat(kh, &st) < 0 || !port_open(wait_port)))
		usleep(20000);
	free(kh);
	return pid;
}

static int stop_sim(pid_t pid)
{
	int st = -1;
	for (int i = 0; i < nstarted; i++)
		if (started[i] == pid)
			started[i] = -1;
	kill(pid, SIGTERM);
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(20000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static int group_setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof dir, "/tmp/fleetop-test-sim-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* port..port+2: the 3-host sim; +10..+209: the 200-host one; +250..: in-process */
	port = sim_free_ports(260, 7919);
	sim_pid = start_sim(3, port, port + 2);
	return port_open(port + 2) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nstarted; i++)
		if (started[i] > 0)
			stop_sim(started[i]);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void test_files_written(void **state)
{
	(void)state;
	char *text;
	char *p = path_in("fleet.conf");
	assert_int_equal(file_read_all(p, &text, NULL, NULL), 0);
	free(p);
	char line[128];
	snprintf(line, sizeof line, "mc-eu-01 ansible_host=127.0.0.1 ansible_port=%d game=minecraft "
		 "query_port=%d rcon_port=%d rcon_password_file=/", port, port + 8000, port + 8001);
	assert_non_null(strstr(text, line));
	assert_non_null(strstr(text, "/rcon_password game_process=java game_world=/srv/minecraft/world "
				    "query_via=direct custom_command=fleetop-sim-plugins custom_interval=30s\n"));
	assert_non_null(strstr(text, "[quake]\n"));
	free(text);
	/* The RCON password every Minecraft host takes: secret, and not empty. */
	p = path_in("rcon_password");
	struct stat pst;
	assert_int_equal(stat(p, &pst), 0);
	assert_int_equal(pst.st_mode & 0777, 0600);
	assert_true(pst.st_size >= 16);
	free(p);
	p = path_in("known_hosts");
	assert_int_equal(file_read_all(p, &text, NULL, NULL), 0);
	free(p);
	snprintf(line, sizeof line, "[127.0.0.1]:%d ssh-ed25519 AAAA", port + 2);
	assert_non_null(strstr(text, line));
	free(text);
	p = path_in("fleetop.conf");
	assert_int_equal(file_read_all(p, &text, NULL, NULL), 0);
	free(p);
	assert_non_null(strstr(text, "known_hosts = known_hosts\n"));
	assert_non_null(strstr(text, "identity = id_ed25519\n"));
	assert_non_null(strstr(text, "config = /dev/null\n"));
	assert_non_null(strstr(text, "host_key_policy = strict\n"));
	free(text);
	struct stat st;
	p = path_in("id_ed25519");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(p);
}

static void test_echo_and_host_key(void **state)
{
	(void)state;
	struct buf out = { 0 }, err = { 0 };
	/* StrictHostKeyChecking=yes: this only works if known_hosts is right. */
	assert_int_equal(sim_ssh(0, "echo hi", &out, &err), 0);
	assert_string_equal(out.data, "hi\n");
	buf_reset(&out);
	assert_int_equal(sim_ssh(2, "hostname", &out, &err), 0);
	assert_string_equal(out.data, "q3-01\n");
	buf_free(&out);
	buf_free(&err);
}

static void test_exit_codes(void **state)
{
	(void)state;
	struct buf out = { 0 }, err = { 0 };
	assert_int_equal(sim_ssh(1, "false", &out, &err), 1);
	assert_int_equal(sim_ssh(1, "exit 3", &out, &err), 3);
	assert_int_equal(sim_ssh(1, "true && exit 7; echo no", &out, &err), 7);
	assert_int_equal(sim_ssh(1, "frobnicate --now", &out, &err), 127);
	assert_non_null(strstr(err.data, "sh: 1: frobnicate: not found\n"));
	assert_null(out.data);
	buf_free(&out);
	buf_free(&err);
}

static void test_wrong_client_key_refused(void **state)
{
	(void)state;
	char *key = path_in("wrong_key"), *kh = path_in("known_hosts");
	char *argv[] = { "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key, NULL };
	struct buf out = { 0 }, err = { 0 };
	assert_int_equal(run(argv, NULL, NULL, 20000, &out, &err), 0);
	buf_reset(&err);
	assert_int_equal(ssh_run(port, key, kh, "echo hi", NULL, NULL, 20000, &out, &err), 255);
	assert_non_null(strstr(err.data, "Permission denied"));
	assert_null(out.data);
	free(key);
	free(kh);
	buf_free(&out);
	buf_free(&err);
}

static void test_wrong_host_key_refused(void **state)
{
	(void)state;
	/* Host 1's key filed under host 0's port: each host has its own key,
	 * so ssh must refuse. */
	char *kh = path_in("known_hosts"), *bad = path_in("known_hosts.bad"), *key = path_in("id_ed25519");
	char *text;
	assert_int_equal(file_read_all(kh, &text, NULL, NULL), 0);
	char *l1 = strchr(text, '\n') + 1;
	char *k1 = strstr(l1, " ssh-ed25519 ");
	char *line = xasprintf("[127.0.0.1]:%d%.*s", port, (int)(strchr(k1, '\n') + 1 - k1), k1);
	assert_int_equal(file_write_atomic(bad, line, strlen(line), 0644, NULL), 0);
	struct buf out = { 0 }, err = { 0 };
	assert_int_equal(ssh_run(port, key, bad, "echo hi", NULL, NULL, 20000, &out, &err), 255);
	assert_non_null(strstr(err.data, "Host key verification failed"));
	free(line);
	free(text);
	free(kh);
	free(bad);
	free(key);
	buf_free(&out);
	buf_free(&err);
}

static void test_stdin_and_files(void **state)
{
	(void)state;
	char *in = path_in("input.txt"), *key = path_in("id_ed25519"), *kh = path_in("known_hosts");
	const char *data = "max-players=40\nmotd=hello\n";
	assert_int_equal(file_write_atomic(in, data, strlen(data), 0644, NULL), 0);
	struct buf out = { 0 }, err = { 0 };
	assert_int_equal(ssh_run(port, key, kh, "cat > /srv/mc/server.properties && echo ok", in, NULL,
				 20000, &out, &err), 0);
	assert_string_equal(out.data, "ok\n");
	buf_reset(&out);
	assert_int_equal(sim_ssh(0, "cat /srv/mc/server.properties", &out, &err), 0);
	assert_string_equal(out.data, data);
	/* Files belong to their host. */
	buf_reset(&out);
	buf_reset(&err);
	assert_int_equal(sim_ssh(1, "cat /srv/mc/server.properties", &out, &err), 1);
	assert_non_null(strstr(err.data, "No such file"));
	free(in);
	free(key);
	free(kh);
	buf_free(&out);
	buf_free(&err);
}

/* Tags of a frame's lines in order, runs of one tag counted once, with the
 * number of fields after the tag (the first of a run). */
static void frame_shape(const char *frame, struct buf *shape)
{
	char last[72] = "";
	for (const char *p = frame; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[1024];
		snprintf(line, sizeof line, "%.*s", (int)len, p);
		char word[32], key[32] = "", tag[72];
		sscanf(line, "%31s", word);
		if (strcmp(word, "stat") == 0 || strcmp(word, "meminfo") == 0)
			sscanf(line, "%*s %31s", key);
		snprintf(tag, sizeof tag, "%s%s%s", word, *key ? ":" : "", key);
		if (strcmp(tag, last) != 0) {
			int fields = 0;
			for (char *w = strtok(line, " "); w; w = strtok(NULL, " "))
				fields++;
			/* netdev and diskstats differ in count from host to host, not in form */
			buf_printf(shape, "%s/%d ", tag, fields);
			snprintf(last, sizeof last, "%s", tag);
		}
		p += len + (nl ? 1 : 0);
	}
}

/* The first frame the real script prints on this machine. */
static char *real_frame(const char *script)
{
	char *argv[] = { "/bin/sh", "-s", LINUX_PROBE_MARK, "1", "/", NULL };
	struct buf out = { 0 }, err = { 0 };
	run(argv, script, "end 1\n", 10000, &out, &err);
	buf_free(&err);
	return out.data;
}

static unsigned long long field(const char *frame_text, const char *prefix, int n)
{
	const char *p = strstr(frame_text, prefix);
	if (!p)
		return 0;
	p += strlen(prefix);
	unsigned long long v = 0;
	for (int i = 0; i <= n; i++) {
		char *end;
		while (*p == ' ')
			p++;
		v = strtoull(p, &end, 10);
		p = end;
	}
	return v;
}

static void test_probe_frames(void **state)
{
	(void)state;
	char *script = xasprintf("%s", __FILE__);
	/* tests/unit/test_sim.c -> src/collect/linux_probe.sh */
	char *slash = strrchr(script, '/');
	*slash = '\0';
	slash = strrchr(script, '/');
	*slash = '\0';
	char *sp = xasprintf("%s/../src/collect/linux_probe.sh", script);
	free(script);
	char *key = path_in("id_ed25519"), *kh = path_in("known_hosts");
	char *cmd = xasprintf("exec /bin/sh -s %s 1 '/' '/srv/it'\\''s' 'relative'", LINUX_PROBE_MARK);
	struct buf out = { 0 }, err = { 0 };
	int64_t t0 = time_mono_ms();
	assert_int_equal(ssh_run(port + 1, key, kh, cmd, sp, "end 2\n", 15000, &out, &err), 0);
	int64_t took = time_mono_ms() - t0;
	assert_true(took >= 900); /* one interval between frames */
	char *f2 = strstr(out.data, "frame 1 2\n");
	assert_true(str_starts_with(out.data, "frame 1 1\n"));
	assert_non_null(f2);
	assert_non_null(strstr(out.data, "end 1\nframe 1 2\n"));
	assert_true(str_starts_with(strstr(out.data, "end 2\n"), "end 2\n"));
	assert_non_null(strstr(out.data, "dfarg /srv/it's\n"));
	assert_non_null(strstr(out.data, "dfarg relative\nprocs ")); /* df fails: no df line */
	/* df runs about every 10 s: not in the second frame at 1 s. */
	assert_null(strstr(f2, "dfarg"));

	/* Counters only go up. */
	const char *cnt[][2] = { { "stat cpu ", "0" }, { "stat cpu ", "3" }, { "uptime ", "0" } };
	for (size_t i = 0; i < sizeof cnt / sizeof cnt[0]; i++) {
		int n = atoi(cnt[i][1]);
		assert_true(field(f2, cnt[i][0], n) >= field(out.data, cnt[i][0], n));
	}
	assert_true(field(f2, "stat cpu ", 3) > field(out.data, "stat cpu ", 3));
	char *eth1 = strstr(out.data, ":"), *eth2;
	(void)eth1;
	eth1 = strstr(out.data, "netdev ");
	eth1 = strstr(eth1 + 1, "netdev "); /* the second interface: not lo */
	eth2 = strstr(f2, "netdev ");
	eth2 = strstr(eth2 + 1, "netdev ");
	assert_true(field(strchr(eth2, ':') + 1, "", 0) > field(strchr(eth1, ':') + 1, "", 0));
	assert_true(field(strchr(eth2, ':') + 1, "", 8) > field(strchr(eth1, ':') + 1, "", 8));

	/* Same shape as the real script's frame on this machine. */
	char *real = real_frame(sp);
	assert_non_null(real);
	char *end1 = strstr(out.data, "end 1\n");
	end1[strlen("end 1\n")] = '\0';
	struct buf s_sim = { 0 }, s_real = { 0 };
	frame_shape(out.data, &s_sim);
	frame_shape(real, &s_real);
	/* Mount args differ: compare up to the first dfarg. */
	*strstr(s_sim.data, "dfarg") = '\0';
	*strstr(s_real.data, "dfarg") = '\0';
	assert_string_equal(s_sim.data, s_real.data);
	/* And the meminfo lines are byte-aligned the same way. */
	const char *mt = strstr(out.data, "meminfo MemTotal:"), *rt = strstr(real, "meminfo MemTotal:");
	assert_int_equal(strchr(mt, '\n') - mt, strchr(rt, '\n') - rt);
	free(real);
	buf_free(&s_sim);
	buf_free(&s_real);
	free(cmd);
	free(sp);
	free(key);
	free(kh);
	buf_free(&out);
	buf_free(&err);
}

/* A sleeping command must not hold up the others. */
static void test_sleep_does_not_block(void **state)
{
	(void)state;
	char *key = path_in("id_ed25519"), *kh = path_in("known_hosts");
	pid_t pid = fork();
	if (pid == 0) {
		struct buf out = { 0 }, err = { 0 };
		int rc = ssh_run(port, key, kh, "sleep 3; echo woke", NULL, NULL, 20000, &out, &err);
		_exit(rc == 0 && out.data && strcmp(out.data, "woke\n") == 0 ? 0 : 1);
	}
	usleep(500000);
	struct buf out = { 0 }, err = { 0 };
	int64_t t0 = time_mono_ms();
	assert_int_equal(sim_ssh(0, "echo fast", &out, &err), 0);
	assert_true(time_mono_ms() - t0 < 2000);
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	free(key);
	free(kh);
	buf_free(&out);
	buf_free(&err);
}

/* Many channels on one session: OpenSSH multiplexing. */
static void test_many_channels_one_session(void **state)
{
	(void)state;
	char *key = path_in("id_ed25519"), *kh = path_in("known_hosts"), *cp = path_in("cm.sock");
	char portstr[16], khopt[PATH_MAX + 32], cpopt[PATH_MAX + 32];
	snprintf(portstr, sizeof portstr, "%d", port + 1);
	snprintf(khopt, sizeof khopt, "UserKnownHostsFile=%s", kh);
	snprintf(cpopt, sizeof cpopt, "ControlPath=%s", cp);
	pid_t master = fork();
	if (master == 0) {
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("ssh", "ssh", "-F", "/dev/null", "-i", key, "-o", khopt, "-o",
		       "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", "ControlMaster=yes", "-o",
		       cpopt, "-N", "-p", portstr, "127.0.0.1", (char *)NULL);
		_exit(126);
	}
	struct stat st;
	for (int i = 0; i < 500 && stat(cp, &st) < 0; i++)
		usleep(10000);
	assert_int_equal(stat(cp, &st), 0);
	enum { N = 8 };
	pid_t kids[N];
	for (int i = 0; i < N; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			char cmd[64], want[64];
			snprintf(cmd, sizeof cmd, "sleep 0.%d; echo chan %d", i, i);
			snprintf(want, sizeof want, "chan %d\n", i);
			char *argv[] = { "ssh", "-F", "/dev/null", "-o", cpopt, "-o", "ControlMaster=no",
					 "-p", portstr, "127.0.0.1", cmd, NULL };
			struct buf out = { 0 }, err = { 0 };
			int rc = run(argv, NULL, NULL, 20000, &out, &err);
			_exit(rc == 0 && out.data && strcmp(out.data, want) == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < N; i++) {
		int s;
		waitpid(kids[i], &s, 0);
		assert_true(WIFEXITED(s) && WEXITSTATUS(s) == 0);
	}
	kill(master, SIGTERM);
	waitpid(master, NULL, 0);
	unlink(cp);
	free(key);
	free(kh);
	free(cp);
}

/* Clients that vanish at any moment: mid-handshake, mid-probe, mid-sleep,
 * mid-upload. The sim keeps serving, and (checked at its exit, under
 * ASan) leaks nothing. */
static void test_clients_vanish(void **state)
{
	(void)state;
	char *key = path_in("id_ed25519"), *kh = path_in("known_hosts");
	const char *cmds[] = { "exec /bin/sh -s " LINUX_PROBE_MARK " 0.2 /", "sleep 5", "cat > /big",
			       "cat", "echo quick" };
	pid_t kids[10];
	for (int i = 0; i < 10; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			struct buf out = { 0 }, err = { 0 };
			ssh_run(port + i % 3, key, kh, cmds[i % 5], "/dev/zero", NULL, 100 + 150 * i, &out,
				&err);
			_exit(0);
		}
	}
	/* Raw TCP: one closes at once, one sends garbage, one a half banner. */
	const char *junk[] = { "", "GET / HTTP/1.0\r\n\r\n", "SSH-2.0-half" };
	for (int i = 0; i < 3; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(port + i)) };
		inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
		if (*junk[i])
			assert_true(write(fd, junk[i], strlen(junk[i])) > 0);
		usleep(50000);
		close(fd);
	}
	for (int i = 0; i < 10; i++)
		waitpid(kids[i], NULL, 0);
	for (int h = 0; h < 3; h++) {
		struct buf out = { 0 }, err = { 0 };
		assert_int_equal(sim_ssh(h, "echo alive", &out, &err), 0);
		assert_string_equal(out.data, "alive\n");
		buf_free(&out);
		buf_free(&err);
	}
	free(key);
	free(kh);
}

/* In-process: the flapping host refuses connections and drops its
 * sessions while down, and comes back. */
static void test_flap(void **state)
{
	(void)state;
	struct loop *loop = loop_new();
	struct sim *s = NULL;
	struct error err;
	char *d = path_in("flap");
	struct sim_opts o = { .nhosts = 3, .dir = d, .port = port + 255, .flap_every_s = 2,
			      .flap_down_s = 1 };
	assert_int_equal(sim_start(loop, &o, &s, &err), 0);
	int f = s->flap_host;
	assert_true(f >= 0);
	int fport = sim_host_port(s, f);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)fport) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	int64_t t0 = time_mono_ms();
	while (!sim_host_is_down(s, f) && time_mono_ms() - t0 < 3000)
		loop_run_once(loop, 50);
	assert_true(sim_host_is_down(s, f));
	assert_true(time_mono_ms() - t0 >= 1500);
	assert_false(port_open(fport));
	for (int i = 0; i < 5; i++)
		loop_run_once(loop, 10); /* the dropped session is reaped */
	char b[256];
	ssize_t n;
	while ((n = read(fd, b, sizeof b)) > 0)
		; /* banner, then EOF: the session was dropped */
	assert_int_equal(n, 0);
	close(fd);
	while (sim_host_is_down(s, f) && time_mono_ms() - t0 < 5000)
		loop_run_once(loop, 50);
	assert_false(sim_host_is_down(s, f));
	assert_true(port_open(fport));
	sim_stop(s);
	loop_free(loop);
	free(d);
}

/* Last in the group: a clean stop, and a restart that keeps the keys. */
static void test_stop_and_restart_keeps_keys(void **state)
{
	(void)state;
	char *kh = path_in("known_hosts"), *before, *after;
	assert_int_equal(file_read_all(kh, &before, NULL, NULL), 0);
	assert_int_equal(stop_sim(sim_pid), 0);
	sim_pid = start_sim(3, port, port + 2);
	assert_int_equal(file_read_all(kh, &after, NULL, NULL), 0);
	assert_string_equal(before, after);
	struct buf out = { 0 }, err = { 0 };
	assert_int_equal(sim_ssh(2, "echo again", &out, &err), 0);
	assert_string_equal(out.data, "again\n");
	assert_int_equal(stop_sim(sim_pid), 0);
	sim_pid = -1;
	free(before);
	free(after);
	free(kh);
	buf_free(&out);
	buf_free(&err);
}

static void test_scale_200(void **state)
{
	(void)state;
	int base = port + 10;
	pid_t pid = start_sim(200, base, base + 199);
	assert_true(port_open(base + 199));
	char *conf = path_in("fleet.conf"), *text;
	assert_int_equal(file_read_all(conf, &text, NULL, NULL), 0);
	int picks[] = { 0, 77, 150, 199 };
	for (size_t i = 0; i < sizeof picks / sizeof picks[0]; i++) {
		char want[64];
		/* Followed by the game's variables, or by the end of the line
		 * when another test's simulator holds this host's game port. */
		snprintf(want, sizeof want, "ansible_port=%d", base + picks[i]);
		char *at = strstr(text, want);
		assert_non_null(at);
		assert_true(at[strlen(want)] == ' ' || at[strlen(want)] == '\n');
		while (at > text && at[-1] != '\n')
			at--;
		char name[32];
		sscanf(at, "%31s", name);
		strcat(name, "\n");
		struct buf out = { 0 }, err = { 0 };
		assert_int_equal(sim_ssh(base + picks[i] - port, "hostname", &out, &err), 0);
		assert_string_equal(out.data, name);
		buf_free(&out);
		buf_free(&err);
	}
	assert_non_null(strstr(text, "\nmc-eu-70 ")); /* 70 of 200 */
	assert_non_null(strstr(text, "\nvh-30 "));
	assert_int_equal(stop_sim(pid), 0);
	free(text);
	free(conf);
}

/* In-process: the API on a loop, and its refusals. */
static void test_start_on_loop(void **state)
{
	(void)state;
	struct loop *loop = loop_new();
	struct sim *s = NULL;
	struct error err;
	char *d2 = path_in("inproc");
	struct sim_opts o = { .nhosts = 2, .dir = d2, .port = port + 250, .seed = 7 };
	assert_int_equal(sim_start(loop, &o, &s, &err), 0);
	assert_int_equal(sim_nhosts(s), 2);
	assert_string_equal(sim_host_addr(s, 1), "127.0.0.1");
	assert_int_equal(sim_host_port(s, 1), port + 251);
	/* The banner comes from the loop, without blocking. */
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(port + 251)) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(fd, (struct sockaddr *)&sa, sizeof sa);
	char banner[64] = "";
	ssize_t got = 0;
	for (int i = 0; i < 200 && got <= 0; i++) {
		loop_run_once(loop, 10);
		got = read(fd, banner, sizeof banner - 1);
	}
	assert_true(got > 0);
	assert_true(str_starts_with(banner, "SSH-2.0-"));
	close(fd);
	/* A client that goes away mid-handshake is cleaned up. */
	for (int i = 0; i < 20; i++)
		loop_run_once(loop, 5);
	sim_stop(s);

	struct sim_opts bad = o;
	bad.nhosts = 0;
	assert_int_equal(sim_start(loop, &bad, &s, &err), -1);
	assert_non_null(strstr(err.msg, "0 hosts"));
	bad = o;
	bad.port = 65535;
	assert_int_equal(sim_start(loop, &bad, &s, &err), -1);
	assert_non_null(strstr(err.msg, "65535"));
	bad = o;
	bad.addr = "not-an-address";
	assert_int_equal(sim_start(loop, &bad, &s, &err), -1);
	assert_non_null(strstr(err.msg, "not-an-address"));
	bad = o;
	bad.port = port; /* taken by nobody now, but twice in one process: */
	struct sim *s1 = NULL;
	assert_int_equal(sim_start(loop, &bad, &s1, &err), 0);
	assert_int_equal(sim_start(loop, &bad, &s, &err), -1);
	assert_non_null(strstr(err.msg, "cannot listen"));
	sim_stop(s1);
	loop_free(loop);
	free(d2);
}

/* The model on its own: a few simulated days in fast time. */
static void test_model_days(void **state)
{
	(void)state;
	struct model_clock clk = { .start_mono_ms = 1000, .start_wall_s = 1700000000, .time_scale = 120 };
	struct model_host leak = { .leaks = true }, disk = { .fills_disk = true }, plain = { 0 };
	model_host_init(&leak, 42, 0, GAME_MINECRAFT, 1, &clk, 1000);
	model_host_init(&disk, 42, 1, GAME_VALHEIM, 1, &clk, 1000);
	model_host_init(&plain, 42, 2, GAME_QUAKE, 0, &clk, 1000);
	struct model_host again = { 0 };
	model_host_init(&again, 42, 2, GAME_QUAKE, 0, &clk, 1000);
	assert_int_equal(again.ncores, plain.ncores); /* same seed, same host */
	assert_int_equal(again.mem_total_kb, plain.mem_total_kb);
	assert_true(plain.ncores >= 2 && plain.ncores <= 16);
	assert_true(plain.ram_gib >= 4 && plain.ram_gib <= 64);

	double prev_cpu[CPU_NFIELDS], prev_net = 0, prev_wr = 0, prev_up = 0;
	double leak_max = 0, leak_drop = 0, disk_max = 0, disk_min = 1;
	int pmin = 1 << 30, pmax = -1;
	memcpy(prev_cpu, plain.cpu, sizeof prev_cpu);
	/* 3 simulated days: 2160 real seconds at 120x, a frame every 2 s. */
	for (int64_t t = 1000; t <= 1000 + 2160 * 1000; t += 2000) {
		model_advance(&leak, &clk, t);
		model_advance(&disk, &clk, t);
		model_advance(&plain, &clk, t);
		for (int i = 0; i < CPU_NFIELDS; i++) {
			assert_true(plain.cpu[i] >= prev_cpu[i]);
			prev_cpu[i] = plain.cpu[i];
		}
		assert_true(plain.ifaces[1].stat[NET_TX_BYTES] >= prev_net);
		prev_net = plain.ifaces[1].stat[NET_TX_BYTES];
		assert_true(disk.disks[0].stat[DS_WR_SECTORS] >= prev_wr);
		prev_wr = disk.disks[0].stat[DS_WR_SECTORS];
		assert_true(plain.uptime_s > prev_up);
		prev_up = plain.uptime_s;
		assert_true(plain.mem_free_kb + plain.buffers_kb + plain.cached_kb <= plain.mem_total_kb);
		assert_true(plain.mem_avail_kb <= plain.mem_total_kb);
		assert_true(plain.players >= 0 && plain.players <= plain.max_players);
		pmin = plain.players < pmin ? plain.players : pmin;
		pmax = plain.players > pmax ? plain.players : pmax;
		double lk = (double)leak.leak_kb;
		if (lk < leak_max * 0.5)
			leak_drop = leak_max;
		leak_max = lk > leak_max ? lk : leak_max;
		const struct model_mount *mt = &disk.mounts[disk.fill_mount];
		double pct = mt->used_kb / mt->size_kb;
		disk_max = pct > disk_max ? pct : disk_max;
		disk_min = pct < disk_min ? pct : disk_min;
	}
	/* A day has quiet hours and busy ones. */
	assert_true(pmax - pmin >= plain.max_players / 3);
	/* The leak grew to something big and was cleared at least once. */
	assert_true(leak_max > leak.mem_total_kb * 0.2);
	assert_true(leak_drop > 0);
	/* The disk filled up and was cleaned. */
	assert_true(disk_max > 0.95);
	assert_true(disk_min < 0.45);
	/* Uptime runs at real speed whatever the time scale. */
	assert_true(fabs(plain.uptime_s - plain.boot_uptime_s - 2160) < 1);
}

/* The shell on its own, on a host of a fake sim. */
struct shell_fixture {
	struct loop *loop;
	struct sim sim;
	struct sim_host host;
};

static int shell_run_all(struct shell_fixture *f, const char *cmd, const char *in, struct buf *out,
			 struct buf *err, int64_t *slept)
{
	struct buf inb = { 0 };
	if (in)
		buf_puts(&inb, in);
	struct sh_io io = { out, err, &inb, true };
	struct sim_shell *sh = shell_new(&f->host, "fleetop", cmd);
	int64_t ms = 0;
	*slept = 0;
	enum sh_wait w;
	while ((w = shell_run(sh, &io, &ms)) != SH_DONE) {
		assert_int_equal(w, SH_SLEEP);
		*slept += ms;
	}
	int st = shell_status(sh);
	shell_free(sh);
	buf_free(&inb);
	return st;
}

static void test_shell(void **state)
{
	(void)state;
	struct shell_fixture f = { 0 };
	f.loop = loop_new();
	f.sim.loop = f.loop;
	f.sim.clock = (struct model_clock){ loop_now_ms(f.loop), 1700000000, 1 };
	f.host.sim = &f.sim;
	snprintf(f.host.name, sizeof f.host.name, "vh-01");
	model_host_init(&f.host.model, 1, 0, GAME_VALHEIM, 0, &f.sim.clock, loop_now_ms(f.loop));
	struct buf out = { 0 }, err = { 0 };
	int64_t slept;
#define SH(cmd, in, status, want_out)                                                   \
	do {                                                                             \
		buf_reset(&out);                                                         \
		buf_reset(&err);                                                         \
		assert_int_equal(shell_run_all(&f, cmd, in, &out, &err, &slept), status); \
		assert_string_equal(out.data ? out.data : "", want_out);                  \
	} while (0)
	SH("echo 'a  b' \"c\\\"d\" e\\ f", NULL, 0, "a  b c\"d e f\n");
	SH("echo -n x; echo y", NULL, 0, "xy\n");
	SH("false && echo no || echo yes", NULL, 0, "yes\n");
	SH("true || echo no; false", NULL, 1, "");
	SH("exit 300", NULL, 44, "");
	SH("uname; uname -sr; uname -n", NULL, 0, "Linux\nLinux " SIM_KERNEL_RELEASE "\nvh-01\n");
	SH("whoami; /bin/echo path", NULL, 0, "fleetop\npath\n");
	SH("sleep 1.5 && echo up", NULL, 0, "up\n");
	assert_int_equal(slept, 1500);
	SH("sleep 1m", NULL, 0, "");
	assert_int_equal(slept, 60000);
	SH("sleep x", NULL, 1, "");
	assert_non_null(strstr(err.data, "invalid time interval"));
	SH("echo one > f; echo two >> f; cat f; cat /home/fleetop/f", NULL, 0, "one\ntwo\none\ntwo\n");
	SH("cat < f", NULL, 0, "one\ntwo\n");
	SH("cat f >> f; cat f", NULL, 0, "one\ntwo\n"); /* found by the fuzzer */
	assert_non_null(strstr(err.data, "input file is output file"));
	SH("echo data | cat", NULL, 0, "data\n");
	SH("cat", "from stdin", 0, "from stdin");
	SH("nope 2>/dev/null || echo handled", NULL, 0, "handled\n");
	assert_null(strstr(err.data ? err.data : "", "nope"));
	SH("nope 2>&1", NULL, 127, "sh: 1: nope: not found\n");
	SH("echo x > /proc/foo", NULL, 2, "");
	assert_non_null(strstr(err.data, "cannot create"));
	SH("rm f && cat f", NULL, 1, "");
	SH("test -f /etc/hostname && [ -e /nope ] || echo ok", NULL, 0, "ok\n");
	SH("echo ok;", NULL, 0, "ok\n");
	SH("&& echo", NULL, 2, "");
	assert_non_null(strstr(err.data, "Syntax error: \"&&\" unexpected"));
	SH("echo a &&", NULL, 2, "");
	SH("echo 'open", NULL, 2, "");
	SH("cat /etc/hostname", NULL, 0, "vh-01\n");
	SH("sudo -n systemctl restart valheim && echo restarted", NULL, 0, "restarted\n");
	SH("exec true", NULL, 0, "");
	buf_reset(&out);
	assert_int_equal(shell_run_all(&f, "cat /proc/meminfo", NULL, &out, &err, &slept), 0);
	assert_true(str_starts_with(out.data, "MemTotal:"));
	assert_non_null(strstr(out.data, "\nHugePages_Total:       0\n"));
	buf_reset(&out);
	assert_int_equal(shell_run_all(&f, "df /", NULL, &out, &err, &slept), 0);
	assert_true(str_starts_with(out.data, "Filesystem     1024-blocks"));
#undef SH
	buf_free(&out);
	buf_free(&err);
	vfs_free_all(&f.host);
	loop_free(f.loop);
}

static void test_words(void **state)
{
	(void)state;
	char **argv;
	int n = shell_words("exec /bin/sh -s fleetop-probe 1 '/' '/srv/it'\\''s' && x", &argv);
	assert_int_equal(n, 7);
	assert_string_equal(argv[4], "1");
	assert_string_equal(argv[6], "/srv/it's");
	words_free(argv, n);
	assert_int_equal(shell_words("echo 'x", &argv), -1);
}

int main(void)
{
	const struct CMUnitTest ssh_tests[] = {
		cmocka_unit_test(test_files_written),
		cmocka_unit_test(test_echo_and_host_key),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_wrong_client_key_refused),
		cmocka_unit_test(test_wrong_host_key_refused),
		cmocka_unit_test(test_stdin_and_files),
		cmocka_unit_test(test_probe_frames),
		cmocka_unit_test(test_sleep_does_not_block),
		cmocka_unit_test(test_many_channels_one_session),
		cmocka_unit_test(test_clients_vanish),
		cmocka_unit_test(test_stop_and_restart_keeps_keys),
		cmocka_unit_test(test_scale_200),
		cmocka_unit_test(test_start_on_loop),
		cmocka_unit_test(test_flap),
	};
	const struct CMUnitTest local_tests[] = {
		cmocka_unit_test(test_model_days),
		cmocka_unit_test(test_shell),
		cmocka_unit_test(test_words),
	};
	int failed = cmocka_run_group_tests(local_tests, NULL, NULL);
	failed += cmocka_run_group_tests(ssh_tests, group_setup, group_teardown);
	return failed ? 1 : 0;
}
