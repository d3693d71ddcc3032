/* Custom collectors: a command of the admin's, run on the host over SSH at
 * an interval, printing JSON lines that become custom.* metrics and events
 * (fleetop-collectors(7)). A command may also run for ever and stream; a
 * run still going at the next interval is left alone. One bad line costs
 * that line only, with an error naming the host, collector and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect_private.h"
#include "fleetop/text.h"
#include "fleetop/loop.h"
#include "fleetop/ssh.h"

#define MAX_COLLECTORS 8
#define DEFAULT_INTERVAL_MS 30000

struct custom_run {
	struct custom_host *ch;
	char *name;            /* "" for custom_command, NAME for custom_command_NAME */
	char *command;
	int64_t interval_ms, timeout_ms;
	struct ssh_exec *exec;
	struct buf line;
	bool skipping;         /* an overlong line, dropped to its newline */
	long lineno;
	int64_t last_output_ms;
	uint64_t run_timer, watch_timer;
	struct buf err;        /* stderr of this run */
	char error[400];       /* the last problem, "" when the last run was clean */
	bool run_had_error;
};

struct custom_host {
	struct custom_runner *r;
	struct host *host;
	bool configured;
	struct custom_run runs[MAX_COLLECTORS];
	int nruns;
};

struct custom_runner {
	struct collector *c;
	struct host_slots hosts; /* struct custom_host by host id */
};

static void run_start(struct custom_run *cr);

struct custom_runner *custom_runner_new(struct collector *c)
{
	struct custom_runner *r = xcalloc(1, sizeof *r);
	r->c = c;
	return r;
}

static struct loop *loop_of(struct custom_run *cr)
{
	return collector_loop(cr->ch->r->c);
}

static const char *run_label(const struct custom_run *cr, char *buf, size_t size)
{
	if (cr->name[0])
		snprintf(buf, size, "custom collector %s", cr->name);
	else
		snprintf(buf, size, "custom collector");
	return buf;
}

/* custom.error shows the first collector of the host with a problem. */
static void host_error_update(struct custom_host *ch)
{
	for (int i = 0; i < ch->nruns; i++) {
		if (ch->runs[i].error[0]) {
			host_set_info(ch->host, "custom.error", ch->runs[i].error);
			return;
		}
	}
	host_set_info(ch->host, "custom.error", NULL);
}

static void run_error(struct custom_run *cr, const char *fmt, ...) FT_PRINTF(2, 3);
static void run_error(struct custom_run *cr, const char *fmt, ...)
{
	char label[96], msg[240];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(cr->error, sizeof cr->error, "%s: %s", run_label(cr, label, sizeof label), msg);
	text_sanitize(cr->error, strlen(cr->error), 0); /* the collector's stderr, say */
	cr->run_had_error = true;
	log_warn("%s: %s", cr->ch->host->name, cr->error);
	host_error_update(cr->ch);
}

static void emit_item(void *arg, const struct custom_item *it)
{
	struct custom_run *cr = arg;
	struct collector *c = cr->ch->r->c;
	if (it->kind == CUSTOM_METRIC)
		collector_emit(c, cr->ch->host, it->metric, it->ts_ms, it->value);
	else
		collector_event(c, cr->ch->host, it->ts_ms, it->severity, it->event, it->message);
}

static void run_line(struct custom_run *cr, const char *l, size_t len)
{
	struct error err;
	cr->lineno++;
	if (custom_parse_line(l, len, emit_item, cr, &err) < 0)
		run_error(cr, "line %ld: %s", cr->lineno, err.msg);
}

static void run_stdout(void *arg, const char *data, size_t len)
{
	struct custom_run *cr = arg;
	cr->last_output_ms = loop_awake_ms(loop_of(cr));
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		if (cr->skipping || cr->line.len + take > CUSTOM_MAX_LINE) {
			if (!cr->skipping) {
				cr->lineno++;
				run_error(cr, "line %ld: longer than %d bytes; skipped", cr->lineno,
					  CUSTOM_MAX_LINE);
			}
			buf_reset(&cr->line);
			cr->skipping = true;
		} else {
			buf_append(&cr->line, data, take);
		}
		if (!nl)
			return;
		if (cr->skipping)
			cr->skipping = false;
		else
			run_line(cr, cr->line.data ? cr->line.data : "", cr->line.len);
		buf_reset(&cr->line);
		data += take + 1;
		len -= take + 1;
	}
}

static void run_stderr(void *arg, const char *data, size_t len)
{
	struct custom_run *cr = arg;
	cr->last_output_ms = loop_awake_ms(loop_of(cr));
	if (cr->err.len < 300)
		buf_append(&cr->err, data, len);
}

static void run_exit(void *arg, int status, const char *error)
{
	struct custom_run *cr = arg;
	cr->exec = NULL;
	loop_timer_del(loop_of(cr), cr->watch_timer);
	cr->watch_timer = 0;
	/* A last line without its newline still counts. */
	if (cr->line.len && !cr->skipping)
		run_line(cr, cr->line.data, cr->line.len);
	buf_reset(&cr->line);
	cr->skipping = false;
	char *e = buf_first_line(&cr->err);
	if (cr->ch->host->state != HOST_UP)
		return;
	if (error)
		run_error(cr, "%s", error);
	else if (status != 0)
		run_error(cr, "exited with status %d%s%.150s", status, *e ? ": " : "", e);
	else if (!cr->run_had_error && cr->error[0]) {
		cr->error[0] = '\0';
		host_error_update(cr->ch);
	}
}

static const struct ssh_exec_cbs run_cbs = { run_stdout, run_stderr, run_exit };

static void on_watch(struct loop *loop, void *arg)
{
	struct custom_run *cr = arg;
	cr->watch_timer = 0;
	int64_t quiet = loop_awake_ms(loop) - cr->last_output_ms;
	if (!cr->exec)
		return;
	if (quiet >= cr->timeout_ms) {
		ssh_exec_cancel(cr->exec);
		cr->exec = NULL;
		run_error(cr, "printed nothing for %llds; stopped", (long long)(quiet / 1000));
		return;
	}
	cr->watch_timer = loop_timer_add(loop, cr->timeout_ms - quiet, on_watch, cr);
}

static void on_run_timer(struct loop *loop, void *arg)
{
	struct custom_run *cr = arg;
	cr->run_timer = loop_timer_add(loop, cr->interval_ms, on_run_timer, cr);
	if (!cr->exec && cr->ch->host->state == HOST_UP)
		run_start(cr);
}

static void run_start(struct custom_run *cr)
{
	struct collector *c = cr->ch->r->c;
	struct error err = { { 0 } };
	buf_reset(&cr->err);
	buf_reset(&cr->line);
	cr->skipping = false;
	cr->lineno = 0;
	cr->run_had_error = false;
	cr->exec = ssh_pool_exec(collector_pool(c), cr->ch->host, cr->command, "", 0, &run_cbs, cr,
				 &err);
	if (!cr->exec) {
		run_error(cr, "cannot start: %s", err.msg);
		return;
	}
	cr->last_output_ms = loop_awake_ms(loop_of(cr));
	loop_timer_del(loop_of(cr), cr->watch_timer);
	cr->watch_timer = loop_timer_add(loop_of(cr), cr->timeout_ms, on_watch, cr);
}

static int64_t duration_var(const struct host *h, const char *key, const char *name,
			    int64_t dflt)
{
	/* custom_interval_NAME, else the shared custom_interval. */
	char k[128];
	snprintf(k, sizeof k, "%s%s%s", key, name[0] ? "_" : "", name);
	return collector_var_duration(h, host_var(h, k) ? k : key, dflt, 1000);
}

static void configure(struct custom_host *ch)
{
	struct host *h = ch->host;
	ch->configured = true;
	for (size_t i = 0; i < h->nvars && ch->nruns < MAX_COLLECTORS; i++) {
		const char *k = h->vars[i].key;
		const char *name;
		if (!strcmp(k, "custom_command"))
			name = "";
		else if (str_starts_with(k, "custom_command_") && k[15])
			name = k + 15;
		else
			continue;
		if (!h->vars[i].value[0])
			continue;
		struct custom_run *cr = &ch->runs[ch->nruns++];
		cr->ch = ch;
		cr->name = xstrdup(name);
		cr->command = xstrdup(h->vars[i].value);
		cr->interval_ms = duration_var(h, "custom_interval", name, DEFAULT_INTERVAL_MS);
		cr->timeout_ms = duration_var(h, "custom_timeout", name, cr->interval_ms);
	}
}

void custom_runner_host_up(struct custom_runner *r, struct host *h)
{
	void **slot = host_slot(&r->hosts, h->id);
	struct custom_host *ch = *slot;
	if (!ch) {
		ch = *slot = xcalloc(1, sizeof *ch);
		ch->r = r;
		ch->host = h;
		configure(ch);
	}
	for (int i = 0; i < ch->nruns; i++) {
		struct custom_run *cr = &ch->runs[i];
		if (cr->run_timer || cr->exec)
			continue;
		/* First run soon after the host comes up, spread a little. */
		int64_t first = 200 + (int64_t)((h->id * 131u + (unsigned)i * 977u) % 800u);
		cr->run_timer = loop_timer_add(loop_of(cr), first, on_run_timer, cr);
	}
}

void custom_runner_host_down(struct custom_runner *r, struct host *h)
{
	struct custom_host *ch = host_slot_get(&r->hosts, h->id);
	if (!ch)
		return;
	for (int i = 0; i < ch->nruns; i++) {
		struct custom_run *cr = &ch->runs[i];
		loop_timer_del(loop_of(cr), cr->run_timer);
		loop_timer_del(loop_of(cr), cr->watch_timer);
		cr->run_timer = cr->watch_timer = 0;
		/* The pool ends the channel (its on_exit sees the host down). */
	}
}

void custom_runner_free(struct custom_runner *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->hosts.n; i++) {
		struct custom_host *ch = r->hosts.v[i];
		if (!ch)
			continue;
		for (int j = 0; j < ch->nruns; j++) {
			struct custom_run *cr = &ch->runs[j];
			loop_timer_del(loop_of(cr), cr->run_timer);
			loop_timer_del(loop_of(cr), cr->watch_timer);
			if (cr->exec)
				ssh_exec_cancel(cr->exec);
			buf_free(&cr->line);
			buf_free(&cr->err);
			free(cr->name);
			free(cr->command);
		}
		free(ch);
	}
	free(r->hosts.v);
	free(r);
}
