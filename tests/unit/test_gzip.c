#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

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
/*
 * Two texts' CRCs joined without their text are the CRC of both (zlib's
 * crc32 as the reference), for lengths around every power of two a piece
 * may have, and a seam's length adds up mod 2^32 as gzip's ISIZE does.
 */
static void
test_seams_join(void **state)
{
	static unsigned char	 text[(1 << 20) + 3];
	struct gzip_seam	 a, b;
	size_t			 i, cut, k;

	(void)state;
	for (i = 0; i < sizeof(text); i++)
		text[i] = (unsigned char)(i * 2654435761u >> 13);
	for (k = 0; k <= 20; k++)
		for (i = 0; i < 3; i++) {
			cut = ((size_t)1 << k) - 1 + i;
			a.crc = (uint32_t)crc32(0, text, 1000);
			a.len = 1000;
			b.crc = (uint32_t)crc32(0, text + 1000, (uInt)cut);
			b.len = (uint32_t)cut;
			gzip_seam_join(&a, &b);
			assert_int_equal(a.crc, (uint32_t)crc32(0, text,
			    (uInt)(1000 + cut)));
			assert_int_equal(a.len, 1000 + cut);
		}
	/* nothing joined to nothing, and to something */
	a.crc = a.len = b.crc = b.len = 0;
	gzip_seam_join(&a, &b);
	assert_int_equal(a.crc, 0);
	b.crc = (uint32_t)crc32(0, text, 7);
	b.len = 7;
	gzip_seam_join(&a, &b);
	assert_int_equal(a.crc, b.crc);
	a.len = UINT32_MAX;
	gzip_seam_join(&a, &b);
	assert_int_equal(a.len, 6);
}

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
		cmocka_unit_test(test_seams_join),
		cmocka_unit_test(test_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
