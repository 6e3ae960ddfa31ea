#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wbuf.h"

static void
test_append_and_numbers(void **state)
{
	struct wbuf	 b;
	char		 d[21];

	(void)state;
	wbuf_init(&b, 1 << 20);
	wbuf_puts(&b, "x=");
	wbuf_add(&b, d, fmt_u64(d, 0));
	wbuf_putc(&b, ' ');
	wbuf_add(&b, d, fmt_u64(d, UINT64_MAX));
	wbuf_putc(&b, ' ');
	wbuf_add(&b, d, fmt_u64(d, (uint64_t)INT64_MAX + 1));
	wbuf_putc(&b, '\0');
	assert_false(wbuf_failed(&b));
	assert_string_equal(b.data,
	    "x=0 18446744073709551615 9223372036854775808");
	wbuf_free(&b);
}

static void
test_cap_is_sticky(void **state)
{
	struct wbuf	 b;
	int		 i;

	(void)state;
	wbuf_init(&b, 10);
	wbuf_puts(&b, "12345678");
	assert_false(wbuf_failed(&b));
	wbuf_puts(&b, "abc");
	assert_true(wbuf_failed(&b));
	assert_int_equal(b.len, 8);	/* nothing partial was added */
	wbuf_putc(&b, 'z');		/* would fit, but the buffer failed */
	assert_int_equal(b.len, 8);
	wbuf_reset(&b);
	assert_false(wbuf_failed(&b));
	for (i = 0; i < 10; i++)
		wbuf_putc(&b, 'a');
	assert_false(wbuf_failed(&b));
	wbuf_putc(&b, '1');
	assert_true(wbuf_failed(&b));
	wbuf_free(&b);
}

static void
test_growth(void **state)
{
	struct wbuf	 b;
	int		 i;

	(void)state;
	wbuf_init(&b, 1 << 24);
	for (i = 0; i < 100000; i++)
		wbuf_puts(&b, "0123456789");
	assert_false(wbuf_failed(&b));
	assert_int_equal(b.len, 1000000);
	assert_true(b.cap >= b.len && b.cap <= (1 << 24));
	assert_memory_equal(b.data + 999990, "0123456789", 10);
	wbuf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_numbers),
		cmocka_unit_test(test_cap_is_sticky),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
