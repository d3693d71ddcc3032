/* ssh: one libssh session per host, all non-blocking on the loop.
 * Connect, verify the host key against known_hosts (like OpenSSH), auth by
 * agent and key files, reconnect with capped exponential backoff and
 * jitter, exec channels with streamed output and exit status, remote file
 * read and atomic write, TCP forwarding to the host's own loopback. */
#ifndef FLEETOP_SSH_H
#define FLEETOP_SSH_H

#include <sys/socket.h>

#include "fleetop/core.h"
#include "fleetop/fleet.h"
#include "fleetop/settings.h"

struct loop;
struct ssh_pool;
struct ssh_exec;

/* Host state changes (connecting, up, down with reason). */
typedef void (*ssh_state_fn)(void *arg, struct host *h);

struct ssh_pool *ssh_pool_new(struct loop *loop, const struct settings *s,
			      ssh_state_fn on_state, void *arg);
void ssh_pool_free(struct ssh_pool *p);
/* Starts (or keeps) a session to h; reconnects on its own once started. */
void ssh_pool_connect(struct ssh_pool *p, struct host *h);
void ssh_pool_disconnect(struct ssh_pool *p, struct host *h);
/* The address h's SSH session is connected to (when it is up and not
 * through a proxy): where a game on the same machine can be queried when
 * the inventory names the host by an ssh_config alias. */
struct sockaddr_storage;
int ssh_pool_peer_addr(const struct ssh_pool *p, const struct host *h, struct sockaddr_storage *ss,
		       socklen_t *len);
/* Hosts still connecting (for one-shot commands waiting on a round). */
int ssh_pool_pending(const struct ssh_pool *p);

struct ssh_exec_cbs {
	void (*on_stdout)(void *arg, const char *data, size_t len);
	void (*on_stderr)(void *arg, const char *data, size_t len);
	/* Always called once, last. status is the exit status, or -1 when the
	 * channel failed (error says why) or the remote died of a signal. */
	void (*on_exit)(void *arg, int status, const char *error);
};
/* Runs command on h (which must be up), feeding stdin_data then EOF.
 * Returns NULL with err set when it cannot even start; otherwise the
 * callbacks run from later turns of the loop, never inside this call. */
struct ssh_exec *ssh_pool_exec(struct ssh_pool *p, struct host *h, const char *command,
			       const void *stdin_data, size_t stdin_len,
			       const struct ssh_exec_cbs *cbs, void *arg, struct error *err);
/* Closes the channel; on_exit is not called after this. */
void ssh_exec_cancel(struct ssh_exec *e);
/* Streams more stdin to a running exec or forward (when stdin_data was NULL
 * and not yet closed); ssh_exec_close_stdin sends EOF. */
void ssh_exec_write(struct ssh_exec *e, const void *data, size_t len);
void ssh_exec_close_stdin(struct ssh_exec *e);

/* Opens a TCP connection from h to remote_host:remote_port (usually
 * 127.0.0.1 and a game port reachable only on the host itself). Data from
 * the remote arrives on on_stdout; send with ssh_exec_write; on_exit(0)
 * when the remote closes. */
struct ssh_exec *ssh_pool_forward(struct ssh_pool *p, struct host *h, const char *remote_host,
				  int remote_port, const struct ssh_exec_cbs *cbs, void *arg,
				  struct error *err);

/* Reads a remote file whole. done gets the contents (NULL and an error on
 * failure). Files over max_bytes fail rather than fill memory. */
typedef void (*ssh_file_fn)(void *arg, const char *data, size_t len, const char *error);
int ssh_pool_read_file(struct ssh_pool *p, struct host *h, const char *path, size_t max_bytes,
		       ssh_file_fn done, void *arg, struct error *err);
/* Replaces a remote file atomically: written to a temp file beside it,
 * checked for the full length, then renamed over the old one; a dropped
 * connection leaves the old file. done gets NULL data and the error or NULL. */
int ssh_pool_write_file(struct ssh_pool *p, struct host *h, const char *path, const void *data,
			size_t len, int mode, ssh_file_fn done, void *arg, struct error *err);

/* Checks what h's session would be told to reach (its name, ansible_host,
 * ansible_user, ansible_port) for values ssh would misread: whitespace,
 * control or shell characters, a leading '-', '@' in a host, over 255
 * characters, a port outside 1-65535 (0 is "unset"). The message names the
 * host and the variable. */
int ssh_target_check(const struct host *h, struct error *err);

/* Quotes s for a POSIX shell command line; caller frees. */
char *shell_quote(const char *s);

#endif
