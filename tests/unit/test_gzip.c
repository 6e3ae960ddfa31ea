#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "gzip.h"

/* Everything fed at once into one big buffer; and an empty body. */
static size_t
compress_all(const char *in, size_t len, struct wbuf *out)
{
	struct gzip_stream	*g = gzip_stream_new(GZIP_WHOLE, NULL);
	int			 rc;

	assert_non_null(g);
	gzip_stream_feed(g, in, len);
	while ((rc = gzip_stream_out(g, out, 1)) == 0)
		assert_true(out->len < out->max);
	assert_int_equal(rc, 1);
	gzip_stream_free(g);
	return out->len;
}

static void
test_whole_and_empty(void **state)
{
	struct wbuf	 gz;
	size_t		 len, n;
	char		*text = fixture_load("promex.txt", &len);
	char		*back = malloc(len + 1);

	(void)state;
	wbuf_init(&gz, 1 << 26);
	assert_int_equal(wbuf_reserve(&gz, len), 0);
	gz.max = gz.cap;
	compress_all(text, len, &gz);
	assert_int_equal((unsigned char)gz.data[0], 0x1f);	/* gzip magic */
	assert_int_equal((unsigned char)gz.data[1], 0x8b);
	assert_true(gz.len < len / 5);	/* metrics text shrinks */
	n = fixture_gunzip(gz.data, gz.len, back, len + 1);
	assert_int_equal(n, len);
	assert_memory_equal(back, text, len);
	wbuf_reset(&gz);
	compress_all("", 0, &gz);
	assert_int_equal(fixture_gunzip(gz.data, gz.len, back, len + 1), 0);
	wbuf_free(&gz);
	free(back);
	free(text);
	assert_true(strcmp(gzip_backend(), "isa-l") == 0 ||
	    strcmp(gzip_backend(), "zlib") == 0);
}

/* What a stream holds is most of a response's cost: 100s of KiB. */
static void
test_cost(void **state)
{
	(void)state;
	assert_true(gzip_stream_cost() > (64u << 10));
	assert_true(gzip_stream_cost() < (4u << 20));
	if (strcmp(gzip_backend(), "zlib") == 0)
		assert_true(gzip_stream_cost() >= (256u << 10));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_and_empty),
		cmocka_unit_test(test_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
