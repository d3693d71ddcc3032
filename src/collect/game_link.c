/* A game query's way to the server: a socket of our own straight to it,
 * or the host's SSH session when the port answers only on the host itself
 * (TCP through a forwarded channel; UDP through a tiny perl relay started
 * over an exec channel, since SSH forwards only TCP). Whichever it is, the
 * query sees datagrams (UDP) or a byte stream (TCP) and one failure call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collect_private.h"
#include "fleetop/loop.h"
#include "fleetop/ssh.h"

/* The UDP relay run on the host: stdin carries one hex-encoded datagram a
 * line to send, stdout gets one hex line per datagram received; "E why"
 * reports an error. perl-base is essential on Debian and Ubuntu and
 * present on nearly every other distribution. It exits when stdin closes
 * (fleetop finished the query or went away) or after 60 s whatever happens. */
static const char udp_relay[] =
	"use strict;use IO::Socket::INET;use IO::Select;$|=1;alarm 60;"
	"my($h,$p)=@ARGV;"
	"my $s=IO::Socket::INET->new(PeerAddr=>$h,PeerPort=>$p,Proto=>'udp')"
	" or do{print \"E $!\\n\";exit 1};print \"R\\n\";"
	"my $sel=IO::Select->new(\\*STDIN,$s);my $in='';"
	"while(1){for my $f($sel->can_read(30)){"
	"if($f==$s){my $d;if(!defined $s->recv($d,65536)){print \"E $!\\n\";exit 1}"
	"print unpack('H*',$d),\"\\n\";next}"
	"my $n=sysread(STDIN,$in,65536,length $in);exit 0 unless $n;"
	"while($in=~s/^([0-9a-f]*)\\n//){$s->send(pack('H*',$1))}}}";

enum link_way { WAY_SOCKET, WAY_SSH_TCP, WAY_SSH_UDP };

struct game_link {
	struct loop *loop;
	enum link_kind kind;
	enum link_way way;
	int fd;
	bool connected;     /* TCP socket: connect() finished */
	struct buf out;     /* TCP socket: not yet written */
	struct ssh_exec *exec;
	struct buf lines;   /* UDP relay: partial stdout line */
	struct buf err;     /* UDP relay: stderr, for the reason it failed */
	struct game_link_cbs cbs;
	void *arg;
	bool failed;
	bool open;          /* direct and forwarded links start open; the relay says "R" */
	char fail_why[200]; /* a failure before anyone listened (while being made) */
	int depth;          /* inside our callbacks: a close then only marks */
	bool closed;
};

static void link_destroy(struct game_link *l)
{
	if (l->fd >= 0) {
		loop_fd_del(l->loop, l->fd);
		close(l->fd);
	}
	if (l->exec)
		ssh_exec_cancel(l->exec);
	buf_free(&l->out);
	buf_free(&l->lines);
	buf_free(&l->err);
	free(l);
}

/* Every call out to the query goes through these two, so a query that
 * closes the link from its callback is freed only once we are done. */
static void enter(struct game_link *l)
{
	l->depth++;
}

static bool leave(struct game_link *l)
{
	if (--l->depth == 0 && l->closed) {
		link_destroy(l);
		return false;
	}
	return !l->closed;
}

static void link_fail(struct game_link *l, enum link_fault fault, const char *why)
{
	if (l->failed)
		return;
	l->failed = true;
	if (l->fd >= 0) {
		loop_fd_del(l->loop, l->fd);
		close(l->fd);
		l->fd = -1;
	}
	if (l->closed)
		return;
	if (l->cbs.on_fail)
		l->cbs.on_fail(l->arg, fault, why);
	else
		str_copy(l->fail_why, why, sizeof l->fail_why);
}

static enum link_fault fault_of_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return LINK_REFUSED;
	case ENETUNREACH:
	case EHOSTUNREACH:
	case EADDRNOTAVAIL:
		return LINK_UNREACHABLE;
	default:
		return LINK_ERROR;
	}
}

static void socket_fail_errno(struct game_link *l, int e)
{
	char why[160];
	if (e == ECONNREFUSED && l->kind == LINK_UDP)
		snprintf(why, sizeof why, "port closed (ICMP port unreachable)");
	else if (e == ECONNREFUSED)
		snprintf(why, sizeof why, "connection refused");
	else
		snprintf(why, sizeof why, "%s", strerror(e));
	link_fail(l, fault_of_errno(e), why);
}

static void socket_flush(struct game_link *l)
{
	while (l->out.len) {
		ssize_t n = send(l->fd, l->out.data, l->out.len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			socket_fail_errno(l, errno);
			return;
		}
		buf_consume(&l->out, (size_t)n);
	}
	loop_fd_set_events(l->loop, l->fd, LOOP_READ | (l->out.len ? LOOP_WRITE : 0));
}

static void socket_events(struct game_link *l, int fd, int events);

static void on_socket(struct loop *loop, int fd, int events, void *arg)
{
	struct game_link *l = arg;
	(void)loop;
	enter(l);
	socket_events(l, fd, events);
	leave(l);
}

static void socket_events(struct game_link *l, int fd, int events)
{
	if (l->kind == LINK_TCP && !l->connected && (events & (LOOP_WRITE | LOOP_READ))) {
		int e = 0;
		socklen_t elen = sizeof e;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
			e = errno;
		if (e) {
			socket_fail_errno(l, e);
			return;
		}
		l->connected = true;
		socket_flush(l);
		if (l->failed)
			return;
	} else if (events & LOOP_WRITE) {
		socket_flush(l);
		if (l->failed)
			return;
	}
	if (!(events & LOOP_READ))
		return;
	unsigned char data[65536];
	/* A bounded number of reads a wake: a flooding peer cannot hold the loop. */
	for (int i = 0; i < 16 && !l->failed && !l->closed; i++) {
		ssize_t n = recv(fd, data, sizeof data, 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				socket_fail_errno(l, errno);
			return;
		}
		if (n == 0 && l->kind == LINK_TCP) {
			link_fail(l, LINK_CLOSED, "connection closed by the server");
			return;
		}
		l->cbs.on_data(l->arg, data, (size_t)n);
	}
}

struct game_link *game_link_direct(struct loop *loop, enum link_kind kind,
				   const struct sockaddr *sa, socklen_t salen, struct error *err)
{
	int type = kind == LINK_UDP ? SOCK_DGRAM : SOCK_STREAM;
	int fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		error_set(err, "socket: %s", strerror(errno));
		return NULL;
	}
	struct game_link *l = xcalloc(1, sizeof *l);
	l->loop = loop;
	l->kind = kind;
	l->way = WAY_SOCKET;
	l->fd = fd;
	/* A connected UDP socket takes replies from that peer only and hears
	 * ICMP port unreachable as ECONNREFUSED. */
	if (connect(fd, sa, salen) < 0 && errno != EINPROGRESS) {
		error_set(err, "%s", errno == ECONNREFUSED ? "connection refused" : strerror(errno));
		close(fd);
		free(l);
		return NULL;
	}
	l->connected = kind == LINK_UDP;
	l->open = true;
	loop_fd_add(loop, fd, kind == LINK_UDP ? LOOP_READ : LOOP_READ | LOOP_WRITE, on_socket, l);
	return l;
}

static void ssh_data(struct game_link *l, const char *data, size_t len);

static void on_ssh_data(void *arg, const char *data, size_t len)
{
	struct game_link *l = arg;
	enter(l);
	ssh_data(l, data, len);
	leave(l);
}

static void ssh_data(struct game_link *l, const char *data, size_t len)
{
	if (l->way == WAY_SSH_TCP) {
		l->cbs.on_data(l->arg, (const unsigned char *)data, len);
		return;
	}
	buf_append(&l->lines, data, len);
	char *nl;
	while (!l->failed && !l->closed && (nl = memchr(l->lines.data, '\n', l->lines.len))) {
		size_t n = (size_t)(nl - l->lines.data);
		*nl = '\0';
		if (n == 1 && l->lines.data[0] == 'R') {
			buf_consume(&l->lines, 2);
			l->open = true;
			if (l->cbs.on_open)
				l->cbs.on_open(l->arg);
			continue;
		}
		if (l->lines.data[0] == 'E' && n >= 2) {
			char why[200];
			snprintf(why, sizeof why, "relay on host: %.150s", l->lines.data + 2);
			link_fail(l, strstr(why, "refused") ? LINK_REFUSED : LINK_ERROR, why);
			return;
		}
		if (n % 2 || n / 2 > GAME_MAX_REPLY) {
			link_fail(l, LINK_ERROR, "relay on host printed a malformed line");
			return;
		}
		unsigned char *d = xmalloc(n / 2 + 1);
		bool bad = false;
		for (size_t i = 0; i < n / 2; i++) {
			unsigned v;
			if (sscanf(l->lines.data + 2 * i, "%2x", &v) != 1) {
				bad = true;
				break;
			}
			d[i] = (unsigned char)v;
		}
		buf_consume(&l->lines, n + 1);
		if (bad)
			link_fail(l, LINK_ERROR, "relay on host printed a malformed line");
		else
			l->cbs.on_data(l->arg, d, n / 2);
		free(d);
	}
	if (l->lines.len > 2 * GAME_MAX_REPLY + 2)
		link_fail(l, LINK_ERROR, "relay on host printed an overlong line");
}

static void on_ssh_err(void *arg, const char *data, size_t len)
{
	struct game_link *l = arg;
	if (l->err.len < 300)
		buf_append(&l->err, data, len);
}

static void on_ssh_exit(void *arg, int status, const char *error)
{
	struct game_link *l = arg;
	l->exec = NULL;
	char why[300];
	if (error) {
		snprintf(why, sizeof why, "over ssh: %s", error);
	} else if (l->way == WAY_SSH_TCP) {
		snprintf(why, sizeof why, "connection closed by the server");
	} else {
		char *e = buf_first_line(&l->err);
		if (status == 127)
			snprintf(why, sizeof why, "UDP over ssh needs perl on the host");
		else
			snprintf(why, sizeof why, "relay on host ended (exit %d)%s%.120s", status,
				 *e ? ": " : "", e);
	}
	/* libssh reports a refused forward as a failed channel open. */
	enter(l);
	link_fail(l, error && strstr(error, "refused") ? LINK_REFUSED
		  : l->way == WAY_SSH_TCP && !error ? LINK_CLOSED : LINK_ERROR, why);
	leave(l);
}

static const struct ssh_exec_cbs ssh_cbs = { on_ssh_data, on_ssh_err, on_ssh_exit };

struct game_link *game_link_ssh(struct ssh_pool *pool, struct host *h, struct loop *loop,
				enum link_kind kind, const char *target, int port,
				struct error *err)
{
	struct game_link *l = xcalloc(1, sizeof *l);
	l->loop = loop;
	l->kind = kind;
	l->fd = -1;
	if (kind == LINK_TCP) {
		l->way = WAY_SSH_TCP;
		l->open = true;
		l->exec = ssh_pool_forward(pool, h, target, port, &ssh_cbs, l, err);
	} else {
		l->way = WAY_SSH_UDP;
		char *script = shell_quote(udp_relay);
		char *t = shell_quote(target);
		char *cmd = xasprintf("exec perl -e %s %s %d", script, t, port);
		l->exec = ssh_pool_exec(pool, h, cmd, NULL, 0, &ssh_cbs, l, err);
		free(cmd);
		free(t);
		free(script);
	}
	if (!l->exec || l->failed) {
		/* The channel can fail while it is being made (the session went
		 * in the same turn): then there is no link to hand out. */
		if (l->failed)
			error_set(err, "%s", l->fail_why);
		link_destroy(l);
		return NULL;
	}
	return l;
}

static void link_send(struct game_link *l, const void *data, size_t len);

void game_link_send(struct game_link *l, const void *data, size_t len)
{
	if (l->failed || l->closed)
		return;
	enter(l);
	link_send(l, data, len);
	leave(l);
}

static void link_send(struct game_link *l, const void *data, size_t len)
{
	if (l->way == WAY_SOCKET && l->kind == LINK_UDP) {
		if (send(l->fd, data, len, MSG_NOSIGNAL) < 0 && errno != EAGAIN)
			socket_fail_errno(l, errno);
	} else if (l->way == WAY_SOCKET) {
		buf_append(&l->out, data, len);
		if (l->connected)
			socket_flush(l);
	} else if (l->way == WAY_SSH_TCP) {
		ssh_exec_write(l->exec, data, len);
	} else {
		struct buf line = { 0 };
		const unsigned char *d = data;
		for (size_t i = 0; i < len; i++)
			buf_printf(&line, "%02x", d[i]);
		buf_puts(&line, "\n");
		ssh_exec_write(l->exec, line.data, line.len);
		buf_free(&line);
	}
}

void game_link_set_cbs(struct game_link *l, const struct game_link_cbs *cbs, void *arg)
{
	l->cbs = *cbs;
	l->arg = arg;
}

bool game_link_is_open(const struct game_link *l)
{
	return l->open;
}

const char *game_link_way(const struct game_link *l)
{
	return l->way == WAY_SOCKET ? "direct" : "ssh";
}

void game_link_close(struct game_link *l)
{
	if (!l)
		return;
	if (l->exec) {
		ssh_exec_cancel(l->exec);
		l->exec = NULL;
	}
	l->closed = true;
	if (l->depth == 0)
		link_destroy(l);
}
