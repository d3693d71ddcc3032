/* game (Minecraft): what the server's own commands print, read from RCON
 * replies. The text is made for people, with colour codes in it, and
 * differs between vanilla, Spigot and Paper, so each parser looks for the
 * words that stay the same and refuses anything else by name. */
#include <stdlib.h>
#include <string.h>

#include "fleetop/game.h"
#include "game_private.h"

/* As slp: no server has ten million players. */
#define MC_MAX_COUNT 10000000
/* The periods a tps line may list (Purpur adds 5s to 1m, 5m, 15m). */
#define MC_MAX_PERIODS 8

/* text without its colour codes ("\xc2\xa7" and one character),
 * NUL-terminated; the caller frees. */
static char *mc_plain(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	char *out = xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] == 0xa7) {
			i += 2;
			if (i < len && s[i] < 0x80)
				i++;
			continue;
		}
		out[o++] = text[i++];
	}
	out[o] = '\0';
	return out;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Why a reply was refused: the server's own first line, cleaned and short,
 * so "Unknown or incomplete command" shows as the server said it. */
static int mc_refuse(struct error *err, const char *what, const char *plain)
{
	char line[80];
	size_t n = strcspn(plain, "\r\n");
	game_text_clean(line, sizeof line, plain, n, GAME_COLORS_MC);
	if (strstr(plain, "Unknown or incomplete command") || strstr(plain, "Unknown command"))
		return error_set(err, "minecraft: the server has no %s command: '%s'", what, line);
	return error_set(err, "minecraft: not %s output: '%s'", what, line);
}

/* A plain decimal ("20.0", "19.97", "2"); strtod would also take "inf",
 * "nan", hex and whatever the C locale says. comma also takes "2,1": Paper
 * formats mspt with the JVM's locale. */
static int mc_number(const char **pp, int comma, double *out)
{
	const char *p = *pp;
	long ip = 0, frac = 0, scale = 1;
	int digits = 0;
	for (; is_digit(*p); p++) {
		if (++digits > 9)
			return -1;
		ip = ip * 10 + (*p - '0');
	}
	if (!digits)
		return -1;
	if ((*p == '.' || (comma && *p == ',')) && is_digit(p[1])) {
		for (p++; is_digit(*p); p++) {
			/* Digits past the ninth change nothing a console shows. */
			if (scale < 1000000000L) {
				frac = frac * 10 + (*p - '0');
				scale *= 10;
			}
		}
	}
	*out = (double)ip + (double)frac / (double)scale;
	*pp = p;
	return 0;
}

/* A count: digits only, at most MC_MAX_COUNT. */
static int mc_count(const char **pp, int *out)
{
	const char *p = *pp;
	long v = 0;
	if (!is_digit(*p))
		return -1;
	for (; is_digit(*p); p++) {
		v = v * 10 + (*p - '0');
		if (v > MC_MAX_COUNT)
			return -1;
	}
	*out = (int)v;
	*pp = p;
	return 0;
}

/* "TPS from last 1m, 5m, 15m: 20.0, 19.97, *20.0" ('*': Paper caps the
 * figure it shows at 20 and stars it when the real one is above 21). */
static int mc_tps(const char *s, double *tps, struct error *err)
{
	static const char key[] = "TPS from last ";
	const char *p = strstr(s, key);
	if (!p)
		return mc_refuse(err, "tps", s);
	p += sizeof key - 1;
	const char *colon = strchr(p, ':');
	if (!colon || memchr(p, '\n', (size_t)(colon - p)))
		return mc_refuse(err, "tps", s);
	/* Which figure is the 1m one: the periods are listed before the colon. */
	int want = -1, nper = 0;
	for (const char *q = p; q < colon && nper < MC_MAX_PERIODS; nper++) {
		q = skip_blanks(q);
		const char *e = q;
		while (e < colon && *e != ',')
			e++;
		const char *t = e;
		while (t > q && t[-1] == ' ')
			t--;
		if (t - q == 2 && !memcmp(q, "1m", 2) && want < 0)
			want = nper;
		q = e < colon ? e + 1 : e;
	}
	if (want < 0)
		return error_set(err, "minecraft: tps output has no 1m figure");
	p = colon + 1;
	for (int i = 0;; i++) {
		double v;
		p = skip_blanks(p);
		if (*p == '*')
			p++;
		if (mc_number(&p, 0, &v) < 0)
			return error_set(err, "minecraft: tps figure %d is not a number", i + 1);
		if (i == want) {
			if (v > 1000)
				return error_set(err, "minecraft: tps %g is not believable", v);
			*tps = v;
			return 0;
		}
		p = skip_blanks(p);
		if (*p != ',')
			return error_set(err, "minecraft: tps output has %d figures, the 1m one is number %d",
					 i + 1, want + 1);
		p++;
	}
}

int mc_parse_tps(const char *text, size_t len, double *tps, struct error *err)
{
	char *s = mc_plain(text, len);
	int r = mc_tps(s, tps, err);
	free(s);
	return r;
}

/* "Server tick times (avg/min/max) from last 5s, 10s, 1m:\n◴ 2.1/1.0/5.2, ..." */
static int mc_mspt(const char *s, double *mspt, struct error *err)
{
	static const char key[] = "Server tick times";
	const char *p = strstr(s, key);
	if (!p)
		return mc_refuse(err, "mspt", s);
	p = strchr(p, ':');
	if (!p)
		return error_set(err, "minecraft: mspt output has no ':' after its heading");
	/* Blanks, the clock glyph (or another fork's), then the first average. */
	for (p++; *p && !is_digit(*p); p++)
		if (!((unsigned char)*p >= 0x80 || *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			break;
	double v;
	if (mc_number(&p, 1, &v) < 0 || *p != '/')
		return error_set(err, "minecraft: mspt output has no avg/min/max figures");
	if (v > 1000000)
		return error_set(err, "minecraft: mspt %g is not believable", v);
	*mspt = v;
	return 0;
}

int mc_parse_mspt(const char *text, size_t len, double *mspt, struct error *err)
{
	char *s = mc_plain(text, len);
	int r = mc_mspt(s, mspt, err);
	free(s);
	return r;
}

/* Names after the colon: ", " between them, on the same line (vanilla) or
 * the next (old Bukkit); never more kept than the count said. */
static void mc_names(const char *p, struct game_status *out)
{
	int keep = out->players < GAME_MAX_PLAYERS ? out->players : GAME_MAX_PLAYERS, cap = 0;
	while (*p && out->nlist < keep) {
		p = skip_blanks(p);
		const char *e = p + strcspn(p, ",\n");
		const char *t = e;
		while (t > p && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
			t--;
		if (t > p) {
			if (out->nlist == cap) {
				cap = cap ? cap * 2 : 16;
				out->list = xrealloc(out->list, (size_t)cap * sizeof *out->list);
			}
			struct game_player *pl = &out->list[out->nlist++];
			memset(pl, 0, sizeof *pl);
			game_text_clean(pl->name, sizeof pl->name, p, (size_t)(t - p), GAME_COLORS_MC);
		}
		p = *e ? e + 1 : e;
	}
}

/* "There are 2 of a max of 20 players online: a, b" (1.13 and later) or
 * "There are 2/20 players online:\na, b" (older and Bukkit). */
static int mc_list(const char *s, struct game_status *out, struct error *err)
{
	static const char key[] = "There are ", of_max[] = " of a max of ",
			  online[] = " players online:";
	const char *p = strstr(s, key);
	if (!p)
		return mc_refuse(err, "list", s);
	p += sizeof key - 1;
	if (mc_count(&p, &out->players) < 0)
		return error_set(err, "minecraft: list output has no player count");
	if (!strncmp(p, of_max, sizeof of_max - 1))
		p += sizeof of_max - 1;
	else if (*p == '/')
		p++;
	else
		return mc_refuse(err, "list", s);
	if (mc_count(&p, &out->players_max) < 0)
		return error_set(err, "minecraft: list output has no player maximum");
	if (strncmp(p, online, sizeof online - 1))
		return mc_refuse(err, "list", s);
	mc_names(p + sizeof online - 1, out);
	return 0;
}

int mc_parse_list(const char *text, size_t len, struct game_status *out, struct error *err)
{
	memset(out, 0, sizeof *out);
	char *s = mc_plain(text, len);
	int r = mc_list(s, out, err);
	free(s);
	if (r < 0)
		game_status_free(out);
	return r;
}
