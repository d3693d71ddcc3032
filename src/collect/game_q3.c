/* game (Quake 3 family): the getstatus request and its statusResponse.
 * A reply is whatever any host on the internet sends to our port, so it is
 * bounded, checked byte by byte and refused whole when it is not exactly
 * what a Q3 server sends: half-believed replies would show wrong players. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fleetop/game.h"
#include "game_private.h"

#define OOB "\xff\xff\xff\xff"
#define Q3_REPLY OOB "statusResponse"

int q3_status_request(char *buf, size_t size, unsigned challenge)
{
	char tail[32];
	int n = challenge ? snprintf(tail, sizeof tail, "getstatus %u\n", challenge)
			  : snprintf(tail, sizeof tail, "getstatus\n");
	size_t len = 4 + (size_t)n;
	if (!buf || size < len + 1)
		return -1;
	memcpy(buf, OOB, 4);
	memcpy(buf + 4, tail, (size_t)n + 1);
	return (int)len;
}

/* A decimal int with an optional minus sign, bounded so it cannot overflow. */
static int q3_int(const char **p, const char *end, int *out)
{
	const char *s = *p;
	int neg = 0;
	long long v = 0;
	if (s < end && *s == '-') {
		neg = 1;
		s++;
	}
	const char *digits = s;
	while (s < end && *s >= '0' && *s <= '9') {
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return -1;
		s++;
	}
	if (s == digits)
		return -1;
	*out = neg ? (int)-v : (int)v;
	*p = s;
	return 0;
}

static const char *skip_spaces(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

/* "SCORE PING \"NAME\"" or DarkPlaces' "SCORE PING TEAM \"NAME\"". */
static int q3_player(const char *p, const char *end, struct game_player *pl, const char **why)
{
	int team;
	if (q3_int(&p, end, &pl->score) < 0)
		return *why = "score is not a number", -1;
	if (p >= end || *p != ' ')
		return *why = "no space after score", -1;
	p = skip_spaces(p, end);
	if (q3_int(&p, end, &pl->ping) < 0 || pl->ping < 0)
		return *why = "ping is not a number", -1;
	if (p >= end || *p != ' ')
		return *why = "no space after ping", -1;
	p = skip_spaces(p, end);
	if (p < end && *p != '"') {
		if (q3_int(&p, end, &team) < 0 || p >= end || *p != ' ')
			return *why = "team is not a number", -1;
		p = skip_spaces(p, end);
	}
	if (p >= end || *p != '"')
		return *why = "name is not quoted", -1;
	/* Q3 forbids quotes in names, but other servers may not: the name
	 * ends at the last quote on the line. */
	const char *close = end;
	while (close > p + 1 && close[-1] != '"')
		close--;
	if (close == p + 1)
		return *why = "name has no closing quote", -1;
	if (skip_spaces(close, end) != end)
		return *why = "text after the name", -1;
	game_text_clean(pl->name, sizeof pl->name, p + 1, (size_t)(close - 1 - (p + 1)), GAME_COLORS_Q3);
	return 0;
}

/* A server setting as a count; negative when absent or not a plain number
 * (one odd setting is not worth refusing the players over). */
static int q3_count(const char *v, size_t n)
{
	const char *p = v, *end = v + n;
	int x;
	if (q3_int(&p, end, &x) < 0 || p != end || x < 0)
		return -1;
	return x;
}

static int q3_info(const char *p, const char *end, unsigned challenge, struct game_status *out,
		   struct error *err)
{
	int maxc = -1, priv = -1;
	if (p < end && *p == '\\')
		p++;
	while (p < end) {
		const char *key = p;
		while (p < end && *p != '\\')
			p++;
		size_t klen = (size_t)(p - key);
		/* A key left without a value (odd count) reads as empty, as
		 * Quake's own Info_ValueForKey would have it. */
		const char *val = p < end ? ++p : p;
		while (p < end && *p != '\\')
			p++;
		size_t vlen = (size_t)(p - val);
		if (p < end)
			p++;
#define KEY(name) (klen == sizeof(name) - 1 && !strncasecmp(key, name, klen))
		/* DarkPlaces says "hostname" where ioquake3 says "sv_hostname". */
		if (KEY("sv_hostname") || KEY("hostname")) {
			game_text_clean(out->name, sizeof out->name, val, vlen, GAME_COLORS_Q3);
		} else if (KEY("mapname")) {
			game_text_clean(out->map, sizeof out->map, val, vlen, GAME_COLORS_Q3);
		} else if (KEY("sv_maxclients")) {
			maxc = q3_count(val, vlen);
		} else if (KEY("sv_privateClients")) {
			priv = q3_count(val, vlen);
		} else if (KEY("challenge")) {
			char sent[16], got[24];
			int n = snprintf(sent, sizeof sent, "%u", challenge);
			if (challenge && vlen == (size_t)n && !memcmp(val, sent, vlen))
				continue;
			game_text_clean(got, sizeof got, val, vlen, GAME_COLORS_Q3);
			if (!challenge)
				return error_set(err, "q3 status: reply carries challenge '%s' but none was sent (spoofed or stale)",
						 got);
			return error_set(err, "q3 status: reply is for challenge '%s', not %u (spoofed or stale)",
					 got, challenge);
		}
#undef KEY
	}
	if (maxc > 0)
		out->players_max = priv > 0 ? (priv < maxc ? maxc - priv : 0) : maxc;
	return 0;
}

static int q3_parse(const char *d, size_t len, unsigned challenge, struct game_status *out,
		    struct error *err)
{
	const size_t hlen = sizeof(Q3_REPLY) - 1;
	if (len > GAME_MAX_REPLY)
		return error_set(err, "q3 status: reply of %zu bytes is over the %d byte limit", len,
				 GAME_MAX_REPLY);
	if (len < 4 || memcmp(d, OOB, 4))
		return error_set(err, "q3 status: not a Quake reply (no \\xff\\xff\\xff\\xff header)");
	if (len < hlen || memcmp(d, Q3_REPLY, hlen)) {
		char word[32];
		size_t n = len - 4, w = 0;
		while (w < n && w < 20 && d[4 + w] != '\n' && d[4 + w] != ' ')
			w++;
		game_text_clean(word, sizeof word, d + 4, w, GAME_COLORS_Q3);
		return error_set(err, "q3 status: reply is '%s', not statusResponse", word);
	}
	const char *nul = memchr(d, '\0', len);
	if (nul)
		return error_set(err, "q3 status: NUL byte at offset %zu", (size_t)(nul - d));
	const char *p = d + hlen, *end = d + len;
	if (p == end)
		return error_set(err, "q3 status: truncated after the header");
	if (*p != '\n')
		return error_set(err, "q3 status: no end of line after statusResponse");
	p++;
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		return error_set(err, "q3 status: truncated in the server info (%zu bytes, no end of line)",
				 (size_t)(end - p));
	if (q3_info(p, eol > p && eol[-1] == '\r' ? eol - 1 : eol, challenge, out, err) < 0)
		return -1;

	int cap = 0;
	for (int line = 1; (p = eol + 1) < end; line++) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			return error_set(err, "q3 status: truncated in player line %d (no end of line)",
					 line);
		const char *lend = eol;
		if (lend > p && lend[-1] == '\r')
			lend--;
		if (lend == p)
			continue;
		struct game_player pl;
		const char *why = "";
		if (q3_player(p, lend, &pl, &why) < 0)
			return error_set(err, "q3 status: player line %d: %s", line, why);
		out->players++;
		if (pl.ping == 0)
			out->bots++;
		if (out->nlist == GAME_MAX_PLAYERS)
			continue;
		if (out->nlist == cap) {
			cap = cap ? cap * 2 : 16;
			out->list = xrealloc(out->list, (size_t)cap * sizeof *out->list);
		}
		out->list[out->nlist++] = pl;
	}
	return 0;
}

int q3_status_parse(const void *data, size_t len, unsigned challenge, struct game_status *out,
		    struct error *err)
{
	memset(out, 0, sizeof *out);
	if (!data && len)
		return error_set(err, "q3 status: no data");
	if (q3_parse(data, len, challenge, out, err) < 0) {
		game_status_free(out);
		return -1;
	}
	return 0;
}

void game_status_free(struct game_status *s)
{
	if (!s)
		return;
	free(s->list);
	memset(s, 0, sizeof *s);
}
