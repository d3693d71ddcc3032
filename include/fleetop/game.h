/* game: what a game server says about itself when queried: Quake 3
 * getstatus and Valve A2S over UDP, Minecraft Server List Ping and Source
 * RCON over TCP. Only the wire formats live here (building requests, parsing replies);
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
#include <stdint.h>

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
	char version[64]; /* A2S version, Minecraft version.name; "" if absent */
	char game[64];    /* A2S game description ("Counter-Strike 2"); "" if absent */
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

/* ---- Valve Source query (A2S), UDP ----------------------------------
 * https://developer.valvesoftware.com/wiki/Server_queries
 * Requests: A2S_INFO "\xff\xff\xff\xffTSource Engine Query\0" [+ challenge],
 * A2S_PLAYER "\xff\xff\xff\xffU" + challenge (-1 asks for one).
 * Replies start with a 4-byte header: -1 (single packet) or -2 (one part of
 * a split reply: id, total, number, size; the Source layout, and the
 * bzip2-compressed variant refused as unsupported). */
#define A2S_NO_CHALLENGE (-1)
/* Each writes the request and returns its length, or -1 if size is too small. */
int a2s_info_request(unsigned char *buf, size_t size, int32_t challenge);
int a2s_player_request(unsigned char *buf, size_t size, int32_t challenge);

/* Reassembles one reply from its datagrams, in any order. */
struct a2s_reply;
struct a2s_reply *a2s_reply_new(void);
void a2s_reply_free(struct a2s_reply *r);
/* Empties r for the next request. */
void a2s_reply_reset(struct a2s_reply *r);
/* Takes one datagram. Returns 1 when the reply is complete (then
 * a2s_reply_payload gives it), 0 when parts are still missing, -1 when the
 * datagram is not A2S or contradicts the parts before it (err says why; r
 * keeps what it had, so one bad datagram does not spoil a good reply). */
int a2s_reply_feed(struct a2s_reply *r, const void *data, size_t len, struct error *err);
/* The complete payload, after the -1 header: its first byte is the type. */
const unsigned char *a2s_reply_payload(const struct a2s_reply *r, size_t *len);

enum a2s_type {
	A2S_TYPE_CHALLENGE = 'A', /* S2C_CHALLENGE: challenge number follows */
	A2S_TYPE_INFO = 'I',      /* A2S_INFO reply (Source) */
	A2S_TYPE_INFO_OLD = 'm',  /* A2S_INFO reply (GoldSource) */
	A2S_TYPE_PLAYER = 'D',    /* A2S_PLAYER reply */
};
/* The type byte of a complete payload (or -1 when empty). */
int a2s_payload_type(const unsigned char *payload, size_t len);
/* S2C_CHALLENGE: the challenge to repeat. */
int a2s_parse_challenge(const unsigned char *payload, size_t len, int32_t *challenge,
			struct error *err);
/* A2S_INFO (Source or GoldSource) into out: name, map, game, version,
 * players (humans and bots as the server counts them), players_max, bots.
 * out is overwritten; list stays NULL. */
int a2s_parse_info(const unsigned char *payload, size_t len, struct game_status *out,
		   struct error *err);
/* A2S_PLAYER into out->list/nlist (names cleaned, score, ping 0); the
 * other fields of out are left alone, so it can follow a2s_parse_info.
 * Frees a list out already had. */
int a2s_parse_players(const unsigned char *payload, size_t len, struct game_status *out,
		      struct error *err);

/* ---- Minecraft Java Server List Ping, TCP ----------------------------
 * https://wiki.vg/Server_List_Ping (modern, 1.7+). Packets are
 * VarInt length, VarInt id, data. */
#define SLP_MAX_PACKET (1 << 20)
/* Handshake (next state 1) then Status Request, both in out. */
void slp_status_request(struct buf *out, const char *host, int port, int protocol);
/* Ping Request carrying payload. */
void slp_ping_request(struct buf *out, int64_t payload);
/* Finds the first whole packet in data. Returns its total length (>0) with
 * id and body set, 0 when more bytes are needed, -1 when the stream is not
 * SLP (bad VarInt, length past SLP_MAX_PACKET). */
int slp_frame(const unsigned char *data, size_t len, int *id, const unsigned char **body,
	      size_t *body_len, struct error *err);
/* Status Response (id 0) body into out: players online / max, version
 * name, MOTD (as name, plain or chat-component JSON, codes stripped), the
 * sample of player names (list; score and ping 0). */
int slp_parse_status(const unsigned char *body, size_t len, struct game_status *out,
		     struct error *err);
/* Pong (id 1) body: the payload echoed. */
int slp_parse_pong(const unsigned char *body, size_t len, int64_t *payload, struct error *err);

/* ---- Source RCON, TCP ------------------------------------------------
 * https://developer.valvesoftware.com/wiki/Source_RCON_Protocol
 * Packet: int32 size, int32 id, int32 type, body NUL, NUL (little endian). */
enum rcon_type {
	RCON_RESPONSE_VALUE = 0,
	RCON_EXECCOMMAND = 2,
	RCON_AUTH_RESPONSE = 2,
	RCON_AUTH = 3,
};
#define RCON_MAX_BODY 65536
/* Appends one packet to out. */
void rcon_packet(struct buf *out, int32_t id, int32_t type, const char *body);
struct rcon_packet {
	int32_t id, type;
	const char *body; /* into the data given to rcon_unpack, NUL-terminated there */
	size_t body_len;
};
/* Pulls the first packet from data. Returns its length (>0), 0 when more
 * bytes are needed, -1 when the stream is not RCON (size out of range, no
 * terminating NULs). */
int rcon_unpack(const unsigned char *data, size_t len, struct rcon_packet *pkt,
		struct error *err);

/* Minecraft (Paper, Spigot, vanilla) command output, colour codes allowed.
 * `tps`:  "TPS from last 1m, 5m, 15m: 20.0, 19.97, *20.0" -> the 1m figure
 * `mspt`: Paper's "Server tick times (avg/min/max) from last 5s, 10s, 1m:
 *          ◴ 1.2/0.5/3.4, ..." -> the 5s average
 * `list`: "There are 3 of a max of 20 players online: a, b, c" (and the
 *         older "There are 3/20 players online:") -> players, max, names */
int mc_parse_tps(const char *text, size_t len, double *tps, struct error *err);
int mc_parse_mspt(const char *text, size_t len, double *mspt, struct error *err);
int mc_parse_list(const char *text, size_t len, struct game_status *out, struct error *err);

#endif
