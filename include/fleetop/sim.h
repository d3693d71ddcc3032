/* sim: the built-in simulated fleet. One process runs a non-blocking
 * libssh server that plays N Linux hosts on loopback, each with its own
 * address and port and its own host key. It answers the linux probe with
 * the frames a real host would print, with believable, evolving metrics
 * (a daily player cycle driving CPU, RAM and network; a slow memory leak
 * on one host; a disk filling on another; one host that drops off and
 * comes back), and answers other exec requests with a small built-in
 * command set so bulk-operation tests can run on it. */
#ifndef FLEETOP_SIM_H
#define FLEETOP_SIM_H

#include "fleetop/core.h"

struct loop;
struct sim;

struct sim_opts {
	int nhosts;           /* how many hosts */
	const char *dir;      /* state: host keys, client key, authorized_keys, fleet.conf, known_hosts */
	const char *addr;     /* first address, default "127.0.0.1"; see below */
	int port;             /* first port, default 22000 */
	bool spread_addrs;    /* host i on 127.0.<1+i/250>.<1+i%250>:port instead of addr:port+i */
	double time_scale;    /* simulated seconds per real second (1 = real time); the daily cycle speeds up */
	uint64_t seed;
};

/* Creates keys in dir if missing (host keys stable across runs), binds every
 * host, and serves them on loop. Writes dir/fleet.conf (inventory of the
 * simulated hosts in groups), dir/known_hosts, dir/id_ed25519 (client key
 * accepted by every host, 0600) and dir/fleetop.conf naming those files. */
int sim_start(struct loop *loop, const struct sim_opts *opts, struct sim **out, struct error *err);
void sim_stop(struct sim *s);
int sim_nhosts(const struct sim *s);

#endif
