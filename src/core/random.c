/* The one random source: each thread's generator is seeded once from the
 * kernel (getrandom), then xoshiro256** makes the numbers (jitter, query
 * challenges, retry spreads), so nothing random depends on the clock or
 * the pid, and two processes started in the same millisecond differ.
 * random_bytes() reads the kernel every time: for what must be
 * unpredictable (names of temporary files, tokens). */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "fleetop/core.h"

static _Thread_local uint64_t state[4];
static _Thread_local int seeded;

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* splitmix64, to spread a weak fallback seed over the whole state. */
static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A forked child must not repeat its parent's numbers (the simulator and
 * hooks fork): it seeds afresh on its first use. */
static void forget_seed_in_child(void)
{
	seeded = 0;
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void register_atfork(void)
{
	pthread_atfork(NULL, NULL, forget_seed_in_child);
}

static void seed(void)
{
	pthread_once(&atfork_once, register_atfork);
	if (random_bytes(state, sizeof state) < 0) {
		/* No getrandom (a very old kernel, a seccomp jail): the clock, the
		 * pid and an address; good enough for jitter, which is all the
		 * fast generator is used for. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
			     ((uint64_t)getpid() << 40) ^ (uint64_t)(uintptr_t)&x;
		for (int i = 0; i < 4; i++)
			state[i] = splitmix(&x);
	}
	if (!(state[0] | state[1] | state[2] | state[3]))
		state[0] = 1; /* the one state xoshiro cannot leave */
	seeded = 1;
}


uint64_t random_u64(void)
{
	if (!seeded)
		seed();
	uint64_t result = rotl(state[1] * 5, 7) * 9;
	uint64_t t = state[1] << 17;
	state[2] ^= state[0];
	state[3] ^= state[1];
	state[1] ^= state[2];
	state[0] ^= state[3];
	state[2] ^= t;
	state[3] = rotl(state[3], 45);
	return result;
}

uint32_t random_u32(void)
{
	return (uint32_t)(random_u64() >> 32);
}

uint64_t random_below(uint64_t n)
{
	if (n == 0)
		return 0;
	/* Rejection keeps it uniform: drop the top partial copy of [0, n). */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = random_u64();
	while (x >= limit);
	return x % n;
}

int random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	while (n > 0) {
		/* Never waits: a loop must not block on a kernel whose pool is
		 * not ready yet (early boot); the caller has a fallback. */
		ssize_t got = getrandom(p, n, GRND_NONBLOCK);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += got;
		n -= (size_t)got;
	}
	return 0;
}
