/* What hosts say is stored clean: host_set_state's message and
 * host_set_info's facts carry no escape sequence or control character. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "fleetop/fleet.h"

static struct fleet fleet;

static int setup(void **state)
{
	(void)state;
	struct error err;
	return fleet_load_string(&fleet, "mc-1 ansible_host=127.0.0.1\n", "fleet.conf", &err);
}

static int teardown(void **state)
{
	(void)state;
	fleet_free(&fleet);
	return 0;
}

static void test_state_message_clean(void **state)
{
	(void)state;
	struct host *h = &fleet.hosts[0];
	host_set_state(h, HOST_DOWN, FAULT_PROTOCOL, "probe: %s",
		       "\x1b[2J\x1b]0;owned\x07stderr\r\nsays \xc2\x9b" "31mhi\x7f \xff\n");
	assert_string_equal(h->error, "probe: stderr says hi ?");
	host_set_state(h, HOST_UP, FAULT_NONE, NULL);
	assert_string_equal(h->error, "");
}

static void test_info_clean(void **state)
{
	(void)state;
	struct host *h = &fleet.hosts[0];
	host_set_info(h, "game.name", "\x1b]8;;http://evil/\x1b\\My \x1b[1mServer\x1b[0m");
	assert_string_equal(host_get_info(h, "game.name"), "My Server");
	/* Lists keep their tabs and line breaks. */
	host_set_info(h, "game.players_list", "alice\t3\t40\n\x1b[2Jbob\t1\t20\n");
	assert_string_equal(host_get_info(h, "game.players_list"), "alice\t3\t40\nbob\t1\t20\n");
	/* The same text again is no change; NULL removes it. */
	host_set_info(h, "game.name", "My \x1b[1mServer");
	assert_string_equal(host_get_info(h, "game.name"), "My Server");
	host_set_info(h, "game.name", NULL);
	assert_null(host_get_info(h, "game.name"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_message_clean),
		cmocka_unit_test(test_info_clean),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
