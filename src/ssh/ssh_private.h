/* What the ssh module's files share; nothing outside src/ssh sees this. */
#ifndef FLEETOP_SSH_PRIVATE_H
#define FLEETOP_SSH_PRIVATE_H

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h> /* ssh_send_keepalive, which clients may use too */
#include <netdb.h>

#include "fleetop/loop.h"
#include "fleetop/ssh.h"

enum conn_phase {
	CONN_IDLE,       /* not wanted */
	CONN_CONFIG,     /* reading ssh_config on a thread (setup.c) */
	CONN_RESOLVING,  /* async DNS */
	CONN_QUEUED,     /* resolved, waiting for a handshake slot */
	CONN_TCP,        /* non-blocking connect() */
	CONN_HANDSHAKE,  /* ssh_connect: banner, key exchange */
	CONN_AUTH,       /* publickey (agent and key files) */
	CONN_UP,
	CONN_WAIT,       /* down, waiting to retry */
};

struct conn {
	struct ssh_pool *pool;
	struct host *host;
	enum conn_phase phase;
	ssh_session session;
	ssh_event event;        /* this session alone, to pump its packets */
	int fd;                 /* registered on the loop, or -1 */
	int tcp_fd;             /* our own socket before libssh owns it */
	struct addrinfo *addrs, *next_addr;
	struct setup_job *setup; /* the session's setup in flight */
	struct dns_req *dns;    /* the lookup in flight, owned until it ends */
	char *gai_name;
	char port_str[8];
	bool has_slot;          /* holds one of the pool's handshake slots */
	struct conn *queue_prev, *queue_next; /* waiting for a slot */
	int64_t phase_stalled_ms; /* loop_stalled_ms when phase_timer was set */
	uint64_t phase_timer;   /* deadline of the current attempt */
	uint64_t poll_timer;    /* DNS polling, retry wait */
	uint64_t alive_timer;   /* keepalive / dead peer detection */
	uint64_t kick_timer;    /* a step asked for from inside a step */
	int64_t last_rx_ms;     /* loop_awake_ms of the last byte from the peer */
	int failures;           /* consecutive, for backoff */
	uint64_t rx_reads;      /* channel reads that returned data */
	struct ssh_exec *execs; /* open channels */
	bool wanted;
	bool in_step;           /* re-entrancy guard for callbacks */
};

enum exec_kind { EXEC_COMMAND, EXEC_FORWARD };
enum exec_phase { EXEC_OPENING, EXEC_REQUEST, EXEC_RUNNING, EXEC_DONE };

struct ssh_exec {
	struct conn *conn;
	enum exec_kind kind;
	enum exec_phase phase;
	ssh_channel channel;
	struct ssh_channel_callbacks_struct cb;
	char *command;          /* or remote host of a forward */
	int remote_port;
	struct buf in;          /* stdin not yet written */
	bool close_stdin;       /* send EOF once `in` is drained */
	bool eof_sent;
	int exit_status;
	bool got_exit;
	int exit_signal;        /* nonzero: died of a signal */
	struct ssh_exec_cbs cbs;
	void *arg;
	struct ssh_exec *next;
};

struct ssh_pool {
	struct loop *loop;
	const struct settings *settings;
	ssh_state_fn on_state;
	void *state_arg;
	struct conn **conns;    /* by host id */
	size_t nconns;
	int pending;
	/* Lookups given up on while the resolver still runs: freed once it
	 * ends (gai_cancel cannot stop a query in progress, and waiting for
	 * one would hold the loop for the resolver's whole timeout). */
	struct dns_req *dns_zombies;
	uint64_t reap_timer;
	/* Handshake admission: at most max_handshakes hosts between TCP
	 * connect and auth at once, the rest queued in order; and at most
	 * HANDSHAKE_TURN_US of handshake steps a turn of the loop. */
	int handshakes;
	int max_handshakes;
	struct conn *queue_head, *queue_tail;
	uint64_t admit_timer;
	int64_t hs_turn;        /* loop_now_ms of the turn hs_spent_us counts */
	int64_t hs_spent_us;
};

struct dns_req {
	struct gaicb gai;
	struct gaicb *list[1];
	char *name;
	char port[8];
	struct dns_req *next;
};

/* setup.c: a libssh session with h's options. setup_session reads the
 * ssh_config here and now; when setup_may_block, use a job instead, which
 * reads it on a thread: poll it (1 when done: out is the session, or NULL
 * with err set; the job is freed) or abandon it. */
struct setup_job;
bool setup_may_block(const struct settings *s);
ssh_session setup_session(const struct host *h, const struct settings *s, struct error *err);
struct setup_job *setup_job_start(const struct host *h, const struct settings *s,
				  struct error *err);
int setup_job_poll(struct setup_job *j, ssh_session *out, struct error *err);
void setup_job_abandon(struct setup_job *j);

/* channel.c */
void exec_step(struct ssh_exec *e);
void exec_fail_all(struct conn *c, const char *why);
/* pool.c */
void conn_update_events(struct conn *c);
/* Steps c on the next turn of the loop (for work queued inside a step). */
void conn_kick(struct conn *c);
/* hostkey.c: 0 when the key is acceptable; else sets fault and message. */
int hostkey_verify(ssh_session session, enum host_key_policy policy, enum host_fault *fault,
		   char *msg, size_t msglen);

#endif
