/* sim control: `cpu HOST PCT [SECONDS]` / `cpu HOST auto` lines on
 * DIR/control. The model holds the CPU asked for while its counters stay
 * monotonic; lines are checked (bad ones change nothing); a timed hold
 * ends by itself; and the FIFO of a running sim takes lines from a writer,
 * printing when each took effect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim_ports.h"
#include "fleetop/core.h"
#include "fleetop/loop.h"
#include "fleetop/sim.h"
#include "sim/model.h"
#include "sim/sim_private.h"

static double cpu_sum(const double *cpu)
{
	double t = 0;
	for (int i = 0; i < CPU_NFIELDS; i++)
		t += cpu[i];
	return t;
}

/* Busy share between two snapshots of the counters, as the probe's
 * reader computes it: all but idle and iowait. */
static double util_between(const double *a, const double *b)
{
	double total = cpu_sum(b) - cpu_sum(a);
	double idle = (b[CPU_IDLE] - a[CPU_IDLE]) + (b[CPU_IOWAIT] - a[CPU_IOWAIT]);
	return total > 0 ? (total - idle) / total : -1;
}

static void assert_monotonic(const double *a, const double *b)
{
	for (int i = 0; i < CPU_NFIELDS; i++)
		assert_true(b[i] >= a[i]);
}

static void test_model_forced(void **state)
{
	(void)state;
	struct model_clock clk = { .start_mono_ms = 1000, .start_wall_s = 1700000000, .time_scale = 1 };
	for (int idx = 0; idx < 6; idx++) {
		struct model_host m = { .fills_disk = idx == 5 }; /* iowait as high as it gets */
		model_host_init(&m, 9, idx, (enum sim_game)(idx % 3), 1, &clk, 1000);
		double c0[CPU_NFIELDS], c1[CPU_NFIELDS], c2[CPU_NFIELDS], c3[CPU_NFIELDS];
		model_advance(&m, &clk, 2000);
		memcpy(c0, m.cpu, sizeof c0);
		m.cpu_forced = true;
		m.cpu_forced_util = 0.95;
		model_advance(&m, &clk, 3000);
		memcpy(c1, m.cpu, sizeof c1);
		assert_monotonic(c0, c1);
		assert_true(fabs(util_between(c0, c1) - 0.95) < 1e-6);
		/* Half an interval forced, half not: the frame shows the mix. */
		m.cpu_forced_util = 1.0;
		model_advance(&m, &clk, 3500);
		m.cpu_forced_util = 0.0;
		model_advance(&m, &clk, 4000);
		memcpy(c2, m.cpu, sizeof c2);
		assert_monotonic(c1, c2);
		assert_true(fabs(util_between(c1, c2) - 0.5) < 1e-6);
		/* Back to the model's own: a game server's few percent, not 0. */
		m.cpu_forced = false;
		model_advance(&m, &clk, 5000);
		memcpy(c3, m.cpu, sizeof c3);
		assert_monotonic(c2, c3);
		double u = util_between(c2, c3);
		assert_true(u > 0.001 && u < 0.95);
	}
}

/* A sim of three hosts without sockets, enough for the control. */
struct fake {
	struct loop *loop;
	struct sim sim;
	struct sim_host hosts[3];
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof *f);
	f->loop = loop_new();
	f->sim.loop = f->loop;
	f->sim.dir = "/nonexistent";
	f->sim.control_fd = -1;
	f->sim.clock = (struct model_clock){ loop_now_ms(f->loop), 1700000000, 1 };
	f->sim.hosts = f->hosts;
	f->sim.nhosts = 3;
	for (int i = 0; i < 3; i++) {
		struct sim_host *h = &f->hosts[i];
		h->sim = &f->sim;
		h->idx = i;
		snprintf(h->name, sizeof h->name, "mc-%02d", i + 1);
		model_host_init(&h->model, 1, i, GAME_MINECRAFT, 1, &f->sim.clock,
				loop_now_ms(f->loop));
	}
}

static void fake_free(struct fake *f)
{
	sim_control_close(&f->sim);
	loop_free(f->loop);
}

static void test_control_lines(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f);
	struct error err;
	assert_int_equal(sim_control_exec(&f.sim, "cpu mc-02 95", &err), 0);
	assert_true(f.hosts[1].model.cpu_forced);
	assert_true(fabs(f.hosts[1].model.cpu_forced_util - 0.95) < 1e-9);
	assert_false(f.hosts[0].model.cpu_forced);
	assert_int_equal(sim_control_exec(&f.sim, "  cpu\tmc-02   80.5%  # warmer", &err), 0);
	assert_true(fabs(f.hosts[1].model.cpu_forced_util - 0.805) < 1e-9);
	assert_int_equal(sim_control_exec(&f.sim, "cpu mc-02 auto", &err), 0);
	assert_false(f.hosts[1].model.cpu_forced);
	assert_int_equal(sim_control_exec(&f.sim, "", &err), 0);
	assert_int_equal(sim_control_exec(&f.sim, "# nothing", &err), 0);
	assert_int_equal(sim_control_exec(&f.sim, "cpu * 50", &err), 0);
	for (int i = 0; i < 3; i++)
		assert_true(f.hosts[i].model.cpu_forced);
	assert_int_equal(sim_control_exec(&f.sim, "cpu * auto", &err), 0);
	for (int i = 0; i < 3; i++)
		assert_false(f.hosts[i].model.cpu_forced);

	static const struct {
		const char *line, *says;
	} bad[] = {
		{ "cpu mc-09 95", "no host mc-09" },
		{ "cpu mc-01 101", "percentage" },
		{ "cpu mc-01 -1", "percentage" },
		{ "cpu mc-01 nan", "percentage" },
		{ "cpu mc-01 9x", "percentage" },
		{ "cpu mc-01 95 0", "duration" },
		{ "cpu mc-01 95 -2", "duration" },
		{ "cpu mc-01 95 soon", "duration" },
		{ "cpu mc-01 auto 5", "no duration" },
		{ "cpu mc-01", "want" },
		{ "cpu mc-01 95 5 extra", "want" },
		{ "game mc-09 down", "no host mc-09" },
		{ "game mc-01 sideways", "want" },
		{ "game mc-01", "want" },
		{ "game mc-01 up 5", "no duration" },
		{ "game mc-01 down soon", "duration" },
		{ "game mc-01 down 0", "duration" },
		{ "mem mc-01 95", "unknown command" },
		{ "a b c d e f g h i j", "too many" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		assert_int_equal(sim_control_exec(&f.sim, bad[i].line, &err), -1);
		if (!strstr(err.msg, bad[i].says))
			fail_msg("%s: said '%s', want '%s'", bad[i].line, err.msg, bad[i].says);
		for (int h = 0; h < 3; h++)
			assert_false(f.hosts[h].model.cpu_forced);
	}
	char *long_line = xmalloc(3000);
	memset(long_line, 'x', 2999);
	long_line[2999] = '\0';
	assert_int_equal(sim_control_exec(&f.sim, long_line, &err), -1);
	free(long_line);

	/* A timed hold ends by itself; a new command replaces its timer. */
	assert_int_equal(sim_control_exec(&f.sim, "cpu mc-01 90 0.1", &err), 0);
	assert_int_equal(sim_control_exec(&f.sim, "cpu mc-03 90 100ms", &err), 0);
	assert_int_equal(sim_control_exec(&f.sim, "cpu mc-03 70", &err), 0);
	assert_true(f.hosts[0].model.cpu_forced);
	int64_t until = time_mono_ms() + 2000;
	while (f.hosts[0].model.cpu_forced && time_mono_ms() < until)
		loop_run_once(f.loop, 20);
	assert_false(f.hosts[0].model.cpu_forced);
	assert_true(f.hosts[2].model.cpu_forced); /* untimed now */
	assert_int_equal(f.hosts[2].cpu_timer, 0);
	fake_free(&f);
}

static void run_for(struct loop *loop, int ms)
{
	int64_t until = time_mono_ms() + ms;
	while (time_mono_ms() < until)
		loop_run_once(loop, 10);
}

/* The FIFO of a sim started on a loop: lines from a writer take effect,
 * each printed with when; a bad line is skipped and the next one works. */
static void test_control_fifo(void **state)
{
	(void)state;
	char d[] = "/tmp/fleetop-test-simctl-XXXXXX";
	assert_non_null(mkdtemp(d));
	char out_path[PATH_MAX];
	snprintf(out_path, sizeof out_path, "%s/stdout", d);
	int base = sim_free_ports(2, 6151);
	struct loop *loop = loop_new();
	struct sim *s = NULL;
	struct error err;
	struct sim_opts o = { .nhosts = 2, .dir = d, .port = base, .seed = 3, .flap_every_s = -1 };
	assert_int_equal(sim_start(loop, &o, &s, &err), 0);
	char *ctl = xasprintf("%s/control", d);
	struct stat st;
	assert_int_equal(stat(ctl, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	/* stdout to a file for a while, to read the "control:" lines. */
	fflush(stdout);
	int saved = dup(1), fd_out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd_out, 1);
	close(fd_out);

	struct sim_host *h = &s->hosts[1];
	run_for(loop, 50);
	double c0[CPU_NFIELDS], c1[CPU_NFIELDS];
	memcpy(c0, sim_host_model(h)->cpu, sizeof c0);
	int64_t before = time_wall_ms();
	int w = open(ctl, O_WRONLY | O_NONBLOCK);
	assert_true(w >= 0);
	char line[128];
	int n = snprintf(line, sizeof line, "cpu nobody 95\ncpu %s 95", h->name);
	assert_int_equal(write(w, line, (size_t)n), n);
	run_for(loop, 50);
	assert_false(h->model.cpu_forced); /* the line has no end yet */
	assert_int_equal(write(w, "\n", 1), 1);
	close(w); /* the writer goes: the sim reads on */
	run_for(loop, 50);
	int64_t after = time_wall_ms();
	assert_true(h->model.cpu_forced);
	memcpy(c1, sim_host_model(h)->cpu, sizeof c1);
	run_for(loop, 400);
	double c2[CPU_NFIELDS];
	memcpy(c2, sim_host_model(h)->cpu, sizeof c2);
	assert_monotonic(c0, c1);
	assert_monotonic(c1, c2);
	assert_true(fabs(util_between(c1, c2) - 0.95) < 0.02); /* whole jiffies of 400 ms */

	w = open(ctl, O_WRONLY | O_NONBLOCK);
	n = snprintf(line, sizeof line, "cpu %s auto\n", h->name);
	assert_int_equal(write(w, line, (size_t)n), n);
	close(w);
	run_for(loop, 50);
	assert_false(h->model.cpu_forced);

	/* Junk: a line too long (refused once, its rest dropped as it comes),
	 * bytes that are not text (refused, and not echoed into the log). */
	char log_path[PATH_MAX];
	snprintf(log_path, sizeof log_path, "%s/log", d);
	assert_int_equal(log_set_file(log_path, &err), 0);
	w = open(ctl, O_WRONLY | O_NONBLOCK);
	struct buf junk = { 0 };
	buf_puts(&junk, "cpu ");
	for (int i = 0; i < 3000; i++)
		buf_puts(&junk, "x");
	assert_int_equal(write(w, junk.data, junk.len), (ssize_t)junk.len);
	run_for(loop, 30);
	buf_reset(&junk);
	for (int i = 0; i < 3000; i++)
		buf_puts(&junk, "y");
	buf_printf(&junk, "\ncpu \x01\xff\x1b[2J 5\ncpu %s 60\n", h->name);
	assert_int_equal(write(w, junk.data, junk.len), (ssize_t)junk.len);
	buf_free(&junk);
	close(w);
	run_for(loop, 50);
	assert_true(h->model.cpu_forced);
	assert_true(fabs(h->model.cpu_forced_util - 0.6) < 1e-9);
	char *logged = NULL;
	size_t loglen = 0;
	assert_int_equal(file_read_all(log_path, &logged, &loglen, &err), 0);
	int too_long = 0;
	for (const char *q = logged; (q = strstr(q, "line too long")); q++)
		too_long++;
	assert_int_equal(too_long, 1);
	assert_null(strstr(logged, "yyyy"));
	assert_non_null(strstr(logged, "no host ???[2J"));
	for (size_t i = 0; i < loglen; i++)
		assert_true(logged[i] == '\n' || (logged[i] >= ' ' && logged[i] < 127));
	free(logged);

	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	char *text = NULL;
	assert_int_equal(file_read_all(out_path, &text, NULL, &err), 0);
	char want[64];
	snprintf(want, sizeof want, "control: cpu %s 95 at ", h->name);
	char *p = strstr(text, want);
	assert_non_null(p);
	long long at = atoll(p + strlen(want));
	assert_true(at >= before && at <= after);
	snprintf(want, sizeof want, "control: cpu %s auto at ", h->name);
	assert_non_null(strstr(text, want));
	assert_null(strstr(text, "nobody"));
	free(text);

	sim_stop(s);
	/* A second start takes the FIFO over as it is. */
	assert_int_equal(sim_start(loop, &o, &s, &err), 0);
	assert_true(s->control_fd >= 0);
	sim_stop(s);
	/* Something else in its place: the sim runs without a control. */
	unlink(ctl);
	assert_int_equal(mkdir(ctl, 0700), 0);
	assert_int_equal(sim_start(loop, &o, &s, &err), 0);
	assert_int_equal(s->control_fd, -1);
	sim_stop(s);
	loop_free(loop);
	free(ctl);
	char *cmd = xasprintf("rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_forced),
		cmocka_unit_test(test_control_lines),
		cmocka_unit_test(test_control_fifo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
