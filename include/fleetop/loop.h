/* The one event loop (redis' ae, in small): fd readiness and timers.
 * Nothing on the loop blocks; a slow peer costs only its own callbacks. */
#ifndef FLEETOP_LOOP_H
#define FLEETOP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#define LOOP_READ 1
#define LOOP_WRITE 2

struct loop;
typedef void (*loop_fd_fn)(struct loop *loop, int fd, int events, void *arg);
typedef void (*loop_timer_fn)(struct loop *loop, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Watches fd for events (LOOP_READ|LOOP_WRITE); a second add for the same
 * fd replaces the first. */
int loop_fd_add(struct loop *loop, int fd, int events, loop_fd_fn fn, void *arg);
int loop_fd_set_events(struct loop *loop, int fd, int events);
void loop_fd_del(struct loop *loop, int fd);

/* One-shot timer after delay_ms; returns an id > 0 for loop_timer_del. */
uint64_t loop_timer_add(struct loop *loop, int64_t delay_ms, loop_timer_fn fn, void *arg);
void loop_timer_del(struct loop *loop, uint64_t id);

/* Signals as loop events: fn runs on the loop, in a normal context, when
 * sig arrives (the handler itself only writes the number to a self-pipe).
 * One loop owns a signal at a time; adding it again replaces fn. Removing
 * it, or freeing the loop, restores the disposition it had before. */
typedef void (*loop_signal_fn)(struct loop *loop, int sig, void *arg);
int loop_signal_add(struct loop *loop, int sig, loop_signal_fn fn, void *arg);
void loop_signal_del(struct loop *loop, int sig);

/* Runs callbacks ready within max_wait_ms (-1: until something is ready). */
int loop_run_once(struct loop *loop, int max_wait_ms);
/* Runs until loop_stop. */
void loop_run(struct loop *loop);
void loop_stop(struct loop *loop);
bool loop_stopped(const struct loop *loop);
/* Monotonic time, read once per turn of the loop. */
int64_t loop_now_ms(const struct loop *loop);
/* How long, in all, the loop could not run: the process was stopped or
 * starved (a wait overran its timeout by over a second), or callbacks held
 * one turn for over a second. A watchdog of a peer's silence takes off
 * the stall that happened meanwhile: that silence was ours, not the peer's. */
int64_t loop_stalled_ms(const struct loop *loop);
/* loop_now_ms less every stall: the clock a silence watchdog reads, so
 * that a peer is quiet only for as long as we were listening. */
int64_t loop_awake_ms(const struct loop *loop);

#endif
