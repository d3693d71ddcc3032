/* The simulated fleet: who the hosts are (names, groups, addresses), the
 * roles that make the demo interesting (a leak, a filling disk, a host
 * that drops off), and starting and stopping it all. */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "game.h"
#include "sim_private.h"

static const struct {
	const char *group, *prefix;
	enum sim_game game;
	double tz_offset_h; /* from UTC, for the evening peak */
	double share;
} groups[] = {
	{ "eu-minecraft", "mc-eu", GAME_MINECRAFT, 1, 0.35 },
	{ "us-minecraft", "mc-us", GAME_MINECRAFT, -5, 0.30 },
	{ "quake", "q3", GAME_QUAKE, 0, 0.20 },
	{ "valheim", "vh", GAME_VALHEIM, 2, 0.15 },
};
#define NGROUPS ((int)(sizeof groups / sizeof groups[0]))

struct model_host *sim_host_model(struct sim_host *h)
{
	model_advance(&h->model, &h->sim->clock, loop_now_ms(h->sim->loop));
	return &h->model;
}

double sim_wall_now(const struct sim *s)
{
	(void)s;
	return (double)time_wall_ms() / 1000.0;
}

/* Hosts per group: shares of n, every group present once n allows. */
static void group_counts(int n, int *counts)
{
	int given = 0;
	for (int g = 0; g < NGROUPS; g++) {
		if (n < NGROUPS)
			counts[g] = g < n ? 1 : 0;
		else
			counts[g] = n * groups[g].share < 1 ? 1 : (int)floor(n * groups[g].share);
		given += counts[g];
	}
	/* The floors leave a few over (never more than n: below 7 hosts every
	 * group's floor is at most 1 or 2); they go round the groups. */
	for (int g = 0; given < n; g = (g + 1) % NGROUPS, given++)
		counts[g]++;
}

static int digits(int v)
{
	int d = 1;
	while (v >= 10) {
		v /= 10;
		d++;
	}
	return d;
}

/* Picks the k-th role's host among those of the given games, avoiding
 * hosts already given a role. */
static int pick_role(const struct sim *s, int k, unsigned games, const int *taken, int ntaken)
{
	int cands[8192], n = 0;
	for (int pass = 0; pass < 2 && n == 0; pass++) {
		for (int i = 0; i < s->nhosts && n < 8192; i++) {
			bool used = false;
			for (int t = 0; t < ntaken; t++)
				used |= taken[t] == i;
			if (!used && (pass == 1 || (games & (1u << s->hosts[i].game))))
				cands[n++] = i;
		}
	}
	if (n == 0)
		return -1;
	return cands[model_hash(s->seed * 31 + (uint64_t)k) % (uint64_t)n];
}

/* Host h's game ports (see sim_opts.game_port); none when they would
 * pass 65535 (only possible with the default base: a given one is
 * checked whole first). */
static void game_ports(const struct sim *s, const struct sim_opts *o, struct sim_host *h)
{
	int q, r;
	if (o->spread_addrs && !o->game_port) {
		q = h->game == GAME_QUAKE     ? GSRV_PORT_QUAKE :
		    h->game == GAME_VALHEIM ? GSRV_PORT_VALHEIM :
					      GSRV_PORT_MINECRAFT;
		r = GSRV_PORT_RCON;
	} else {
		int base = o->game_port ? o->game_port : s->port + 8000;
		q = o->spread_addrs ? base : base + 2 * h->idx;
		r = q + 1;
	}
	if (r > 65535)
		q = r = 0;
	h->query_port = q;
	h->rcon_port = h->game == GAME_MINECRAFT ? r : 0;
}

static int setup_hosts(struct sim *s, const struct sim_opts *o, struct error *err)
{
	struct in_addr base;
	if (inet_pton(AF_INET, s->addr, &base) != 1)
		return error_set(err, "sim: bad address %s (want an IPv4 address)", s->addr);
	int counts[NGROUPS];
	group_counts(s->nhosts, counts);
	s->hosts = xcalloc((size_t)s->nhosts, sizeof *s->hosts);
	int i = 0;
	for (int g = 0; g < NGROUPS; g++) {
		int width = digits(counts[g]) < 2 ? 2 : digits(counts[g]);
		for (int k = 1; k <= counts[g]; k++, i++) {
			struct sim_host *h = &s->hosts[i];
			h->sim = s;
			h->idx = i;
			h->group = groups[g].group;
			h->game = groups[g].game;
			h->listen_fd = -1;
			char num[16];
			snprintf(num, sizeof num, "%0*d", width > 6 ? 6 : width, k % 1000000);
			snprintf(h->name, sizeof h->name, "%.8s-%.8s", groups[g].prefix, num);
			if (o->spread_addrs) {
				snprintf(h->addr, sizeof h->addr, "127.0.%u.%u", 1u + (unsigned)i / 250, 1u + (unsigned)i % 250);
				h->port = s->port;
			} else {
				snprintf(h->addr, sizeof h->addr, "%s", s->addr);
				h->port = s->port + i;
			}
			game_ports(s, o, h);
		}
	}
	int taken[3] = { -1, -1, -1 }, ntaken = 0;
	s->leak_host = pick_role(s, 1, 1u << GAME_MINECRAFT, taken, ntaken);
	if (s->leak_host >= 0)
		taken[ntaken++] = s->leak_host;
	s->disk_host = pick_role(s, 2, (1u << GAME_VALHEIM) | (1u << GAME_QUAKE), taken, ntaken);
	if (s->disk_host >= 0)
		taken[ntaken++] = s->disk_host;
	s->flap_host = pick_role(s, 3, ~0u, taken, ntaken);
	int64_t now = loop_now_ms(s->loop);
	for (i = 0; i < s->nhosts; i++) {
		struct sim_host *h = &s->hosts[i];
		int g = 0;
		while (strcmp(groups[g].group, h->group) != 0)
			g++;
		h->model.leaks = i == s->leak_host;
		h->model.fills_disk = i == s->disk_host;
		model_host_init(&h->model, s->seed, i, h->game, groups[g].tz_offset_h, &s->clock, now);
	}
	return 0;
}

static void flap(struct loop *loop, void *arg)
{
	struct sim *s = arg;
	struct sim_host *h = &s->hosts[s->flap_host];
	struct error err;
	s->flap_timer = 0;
	if (!h->down) {
		char what[96];
		snprintf(what, sizeof what, "%s down for %ds", h->name, s->flap_down_s);
		sim_said("flap", what);
		h->down = true;
		sim_host_unlisten(h);
		sim_host_drop_conns(h);
		sim_game_unlisten(h);
		s->flap_timer = loop_timer_add(loop, (int64_t)s->flap_down_s * 1000, flap, s);
		return;
	}
	if (sim_host_listen(h, &err) < 0) {
		log_warn("%s; trying again in 1s", err.msg);
		s->flap_timer = loop_timer_add(loop, 1000, flap, s);
		return;
	}
	if (!h->game_stopped && sim_game_listen(h, &err) < 0)
		log_warn("%s; it comes back without its game server", err.msg);
	char what[64];
	snprintf(what, sizeof what, "%s back", h->name);
	sim_said("flap", what);
	h->down = false;
	int64_t up = (int64_t)(s->flap_every_s - s->flap_down_s) * 1000;
	s->flap_timer = loop_timer_add(loop, up > 1000 ? up : 1000, flap, s);
}

/* Game servers after every SSH port is taken. Ports asked for must all be
 * had; with the default base a port someone else holds (another sim, a
 * test's server) only costs that host its game server, and the inventory
 * does not offer what is not there. */
static int start_games(struct sim *s, struct error *err)
{
	int failed = 0, nogame = 0;
	struct error first = { "" };
	for (int i = 0; i < s->nhosts; i++) {
		struct sim_host *h = &s->hosts[i];
		struct error e;
		if (!h->query_port) {
			nogame++;
			continue;
		}
		if (sim_game_listen(h, &e) == 0)
			continue;
		if (s->game_port_given) {
			*err = e;
			return -1;
		}
		if (!failed++)
			first = e;
		h->query_port = h->rcon_port = 0;
	}
	if (failed)
		log_warn("%s; %d host%s run%s no game server", first.msg, failed,
			 failed == 1 ? "" : "s", failed == 1 ? "s" : "");
	if (nogame)
		log_warn("sim: %d hosts run no game server: their ports would pass 65535 "
			 "(see --game-port)", nogame);
	return 0;
}

int sim_start(struct loop *loop, const struct sim_opts *o, struct sim **out, struct error *err)
{
	*out = NULL;
	if (!o->dir || !*o->dir)
		return error_set(err, "sim: no state directory given");
	if (o->nhosts < 1 || o->nhosts > 60000)
		return error_set(err, "sim: %d hosts: want 1 to 60000", o->nhosts);
	int port = o->port ? o->port : 22000;
	int last = o->spread_addrs ? port : port + o->nhosts - 1;
	if (port < 1 || last > 65535)
		return error_set(err, "sim: ports %d-%d: past 65535", port, last);
	if (o->spread_addrs && o->nhosts > 250 * 254)
		return error_set(err, "sim: %d hosts do not fit in 127.0.1.1-127.0.254.250", o->nhosts);
	if (o->time_scale < 0 || isnan(o->time_scale) || isinf(o->time_scale))
		return error_set(err, "sim: time scale %g: want 0 or more", o->time_scale);
	if (!(o->clock_start_s >= 0) || o->clock_start_s > 253402300799.0)
		return error_set(err, "sim: clock %g: want UTC seconds from 1970 to 9999", o->clock_start_s);
	if (o->game_port) {
		int glast = o->spread_addrs ? o->game_port + 1 : o->game_port + 2 * o->nhosts - 1;
		if (o->game_port < 1 || glast > 65535)
			return error_set(err, "sim: game ports %d-%d: past 65535", o->game_port, glast);
		if (!o->spread_addrs && o->game_port <= last && glast >= port)
			return error_set(err, "sim: game ports %d-%d overlap the SSH ports %d-%d",
					 o->game_port, glast, port, last);
	}
	if (mkdir_p(o->dir, 0700, err) < 0)
		return -1;

	struct sim *s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->control_fd = -1;
	s->dir = xstrdup(o->dir);
	s->addr = xstrdup(o->addr && *o->addr ? o->addr : "127.0.0.1");
	s->port = port;
	s->seed = o->seed;
	s->nhosts = o->nhosts;
	s->flap_every_s = o->flap_every_s ? o->flap_every_s : 300;
	s->flap_down_s = o->flap_down_s > 0 ? o->flap_down_s : 20;
	if (s->flap_every_s > 0 && s->flap_down_s >= s->flap_every_s)
		s->flap_down_s = s->flap_every_s / 2 > 0 ? s->flap_every_s / 2 : 1;
	s->clock.start_mono_ms = loop_now_ms(loop);
	s->clock.start_wall_s = o->clock_start_s > 0 ? o->clock_start_s : (double)time_wall_ms() / 1000.0;
	s->clock.time_scale = o->time_scale > 0 ? o->time_scale : 1;
	s->leak_host = s->disk_host = s->flap_host = -1;
	s->game_port_given = o->game_port != 0;

	if (setup_hosts(s, o, err) < 0 || sim_keys_load(s, err) < 0 ||
	    sim_rcon_password_load(s, err) < 0)
		goto fail;
	for (int i = 0; i < s->nhosts; i++)
		if (sim_host_listen(&s->hosts[i], err) < 0)
			goto fail;
	if (start_games(s, err) < 0)
		goto fail;
	sim_control_open(s); /* before the inventory, which is what starters wait for */
	if (o->truth_path && sim_truth_open(s, o->truth_path, err) < 0)
		goto fail;
	if (sim_files_write(s, err) < 0)
		goto fail;
	if (s->flap_host >= 0 && s->flap_every_s > 0 && s->nhosts > 1)
		s->flap_timer = loop_timer_add(loop, (int64_t)(o->flap_first_s > 0 ? o->flap_first_s
								     : s->flap_every_s) * 1000,
					       flap, s);
	else
		s->flap_host = -1;
	*out = s;
	return 0;
fail:
	sim_stop(s);
	return -1;
}

void sim_stop(struct sim *s)
{
	if (!s)
		return;
	if (s->flap_timer)
		loop_timer_del(s->loop, s->flap_timer);
	sim_control_close(s);
	sim_truth_close(s);
	for (int i = 0; s->hosts && i < s->nhosts; i++) {
		struct sim_host *h = &s->hosts[i];
		sim_host_unlisten(h);
		sim_host_reap_all(h);
		sim_game_free(h);
		if (h->bind)
			ssh_bind_free(h->bind);
		vfs_free_all(h);
		free(h->key_path);
		free(h->pubkey_b64);
	}
	for (int i = 0; i < s->nauthorized; i++)
		ssh_key_free(s->authorized[i]);
	free(s->authorized);
	free(s->hosts);
	free(s->rcon_password);
	free(s->dir);
	free(s->addr);
	free(s);
}

int sim_nhosts(const struct sim *s)
{
	return s->nhosts;
}

const char *sim_host_name(const struct sim *s, int i)
{
	return i >= 0 && i < s->nhosts ? s->hosts[i].name : NULL;
}

const char *sim_host_addr(const struct sim *s, int i)
{
	return i >= 0 && i < s->nhosts ? s->hosts[i].addr : NULL;
}

int sim_host_port(const struct sim *s, int i)
{
	return i >= 0 && i < s->nhosts ? s->hosts[i].port : -1;
}

bool sim_host_is_down(const struct sim *s, int i)
{
	return i >= 0 && i < s->nhosts && s->hosts[i].down;
}
