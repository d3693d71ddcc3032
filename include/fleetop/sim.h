/* sim: the built-in simulated fleet. One process runs a non-blocking
 * libssh server that plays N Linux hosts on loopback, each with its own
 * address and port and its own host key. It answers the linux probe with
 * the frames a real host would print, with believable, evolving metrics
 * (a daily player cycle driving CPU, RAM and network; a slow memory leak
 * on one host; a disk filling on another; one host that drops off and
 * comes back), and answers other exec requests with a small built-in
 * command set so bulk-operation tests can run on it. Each host also runs
 * its game's server on loopback (players, map, TPS from the same model)
 * and answers the game-process probe. */
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
	/* One host drops off (refuses connections, drops its sessions) for
	 * flap_down_s seconds every flap_every_s seconds of real time.
	 * 0: defaults (300 and 20); flap_every_s < 0: never. */
	int flap_every_s;
	int flap_down_s;
	int flap_first_s;     /* the first drop after this many seconds; 0: flap_every_s */
	/* Each host also runs its game's server (Quake 3 getstatus, Valheim
	 * A2S, Minecraft Server List Ping and RCON). Without spread_addrs
	 * host i uses game_port + 2i (the query port) and game_port + 2i + 1
	 * (RCON, Minecraft only); 0: port + 8000, and a host whose ports are
	 * taken or past 65535 runs none. With spread_addrs every host uses
	 * game_port and game_port + 1; 0: the games' standard ports (27960,
	 * 2457, 25565 and RCON 25575). */
	int game_port;
	/* Where the model's day starts (UTC seconds, e.g. 22:00 today): the
	 * daily cycle runs from there at time_scale, whatever the hour the
	 * sim starts, so runs are alike at any hour. 0: the wall clock. */
	double clock_start_s;
	/* Writes the model's ground truth here once a second (truth.c); NULL: none. */
	const char *truth_path;
};

/* Creates keys in dir if missing (host keys stable across runs), binds every
 * host, and serves them on loop. Writes dir/fleet.conf (inventory of the
 * simulated hosts in groups), dir/known_hosts, dir/id_ed25519 (client key
 * accepted by every host, 0600) and dir/fleetop.conf naming those files. */
int sim_start(struct loop *loop, const struct sim_opts *opts, struct sim **out, struct error *err);
void sim_stop(struct sim *s);
int sim_nhosts(const struct sim *s);

/* Host i's inventory name, address and port (i < sim_nhosts). */
const char *sim_host_name(const struct sim *s, int i);
const char *sim_host_addr(const struct sim *s, int i);
int sim_host_port(const struct sim *s, int i);
/* Whether host i is dropped off right now. */
bool sim_host_is_down(const struct sim *s, int i);

/* `fleetop sim [--hosts N] [--dir DIR] [--port P] [--addr A] [--spread]
 * [--time-scale X] [--seed S] [--flap-every SEC] [--flap-down SEC]
 * [--game-port BASE] [--clock WHEN] [--truth FILE]`:
 * serves until SIGINT or SIGTERM. Returns the exit code (0, 1 failure to
 * start, 2 usage). */
int sim_main(int argc, char **argv);

#endif
