/* Delivery: outbox rows become sends on the loop (HTTP and SMTP through
 * libcurl, sender_http.c; command hooks, sender_cmd.c). Nothing blocks.
 *
 * A poll reads due rows (every second, at once on a kick, and when a send
 * ends), renders each for its receiver and starts it: at most
 * MAX_IN_FLIGHT at a time and MAX_PER_RECEIVER for one receiver, so a dead
 * endpoint holding its sends until their timeout leaves room for the
 * others; a receiver that answered 429/503 with a wait gets nothing until
 * then. Every outcome is written to the row at once: confirmed, retry at
 * a time (backoff, or what a rate limit asked for), or failed for good.
 * A row is confirmed only by its confirmation, so a crash resends exactly
 * the unconfirmed, with the same key. One process a history file sends
 * (store_lock): the console and a `fleetop notify` beside it never
 * both send a row.
 *
 * Requests hold secrets (webhook URLs, tokens, passwords): logs and stored
 * errors name only req.what and the row's key, and any text that comes
 * back is redacted first (notify_xfer_text). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sender_private.h"

#define MAX_IN_FLIGHT 16
#define MAX_PER_RECEIVER 4
#define POLL_MS 1000
/* The widest look at due rows when gated receivers' rows fill the first. */
#define MAX_SCAN 4096

static void kick_in(struct notify_sender *s, int64_t delay_ms);

static struct notify_gate *gate(struct notify_sender *s, const char *receiver)
{
	for (size_t i = 0; i < s->ngates; i++)
		if (!strcmp(s->gates[i].receiver, receiver))
			return &s->gates[i];
	s->gates = xrealloc(s->gates, (s->ngates + 1) * sizeof *s->gates);
	s->gates[s->ngates] = (struct notify_gate){ .receiver = xstrdup(receiver) };
	return &s->gates[s->ngates++];
}

/* ---- a send's end ---- */

static void xfer_free(struct xfer *x)
{
	notify_http_stop(x);
	notify_cmd_stop(x);
	for (int i = 0; i < 2; i++)
		if (x->secret_copy[i]) {
			explicit_bzero(x->secret_copy[i], strlen(x->secret_copy[i]));
			free(x->secret_copy[i]);
		}
	notify_request_free(&x->req);
	buf_free(&x->reply);
	free(x->key);
	free(x->receiver);
	free(x);
}

static void xfer_unlink(struct xfer *x)
{
	struct notify_sender *s = x->s;
	for (struct xfer **p = &s->xfers; *p; p = &(*p)->next)
		if (*p == x) {
			*p = x->next;
			s->in_flight--;
			gate(s, x->receiver)->in_flight--;
			return;
		}
}

static void fmt_wait(int64_t ms, char *out, size_t size)
{
	if (ms < 10000)
		snprintf(out, size, "%.1fs", (double)ms / 1000.0);
	else if (ms < 120000)
		snprintf(out, size, "%llds", (long long)(ms / 1000));
	else
		snprintf(out, size, "%lldm", (long long)(ms / 60000));
}

static int write_outcome(struct notify_sender *s, const struct notify_outcome *o,
			 struct error *err)
{
	switch (o->v) {
	case NOTIFY_SENT:
		return store_outbox_sent(s->st, o->id, o->at_ms, err);
	case NOTIFY_RETRY:
		return store_outbox_retry(s->st, o->id, o->at_ms, o->msg, err);
	case NOTIFY_FAIL:
		return store_outbox_failed(s->st, o->id, o->at_ms, o->msg, err);
	}
	return 0;
}

/* Writes the outcomes the history did not take before; true when none is
 * left. */
static bool flush_unwritten(struct notify_sender *s)
{
	size_t kept = 0;
	for (size_t i = 0; i < s->nunwritten; i++) {
		struct notify_outcome *o = &s->unwritten[i];
		struct error err;
		if (write_outcome(s, o, &err) < 0) {
			s->unwritten[kept++] = *o;
			continue;
		}
		log_info("notify: %s: outcome recorded at last", o->key);
		free(o->key);
		free(o->msg);
	}
	s->nunwritten = kept;
	return kept == 0;
}

void notify_xfer_done(struct xfer *x, enum notify_verdict v, int64_t retry_in_ms, const char *msg)
{
	struct notify_sender *s = x->s;
	struct error err;
	int64_t now = time_wall_ms();
	long long took = (long long)(time_mono_ms() - x->started_mono);
	if (!msg)
		msg = "?";
	if (v == NOTIFY_RETRY && now - x->created_ms >= NOTIFY_GIVE_UP_MS) {
		char *m = xasprintf("gave up after %d tries in %lld h: %s", x->tries + 1,
				    (long long)(NOTIFY_GIVE_UP_MS / 3600000), msg);
		notify_xfer_done(x, NOTIFY_FAIL, -1, m);
		free(m);
		return;
	}
	struct notify_outcome o = { .id = x->id, .v = v, .at_ms = now, .key = x->key,
				    .msg = v == NOTIFY_SENT ? NULL : (char *)msg };
	switch (v) {
	case NOTIFY_SENT:
		s->sent++;
		log_info("notify: %s: sent to %s (try %d, %lld ms)", x->key, x->req.what,
			 x->tries + 1, took);
		break;
	case NOTIFY_RETRY: {
		int64_t wait = retry_in_ms >= 0 ? retry_in_ms : notify_backoff_ms(x->tries, random_u32());
		char w[32];
		fmt_wait(wait, w, sizeof w);
		if (retry_in_ms >= 0) {
			/* The limit is the receiver's: its other rows wait too. */
			struct notify_gate *g = gate(s, x->receiver);
			if (g->not_before_ms < now + wait)
				g->not_before_ms = now + wait;
		}
		o.at_ms = now + wait;
		s->retried++;
		log_warn("notify: %s: try %d failed, again in %s%s: %s", x->key, x->tries + 1, w,
			 retry_in_ms >= 0 ? " (as asked)" : "", msg);
		break;
	}
	case NOTIFY_FAIL:
		s->failed++;
		log_warn("notify: %s: failed for good after %d %s: %s", x->key, x->tries + 1,
			 x->tries ? "tries" : "try", msg);
		break;
	}
	/* Not recorded (the history is busy or full): keep it and write it
	 * at the next poll; the row is not sent again meanwhile. Only if this
	 * process ends first does the row go out again (same key). */
	if (write_outcome(s, &o, &err) < 0) {
		log_error("notify: %s: %s; trying again", x->key, err.msg);
		s->unwritten = xrealloc(s->unwritten, (s->nunwritten + 1) * sizeof *s->unwritten);
		o.key = xstrdup(o.key);
		o.msg = o.msg ? xstrdup(o.msg) : NULL;
		s->unwritten[s->nunwritten++] = o;
	}
	xfer_unlink(x);
	xfer_free(x);
	kick_in(s, 0); /* a slot is free */
}

void notify_xfer_keep(struct xfer *x, const char *data, size_t len)
{
	if (x->reply.len >= NOTIFY_REPLY_MAX)
		return;
	size_t room = NOTIFY_REPLY_MAX - x->reply.len;
	buf_append(&x->reply, data, len < room ? len : room);
}

char *notify_xfer_text(const struct xfer *x, const char *text, size_t len)
{
	struct buf b = { 0 };
	/* Redact before cutting, so a secret cut in half cannot slip out. */
	char *copy = xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (!copy[i])
			copy[i] = ' ';
	notify_redact(copy, x->secrets, x->nsecrets);
	notify_excerpt(&b, copy, strlen(copy), NOTIFY_EXCERPT_MAX);
	free(copy);
	char *out = xstrdup(b.data ? b.data : "");
	buf_free(&b);
	return out;
}

/* What must never show in a message: the URL (all of it, and its path,
 * where a webhook's token sits), the password, header values (tokens, and
 * the token alone after "Bearer "), and the receiver's secret. */
static void add_secret(struct xfer *x, const char *p)
{
	if (p && x->nsecrets < NOTIFY_MAX_SECRETS)
		x->secrets[x->nsecrets++] = p;
}

static void collect_secrets(struct xfer *x, const struct notify_receiver *r)
{
	struct notify_request *q = &x->req;
	if (r->url)
		add_secret(x, x->secret_copy[0] = xstrdup(r->url));
	if (r->secret)
		add_secret(x, x->secret_copy[1] = xstrdup(r->secret));
	if (q->url) {
		add_secret(x, q->url);
		const char *host = strstr(q->url, "://");
		const char *path = host ? strchr(host + 3, '/') : NULL;
		if (path && strlen(path) > 1)
			add_secret(x, path);
	}
	if (q->userpwd) {
		const char *colon = strchr(q->userpwd, ':');
		add_secret(x, colon ? colon + 1 : q->userpwd);
	}
	for (size_t i = 0; i < q->nheaders; i++) {
		const char *h = q->headers[i];
		const char *v = strchr(h, ':');
		if (!v || !strncasecmp(h, "Content-Type:", 13) || !strncasecmp(h, "Accept:", 7) ||
		    !strncasecmp(h, "User-Agent:", 11) || !strncasecmp(h, "Idempotency-Key:", 16))
			continue;
		v++;
		while (*v == ' ')
			v++;
		add_secret(x, v);
		const char *sp = strrchr(v, ' ');
		if (sp)
			add_secret(x, sp + 1);
	}
}

/* ---- the poll: due rows -> sends ---- */

struct due_row {
	int64_t id, created_ms, next_try_ms;
	int tries;
	char *key, *receiver, *body;
};
struct due_rows {
	struct due_row *v;
	size_t n, cap;
};

static void collect_due(void *arg, const struct store_outbox *o)
{
	struct due_rows *d = arg;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 32;
		d->v = xrealloc(d->v, d->cap * sizeof *d->v);
	}
	d->v[d->n++] = (struct due_row){
		.id = o->id, .created_ms = o->created_ms, .next_try_ms = o->next_try_ms,
		.tries = o->tries, .key = xstrdup(o->key), .receiver = xstrdup(o->receiver),
		.body = xstrdup(o->body),
	};
}

static void due_free(struct due_rows *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].key);
		free(d->v[i].receiver);
		free(d->v[i].body);
	}
	free(d->v);
	memset(d, 0, sizeof *d);
}

/* In flight, or done with an outcome not written yet. */
static bool in_flight(const struct notify_sender *s, int64_t id)
{
	for (const struct xfer *x = s->xfers; x; x = x->next)
		if (x->id == id)
			return true;
	for (size_t i = 0; i < s->nunwritten; i++)
		if (s->unwritten[i].id == id)
			return true;
	return false;
}

/* A row that cannot be sent as it is (its body does not read, its
 * receiver is gone): failed at once, with why. */
static void row_failed(struct notify_sender *s, const struct due_row *r, const char *msg)
{
	struct error err;
	s->failed++;
	log_warn("notify: %s: failed for good: %s", r->key, msg);
	if (store_outbox_failed(s->st, r->id, time_wall_ms(), msg, &err) < 0)
		log_error("notify: %s: %s", r->key, err.msg);
}

static void start_row(struct notify_sender *s, const struct due_row *r)
{
	struct notification n;
	struct error err;
	memset(&n, 0, sizeof n);
	if (notification_from_json(&n, r->body, &err) < 0) {
		char *m = xasprintf("the stored notification does not read: %s", err.msg);
		row_failed(s, r, m);
		free(m);
		return;
	}
	const struct notify_receiver *recv = s->cfg ? notify_config_receiver(s->cfg, r->receiver)
						    : NULL;
	if (!recv) {
		char *m = xasprintf("no receiver '%s' in %s", r->receiver,
				    s->cfg && s->cfg->path ? s->cfg->path : "notify.conf");
		row_failed(s, r, m);
		free(m);
		notification_free(&n);
		return;
	}
	struct xfer *x = xcalloc(1, sizeof *x);
	x->s = s;
	x->id = r->id;
	x->created_ms = r->created_ms;
	x->tries = r->tries;
	x->key = xstrdup(r->key);
	x->receiver = xstrdup(r->receiver);
	x->in_fd = x->out_fd = x->pid_fd = -1;
	x->started_mono = time_mono_ms();
	int rc = notify_render(recv, &n, &x->req, &err);
	notification_free(&n);
	if (rc < 0) {
		row_failed(s, r, err.msg);
		xfer_free(x);
		return;
	}
	collect_secrets(x, recv);
	x->next = s->xfers;
	s->xfers = x;
	s->in_flight++;
	gate(s, x->receiver)->in_flight++;
	bool cmd = x->req.kind == REQ_COMMAND;
	if ((cmd ? notify_cmd_start(x, &err) : notify_http_start(x, &err)) < 0) {
		/* A hook that is not there fails; out of fds or processes is a
		 * passing shortage. */
		notify_xfer_done(x, cmd && x->req.argv && strstr(err.msg, "cannot run")
					    ? NOTIFY_FAIL : NOTIFY_RETRY, -1, err.msg);
		return;
	}
	log_debug("notify: %s: sending to %s (try %d)", x->key, x->req.what, x->tries + 1);
}

/* One look at up to limit rows due before the next poll: starts what may
 * start, lowers *next (ms from now) to the earliest row or gate that opens
 * before it. True when rows that may start could lie beyond limit. */
static bool poll_pass(struct notify_sender *s, int64_t now, int limit, int64_t *next)
{
	struct due_rows d = { 0 };
	struct error err;
	if (store_outbox_due(s->st, now + POLL_MS, limit, collect_due, &d, &err) < 0) {
		log_warn("notify: %s", err.msg);
		return false;
	}
	bool more = d.n == (size_t)limit;
	for (size_t i = 0; i < d.n; i++) {
		struct due_row *r = &d.v[i];
		if (in_flight(s, r->id))
			continue;
		if (r->next_try_ms > now) {
			if (r->next_try_ms - now < *next)
				*next = r->next_try_ms - now;
			more = false; /* ordered by next_try: the rest come later */
			break;
		}
		if (s->in_flight >= MAX_IN_FLIGHT) {
			more = false; /* a send that ends kicks */
			break;
		}
		struct notify_gate *g = gate(s, r->receiver);
		if (g->not_before_ms > now) {
			if (g->not_before_ms - now < *next)
				*next = g->not_before_ms - now;
			continue;
		}
		if (g->in_flight >= MAX_PER_RECEIVER)
			continue; /* one of its sends that ends kicks */
		start_row(s, r);
	}
	due_free(&d);
	return more;
}

static void poll_outbox(struct loop *loop, void *arg)
{
	struct notify_sender *s = arg;
	struct error err;
	s->poll_timer = 0;
	s->kicked = false;
	int held = store_lock(s->st, "outbox", &s->lock_fd, &err);
	if (held < 0 && !s->lock_warned) {
		log_warn("notify: %s", err.msg);
		s->lock_warned = true;
	}
	if (held != 1) {
		/* Another process sends; ours waits its turn. */
		kick_in(s, POLL_MS);
		return;
	}
	/* Rows due now and those due before the next poll (a retry due in
	 * 300 ms is not kept waiting a second). Rows in flight are pending
	 * and due too, and rows of gated receivers are passed over: when
	 * they fill a look, look wider. */
	flush_unwritten(s);
	int64_t now = time_wall_ms(), next = POLL_MS;
	int limit = (int)(s->in_flight + s->nunwritten) + MAX_IN_FLIGHT + 1;
	while (poll_pass(s, now, limit, &next) && limit < MAX_SCAN)
		limit = limit * 4 < MAX_SCAN ? limit * 4 : MAX_SCAN;
	if (!s->poll_timer)
		kick_in(s, next);
}

/* (Re)arms the poll to run in delay_ms, unless it runs at once already. */
static void kick_in(struct notify_sender *s, int64_t delay_ms)
{
	if (s->kicked)
		return;
	loop_timer_del(s->loop, s->poll_timer);
	s->poll_timer = loop_timer_add(s->loop, delay_ms, poll_outbox, s);
	s->kicked = delay_ms == 0;
}

/* ---- the public face ---- */

struct notify_sender *notify_sender_new(struct loop *loop, struct store *st,
					const struct notify_config *cfg)
{
	/* A hook that exits before reading its stdin must not kill us with
	 * SIGPIPE (the cli ignores it already; a test may not). Hooks get
	 * the default back (sender_cmd.c). */
	struct sigaction old;
	if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	struct notify_sender *s = xcalloc(1, sizeof *s);
	s->loop = loop;
	s->st = st;
	s->cfg = cfg;
	s->lock_fd = -1;
	if (notify_http_init(s) < 0) {
		log_error("notify: cannot start libcurl");
		free(s);
		return NULL;
	}
	kick_in(s, 0);
	return s;
}

void notify_sender_set_config(struct notify_sender *s, const struct notify_config *cfg)
{
	if (!s)
		return; /* no sender (libcurl did not start): nothing to tell */
	s->cfg = cfg; /* sends in flight carry their own rendered requests */
}

void notify_sender_kick(struct notify_sender *s)
{
	if (s)
		kick_in(s, 0);
}

static void count_row(void *arg, const struct store_outbox *o)
{
	(*(size_t *)arg)++;
}

void notify_sender_stats(const struct notify_sender *s, struct notify_sender_stats *st)
{
	struct error err;
	memset(st, 0, sizeof *st);
	if (!s)
		return;
	st->sent = s->sent;
	st->retried = s->retried;
	st->failed = s->failed;
	st->in_flight = s->in_flight;
	if (store_outbox_list(s->st, "pending", 0, count_row, &st->pending, &err) < 0)
		st->pending = 0;
}

void notify_sender_free(struct notify_sender *s)
{
	if (!s)
		return;
	/* Sends in flight stay unconfirmed: they go again at the next start. */
	while (s->xfers) {
		struct xfer *x = s->xfers;
		s->xfers = x->next;
		xfer_free(x);
	}
	if (!flush_unwritten(s))
		log_error("notify: %zu outcomes could not be recorded: those rows go out again",
			  s->nunwritten);
	for (size_t i = 0; i < s->nunwritten; i++) {
		free(s->unwritten[i].key);
		free(s->unwritten[i].msg);
	}
	free(s->unwritten);
	loop_timer_del(s->loop, s->poll_timer);
	notify_http_cleanup(s);
	for (size_t i = 0; i < s->ngates; i++)
		free(s->gates[i].receiver);
	free(s->gates);
	store_unlock(&s->lock_fd);
	free(s);
}
