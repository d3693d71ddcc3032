/* Delivery: outbox rows become requests on the loop. HTTP and SMTP go
 * through libcurl's multi interface driven by the loop's epoll (curl tells
 * us which sockets to watch and when its timer runs out; we tell it what
 * became ready); a command hook is a child process whose stdin, output
 * and exit are watched the same way. Nothing here blocks.
 *
 * A poll reads due rows (every second, and at once on a kick or when a
 * transfer ends), renders each for its receiver and starts it, at most
 * MAX_IN_FLIGHT at a time. Every outcome is written to the row at once:
 * confirmed (sent), retry at a time (backoff, or what a rate limit asked
 * for), or failed for good. A row is confirmed only by its confirmation,
 * so a crash resends exactly the unconfirmed, with the same key. One
 * process a history file sends (store_outbox_lock), so the console and a
 * `fleetop notify` beside it never both send a row.
 *
 * Requests hold secrets (webhook URLs, tokens, passwords): logs and stored
 * errors name only req.what and the row's key, and any text that comes
 * back (a reply, curl's message, a hook's output) is redacted first. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fleetop/alert.h"
#include "sender_private.h"

#define MAX_IN_FLIGHT 16
#define POLL_MS 1000
#define REAP_POLL_MS 50     /* waitpid polling when pidfd_open is missing */
#define REPLY_MAX 4096      /* what is kept of a reply or a hook's output */
#define MAX_SECRETS 16

extern char **environ;

struct xfer {
	struct notify_sender *s;
	struct xfer *next;
	int64_t id, created_ms, started_mono;
	int tries;
	char *key;
	struct notify_request req;
	const char *secrets[MAX_SECRETS]; /* into req: what must not show */
	size_t nsecrets;
	char *secret_copy[2];             /* r->url and r->secret, copied */
	struct buf reply;                 /* first REPLY_MAX bytes of the reply / output */
	size_t reply_total;
	/* curl */
	CURL *easy;
	struct curl_slist *headers, *rcpt;
	size_t upload_off;
	char *retry_after;
	char errbuf[CURL_ERROR_SIZE];
	/* command */
	pid_t pid;
	int in_fd, out_fd, pid_fd;
	size_t in_off;
	uint64_t deadline_timer, reap_timer;
	bool timed_out;
};

struct notify_sender {
	struct loop *loop;
	struct store *st;
	const struct notify_config *cfg;
	CURLM *multi;
	uint64_t curl_timer, poll_timer;
	bool kicked;           /* poll_timer is an immediate one */
	int lock_fd;
	bool lock_warned;
	struct xfer *xfers;
	size_t in_flight;
	uint32_t rng;
	uint64_t sent, retried, failed;
};

static void kick_in(struct notify_sender *s, int64_t delay_ms);

static uint32_t rng_next(struct notify_sender *s)
{
	uint32_t x = s->rng; /* xorshift32 */
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return s->rng = x;
}

/* ---- the end of a send ---- */

static void xfer_free(struct xfer *x)
{
	struct notify_sender *s = x->s;
	if (x->easy) {
		curl_multi_remove_handle(s->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->rcpt);
	if (x->in_fd >= 0) {
		loop_fd_del(s->loop, x->in_fd);
		close(x->in_fd);
	}
	if (x->out_fd >= 0) {
		loop_fd_del(s->loop, x->out_fd);
		close(x->out_fd);
	}
	if (x->pid_fd >= 0) {
		loop_fd_del(s->loop, x->pid_fd);
		close(x->pid_fd);
	}
	loop_timer_del(s->loop, x->deadline_timer);
	loop_timer_del(s->loop, x->reap_timer);
	for (int i = 0; i < 2; i++)
		if (x->secret_copy[i]) {
			explicit_bzero(x->secret_copy[i], strlen(x->secret_copy[i]));
			free(x->secret_copy[i]);
		}
	notify_request_free(&x->req);
	buf_free(&x->reply);
	free(x->retry_after);
	free(x->key);
	free(x);
}

static void xfer_unlink(struct xfer *x)
{
	struct notify_sender *s = x->s;
	for (struct xfer **p = &s->xfers; *p; p = &(*p)->next)
		if (*p == x) {
			*p = x->next;
			s->in_flight--;
			return;
		}
}

static void fmt_wait(int64_t ms, char *out, size_t size)
{
	if (ms < 10000)
		snprintf(out, size, "%.1fs", (double)ms / 1000.0);
	else if (ms < 120000)
		snprintf(out, size, "%llds", (long long)(ms / 1000));
	else
		snprintf(out, size, "%lldm", (long long)(ms / 60000));
}

/* Writes the outcome to the row, logs it, and lets the row go.
 * retry_in_ms: the wait a rate limit asked for, -1 for backoff. */
static void xfer_done(struct xfer *x, enum notify_verdict v, int64_t retry_in_ms, const char *msg)
{
	struct notify_sender *s = x->s;
	struct error err;
	int64_t now = time_wall_ms();
	long long took = (long long)(time_mono_ms() - x->started_mono);
	const char *what = x->req.what ? x->req.what : "?";
	int rc = 0;
	if (v == NOTIFY_RETRY && now - x->created_ms >= NOTIFY_GIVE_UP_MS) {
		char *m = xasprintf("gave up after %d tries over %lld h: %s", x->tries + 1,
				    (long long)(NOTIFY_GIVE_UP_MS / 3600000), msg);
		xfer_done(x, NOTIFY_FAIL, -1, m);
		free(m);
		return;
	}
	switch (v) {
	case NOTIFY_SENT:
		rc = store_outbox_sent(s->st, x->id, now, &err);
		s->sent++;
		log_info("notify: %s: sent to %s (try %d, %lld ms)", x->key, what, x->tries + 1, took);
		break;
	case NOTIFY_RETRY: {
		int64_t wait = retry_in_ms >= 0 ? retry_in_ms : notify_backoff_ms(x->tries, rng_next(s));
		char w[32];
		fmt_wait(wait, w, sizeof w);
		rc = store_outbox_retry(s->st, x->id, now + wait, msg, &err);
		s->retried++;
		log_warn("notify: %s: try %d failed, again in %s%s: %s", x->key, x->tries + 1, w,
			 retry_in_ms >= 0 ? " (as asked)" : "", msg);
		break;
	}
	case NOTIFY_FAIL:
		rc = store_outbox_failed(s->st, x->id, now, msg, &err);
		s->failed++;
		log_warn("notify: %s: failed for good after %d tries: %s", x->key, x->tries + 1, msg);
		break;
	}
	/* Not recorded: the row stays pending and goes out again later with
	 * the same key (a repeat the receiver can drop), never lost. */
	if (rc < 0)
		log_error("notify: %s: %s", x->key, err.msg);
	xfer_unlink(x);
	xfer_free(x);
	kick_in(s, 0); /* a slot is free */
}

/* Text that came back, made safe to store and log: one line, cut, and
 * without anything the request holds secret. */
static char *safe_text(const struct xfer *x, const char *text, size_t len)
{
	struct buf b = { 0 };
	/* Redact before cutting, so a secret cut in half cannot slip out. */
	char *copy = xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (!copy[i])
			copy[i] = ' ';
	notify_redact(copy, x->secrets, x->nsecrets);
	notify_excerpt(&b, copy, strlen(copy), NOTIFY_EXCERPT_MAX);
	free(copy);
	char *out = xstrdup(b.data ? b.data : "");
	buf_free(&b);
	return out;
}

/* What must never show in a message: the URL (all of it, and its path,
 * where a webhook's token sits), the password, header values (tokens),
 * and the receiver's secret. */
static void collect_secrets(struct xfer *x, const struct notify_receiver *r)
{
	struct notify_request *q = &x->req;
#define ADD(p)                                                     \
	do {                                                       \
		if ((p) && x->nsecrets < MAX_SECRETS)              \
			x->secrets[x->nsecrets++] = (p);           \
	} while (0)
	if (r->url)
		ADD(x->secret_copy[0] = xstrdup(r->url));
	if (r->secret)
		ADD(x->secret_copy[1] = xstrdup(r->secret));
	if (q->url) {
		ADD(q->url);
		const char *host = strstr(q->url, "://");
		const char *path = host ? strchr(host + 3, '/') : NULL;
		if (path && strlen(path) > 1)
			ADD(path);
	}
	if (q->userpwd) {
		const char *colon = strchr(q->userpwd, ':');
		ADD(colon ? colon + 1 : q->userpwd);
	}
	for (size_t i = 0; i < q->nheaders; i++) {
		const char *h = q->headers[i];
		const char *colon = strchr(h, ':');
		if (!colon || !strncasecmp(h, "Content-Type:", 13) || !strncasecmp(h, "Accept:", 7) ||
		    !strncasecmp(h, "User-Agent:", 11) || !strncasecmp(h, "Idempotency-Key:", 16))
			continue;
		colon++;
		while (*colon == ' ')
			colon++;
		ADD(colon);
	}
#undef ADD
}

/* ---- curl on the loop ---- */

static void curl_check_done(struct notify_sender *s);

static void on_curl_fd(struct loop *loop, int fd, int events, void *arg)
{
	struct notify_sender *s = arg;
	int flags = (events & LOOP_READ ? CURL_CSELECT_IN : 0) |
		    (events & LOOP_WRITE ? CURL_CSELECT_OUT : 0);
	int running;
	curl_multi_socket_action(s->multi, fd, flags, &running);
	curl_check_done(s);
}

static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct notify_sender *s = userp;
	if (what == CURL_POLL_REMOVE) {
		loop_fd_del(s->loop, fd);
		return 0;
	}
	int events = (what & CURL_POLL_IN ? LOOP_READ : 0) | (what & CURL_POLL_OUT ? LOOP_WRITE : 0);
	if (loop_fd_add(s->loop, fd, events, on_curl_fd, s) < 0) {
		/* A number reused after a close the loop did not see: start over. */
		loop_fd_del(s->loop, fd);
		if (loop_fd_add(s->loop, fd, events, on_curl_fd, s) < 0)
			return -1;
	}
	return 0;
}

static void on_curl_timer(struct loop *loop, void *arg)
{
	struct notify_sender *s = arg;
	int running;
	s->curl_timer = 0;
	curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	curl_check_done(s);
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct notify_sender *s = userp;
	loop_timer_del(s->loop, s->curl_timer);
	s->curl_timer = 0;
	/* 0 too goes through the loop: curl must not be re-entered from here. */
	if (timeout_ms >= 0)
		s->curl_timer = loop_timer_add(s->loop, timeout_ms, on_curl_timer, s);
	return 0;
}

static size_t on_reply(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	x->reply_total += len;
	if (x->reply.len < REPLY_MAX)
		buf_append(&x->reply, data, len < REPLY_MAX - x->reply.len ? len : REPLY_MAX - x->reply.len);
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		/* A new response (after a 100 Continue): forget the last one's. */
		free(x->retry_after);
		x->retry_after = NULL;
	} else if (len > 12 && !strncasecmp(data, "Retry-After:", 12) && len < 200) {
		free(x->retry_after);
		x->retry_after = xstrndup(data + 12, len - 12);
	}
	return len;
}

static size_t on_upload(char *out, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t room = size * n, left = x->req.body_len - x->upload_off;
	size_t k = left < room ? left : room;
	memcpy(out, x->req.body + x->upload_off, k);
	x->upload_off += k;
	return k;
}

static void curl_finished(struct xfer *x, CURLcode code)
{
	const char *what = x->req.what;
	long status = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (x->req.kind == REQ_SMTP) {
		enum notify_verdict v = notify_smtp_verdict(code, status);
		if (v == NOTIFY_SENT) {
			xfer_done(x, v, -1, NULL);
			return;
		}
		const char *e = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);
		char *why = safe_text(x, e, strlen(e));
		char *msg = status ? xasprintf("%s: %s (server said %ld)", what, why, status)
				   : xasprintf("%s: %s", what, why);
		xfer_done(x, v, -1, msg);
		free(msg);
		free(why);
		return;
	}
	if (code != CURLE_OK) {
		const char *e = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);
		char *why = safe_text(x, e, strlen(e));
		char *msg = xasprintf("%s: %s", what, why);
		xfer_done(x, notify_curl_verdict(code), -1, msg);
		free(msg);
		free(why);
		return;
	}
	enum notify_verdict v = notify_http_verdict(status);
	if (v == NOTIFY_SENT) {
		xfer_done(x, v, -1, NULL);
		return;
	}
	int64_t wait = -1;
	if (v == NOTIFY_RETRY)
		wait = notify_retry_after_ms(status, x->retry_after, x->reply.data, x->reply.len,
					     time_wall_ms());
	char *body = safe_text(x, x->reply.data ? x->reply.data : "", x->reply.len);
	char *msg = *body ? xasprintf("HTTP %ld from %s: %s", status, what, body)
			  : xasprintf("HTTP %ld from %s", status, what);
	xfer_done(x, v, wait, msg);
	free(msg);
	free(body);
}

static void curl_check_done(struct notify_sender *s)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(s->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct xfer *x = NULL;
		CURLcode code = m->data.result;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x)
			curl_finished(x, code);
	}
}

static int curl_start(struct xfer *x, struct error *err)
{
	struct notify_request *q = &x->req;
	CURL *e = curl_easy_init();
	if (!e)
		return error_set(err, "%s: cannot start a transfer", q->what);
	x->easy = e;
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x);
	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)q->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(q->timeout_ms < 10000 ? q->timeout_ms : 10000));
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_reply);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	if (q->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, q->ca_file);
	if (q->userpwd)
		curl_easy_setopt(e, CURLOPT_USERPWD, q->userpwd);
	if (q->kind == REQ_HTTP) {
		bool expect = false;
		for (size_t i = 0; i < q->nheaders; i++) {
			x->headers = curl_slist_append(x->headers, q->headers[i]);
			expect |= !strncasecmp(q->headers[i], "Expect:", 7);
		}
		/* No 100-continue round trip (a second's wait on servers
		 * that ignore it): our bodies are small. */
		if (!expect)
			x->headers = curl_slist_append(x->headers, "Expect:");
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(q->body ? q->body_len : 0));
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body ? q->body : "");
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	} else {
		curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		curl_easy_setopt(e, CURLOPT_MAIL_FROM, q->mail_from ? q->mail_from : "");
		for (size_t i = 0; i < q->nrcpt; i++)
			x->rcpt = curl_slist_append(x->rcpt, q->rcpt[i]);
		curl_easy_setopt(e, CURLOPT_MAIL_RCPT, x->rcpt);
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_upload);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_len);
		curl_easy_setopt(e, CURLOPT_USE_SSL,
				 q->starttls >= 2 ? (long)CURLUSESSL_ALL
				 : q->starttls == 1 ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
	}
	if (curl_multi_add_handle(x->s->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		x->easy = NULL;
		return error_set(err, "%s: cannot start a transfer", q->what);
	}
	return 0;
}

/* ---- a command hook ---- */

static void cmd_read_output(struct xfer *x)
{
	char tmp[4096];
	ssize_t n;
	while ((n = read(x->out_fd, tmp, sizeof tmp)) > 0)
		on_reply(tmp, 1, (size_t)n, x);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		loop_fd_del(x->s->loop, x->out_fd);
		close(x->out_fd);
		x->out_fd = -1;
	}
}

static void on_cmd_output(struct loop *loop, int fd, int events, void *arg)
{
	cmd_read_output(arg);
}

static void cmd_close_stdin(struct xfer *x)
{
	loop_fd_del(x->s->loop, x->in_fd);
	close(x->in_fd);
	x->in_fd = -1;
}

static void on_cmd_stdin(struct loop *loop, int fd, int events, void *arg)
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
	cmd_close_stdin(x);
}

/* The hook has exited (status from waitpid; known false when someone
 * else reaped it, as SIGCHLD ignored does): the verdict. */
static void cmd_exited(struct xfer *x, int status, bool known)
{
	x->pid = 0;
	if (x->out_fd >= 0)
		cmd_read_output(x); /* what is left; a child it left behind may hold the pipe */
	if (known && !x->timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		xfer_done(x, NOTIFY_SENT, -1, NULL);
		return;
	}
	char how[64];
	if (!known)
		snprintf(how, sizeof how, "ended, but its exit status was lost (SIGCHLD ignored?)");
	else if (x->timed_out)
		snprintf(how, sizeof how, "timed out after %.1fs", (double)x->req.timeout_ms / 1000.0);
	else if (WIFEXITED(status))
		snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(how, sizeof how, "killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	char *out = safe_text(x, x->reply.data ? x->reply.data : "", x->reply.len);
	char *msg = *out ? xasprintf("%s %s: %s", x->req.what, how, out)
			 : xasprintf("%s %s", x->req.what, how);
	xfer_done(x, NOTIFY_RETRY, -1, msg);
	free(msg);
	free(out);
}

static bool cmd_reap(struct xfer *x)
{
	int status;
	pid_t r = waitpid(x->pid, &status, WNOHANG);
	if (r == x->pid || (r < 0 && errno == ECHILD)) {
		cmd_exited(x, r == x->pid ? status : 0, r == x->pid);
		return true;
	}
	return false;
}

static void on_cmd_pidfd(struct loop *loop, int fd, int events, void *arg)
{
	cmd_reap(arg);
}

static void on_cmd_reap_timer(struct loop *loop, void *arg)
{
	struct xfer *x = arg;
	x->reap_timer = 0;
	if (!cmd_reap(x))
		x->reap_timer = loop_timer_add(loop, REAP_POLL_MS, on_cmd_reap_timer, x);
}

static void on_cmd_deadline(struct loop *loop, void *arg)
{
	struct xfer *x = arg;
	x->deadline_timer = 0;
	if (x->pid > 0) {
		x->timed_out = true;
		kill(-x->pid, SIGKILL); /* its whole process group */
	}
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int cmd_start(struct xfer *x, struct error *err)
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
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, out[1], 2);
	posix_spawnattr_init(&at);
	/* Its own process group (a timeout kills all it started, and the
	 * terminal's ^C is not its), default signals (we ignore SIGPIPE, a
	 * shell pipeline in the hook must not) and an empty mask. */
	sigset_t def, none;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGCHLD);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETSIGMASK);
	pid_t pid;
	int rc = posix_spawnp(&pid, q->argv[0], &fa, &at, q->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in[0]);
	close(out[1]);
	if (rc != 0) {
		close(in[1]);
		close(out[0]);
		return error_set(err, "%s: cannot run %s: %s", q->what, q->argv[0], strerror(rc));
	}
	x->pid = pid;
	x->in_fd = in[1];
	x->out_fd = out[0];
	set_nonblock(x->in_fd);
	set_nonblock(x->out_fd);
	loop_fd_add(loop, x->out_fd, LOOP_READ, on_cmd_output, x);
	if (q->body_len)
		loop_fd_add(loop, x->in_fd, LOOP_WRITE, on_cmd_stdin, x);
	else
		cmd_close_stdin(x);
	x->deadline_timer = loop_timer_add(loop, q->timeout_ms, on_cmd_deadline, x);
#ifdef SYS_pidfd_open
	x->pid_fd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	if (x->pid_fd >= 0) {
		fcntl(x->pid_fd, F_SETFD, FD_CLOEXEC);
		loop_fd_add(loop, x->pid_fd, LOOP_READ, on_cmd_pidfd, x);
	} else {
		x->pid_fd = -1;
		x->reap_timer = loop_timer_add(loop, REAP_POLL_MS, on_cmd_reap_timer, x);
	}
	return 0;
}

/* ---- the poll: due rows -> sends ---- */

struct due_row {
	int64_t id, created_ms, next_try_ms;
	int tries;
	char *key, *receiver, *body;
};
struct due_rows {
	struct due_row *v;
	size_t n, cap;
};

static void collect_due(void *arg, const struct store_outbox *o)
{
	struct due_rows *d = arg;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 32;
		d->v = xrealloc(d->v, d->cap * sizeof *d->v);
	}
	d->v[d->n++] = (struct due_row){
		.id = o->id, .created_ms = o->created_ms, .next_try_ms = o->next_try_ms,
		.tries = o->tries, .key = xstrdup(o->key), .receiver = xstrdup(o->receiver),
		.body = xstrdup(o->body),
	};
}

static bool in_flight(const struct notify_sender *s, int64_t id)
{
	for (const struct xfer *x = s->xfers; x; x = x->next)
		if (x->id == id)
			return true;
	return false;
}

/* A row that cannot be sent as it is (its body does not parse, its
 * receiver is gone): failed at once, with why. */
static void row_failed(struct notify_sender *s, const struct due_row *r, const char *msg)
{
	struct error err;
	s->failed++;
	log_warn("notify: %s: failed for good: %s", r->key, msg);
	if (store_outbox_failed(s->st, r->id, time_wall_ms(), msg, &err) < 0)
		log_error("notify: %s: %s", r->key, err.msg);
}

static void start_row(struct notify_sender *s, const struct due_row *r)
{
	struct notification n;
	struct error err;
	memset(&n, 0, sizeof n);
	if (notification_from_json(&n, r->body, &err) < 0) {
		char *m = xasprintf("the stored notification does not read: %s", err.msg);
		row_failed(s, r, m);
		free(m);
		return;
	}
	const struct notify_receiver *recv = s->cfg ? notify_config_receiver(s->cfg, r->receiver)
						    : NULL;
	if (!recv) {
		char *m = xasprintf("no receiver '%s' in %s", r->receiver,
				    s->cfg && s->cfg->path ? s->cfg->path : "notify.conf");
		row_failed(s, r, m);
		free(m);
		notification_free(&n);
		return;
	}
	struct xfer *x = xcalloc(1, sizeof *x);
	x->s = s;
	x->id = r->id;
	x->created_ms = r->created_ms;
	x->tries = r->tries;
	x->key = xstrdup(r->key);
	x->in_fd = x->out_fd = x->pid_fd = -1;
	x->started_mono = time_mono_ms();
	int rc = notify_render(recv, &n, &x->req, &err);
	notification_free(&n);
	if (rc < 0) {
		row_failed(s, r, err.msg);
		xfer_free(x);
		return;
	}
	collect_secrets(x, recv);
	x->next = s->xfers;
	s->xfers = x;
	s->in_flight++;
	rc = x->req.kind == REQ_COMMAND ? cmd_start(x, &err) : curl_start(x, &err);
	if (rc < 0) {
		/* Out of fds or processes: a passing shortage, try later. */
		xfer_done(x, x->req.kind == REQ_COMMAND && strstr(err.msg, "cannot run")
				     ? NOTIFY_FAIL : NOTIFY_RETRY, -1, err.msg);
		return;
	}
	log_debug("notify: %s: sending to %s (try %d)", x->key, x->req.what, x->tries + 1);
}

static void poll_outbox(struct loop *loop, void *arg)
{
	struct notify_sender *s = arg;
	struct error err;
	s->poll_timer = 0;
	s->kicked = false;
	int held = store_outbox_lock(s->st, &s->lock_fd, &err);
	if (held < 0 && !s->lock_warned) {
		log_warn("notify: %s", err.msg);
		s->lock_warned = true;
	}
	if (held != 1) {
		/* Another process sends; ours waits its turn. */
		kick_in(s, POLL_MS);
		return;
	}
	/* Rows due now, and those due before the next poll, so a retry due
	 * in 300 ms is not kept waiting a second. In-flight rows are pending
	 * and due too: ask for enough to see past them. */
	int64_t now = time_wall_ms();
	struct due_rows d = { 0 };
	size_t free_slots = MAX_IN_FLIGHT - s->in_flight;
	if (store_outbox_due(s->st, now + POLL_MS, (int)(s->in_flight + MAX_IN_FLIGHT + 1),
			     collect_due, &d, &err) < 0)
		log_warn("notify: %s", err.msg);
	int64_t next = POLL_MS;
	for (size_t i = 0; i < d.n; i++) {
		struct due_row *r = &d.v[i];
		if (in_flight(s, r->id))
			continue;
		if (r->next_try_ms > now) {
			if (r->next_try_ms - now < next)
				next = r->next_try_ms - now;
			break; /* ordered by next_try: the rest are later */
		}
		if (free_slots == 0)
			continue; /* a finished send kicks */
		start_row(s, r);
		free_slots--;
	}
	for (size_t i = 0; i < d.n; i++) {
		free(d.v[i].key);
		free(d.v[i].receiver);
		free(d.v[i].body);
	}
	free(d.v);
	if (!s->poll_timer)
		kick_in(s, next);
}

/* (Re)arms the poll to run in delay_ms, unless it runs sooner already. */
static void kick_in(struct notify_sender *s, int64_t delay_ms)
{
	if (s->kicked)
		return;
	loop_timer_del(s->loop, s->poll_timer);
	s->poll_timer = loop_timer_add(s->loop, delay_ms, poll_outbox, s);
	s->kicked = delay_ms == 0;
}

/* ---- the public face ---- */

struct notify_sender *notify_sender_new(struct loop *loop, struct store *st,
					const struct notify_config *cfg)
{
	static bool curl_ready;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			log_error("notify: cannot start libcurl");
			return NULL;
		}
		curl_ready = true;
	}
	/* A hook that exits before reading its stdin must not kill us with
	 * SIGPIPE (the daemon and cli ignore it already; a test may not). */
	struct sigaction old;
	if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	struct notify_sender *s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->st = st;
	s->cfg = cfg;
	s->lock_fd = -1;
	s->rng = (uint32_t)time_mono_ms() ^ ((uint32_t)getpid() << 16) ^ 0x9e3779b9u;
	if (!s->rng)
		s->rng = 1;
	s->multi = curl_multi_init();
	if (!s->multi) {
		free(s);
		log_error("notify: cannot start libcurl");
		return NULL;
	}
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
	kick_in(s, 0);
	return s;
}

void notify_sender_set_config(struct notify_sender *s, const struct notify_config *cfg)
{
	s->cfg = cfg; /* sends in flight carry their own rendered requests */
}

void notify_sender_kick(struct notify_sender *s)
{
	kick_in(s, 0);
}

static void count_row(void *arg, const struct store_outbox *o)
{
	(*(size_t *)arg)++;
}

void notify_sender_stats(const struct notify_sender *s, struct notify_sender_stats *st)
{
	struct error err;
	memset(st, 0, sizeof *st);
	st->sent = s->sent;
	st->retried = s->retried;
	st->failed = s->failed;
	st->in_flight = s->in_flight;
	if (store_outbox_list(s->st, "pending", 0, count_row, &st->pending, &err) < 0)
		st->pending = 0;
}

void notify_sender_free(struct notify_sender *s)
{
	if (!s)
		return;
	while (s->xfers) {
		struct xfer *x = s->xfers;
		s->xfers = x->next;
		s->in_flight--;
		if (x->pid > 0) {
			/* Unconfirmed: it goes again at the next start; this one
			 * must not confirm it behind our back. */
			kill(-x->pid, SIGKILL);
			waitpid(x->pid, NULL, WNOHANG);
		}
		xfer_free(x);
	}
	loop_timer_del(s->loop, s->poll_timer);
	curl_multi_cleanup(s->multi);
	loop_timer_del(s->loop, s->curl_timer);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s);
}
