/* Channels on an up session: exec with streamed stdout/stderr and exit
 * status, and TCP forwards. Every libssh call here is non-blocking; a step
 * does what it can and the next readiness of the socket resumes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssh_private.h"

struct conn *ssh_pool_conn(struct ssh_pool *p, struct host *h);

static void exec_unlink(struct ssh_exec *e)
{
	struct conn *c = e->conn;
	for (struct ssh_exec **pp = &c->execs; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
}

static void exec_destroy(struct ssh_exec *e)
{
	if (e->channel) {
		/* libssh keeps a channel closed by us until the peer's close
		 * arrives and still calls its callbacks then: they must not
		 * point into e once it is freed. */
		if (e->cb.size)
			ssh_remove_channel_callbacks(e->channel, &e->cb);
		if (e->conn->session && ssh_is_connected(e->conn->session) &&
		    !ssh_channel_is_closed(e->channel))
			ssh_channel_close(e->channel);
		ssh_channel_free(e->channel);
	}
	buf_free(&e->in);
	free(e->command);
	free(e);
}

/* Ends e, reporting status (or error) once, and frees it. */
static void exec_finish(struct ssh_exec *e, int status, const char *error)
{
	exec_unlink(e);
	e->phase = EXEC_DONE;
	if (e->cbs.on_exit)
		e->cbs.on_exit(e->arg, status, error);
	exec_destroy(e);
}

void exec_fail_all(struct conn *c, const char *why)
{
	while (c->execs) {
		struct ssh_exec *e = c->execs;
		/* The session is going away: libssh frees channels with it. */
		c->execs = e->next;
		e->phase = EXEC_DONE;
		if (e->cbs.on_exit)
			e->cbs.on_exit(e->arg, -1, why);
		e->channel = NULL;
		exec_destroy(e);
	}
}

static void on_exit_status(ssh_session session, ssh_channel channel, int status, void *userdata)
{
	struct ssh_exec *e = userdata;
	(void)session;
	(void)channel;
	e->exit_status = status;
	e->got_exit = true;
}

static void on_exit_signal(ssh_session session, ssh_channel channel, const char *signal, int core,
			   const char *errmsg, const char *lang, void *userdata)
{
	struct ssh_exec *e = userdata;
	(void)session, (void)channel, (void)core, (void)errmsg, (void)lang, (void)signal;
	e->exit_signal = 1;
	e->got_exit = true;
}

/* Drains what libssh has buffered for one stream. Returns -1 on error. */
static int drain(struct ssh_exec *e, int is_stderr)
{
	char data[16384];
	for (;;) {
		int n = ssh_channel_read_nonblocking(e->channel, data, sizeof data, is_stderr);
		if (n == SSH_ERROR)
			return -1;
		if (n <= 0)
			return 0;
		e->conn->rx_reads++;
		void (*fn)(void *, const char *, size_t) =
			is_stderr ? e->cbs.on_stderr : e->cbs.on_stdout;
		if (fn)
			fn(e->arg, data, (size_t)n);
		/* The callback may have cancelled us. */
		if (e->phase == EXEC_DONE)
			return 1;
	}
}

static void write_stdin(struct ssh_exec *e)
{
	while (e->in.len > 0) {
		uint32_t chunk = e->in.len > 32768 ? 32768 : (uint32_t)e->in.len;
		int n = ssh_channel_write(e->channel, e->in.data, chunk);
		if (n <= 0)
			break; /* window full or would block: next turn */
		buf_consume(&e->in, (size_t)n);
	}
	if (e->in.len == 0 && e->close_stdin && !e->eof_sent && e->phase == EXEC_RUNNING) {
		if (ssh_channel_send_eof(e->channel) != SSH_AGAIN)
			e->eof_sent = true;
	}
}

void exec_step(struct ssh_exec *e)
{
	struct conn *c = e->conn;
	int rc;
	switch (e->phase) {
	case EXEC_DONE:
		/* Cancelled from inside a callback: freed here, outside of it. */
		exec_unlink(e);
		exec_destroy(e);
		return;
	case EXEC_OPENING:
		if (e->kind == EXEC_COMMAND)
			rc = ssh_channel_open_session(e->channel);
		else
			rc = ssh_channel_open_forward(e->channel, e->command, e->remote_port,
						      "127.0.0.1", 0);
		if (rc == SSH_AGAIN)
			return;
		if (rc != SSH_OK) {
			char msg[256];
			snprintf(msg, sizeof msg, "cannot open channel: %s", ssh_get_error(c->session));
			exec_finish(e, -1, msg);
			return;
		}
		ssh_callbacks_init(&e->cb);
		e->cb.userdata = e;
		e->cb.channel_exit_status_function = on_exit_status;
		e->cb.channel_exit_signal_function = on_exit_signal;
		ssh_set_channel_callbacks(e->channel, &e->cb);
		e->phase = e->kind == EXEC_COMMAND ? EXEC_REQUEST : EXEC_RUNNING;
		if (e->phase == EXEC_RUNNING)
			break;
		/* fall through */
	case EXEC_REQUEST:
		rc = ssh_channel_request_exec(e->channel, e->command);
		if (rc == SSH_AGAIN)
			return;
		if (rc != SSH_OK) {
			char msg[256];
			snprintf(msg, sizeof msg, "exec refused: %s", ssh_get_error(c->session));
			exec_finish(e, -1, msg);
			return;
		}
		e->phase = EXEC_RUNNING;
		break;
	default:
		break;
	}
	if (e->phase != EXEC_RUNNING)
		return;
	write_stdin(e);
	int r = drain(e, 0);
	if (r == 0)
		r = drain(e, 1);
	if (r > 0) {
		/* Cancelled by a callback. */
		exec_unlink(e);
		exec_destroy(e);
		return;
	}
	if (r < 0) {
		exec_finish(e, -1, "channel error");
		return;
	}
	if (ssh_channel_is_eof(e->channel) || ssh_channel_is_closed(e->channel)) {
		/* EOF can come before the exit status; the close comes after it. */
		if (e->kind == EXEC_FORWARD)
			exec_finish(e, 0, NULL);
		else if (e->got_exit)
			exec_finish(e, e->exit_signal ? -1 : e->exit_status,
				    e->exit_signal ? "killed by a signal" : NULL);
		else if (ssh_channel_is_closed(e->channel))
			exec_finish(e, -1, "channel closed without an exit status");
	}
}

static struct ssh_exec *exec_new(struct ssh_pool *p, struct host *h, enum exec_kind kind,
				 const struct ssh_exec_cbs *cbs, void *arg, struct error *err)
{
	struct conn *c = ssh_pool_conn(p, h);
	if (!c || c->phase != CONN_UP) {
		error_set(err, "%s: not connected%s%s", h->name, h->error[0] ? ": " : "", h->error);
		return NULL;
	}
	ssh_channel ch = ssh_channel_new(c->session);
	if (!ch) {
		error_set(err, "%s: cannot create channel: %s", h->name, ssh_get_error(c->session));
		return NULL;
	}
	struct ssh_exec *e = xcalloc(1, sizeof *e);
	e->conn = c;
	e->kind = kind;
	e->channel = ch;
	e->cbs = *cbs;
	e->arg = arg;
	e->next = c->execs;
	c->execs = e;
	return e;
}

static void exec_kick(struct ssh_exec *e)
{
	struct conn *c = e->conn;
	if (c->in_step) {
		/* Queued from a callback inside a step: nothing may arrive on the
		 * socket to wake us, so step again on the next turn. */
		conn_kick(c);
		return;
	}
	c->in_step = true;
	exec_step(e);
	c->in_step = false;
	conn_update_events(c);
}

struct ssh_exec *ssh_pool_exec(struct ssh_pool *p, struct host *h, const char *command,
			       const void *stdin_data, size_t stdin_len,
			       const struct ssh_exec_cbs *cbs, void *arg, struct error *err)
{
	struct ssh_exec *e = exec_new(p, h, EXEC_COMMAND, cbs, arg, err);
	if (!e)
		return NULL;
	e->command = xstrdup(command);
	if (stdin_data) {
		buf_append(&e->in, stdin_data, stdin_len);
		e->close_stdin = true;
	}
	/* Stepped on the next turn, never here: a channel that fails at once
	 * must not call on_exit (and be freed) before the caller has it. */
	conn_kick(e->conn);
	return e;
}

struct ssh_exec *ssh_pool_forward(struct ssh_pool *p, struct host *h, const char *remote_host,
				  int remote_port, const struct ssh_exec_cbs *cbs, void *arg,
				  struct error *err)
{
	struct ssh_exec *e = exec_new(p, h, EXEC_FORWARD, cbs, arg, err);
	if (!e)
		return NULL;
	e->command = xstrdup(remote_host);
	e->remote_port = remote_port;
	conn_kick(e->conn);
	return e;
}

void ssh_exec_write(struct ssh_exec *e, const void *data, size_t len)
{
	if (e->close_stdin)
		return;
	buf_append(&e->in, data, len);
	exec_kick(e);
}

void ssh_exec_close_stdin(struct ssh_exec *e)
{
	e->close_stdin = true;
	exec_kick(e);
}

void ssh_exec_cancel(struct ssh_exec *e)
{
	if (!e || e->phase == EXEC_DONE)
		return;
	e->phase = EXEC_DONE;
	memset(&e->cbs, 0, sizeof e->cbs);
	struct conn *c = e->conn;
	if (c->in_step)
		return; /* the step that called us frees it */
	exec_unlink(e);
	exec_destroy(e);
	conn_update_events(c);
}
