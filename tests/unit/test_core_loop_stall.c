/* The loop's account of time it could not run, which silence watchdogs
 * take off a peer's quiet time (a stopped process must not find every
 * healthy host silent when it resumes). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fleetop/core.h"
#include "fleetop/loop.h"

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0)
		;
}

static void hold_the_loop(struct loop *l, void *arg)
{
	(void)l;
	nap_ms(*(long *)arg);
}

static void tick(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
}

static void test_quick_turns_are_no_stall(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	long ms = 200; /* under a second: work, not a stall */
	loop_timer_add(l, 0, hold_the_loop, &ms);
	for (int i = 0; i < 3; i++)
		loop_run_once(l, 50);
	assert_int_equal(loop_stalled_ms(l), 0);
	assert_int_equal(loop_awake_ms(l), loop_now_ms(l));
	loop_free(l);
}

static void test_a_long_turn_is_a_stall(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	long ms = 1600;
	loop_timer_add(l, 0, hold_the_loop, &ms);
	loop_run_once(l, 50); /* runs the callback that holds the loop */
	loop_run_once(l, 50); /* sees it */
	int64_t s = loop_stalled_ms(l);
	assert_in_range(s, 1500, 5000);
	assert_int_equal(loop_awake_ms(l), loop_now_ms(l) - s);
	loop_free(l);
}

static void test_a_stopped_process_is_a_stall(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	loop_timer_add(l, 300, tick, NULL);
	pid_t self = getpid();
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* Stop the parent in its wait, and wake it 1.8 s later. */
		nap_ms(100);
		kill(self, SIGSTOP);
		nap_ms(1800);
		kill(self, SIGCONT);
		_exit(0);
	}
	int64_t start = loop_now_ms(l);
	loop_run_once(l, 400); /* waits 300 ms for the timer, stopped on the way */
	int status;
	waitpid(child, &status, 0);
	int64_t took = loop_now_ms(l) - start;
	assert_true(took >= 1800);
	assert_in_range(loop_stalled_ms(l), 1000, took);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quick_turns_are_no_stall),
		cmocka_unit_test(test_a_long_turn_is_a_stall),
		cmocka_unit_test(test_a_stopped_process_is_a_stall),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
