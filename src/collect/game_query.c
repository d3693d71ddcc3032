/* One exchange with a game server over one link: Quake 3 getstatus, A2S
 * info and players with the challenge handshake, Minecraft status and
 * ping, or an RCON session of a few commands. Each is a small state
 * machine fed by the link; the whole exchange has one deadline, so a
 * silent or trickling server costs a timer, never a stall. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect_private.h"
#include "fleetop/loop.h"

#define RCON_AUTH_ID 1
#define RCON_FIRST_ID 16
#define RCON_MAX_COMMANDS 8
#define RCON_MAX_REPLY (256 * 1024)
#define A2S_MAX_CHALLENGES 3
#define RELAY_SETUP_MS 10000

enum a2s_step { A2S_STEP_INFO, A2S_STEP_PLAYER };

struct game_query {
	struct loop *loop;
	struct game_link *link;
	struct game_query_opts o;
	char *password;
	game_query_fn done;
	void *arg;
	uint64_t deadline_timer, finish_timer;
	double t_sent;          /* first request; for latency */
	double t_ping;          /* SLP ping sent */
	struct game_result res;
	bool partial;           /* enough arrived to report, if the rest never does */
	size_t received;        /* bytes, for the timeout's message */
	char bad[256];          /* the last reply refused while waiting for a good one */
	enum query_outcome outcome;
	char why[256];
	bool finished;

	struct buf in;          /* TCP bytes not yet framed */
	unsigned q3_challenge;
	struct a2s_reply *a2s;
	enum a2s_step a2s_step;
	int32_t a2s_challenge;
	int a2s_rounds;
	int64_t slp_payload;
	bool rcon_authed;
	int rcon_cmd;           /* index of the command running */
	struct buf rcon_reply;
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *game_proto_name(enum game_proto p)
{
	static const char *const names[] = { "quake3", "a2s", "minecraft", "rcon" };
	return p <= PROTO_RCON ? names[p] : "?";
}

enum link_kind game_proto_link(enum game_proto p)
{
	return p == PROTO_Q3 || p == PROTO_A2S ? LINK_UDP : LINK_TCP;
}

static void on_finish(struct loop *loop, void *arg)
{
	struct game_query *q = arg;
	(void)loop;
	q->finish_timer = 0;
	q->done(q->arg, q->outcome, q->outcome == QUERY_OK ? NULL : q->why, &q->res);
	game_query_cancel(q);
}

/* Ends the exchange; done runs from a fresh turn of the loop, so nothing
 * that called us is still on the stack when the poller moves on. */
static void finish(struct game_query *q, enum query_outcome outcome, const char *fmt, ...)
	FT_PRINTF(3, 4);
static void finish(struct game_query *q, enum query_outcome outcome, const char *fmt, ...)
{
	if (q->finished)
		return;
	q->finished = true;
	q->outcome = outcome;
	q->why[0] = '\0';
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(q->why, sizeof q->why, fmt, ap);
		va_end(ap);
	}
	game_link_close(q->link);
	q->link = NULL;
	loop_timer_del(q->loop, q->deadline_timer);
	q->deadline_timer = 0;
	q->finish_timer = loop_timer_add(q->loop, 0, on_finish, q);
}

static void send_bytes(struct game_query *q, const void *data, size_t len)
{
	if (q->t_sent == 0)
		q->t_sent = now_ms();
	game_link_send(q->link, data, len);
}

static void got_reply(struct game_query *q)
{
	if (q->res.latency_ms < 0)
		q->res.latency_ms = now_ms() - q->t_sent;
}

/* ---- Quake 3 ---- */

static void q3_start(struct game_query *q)
{
	char req[64];
	q->q3_challenge = random_u32() | 1;
	int n = q3_status_request(req, sizeof req, q->q3_challenge);
	send_bytes(q, req, (size_t)n);
}

static void q3_data(struct game_query *q, const unsigned char *d, size_t len)
{
	struct error err;
	struct game_status st;
	/* A refused datagram may be a stale or forged one: keep listening for
	 * the real reply until the deadline, which then reports the refusal. */
	if (q3_status_parse(d, len, q->q3_challenge, &st, &err) < 0) {
		str_copy(q->bad, err.msg, sizeof q->bad);
		return;
	}
	got_reply(q);
	game_status_free(&q->res.st);
	q->res.st = st;
	finish(q, QUERY_OK, NULL);
}

/* ---- A2S ---- */

static void a2s_send(struct game_query *q)
{
	unsigned char req[64];
	int n = q->a2s_step == A2S_STEP_INFO ? a2s_info_request(req, sizeof req, q->a2s_challenge)
					     : a2s_player_request(req, sizeof req, q->a2s_challenge);
	a2s_reply_reset(q->a2s);
	send_bytes(q, req, (size_t)n);
}

static void a2s_start(struct game_query *q)
{
	q->a2s = a2s_reply_new();
	q->a2s_step = A2S_STEP_INFO;
	q->a2s_challenge = A2S_NO_CHALLENGE;
	a2s_send(q);
}

static void a2s_data(struct game_query *q, const unsigned char *d, size_t len)
{
	struct error err;
	int rc = a2s_reply_feed(q->a2s, d, len, &err);
	if (rc < 0) {
		str_copy(q->bad, err.msg, sizeof q->bad);
		return;
	}
	if (rc == 0)
		return;
	size_t plen;
	const unsigned char *p = a2s_reply_payload(q->a2s, &plen);
	int type = a2s_payload_type(p, plen);
	if (type == A2S_TYPE_CHALLENGE) {
		if (a2s_parse_challenge(p, plen, &q->a2s_challenge, &err) < 0) {
			finish(q, QUERY_BAD, "%s", err.msg);
		} else if (++q->a2s_rounds > A2S_MAX_CHALLENGES) {
			finish(q, QUERY_BAD, "a2s: the server keeps asking for a new challenge");
		} else {
			got_reply(q);
			a2s_send(q);
		}
		return;
	}
	if (q->a2s_step == A2S_STEP_INFO && (type == A2S_TYPE_INFO || type == A2S_TYPE_INFO_OLD)) {
		got_reply(q);
		if (a2s_parse_info(p, plen, &q->res.st, &err) < 0) {
			finish(q, QUERY_BAD, "%s", err.msg);
			return;
		}
		q->partial = true;
		q->a2s_step = A2S_STEP_PLAYER;
		q->a2s_rounds = 0;
		a2s_send(q);
		return;
	}
	if (q->a2s_step == A2S_STEP_PLAYER && type == A2S_TYPE_PLAYER) {
		if (a2s_parse_players(p, plen, &q->res.st, &err) < 0)
			/* The counts from A2S_INFO still stand; only the names are lost. */
			log_debug("%s", err.msg);
		finish(q, QUERY_OK, NULL);
		return;
	}
	snprintf(q->bad, sizeof q->bad, "a2s: unexpected reply type 0x%02x to %s", type & 0xff,
		 q->a2s_step == A2S_STEP_INFO ? "A2S_INFO" : "A2S_PLAYER");
	a2s_reply_reset(q->a2s);
}

/* ---- Minecraft Server List Ping ---- */

static void slp_start(struct game_query *q)
{
	struct buf req = { 0 };
	/* 765 is 1.20.4; a server answers the status of any protocol number. */
	slp_status_request(&req, q->o.host_name ? q->o.host_name : "localhost", q->o.port, 765);
	send_bytes(q, req.data, req.len);
	buf_free(&req);
}

static void slp_data(struct game_query *q)
{
	struct error err;
	while (!q->finished) {
		int id;
		const unsigned char *body;
		size_t blen;
		int n = slp_frame((const unsigned char *)q->in.data, q->in.len, &id, &body, &blen,
				  &err);
		if (n < 0) {
			finish(q, QUERY_BAD, "%s", err.msg);
			return;
		}
		if (n == 0)
			return;
		if (id == 0 && !q->partial) {
			got_reply(q);
			if (slp_parse_status(body, blen, &q->res.st, &err) < 0) {
				finish(q, QUERY_BAD, "%s", err.msg);
				return;
			}
			q->partial = true;
			/* The ping's round trip is the latency players see. */
			struct buf ping = { 0 };
			q->slp_payload = (int64_t)random_u32();
			slp_ping_request(&ping, q->slp_payload);
			q->t_ping = now_ms();
			game_link_send(q->link, ping.data, ping.len);
			buf_free(&ping);
		} else if (id == 1 && q->partial) {
			int64_t payload;
			if (slp_parse_pong(body, blen, &payload, &err) == 0 && payload == q->slp_payload)
				q->res.latency_ms = now_ms() - q->t_ping;
			finish(q, QUERY_OK, NULL);
			return;
		} else {
			finish(q, QUERY_BAD, "minecraft: unexpected packet 0x%02x", id & 0xff);
			return;
		}
		buf_consume(&q->in, (size_t)n);
	}
}

/* ---- RCON ---- */

static void rcon_send(struct game_query *q, int32_t id, int32_t type, const char *body)
{
	struct buf pkt = { 0 };
	rcon_packet(&pkt, id, type, body);
	send_bytes(q, pkt.data, pkt.len);
	buf_free(&pkt);
}

static void rcon_start(struct game_query *q)
{
	rcon_send(q, RCON_AUTH_ID, RCON_AUTH, q->password ? q->password : "");
}

static void rcon_next_command(struct game_query *q)
{
	const char *cmd = q->o.commands ? q->o.commands[q->rcon_cmd] : NULL;
	if (!cmd || q->rcon_cmd >= RCON_MAX_COMMANDS) {
		finish(q, QUERY_OK, NULL);
		return;
	}
	buf_reset(&q->rcon_reply);
	int32_t id = RCON_FIRST_ID + 2 * q->rcon_cmd;
	rcon_send(q, id, RCON_EXECCOMMAND, cmd);
	/* A reply may come in several packets with nothing marking the last;
	 * servers answer requests in order, so the answer to this empty
	 * RESPONSE_VALUE marks the end of the command's reply. */
	rcon_send(q, id + 1, RCON_RESPONSE_VALUE, "");
}

static bool unknown_command(const char *text)
{
	return strstr(text, "Unknown") || strstr(text, "unknown");
}

static void rcon_command_done(struct game_query *q)
{
	const char *cmd = q->o.commands[q->rcon_cmd];
	const char *text = q->rcon_reply.data ? q->rcon_reply.data : "";
	size_t len = q->rcon_reply.len;
	struct error err;
	if (!strcmp(cmd, "tps")) {
		if (mc_parse_tps(text, len, &q->res.tps, &err) < 0) {
			q->res.tps = NAN;
			if (unknown_command(text))
				q->res.tps_unsupported = true;
			else
				str_copy(q->bad, err.msg, sizeof q->bad);
		}
	} else if (!strcmp(cmd, "mspt")) {
		if (mc_parse_mspt(text, len, &q->res.mspt, &err) < 0)
			q->res.mspt = NAN;
	} else if (!strcmp(cmd, "list")) {
		struct game_status st;
		memset(&st, 0, sizeof st);
		if (mc_parse_list(text, len, &st, &err) == 0) {
			game_status_free(&q->res.st);
			q->res.st = st;
			q->partial = true;
		} else {
			str_copy(q->bad, err.msg, sizeof q->bad);
		}
	}
	q->rcon_cmd++;
	rcon_next_command(q);
}

static void rcon_data(struct game_query *q)
{
	struct error err;
	while (!q->finished) {
		struct rcon_packet pkt;
		int n = rcon_unpack((const unsigned char *)q->in.data, q->in.len, &pkt, &err);
		if (n < 0) {
			finish(q, QUERY_BAD, "%s", err.msg);
			return;
		}
		if (n == 0)
			return;
		got_reply(q);
		if (!q->rcon_authed) {
			if (pkt.type == RCON_AUTH_RESPONSE && pkt.id == -1) {
				finish(q, QUERY_BAD, "rcon: the server refused the password");
				return;
			}
			if (pkt.type == RCON_AUTH_RESPONSE && pkt.id == RCON_AUTH_ID) {
				q->rcon_authed = true;
				buf_consume(&q->in, (size_t)n);
				rcon_next_command(q);
				continue;
			}
			/* Source servers send an empty RESPONSE_VALUE before the
			 * auth response; anything else is not RCON as we know it. */
			if (!(pkt.type == RCON_RESPONSE_VALUE && pkt.id == RCON_AUTH_ID)) {
				finish(q, QUERY_BAD, "rcon: unexpected packet (id %d, type %d) before authentication",
				       (int)pkt.id, (int)pkt.type);
				return;
			}
		} else {
			int32_t id = RCON_FIRST_ID + 2 * q->rcon_cmd;
			if (pkt.id == id) {
				if (q->rcon_reply.len + pkt.body_len > RCON_MAX_REPLY) {
					finish(q, QUERY_BAD, "rcon: reply to '%s' over %d bytes",
					       q->o.commands[q->rcon_cmd], RCON_MAX_REPLY);
					return;
				}
				buf_append(&q->rcon_reply, pkt.body, pkt.body_len);
			} else if (pkt.id == id + 1) {
				/* Source echoes the marker and adds one more packet with
				 * the same id; taking the first is enough. */
				buf_consume(&q->in, (size_t)n);
				rcon_command_done(q);
				continue;
			} else if (pkt.id < id) {
				/* the tail of an earlier marker's echo */
			} else {
				finish(q, QUERY_BAD, "rcon: reply with unexpected id %d", (int)pkt.id);
				return;
			}
		}
		buf_consume(&q->in, (size_t)n);
	}
}

/* ---- the exchange ---- */

static void on_data(void *arg, const unsigned char *data, size_t len)
{
	struct game_query *q = arg;
	if (q->finished)
		return;
	q->received += len;
	switch (q->o.proto) {
	case PROTO_Q3:
		q3_data(q, data, len);
		return;
	case PROTO_A2S:
		a2s_data(q, data, len);
		return;
	case PROTO_SLP:
	case PROTO_RCON:
		/* Frames are bounded by their parsers; this bounds the buffer. */
		if (q->in.len + len > (size_t)SLP_MAX_PACKET + 16) {
			finish(q, QUERY_BAD, "%s: reply over %d bytes", game_proto_name(q->o.proto),
			       SLP_MAX_PACKET);
			return;
		}
		buf_append(&q->in, data, len);
		if (q->o.proto == PROTO_SLP)
			slp_data(q);
		else
			rcon_data(q);
		return;
	}
}

static void on_fail(void *arg, enum link_fault fault, const char *why)
{
	struct game_query *q = arg;
	if (q->finished)
		return;
	if (q->partial) {
		finish(q, QUERY_OK, NULL);
		return;
	}
	/* A stream the server closed after answering is its answer being bad. */
	finish(q, fault == LINK_CLOSED && q->received ? QUERY_BAD : QUERY_NO_PATH, "%s", why);
}

static void on_deadline(struct loop *loop, void *arg)
{
	struct game_query *q = arg;
	(void)loop;
	q->deadline_timer = 0;
	long secs = (long)((q->o.timeout_ms + 999) / 1000);
	if (q->partial)
		finish(q, QUERY_OK, NULL);
	else if (q->bad[0])
		finish(q, QUERY_BAD, "%s", q->bad);
	else if (q->received)
		finish(q, QUERY_BAD, "%s: reply incomplete after %lds (%zu bytes)",
		       game_proto_name(q->o.proto), secs, q->received);
	else
		finish(q, QUERY_NO_PATH, "no reply in %lds", secs);
}

/* The relay on the host is up: the game's time starts now. */
static void on_open(void *arg)
{
	struct game_query *q = arg;
	if (q->finished)
		return;
	q->t_sent = now_ms();
	loop_timer_del(q->loop, q->deadline_timer);
	q->deadline_timer = loop_timer_add(q->loop, q->o.timeout_ms, on_deadline, q);
}

static const struct game_link_cbs link_cbs = { on_data, on_fail, on_open };

struct game_query *game_query_start(struct loop *loop, struct game_link *link,
				    const struct game_query_opts *o, game_query_fn done, void *arg)
{
	struct game_query *q = xcalloc(1, sizeof *q);
	q->loop = loop;
	q->link = link;
	q->o = *o;
	q->password = o->password ? xstrdup(o->password) : NULL;
	q->o.password = NULL;
	q->done = done;
	q->arg = arg;
	q->res.latency_ms = -1;
	q->res.tps = q->res.mspt = NAN;
	game_link_set_cbs(link, &link_cbs, q);
	/* A relay still starting gets the time SSH may take as well. */
	int64_t setup = game_link_is_open(link) ? 0 : RELAY_SETUP_MS;
	q->deadline_timer = loop_timer_add(loop, o->timeout_ms + setup, on_deadline, q);
	switch (o->proto) {
	case PROTO_Q3:
		q3_start(q);
		break;
	case PROTO_A2S:
		a2s_start(q);
		break;
	case PROTO_SLP:
		slp_start(q);
		break;
	case PROTO_RCON:
		rcon_start(q);
		break;
	}
	return q;
}

void game_result_free(struct game_result *r)
{
	game_status_free(&r->st);
}

void game_query_cancel(struct game_query *q)
{
	if (!q)
		return;
	game_link_close(q->link);
	loop_timer_del(q->loop, q->deadline_timer);
	loop_timer_del(q->loop, q->finish_timer);
	if (q->password) {
		/* The RCON password is a secret: do not leave it in freed memory. */
		memset(q->password, 0, strlen(q->password));
		free(q->password);
	}
	a2s_reply_free(q->a2s);
	buf_free(&q->in);
	buf_free(&q->rcon_reply);
	game_result_free(&q->res);
	free(q);
}
