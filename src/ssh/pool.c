/* The session pool: one libssh session per host, every step non-blocking
 * and driven by the loop. A connection goes
 *   resolve (getaddrinfo_a) -> TCP connect (ours, so errors are exact)
 *   -> handshake (ssh_connect on our fd) -> host key -> auth -> up
 * and on any failure waits a capped, jittered exponential backoff and
 * starts again. A ProxyCommand/ProxyJump host lets libssh start the proxy
 * and skips our TCP step. Each phase has a deadline, so a peer that accepts
 * and never speaks costs one timer. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ssh_private.h"

#define KEEPALIVE_MS 5000  /* quiet this long: send a keepalive */
/* Quiet this long: the peer is gone. Short enough that a host that died
 * without closing the connection raises host_unreachable (for 10s) within
 * the 30 s the alert defaults promise; three keepalives went unanswered. */
#define DEAD_MS 15000
#define DNS_POLL_MS 20

static void conn_step(struct conn *c);
static void conn_start(struct conn *c);

static void conn_set_state(struct conn *c, enum host_state state, enum host_fault fault,
			   const char *msg)
{
	struct host *h = c->host;
	bool changed = h->state != state || h->fault != fault || strcmp(h->error, msg) != 0;
	if (!changed)
		return;
	host_set_state(h, state, fault, "%s", msg);
	if (c->pool->on_state)
		c->pool->on_state(c->pool->state_arg, h);
}

static void conn_release(struct conn *c)
{
	if (c->fd >= 0)
		loop_fd_del(c->pool->loop, c->fd);
	c->fd = -1;
	if (c->tcp_fd >= 0)
		close(c->tcp_fd);
	c->tcp_fd = -1;
	if (c->phase == CONN_RESOLVING) {
		/* The resolver thread writes into c->gai until it is done. */
		if (gai_cancel(&c->gai) == EAI_NOTCANCELED) {
			const struct gaicb *wait[1] = { &c->gai };
			while (gai_error(&c->gai) == EAI_INPROGRESS)
				gai_suspend(wait, 1, NULL);
		}
		if (c->gai.ar_result)
			freeaddrinfo(c->gai.ar_result);
		c->gai.ar_result = NULL;
	}
	if (c->addrs)
		freeaddrinfo(c->addrs);
	c->addrs = c->next_addr = NULL;
	free(c->gai_name);
	c->gai_name = NULL;
	if (c->event) {
		if (c->session)
			ssh_event_remove_session(c->event, c->session);
		ssh_event_free(c->event);
		c->event = NULL;
	}
	if (c->session) {
		ssh_disconnect(c->session);
		ssh_free(c->session);
		c->session = NULL;
	}
	loop_timer_del(c->pool->loop, c->phase_timer);
	loop_timer_del(c->pool->loop, c->poll_timer);
	loop_timer_del(c->pool->loop, c->alive_timer);
	loop_timer_del(c->pool->loop, c->kick_timer);
	c->phase_timer = c->poll_timer = c->alive_timer = c->kick_timer = 0;
}

static bool conn_is_pending(const struct conn *c)
{
	return c->phase >= CONN_RESOLVING && c->phase <= CONN_AUTH;
}

static void conn_set_phase(struct conn *c, enum conn_phase phase)
{
	c->pool->pending += (phase >= CONN_RESOLVING && phase <= CONN_AUTH) - conn_is_pending(c);
	c->phase = phase;
}

static void on_retry(struct loop *loop, void *arg)
{
	struct conn *c = arg;
	(void)loop;
	c->poll_timer = 0;
	if (c->wanted)
		conn_start(c);
}

static int64_t backoff_ms(struct conn *c)
{
	const struct settings *s = c->pool->settings;
	int64_t d = s->backoff_min_ms;
	for (int i = 1; i < c->failures && d < s->backoff_max_ms; i++)
		d *= 2;
	if (d > s->backoff_max_ms)
		d = s->backoff_max_ms;
	/* Jitter over the upper half keeps a fleet that failed together (a
	 * network blip) from reconnecting in lockstep. */
	return d / 2 + (int64_t)(random() % (d / 2 + 1));
}

static void conn_fail(struct conn *c, enum host_fault fault, const char *fmt, ...)
	FT_PRINTF(3, 4);
static void conn_fail(struct conn *c, enum host_fault fault, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	exec_fail_all(c, msg);
	conn_release(c);
	conn_set_phase(c, CONN_WAIT);
	c->failures++;
	int64_t wait = backoff_ms(c);
	c->host->retry_at_ms = time_wall_ms() + wait;
	log_info("%s: %s; retry in %lds", c->host->name, msg, (long)(wait / 1000));
	conn_set_state(c, HOST_DOWN, fault, msg);
	if (c->wanted)
		c->poll_timer = loop_timer_add(c->pool->loop, wait, on_retry, c);
}

static enum host_fault fault_from_errno(int e)
{
	switch (e) {
	case ECONNREFUSED: return FAULT_REFUSED;
	case ETIMEDOUT: return FAULT_TIMEOUT;
	case ENETUNREACH: case EHOSTUNREACH: case ENETDOWN: case EHOSTDOWN: case EADDRNOTAVAIL:
		return FAULT_UNREACHABLE;
	default: return FAULT_CLOSED;
	}
}

/* libssh reports socket trouble as text only. */
static enum host_fault fault_from_text(const char *e)
{
	if (strstr(e, "refused"))
		return FAULT_REFUSED;
	if (strstr(e, "imeout") || strstr(e, "timed out"))
		return FAULT_TIMEOUT;
	if (strstr(e, "nreachable") || strstr(e, "No route") || strstr(e, "resolve"))
		return FAULT_UNREACHABLE;
	if (strstr(e, "closed") || strstr(e, "reset") || strstr(e, "EOF"))
		return FAULT_CLOSED;
	return FAULT_PROTOCOL;
}

static void on_phase_timeout(struct loop *loop, void *arg)
{
	struct conn *c = arg;
	(void)loop;
	c->phase_timer = 0;
	long secs = (long)(c->pool->settings->connect_timeout_ms / 1000);
	switch (c->phase) {
	case CONN_RESOLVING:
		conn_fail(c, FAULT_UNREACHABLE, "cannot resolve %s: no answer in %lds", c->gai_name,
			  secs);
		break;
	case CONN_TCP:
		conn_fail(c, FAULT_TIMEOUT, "connection timed out (no TCP answer in %lds)", secs);
		break;
	case CONN_HANDSHAKE:
		conn_fail(c, FAULT_TIMEOUT, "timed out in SSH handshake (connected, but no answer "
			  "in %lds)", secs);
		break;
	case CONN_AUTH:
		conn_fail(c, FAULT_TIMEOUT, "timed out in authentication (%lds)", secs);
		break;
	default:
		break;
	}
}

static void on_fd(struct loop *loop, int fd, int events, void *arg)
{
	struct conn *c = arg;
	(void)loop;
	(void)fd;
	(void)events;
	if (c->phase == CONN_UP)
		c->last_rx_ms = loop_now_ms(c->pool->loop);
	conn_step(c);
}

static void on_kick(struct loop *loop, void *arg)
{
	struct conn *c = arg;
	(void)loop;
	c->kick_timer = 0;
	conn_step(c);
}

void conn_kick(struct conn *c)
{
	if (!c->kick_timer)
		c->kick_timer = loop_timer_add(c->pool->loop, 0, on_kick, c);
}

void conn_update_events(struct conn *c)
{
	if (c->fd < 0 || !c->session)
		return;
	int flags = ssh_get_poll_flags(c->session);
	int events = LOOP_READ;
	if (flags & SSH_WRITE_PENDING)
		events |= LOOP_WRITE;
	loop_fd_set_events(c->pool->loop, c->fd, events);
}

static void watch_fd(struct conn *c, int fd, int events)
{
	if (c->fd != fd) {
		if (c->fd >= 0)
			loop_fd_del(c->pool->loop, c->fd);
		c->fd = fd;
		loop_fd_add(c->pool->loop, fd, events, on_fd, c);
	} else {
		loop_fd_set_events(c->pool->loop, fd, events);
	}
}

static void on_alive(struct loop *loop, void *arg)
{
	struct conn *c = arg;
	c->alive_timer = 0;
	if (c->phase != CONN_UP)
		return;
	int64_t quiet = loop_now_ms(loop) - c->last_rx_ms;
	if (quiet >= DEAD_MS) {
		conn_fail(c, FAULT_TIMEOUT, "connection lost (no answer for %lds)",
			  (long)(quiet / 1000));
		return;
	}
	if (quiet >= KEEPALIVE_MS) {
		ssh_send_keepalive(c->session);
		conn_update_events(c);
	}
	c->alive_timer = loop_timer_add(loop, KEEPALIVE_MS / 3, on_alive, c);
}

/* libssh 0.10 turns ProxyJump into the ProxyCommand
 *   ssh [-l USER] [-p PORT] [-J NEXT] -W '[%h]:%p' JUMP
 * for the system's ssh to run, which resolves JUMP from ~/.ssh/config: an
 * alias that only our ssh_config file defines would not resolve, and the
 * jump's User, Port, IdentityFile and known_hosts would be another file's.
 * `ssh -F FILE HOST` hands FILE on to its jump (OpenSSH adds -F itself);
 * so do we, to every hop, since the child's -J hops read the same -F. */
static void session_jump_config(ssh_session ss, const char *config)
{
	char *proxy = NULL;
	if (ssh_options_get(ss, SSH_OPTIONS_PROXYCOMMAND, &proxy) != SSH_OK || !proxy)
		return;
	if (str_starts_with(proxy, "ssh ") && strstr(proxy, " -W '[%h]:%p' ")) {
		/* Quoted for /bin/sh -c; '%' doubled for libssh's own expansion. */
		struct buf cmd = { 0 };
		buf_puts(&cmd, "ssh -F '");
		for (const char *p = config; *p; p++) {
			if (*p == '\'')
				buf_puts(&cmd, "'\\''");
			else if (*p == '%')
				buf_puts(&cmd, "%%");
			else
				buf_append(&cmd, p, 1);
		}
		buf_puts(&cmd, "'");
		buf_puts(&cmd, proxy + 3);
		ssh_options_set(ss, SSH_OPTIONS_PROXYCOMMAND, cmd.data);
		buf_free(&cmd);
	}
	ssh_string_free_char(proxy);
}

/* Sets up the libssh session with the options `ssh HOST` would use:
 * ssh_config first (Host blocks match the inventory name), then the
 * inventory's ansible_host/port/user, then fleetop.conf's files. */
static int session_setup(struct conn *c, struct error *err)
{
	const struct settings *s = c->pool->settings;
	struct host *h = c->host;
	ssh_session ss = ssh_new();
	if (!ss)
		return error_set(err, "cannot create SSH session");
	c->session = ss;
	int off = 0;
	ssh_options_set(ss, SSH_OPTIONS_LOG_VERBOSITY, &off);
	if (ssh_options_set(ss, SSH_OPTIONS_HOST, h->name) < 0)
		return error_set(err, "bad host name '%s'", h->name);
	/* NULL: ~/.ssh/config then /etc/ssh/ssh_config, as ssh does; "none": no file. */
	const char *config = s->ssh_config;
	if (config && !strcmp(config, "none"))
		config = "/dev/null";
	if (ssh_options_parse_config(ss, config) < 0)
		return error_set(err, "cannot read ssh config %s: %s", config ? config : "~/.ssh/config",
				 ssh_get_error(ss));
	if (config && strcmp(config, "/dev/null") != 0)
		session_jump_config(ss, config);
	if (h->address)
		ssh_options_set(ss, SSH_OPTIONS_HOST, h->address);
	if (h->port > 0)
		ssh_options_set(ss, SSH_OPTIONS_PORT, &h->port);
	char *user = NULL;
	if (h->user)
		ssh_options_set(ss, SSH_OPTIONS_USER, h->user);
	else if (s->user && (ssh_options_get(ss, SSH_OPTIONS_USER, &user) < 0 || !user))
		ssh_options_set(ss, SSH_OPTIONS_USER, s->user);
	ssh_string_free_char(user);
	if (s->known_hosts)
		ssh_options_set(ss, SSH_OPTIONS_KNOWNHOSTS, s->known_hosts);
	for (int i = s->nidentities - 1; i >= 0; i--)
		ssh_options_set(ss, SSH_OPTIONS_IDENTITY, s->identities[i]);
	ssh_set_blocking(ss, 0);
	return 0;
}

static void start_tcp(struct conn *c);

static void tcp_next(struct conn *c, int last_errno)
{
	if (c->tcp_fd >= 0) {
		loop_fd_del(c->pool->loop, c->tcp_fd);
		if (c->fd == c->tcp_fd)
			c->fd = -1;
		close(c->tcp_fd);
		c->tcp_fd = -1;
	}
	if (!c->next_addr) {
		conn_fail(c, fault_from_errno(last_errno), "%s", strerror(last_errno));
		return;
	}
	start_tcp(c);
}

static void start_handshake(struct conn *c, int fd)
{
	conn_set_phase(c, CONN_HANDSHAKE);
	if (fd >= 0) {
		/* libssh owns the socket from here and closes it. */
		ssh_options_set(c->session, SSH_OPTIONS_FD, &fd);
		c->tcp_fd = -1;
	}
	conn_step(c);
}

static void on_tcp(struct loop *loop, int fd, int events, void *arg)
{
	struct conn *c = arg;
	(void)events;
	int soerr = 0;
	socklen_t len = sizeof soerr;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	if (soerr == EINPROGRESS)
		return;
	if (soerr) {
		tcp_next(c, soerr);
		return;
	}
	loop_fd_del(loop, fd);
	c->fd = -1;
	start_handshake(c, fd);
}

static void start_tcp(struct conn *c)
{
	conn_set_phase(c, CONN_TCP);
	struct addrinfo *ai = c->next_addr;
	c->next_addr = ai->ai_next;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		conn_fail(c, FAULT_CLOSED, "cannot create socket: %s", strerror(errno));
		return;
	}
	c->tcp_fd = fd;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		c->tcp_fd = -1;
		start_handshake(c, fd);
		return;
	}
	if (errno != EINPROGRESS) {
		tcp_next(c, errno);
		return;
	}
	c->fd = fd;
	loop_fd_add(c->pool->loop, fd, LOOP_WRITE, on_tcp, c);
}

static void on_dns_poll(struct loop *loop, void *arg)
{
	struct conn *c = arg;
	c->poll_timer = 0;
	int rc = gai_error(&c->gai);
	if (rc == EAI_INPROGRESS) {
		c->poll_timer = loop_timer_add(loop, DNS_POLL_MS, on_dns_poll, c);
		return;
	}
	if (rc != 0) {
		conn_fail(c, FAULT_UNREACHABLE, "cannot resolve %s: %s", c->gai_name,
			  gai_strerror(rc));
		return;
	}
	c->addrs = c->next_addr = c->gai.ar_result;
	c->gai.ar_result = NULL;
	start_tcp(c);
}

static void conn_start(struct conn *c)
{
	struct error err = { { 0 } };
	conn_release(c);
	conn_set_state(c, HOST_CONNECTING, FAULT_NONE, "");
	if (session_setup(c, &err) < 0) {
		conn_fail(c, FAULT_PROTOCOL, "%s", err.msg);
		return;
	}
	c->phase_timer = loop_timer_add(c->pool->loop, c->pool->settings->connect_timeout_ms,
					on_phase_timeout, c);
	char *proxy = NULL;
	if (ssh_options_get(c->session, SSH_OPTIONS_PROXYCOMMAND, &proxy) == SSH_OK && proxy &&
	    *proxy && strcmp(proxy, "none") != 0) {
		ssh_string_free_char(proxy);
		start_handshake(c, -1);
		return;
	}
	ssh_string_free_char(proxy);

	char *hostname = NULL;
	unsigned int port = 22;
	ssh_options_get(c->session, SSH_OPTIONS_HOST, &hostname);
	ssh_options_get_port(c->session, &port);
	c->gai_name = xstrdup(hostname ? hostname : c->host->name);
	ssh_string_free_char(hostname);
	snprintf(c->port_str, sizeof c->port_str, "%u", port);

	/* A numeric address needs no lookup; a name is resolved off the loop. */
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST };
	struct addrinfo *res = NULL;
	if (getaddrinfo(c->gai_name, c->port_str, &hints, &res) == 0) {
		c->addrs = c->next_addr = res;
		start_tcp(c);
		return;
	}
	conn_set_phase(c, CONN_RESOLVING);
	memset(&c->gai, 0, sizeof c->gai);
	static const struct addrinfo stream_hints = { .ai_socktype = SOCK_STREAM };
	c->gai.ar_name = c->gai_name;
	c->gai.ar_service = c->port_str;
	c->gai.ar_request = &stream_hints;
	c->gai_list[0] = &c->gai;
	if (getaddrinfo_a(GAI_NOWAIT, c->gai_list, 1, NULL) != 0) {
		conn_fail(c, FAULT_UNREACHABLE, "cannot resolve %s", c->gai_name);
		return;
	}
	c->poll_timer = loop_timer_add(c->pool->loop, DNS_POLL_MS, on_dns_poll, c);
}

static void conn_up(struct conn *c)
{
	loop_timer_del(c->pool->loop, c->phase_timer);
	c->phase_timer = 0;
	conn_set_phase(c, CONN_UP);
	c->failures = 0;
	c->event = ssh_event_new();
	ssh_event_add_session(c->event, c->session);
	c->last_rx_ms = loop_now_ms(c->pool->loop);
	c->alive_timer = loop_timer_add(c->pool->loop, KEEPALIVE_MS / 3, on_alive, c);
	c->host->retry_at_ms = 0;
	conn_set_state(c, HOST_UP, FAULT_NONE, "");
}

static void step_up(struct conn *c)
{
	/* Reads what the socket has and dispatches it to the channels. */
	if (ssh_event_dopoll(c->event, 0) == SSH_ERROR || !ssh_is_connected(c->session)) {
		const char *e = ssh_get_error(c->session);
		conn_fail(c, FAULT_CLOSED, "connection lost%s%s", *e ? ": " : "", e);
		return;
	}
	/* Reading one channel lets libssh read the socket for all of them, so
	 * a channel stepped earlier in the pass may hold data again with
	 * nothing left on the fd to wake us: pass again while any channel
	 * got data (bounded, so a flood cannot hold the loop). */
	for (int pass = 0; pass < 8; pass++) {
		uint64_t before = c->rx_reads;
		for (struct ssh_exec *e = c->execs, *next; e; e = next) {
			next = e->next;
			exec_step(e);
			if (c->phase != CONN_UP)
				return;
		}
		if (c->rx_reads == before)
			break;
	}
	if (!ssh_is_connected(c->session)) {
		conn_fail(c, FAULT_CLOSED, "connection lost");
		return;
	}
	conn_update_events(c);
}

static void conn_step(struct conn *c)
{
	if (c->in_step)
		return;
	c->in_step = true;
	int rc;
	switch (c->phase) {
	case CONN_HANDSHAKE:
		rc = ssh_connect(c->session);
		if (rc == SSH_AGAIN) {
			watch_fd(c, ssh_get_fd(c->session), LOOP_READ);
			conn_update_events(c);
			break;
		}
		if (rc != SSH_OK) {
			const char *e = ssh_get_error(c->session);
			conn_fail(c, fault_from_text(e), "%s", *e ? e : "SSH handshake failed");
			break;
		}
		watch_fd(c, ssh_get_fd(c->session), LOOP_READ);
		char msg[256];
		enum host_fault fault;
		if (hostkey_verify(c->session, c->pool->settings->host_key_policy, &fault, msg,
				   sizeof msg) < 0) {
			conn_fail(c, fault, "%s", msg);
			break;
		}
		conn_set_phase(c, CONN_AUTH);
		/* fall through */
	case CONN_AUTH:
		rc = ssh_userauth_publickey_auto(c->session, NULL, NULL);
		if (rc == SSH_AUTH_AGAIN) {
			conn_update_events(c);
			break;
		}
		if (rc == SSH_AUTH_SUCCESS) {
			conn_up(c);
			break;
		}
		if (rc == SSH_AUTH_ERROR) {
			const char *e = ssh_get_error(c->session);
			conn_fail(c, fault_from_text(e), "authentication error: %s", e);
			break;
		}
		{
			char *user = NULL;
			ssh_options_get(c->session, SSH_OPTIONS_USER, &user);
			conn_fail(c, FAULT_AUTH, "auth failed (publickey) as %s: no key offered was "
				  "accepted (agent, identity files)", user ? user : "?");
			ssh_string_free_char(user);
		}
		break;
	case CONN_UP:
		step_up(c);
		break;
	default:
		break;
	}
	c->in_step = false;
}

/* Public face. */

struct ssh_pool *ssh_pool_new(struct loop *loop, const struct settings *s, ssh_state_fn on_state,
			      void *arg)
{
	struct ssh_pool *p = xcalloc(1, sizeof *p);
	p->loop = loop;
	p->settings = s;
	p->on_state = on_state;
	p->state_arg = arg;
	srandom((unsigned)(time_mono_ms() ^ getpid()));
	return p;
}

static struct conn *conn_of(struct ssh_pool *p, struct host *h)
{
	if (h->id >= p->nconns) {
		size_t n = p->nconns ? p->nconns : 64;
		while (n <= h->id)
			n *= 2;
		p->conns = xrealloc(p->conns, n * sizeof *p->conns);
		memset(p->conns + p->nconns, 0, (n - p->nconns) * sizeof *p->conns);
		p->nconns = n;
	}
	struct conn *c = p->conns[h->id];
	if (!c) {
		c = xcalloc(1, sizeof *c);
		c->pool = p;
		c->host = h;
		c->fd = c->tcp_fd = -1;
		p->conns[h->id] = c;
	}
	return c;
}

struct conn *ssh_pool_conn(struct ssh_pool *p, struct host *h);
struct conn *ssh_pool_conn(struct ssh_pool *p, struct host *h)
{
	return h->id < p->nconns ? p->conns[h->id] : NULL;
}

void ssh_pool_connect(struct ssh_pool *p, struct host *h)
{
	struct conn *c = conn_of(p, h);
	c->wanted = true;
	if (c->phase == CONN_IDLE)
		conn_start(c);
}

void ssh_pool_disconnect(struct ssh_pool *p, struct host *h)
{
	struct conn *c = ssh_pool_conn(p, h);
	if (!c)
		return;
	c->wanted = false;
	exec_fail_all(c, "disconnected");
	conn_release(c);
	conn_set_phase(c, CONN_IDLE);
}

int ssh_pool_pending(const struct ssh_pool *p)
{
	return p->pending;
}

int ssh_pool_peer_addr(const struct ssh_pool *p, const struct host *h, struct sockaddr_storage *ss,
		       socklen_t *len)
{
	if (h->id >= p->nconns || !p->conns[h->id])
		return -1;
	const struct conn *c = p->conns[h->id];
	*len = sizeof *ss;
	/* Through a ProxyCommand the fd is a pipe or a socketpair: no peer. */
	if (c->phase != CONN_UP || c->fd < 0 || getpeername(c->fd, (struct sockaddr *)ss, len) < 0)
		return -1;
	return ss->ss_family == AF_INET || ss->ss_family == AF_INET6 ? 0 : -1;
}

void ssh_pool_free(struct ssh_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nconns; i++) {
		struct conn *c = p->conns[i];
		if (!c)
			continue;
		c->wanted = false;
		exec_fail_all(c, "shutting down");
		conn_release(c);
		free(c);
	}
	free(p->conns);
	free(p);
}
