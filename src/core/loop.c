/* The event loop: fd readiness (epoll, so a turn costs what is ready, not
 * what is watched: thousands of idle SSH sockets cost nothing) and one-shot
 * timers in a binary heap. Timer ids carry a slot and a generation, so a
 * stale id can never cancel a newer timer in the same slot. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "fleetop/core.h"
#include "fleetop/loop.h"

struct loop_fd {
	loop_fd_fn fn;
	void *arg;
	int events; /* 0: not watched */
};

struct loop_timer {
	int64_t when;
	loop_timer_fn fn;
	void *arg;
	uint32_t gen;
	int heap_idx; /* -1: free slot */
	uint32_t next_free;
};

struct loop {
	int epfd;
	struct loop_fd *fds;
	int nfds;
	struct loop_timer *timers;
	uint32_t ntimers, cap_timers, free_head;
	uint32_t *heap; /* slot numbers ordered by when */
	uint32_t heap_len;
	int64_t now;
	int64_t turn_end;   /* when the last turn's callbacks were done */
	int64_t stalled;    /* time the loop could not run: see loop_stalled_ms */
	bool stop;
	/* Signals: the self-pipe the handler writes to, and who to call. */
	int sig_pipe[2];
	struct loop_sig {
		loop_signal_fn fn;
		void *arg;
		struct sigaction old;
	} sigs[NSIG];
};

/* Where the handler writes: the pipe of the loop that owns each signal.
 * Written only outside handlers (add/del); read in them. */
static volatile sig_atomic_t sig_write_fd[NSIG];

#define NO_SLOT UINT32_MAX
/* A turn (or a wait) this much longer than it should have been is a stall. */
#define LOOP_STALL_MS 1000

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof *l);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		free(l);
		return NULL;
	}
	l->free_head = NO_SLOT;
	l->now = time_mono_ms();
	l->sig_pipe[0] = l->sig_pipe[1] = -1;
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (int sig = 1; sig < NSIG; sig++)
		loop_signal_del(l, sig);
	if (l->sig_pipe[0] >= 0) {
		close(l->sig_pipe[0]);
		close(l->sig_pipe[1]);
	}
	close(l->epfd);
	free(l->fds);
	free(l->timers);
	free(l->heap);
	free(l);
}

static uint32_t to_epoll(int events)
{
	return (events & LOOP_READ ? EPOLLIN : 0) | (events & LOOP_WRITE ? EPOLLOUT : 0);
}

int loop_fd_add(struct loop *l, int fd, int events, loop_fd_fn fn, void *arg)
{
	if (fd < 0)
		return -1;
	if (fd >= l->nfds) {
		int n = l->nfds ? l->nfds : 64;
		while (n <= fd)
			n *= 2;
		l->fds = xrealloc(l->fds, (size_t)n * sizeof *l->fds);
		memset(l->fds + l->nfds, 0, (size_t)(n - l->nfds) * sizeof *l->fds);
		l->nfds = n;
	}
	struct loop_fd *e = &l->fds[fd];
	struct epoll_event ev = { .events = to_epoll(events), .data.fd = fd };
	int op = e->fn ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(l->epfd, op, fd, &ev) < 0 &&
	    !(op == EPOLL_CTL_ADD && errno == EEXIST && epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) == 0))
		return -1;
	e->fn = fn;
	e->arg = arg;
	e->events = events;
	return 0;
}

int loop_fd_set_events(struct loop *l, int fd, int events)
{
	if (fd < 0 || fd >= l->nfds || !l->fds[fd].fn)
		return -1;
	if (l->fds[fd].events == events)
		return 0;
	struct epoll_event ev = { .events = to_epoll(events), .data.fd = fd };
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -1;
	l->fds[fd].events = events;
	return 0;
}

void loop_fd_del(struct loop *l, int fd)
{
	if (fd < 0 || fd >= l->nfds || !l->fds[fd].fn)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	memset(&l->fds[fd], 0, sizeof l->fds[fd]);
}

/* Signals. */

static void on_signal(int sig)
{
	int saved = errno;
	int fd = sig > 0 && sig < NSIG ? sig_write_fd[sig] : 0;
	unsigned char c = (unsigned char)sig;
	/* A full pipe already holds a wake-up: losing this byte loses nothing
	 * the loop will not see. */
	if (fd > 0 && write(fd - 1, &c, 1) < 0) {
	}
	errno = saved;
}

static void on_sig_pipe(struct loop *l, int fd, int events, void *arg)
{
	unsigned char b[64];
	ssize_t n;
	(void)events;
	(void)arg;
	while ((n = read(fd, b, sizeof b)) > 0)
		for (ssize_t i = 0; i < n; i++)
			if (b[i] < NSIG && l->sigs[b[i]].fn)
				l->sigs[b[i]].fn(l, b[i], l->sigs[b[i]].arg);
}

int loop_signal_add(struct loop *l, int sig, loop_signal_fn fn, void *arg)
{
	if (sig <= 0 || sig >= NSIG || sig > 255 || !fn)
		return -1;
	if (l->sig_pipe[0] < 0) {
		if (pipe2(l->sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
			return -1;
		if (loop_fd_add(l, l->sig_pipe[0], LOOP_READ, on_sig_pipe, NULL) < 0) {
			close(l->sig_pipe[0]);
			close(l->sig_pipe[1]);
			l->sig_pipe[0] = l->sig_pipe[1] = -1;
			return -1;
		}
	}
	struct loop_sig *s = &l->sigs[sig];
	if (!s->fn) {
		struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
		sigemptyset(&sa.sa_mask);
		sig_write_fd[sig] = l->sig_pipe[1] + 1;
		if (sigaction(sig, &sa, &s->old) < 0) {
			sig_write_fd[sig] = 0;
			return -1;
		}
	}
	s->fn = fn;
	s->arg = arg;
	return 0;
}

void loop_signal_del(struct loop *l, int sig)
{
	if (sig <= 0 || sig >= NSIG || !l->sigs[sig].fn)
		return;
	sigaction(sig, &l->sigs[sig].old, NULL);
	sig_write_fd[sig] = 0;
	memset(&l->sigs[sig], 0, sizeof l->sigs[sig]);
}

/* Timer heap. */

static bool heap_less(struct loop *l, uint32_t a, uint32_t b)
{
	return l->timers[l->heap[a]].when < l->timers[l->heap[b]].when;
}

static void heap_swap(struct loop *l, uint32_t a, uint32_t b)
{
	uint32_t t = l->heap[a];
	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->timers[l->heap[a]].heap_idx = (int)a;
	l->timers[l->heap[b]].heap_idx = (int)b;
}

static void heap_up(struct loop *l, uint32_t i)
{
	while (i > 0 && heap_less(l, i, (i - 1) / 2)) {
		heap_swap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct loop *l, uint32_t i)
{
	for (;;) {
		uint32_t m = i, c1 = 2 * i + 1, c2 = 2 * i + 2;
		if (c1 < l->heap_len && heap_less(l, c1, m))
			m = c1;
		if (c2 < l->heap_len && heap_less(l, c2, m))
			m = c2;
		if (m == i)
			return;
		heap_swap(l, i, m);
		i = m;
	}
}

static void heap_remove(struct loop *l, uint32_t i)
{
	uint32_t last = --l->heap_len;
	if (i != last) {
		heap_swap(l, i, last);
		heap_down(l, i);
		heap_up(l, i);
	}
}

static void timer_release(struct loop *l, uint32_t slot)
{
	struct loop_timer *t = &l->timers[slot];
	t->heap_idx = -1;
	t->gen++;
	t->next_free = l->free_head;
	l->free_head = slot;
}

uint64_t loop_timer_add(struct loop *l, int64_t delay_ms, loop_timer_fn fn, void *arg)
{
	uint32_t slot;
	if (l->free_head != NO_SLOT) {
		slot = l->free_head;
		l->free_head = l->timers[slot].next_free;
	} else {
		if (l->ntimers == l->cap_timers) {
			l->cap_timers = l->cap_timers ? l->cap_timers * 2 : 64;
			l->timers = xrealloc(l->timers, l->cap_timers * sizeof *l->timers);
			l->heap = xrealloc(l->heap, l->cap_timers * sizeof *l->heap);
		}
		slot = l->ntimers++;
		l->timers[slot].gen = 1;
	}
	struct loop_timer *t = &l->timers[slot];
	/* Fresh time: a timer added outside a callback (or after a long one)
	 * must not count from the start of the turn. */
	t->when = time_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->fn = fn;
	t->arg = arg;
	t->heap_idx = (int)l->heap_len;
	l->heap[l->heap_len++] = slot;
	heap_up(l, (uint32_t)t->heap_idx);
	return ((uint64_t)t->gen << 32) | slot;
}

void loop_timer_del(struct loop *l, uint64_t id)
{
	uint32_t slot = (uint32_t)id, gen = (uint32_t)(id >> 32);
	if (id == 0 || slot >= l->ntimers)
		return;
	struct loop_timer *t = &l->timers[slot];
	if (t->gen != gen || t->heap_idx < 0)
		return;
	heap_remove(l, (uint32_t)t->heap_idx);
	timer_release(l, slot);
}

static void run_timers(struct loop *l)
{
	/* Timers added by a callback for "now" wait for the next turn, so a
	 * zero-delay re-arm cannot starve the fds. */
	int64_t now = l->now;
	while (l->heap_len > 0 && !l->stop) {
		uint32_t slot = l->heap[0];
		struct loop_timer *t = &l->timers[slot];
		if (t->when > now)
			break;
		loop_timer_fn fn = t->fn;
		void *arg = t->arg;
		heap_remove(l, 0);
		timer_release(l, slot);
		fn(l, arg);
	}
}

int loop_run_once(struct loop *l, int max_wait_ms)
{
	int wait = max_wait_ms;
	l->now = time_mono_ms();
	/* Time between turns (the caller's own work, or a stop of the
	 * process there): nobody was read meanwhile. */
	if (l->turn_end && l->now - l->turn_end > LOOP_STALL_MS)
		l->stalled += l->now - l->turn_end;
	if (l->heap_len > 0) {
		int64_t d = l->timers[l->heap[0]].when - l->now;
		if (d < 0)
			d = 0;
		if (wait < 0 || d < wait)
			wait = (int)d;
	}
	struct epoll_event evs[256];
	int64_t before = l->now;
	int n = epoll_wait(l->epfd, evs, 256, wait);
	if (n < 0 && errno != EINTR)
		return -1;
	l->now = time_mono_ms();
	/* A wait that overran its timeout: the process was stopped (SIGSTOP,
	 * a suspended VM) or starved of CPU. */
	if (wait >= 0 && l->now - before > wait + LOOP_STALL_MS)
		l->stalled += l->now - before - wait;
	for (int i = 0; i < n && !l->stop; i++) {
		int fd = evs[i].data.fd;
		/* A callback earlier in this batch may have removed this fd. */
		if (fd >= l->nfds || !l->fds[fd].fn)
			continue;
		int ev = 0;
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			ev |= LOOP_READ;
		if (evs[i].events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			ev |= LOOP_WRITE;
		ev &= l->fds[fd].events | ((evs[i].events & (EPOLLHUP | EPOLLERR)) ? LOOP_READ : 0);
		if (ev)
			l->fds[fd].fn(l, fd, ev, l->fds[fd].arg);
	}
	run_timers(l);
	/* Callbacks that held this turn that long: nobody else was read. */
	l->turn_end = time_mono_ms();
	if (l->turn_end - l->now > LOOP_STALL_MS)
		l->stalled += l->turn_end - l->now;
	return n < 0 ? 0 : n;
}

void loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop)
		if (loop_run_once(l, -1) < 0)
			break;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

bool loop_stopped(const struct loop *l)
{
	return l->stop;
}

int64_t loop_now_ms(const struct loop *l)
{
	return l->now;
}

int64_t loop_stalled_ms(const struct loop *l)
{
	return l->stalled;
}

int64_t loop_awake_ms(const struct loop *l)
{
	return l->now - l->stalled;
}
