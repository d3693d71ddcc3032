/* The linux probe's output, read as it arrives: lines into frames, frames
 * into snapshots of raw counters. Everything here comes from a remote host
 * and is checked before it is believed; memory stays bounded by the line
 * and frame limits whatever the host sends. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linux_private.h"

enum parser_state {
	PS_OUTSIDE,  /* between frames: anything but a frame line is ignored */
	PS_IN_FRAME,
	PS_SKIPPING, /* a bad frame: waiting for its end or the next frame */
};

struct linux_parser {
	char *host;
	char line[LINUX_LINE_MAX + 1];
	size_t line_len;
	bool line_long; /* dropping the rest of an oversized line */
	enum parser_state state;
	uint64_t seq;
	size_t frame_bytes;
	struct linux_snapshot snap[2];
	int cur; /* the snapshot being filled; the other is the previous frame */
	bool have_prev;
	/* The feed call in progress. */
	struct error *err;
	bool failed;
	int frames;
	metric_emit_fn emit;
	void *arg;
};

/* A piece of the line being read; lines are not modified so errors can
 * quote them as they came. */
struct tok {
	const char *p;
	size_t n;
};

static bool tok_next(const char **s, const char *end, struct tok *t)
{
	const char *q = *s;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	const char *start = q;
	while (q < end && *q != ' ' && *q != '\t')
		q++;
	*s = q;
	t->p = start;
	t->n = (size_t)(q - start);
	return t->n > 0;
}

static bool tok_is(struct tok t, const char *word)
{
	size_t n = strlen(word);
	return t.n == n && memcmp(t.p, word, n) == 0;
}

static bool tok_u64(struct tok t, uint64_t *out)
{
	uint64_t v = 0;
	if (t.n == 0)
		return false;
	for (size_t i = 0; i < t.n; i++) {
		if (t.p[i] < '0' || t.p[i] > '9')
			return false;
		unsigned d = (unsigned)(t.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Non-negative and finite: uptimes and load averages are never else. */
static bool tok_double(struct tok t, double *out)
{
	char tmp[64];
	if (t.n == 0 || t.n >= sizeof tmp || !(isdigit((unsigned char)t.p[0]) || t.p[0] == '.'))
		return false;
	memcpy(tmp, t.p, t.n);
	tmp[t.n] = '\0';
	char *end;
	double v = strtod(tmp, &end);
	if (*end || !isfinite(v) || v < 0)
		return false;
	*out = v;
	return true;
}

/* A short printable excerpt of what the host sent, for an error line. */
static const char *excerpt(const char *s, size_t n, char *out, size_t size)
{
	size_t max = 80, j = 0;
	for (size_t i = 0; i < n && i < max && j + 4 < size; i++)
		out[j++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (n > max && j + 4 < size) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
	return out;
}

/* Only the first error of a feed call is kept: it is the one that caused
 * what follows. */
static void parser_verror(struct linux_parser *p, bool in_frame, const char *fmt, va_list ap)
{
	if (p->failed)
		return;
	p->failed = true;
	char msg[400];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (in_frame)
		error_set(p->err, "%s: probe frame %llu: %s", p->host, (unsigned long long)p->seq,
			  msg);
	else
		error_set(p->err, "%s: probe: %s", p->host, msg);
}

static void stream_fail(struct linux_parser *p, const char *fmt, ...) FT_PRINTF(2, 3);
static void stream_fail(struct linux_parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	parser_verror(p, false, fmt, ap);
	va_end(ap);
	p->state = PS_SKIPPING;
}

/* The rest of the frame is skipped: half a frame would mix two moments. */
static int frame_fail(struct linux_parser *p, const char *fmt, ...) FT_PRINTF(2, 3);
static int frame_fail(struct linux_parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	parser_verror(p, true, fmt, ap);
	va_end(ap);
	p->state = PS_SKIPPING;
	return -1;
}

static int bad_line(struct linux_parser *p, const char *what, const char *s, size_t n)
{
	char ex[96];
	return frame_fail(p, "bad %s line '%s'", what, excerpt(s, n, ex, sizeof ex));
}

/* Snapshot storage. */

static size_t names_add(struct linux_snapshot *s, const char *name, size_t n)
{
	size_t off = s->names.len;
	buf_append(&s->names, name, n);
	buf_append(&s->names, "", 1);
	return off;
}

static void counters_add(struct linux_snapshot *s, struct linux_counters *c, struct tok name,
			 uint64_t in, uint64_t out)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n++] = (struct linux_counter){ names_add(s, name.p, name.n), NULL, in, out };
}

void linux_snapshot_reset(struct linux_snapshot *s)
{
	s->have = s->mem_have = 0;
	s->ifaces.n = s->disks.n = s->nmounts = 0;
	buf_reset(&s->names);
}

void linux_snapshot_free(struct linux_snapshot *s)
{
	free(s->ifaces.v);
	free(s->disks.v);
	free(s->mounts);
	buf_free(&s->names);
	memset(s, 0, sizeof *s);
}

static int counter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct linux_counter *)a)->name,
		      ((const struct linux_counter *)b)->name);
}

/* Names point into the arena only once it stops growing; sorting lets two
 * frames be matched by a merge instead of a search per name. Returns the
 * first repeated name, or NULL. */
static const char *counters_seal(struct linux_snapshot *s, struct linux_counters *c)
{
	for (size_t i = 0; i < c->n; i++)
		c->v[i].name = s->names.data + c->v[i].name_off;
	if (c->n > 1)
		qsort(c->v, c->n, sizeof *c->v, counter_cmp);
	for (size_t i = 1; i < c->n; i++)
		if (strcmp(c->v[i - 1].name, c->v[i].name) == 0)
			return c->v[i].name;
	return NULL;
}

/* One kind of line each. `s..end` is the line after its tag. */

static int parse_uptime(struct linux_parser *p, struct linux_snapshot *s, const char *r,
			 const char *end)
{
	const char *line = r;
	struct tok t;
	if (!tok_next(&r, end, &t) || !tok_double(t, &s->uptime))
		return bad_line(p, "uptime", line, (size_t)(end - line));
	s->have |= LHAVE_UPTIME;
	return 0;
}

static int parse_stat(struct linux_parser *p, struct linux_snapshot *s, const char *r,
		       const char *end)
{
	const char *line = r;
	struct tok t, key;
	if (!tok_next(&r, end, &key))
		return bad_line(p, "stat", line, (size_t)(end - line));
	if (tok_is(key, "cpu")) {
		int n = 0;
		uint64_t v;
		while (tok_next(&r, end, &t)) {
			if (!tok_u64(t, &v))
				return bad_line(p, "stat", line, (size_t)(end - line));
			if (n < LCPU_N)
				s->cpu[n] = v;
			n++;
		}
		/* Kernels before 2.6 print only user nice system idle. */
		if (n < 4)
			return bad_line(p, "stat", line, (size_t)(end - line));
		for (; n < LCPU_N; n++)
			s->cpu[n] = 0;
		s->have |= LHAVE_CPU;
	} else if (tok_is(key, "procs_running") || tok_is(key, "procs_blocked")) {
		bool running = tok_is(key, "procs_running");
		if (!tok_next(&r, end, &t) || !tok_u64(t, running ? &s->procs_running : &s->procs_blocked))
			return bad_line(p, "stat", line, (size_t)(end - line));
		s->have |= running ? LHAVE_RUNNING : LHAVE_BLOCKED;
	}
	return 0;
}

static int parse_loadavg(struct linux_parser *p, struct linux_snapshot *s, const char *r,
			  const char *end)
{
	const char *line = r;
	struct tok t;
	for (int i = 0; i < 3; i++)
		if (!tok_next(&r, end, &t) || !tok_double(t, &s->load[i]))
			return bad_line(p, "loadavg", line, (size_t)(end - line));
	s->have |= LHAVE_LOAD;
	return 0;
}

static int parse_meminfo(struct linux_parser *p, struct linux_snapshot *s, const char *r,
			  const char *end)
{
	static const char *const keys[LMEM_N] = {
		[LMEM_TOTAL] = "MemTotal", [LMEM_FREE] = "MemFree",
		[LMEM_AVAILABLE] = "MemAvailable", [LMEM_BUFFERS] = "Buffers",
		[LMEM_CACHED] = "Cached", [LMEM_SWAP_TOTAL] = "SwapTotal",
		[LMEM_SWAP_FREE] = "SwapFree",
	};
	const char *colon = memchr(r, ':', (size_t)(end - r));
	if (!colon)
		return bad_line(p, "meminfo", r, (size_t)(end - r));
	struct tok key = { r, (size_t)(colon - r) }, t;
	int k = 0;
	while (k < LMEM_N && !tok_is(key, keys[k]))
		k++;
	if (k == LMEM_N)
		return 0; /* a field we do not use */
	const char *q = colon + 1;
	if (!tok_next(&q, end, &t) || !tok_u64(t, &s->mem_kb[k]))
		return bad_line(p, "meminfo", r, (size_t)(end - r));
	if (tok_next(&q, end, &t) && !tok_is(t, "kB"))
		return bad_line(p, "meminfo", r, (size_t)(end - r));
	s->mem_have |= 1u << k;
	return 0;
}

static int parse_netdev(struct linux_parser *p, struct linux_snapshot *s, const char *r,
			 const char *end)
{
	/* Interface names cannot hold ':', and old kernels print no space
	 * between it and a large first counter ("eth0:123456"). */
	const char *colon = memchr(r, ':', (size_t)(end - r));
	if (!colon) {
		if (memchr(r, '|', (size_t)(end - r)))
			return 0; /* the two header lines */
		return bad_line(p, "netdev", r, (size_t)(end - r));
	}
	const char *q = r;
	struct tok name, t;
	const char *name_end = colon;
	if (!tok_next(&q, name_end, &name) || q != name_end)
		return bad_line(p, "netdev", r, (size_t)(end - r));
	uint64_t v[16] = { 0 };
	int n = 0;
	q = colon + 1;
	while (tok_next(&q, end, &t)) {
		uint64_t x;
		if (!tok_u64(t, &x))
			return bad_line(p, "netdev", r, (size_t)(end - r));
		if (n < 16)
			v[n] = x;
		n++;
	}
	if (n < 9)
		return bad_line(p, "netdev", r, (size_t)(end - r));
	s->have |= LHAVE_NETDEV;
	if (!tok_is(name, "lo"))
		counters_add(s, &s->ifaces, name, v[0], v[8]);
	return 0;
}

static bool has_prefix(struct tok t, const char *prefix)
{
	size_t n = strlen(prefix);
	return t.n >= n && memcmp(t.p, prefix, n) == 0;
}

/* Whole disks only: a partition's or a device-mapper/RAID volume's I/O is
 * already counted on the disks beneath it. */
static bool whole_disk(struct tok t)
{
	if (has_prefix(t, "dm-") || has_prefix(t, "loop") || has_prefix(t, "ram") ||
	    has_prefix(t, "zram"))
		return false;
	if (has_prefix(t, "md") && t.n > 2 && (isdigit((unsigned char)t.p[2]) || t.p[2] == '_'))
		return false;
	size_t d = t.n;
	while (d > 0 && isdigit((unsigned char)t.p[d - 1]))
		d--;
	if (d == t.n || d == 0)
		return true;
	/* nvme0n1p1, mmcblk0p1, nbd0p1: a digit, 'p', the partition number. */
	if (d >= 2 && t.p[d - 1] == 'p' && isdigit((unsigned char)t.p[d - 2]))
		return false;
	/* sda1, vdb2, xvda1, hdc1: letters-only disk names, then the number. */
	size_t start = has_prefix(t, "xvd") ? 3 :
		       (has_prefix(t, "sd") || has_prefix(t, "vd") || has_prefix(t, "hd")) ? 2 : 0;
	if (start == 0 || start == d)
		return true;
	for (size_t i = start; i < d; i++)
		if (!islower((unsigned char)t.p[i]))
			return true;
	return false;
}

static int parse_diskstats(struct linux_parser *p, struct linux_snapshot *s, const char *r,
			    const char *end)
{
	const char *q = r;
	struct tok t, name;
	uint64_t major, minor, f[8] = { 0 };
	if (!tok_next(&q, end, &t) || !tok_u64(t, &major) || !tok_next(&q, end, &t) ||
	    !tok_u64(t, &minor) || !tok_next(&q, end, &name))
		return bad_line(p, "diskstats", r, (size_t)(end - r));
	int n = 0;
	while (tok_next(&q, end, &t)) {
		uint64_t x;
		if (!tok_u64(t, &x))
			return bad_line(p, "diskstats", r, (size_t)(end - r));
		if (n < 8)
			f[n] = x;
		n++;
	}
	/* Kernels before 2.6.25 gave partitions 4 fields; disks have 11+. */
	if (n == 4) {
		s->have |= LHAVE_DISKSTATS;
		return 0;
	}
	if (n < 7)
		return bad_line(p, "diskstats", r, (size_t)(end - r));
	s->have |= LHAVE_DISKSTATS;
	if (whole_disk(name))
		counters_add(s, &s->disks, name, f[2], f[6]);
	return 0;
}

static void parse_dfarg(struct linux_snapshot *s, const char *r, const char *end)
{
	if (s->nmounts == s->mounts_cap) {
		s->mounts_cap = s->mounts_cap ? 2 * s->mounts_cap : 4;
		s->mounts = xrealloc(s->mounts, s->mounts_cap * sizeof *s->mounts);
	}
	s->mounts[s->nmounts++] =
		(struct linux_mount){ .name_off = names_add(s, r, (size_t)(end - r)) };
}

static bool is_capacity(struct tok t)
{
	if (tok_is(t, "-"))
		return true;
	uint64_t v;
	return t.n >= 2 && t.p[t.n - 1] == '%' && tok_u64((struct tok){ t.p, t.n - 1 }, &v);
}

/* `df -Pk` columns: filesystem, 1024-blocks, used, available, capacity,
 * mount point. The filesystem and the mount point may hold spaces, so the
 * numbers are found as three counters followed by a capacity. */
static int parse_df(struct linux_parser *p, struct linux_snapshot *s, const char *r,
		     const char *end)
{
	if (s->nmounts == 0)
		return bad_line(p, "df (no dfarg before it)", r, (size_t)(end - r));
	struct linux_mount *m = &s->mounts[s->nmounts - 1];
	if (m->has_df)
		return 0; /* df wrapped a long line after all; the first one has it */
	const char *q = r;
	struct tok t, last[3] = { { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	int seen = 0;
	while (tok_next(&q, end, &t)) {
		if (seen >= 4 && is_capacity(t) && tok_u64(last[0], &m->total_kb) &&
		    tok_u64(last[1], &m->used_kb) && tok_u64(last[2], &m->avail_kb)) {
			m->has_df = true;
			return 0;
		}
		last[0] = last[1];
		last[1] = last[2];
		last[2] = t;
		seen++;
	}
	return bad_line(p, "df", r, (size_t)(end - r));
}

static int frame_end(struct linux_parser *p, struct linux_snapshot *s)
{
	const char *dup;
	if ((dup = counters_seal(s, &s->ifaces))) {
		char ex[96];
		return frame_fail(p, "interface '%s' listed twice", excerpt(dup, strlen(dup), ex, sizeof ex));
	}
	if ((dup = counters_seal(s, &s->disks))) {
		char ex[96];
		return frame_fail(p, "disk '%s' listed twice", excerpt(dup, strlen(dup), ex, sizeof ex));
	}
	for (size_t i = 0; i < s->nmounts; i++)
		s->mounts[i].name = s->names.data + s->mounts[i].name_off;
	const struct linux_snapshot *prev = p->have_prev ? &p->snap[!p->cur] : NULL;
	linux_metrics_emit(prev, s, p->emit, p->arg);
	p->cur = !p->cur;
	p->have_prev = true;
	p->frames++;
	p->state = PS_OUTSIDE;
	return 0;
}

static void frame_start(struct linux_parser *p, const char *line, size_t len)
{
	const char *r = line + 5, *end = line + len;
	struct tok t;
	uint64_t version, seq;
	if (p->state == PS_IN_FRAME)
		frame_fail(p, "truncated (a new frame began before its end)");
	if (!tok_next(&r, end, &t) || !tok_u64(t, &version) || !tok_next(&r, end, &t) ||
	    !tok_u64(t, &seq) || tok_next(&r, end, &t)) {
		char ex[96];
		stream_fail(p, "bad frame line '%s'", excerpt(line, len, ex, sizeof ex));
		return;
	}
	p->seq = seq;
	if (version != 1) {
		frame_fail(p, "probe format %llu, expected 1 (a newer fleetop's probe?)",
			   (unsigned long long)version);
		return;
	}
	p->state = PS_IN_FRAME;
	p->frame_bytes = 0;
	linux_snapshot_reset(&p->snap[p->cur]);
}

static int handle_line(struct linux_parser *p, char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	const char *r = line, *end = line + len;
	struct tok tag;
	if (!tok_next(&r, end, &tag) || tag.p != line)
		tag.n = 0;
	if (tok_is(tag, "frame")) {
		frame_start(p, line, len);
		if (p->state == PS_IN_FRAME)
			p->frame_bytes += len + 1;
		return 0;
	}
	if (p->state == PS_SKIPPING && tok_is(tag, "end"))
		p->state = PS_OUTSIDE;
	if (p->state != PS_IN_FRAME)
		return 0;
	p->frame_bytes += len + 1;
	if (p->frame_bytes > LINUX_FRAME_MAX)
		return frame_fail(p, "frame larger than %d bytes", LINUX_FRAME_MAX);
	if (memchr(line, '\0', len))
		return bad_line(p, "binary", line, len);
	struct linux_snapshot *s = &p->snap[p->cur];
	/* What follows the tag and its one space. */
	const char *rest = line + tag.n + (tag.n < len ? 1 : 0);
	if (tok_is(tag, "uptime"))
		parse_uptime(p, s, rest, end);
	else if (tok_is(tag, "stat"))
		parse_stat(p, s, rest, end);
	else if (tok_is(tag, "loadavg"))
		parse_loadavg(p, s, rest, end);
	else if (tok_is(tag, "meminfo"))
		parse_meminfo(p, s, rest, end);
	else if (tok_is(tag, "netdev"))
		parse_netdev(p, s, rest, end);
	else if (tok_is(tag, "diskstats"))
		parse_diskstats(p, s, rest, end);
	else if (tok_is(tag, "dfarg"))
		parse_dfarg(s, rest, end);
	else if (tok_is(tag, "df"))
		parse_df(p, s, rest, end);
	else if (tok_is(tag, "procs")) {
		struct tok t;
		if (!tok_next(&rest, end, &t) || !tok_u64(t, &s->procs))
			return bad_line(p, "procs", line, len);
		s->have |= LHAVE_PROCS;
	} else if (tok_is(tag, "end")) {
		struct tok t;
		uint64_t seq;
		if (!tok_next(&rest, end, &t) || !tok_u64(t, &seq) || seq != p->seq)
			return bad_line(p, "end", line, len);
		frame_end(p, s);
	}
	/* "missing FILE" and tags of later probe versions add nothing. */
	return 0;
}

static void line_too_long(struct linux_parser *p)
{
	if (p->state == PS_IN_FRAME)
		frame_fail(p, "line longer than %d bytes", LINUX_LINE_MAX);
}

int linux_parser_feed(struct linux_parser *p, const char *data, size_t len,
		      metric_emit_fn emit, void *arg, struct error *err)
{
	p->err = err;
	p->failed = false;
	p->frames = 0;
	p->emit = emit;
	p->arg = arg;
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(data + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
		if (!p->line_long) {
			if (p->line_len + n > LINUX_LINE_MAX) {
				line_too_long(p);
				p->line_long = true;
			} else {
				memcpy(p->line + p->line_len, data + i, n);
				p->line_len += n;
			}
		}
		i += n;
		if (nl) {
			i++;
			if (!p->line_long) {
				p->line[p->line_len] = '\0';
				handle_line(p, p->line, p->line_len);
			}
			p->line_long = false;
			p->line_len = 0;
		}
	}
	p->err = NULL;
	p->emit = NULL;
	p->arg = NULL;
	return p->failed ? -1 : p->frames;
}

struct linux_parser *linux_parser_new(const char *host)
{
	struct linux_parser *p = xcalloc(1, sizeof *p);
	p->host = xstrdup(host ? host : "?");
	return p;
}

void linux_parser_free(struct linux_parser *p)
{
	if (!p)
		return;
	linux_snapshot_free(&p->snap[0]);
	linux_snapshot_free(&p->snap[1]);
	free(p->host);
	free(p);
}
