/* fleetop demo: a simulated fleet in a child process, and the console on
 * it. Everything lives in DATA_DIR/demo, so the demo never touches the
 * real inventory or history. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "fleetop/sim.h"
#include "fleetop/tui.h"
#include "options.h"
#include "report.h"

enum { OPT_HOSTS = OPT_FIRST_PRIVATE, OPT_DURATION, OPT_PORT, OPT_SCALE, OPT_TEXT };

/* Runs the simulator; reports "ok" or the error on ready_fd. */
static void sim_child(int ready_fd, const char *dir, int nhosts, int port, double scale)
{
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGINT, SIG_IGN); /* Ctrl-C is for the console; it stops us */
	struct loop *loop = loop_new();
	/* A host drops off 30 s in, so the alerts pane has something to
	 * show within the first minute, and every 5 minutes after. */
	struct sim_opts so = { .nhosts = nhosts, .dir = dir, .port = port, .time_scale = scale,
			       .seed = 42, .flap_first_s = 30 };
	struct sim *sim = NULL;
	struct error err = { { 0 } };
	if (!loop || sim_start(loop, &so, &sim, &err) < 0) {
		dprintf(ready_fd, "%s", err.msg[0] ? err.msg : "cannot start the simulator");
		_exit(1);
	}
	/* From here its log and what it prints (control and flap lines) go in
	 * its folder: the terminal is the console's. */
	char *log_path = xasprintf("%s/sim.log", dir);
	log_capture_stderr(log_path, &err); /* else to /dev/null */
	free(log_path);
	fflush(stdout);
	dup2(STDERR_FILENO, STDOUT_FILENO);
	if (write(ready_fd, "ok", 2) != 2)
		_exit(1);
	close(ready_fd);
	loop_run(loop);
	sim_stop(sim);
	loop_free(loop);
	_exit(0);
}

static struct termios saved_tty;
static bool tty_raw;

static void tty_restore(void)
{
	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	tty_raw = false;
}

struct live {
	struct runtime *e;
	int nhosts;
	bool on_tty;
};

static void draw(struct loop *loop, void *arg)
{
	struct live *lv = arg;
	struct runtime *e = lv->e;
	size_t up = 0;
	for (size_t i = 0; i < e->fleet.nhosts; i++)
		up += e->fleet.hosts[i].state == HOST_UP;
	if (lv->on_tty)
		fputs("\033[H\033[2J", stdout);
	printf("fleetop demo  %zu hosts · %zu up · %zu not up   (q to quit)\n\n", e->fleet.nhosts,
	       up, e->fleet.nhosts - up);
	report_table(e, true, stdout);
	fflush(stdout);
	loop_timer_add(loop, 1000, draw, lv);
}

static void on_key(struct loop *loop, int fd, int events, void *arg)
{
	char c;
	(void)events;
	(void)arg;
	ssize_t n = read(fd, &c, 1);
	if (n <= 0) {
		loop_fd_del(loop, fd); /* stdin closed: keep running until a signal */
		return;
	}
	if (c == 'q' || c == 'Q' || c == 3)
		loop_stop(loop);
}

static bool stop_requested(struct runtime *e, void *arg)
{
	(void)arg;
	return loop_stopped(e->loop);
}

static int demo_run(int argc, char **argv)
{
	int nhosts = 24, port = 22000;
	int64_t duration = -1;
	double scale = 60;
	bool text = false;
	struct tui_opts to = { 0 };
	static const struct option longopts[] = {
		{ "hosts", required_argument, NULL, OPT_HOSTS },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "time-scale", required_argument, NULL, OPT_SCALE },
		{ "text", no_argument, NULL, OPT_TEXT },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "theme", required_argument, NULL, 'T' },
		{ "ascii", no_argument, NULL, OPT_ASCII },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "ht:T:", longopts, NULL)) != -1) {
		char *end;
		if (console_option(opt, optarg, &to) == 0)
			continue;
		switch (opt) {
		case OPT_TEXT:
			text = true;
			break;
		case 'h':
			printf("usage: fleetop demo [options]\n"
			       "Starts a simulated fleet on loopback and shows it live.\n"
			       "      --hosts N         simulated hosts (default 24)\n"
			       "      --port P          first port (default 22000)\n"
			       "      --time-scale X    simulated seconds per second (default 60)\n"
			       "      --duration DUR    stop after DUR (implies --text)\n"
			       "      --text            a plain refreshing table instead of the console\n"
			       "  -t, -T, --theme NAME  console colour theme\n"
			       "      --read-only       console without actions\n"
			       "      --ascii           ASCII only\n");
			return EXIT_OK;
		case OPT_HOSTS:
			nhosts = (int)strtol(optarg, &end, 10);
			if (*end || nhosts < 1 || nhosts > 20000)
				return cli_usage_error("--hosts must be 1-20000");
			break;
		case OPT_PORT:
			port = (int)strtol(optarg, &end, 10);
			if (*end || port < 1024 || port + nhosts > 65535)
				return cli_usage_error("--port must leave room for every host below 65536");
			break;
		case OPT_SCALE:
			scale = strtod(optarg, &end);
			if (*end || scale <= 0 || scale > 100000)
				return cli_usage_error("--time-scale must be a positive number");
			break;
		case OPT_DURATION:
			if (parse_duration_ms(optarg, &duration) < 0)
				return cli_usage_error("--duration '%s' is not a duration", optarg);
			break;
		default:
			return cli_usage_error("try 'fleetop demo --help'");
		}
	}
	struct settings s;
	settings_init(&s);
	char *dir = settings_data_path(&s, "demo");
	settings_free(&s);
	struct error err;
	if (mkdir_p(dir, 0700, &err) < 0) {
		free(dir);
		return cli_usage_error("%s", err.msg);
	}
	int ready[2];
	if (pipe(ready) < 0) {
		free(dir);
		return cli_usage_error("pipe: %s", strerror(errno));
	}
	fflush(NULL);
	pid_t child = fork();
	if (child == 0) {
		close(ready[0]);
		sim_child(ready[1], dir, nhosts, port, scale);
	}
	close(ready[1]);
	char msg[600] = "";
	struct pollfd pfd = { .fd = ready[0], .events = POLLIN };
	ssize_t n = 0;
	if (poll(&pfd, 1, 60000) > 0)
		n = read(ready[0], msg, sizeof msg - 1);
	close(ready[0]);
	msg[n > 0 ? n : 0] = '\0';
	if (child < 0 || strcmp(msg, "ok") != 0) {
		if (child > 0) {
			kill(child, SIGTERM);
			waitpid(child, NULL, 0);
		}
		free(dir);
		return cli_usage_error("simulator did not start: %s", msg[0] ? msg : "no answer");
	}
	/* The console reads and writes only the demo's folder. */
	setenv("FLEETOP_HOME", dir, 1);
	free(dir);
	struct runtime e;
	struct common_opts o = { 0 };
	int rc = EXIT_OK;
	bool console = !text && duration < 0 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (runtime_open_common(&e, &o, NULL, RUNTIME_STORE | RUNTIME_COLLECT | RUNTIME_ALERTS) < 0) {
		rc = EXIT_USAGE;
	} else if (console) {
		rc = console_on_runtime(&e, "fleetop demo", &to);
		runtime_close(&e);
	} else {
		struct live lv = { .e = &e, .on_tty = isatty(STDOUT_FILENO) };
		if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tty) == 0) {
			struct termios raw = saved_tty;
			raw.c_lflag &= (tcflag_t) ~(ICANON | ECHO);
			tcsetattr(STDIN_FILENO, TCSANOW, &raw);
			tty_raw = true;
			atexit(tty_restore);
		}
		loop_fd_add(e.loop, STDIN_FILENO, LOOP_READ, on_key, NULL);
		loop_timer_add(e.loop, 1000, draw, &lv);
		runtime_run(&e, stop_requested, NULL, duration);
		loop_fd_del(e.loop, STDIN_FILENO);
		tty_restore();
		if (!lv.on_tty || duration >= 0) {
			lv.on_tty = false;
			printf("\n");
			report_table(&e, true, stdout);
		}
		runtime_close(&e);
	}
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	return rc;
}

const struct command cmd_demo = { "demo", demo_run, "run the console on a simulated fleet" };
