/* A command hook as a send: the notification's JSON on the child's stdin
 * (a non-blocking pipe the loop writes as it drains), its stdout and
 * stderr kept (bounded) for the error message, its exit seen through a
 * pidfd (or a short waitpid poll where there is none). Exit 0 confirms;
 * anything else, or the timeout (which kills its whole process group),
 * is tried again later. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sender_private.h"

#define REAP_POLL_MS 50

/* What a hook's environment holds, and nothing else: not fleetop's own,
 * which has every secret_env variable of notify.conf, SSH_AUTH_SOCK (the
 * key to every host) and whatever the shell that started it had. These
 * are the login basics and where fleetop keeps its files (so the hook's
 * `fleetop alerts ack` reaches the same store); fleetop-notify(5). */
static const char *const hook_env_passed[] = {
	"HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ",
	"FLEETOP_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
};
#define HOOK_PATH "PATH=/usr/bin:/bin"
#define HOOK_ENV_MAX (sizeof hook_env_passed / sizeof hook_env_passed[0] + 2)

/* Fills envp (HOOK_ENV_MAX slots, NULL-terminated); hook_env_free frees it. */
static void hook_env(char **envp)
{
	size_t n = 0;
	envp[n++] = xstrdup(HOOK_PATH);
	for (size_t i = 0; i < sizeof hook_env_passed / sizeof hook_env_passed[0]; i++) {
		const char *v = getenv(hook_env_passed[i]);
		if (v)
			envp[n++] = xasprintf("%s=%s", hook_env_passed[i], v);
	}
	envp[n] = NULL;
}

static void hook_env_free(char **envp)
{
	for (char **e = envp; *e; e++)
		free(*e);
}

static void close_fd(struct xfer *x, int *fd)
{
	if (*fd < 0)
		return;
	loop_fd_del(x->s->loop, *fd);
	close(*fd);
	*fd = -1;
}

static void read_output(struct xfer *x)
{
	char tmp[4096];
	ssize_t n;
	while ((n = read(x->out_fd, tmp, sizeof tmp)) > 0)
		notify_xfer_keep(x, tmp, (size_t)n);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		close_fd(x, &x->out_fd);
}

static void on_output(struct loop *loop, int fd, int events, void *arg)
{
	read_output(arg);
}

static void on_stdin(struct loop *loop, int fd, int events, void *arg)
{
	struct xfer *x = arg;
	while (x->in_off < x->req.body_len) {
		ssize_t n = write(fd, x->req.body + x->in_off, x->req.body_len - x->in_off);
		if (n > 0) {
			x->in_off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		break; /* EPIPE: the hook does not read its stdin; its exit decides */
	}
	close_fd(x, &x->in_fd); /* EOF for the hook */
}

/* The hook has ended: status from waitpid, or known false when someone
 * else reaped it (as SIGCHLD set to SIG_IGN does). */
static void exited(struct xfer *x, int status, bool known)
{
	x->pid = 0;
	if (x->out_fd >= 0)
		read_output(x); /* what is left; a child it left behind may hold the pipe */
	if (known && !x->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		notify_xfer_done(x, NOTIFY_SENT, -1, NULL);
		return;
	}
	char how[80];
	if (!known)
		snprintf(how, sizeof how, "ended, but its exit status was lost (SIGCHLD ignored?)");
	else if (x->timed_out)
		snprintf(how, sizeof how, "timed out after %.1fs", (double)x->req.timeout_ms / 1000.0);
	else if (WIFEXITED(status))
		snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(how, sizeof how, "was killed by signal %d",
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	char *out = notify_xfer_text(x, x->reply.data ? x->reply.data : "", x->reply.len);
	char *msg = *out ? xasprintf("%s %s: %s", x->req.what, how, out)
			 : xasprintf("%s %s", x->req.what, how);
	free(out);
	notify_xfer_done(x, NOTIFY_RETRY, -1, msg);
	free(msg);
}

static bool reap(struct xfer *x)
{
	int status;
	pid_t r = waitpid(x->pid, &status, WNOHANG);
	if (r == x->pid || (r < 0 && errno == ECHILD)) {
		exited(x, r == x->pid ? status : 0, r == x->pid);
		return true;
	}
	return false;
}

static void on_pidfd(struct loop *loop, int fd, int events, void *arg)
{
	reap(arg);
}

static void on_reap_timer(struct loop *loop, void *arg)
{
	struct xfer *x = arg;
	x->reap_timer = 0;
	if (!reap(x))
		x->reap_timer = loop_timer_add(loop, REAP_POLL_MS, on_reap_timer, x);
}

static void on_deadline(struct loop *loop, void *arg)
{
	struct xfer *x = arg;
	x->deadline_timer = 0;
	if (x->pid > 0) {
		x->timed_out = true;
		kill(-x->pid, SIGKILL); /* and whatever it started */
	}
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int spawn(struct xfer *x, int in, int out, struct error *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, out, 2);
	posix_spawnattr_init(&at);
	/* Its own process group (a timeout kills all it started, and the
	 * terminal's ^C is not its), default signals (we ignore SIGPIPE; a
	 * shell pipeline in the hook must not) and an empty mask. */
	sigset_t def, none;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGCHLD);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETSIGMASK);
	/* The program is looked up on fleetop's PATH; it runs with its own. */
	char *envp[HOOK_ENV_MAX];
	hook_env(envp);
	int rc = posix_spawnp(&x->pid, x->req.argv[0], &fa, &at, x->req.argv, envp);
	hook_env_free(envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		x->pid = 0;
		return error_set(err, "%s: cannot run %s: %s", x->req.what, x->req.argv[0],
				 strerror(rc));
	}
	return 0;
}

int notify_cmd_start(struct xfer *x, struct error *err)
{
	struct notify_request *q = &x->req;
	struct loop *loop = x->s->loop;
	int in[2], out[2];
	if (!q->argv || !q->argv[0])
		return error_set(err, "%s: no command", q->what);
	if (pipe2(in, O_CLOEXEC) < 0)
		return error_set(err, "%s: pipe: %s", q->what, strerror(errno));
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return error_set(err, "%s: pipe: %s", q->what, strerror(errno));
	}
	int rc = spawn(x, in[0], out[1], err);
	close(in[0]);
	close(out[1]);
	if (rc < 0) {
		close(in[1]);
		close(out[0]);
		return -1;
	}
	x->in_fd = in[1];
	x->out_fd = out[0];
	set_nonblock(x->in_fd);
	set_nonblock(x->out_fd);
	loop_fd_add(loop, x->out_fd, LOOP_READ, on_output, x);
	if (q->body_len)
		loop_fd_add(loop, x->in_fd, LOOP_WRITE, on_stdin, x);
	else
		close_fd(x, &x->in_fd);
	x->deadline_timer = loop_timer_add(loop, q->timeout_ms, on_deadline, x);
	x->pid_fd = -1;
#ifdef SYS_pidfd_open
	x->pid_fd = (int)syscall(SYS_pidfd_open, x->pid, 0);
#endif
	if (x->pid_fd >= 0) {
		fcntl(x->pid_fd, F_SETFD, FD_CLOEXEC);
		loop_fd_add(loop, x->pid_fd, LOOP_READ, on_pidfd, x);
	} else {
		x->pid_fd = -1;
		x->reap_timer = loop_timer_add(loop, REAP_POLL_MS, on_reap_timer, x);
	}
	return 0;
}

void notify_cmd_stop(struct xfer *x)
{
	if (x->pid > 0) {
		/* Unconfirmed: it goes again at the next start; this one must
		 * not deliver it as well behind our back. */
		kill(-x->pid, SIGKILL);
		waitpid(x->pid, NULL, 0); /* SIGKILL: it cannot linger */
		x->pid = 0;
	}
	close_fd(x, &x->in_fd);
	close_fd(x, &x->out_fd);
	close_fd(x, &x->pid_fd);
	loop_timer_del(x->s->loop, x->deadline_timer);
	loop_timer_del(x->s->loop, x->reap_timer);
	x->deadline_timer = x->reap_timer = 0;
}
