/* Signals as loop events: the callback runs on the loop (not in the
 * handler), once per signal even when several arrive in a turn, and the
 * old disposition comes back when the signal is removed or the loop freed. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fleetop/core.h"
#include "fleetop/loop.h"

struct seen {
	int count, last;
};

static void on_sig(struct loop *loop, int sig, void *arg)
{
	struct seen *s = arg;
	(void)loop;
	s->count++;
	s->last = sig;
}

static void run_a_little(struct loop *l)
{
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 20);
}

static void test_signal_reaches_the_loop(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct seen s = { 0 };
	assert_int_equal(loop_signal_add(l, SIGUSR1, on_sig, &s), 0);
	raise(SIGUSR1);
	assert_int_equal(s.count, 0); /* not in the handler */
	run_a_little(l);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.last, SIGUSR1);
	raise(SIGUSR1);
	raise(SIGUSR1);
	run_a_little(l);
	assert_int_equal(s.count, 3);
	loop_free(l);
}

static void test_two_signals_two_callbacks(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct seen a = { 0 }, b = { 0 };
	assert_int_equal(loop_signal_add(l, SIGUSR1, on_sig, &a), 0);
	assert_int_equal(loop_signal_add(l, SIGUSR2, on_sig, &b), 0);
	raise(SIGUSR2);
	run_a_little(l);
	assert_int_equal(a.count, 0);
	assert_int_equal(b.count, 1);
	assert_int_equal(b.last, SIGUSR2);
	loop_free(l);
}

static volatile sig_atomic_t old_handler_ran;
static void old_handler(int sig)
{
	(void)sig;
	old_handler_ran = 1;
}

static void test_del_restores_the_old_disposition(void **state)
{
	(void)state;
	signal(SIGUSR1, old_handler);
	struct loop *l = loop_new();
	struct seen s = { 0 };
	assert_int_equal(loop_signal_add(l, SIGUSR1, on_sig, &s), 0);
	loop_signal_del(l, SIGUSR1);
	raise(SIGUSR1);
	run_a_little(l);
	assert_int_equal(s.count, 0);
	assert_int_equal(old_handler_ran, 1);

	/* Freeing the loop restores it too. */
	old_handler_ran = 0;
	assert_int_equal(loop_signal_add(l, SIGUSR1, on_sig, &s), 0);
	loop_free(l);
	raise(SIGUSR1);
	assert_int_equal(old_handler_ran, 1);
	signal(SIGUSR1, SIG_DFL);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct seen s = { 0 };
	assert_int_equal(loop_signal_add(l, 0, on_sig, &s), -1);
	assert_int_equal(loop_signal_add(l, NSIG, on_sig, &s), -1);
	assert_int_equal(loop_signal_add(l, SIGUSR1, NULL, &s), -1);
	loop_signal_del(l, SIGUSR2); /* never added: nothing happens */
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signal_reaches_the_loop),
		cmocka_unit_test(test_two_signals_two_callbacks),
		cmocka_unit_test(test_del_restores_the_old_disposition),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
