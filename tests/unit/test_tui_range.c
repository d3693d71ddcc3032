/* tui host pane: the range that fits the history until one is picked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>

#include "tui/tui_private.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static const int64_t now = 1800000000000LL;

/* The range fit for history of `age` ms shown in `range`. */
static int64_t fit(int64_t range, int64_t age, int64_t interval)
{
	int64_t from = now - range;
	int64_t oldest = now - age;
	if (oldest < from)
		oldest = from + interval / 2; /* what a query of [from, now] returns first */
	return host_range_fit(range, from, oldest, interval);
}

static void test_short_history_stays_short(void **state)
{
	(void)state;
	assert_int_equal(fit(5 * MIN, 10000, 1000), 5 * MIN);
	assert_int_equal(fit(5 * MIN, 4 * MIN, 1000), 5 * MIN);
	assert_int_equal(host_range_fit(5 * MIN, now - 5 * MIN, INT64_MAX, 1000), 5 * MIN);
}

static void test_history_reaching_the_start_grows(void **state)
{
	(void)state;
	assert_int_equal(fit(5 * MIN, 5 * MIN, 1000), HOUR);
	assert_int_equal(fit(5 * MIN, 3 * HOUR, 1000), HOUR);
	assert_int_equal(fit(HOUR, 2 * HOUR, 1000), DAY);
	assert_int_equal(fit(HOUR, 50 * MIN, 1000), HOUR);
	/* Minute rollups: the first point may be a minute after the start. */
	assert_int_equal(host_range_fit(DAY, now - DAY, now - DAY + 90000, 1000), 7 * DAY);
	assert_int_equal(fit(DAY, 20 * HOUR, 1000), DAY);
	/* The longest step does not grow. */
	assert_int_equal(fit(7 * DAY, 30 * DAY, 1000), 7 * DAY);
}

static void test_slow_interval_widens_the_margin(void **state)
{
	(void)state;
	/* Sampled every 60 s: a first point 100 s after the start still
	 * means the history is older than the range. */
	assert_int_equal(host_range_fit(5 * MIN, now - 5 * MIN, now - 5 * MIN + 100000, 60000),
			 HOUR);
	assert_int_equal(host_range_fit(5 * MIN, now - 5 * MIN, now - 5 * MIN + 100000, 1000),
			 5 * MIN);
}

static void test_a_range_between_steps(void **state)
{
	(void)state;
	/* ":range 10m" is picked, so not fitted, but the next step is still
	 * the one above it. */
	assert_int_equal(fit(10 * MIN, HOUR, 1000), HOUR);
	assert_int_equal(fit(10 * DAY, 30 * DAY, 1000), 10 * DAY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_history_stays_short),
		cmocka_unit_test(test_history_reaching_the_start_grows),
		cmocka_unit_test(test_slow_interval_widens_the_margin),
		cmocka_unit_test(test_a_range_between_steps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
