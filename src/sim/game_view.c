/* What a simulated game server shows, from its host's model: who plays
 * (names drawn from the fleet's seed, as many as the model's players),
 * the map, and how well the server keeps up (TPS and tick times follow
 * the host's CPU: fine until 80% busy, then falling behind). Also the
 * text of the Minecraft commands RCON answers. Pure: no sockets here. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "game.h"

static const char *const name_heads[] = {
	"Shadow", "Pixel", "Frost", "Iron", "Night", "Storm", "Dark", "Silent", "Crimson", "Rapid",
	"Lucky", "Turbo", "Ghost", "Cyber", "Mega", "Ultra", "Wild", "Lone", "Swift", "Toxic",
	"Neon", "Rusty", "Sneaky", "Angry", "Epic", "Hyper", "Mad", "Red", "Blue", "Golden",
	"Lazy", "Cosmic", "Atomic", "Salty", "Grim", "Brave", "Feral", "Quiet", "Sly", "Happy",
};
static const char *const name_tails[] = {
	"Wolf", "Fox", "Blade", "Miner", "Sniper", "Knight", "Hawk", "Bear", "Dragon", "Ninja",
	"Viking", "Raven", "Tiger", "Pickaxe", "Creeper", "Gamer", "Rider", "Hunter", "Wizard", "Pirate",
	"Panda", "Goblin", "Falcon", "Cobra", "Titan", "Moose", "Otter", "Badger", "Spark", "Byte",
	"Toast", "Potato", "Llama", "Ranger", "Reaper", "Smith", "Builder", "Walker", "Jumper", "Nomad",
};
#define NHEADS ((int)(sizeof name_heads / sizeof name_heads[0]))
#define NTAILS ((int)(sizeof name_tails / sizeof name_tails[0]))
#define NCOMBOS (NHEADS * NTAILS) /* 1600 = 2^6 * 5^2 */

/* OpenArena's bots, as `addbot` names them. */
static const char *const bot_names[] = {
	"Sarge", "Grunt", "Major", "Angelyss", "Kyonshi", "Gargoyle", "Sorlag", "Tony", "Liz", "Merman",
};
#define NBOTS ((int)(sizeof bot_names / sizeof bot_names[0]))

static const char *const q3_maps[] = { "oa_dm1", "oa_dm2", "oa_dm3", "oa_dm4" };
#define Q3_MAP_S 1200.0 /* simulated seconds a map lasts */

static double unit(uint64_t h)
{
	return (double)(h >> 11) * 0x1.0p-53;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

double gsrv_tps_for(double util, double noise)
{
	if (util < 0.8)
		return 20.0;
	/* Ticks fall behind: linearly down to 8 at a fully busy host, and
	 * never a round 20 once behind, so TPS and tick times agree. */
	return clamp(20.0 - (util - 0.8) * 60.0 + 0.25 * noise, 1.0, 19.9);
}

/* Tick times (avg, min, max in ms) at a busy share util: under 50 ms while
 * the server keeps up, 1000 / TPS once it does not. */
static void mspt_for(double util, double n1, double n2, double *t)
{
	double tps = gsrv_tps_for(util, n1);
	double avg = tps < 20 ? 1000.0 / tps : fmax(0.4, 50.0 * util / 0.8 * (0.97 + 0.03 * n1));
	t[0] = avg;
	t[1] = avg * (0.55 + 0.1 * fabs(n2));
	t[2] = avg * (1.8 + 0.6 * fabs(n1 - n2));
}

void gsrv_view_make(struct gsrv_view *v, const struct model_host *m, uint64_t seed, int idx,
		    const char *hostname, double sim_t, double real_s, int game_port)
{
	memset(v, 0, sizeof *v);
	v->game = m->game;
	snprintf(v->hostname, sizeof v->hostname, "%s", hostname);
	v->seed = model_hash(seed ^ model_hash(0x67616d65ull + (uint64_t)idx));
	v->max_players = m->max_players;
	v->players = m->players < m->max_players ? m->players : m->max_players;
	v->real_s = real_s;
	v->game_port = game_port;
	switch (m->game) {
	case GAME_QUAKE: {
		double x = sim_t / Q3_MAP_S + unit(model_hash(v->seed ^ 1));
		double k = floor(x);
		snprintf(v->map, sizeof v->map, "%s", q3_maps[(int64_t)k & 3]);
		v->map_s = (x - k) * Q3_MAP_S;
		if (v->players > 0) {
			int room = v->max_players - v->players;
			v->bots = room < 2 ? room : 2;
		}
		break;
	}
	case GAME_VALHEIM:
		snprintf(v->map, sizeof v->map, "Dedicated");
		break;
	case GAME_MINECRAFT:
		snprintf(v->map, sizeof v->map, "world");
		break;
	}
	/* The 1m figures follow the host's CPU now, the longer ones its load
	 * averages (what the CPU did over those minutes). */
	double util[3] = { m->util, 0, 0 };
	for (int i = 1; i < 3; i++)
		util[i] = clamp(m->load[i] / m->ncores, 0, 1);
	for (int i = 0; i < 3; i++)
		v->tps[i] = gsrv_tps_for(util[i], model_noise(v->seed ^ (11 + (uint64_t)i), real_s, 20));
	double mutil[3] = { m->util, m->util, clamp(m->load[0] / m->ncores, 0, 1) };
	for (int i = 0; i < 3; i++)
		mspt_for(mutil[i], model_noise(v->seed ^ (21 + (uint64_t)i), real_s, 6 + 4 * i),
			 model_noise(v->seed ^ (31 + (uint64_t)i), real_s, 3), v->mspt[i]);
}

/* Name number c (< NCOMBOS) in one of a few styles; at most 16 characters
 * of [A-Za-z0-9_], as Minecraft allows. */
static void make_name(char *out, size_t size, int c, uint64_t h)
{
	const char *a = name_heads[c / NTAILS], *b = name_tails[c % NTAILS];
	char base[32];
	int style = (int)(h % 6);
	unsigned digits = (unsigned)(h >> 8);
	snprintf(base, sizeof base, "%s%s", a, b);
	size_t len = strlen(base);
	switch (style) {
	case 1:
		snprintf(out, size, "%s%02u", base, digits % 100);
		break;
	case 2: {
		snprintf(out, size, "%s_%s", a, b);
		for (char *p = out; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		break;
	}
	case 3:
		if (len + 4 <= 16)
			snprintf(out, size, "xX%sXx", base);
		else
			snprintf(out, size, "%s", base);
		break;
	case 4:
		snprintf(out, size, "%s%s", len + 3 <= 16 ? "The" : "", base);
		break;
	default:
		snprintf(out, size, "%s", base);
		break;
	}
	if (strlen(out) > 16)
		out[16] = '\0';
}

void gsrv_player_at(const struct gsrv_view *v, int k, struct gsrv_player *p)
{
	memset(p, 0, sizeof *p);
	uint64_t hk = model_hash(v->seed ^ model_hash(0x706c6179ull + (uint64_t)k));
	if (k >= v->players) {
		/* A bot: no ping, plays as well as anyone. */
		int b = (int)((model_hash(v->seed ^ 5) + (uint64_t)(k - v->players) * 3) % NBOTS);
		snprintf(p->name, sizeof p->name, "%s", bot_names[b]);
		p->score = (int)floor(v->map_s / 60.0 * (0.4 + 1.2 * unit(hk)));
		p->online_s = v->map_s;
		return;
	}
	/* Player k of this server: a permutation of the pool, so no name
	 * repeats on one server (a is odd and not a multiple of 5). */
	uint64_t hs = model_hash(v->seed ^ 7);
	int a = 1 + 2 * (int)(hs % (NCOMBOS / 2));
	if (a % 5 == 0)
		a = (a + 2) % NCOMBOS;
	int b = (int)((hs >> 20) % NCOMBOS);
	int c = (int)(((int64_t)a * k + b) % NCOMBOS);
	uint64_t hc = model_hash(v->seed ^ model_hash(0x6e616d65ull + (uint64_t)c));
	char name[40];
	make_name(name, sizeof name, c, hc);
	if (v->game == GAME_QUAKE && hc % 4 == 0) {
		/* Quake players like colours: ^N switches colour, ^7 is white. */
		const char *tail = name_tails[c % NTAILS];
		size_t cut = strlen(name) > strlen(tail) ? strlen(name) - strlen(tail) : 0;
		snprintf(p->name, sizeof p->name, "^%d%.*s^7%s", 1 + (int)(hc >> 40) % 6, (int)cut, name,
			 name + cut);
	} else {
		snprintf(p->name, sizeof p->name, "%s", name);
	}
	double skill = 0.1 + 1.3 * unit(hk); /* frags a minute: the best near the fraglimit */
	p->score = (int)floor(v->map_s / 60.0 * skill) - (hk % 7 == 0 ? 1 : 0);
	double base_ping = 18 + 120 * unit(hk >> 3) * unit(hk >> 5);
	p->ping = (int)lround(base_ping * (1 + 0.15 * model_noise(hk, v->real_s, 7)));
	if (p->ping < 1)
		p->ping = 1;
	p->online_s = 30 + fmod(v->real_s + 7200 * unit(hk >> 7), 7200);
}

/* Java's Double.toString of a value rounded to 2 decimals: "20.0", "19.97". */
static void java_2dp(struct buf *out, double x)
{
	char t[32];
	snprintf(t, sizeof t, "%.2f", x);
	size_t n = strlen(t);
	if (t[n - 1] == '0')
		t[--n] = '\0';
	buf_puts(out, t);
}

/* Paper's colour for a TPS figure, and for a tick time. */
static const char *tps_colour(double tps)
{
	return tps > 18 ? "\xc2\xa7" "a" : tps > 16 ? "\xc2\xa7" "e" : "\xc2\xa7" "c";
}

static const char *mspt_colour(double ms)
{
	return ms <= 40 ? "\xc2\xa7" "a" : ms <= 50 ? "\xc2\xa7" "e" : "\xc2\xa7" "c";
}

#define SECT "\xc2\xa7" /* the section sign, UTF-8 */

void gsrv_mc_command(const struct gsrv_view *v, const char *cmd, struct buf *out)
{
	if (*cmd == '/')
		cmd++; /* the server takes commands with or without the slash */
	if (strcmp(cmd, "list") == 0) {
		buf_printf(out, "There are %d of a max of %d players online: ", v->players,
			   v->max_players);
		for (int k = 0; k < v->players; k++) {
			struct gsrv_player p;
			gsrv_player_at(v, k, &p);
			buf_printf(out, "%s%s", k ? ", " : "", p.name);
		}
	} else if (strcmp(cmd, "tps") == 0) {
		buf_puts(out, SECT "6TPS from last 1m, 5m, 15m: ");
		for (int i = 0; i < 3; i++) {
			buf_puts(out, i ? ", " : "");
			buf_puts(out, tps_colour(v->tps[i]));
			java_2dp(out, v->tps[i]);
		}
	} else if (strcmp(cmd, "mspt") == 0) {
		buf_puts(out, SECT "6Server tick times " SECT "e(" SECT "7avg" SECT "e/" SECT "7min"
			      SECT "e/" SECT "7max" SECT "e)" SECT "6 from last 5s" SECT "7," SECT
			      "6 10s" SECT "7," SECT "6 1m" SECT "e:\n" SECT "6\xe2\x97\xb4 ");
		for (int i = 0; i < 3; i++) {
			if (i)
				buf_puts(out, SECT "e, ");
			for (int j = 0; j < 3; j++)
				buf_printf(out, "%s%s%.1f", j ? SECT "7/" : "", mspt_colour(v->mspt[i][j]),
					   v->mspt[i][j]);
		}
	} else {
		/* Brigadier's words, with the last 10 characters it read. */
		size_t n = strlen(cmd);
		buf_printf(out, "Unknown or incomplete command, see below for error\n%s%.10s<--[HERE]",
			   n > 10 ? "..." : "", cmd + (n > 10 ? n - 10 : 0));
	}
}
