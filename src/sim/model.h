/* The metrics model of one simulated host: fixed traits drawn from the
 * seed (cores, RAM, disks, game, capacity) and state that evolves with
 * time (players on a daily cycle driving CPU, RAM, network and disk;
 * cumulative counters like the kernel's). Knows nothing of SSH: the
 * server asks it to advance to "now" and formats what it holds. */
#ifndef SIM_MODEL_H
#define SIM_MODEL_H

#include <stdbool.h>
#include <stdint.h>

enum sim_game { GAME_MINECRAFT, GAME_QUAKE, GAME_VALHEIM };

/* Where the simulated day stands: the daily cycle runs time_scale times
 * faster than real time, while uptime and counters run at real speed, so
 * rates look like a real host's. */
struct model_clock {
	int64_t start_mono_ms; /* real time the sim started (loop clock) */
	double start_wall_s;   /* wall clock (UTC seconds) at that moment */
	double time_scale;
};
/* Simulated wall-clock seconds (UTC) at real monotonic time now_ms. */
double model_sim_time(const struct model_clock *c, int64_t now_ms);
/* Where `--clock WHEN` starts the model's day, in UTC seconds: WHEN is
 * HH:MM[:SS] (that time today, the day of today_s, UTC) or
 * YYYY-MM-DD[T ]HH:MM[:SS] (that moment, UTC; from the year 2000, so
 * never 0, which sim_opts takes for the wall clock). -1 if it is neither. */
int model_clock_parse(const char *when, double today_s, double *start_s);

enum cpu_field { CPU_USER, CPU_NICE, CPU_SYSTEM, CPU_IDLE, CPU_IOWAIT, CPU_IRQ, CPU_SOFTIRQ,
		 CPU_STEAL, CPU_GUEST, CPU_GUEST_NICE, CPU_NFIELDS };

/* Cumulative counters of /proc/diskstats, in the kernel's order after the name. */
enum disk_field { DS_RD_IOS, DS_RD_MERGES, DS_RD_SECTORS, DS_RD_MS, DS_WR_IOS, DS_WR_MERGES,
		  DS_WR_SECTORS, DS_WR_MS, DS_IN_FLIGHT, DS_IO_MS, DS_WEIGHTED_MS, DS_DC_IOS,
		  DS_DC_MERGES, DS_DC_SECTORS, DS_DC_MS, DS_FL_IOS, DS_FL_MS, DS_NFIELDS };

struct model_disk {
	char name[16]; /* vda, nvme0n1, sdb */
	int major, minor;
	double stat[DS_NFIELDS];
};

struct model_mount {
	char dev[32];   /* /dev/vda1 */
	char part[20];  /* vda1: its line in /proc/diskstats */
	int part_minor;
	double part_share; /* the partition's share of its disk's I/O */
	char path[16];  /* / */
	double size_kb;
	double used_kb; /* now */
	double base_pct; /* used share the fs hovers around */
	int disk;       /* index in disks */
};

enum net_field { NET_RX_BYTES, NET_RX_PACKETS, NET_RX_DROP, NET_RX_MULTICAST,
		 NET_TX_BYTES, NET_TX_PACKETS, NET_NFIELDS };

struct model_iface {
	char name[16];
	double stat[NET_NFIELDS];
};

#define MODEL_MAX_DISKS 2
#define MODEL_MAX_MOUNTS 3
#define MODEL_MAX_IFACES 2

struct model_host {
	/* Traits, fixed at init. */
	enum sim_game game;
	int ncores;
	int ram_gib;
	uint64_t mem_total_kb, swap_total_kb;
	int max_players;
	double cpu_per_player;  /* cores */
	double ram_per_player_kb;
	double game_base_kb;
	double tx_per_player, rx_per_player; /* bytes/s */
	double steal_share;     /* noisy-neighbour cloud hosts have some */
	double tz_offset_h;     /* the region's clock, for its evening peak */
	double boot_uptime_s;   /* uptime when the sim started */
	uint64_t noise_seed;
	bool leaks;             /* slow memory leak, cleared by a restart now and then */
	bool fills_disk;        /* a disk filling steadily until a cleanup */
	int fill_mount;         /* which mount fills (/srv if any, else /) */
	int ndisks, nmounts, nifaces, nloops;
	struct model_disk disks[MODEL_MAX_DISKS];
	struct model_mount mounts[MODEL_MAX_MOUNTS];
	struct model_iface ifaces[MODEL_MAX_IFACES];

	/* State, advanced by model_advance. */
	int64_t last_ms; /* real monotonic time of the last advance; 0: never */
	double uptime_s, idle_s;
	double cpu[CPU_NFIELDS]; /* jiffies, USER_HZ = 100, summed over cores */
	double ctxt, forks, intr;
	double load[3];
	double last_pid;
	/* Gauges as of last_ms. */
	int players;
	double util; /* busy share of all cores */
	uint64_t mem_free_kb, mem_avail_kb, buffers_kb, cached_kb, swap_free_kb;
	uint64_t leak_kb;
	int procs, threads, procs_running, procs_blocked;

	/* The game server's process, as a process probe sees it. A leaking
	 * host's game restarts each time its leak is cleared (a new pid and
	 * start time); elsewhere it runs on. */
	double game_pid;
	double game_start_s;  /* host uptime when it started */
	double game_cpu;      /* jiffies (user + system) it has used since */
	double game_cores;    /* cores it keeps busy now */
	int64_t game_gen;     /* restarts so far, to notice the next one */

	/* Held by the sim's control (control.c) rather than the day's: the
	 * busy share the probe reads (all but idle and iowait). Counters go
	 * on integrating, at this rate, so they stay monotonic. */
	bool cpu_forced;
	double cpu_forced_util; /* 0..1 */
};

/* Draws host idx's traits from seed; the game comes from its group. */
void model_host_init(struct model_host *m, uint64_t seed, int idx, enum sim_game game,
		     double tz_offset_h, const struct model_clock *clk, int64_t now_ms);
/* Brings counters and gauges up to real time now_ms (never backwards). */
void model_advance(struct model_host *m, const struct model_clock *clk, int64_t now_ms);

/* Deterministic helpers the rest of the sim shares. */
uint64_t model_hash(uint64_t x);
/* Smooth value noise in [-1, 1] with the given period (same unit as t). */
double model_noise(uint64_t seed, double t, double period);
/* The game's resident memory (kB) and its threads, as of the last advance. */
double model_game_rss_kb(const struct model_host *m);
int model_game_threads(const struct model_host *m);
/* The mount that holds path (longest prefix), or -1 (relative path). */
int model_mount_for(const struct model_host *m, const char *path);

#endif
