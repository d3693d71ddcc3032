/* Polls each host's game server at its own interval: the query protocol
 * its `game=` names, then RCON where a password is configured, straight to
 * the server or through the host's SSH session when only the host itself
 * can reach the port; and, over SSH, the game process's own figures and
 * the world's size. Results become game.* and proc.* metrics and the text
 * facts the console shows (map, version, players). */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "collect_private.h"
#include "fleetop/text.h"
#include "fleetop/loop.h"
#include "fleetop/settings.h"
#include "fleetop/ssh.h"

#define DEFAULT_INTERVAL_MS 5000
#define DEFAULT_TIMEOUT_MS 3000
#define DEFAULT_PROC_INTERVAL_MS 5000
#define DEFAULT_WORLD_INTERVAL_MS (5 * 60 * 1000)
#define SSH_WAIT_STEP_MS 250
#define SSH_WAIT_MAX_MS 15000

enum via { VIA_AUTO, VIA_DIRECT, VIA_SSH };
enum stage { STAGE_QUERY, STAGE_RCON };

struct game_host {
	struct game_poller *g;
	struct host *host;
	bool watched;
	/* From the inventory. */
	const struct game_kind *kind;  /* NULL: no game, or a bad config */
	int query_port, rcon_port;     /* rcon_port 0: no RCON */
	char *query_host;              /* as the vars gave it, or NULL */
	enum via via;
	int64_t interval_ms, timeout_ms;
	char *password;
	/* A poll. */
	uint64_t poll_timer;
	uint64_t ssh_wait_timer;       /* the SSH session is still connecting */
	int64_t ssh_waited_ms;
	struct game_query *query;
	enum stage stage;
	int attempt;                   /* 0: the preferred way, 1: the other */
	bool used_ssh;                 /* the way of the attempt under way */
	bool query_ssh;                /* the way the query of this poll answered */
	bool last_ok_ssh;              /* auto: the way that answered last */
	char first_why[200];
	struct game_result res;
	bool have_result;
	char rcon_error[400];
	uint64_t polls;
	/* The game-process probe. */
	struct ssh_exec *proc_exec;
	struct game_proc_parser *proc_parser;
	struct buf proc_err;
	uint64_t proc_timer;
	int proc_restarts;
};

struct game_poller {
	struct collector *c;
	struct host_slots hosts; /* struct game_host by host id */
};

static void poll_start(struct game_host *gh);
static void attempt_start(struct game_host *gh);
static void proc_start(struct game_host *gh);

struct game_poller *game_poller_new(struct collector *c)
{
	struct game_poller *g = xcalloc(1, sizeof *g);
	g->c = c;
	return g;
}

static struct game_host *game_host_of(struct game_poller *g, struct host *h, bool create)
{
	if (!create)
		return host_slot_get(&g->hosts, h->id);
	void **slot = host_slot(&g->hosts, h->id);
	if (!*slot) {
		struct game_host *gh = xcalloc(1, sizeof *gh);
		gh->g = g;
		gh->host = h;
		*slot = gh;
	}
	return *slot;
}

static int var_port(const struct host *h, const char *key, int dflt, struct error *err)
{
	const char *v = host_var(h, key);
	if (!v)
		return dflt;
	char *end;
	long p = strtol(v, &end, 10);
	if (*v == '\0' || *end || p < 1 || p > 65535)
		return error_set(err, "%s=%s is not a port (1-65535)", key, v);
	return (int)p;
}

/* The RCON password comes from a file only, kept like an SSH key: a file
 * others can read is refused, as OpenSSH refuses such a key. */
static char *read_password(const char *path, struct error *err)
{
	struct stat st;
	if (stat(path, &st) < 0) {
		error_set(err, "rcon_password_file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (st.st_mode & 077) {
		error_set(err, "rcon_password_file %s can be read by others (mode %04o); chmod 600 it",
			  path, (unsigned)(st.st_mode & 07777));
		return NULL;
	}
	char *text;
	size_t len;
	if (file_read_all(path, &text, &len, err) < 0)
		return NULL;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (!len || strlen(text) != len || len > 500) {
		free(text);
		error_set(err, "rcon_password_file %s must hold one line of at most 500 bytes", path);
		return NULL;
	}
	return text;
}

static int configure(struct game_host *gh, struct error *err)
{
	struct host *h = gh->host;
	const char *id = host_var(h, "game");
	if (!id)
		return 0;
	const struct game_kind *k = game_kind_find(id);
	if (!k)
		return error_set(err, "game=%s is not a game or protocol fleetop knows (%s)", id,
				 game_kind_list());
	int qp = var_port(h, "query_port", k->query_port, err);
	if (qp < 0)
		return -1;
	const char *via = host_var(h, "query_via");
	if (!via || !strcmp(via, "auto"))
		gh->via = VIA_AUTO;
	else if (!strcmp(via, "direct"))
		gh->via = VIA_DIRECT;
	else if (!strcmp(via, "ssh"))
		gh->via = VIA_SSH;
	else
		return error_set(err, "query_via=%s: use auto, direct or ssh", via);
	const char *qh = host_var(h, "query_host");
	gh->query_host = qh ? xstrdup(qh) : NULL;
	const char *pwfile = host_var(h, "rcon_password_file");
	if (pwfile) {
		int rp = var_port(h, "rcon_port", k->rcon_port ? k->rcon_port : 25575, err);
		if (rp < 0)
			return -1;
		gh->password = read_password(pwfile, err);
		if (!gh->password)
			return -1;
		gh->rcon_port = rp;
	}
	gh->kind = k;
	gh->query_port = qp;
	gh->interval_ms = collector_var_duration(h, "game_interval", DEFAULT_INTERVAL_MS, 500);
	gh->timeout_ms = collector_var_duration(h, "game_timeout", DEFAULT_TIMEOUT_MS, 100);
	/* Two ways and RCON must fit in one interval. */
	if (gh->timeout_ms * 2 > gh->interval_ms)
		gh->timeout_ms = gh->interval_ms / 2;
	return 0;
}

static void on_poll_timer(struct loop *loop, void *arg)
{
	struct game_host *gh = arg;
	gh->poll_timer = loop_timer_add(loop, gh->interval_ms, on_poll_timer, gh);
	if (!gh->query && !gh->ssh_wait_timer)
		poll_start(gh);
}

void game_poller_watch(struct game_poller *g, struct host *h)
{
	struct game_host *gh = game_host_of(g, h, true);
	if (gh->watched)
		return;
	gh->watched = true;
	struct error err;
	if (configure(gh, &err) < 0) {
		log_warn("%s: %s", h->name, err.msg);
		host_set_info(h, "game.error", err.msg);
		return;
	}
	if (!gh->kind)
		return;
	/* Spread the fleet's first polls over the first second. */
	int64_t first = (int64_t)((h->id * 7919u) % 1000u);
	gh->poll_timer = loop_timer_add(collector_loop(g->c), first, on_poll_timer, gh);
}

/* ---- a poll ---- */

static bool numeric_addr(const char *s, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res;
	char ps[8];
	snprintf(ps, sizeof ps, "%d", port);
	if (!s || getaddrinfo(s, ps, &hints, &res) != 0)
		return false;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return true;
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

/* Where to send a direct query: query_host, else the address the SSH
 * session reached (the inventory may name the host by an alias), else
 * the inventory's address if it is an IP. */
static bool direct_addr(struct game_host *gh, int port, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct host *h = gh->host;
	if (gh->query_host)
		return numeric_addr(gh->query_host, port, ss, len);
	if (ssh_pool_peer_addr(collector_pool(gh->g->c), h, ss, len) == 0) {
		set_port(ss, port);
		return true;
	}
	return numeric_addr(h->address ? h->address : h->name, port, ss, len);
}

static void publish(struct game_host *gh, bool ok, const char *why)
{
	struct collector *c = gh->g->c;
	struct host *h = gh->host;
	gh->polls++;
	if (!ok) {
		collector_emit(c, h, "game.up", 0, 0);
		host_set_info(h, "game.error", why);
		return;
	}
	struct game_status *st = &gh->res.st;
	collector_emit(c, h, "game.up", 0, 1);
	collector_emit(c, h, "game.players", 0, st->players);
	collector_emit(c, h, "game.players_max", 0, st->players_max);
	if (gh->kind->proto != PROTO_SLP)
		collector_emit(c, h, "game.bots", 0, st->bots);
	if (gh->res.latency_ms >= 0)
		collector_emit(c, h, "game.latency_ms", 0, gh->res.latency_ms);
	if (!isnan(gh->res.tps))
		collector_emit(c, h, "game.tps", 0, gh->res.tps);
	if (!isnan(gh->res.mspt))
		collector_emit(c, h, "game.mspt", 0, gh->res.mspt);
	host_set_info(h, "game.map", st->map[0] ? st->map : NULL);
	host_set_info(h, "game.name", st->name[0] ? st->name : NULL);
	host_set_info(h, "game.version", st->version[0] ? st->version : NULL);
	host_set_info(h, "game.via", gh->query_ssh ? "ssh" : "direct");
	host_set_info(h, "game.rcon_via", !gh->rcon_port ? NULL : gh->used_ssh ? "ssh" : "direct");
	struct buf list = { 0 };
	for (int i = 0; i < st->nlist; i++) {
		/* One line a player, tab-separated: a name holds neither. */
		char *name = text_sanitize_dup(st->list[i].name, strlen(st->list[i].name), 0);
		for (char *p = name; *p; p++)
			if (*p == '\t')
				*p = ' ';
		buf_printf(&list, "%s\t%d\t%d\n", name, st->list[i].score, st->list[i].ping);
		free(name);
	}
	host_set_info(h, "game.players_list", list.data ? list.data : "");
	buf_free(&list);
	host_set_info(h, "game.error", gh->rcon_error[0] ? gh->rcon_error : NULL);
}

static void poll_end(struct game_host *gh, bool ok, const char *why)
{
	publish(gh, ok, why);
	game_result_free(&gh->res);
	gh->have_result = false;
}

static void on_query(void *arg, enum query_outcome outcome, const char *why,
		     struct game_result *res)
{
	struct game_host *gh = arg;
	gh->query = NULL;
	/* The RCON password never goes straight in clear text while the
	 * session that could carry it is up: no other way then. */
	bool rcon_kept_on_ssh = gh->stage == STAGE_RCON && gh->used_ssh &&
				gh->host->state == HOST_UP;
	bool other_way = gh->via == VIA_AUTO && gh->attempt == 0 && !rcon_kept_on_ssh;
	if (outcome == QUERY_NO_PATH && other_way) {
		snprintf(gh->first_why, sizeof gh->first_why, "%s: %s",
			 gh->used_ssh ? "via ssh" : "direct", why);
		gh->attempt = 1;
		attempt_start(gh);
		return;
	}
	char full[400];
	if (outcome != QUERY_OK) {
		const char *what = gh->stage == STAGE_RCON ? "rcon" : game_proto_name(gh->kind->proto);
		if (gh->attempt == 1)
			snprintf(full, sizeof full, "%s: %s; %s: %s", what, gh->first_why,
				 gh->used_ssh ? "via ssh" : "direct", why);
		else if (!strncmp(why, what, strlen(what)))
			snprintf(full, sizeof full, "%s", why);
		else
			snprintf(full, sizeof full, "%s: %s", what, why);
		if (outcome == QUERY_NO_PATH && gh->via == VIA_AUTO && rcon_kept_on_ssh) {
			size_t n = strlen(full);
			snprintf(full + n, sizeof full - n, " (via ssh; not tried directly, where the "
				 "password would cross the network in clear text: query_via=direct "
				 "allows that)");
		}
	}
	if (gh->stage == STAGE_QUERY) {
		if (outcome != QUERY_OK) {
			poll_end(gh, false, full);
			return;
		}
		if (gh->via == VIA_AUTO)
			gh->last_ok_ssh = gh->used_ssh;
		gh->query_ssh = gh->used_ssh;
		gh->res = *res;
		memset(&res->st, 0, sizeof res->st); /* ours now */
		gh->have_result = true;
		gh->rcon_error[0] = '\0';
		if (!gh->rcon_port) {
			poll_end(gh, true, NULL);
			return;
		}
		gh->stage = STAGE_RCON;
		gh->attempt = 0;
		attempt_start(gh);
		return;
	}
	if (outcome == QUERY_OK) {
		gh->res.tps = res->tps;
		gh->res.mspt = res->mspt;
		if (res->st.players_max > 0 || res->st.nlist > 0) {
			/* `list` names everyone; the status ping shows a sample. */
			gh->res.st.players = res->st.players;
			gh->res.st.players_max = res->st.players_max;
			free(gh->res.st.list);
			gh->res.st.list = res->st.list;
			gh->res.st.nlist = res->st.nlist;
			res->st.list = NULL;
			res->st.nlist = 0;
		}
		if (res->tps_unsupported)
			snprintf(gh->rcon_error, sizeof gh->rcon_error,
				 "rcon: the server has no tps command (Paper or Spigot has)");
	} else {
		str_copy(gh->rcon_error, full, sizeof gh->rcon_error);
	}
	poll_end(gh, true, NULL);
}

static void on_ssh_wait(struct loop *loop, void *arg)
{
	struct game_host *gh = arg;
	(void)loop;
	gh->ssh_wait_timer = 0;
	attempt_start(gh);
}

static void attempt_start(struct game_host *gh)
{
	struct collector *c = gh->g->c;
	struct host *h = gh->host;
	struct error err = { { 0 } };
	bool ssh_first = gh->via == VIA_SSH || (gh->via == VIA_AUTO && gh->last_ok_ssh);
	/* RCON logs in with a password that Source RCON sends in clear text:
	 * through the SSH session whenever there is one (or one is coming),
	 * whichever way the query answered; straight only without one, or
	 * when query_via=direct says so. */
	if (gh->stage == STAGE_RCON && gh->via == VIA_AUTO)
		ssh_first = h->state != HOST_DOWN;
	gh->used_ssh = gh->attempt == 0 ? ssh_first : !ssh_first;
	enum game_proto proto = gh->stage == STAGE_RCON ? PROTO_RCON : gh->kind->proto;
	int port = gh->stage == STAGE_RCON ? gh->rcon_port : gh->query_port;
	struct game_link *link = NULL;
	if (gh->used_ssh) {
		if ((h->state == HOST_CONNECTING || h->state == HOST_UNKNOWN) &&
		    gh->ssh_waited_ms < SSH_WAIT_MAX_MS) {
			/* Still connecting (the first poll of a run): wait for it. */
			gh->ssh_waited_ms += SSH_WAIT_STEP_MS;
			gh->ssh_wait_timer = loop_timer_add(collector_loop(c), SSH_WAIT_STEP_MS,
							    on_ssh_wait, gh);
			return;
		}
		if (h->state != HOST_UP)
			error_set(&err, "SSH is not up");
		else
			link = game_link_ssh(collector_pool(c), h, collector_loop(c),
					     game_proto_link(proto),
					     gh->query_host ? gh->query_host : "127.0.0.1", port, &err);
	} else {
		struct sockaddr_storage ss;
		socklen_t len;
		if (!direct_addr(gh, port, &ss, &len))
			error_set(&err, "no IP address to query (set query_host, or reach the host by SSH)");
		else
			link = game_link_direct(collector_loop(c), game_proto_link(proto),
						(struct sockaddr *)&ss, len, &err);
	}
	if (!link) {
		/* Reported as the query's own failure, so the other way is tried. */
		struct game_result none;
		memset(&none, 0, sizeof none);
		none.tps = none.mspt = NAN;
		none.latency_ms = -1;
		on_query(gh, QUERY_NO_PATH, err.msg, &none);
		return;
	}
	static const char *const mc_commands[] = { "list", "tps", "mspt", NULL };
	struct game_query_opts o = {
		.proto = proto,
		.timeout_ms = gh->timeout_ms,
		.password = gh->password,
		.host_name = gh->query_host ? gh->query_host : (h->address ? h->address : h->name),
		.port = port,
		.commands = mc_commands,
	};
	gh->query = game_query_start(collector_loop(c), link, &o, on_query, gh);
}

static void poll_start(struct game_host *gh)
{
	gh->ssh_waited_ms = 0;
	gh->stage = STAGE_QUERY;
	gh->attempt = 0;
	gh->first_why[0] = '\0';
	attempt_start(gh);
}

/* ---- the game-process probe ---- */

static bool wants_proc(const struct game_host *gh)
{
	const struct host *h = gh->host;
	return host_var(h, "game_pidfile") || host_var(h, "game_unit") ||
	       host_var(h, "game_process") || host_var(h, "game_world") ||
	       (gh->kind && gh->kind->process);
}

static void proc_emit(void *arg, const char *metric, double value)
{
	struct game_host *gh = arg;
	collector_emit(gh->g->c, gh->host, metric, 0, value);
}

static void proc_stdout(void *arg, const char *data, size_t len)
{
	struct game_host *gh = arg;
	char note[200];
	struct error err;
	int n = game_proc_parser_feed(gh->proc_parser, data, len, proc_emit, gh, note, sizeof note,
				      &err);
	if (n < 0) {
		text_sanitize(err.msg, strlen(err.msg), 0);
		log_warn("%s", err.msg);
		host_set_info(gh->host, "proc.error", err.msg);
	} else if (n > 0) {
		gh->proc_restarts = 0;
		host_set_info(gh->host, "proc.error", note[0] ? note : NULL);
	}
}

static void proc_stderr(void *arg, const char *data, size_t len)
{
	struct game_host *gh = arg;
	if (gh->proc_err.len < 300)
		buf_append(&gh->proc_err, data, len);
}

static void on_proc_timer(struct loop *loop, void *arg)
{
	struct game_host *gh = arg;
	(void)loop;
	gh->proc_timer = 0;
	if (gh->host->state == HOST_UP)
		proc_start(gh);
}

static void proc_retry_later(struct game_host *gh, const char *why)
{
	int64_t wait = collector_restart_delay(&gh->proc_restarts);
	char msg[300];
	snprintf(msg, sizeof msg, "game probe: %s; restarts in %lds", why, (long)(wait / 1000));
	text_sanitize(msg, strlen(msg), 0); /* the probe's stderr */
	host_set_info(gh->host, "proc.error", msg);
	log_warn("%s: %s", gh->host->name, msg);
	struct loop *loop = collector_loop(gh->g->c);
	loop_timer_del(loop, gh->proc_timer);
	gh->proc_timer = loop_timer_add(loop, wait, on_proc_timer, gh);
}

static void proc_exit(void *arg, int status, const char *error)
{
	struct game_host *gh = arg;
	gh->proc_exec = NULL;
	if (gh->host->state != HOST_UP)
		return;
	char why[256];
	char *e = buf_first_line(&gh->proc_err);
	if (error)
		snprintf(why, sizeof why, "%s", error);
	else
		snprintf(why, sizeof why, "ended (exit %d)%s%.120s", status, *e ? ": " : "", e);
	proc_retry_later(gh, why);
}

static const struct ssh_exec_cbs proc_cbs = { proc_stdout, proc_stderr, proc_exit };

static void proc_start(struct game_host *gh)
{
	struct host *h = gh->host;
	struct collector *c = gh->g->c;
	const char *pidfile = host_var(h, "game_pidfile");
	const char *unit = host_var(h, "game_unit");
	const char *process = host_var(h, "game_process");
	if (!process && !pidfile && !unit && gh->kind)
		process = gh->kind->process;
	int64_t iv = collector_var_duration(h, "proc_interval", DEFAULT_PROC_INTERVAL_MS, 500);
	int64_t wiv = collector_var_duration(h, "world_interval", DEFAULT_WORLD_INTERVAL_MS, 1000);
	char *cmd = game_proc_command(iv, wiv, pidfile, unit, process, host_var(h, "game_world"));
	game_proc_parser_free(gh->proc_parser);
	gh->proc_parser = game_proc_parser_new(h->name);
	buf_reset(&gh->proc_err);
	struct error err = { { 0 } };
	const char *script = game_proc_script();
	gh->proc_exec = ssh_pool_exec(collector_pool(c), h, cmd, script, strlen(script), &proc_cbs,
				      gh, &err);
	free(cmd);
	if (!gh->proc_exec)
		proc_retry_later(gh, err.msg);
}

void game_poller_host_up(struct game_poller *g, struct host *h)
{
	struct game_host *gh = game_host_of(g, h, false);
	if (!gh || !gh->kind || !wants_proc(gh) || gh->proc_exec || gh->proc_timer)
		return;
	proc_start(gh);
}

void game_poller_host_down(struct game_poller *g, struct host *h)
{
	struct game_host *gh = game_host_of(g, h, false);
	if (!gh)
		return;
	loop_timer_del(collector_loop(g->c), gh->proc_timer);
	gh->proc_timer = 0;
	gh->proc_restarts = 0;
}

uint64_t game_poller_polls(const struct game_poller *g, const struct host *h)
{
	const struct game_host *gh = host_slot_get(&g->hosts, h->id);
	return gh ? gh->polls : 0;
}

void game_poller_free(struct game_poller *g)
{
	if (!g)
		return;
	struct loop *loop = collector_loop(g->c);
	for (size_t i = 0; i < g->hosts.n; i++) {
		struct game_host *gh = g->hosts.v[i];
		if (!gh)
			continue;
		game_query_cancel(gh->query);
		loop_timer_del(loop, gh->poll_timer);
		loop_timer_del(loop, gh->ssh_wait_timer);
		loop_timer_del(loop, gh->proc_timer);
		if (gh->proc_exec)
			ssh_exec_cancel(gh->proc_exec);
		game_proc_parser_free(gh->proc_parser);
		buf_free(&gh->proc_err);
		game_result_free(&gh->res);
		free(gh->query_host);
		if (gh->password) {
			memset(gh->password, 0, strlen(gh->password));
			free(gh->password);
		}
		free(gh);
	}
	free(g->hosts.v);
	free(g);
}
