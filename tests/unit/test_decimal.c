#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "decimal.h"

static const char *
parse(const char *s, uint64_t max, uint64_t *v)
{
	return dec_u64(s, s + strlen(s), max, v);
}

static void
test_digits(void **state)
{
	const char	*s = "12345,6";
	uint64_t	 v = 7;

	(void)state;
	assert_ptr_equal(parse(s, UINT64_MAX, &v), s + 5);
	assert_int_equal(v, 12345);
	assert_non_null(parse("0", 0, &v));
	assert_int_equal(v, 0);
	/* the end bounds the digits read: "123" of "12345" */
	assert_ptr_equal(dec_u64(s, s + 3, UINT64_MAX, &v), s + 3);
	assert_int_equal(v, 123);
}

static void
test_refused(void **state)
{
	uint64_t	 v = 42;

	(void)state;
	assert_null(parse("", UINT64_MAX, &v));
	assert_null(parse("-1", UINT64_MAX, &v));
	assert_null(parse("+1", UINT64_MAX, &v));
	assert_null(parse(" 1", UINT64_MAX, &v));
	assert_null(parse("x1", UINT64_MAX, &v));
	assert_int_equal(v, 42);		/* untouched on failure */
}

static void
test_bounds(void **state)
{
	uint64_t	 v;

	(void)state;
	assert_non_null(parse("18446744073709551615", UINT64_MAX, &v));
	assert_true(v == UINT64_MAX);
	assert_null(parse("18446744073709551616", UINT64_MAX, &v));
	assert_null(parse("99999999999999999999999", UINT64_MAX, &v));
	assert_non_null(parse("65535", 65535, &v));
	assert_null(parse("65536", 65535, &v));
	/* a digit above a small max (9 > 5) */
	assert_null(parse("9", 5, &v));
	assert_non_null(parse("5", 5, &v));
	assert_int_equal(dec_u64_str("300", 300, &v), 0);
	assert_int_equal(v, 300);
	assert_int_equal(dec_u64_str("300s", 300, &v), -1);
	assert_int_equal(dec_u64_str("", 300, &v), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
