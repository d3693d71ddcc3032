/* game: what a game server says about itself when queried over UDP.
 * Only the wire formats live here (building requests, parsing replies);
 * sending and receiving on the event loop is the collector's job, so these
 * functions are pure and can be fed any bytes.
 *
 * Quake 3 family (ioquake3, OpenArena, Urban Terror, Xonotic/DarkPlaces):
 *   request  "\xff\xff\xff\xffgetstatus [CHALLENGE]\n"
 *   reply    "\xff\xff\xff\xffstatusResponse\n"
 *            "\key\value\key\value...\n"            server info, one line
 *            "SCORE PING \"NAME\"\n"                one line per player
 *            (DarkPlaces: "SCORE PING TEAM \"NAME\"\n") */
#ifndef FLEETOP_GAME_H
#define FLEETOP_GAME_H

#include <stddef.h>

#include "fleetop/core.h"

/* The most players kept in game_status.list; more are counted, not kept. */
#define GAME_MAX_PLAYERS 256
/* Replies longer than this are refused (no Q3 server sends more than ~16K). */
#define GAME_MAX_REPLY 65536

struct game_player {
	/* Display name: colour codes stripped, control bytes and invalid
	 * UTF-8 replaced by '?', cut at a character boundary; never NULL. */
	char name[64];
	int score; /* as the server reports it; may be negative */
	int ping;  /* milliseconds; 0 for bots, 999 for players still connecting */
};

struct game_status {
	char map[64];   /* "mapname", cleaned like player names; "" if absent */
	char name[128]; /* "sv_hostname" (DarkPlaces: "hostname"), cleaned like
			 * player names; "" if absent */
	/* Player lines in the reply: every line counts, even beyond what list keeps. */
	int players;
	/* Public slots: sv_maxclients minus sv_privateClients (never below 0);
	 * 0 if the server did not say or said something that is not a number. */
	int players_max;
	/* Players with ping 0. A heuristic: Q3 servers report bots with ping 0,
	 * but a human on the same host as the server can measure 0 too, and
	 * g_humanplayers is not sent by every server, so it is not used. */
	int bots;
	/* The first min(players, GAME_MAX_PLAYERS) players, in reply order;
	 * NULL when there are none. Freed by game_status_free. */
	struct game_player *list;
	int nlist;
};

/* Writes a getstatus request into buf; challenge 0 sends none (then a reply
 * that carries a challenge is refused). Returns the request's length in
 * bytes (no NUL counted, one written if it fits), or -1 if size is too small. */
int q3_status_request(char *buf, size_t size, unsigned challenge);

/* Parses one statusResponse datagram into *out (which is overwritten, not
 * freed first). challenge is the one the request carried (0 for none): a
 * reply echoing any other challenge is refused as spoofed or stale; a reply
 * echoing none is accepted (old servers do not echo). Returns 0, the caller
 * then calls game_status_free; or -1 with a one-line reason in err (out is
 * left empty, needing no free). */
int q3_status_parse(const void *data, size_t len, unsigned challenge, struct game_status *out,
		    struct error *err);

/* Frees what a successful parse allocated and empties *s; safe to repeat. */
void game_status_free(struct game_status *s);

#endif
