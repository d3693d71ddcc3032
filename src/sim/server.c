/* The SSH side of the simulator: one listening socket per host, sessions
 * driven by the loop without blocking, exec channels answered by the
 * probe or the built-in shell.
 *
 * How a session moves: accept() ourselves and hand the fd to libssh
 * (ssh_bind_accept_fd), then each time the fd is ready either step the key
 * exchange (ssh_handle_key_exchange returns SSH_AGAIN until done) or pump
 * the session's own ssh_event with a zero timeout. One ssh_event per
 * session keeps a wakeup's cost to its own socket: a shared event would
 * poll() every session on every wakeup.
 *
 * libssh's callbacks (auth, channel open, exec, data, eof, close) only
 * record what happened; the work is done afterwards in conn_settle, outside
 * libssh's packet handling. That matters: a reply written inside the exec
 * callback would go out before libssh's own "exec accepted", and freeing
 * a channel inside its own callback is a use after free. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh/callbacks.h>

#include "fleetop/collect.h"
#include "game.h"
#include "proc.h"
#include "sim_private.h"

#define LOGIN_GRACE_MS 30000     /* like sshd's LoginGraceTime, shorter */
#define MAX_CHANNELS 64          /* per session, as OpenSSH's MaxSessions-ish */
#define STDIN_CAP (9u << 20)     /* stdin kept for a command that has not read it yet */
#define PROBE_BACKLOG (256u << 10) /* a probe whose reader stalls stops, like a full pipe */
#define PROBE_MIN_INTERVAL_MS 100
#define WRITE_CHUNK 32768

enum chan_state {
	CH_OPEN,      /* no command yet */
	CH_PENDING,   /* exec accepted, to start after libssh's reply */
	CH_RUNNING,
	CH_FINISHING, /* done: exit status goes once the output is out */
};

struct sim_chan {
	struct sim_conn *conn;
	struct sim_chan *prev, *next;
	ssh_channel channel;
	struct ssh_channel_callbacks_struct cb;
	enum chan_state state;
	char *command;
	bool remote_eof, remote_closed, broken;
	bool in_overflow; /* more stdin than it keeps: the command fails */
	struct buf out, err, in;
	int status;
	uint64_t timer;
	/* probe */
	bool probe, probe_once;
	char **words;
	int nwords;
	char **mounts;
	int nmounts;
	int64_t interval_ms, next_due;
	int df_every;      /* df lines go in every df_every-th frame, from the first */
	bool exact_ticks;  /* a whole-second interval: vmstat ticks, no drift */
	uint64_t seq;
	char *probe_error;
	/* the game-process probe: a probe too, with its own frames */
	bool game_probe;
	struct gsrv_probe_args gargs; /* strings point into words */
	/* shell */
	struct sim_shell *sh;
	enum sh_wait sh_wait;
};

struct sim_conn {
	struct sim_host *host;
	struct sim_conn *prev, *next;
	ssh_session session;
	ssh_event event;
	int fd;
	bool kex_done, authed, failed, dead;
	bool dirty; /* a callback left work for conn_settle */
	char *user;
	uint64_t grace_timer, reap_timer, resettle_timer;
	struct ssh_server_callbacks_struct srv_cb;
	struct sim_chan *chans;
	int nchans;
};

static void conn_settle(struct sim_conn *c);
static void conn_kill(struct sim_conn *c);

static struct loop *conn_loop(const struct sim_conn *c)
{
	return c->host->sim->loop;
}

/* Channels. */

static void chan_destroy(struct sim_chan *ch, bool free_channel)
{
	struct sim_conn *c = ch->conn;
	if (ch->timer)
		loop_timer_del(conn_loop(c), ch->timer);
	/* libssh may still call a channel freed locally (its close comes
	 * later), so it must no longer know our callbacks. */
	ssh_remove_channel_callbacks(ch->channel, &ch->cb);
	if (free_channel)
		ssh_channel_free(ch->channel);
	if (ch->prev)
		ch->prev->next = ch->next;
	else
		c->chans = ch->next;
	if (ch->next)
		ch->next->prev = ch->prev;
	c->nchans--;
	buf_free(&ch->out);
	buf_free(&ch->err);
	buf_free(&ch->in);
	shell_free(ch->sh);
	words_free(ch->words, ch->nwords);
	free(ch->probe_error);
	free(ch->command);
	free(ch);
}

static int on_data(ssh_session s, ssh_channel chn, void *data, uint32_t len, int is_stderr, void *ud)
{
	struct sim_chan *ch = ud;
	(void)s, (void)chn, (void)is_stderr;
	/* The probe's stdin is its own script: read and dropped, as sh does. */
	if (!ch->probe) {
		if (ch->in.len + len <= STDIN_CAP)
			buf_append(&ch->in, data, len);
		else
			ch->in_overflow = true;
		ch->conn->dirty = true;
	}
	return (int)len;
}

static void on_eof(ssh_session s, ssh_channel chn, void *ud)
{
	struct sim_chan *ch = ud;
	(void)s, (void)chn;
	ch->remote_eof = true;
	ch->conn->dirty = true;
}

static void on_close(ssh_session s, ssh_channel chn, void *ud)
{
	struct sim_chan *ch = ud;
	(void)s, (void)chn;
	ch->remote_closed = true;
	ch->conn->dirty = true;
}

static int on_exec(ssh_session s, ssh_channel chn, const char *command, void *ud)
{
	struct sim_chan *ch = ud;
	(void)s, (void)chn;
	if (ch->state != CH_OPEN)
		return -1;
	ch->command = xstrdup(command ? command : "");
	ch->state = CH_PENDING;
	ch->conn->dirty = true;
	return 0;
}

static int on_env(ssh_session s, ssh_channel chn, const char *name, const char *value, void *ud)
{
	(void)s, (void)chn, (void)name, (void)value, (void)ud;
	return 0; /* accepted and ignored: nothing here reads the environment */
}

static int on_refuse_pty(ssh_session s, ssh_channel chn, const char *term, int w, int h, int pw,
			 int ph, void *ud)
{
	(void)s, (void)chn, (void)term, (void)w, (void)h, (void)pw, (void)ph, (void)ud;
	return -1;
}

static int on_refuse_shell(ssh_session s, ssh_channel chn, void *ud)
{
	(void)s, (void)chn, (void)ud;
	return -1; /* exec only: there is no interactive shell to give */
}

static int on_window(ssh_session s, ssh_channel chn, uint32_t bytes, void *ud)
{
	struct sim_chan *ch = ud;
	(void)s, (void)chn, (void)bytes;
	ch->conn->dirty = true;
	return 0;
}

static ssh_channel on_channel_open(ssh_session s, void *ud)
{
	struct sim_conn *c = ud;
	if (!c->authed || c->dead || c->nchans >= MAX_CHANNELS)
		return NULL;
	ssh_channel chn = ssh_channel_new(s);
	if (!chn)
		return NULL;
	struct sim_chan *ch = xcalloc(1, sizeof *ch);
	ch->conn = c;
	ch->channel = chn;
	ssh_callbacks_init(&ch->cb);
	ch->cb.userdata = ch;
	ch->cb.channel_data_function = on_data;
	ch->cb.channel_eof_function = on_eof;
	ch->cb.channel_close_function = on_close;
	ch->cb.channel_exec_request_function = on_exec;
	ch->cb.channel_env_request_function = on_env;
	ch->cb.channel_pty_request_function = on_refuse_pty;
	ch->cb.channel_shell_request_function = on_refuse_shell;
	ch->cb.channel_write_wontblock_function = on_window;
	ssh_set_channel_callbacks(chn, &ch->cb);
	ch->next = c->chans;
	if (c->chans)
		c->chans->prev = ch;
	c->chans = ch;
	c->nchans++;
	c->dirty = true;
	return chn;
}

/* Writes what the window allows; the rest waits for the client to read. */
static void flush_one(struct sim_chan *ch, struct buf *b, bool is_err)
{
	size_t done = 0;
	while (done < b->len) {
		uint32_t win = ssh_channel_window_size(ch->channel);
		if (win == 0)
			break; /* writing now would make libssh poll for a window */
		size_t n = b->len - done;
		if (n > win)
			n = win;
		if (n > WRITE_CHUNK)
			n = WRITE_CHUNK;
		int rc = is_err ? ssh_channel_write_stderr(ch->channel, b->data + done, (uint32_t)n) :
				  ssh_channel_write(ch->channel, b->data + done, (uint32_t)n);
		if (rc == SSH_ERROR) {
			ch->broken = true;
			break;
		}
		if (rc <= 0)
			break;
		done += (size_t)rc;
	}
	if (done)
		buf_consume(b, done);
}

static void chan_flush(struct sim_chan *ch)
{
	if (ch->out.len)
		flush_one(ch, &ch->out, false);
	if (ch->err.len && !ch->broken)
		flush_one(ch, &ch->err, true);
}

static void chan_finish(struct sim_chan *ch)
{
	ssh_channel_request_send_exit_status(ch->channel, ch->status);
	ssh_channel_send_eof(ch->channel);
	ssh_channel_close(ch->channel);
	chan_destroy(ch, true);
}

/* The probe. */

/* `sleep`'s idea of a duration, in ms; -1 if sleep would refuse it. */
static int64_t parse_interval(const char *s)
{
	char *end;
	double v = strtod(s, &end), mul = 1;
	if (end == s || !(v >= 0) || isinf(v))
		return -1;
	if (*end) {
		if (end[1])
			return -1;
		mul = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : -1;
		if (mul < 0)
			return -1;
	}
	double ms = v * mul * 1000;
	return ms > 86400000.0 ? 86400000 : (int64_t)ms;
}

/* `... sh -s fleetop-probe INTERVAL MOUNT...`: true if it is the probe. */
static bool probe_parse(struct sim_chan *ch)
{
	int n = shell_words(ch->command, &ch->words);
	if (n < 0)
		return false;
	ch->nwords = n;
	for (int i = 0; i < n; i++) {
		if (strcmp(ch->words[i], LINUX_PROBE_MARK) != 0)
			continue;
		int64_t iv = i + 1 < n ? parse_interval(ch->words[i + 1]) : -1;
		if (iv < 0) {
			/* The script prints one frame, then its sleep fails and it ends. */
			ch->probe_once = true;
			ch->probe_error = xasprintf("sleep: invalid time interval '%s'\n"
						    "Try 'sleep --help' for more information.\n",
						    i + 1 < n ? ch->words[i + 1] : "");
		}
		ch->interval_ms = iv < PROBE_MIN_INTERVAL_MS ? PROBE_MIN_INTERVAL_MS : iv;
		/* The script runs df about every 10 s: every int(10 / iv)-th frame,
		 * iv read as awk reads a number (its numeric prefix, else 0). */
		double ivnum = i + 1 < n ? strtod(ch->words[i + 1], NULL) : 0;
		if (!isfinite(ivnum) || (i + 1 < n && strpbrk(ch->words[i + 1], "xX")))
			ivnum = 0;
		ch->df_every = ivnum > 0 && 10 / ivnum < 1e6 ? (int)(10 / ivnum) : 1;
		if (ch->df_every < 1)
			ch->df_every = 1;
		/* A whole number of seconds: vmstat ticks (the sleep loop otherwise). */
		char *end;
		long whole = i + 1 < n ? strtol(ch->words[i + 1], &end, 10) : 0;
		ch->exact_ticks = i + 1 < n && *ch->words[i + 1] && !*end && whole > 0;
		ch->mounts = i + 2 < n ? ch->words + i + 2 : NULL;
		ch->nmounts = i + 2 < n ? n - i - 2 : 0;
		return true;
	}
	return false;
}

/* An interval in ms as the game probe's shell arithmetic takes it: digits. */
static int64_t parse_ms(const char *s)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (end == s || *end || errno || v < 0)
		return -1;
	return v > 86400000 ? 86400000 : v;
}

/* `... sh -s fleetop-gameprobe IV_MS WORLD_IV_MS PIDFILE UNIT PROCESS WORLD`:
 * true if it is the game probe. */
static bool gameprobe_parse(struct sim_chan *ch)
{
	words_free(ch->words, ch->nwords);
	ch->words = NULL;
	ch->nwords = 0;
	int n = shell_words(ch->command, &ch->words);
	if (n < 0)
		return false;
	ch->nwords = n;
	for (int i = 0; i < n; i++) {
		if (strcmp(ch->words[i], SIM_GAME_PROBE_MARK) != 0)
			continue;
		const char *arg[6] = { "", "", "", "", "", "" };
		for (int j = 0; j < 6 && i + 1 + j < n; j++)
			arg[j] = ch->words[i + 1 + j];
		int64_t iv = parse_ms(arg[0]), wiv = parse_ms(arg[1]);
		if (iv <= 0 || wiv < 0) {
			/* The script's arithmetic fails before its first frame. */
			ch->probe_once = true;
			ch->probe_error = xasprintf("sh: 1: arithmetic expression: expecting an "
						    "interval in ms: \"%s\"\n", iv <= 0 ? arg[0] : arg[1]);
		}
		ch->interval_ms = iv < PROBE_MIN_INTERVAL_MS ? PROBE_MIN_INTERVAL_MS : iv;
		ch->gargs = (struct gsrv_probe_args){ ch->interval_ms, wiv < 0 ? 0 : wiv, arg[2],
						      arg[3], arg[4], arg[5] };
		ch->exact_ticks = false; /* a sleep loop: frames drift a little */
		return true;
	}
	return false;
}

static void probe_emit(struct sim_chan *ch)
{
	struct sim_host *h = ch->conn->host;
	if (ch->game_probe) {
		if (ch->probe_once) {
			buf_puts(&ch->err, ch->probe_error);
			ch->status = 2;
			ch->state = CH_FINISHING;
		} else if (ch->out.len < PROBE_BACKLOG) {
			gsrv_probe_frame(&ch->out, sim_host_model(h), &ch->gargs, ch->seq++);
		}
		return;
	}
	/* A reader that stopped reading stalls the script on its pipe: no
	 * frames are lost, they just come later. */
	if (ch->out.len < PROBE_BACKLOG) {
		ch->seq++;
		bool with_df = (ch->seq - 1) % (uint64_t)ch->df_every == 0;
		probe_frame(&ch->out, sim_host_model(h), ch->seq, with_df ? ch->mounts : NULL,
			    with_df ? ch->nmounts : 0, sim_wall_now(h->sim));
	}
	if (ch->probe_once) {
		buf_puts(&ch->err, ch->probe_error);
		ch->status = 0;
		ch->state = CH_FINISHING;
	}
}

static void probe_tick(struct loop *loop, void *arg);

static void probe_schedule(struct sim_chan *ch)
{
	struct loop *loop = conn_loop(ch->conn);
	int64_t now = loop_now_ms(loop);
	/* vmstat ticks on time; the sleep loop adds a few ms of work per
	 * round, so its frames drift apart a little, host by host. */
	int64_t work = ch->exact_ticks ? 0 :
		       2 + (int64_t)(model_hash((uint64_t)ch->conn->host->idx * 7919 + ch->seq) % 12);
	ch->next_due += ch->interval_ms + work;
	if (ch->next_due < now)
		ch->next_due = now;
	ch->timer = loop_timer_add(loop, ch->next_due - now, probe_tick, ch);
}

static void probe_tick(struct loop *loop, void *arg)
{
	struct sim_chan *ch = arg;
	struct sim_conn *c = ch->conn;
	(void)loop;
	ch->timer = 0;
	probe_emit(ch);
	if (ch->state == CH_RUNNING)
		probe_schedule(ch);
	conn_settle(c);
}

/* The shell. */

static void shell_tick(struct loop *loop, void *arg);

static void chan_shell_step(struct sim_chan *ch)
{
	struct sh_io io = { &ch->out, &ch->err, &ch->in, ch->remote_eof };
	int64_t sleep_ms = 0;
	ch->sh_wait = shell_run(ch->sh, &io, &sleep_ms);
	if (ch->sh_wait == SH_DONE) {
		ch->status = shell_status(ch->sh);
		ch->state = CH_FINISHING;
	} else if (ch->sh_wait == SH_SLEEP) {
		ch->timer = loop_timer_add(conn_loop(ch->conn), sleep_ms, shell_tick, ch);
	}
}

static void shell_tick(struct loop *loop, void *arg)
{
	struct sim_chan *ch = arg;
	struct sim_conn *c = ch->conn;
	(void)loop;
	ch->timer = 0;
	chan_shell_step(ch);
	conn_settle(c);
}

static void chan_start(struct sim_chan *ch)
{
	ch->state = CH_RUNNING;
	if (strstr(ch->command, LINUX_PROBE_MARK) && probe_parse(ch)) {
		ch->probe = true;
		buf_reset(&ch->in);
		ch->next_due = loop_now_ms(conn_loop(ch->conn));
		probe_emit(ch); /* the first frame right away, as the script does */
		if (ch->state == CH_RUNNING)
			probe_schedule(ch);
		return;
	}
	if (strstr(ch->command, SIM_GAME_PROBE_MARK) && gameprobe_parse(ch)) {
		ch->probe = ch->game_probe = true;
		buf_reset(&ch->in);
		ch->next_due = loop_now_ms(conn_loop(ch->conn));
		probe_emit(ch);
		if (ch->state == CH_RUNNING)
			probe_schedule(ch);
		return;
	}
	ch->sh = shell_new(ch->conn->host, ch->conn->user, ch->command);
	chan_shell_step(ch);
}

/* Does what the callbacks recorded; may free ch. */
static void chan_settle(struct sim_chan *ch)
{
	if (ch->remote_closed || ch->broken) {
		chan_destroy(ch, true);
		return;
	}
	if (ch->state == CH_PENDING)
		chan_start(ch);
	if (ch->in_overflow && ch->state == CH_RUNNING && !ch->probe) {
		/* Better a loud failure than a file silently cut short. */
		buf_printf(&ch->err, "sh: 1: stdin: more than the simulator keeps (%u MiB)\n",
			   STDIN_CAP >> 20);
		if (ch->timer)
			loop_timer_del(conn_loop(ch->conn), ch->timer);
		ch->timer = 0;
		buf_reset(&ch->in);
		ch->status = 1;
		ch->state = CH_FINISHING;
	}
	if (ch->state == CH_RUNNING && ch->sh && ch->sh_wait == SH_STDIN &&
	    (ch->in.len || ch->remote_eof))
		chan_shell_step(ch);
	chan_flush(ch);
	if (ch->broken) {
		chan_destroy(ch, true);
		return;
	}
	if (ch->state == CH_FINISHING && !ch->out.len && !ch->err.len)
		chan_finish(ch);
}

/* Sessions. */

static bool conn_gone(struct sim_conn *c)
{
	return c->failed || !ssh_is_connected(c->session) ||
	       (ssh_get_status(c->session) & (SSH_CLOSED | SSH_CLOSED_ERROR)) ||
	       ssh_get_fd(c->session) < 0;
}

static void conn_resettle(struct loop *loop, void *arg)
{
	struct sim_conn *c = arg;
	(void)loop;
	c->resettle_timer = 0;
	conn_settle(c);
}

static void conn_settle(struct sim_conn *c)
{
	if (c->dead)
		return;
	if (c->authed && c->grace_timer) {
		loop_timer_del(conn_loop(c), c->grace_timer);
		c->grace_timer = 0;
	}
	/* Settling a channel can run libssh's packet handling again (a close
	 * flushes), which can leave more work behind. */
	bool flushed = false;
	for (int round = 0; round < 8; round++) {
		c->dirty = false;
		for (struct sim_chan *ch = c->chans, *next; ch; ch = next) {
			next = ch->next;
			chan_settle(ch);
		}
		if (c->dirty)
			continue;
		/* libssh sends what it can at once, then wants to hear that the
		 * socket is writable again before it stops asking. One poll of
		 * this socket now settles that, instead of an epoll round trip
		 * and two epoll_ctl calls per frame. */
		if (!flushed && c->kex_done && !conn_gone(c) &&
		    (ssh_get_poll_flags(c->session) & SSH_WRITE_PENDING)) {
			flushed = true;
			if (ssh_event_dopoll(c->event, 0) == SSH_ERROR)
				c->failed = true;
			if (c->dirty)
				continue;
		}
		break;
	}
	if (conn_gone(c)) {
		conn_kill(c);
		return;
	}
	/* Work left after all rounds (a pathological client): finish it on
	 * the next turn rather than wait for the client to send something. */
	if (c->dirty && !c->resettle_timer)
		c->resettle_timer = loop_timer_add(conn_loop(c), 0, conn_resettle, c);
	/* Watch what libssh waits for: always input, output while it has some. */
	int flags = ssh_get_poll_flags(c->session);
	int ev = LOOP_READ | ((flags & SSH_WRITE_PENDING) ? LOOP_WRITE : 0);
	loop_fd_set_events(conn_loop(c), c->fd, ev);
}

static void conn_step_kex(struct sim_conn *c)
{
	int rc = ssh_handle_key_exchange(c->session);
	if (rc == SSH_AGAIN)
		return;
	if (rc != SSH_OK) {
		log_debug("sim: %s: key exchange failed: %s", c->host->name, ssh_get_error(c->session));
		c->failed = true;
		return;
	}
	c->kex_done = true;
	c->event = ssh_event_new();
	if (!c->event || ssh_event_add_session(c->event, c->session) != SSH_OK) {
		log_warn("sim: %s: cannot watch a session", c->host->name);
		c->failed = true;
	}
}

static void conn_on_io(struct loop *loop, int fd, int events, void *arg)
{
	struct sim_conn *c = arg;
	(void)loop, (void)fd, (void)events;
	if (c->dead)
		return;
	if (!c->kex_done)
		conn_step_kex(c);
	else if (ssh_event_dopoll(c->event, 0) == SSH_ERROR)
		c->failed = true;
	conn_settle(c);
}

static void conn_reap(struct sim_conn *c)
{
	struct sim_host *h = c->host;
	if (c->reap_timer)
		loop_timer_del(h->sim->loop, c->reap_timer);
	while (c->chans)
		chan_destroy(c->chans, false); /* ssh_free frees libssh's side */
	if (c->event) {
		ssh_event_remove_session(c->event, c->session);
		ssh_event_free(c->event);
	}
	if (ssh_is_connected(c->session))
		ssh_disconnect(c->session);
	ssh_free(c->session); /* closes the fd */
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->nconns--;
	free(c->user);
	free(c);
}

static void conn_reap_cb(struct loop *loop, void *arg)
{
	struct sim_conn *c = arg;
	(void)loop;
	c->reap_timer = 0;
	conn_reap(c);
}

/* Stops watching c now and frees it on the next turn, so whoever is up
 * the stack (a timer, a settle) never holds a freed session. */
static void conn_kill(struct sim_conn *c)
{
	struct loop *loop = conn_loop(c);
	if (c->dead)
		return;
	c->dead = true;
	loop_fd_del(loop, c->fd);
	if (c->grace_timer)
		loop_timer_del(loop, c->grace_timer);
	if (c->resettle_timer)
		loop_timer_del(loop, c->resettle_timer);
	c->grace_timer = c->resettle_timer = 0;
	for (struct sim_chan *ch = c->chans; ch; ch = ch->next) {
		if (ch->timer)
			loop_timer_del(loop, ch->timer);
		ch->timer = 0;
	}
	c->reap_timer = loop_timer_add(loop, 0, conn_reap_cb, c);
}

static void conn_grace(struct loop *loop, void *arg)
{
	struct sim_conn *c = arg;
	(void)loop;
	c->grace_timer = 0;
	if (!c->authed) {
		log_debug("sim: %s: no login within %ds, dropped", c->host->name, LOGIN_GRACE_MS / 1000);
		conn_kill(c);
	}
}

static int on_auth_pubkey(ssh_session s, const char *user, struct ssh_key_struct *pubkey,
			  char state, void *ud)
{
	struct sim_conn *c = ud;
	const struct sim *sim = c->host->sim;
	(void)s;
	if (state != SSH_PUBLICKEY_STATE_NONE && state != SSH_PUBLICKEY_STATE_VALID)
		return SSH_AUTH_DENIED;
	bool known = false;
	for (int i = 0; i < sim->nauthorized && !known; i++)
		known = ssh_key_cmp(pubkey, sim->authorized[i], SSH_KEY_CMP_PUBLIC) == 0;
	if (!known)
		return SSH_AUTH_DENIED;
	if (state == SSH_PUBLICKEY_STATE_VALID) {
		c->authed = true;
		free(c->user);
		c->user = xstrdup(user && *user ? user : "root");
		c->dirty = true;
	}
	return SSH_AUTH_SUCCESS;
}

static void conn_new(struct sim_host *h, int fd)
{
	struct loop *loop = h->sim->loop;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	ssh_session s = ssh_new();
	if (!s) {
		close(fd);
		return;
	}
	if (ssh_bind_accept_fd(h->bind, s, fd) != SSH_OK) {
		log_warn("sim: %s: cannot take a connection: %s", h->name, ssh_get_error(h->bind));
		ssh_free(s);
		if (fcntl(fd, F_GETFD) >= 0) /* libssh may or may not have taken it */
			close(fd);
		return;
	}
	struct sim_conn *c = xcalloc(1, sizeof *c);
	c->host = h;
	c->session = s;
	c->fd = fd;
	ssh_callbacks_init(&c->srv_cb);
	c->srv_cb.userdata = c;
	c->srv_cb.auth_pubkey_function = on_auth_pubkey;
	c->srv_cb.channel_open_request_session_function = on_channel_open;
	ssh_set_server_callbacks(s, &c->srv_cb);
	ssh_set_auth_methods(s, SSH_AUTH_METHOD_PUBLICKEY);
	ssh_set_blocking(s, 0);
	c->next = h->conns;
	if (h->conns)
		h->conns->prev = c;
	h->conns = c;
	h->nconns++;
	if (loop_fd_add(loop, fd, LOOP_READ, conn_on_io, c) < 0) {
		c->failed = true;
		c->dead = true;
		conn_reap(c);
		return;
	}
	c->grace_timer = loop_timer_add(loop, LOGIN_GRACE_MS, conn_grace, c);
	conn_step_kex(c); /* sends our banner */
	conn_settle(c);
}

/* Listening. */

static void host_on_accept(struct loop *loop, int fd, int events, void *arg);

static void host_resume_accept(struct loop *loop, void *arg)
{
	struct sim_host *h = arg;
	h->relisten_timer = 0;
	if (h->listen_fd >= 0 && !h->down)
		loop_fd_add(loop, h->listen_fd, LOOP_READ, host_on_accept, h);
}

static void host_on_accept(struct loop *loop, int fd, int events, void *arg)
{
	struct sim_host *h = arg;
	(void)events;
	/* A bounded batch, so one busy host cannot hold up the rest. */
	for (int i = 0; i < 16; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* Level-triggered: without a pause this would spin. */
				log_warn("sim: %s: cannot accept: %s (pausing 1s)", h->name, strerror(errno));
				loop_fd_del(loop, fd);
				if (!h->relisten_timer)
					h->relisten_timer = loop_timer_add(loop, 1000, host_resume_accept, h);
			}
			return;
		}
		conn_new(h, cfd);
		if (h->listen_fd != fd)
			return; /* the host went down meanwhile */
	}
}

int sim_host_listen(struct sim_host *h, struct error *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)h->port) };
	if (inet_pton(AF_INET, h->addr, &sa.sin_addr) != 1)
		return error_set(err, "sim: %s: bad address %s", h->name, h->addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_set(err, "sim: %s: socket: %s", h->name, strerror(errno));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 128) < 0) {
		int e = errno;
		close(fd);
		return error_set(err, "sim: %s: cannot listen on %s:%d: %s", h->name, h->addr, h->port,
				 strerror(e));
	}
	if (loop_fd_add(h->sim->loop, fd, LOOP_READ, host_on_accept, h) < 0) {
		close(fd);
		return error_set(err, "sim: %s: cannot watch the listening socket", h->name);
	}
	h->listen_fd = fd;
	return 0;
}

void sim_host_unlisten(struct sim_host *h)
{
	if (h->relisten_timer)
		loop_timer_del(h->sim->loop, h->relisten_timer);
	h->relisten_timer = 0;
	if (h->listen_fd < 0)
		return;
	loop_fd_del(h->sim->loop, h->listen_fd);
	close(h->listen_fd);
	h->listen_fd = -1;
}

void sim_host_drop_conns(struct sim_host *h)
{
	for (struct sim_conn *c = h->conns; c; c = c->next)
		conn_kill(c);
}

void sim_host_reap_all(struct sim_host *h)
{
	while (h->conns) {
		conn_kill(h->conns);
		conn_reap(h->conns);
	}
}
