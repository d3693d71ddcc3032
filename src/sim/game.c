/* Each simulated host's game server on the loop: a UDP socket answering
 * Quake 3 or A2S queries, or for Minecraft two listening TCP sockets
 * (Server List Ping and RCON). Nothing here keeps a timer while idle: a
 * reply is made from the model when a request comes in, so a thousand
 * idle servers cost nothing but their sockets.
 *
 * TCP connections are bounded every way a client could push: at most
 * GAME_MAX_CONNS per host (more are closed as they come), input and
 * unsent output capped (a client that sends junk or stops reading is
 * dropped), and one idle for GAME_IDLE_MS is closed. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "game.h"
#include "sim_private.h"

#define GAME_MAX_CONNS 8
#define GAME_IDLE_MS 10000
#define GAME_IN_CAP 8192          /* a request never needs more */
#define GAME_OUT_CAP (256u << 10) /* unsent replies before the client is dropped */
#define GAME_UDP_BATCH 32         /* datagrams per wakeup, so one host cannot hog the loop */
#define GAME_CHALLENGE_MS 300000  /* an A2S challenge holds this long */

enum conn_kind { CONN_SLP, CONN_RCON };

struct game_conn {
	struct sim_host *host;
	struct game_conn *prev, *next;
	enum conn_kind kind;
	int fd;
	struct buf in, out;
	bool closing; /* close once out is sent */
	int64_t last_ms;
	uint64_t idle_timer;
	struct gsrv_slp slp;
	struct gsrv_rcon rcon;
};

struct game_srv {
	int udp_fd, slp_fd, rcon_fd; /* -1: none */
	struct game_conn *conns;
	int nconns;
	uint32_t split_id;
	uint64_t secret; /* challenges */
	uint64_t pause_timer; /* accepting paused: out of fds */
};

static struct loop *host_loop(const struct sim_host *h)
{
	return h->sim->loop;
}

void sim_game_view(struct sim_host *h, struct gsrv_view *v)
{
	const struct model_host *m = sim_host_model(h);
	int64_t now = loop_now_ms(host_loop(h));
	/* Valheim answers queries one port above the one players join. */
	int game_port = h->game == GAME_VALHEIM ? h->query_port - 1 : h->query_port;
	gsrv_view_make(v, m, h->sim->seed, h->idx, h->name, model_sim_time(&h->sim->clock, now),
		       (double)now / 1000.0, game_port);
}

/* ---- UDP ---- */

static uint32_t a2s_challenge(const struct sim_host *h, const struct sockaddr_in *from)
{
	int64_t epoch = loop_now_ms(host_loop(h)) / GAME_CHALLENGE_MS;
	uint64_t x = model_hash(h->gs->secret ^ model_hash(((uint64_t)from->sin_addr.s_addr << 16 |
							    from->sin_port) ^ (uint64_t)epoch << 48));
	uint32_t c = (uint32_t)x;
	return c == 0 || c == 0xffffffffu ? 0x5eed1u : c;
}

static void udp_on_read(struct loop *loop, int fd, int events, void *arg)
{
	struct sim_host *h = arg;
	unsigned char req[2048];
	struct gsrv_view v;
	bool have_view = false;
	(void)loop, (void)events;
	for (int i = 0; i < GAME_UDP_BATCH; i++) {
		struct sockaddr_in from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(fd, req, sizeof req, MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN, or an ICMP error from an earlier reply */
		}
		if ((size_t)n > sizeof req || flen != sizeof from || from.sin_family != AF_INET)
			continue; /* longer than any request */
		if (!have_view) {
			sim_game_view(h, &v);
			have_view = true;
		}
		struct buf reply = { 0 };
		int answered = h->game == GAME_QUAKE ?
				       gsrv_q3_answer(&v, req, (size_t)n, &reply) :
				       gsrv_a2s_answer(&v, req, (size_t)n, a2s_challenge(h, &from), &reply);
		if (answered && h->game == GAME_QUAKE) {
			sendto(fd, reply.data, reply.len, MSG_DONTWAIT | MSG_NOSIGNAL,
			       (struct sockaddr *)&from, flen);
		} else if (answered) {
			struct buf parts = { 0 };
			size_t lens[16];
			int np = gsrv_a2s_split((unsigned char *)reply.data, reply.len, ++h->gs->split_id,
						&parts, lens, 16);
			const char *p = parts.data;
			for (int k = 0; k < np; p += lens[k], k++)
				sendto(fd, p, lens[k], MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&from,
				       flen);
			buf_free(&parts);
		}
		buf_free(&reply);
	}
}

/* ---- TCP connections ---- */

static void conn_close(struct game_conn *c)
{
	struct sim_host *h = c->host;
	struct loop *loop = host_loop(h);
	loop_fd_del(loop, c->fd);
	close(c->fd);
	if (c->idle_timer)
		loop_timer_del(loop, c->idle_timer);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->gs->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->gs->nconns--;
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
}

static void conn_idle(struct loop *loop, void *arg)
{
	struct game_conn *c = arg;
	int64_t quiet = loop_now_ms(loop) - c->last_ms;
	c->idle_timer = 0;
	if (quiet >= GAME_IDLE_MS) {
		conn_close(c);
		return;
	}
	c->idle_timer = loop_timer_add(loop, GAME_IDLE_MS - quiet, conn_idle, c);
}

/* Writes what the socket takes; false if the connection is gone. */
static bool conn_flush(struct game_conn *c)
{
	while (c->out.len) {
		ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			conn_close(c);
			return false;
		}
		buf_consume(&c->out, (size_t)n);
	}
	if (!c->out.len && c->closing) {
		conn_close(c);
		return false;
	}
	/* Closing: only the rest of the reply matters, not what else comes in. */
	int ev = c->closing ? LOOP_WRITE : LOOP_READ | (c->out.len ? LOOP_WRITE : 0);
	loop_fd_set_events(host_loop(c->host), c->fd, ev);
	return true;
}

static void conn_on_io(struct loop *loop, int fd, int events, void *arg)
{
	struct game_conn *c = arg;
	(void)fd;
	if ((events & LOOP_READ) && !c->closing) {
		char tmp[4096];
		ssize_t n = recv(c->fd, tmp, sizeof tmp, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			conn_close(c);
			return;
		}
		if (n > 0) {
			c->last_ms = loop_now_ms(loop);
			if (c->in.len + (size_t)n > GAME_IN_CAP) {
				conn_close(c);
				return;
			}
			buf_append(&c->in, tmp, (size_t)n);
			struct gsrv_view v;
			sim_game_view(c->host, &v);
			enum gsrv_feed r = c->kind == CONN_SLP ?
						   gsrv_slp_feed(&c->slp, &c->in, &v, &c->out) :
						   gsrv_rcon_feed(&c->rcon, &c->in, &v,
								  c->host->sim->rcon_password, &c->out);
			if (r == GSRV_BAD || c->out.len > GAME_OUT_CAP) {
				conn_close(c);
				return;
			}
			if (r == GSRV_CLOSE)
				c->closing = true;
		}
	}
	conn_flush(c);
}

static void on_accept(struct loop *loop, int fd, int events, void *arg);

static void conn_new(struct sim_host *h, int fd, enum conn_kind kind)
{
	struct loop *loop = host_loop(h);
	if (h->gs->nconns >= GAME_MAX_CONNS) {
		close(fd); /* full: as a server out of slots, it hangs up */
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct game_conn *c = xcalloc(1, sizeof *c);
	c->host = h;
	c->kind = kind;
	c->fd = fd;
	c->last_ms = loop_now_ms(loop);
	if (loop_fd_add(loop, fd, LOOP_READ, conn_on_io, c) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = h->gs->conns;
	if (h->gs->conns)
		h->gs->conns->prev = c;
	h->gs->conns = c;
	h->gs->nconns++;
	c->idle_timer = loop_timer_add(loop, GAME_IDLE_MS, conn_idle, c);
}

static void resume_accept(struct loop *loop, void *arg)
{
	struct sim_host *h = arg;
	h->gs->pause_timer = 0;
	if (h->gs->slp_fd >= 0)
		loop_fd_add(loop, h->gs->slp_fd, LOOP_READ, on_accept, h);
	if (h->gs->rcon_fd >= 0)
		loop_fd_add(loop, h->gs->rcon_fd, LOOP_READ, on_accept, h);
}

static void on_accept(struct loop *loop, int fd, int events, void *arg)
{
	struct sim_host *h = arg;
	(void)events;
	for (int i = 0; i < 8; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK && !h->gs->pause_timer) {
				/* Out of fds or memory: level-triggered, this would spin. */
				log_warn("sim: %s: game server cannot accept: %s (pausing 1s)", h->name,
					 strerror(errno));
				if (h->gs->slp_fd >= 0)
					loop_fd_del(loop, h->gs->slp_fd);
				if (h->gs->rcon_fd >= 0)
					loop_fd_del(loop, h->gs->rcon_fd);
				h->gs->pause_timer = loop_timer_add(loop, 1000, resume_accept, h);
			}
			return;
		}
		conn_new(h, cfd, fd == h->gs->slp_fd ? CONN_SLP : CONN_RCON);
	}
}

/* ---- sockets ---- */

static int open_socket(struct sim_host *h, int type, int port, struct error *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, h->addr, &sa.sin_addr) != 1)
		return error_set(err, "sim: %s: bad address %s", h->name, h->addr);
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_set(err, "sim: %s: socket: %s", h->name, strerror(errno));
	int one = 1;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0)) {
		int e = errno;
		close(fd);
		return error_set(err, "sim: %s: game server cannot listen on %s:%d/%s: %s", h->name,
				 h->addr, port, type == SOCK_STREAM ? "tcp" : "udp", strerror(e));
	}
	loop_fd_fn fn = type == SOCK_STREAM ? on_accept : udp_on_read;
	if (loop_fd_add(host_loop(h), fd, LOOP_READ, fn, h) < 0) {
		close(fd);
		return error_set(err, "sim: %s: cannot watch a game socket", h->name);
	}
	return fd;
}

static void close_socket(struct sim_host *h, int *fd)
{
	if (*fd < 0)
		return;
	loop_fd_del(host_loop(h), *fd);
	close(*fd);
	*fd = -1;
}

int sim_game_listen(struct sim_host *h, struct error *err)
{
	if (!h->query_port)
		return 0; /* no game server (its ports did not fit) */
	if (!h->gs) {
		h->gs = xcalloc(1, sizeof *h->gs);
		h->gs->udp_fd = h->gs->slp_fd = h->gs->rcon_fd = -1;
		h->gs->secret = model_hash(h->sim->seed ^ model_hash(0xc4a1ull + (uint64_t)h->idx));
	}
	if (h->game == GAME_MINECRAFT) {
		if ((h->gs->slp_fd = open_socket(h, SOCK_STREAM, h->query_port, err)) < 0 ||
		    (h->rcon_port && (h->gs->rcon_fd = open_socket(h, SOCK_STREAM, h->rcon_port, err)) < 0))
			goto fail;
	} else if ((h->gs->udp_fd = open_socket(h, SOCK_DGRAM, h->query_port, err)) < 0) {
		goto fail;
	}
	return 0;
fail:
	sim_game_unlisten(h);
	return -1;
}

void sim_game_unlisten(struct sim_host *h)
{
	if (!h->gs)
		return;
	close_socket(h, &h->gs->udp_fd);
	close_socket(h, &h->gs->slp_fd);
	close_socket(h, &h->gs->rcon_fd);
	if (h->gs->pause_timer)
		loop_timer_del(host_loop(h), h->gs->pause_timer);
	h->gs->pause_timer = 0;
	while (h->gs->conns)
		conn_close(h->gs->conns);
}

void sim_game_free(struct sim_host *h)
{
	sim_game_unlisten(h);
	free(h->gs);
	h->gs = NULL;
}
