/* `fleetop sim`: runs the simulated fleet in the foreground until SIGINT
 * or SIGTERM. Signals reach the loop as events (loop_signal_add), so
 * shutdown happens between callbacks, never inside one. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sim_private.h"

static void on_signal(struct loop *loop, int sig, void *arg)
{
	(void)sig, (void)arg;
	loop_stop(loop);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: fleetop sim [--hosts N] [--dir DIR] [--port P] [--addr A] [--spread]\n"
		   "                  [--time-scale X] [--seed S] [--flap-every SEC] [--flap-down SEC]\n"
		   "                  [--flap-first SEC] [--game-port BASE] [--clock WHEN] [--truth FILE]\n"
		   "  Plays N Linux game-server hosts over SSH on loopback, for the console to watch.\n"
		   "  --hosts N        how many hosts (default 24)\n"
		   "  --dir DIR        keys, inventory and settings (default $FLEETOP_HOME/sim or ./fleetop-sim)\n"
		   "  --port P         first port (default 22000); host i listens on P+i\n"
		   "  --addr A         address to listen on (default 127.0.0.1)\n"
		   "  --spread         host i on 127.0.<1+i/250>.<1+i%%250>, all on port P\n"
		   "  --time-scale X   simulated seconds per real second for the daily cycle (default 1)\n"
		   "  --seed S         which fleet (default 1)\n"
		   "  --flap-every SEC one host drops off every SEC seconds (default 300; 0: never)\n"
		   "  --flap-down SEC  for SEC seconds (default 20)\n"
		   "  --flap-first SEC the first drop after SEC seconds (default: --flap-every)\n"
		   "  --game-port BASE each host's game server: host i on BASE+2i (query) and\n"
		   "                   BASE+2i+1 (Minecraft RCON); default P+8000. With --spread\n"
		   "                   every host on BASE and BASE+1; default the games' own ports\n"
		   "  --clock WHEN     the model's day starts at WHEN (UTC): HH:MM[:SS] today, or\n"
		   "                   YYYY-MM-DDTHH:MM[:SS]; default the wall clock. Runs alike at any hour\n"
		   "  --truth FILE     writes each host's ground truth (the model's CPU, TPS, memory,\n"
		   "                   disk, game and host up or down) to FILE, a line a host a second\n"
		   "  Lines written to the FIFO DIR/control make hosts misbehave on demand:\n"
		   "    cpu HOST PCT [SECONDS]  hold HOST's CPU at PCT%% (for SECONDS, else on)\n"
		   "    cpu HOST auto           back to the model's own; HOST * is every host\n"
		   "    game HOST down [SECONDS] its game server stops answering (a crash)\n"
		   "    game HOST up            and answers again\n"
		   "  Each change is printed as \"control: cpu HOST 95 at <wall-clock ms>\".\n");
}

/* Where the model's day starts and how fast it goes, so a run's figures
 * can be put beside the hour they were taken at. */
static void print_clock(const struct sim_opts *o)
{
	time_t t = (time_t)(o->clock_start_s > 0 ? o->clock_start_s : (double)time_wall_ms() / 1000.0);
	struct tm tm;
	char when[32] = "?";
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	printf("fleetop sim: model clock %s UTC%s, %gx real time%s%s\n", when,
	       o->clock_start_s > 0 ? " (--clock)" : "", o->time_scale,
	       o->truth_path ? ", ground truth in " : "", o->truth_path ? o->truth_path : "");
}

/* "--name VALUE" or "--name=VALUE": the value, advancing *i; NULL if absent. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] != '\0' || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

int sim_main(int argc, char **argv)
{
	struct sim_opts o = { .nhosts = 24, .port = 22000, .addr = "127.0.0.1", .time_scale = 1,
			      .seed = 1 };
	char *dir = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		long n;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			free(dir);
			return 0;
		} else if (strcmp(a, "--spread") == 0) {
			o.spread_addrs = true;
		} else if ((v = opt_value(argc, argv, &i, "--hosts"))) {
			if (!parse_long(v, 1, 60000, &n))
				goto bad_value;
			o.nhosts = (int)n;
		} else if ((v = opt_value(argc, argv, &i, "--dir"))) {
			free(dir);
			dir = xstrdup(v);
		} else if ((v = opt_value(argc, argv, &i, "--port"))) {
			if (!parse_long(v, 1, 65535, &n))
				goto bad_value;
			o.port = (int)n;
		} else if ((v = opt_value(argc, argv, &i, "--addr"))) {
			o.addr = v;
		} else if ((v = opt_value(argc, argv, &i, "--time-scale"))) {
			char *end;
			o.time_scale = strtod(v, &end);
			if (end == v || *end || !(o.time_scale > 0) || o.time_scale > 1e6)
				goto bad_value;
		} else if ((v = opt_value(argc, argv, &i, "--seed"))) {
			char *end;
			errno = 0;
			o.seed = strtoull(v, &end, 10);
			if (errno || end == v || *end)
				goto bad_value;
		} else if ((v = opt_value(argc, argv, &i, "--flap-every"))) {
			if (!parse_long(v, 0, 86400 * 365, &n))
				goto bad_value;
			o.flap_every_s = n == 0 ? -1 : (int)n;
		} else if ((v = opt_value(argc, argv, &i, "--game-port"))) {
			if (!parse_long(v, 1, 65535, &n))
				goto bad_value;
			o.game_port = (int)n;
		} else if ((v = opt_value(argc, argv, &i, "--flap-first"))) {
			if (!parse_long(v, 1, 86400 * 365, &n))
				goto bad_value;
			o.flap_first_s = (int)n;
		} else if ((v = opt_value(argc, argv, &i, "--clock"))) {
			if (model_clock_parse(v, (double)time_wall_ms() / 1000.0, &o.clock_start_s) < 0) {
				fprintf(stderr, "fleetop sim: --clock %s: want HH:MM[:SS] (UTC, today) "
						"or YYYY-MM-DDTHH:MM[:SS]\n", v);
				free(dir);
				return 2;
			}
		} else if ((v = opt_value(argc, argv, &i, "--truth"))) {
			if (!*v)
				goto bad_value;
			o.truth_path = v;
		} else if ((v = opt_value(argc, argv, &i, "--flap-down"))) {
			if (!parse_long(v, 1, 86400 * 365, &n))
				goto bad_value;
			o.flap_down_s = (int)n;
		} else {
			fprintf(stderr, "fleetop sim: unknown option %s\n", a);
			usage(stderr);
			free(dir);
			return 2;
		}
		continue;
bad_value:
		fprintf(stderr, "fleetop sim: bad value for %s\n", a);
		free(dir);
		return 2;
	}
	if (!dir) {
		const char *home = getenv("FLEETOP_HOME");
		dir = home && *home ? xasprintf("%s/sim", home) : xstrdup("./fleetop-sim");
	}
	o.dir = dir;

	fd_limit_raise(); /* a listening socket per host before anyone connects */
	signal(SIGPIPE, SIG_IGN);
	struct loop *loop = loop_new();
	if (!loop || loop_signal_add(loop, SIGINT, on_signal, NULL) < 0 ||
	    loop_signal_add(loop, SIGTERM, on_signal, NULL) < 0) {
		fprintf(stderr, "fleetop sim: cannot set up the event loop: %s\n", strerror(errno));
		loop_free(loop);
		free(dir);
		return 1;
	}

	struct sim *s = NULL;
	struct error err = { "" };
	int rc = 0;
	if (sim_start(loop, &o, &s, &err) < 0) {
		fprintf(stderr, "fleetop sim: %s\n", err.msg);
		rc = 1;
	} else {
		if (o.spread_addrs)
			printf("fleetop sim: %d hosts on %s-%s:%d, inventory %s/fleet.conf\n", o.nhosts,
			       sim_host_addr(s, 0), sim_host_addr(s, o.nhosts - 1), o.port, dir);
		else
			printf("fleetop sim: %d hosts on %s:%d-%d, inventory %s/fleet.conf\n", o.nhosts,
			       o.addr, o.port, o.port + o.nhosts - 1, dir);
		print_clock(&o);
		fflush(stdout);
		if (s->leak_host >= 0)
			log_info("sim: %s leaks memory until its game restarts", s->hosts[s->leak_host].name);
		if (s->disk_host >= 0)
			log_info("sim: %s fills a disk until a cleanup", s->hosts[s->disk_host].name);
		if (s->flap_host >= 0)
			log_info("sim: %s drops off for %ds every %ds", s->hosts[s->flap_host].name,
				 s->flap_down_s, s->flap_every_s);
		loop_run(loop);
		sim_stop(s);
	}
	loop_free(loop);
	free(dir);
	return rc;
}
