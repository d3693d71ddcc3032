/* The simulated game servers: each host also runs its game's server on
 * loopback, answering the real query protocols from the host's model.
 *
 *   game_view.c  what a server shows at one instant (players and their
 *                names, map, TPS, tick times) and its process as a probe
 *                sees it: pure functions of the model
 *   game_wire.c  the protocols' server side (Quake 3 getstatus, Valve
 *                A2S, Minecraft Server List Ping, Source RCON and the
 *                Minecraft commands behind it): pure, fed any bytes
 *   game.c       sockets on the loop: UDP queries, TCP connections with
 *                bounded buffers, a cap per host and an idle timeout
 *
 * Prefix gsrv_ for the pure parts (the collector has q3_, a2s_, slp_ and
 * rcon_ for the client side, and both end up in one binary). */
#ifndef SIM_GAME_H
#define SIM_GAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fleetop/core.h"
#include "model.h"

/* The word in an exec command that makes it the game-process probe
 * (src/collect/game_probe.sh). */
#define SIM_GAME_PROBE_MARK "fleetop-gameprobe"

/* The standard ports, used when every host has an address of its own. */
#define GSRV_PORT_QUAKE 27960
#define GSRV_PORT_VALHEIM 2457 /* A2S answers on the game port + 1 */
#define GSRV_PORT_MINECRAFT 25565
#define GSRV_PORT_RCON 25575

#define GSRV_MC_VERSION "1.20.4"
#define GSRV_MC_PROTOCOL 765
#define GSRV_SLP_SAMPLE 12         /* names in a status reply, as vanilla */
#define GSRV_A2S_SPLIT_AT 1200     /* bigger replies go as split packets */
#define GSRV_A2S_SPLIT_SIZE 1248   /* the size a split header announces */
#define GSRV_RCON_MAX_PACKET 4096  /* size field of a request, at most */
#define GSRV_RCON_MAX_BODY 4096    /* reply bodies are cut at this */

/* One game server at one instant. */
struct gsrv_view {
	enum sim_game game;
	char hostname[32];
	uint64_t seed;       /* names, pings, scores: drawn from it */
	int players;         /* humans */
	int bots;            /* Quake only: 2 while anyone plays */
	int max_players;
	char map[32];
	double map_s;        /* seconds (simulated) into the current map */
	double real_s;       /* real seconds, for what jitters (pings) */
	double tps[3];       /* last 1m, 5m, 15m */
	double mspt[3][3];   /* last 5s, 10s, 1m: avg, min, max */
	int game_port;       /* A2S: the port players connect to */
};

/* Fills v from the model (brought up to date by the caller). seed: the
 * fleet's; sim_t: simulated wall-clock seconds; real_s: real seconds. */
void gsrv_view_make(struct gsrv_view *v, const struct model_host *m, uint64_t seed, int idx,
		    const char *hostname, double sim_t, double real_s, int game_port);

/* Host h's game server as it stands now (sim_game_view is in game.c). */
struct sim_host;
void sim_game_view(struct sim_host *h, struct gsrv_view *v);

struct gsrv_player {
	char name[48];    /* Quake names may carry ^N colour codes */
	int score;
	int ping;         /* ms; 0 for bots */
	double online_s;  /* how long connected */
};
/* Player k of v (0 <= k < players + bots; bots come last). The same k
 * gives the same name while the player stays: players join at the end
 * of the list and the last to join leaves first. */
void gsrv_player_at(const struct gsrv_view *v, int k, struct gsrv_player *p);

/* TPS from the busy share of the cores: 20 up to 0.8, then down to 8. */
double gsrv_tps_for(double util, double noise);

/* Minecraft console commands as RCON runs them (list, tps, mspt; anything
 * else is unknown): the reply text, appended to out. */
void gsrv_mc_command(const struct gsrv_view *v, const char *cmd, struct buf *out);

/* ---- UDP: one datagram in, one reply (or none) out ---- */

/* Quake 3 "getstatus [challenge]": appends the statusResponse to out and
 * returns 1, or returns 0 for anything it does not answer. */
int gsrv_q3_answer(const struct gsrv_view *v, const unsigned char *req, size_t len,
		   struct buf *out);

/* A2S_INFO / A2S_PLAYER (and the old GETCHALLENGE): appends the whole
 * reply (with its -1 header) to out and returns 1, or 0 when it does not
 * answer. challenge: the one this client must repeat (never 0 or -1). */
int gsrv_a2s_answer(const struct gsrv_view *v, const unsigned char *req, size_t len,
		    uint32_t challenge, struct buf *out);

/* A reply longer than GSRV_A2S_SPLIT_AT, cut into Source split packets
 * (-2 header, id, total, number, size) of at most that much payload each,
 * appended to out one after the other; lens[] gets each one's length.
 * Returns how many (1 and a copy of the reply when it is short enough),
 * or -1 when it would take more than max (or 255) packets. */
int gsrv_a2s_split(const unsigned char *reply, size_t len, uint32_t id, struct buf *out,
		   size_t *lens, int max);

/* ---- TCP: a stream in, replies out ---- */

enum gsrv_feed { GSRV_MORE = 0, GSRV_CLOSE = 1, GSRV_BAD = -1 };

/* Minecraft Server List Ping (handshake, status, ping; legacy 0xFE and
 * login are turned away). Consumes whole packets from in and appends the
 * replies to out: GSRV_MORE to read on, GSRV_CLOSE to close once out is
 * sent, GSRV_BAD to drop the connection. */
struct gsrv_slp {
	int state; /* 0: handshake; 1: status */
};
enum gsrv_feed gsrv_slp_feed(struct gsrv_slp *st, struct buf *in, const struct gsrv_view *v,
			     struct buf *out);

/* Source RCON as Minecraft serves it: auth, then commands. */
struct gsrv_rcon {
	bool authed;
};
enum gsrv_feed gsrv_rcon_feed(struct gsrv_rcon *st, struct buf *in, const struct gsrv_view *v,
			      const char *password, struct buf *out);
/* One RCON packet appended to out. */
void gsrv_rcon_packet(struct buf *out, int32_t id, int32_t type, const char *body, size_t len);

/* ---- the game-process probe ---- */

struct gsrv_probe_args {
	int64_t interval_ms, world_interval_ms;
	const char *pidfile, *unit, *process, *world; /* "" when unset */
};
/* The game's process name and world directory on a host of this game. */
const char *gsrv_process_name(enum sim_game g);
const char *gsrv_world_dir(enum sim_game g);
/* The inventory's name of the game (game=...). */
const char *gsrv_game_name(enum sim_game g);
/* Frame n (from 0) as game_probe.sh prints it on a host of model m. */
void gsrv_probe_frame(struct buf *out, const struct model_host *m, const struct gsrv_probe_args *a,
		      uint64_t n);

#endif
