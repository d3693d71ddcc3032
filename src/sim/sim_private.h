/* sim internals shared by its files: the fleet, its hosts, and the
 * interfaces between the SSH plumbing (server.c), the built-in shell
 * (shell.c), the files on disk (files.c, keys.c) and the model. */
#ifndef SIM_PRIVATE_H
#define SIM_PRIVATE_H

#include <libssh/libssh.h>
#include <libssh/server.h>

#include "fleetop/core.h"
#include "fleetop/loop.h"
#include "fleetop/sim.h"
#include "model.h"

struct sim_conn;
struct game_srv;

/* A file written on a simulated host (`cat > f`, `echo x > f`), kept in
 * memory so config deploys and bulk runs have something to act on. */
struct vfs_file {
	char *path;
	struct buf data;
};
#define VFS_MAX_FILES 64
#define VFS_MAX_BYTES (8u << 20)

struct sim_host {
	struct sim *sim;
	int idx;
	char name[32];
	const char *group;
	enum sim_game game;
	char addr[48];
	int port;
	char *key_path;
	char *pubkey_b64;  /* host key, for known_hosts */
	ssh_bind bind;
	int listen_fd;     /* -1 while down */
	bool down;         /* dropped off the network for now */
	uint64_t relisten_timer;
	struct sim_conn *conns;
	int nconns;
	struct vfs_file *files;
	int nfiles;
	struct model_host model;
	/* Its game server (game.c): the query port (UDP for Quake and
	 * Valheim, TCP Server List Ping for Minecraft) and Minecraft's RCON;
	 * 0 when it has none. */
	int query_port, rcon_port;
	struct game_srv *gs;
	uint64_t cpu_timer; /* a timed `cpu HOST PCT SECONDS` ends (control.c) */
	bool game_stopped;  /* `game HOST down`: its game server does not answer */
	uint64_t game_timer; /* a timed `game HOST down SECONDS` ends */
};

struct sim {
	struct loop *loop;
	char *dir;
	char *addr;
	int port;
	uint64_t seed;
	int flap_every_s, flap_down_s;
	struct model_clock clock;
	struct sim_host *hosts;
	int nhosts;
	ssh_key *authorized; /* client keys allowed in */
	int nauthorized;
	int leak_host, disk_host, flap_host; /* -1: none */
	uint64_t flap_timer;
	bool game_port_given; /* --game-port: its ports must all be had */
	char *rcon_password;  /* every Minecraft host's, from dir/rcon_password */
	int control_fd;       /* dir/control, a FIFO; -1: none */
	struct buf control_in; /* a line not yet ended */
	bool control_skip;     /* dropping the rest of a line too long */
	struct sim_truth *truth; /* --truth FILE (truth.c); NULL: none */
};

/* The host's model brought up to the loop's now. */
struct model_host *sim_host_model(struct sim_host *h);
/* Wall-clock seconds now (for btime, uptime's clock). */
double sim_wall_now(const struct sim *s);

/* keys.c: loads or creates the client key and the host keys. */
int sim_keys_load(struct sim *s, struct error *err);

/* files.c: fleet.conf, known_hosts, fleetop.conf. */
int sim_files_write(struct sim *s, struct error *err);
/* dir/rcon_password: read, or made from the seed and written (0600). */
int sim_rcon_password_load(struct sim *s, struct error *err);

/* game.c: the host's game server on its query (and RCON) port. */
int sim_game_listen(struct sim_host *h, struct error *err);
/* Closes its sockets and connections (the host went away). */
void sim_game_unlisten(struct sim_host *h);
void sim_game_free(struct sim_host *h);

/* server.c: listening and serving SSH. */
int sim_host_listen(struct sim_host *h, struct error *err);
void sim_host_unlisten(struct sim_host *h);
/* Drops every session of h (the host went away). */
void sim_host_drop_conns(struct sim_host *h);
/* Frees what sim_host_drop_conns left for the loop to reap. */
void sim_host_reap_all(struct sim_host *h);

/* control.c: dir/control, a FIFO of commands (`cpu HOST PCT [SECONDS]`,
 * `cpu HOST auto`, `game HOST down [SECONDS]`, `game HOST up`) that make
 * hosts misbehave on demand. Without it the
 * sim runs on (a warning says why). */
void sim_control_open(struct sim *s);
void sim_control_close(struct sim *s);
/* Runs one line; -1 with err naming what is wrong (nothing changed). */
int sim_control_exec(struct sim *s, const char *line, struct error *err);
/* "KIND: WHAT at <wall-clock ms>" on stdout, at once: a change (control,
 * flap) that tests and benches time what follows from. */
void sim_said(const char *kind, const char *what);

/* truth.c: --truth FILE, the model's ground truth, a line a host a second
 * (what each host's CPU, TPS, memory, disk, game and network really are),
 * for benches to judge alerts by. -1 if FILE cannot be written. */
struct sim_truth;
int sim_truth_open(struct sim *s, const char *path, struct error *err);
void sim_truth_close(struct sim *s);

/* shell.c: the built-in command set. */
struct sim_shell;
enum sh_wait { SH_DONE, SH_SLEEP, SH_STDIN };
struct sh_io {
	struct buf *out, *err; /* what goes back on the channel */
	struct buf *in;        /* stdin received so far; the shell consumes it */
	bool in_eof;
};
struct sim_shell *shell_new(struct sim_host *h, const char *user, const char *command);
/* Runs until every command is done or one must wait: SH_SLEEP sets
 * *sleep_ms (call again when it is over), SH_STDIN waits for more input
 * or EOF. */
enum sh_wait shell_run(struct sim_shell *sh, struct sh_io *io, int64_t *sleep_ms);
int shell_status(const struct sim_shell *sh);
void shell_free(struct sim_shell *sh);
void vfs_free_all(struct sim_host *h);

/* Words of a command line as sh would split them (quotes, backslashes);
 * stops at the first operator. Returns argc, or -1 on a syntax error.
 * Caller frees argv with words_free. */
int shell_words(const char *line, char ***argv);
void words_free(char **argv, int argc);

#endif
