/* What the collect module's files share: the game query's link to a
 * server, the protocol queries, and the parts of the collector. */
#ifndef COLLECT_PRIVATE_H
#define COLLECT_PRIVATE_H

#include <sys/socket.h>

#include "fleetop/collect.h"
#include "fleetop/fleet.h"
#include "fleetop/game.h"

struct loop;
struct ssh_pool;

/* ---- game_link.c: datagrams or a stream to a game server ---- */
enum link_kind { LINK_UDP, LINK_TCP };
enum link_fault {
	LINK_REFUSED,     /* nothing listens (TCP RST, ICMP port unreachable) */
	LINK_UNREACHABLE, /* no route */
	LINK_CLOSED,      /* the server closed the stream */
	LINK_ERROR,       /* anything else, the reason in words */
};
struct game_link_cbs {
	/* UDP: one datagram a call; TCP: bytes as they come. */
	void (*on_data)(void *arg, const unsigned char *data, size_t len);
	/* Once, then nothing more; the owner still calls game_link_close. */
	void (*on_fail)(void *arg, enum link_fault fault, const char *why);
	/* A relay on the host is ready (links that start open never call it):
	 * the time before it is SSH's and the relay's, not the game's. */
	void (*on_open)(void *arg);
};
struct game_link;
struct game_link *game_link_direct(struct loop *loop, enum link_kind kind,
				   const struct sockaddr *sa, socklen_t salen, struct error *err);
/* Through h's SSH session (which must be up) to target:port as the host sees it. */
struct game_link *game_link_ssh(struct ssh_pool *pool, struct host *h, struct loop *loop,
				enum link_kind kind, const char *target, int port,
				struct error *err);
/* Who hears the link; set before the first send. */
void game_link_set_cbs(struct game_link *l, const struct game_link_cbs *cbs, void *arg);
void game_link_send(struct game_link *l, const void *data, size_t len);
const char *game_link_way(const struct game_link *l); /* "direct" or "ssh" */
bool game_link_is_open(const struct game_link *l);
/* Safe from inside the link's own callbacks. */
void game_link_close(struct game_link *l);

/* ---- game_query.c: one exchange of one protocol over one link ---- */
enum game_proto { PROTO_Q3, PROTO_A2S, PROTO_SLP, PROTO_RCON };
const char *game_proto_name(enum game_proto p);
enum link_kind game_proto_link(enum game_proto p);

struct game_result {
	struct game_status st;  /* players, max, map, name, version, list */
	double latency_ms;      /* request to first reply; < 0 unknown */
	double tps, mspt;       /* NAN when the server does not report them */
	bool tps_unsupported;   /* the server answered but has no tps command */
};
enum query_outcome {
	QUERY_OK,
	QUERY_NO_PATH,   /* the link failed (refused, unreachable, no answer): another way may work */
	QUERY_BAD,       /* the server answered wrongly, or RCON refused our password */
};
struct game_query;
/* Called once, from a timer, never from inside game_query_start. why is a
 * one-line reason when outcome is not QUERY_OK. The query is freed after. */
typedef void (*game_query_fn)(void *arg, enum query_outcome outcome, const char *why,
			      struct game_result *res);
struct game_query_opts {
	enum game_proto proto;
	int64_t timeout_ms;     /* the whole exchange, slow peers included */
	const char *password;   /* RCON */
	const char *host_name;  /* SLP handshake's server address */
	int port;               /* SLP handshake's port */
	const char *const *commands; /* RCON: run in order (NULL-terminated) */
};
/* Takes ownership of link. */
struct game_query *game_query_start(struct loop *loop, struct game_link *link,
				    const struct game_query_opts *o, game_query_fn done, void *arg);
/* Stops it; done is not called. */
void game_query_cancel(struct game_query *q);
void game_result_free(struct game_result *r);

/* ---- game_table.c: gamedig ids to protocol and ports ---- */
struct game_kind {
	const char *id;         /* gamedig id or protocol name */
	const char *title;
	enum game_proto proto;
	int query_port;         /* default */
	int rcon_port;          /* default when rcon is configured; 0 none */
	const char *process;    /* usual process name (comm) of the server */
};
const struct game_kind *game_kind_find(const char *id);
/* "openarena, minecraft, ..." for error messages; static storage. */
const char *game_kind_list(void);

/* ---- game_proc.c: the game-process probe's frames ---- */
struct game_proc_parser;
struct game_proc_parser *game_proc_parser_new(const char *host);
void game_proc_parser_free(struct game_proc_parser *p);
/* Like linux_parser_feed: emits proc.* and game.world_bytes; info (a
 * process not found, du failing) goes to note, which is "" when all is well. */
int game_proc_parser_feed(struct game_proc_parser *p, const char *data, size_t len,
			  metric_emit_fn emit, void *arg, char *note, size_t note_size,
			  struct error *err);
char *game_proc_command(int64_t interval_ms, int64_t world_interval_ms, const char *pidfile,
			const char *unit, const char *process, const char *world);
const char *game_proc_script(void);

/* ---- game_poller.c / custom_runner.c: parts of the collector ---- */
struct game_poller;
struct custom_runner;
struct collector;
struct game_poller *game_poller_new(struct collector *c);
void game_poller_free(struct game_poller *g);
/* Starts polling h's game if its vars name one (any state: a game can
 * answer while SSH is down). */
void game_poller_watch(struct game_poller *g, struct host *h);
void game_poller_host_up(struct game_poller *g, struct host *h);
void game_poller_host_down(struct game_poller *g, struct host *h);
/* Polls completed for h (tests and one-shot commands). */
uint64_t game_poller_polls(const struct game_poller *g, const struct host *h);

struct custom_runner *custom_runner_new(struct collector *c);
void custom_runner_free(struct custom_runner *r);
void custom_runner_host_up(struct custom_runner *r, struct host *h);
void custom_runner_host_down(struct custom_runner *r, struct host *h);

/* collector.c: what the parts share. */
struct loop *collector_loop(struct collector *c);
struct ssh_pool *collector_pool(struct collector *c);
const struct settings *collector_settings(struct collector *c);
/* Per-host state of a collector part, a pointer per host id. */
struct host_slots {
	void **v;
	size_t n;
};
/* The slot of id, made to exist (grown by doubling; new slots NULL). */
void **host_slot(struct host_slots *s, uint32_t id);
/* What the slot of id holds, or NULL (also past the end). */
void *host_slot_get(const struct host_slots *s, uint32_t id);

/* Host var key as a duration of at least min ms; dflt when it is unset,
 * or (with a warning naming host and var) when it is not one. */
int64_t collector_var_duration(const struct host *h, const char *key, int64_t dflt, int64_t min);

/* How long to wait before restarting a probe that ended: 2 s doubling to
 * 60 s with each restart in a row; counts this one in *restarts. */
int64_t collector_restart_delay(int *restarts);
/* Hands one sample on (the model, then the store). ts_ms 0: now. */
void collector_emit(struct collector *c, struct host *h, const char *metric, int64_t ts_ms,
		    double value);
void collector_event(struct collector *c, struct host *h, int64_t ts_ms, const char *severity,
		     const char *kind, const char *message);

#endif
