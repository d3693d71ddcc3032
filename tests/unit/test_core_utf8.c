/* The one UTF-8 decoder: what it takes and what it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fleetop/text.h"

static size_t dec(const char *s, size_t n, uint32_t *cp)
{
	*cp = 0xdeadbeef;
	return utf8_decode(s, n, cp);
}

static void test_valid(void **state)
{
	(void)state;
	uint32_t cp;
	assert_int_equal(dec("A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(dec("\xc2\xa9", 2, &cp), 2); /* © */
	assert_int_equal(cp, 0xa9);
	assert_int_equal(dec("\xe2\x82\xac", 3, &cp), 3); /* € */
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(dec("\xf0\x9f\x8e\xae", 4, &cp), 4); /* 🎮 */
	assert_int_equal(cp, 0x1f3ae);
	assert_int_equal(dec("\xf4\x8f\xbf\xbf", 4, &cp), 4); /* U+10FFFF, the last */
	assert_int_equal(cp, 0x10ffff);
	assert_int_equal(dec("\xc2\x80", 2, &cp), 2); /* a C1 control is valid UTF-8 */
	assert_int_equal(cp, 0x80);
}

static void test_refused(void **state)
{
	(void)state;
	uint32_t cp;
	static const char *const bad[] = {
		"\x80",             /* a lone continuation byte */
		"\xc0\x80",         /* overlong NUL */
		"\xc1\xbf",         /* overlong */
		"\xe0\x80\x80",     /* overlong 3 */
		"\xe0\x9f\xbf",     /* overlong 3, the last */
		"\xf0\x80\x80\x80", /* overlong 4 */
		"\xed\xa0\x80",     /* a surrogate */
		"\xed\xbf\xbf",     /* the last surrogate */
		"\xf4\x90\x80\x80", /* past U+10FFFF */
		"\xf5\x80\x80\x80", /* never a lead byte */
		"\xff",
		"\xc2\x41",         /* a lead ("A") without its continuation */
		"\xe2\x82",         /* cut short by the NUL */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (dec(bad[i], 4, &cp) != 0)
			fail_msg("bad[%zu] was taken", i);
		assert_int_equal(cp, 0xdeadbeef); /* untouched */
	}
	/* Cut short by n, though the bytes go on. */
	assert_int_equal(dec("\xe2\x82\xac", 2, &cp), 0);
	assert_int_equal(dec("\xe2\x82\xac", 0, &cp), 0);
	assert_int_equal(dec("\xf0\x9f\x8e\xae", 3, &cp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
