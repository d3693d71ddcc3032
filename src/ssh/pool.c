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
#include <time.h>
#include <unistd.h>

#include "ssh_private.h"

#define KEEPALIVE_MS 5000  /* quiet this long: send a keepalive */
/* Quiet this long: the peer is gone. Short enough that a host that died
 * without closing the connection raises host_unreachable (for 10s) within
 * the 30 s the alert defaults promise; three keepalives went unanswered. */
#define DEAD_MS 15000
#define DNS_POLL_MS 20
#define DNS_REAP_MS 1000
/* At pool shutdown, how long lookups still running get to end before they
 * are left to the resolver (their memory stays reachable, never freed). */
#define DNS_SHUTDOWN_WAIT_MS 200
/* Hosts in key exchange and auth at once; the rest wait their turn in
 * order. Each costs CPU here and on the host; without a bound, a fleet
 * starting or reconnecting at once starves the hosts already up. */
#define MAX_HANDSHAKES 64
/* Handshake steps stop for the turn of the loop once they took this long. */
#define HANDSHAKE_TURN_US 15000

static void conn_step(struct conn *c);
static void conn_start(struct conn *c);
static void gate_leave(struct conn *c);

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* DNS lookups run in glibc's resolver threads (getaddrinfo_a). One given
 * up on (timeout, disconnect) is cancelled if it has not started; one that
 * has cannot be stopped and writes into its request until the resolver's
 * own timeout (resolv.conf timeout x attempts, 30 s and more), so it is
 * kept on a list and freed by a timer once it ends, never waited for. */

/* Lookups still running when their pool was freed: reachable from here
 * (so leak checkers do not flag them) and never freed, as the resolver
 * thread may still write into them. */
static struct dns_req *dns_orphans;

static void dns_free(struct dns_req *d)
{
	if (d->gai.ar_result)
		freeaddrinfo(d->gai.ar_result);
	free(d->name);
	free(d);
}

static void on_dns_reap(struct loop *loop, void *arg)
{
	struct ssh_pool *p = arg;
	p->reap_timer = 0;
	for (struct dns_req **pp = &p->dns_zombies; *pp;) {
		struct dns_req *d = *pp;
		if (gai_error(&d->gai) == EAI_INPROGRESS) {
			pp = &d->next;
			continue;
		}
		*pp = d->next;
		dns_free(d);
	}
	if (p->dns_zombies)
		p->reap_timer = loop_timer_add(loop, DNS_REAP_MS, on_dns_reap, p);
}

static void dns_abandon(struct ssh_pool *p, struct dns_req *d)
{
	gai_cancel(&d->gai);
	if (gai_error(&d->gai) != EAI_INPROGRESS) {
		dns_free(d);
		return;
	}
	d->next = p->dns_zombies;
	p->dns_zombies = d;
	if (!p->reap_timer)
		p->reap_timer = loop_timer_add(p->loop, DNS_REAP_MS, on_dns_reap, p);
}

/* Waits a bounded time for the lookups still running, then leaves the rest
 * to the resolver: shutting down must not take the resolver's timeout. */
static void dns_shutdown(struct ssh_pool *p)
{
	loop_timer_del(p->loop, p->reap_timer);
	p->reap_timer = 0;
	int64_t deadline = time_mono_ms() + DNS_SHUTDOWN_WAIT_MS;
	while (p->dns_zombies) {
		struct dns_req *d = p->dns_zombies;
		if (gai_error(&d->gai) != EAI_INPROGRESS) {
			p->dns_zombies = d->next;
			dns_free(d);
			continue;
		}
		int64_t left = deadline - time_mono_ms();
		if (left <= 0)
			break;
		const struct gaicb *wait[1] = { &d->gai };
		struct timespec ts = { .tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000 };
		gai_suspend(wait, 1, &ts);
	}
	while (p->dns_zombies) {
		struct dns_req *d = p->dns_zombies;
		p->dns_zombies = d->next;
		d->next = dns_orphans;
		dns_orphans = d;
	}
}

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
	if (c->setup)
		setup_job_abandon(c->setup);
	c->setup = NULL;
	if (c->dns)
		dns_abandon(c->pool, c->dns);
	c->dns = NULL;
	gate_leave(c);
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
	return c->phase >= CONN_CONFIG && c->phase <= CONN_AUTH;
}

static void conn_set_phase(struct conn *c, enum conn_phase phase)
{
	c->pool->pending += (phase >= CONN_CONFIG && phase <= CONN_AUTH) - conn_is_pending(c);
	c->phase = phase;
}

static void on_phase_timeout(struct loop *loop, void *arg);

static void phase_timer_start(struct conn *c, int64_t ms)
{
	loop_timer_del(c->pool->loop, c->phase_timer);
	c->phase_stalled_ms = loop_stalled_ms(c->pool->loop);
	c->phase_timer = loop_timer_add(c->pool->loop, ms, on_phase_timeout, c);
}

/* Handshake admission. A host holds a slot from its TCP connect (or proxy
 * start) until it is up or fails; one without a free slot waits in a FIFO
 * with its socket connected and its deadline paused. */

static void queue_unlink(struct conn *c)
{
	struct ssh_pool *p = c->pool;
	if (c->phase != CONN_QUEUED)
		return;
	if (c->queue_prev)
		c->queue_prev->queue_next = c->queue_next;
	else
		p->queue_head = c->queue_next;
	if (c->queue_next)
		c->queue_next->queue_prev = c->queue_prev;
	else
		p->queue_tail = c->queue_prev;
	c->queue_prev = c->queue_next = NULL;
}

static void handshake_begin(struct conn *c)
{
	c->has_slot = true;
	c->pool->handshakes++;
	conn_set_phase(c, CONN_HANDSHAKE);
	conn_step(c);
}

static void on_admit(struct loop *loop, void *arg)
{
	struct ssh_pool *p = arg;
	(void)loop;
	p->admit_timer = 0;
	while (p->queue_head && p->handshakes < p->max_handshakes) {
		struct conn *c = p->queue_head;
		queue_unlink(c);
		phase_timer_start(c, p->settings->connect_timeout_ms);
		handshake_begin(c);
	}
}

static void gate_leave(struct conn *c)
{
	struct ssh_pool *p = c->pool;
	queue_unlink(c);
	if (!c->has_slot)
		return;
	c->has_slot = false;
	p->handshakes--;
	/* Not from here: this runs inside another host's failure or success. */
	if (p->queue_head && !p->admit_timer)
		p->admit_timer = loop_timer_add(p->loop, 0, on_admit, p);
}

static void gate_enter(struct conn *c)
{
	struct ssh_pool *p = c->pool;
	if (p->handshakes < p->max_handshakes && !p->queue_head) {
		handshake_begin(c);
		return;
	}
	conn_set_phase(c, CONN_QUEUED);
	loop_timer_del(p->loop, c->phase_timer);
	c->phase_timer = 0;
	c->queue_prev = p->queue_tail;
	c->queue_next = NULL;
	if (p->queue_tail)
		p->queue_tail->queue_next = c;
	else
		p->queue_head = c;
	p->queue_tail = c;
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
	return d / 2 + (int64_t)random_below((uint64_t)(d / 2 + 1));
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
	/* The loop stood still (stopped process, a long turn): the peer had
	 * no chance to answer in that time, so it gets that time again. */
	int64_t stalled = loop_stalled_ms(c->pool->loop) - c->phase_stalled_ms;
	if (stalled > 0) {
		phase_timer_start(c, stalled < c->pool->settings->connect_timeout_ms
					     ? stalled : c->pool->settings->connect_timeout_ms);
		return;
	}
	long secs = (long)(c->pool->settings->connect_timeout_ms / 1000);
	switch (c->phase) {
	case CONN_CONFIG:
		conn_fail(c, FAULT_PROTOCOL, "reading the ssh config took over %lds (a Match exec "
			  "command that does not end?)", secs);
		break;
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
		c->last_rx_ms = loop_awake_ms(c->pool->loop);
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

static void on_alive(struct loop *loop, void *arg);

static void alive_arm(struct conn *c)
{
	c->alive_timer = loop_timer_add(c->pool->loop, KEEPALIVE_MS / 3, on_alive, c);
}

static void on_alive(struct loop *loop, void *arg)
{
	struct conn *c = arg;
	c->alive_timer = 0;
	if (c->phase != CONN_UP)
		return;
	/* Silence counts only while the loop ran (last_rx_ms is on the awake
	 * clock): after the process was stopped (SIGSTOP, a suspended VM) or
	 * a turn took long, every peer looks quiet for that long, and healthy
	 * hosts must not be lost. */
	int64_t quiet = loop_awake_ms(loop) - c->last_rx_ms;
	if (quiet >= DEAD_MS) {
		conn_fail(c, FAULT_TIMEOUT, "connection lost (no answer for %lds)",
			  (long)(quiet / 1000));
		return;
	}
	if (quiet >= KEEPALIVE_MS) {
		ssh_send_keepalive(c->session);
		conn_update_events(c);
	}
	alive_arm(c);
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
	if (fd >= 0) {
		/* libssh owns the socket from here and closes it. */
		if (ssh_options_set(c->session, SSH_OPTIONS_FD, &fd) < 0) {
			conn_fail(c, FAULT_PROTOCOL, "cannot hand the socket to libssh: %s",
				  ssh_get_error(c->session));
			return;
		}
		c->tcp_fd = -1;
	}
	gate_enter(c);
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
	int rc = gai_error(&c->dns->gai);
	if (rc == EAI_INPROGRESS) {
		c->poll_timer = loop_timer_add(loop, DNS_POLL_MS, on_dns_poll, c);
		return;
	}
	if (rc != 0) {
		conn_fail(c, FAULT_UNREACHABLE, "cannot resolve %s: %s", c->gai_name,
			  gai_strerror(rc));
		return;
	}
	c->addrs = c->next_addr = c->dns->gai.ar_result;
	c->dns->gai.ar_result = NULL;
	dns_free(c->dns);
	c->dns = NULL;
	if (!c->next_addr) {
		conn_fail(c, FAULT_UNREACHABLE, "cannot resolve %s: no address", c->gai_name);
		return;
	}
	start_tcp(c);
}

static void conn_resolve(struct conn *c);

static void on_setup_poll(struct loop *loop, void *arg)
{
	struct conn *c = arg;
	c->poll_timer = 0;
	struct error err = { { 0 } };
	ssh_session ss = NULL;
	if (!setup_job_poll(c->setup, &ss, &err)) {
		c->poll_timer = loop_timer_add(loop, DNS_POLL_MS, on_setup_poll, c);
		return;
	}
	c->setup = NULL;
	if (!ss) {
		conn_fail(c, FAULT_PROTOCOL, "%s", err.msg);
		return;
	}
	c->session = ss;
	conn_resolve(c);
}

static void conn_start(struct conn *c)
{
	struct error err = { { 0 } };
	conn_release(c);
	conn_set_state(c, HOST_CONNECTING, FAULT_NONE, "");
	if (ssh_target_check(c->host, &err) < 0) {
		conn_fail(c, FAULT_PROTOCOL, "%s", err.msg);
		return;
	}
	phase_timer_start(c, c->pool->settings->connect_timeout_ms);
	if (setup_may_block(c->pool->settings)) {
		c->setup = setup_job_start(c->host, c->pool->settings, &err);
		if (!c->setup) {
			conn_fail(c, FAULT_PROTOCOL, "%s", err.msg);
			return;
		}
		conn_set_phase(c, CONN_CONFIG);
		c->poll_timer = loop_timer_add(c->pool->loop, DNS_POLL_MS, on_setup_poll, c);
		return;
	}
	c->session = setup_session(c->host, c->pool->settings, &err);
	if (!c->session) {
		conn_fail(c, FAULT_PROTOCOL, "%s", err.msg);
		return;
	}
	conn_resolve(c);
}

static void conn_resolve(struct conn *c)
{
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
	/* The request outlives c if it is given up on (dns_abandon). */
	static const struct addrinfo stream_hints = { .ai_socktype = SOCK_STREAM };
	struct dns_req *d = xcalloc(1, sizeof *d);
	d->name = xstrdup(c->gai_name);
	snprintf(d->port, sizeof d->port, "%s", c->port_str);
	d->gai.ar_name = d->name;
	d->gai.ar_service = d->port;
	d->gai.ar_request = &stream_hints;
	d->list[0] = &d->gai;
	int rc = getaddrinfo_a(GAI_NOWAIT, d->list, 1, NULL);
	if (rc != 0) {
		dns_free(d);
		conn_fail(c, FAULT_UNREACHABLE, "cannot resolve %s: %s", c->gai_name,
			  gai_strerror(rc));
		return;
	}
	c->dns = d;
	c->poll_timer = loop_timer_add(c->pool->loop, DNS_POLL_MS, on_dns_poll, c);
}

static void conn_up(struct conn *c)
{
	loop_timer_del(c->pool->loop, c->phase_timer);
	c->phase_timer = 0;
	gate_leave(c);
	conn_set_phase(c, CONN_UP);
	c->failures = 0;
	c->event = ssh_event_new();
	ssh_event_add_session(c->event, c->session);
	c->last_rx_ms = loop_awake_ms(c->pool->loop);
	alive_arm(c);
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
	struct ssh_pool *p = c->pool;
	bool handshaking = c->phase == CONN_HANDSHAKE || c->phase == CONN_AUTH;
	int64_t t0 = 0;
	if (handshaking) {
		/* Key exchange and auth cost CPU; hosts already up must get their
		 * turn, so what is over the budget waits for the next turn (the
		 * socket stays readable, so nothing is missed). */
		int64_t turn = loop_now_ms(p->loop);
		if (p->hs_turn != turn) {
			p->hs_turn = turn;
			p->hs_spent_us = 0;
		}
		if (p->hs_spent_us >= HANDSHAKE_TURN_US) {
			if (!c->kick_timer)
				c->kick_timer = loop_timer_add(p->loop, 1, on_kick, c);
			c->in_step = false;
			return;
		}
		t0 = now_us();
	}
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
	if (handshaking)
		p->hs_spent_us += now_us() - t0;
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
	p->max_handshakes = MAX_HANDSHAKES;
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
	loop_timer_del(p->loop, p->admit_timer);
	dns_shutdown(p);
	free(p->conns);
	free(p);
}
