/* The one random source: range, uniformity roughly, and that threads and
 * processes get different streams. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleetop/core.h"

static void test_below_stays_in_range(void **state)
{
	(void)state;
	assert_int_equal(random_below(0), 0);
	assert_int_equal(random_below(1), 0);
	for (int i = 0; i < 10000; i++)
		assert_true(random_below(7) < 7);
	/* A bound near 2^64 exercises the rejection step. */
	uint64_t big = UINT64_MAX / 2 + 3;
	for (int i = 0; i < 1000; i++)
		assert_true(random_below(big) < big);
}

static void test_roughly_uniform(void **state)
{
	(void)state;
	enum { BINS = 10, N = 100000 };
	int count[BINS] = { 0 };
	for (int i = 0; i < N; i++)
		count[random_below(BINS)]++;
	/* Each bin expects 10000, sd ~95: 600 off is six sigma. */
	for (int b = 0; b < BINS; b++)
		assert_in_range(count[b], N / BINS - 600, N / BINS + 600);
	/* Every bit of u32 takes both values. */
	uint32_t ones = 0, zeros = 0;
	for (int i = 0; i < 64; i++) {
		uint32_t x = random_u32();
		ones |= x;
		zeros |= ~x;
	}
	assert_int_equal(ones, UINT32_MAX);
	assert_int_equal(zeros, UINT32_MAX);
}

static void *first_number(void *out)
{
	*(uint64_t *)out = random_u64();
	return NULL;
}

static void test_streams_differ(void **state)
{
	(void)state;
	/* Two threads each seed their own generator. */
	uint64_t a = 0, b = 0;
	pthread_t ta, tb;
	assert_int_equal(pthread_create(&ta, NULL, first_number, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, first_number, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_true(a != b);
	/* Two processes started together: a child's first number differs from
	 * a sibling's (the old generators were seeded from the clock). */
	uint64_t got[2];
	for (int i = 0; i < 2; i++) {
		int fd[2];
		assert_int_equal(pipe(fd), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			uint64_t x = random_u64();
			ssize_t w = write(fd[1], &x, sizeof x);
			_exit(w == (ssize_t)sizeof x ? 0 : 1);
		}
		close(fd[1]);
		assert_int_equal(read(fd[0], &got[i], sizeof got[i]), (ssize_t)sizeof got[i]);
		close(fd[0]);
		int st;
		waitpid(pid, &st, 0);
	}
	assert_true(got[0] != got[1]);
}

static void test_bytes(void **state)
{
	(void)state;
	unsigned char a[32], b[32];
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	assert_int_equal(random_bytes(a, sizeof a), 0);
	assert_int_equal(random_bytes(b, sizeof b), 0);
	assert_memory_not_equal(a, b, sizeof a);
	assert_int_equal(random_bytes(a, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_below_stays_in_range),
		cmocka_unit_test(test_roughly_uniform),
		cmocka_unit_test(test_streams_differ),
		cmocka_unit_test(test_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
