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

/* Inflates a gzip member whole; returns the length. */
static size_t
gunzip(const char *in, size_t len, char *out, size_t cap)
{
	z_stream	 z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	inflateEnd(&z);
	return cap - z.avail_out;
}

/* Everything fed at once into one big buffer; and an empty body. */
static size_t
compress_all(const char *in, size_t len, struct wbuf *out)
{
	struct gzip_stream	*g = gzip_stream_new();
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
	n = gunzip(gz.data, gz.len, back, len + 1);
	assert_int_equal(n, len);
	assert_memory_equal(back, text, len);
	wbuf_reset(&gz);
	compress_all("", 0, &gz);
	assert_int_equal(gunzip(gz.data, gz.len, back, len + 1), 0);
	wbuf_free(&gz);
	free(back);
	free(text);
	assert_true(strcmp(gzip_backend(), "isa-l") == 0 ||
	    strcmp(gzip_backend(), "zlib") == 0);
}

/* The streaming form, fed and drained in small pieces, round-trips. */
static void
test_stream_pieces(void **state)
{
	struct gzip_stream	*g;
	struct wbuf		 all, piece;
	size_t			 len, off, n, back_len;
	char			*text = fixture_load("promex.txt", &len);
	char			*back = malloc(len + 1), mem[700];
	int			 rc, finish;

	(void)state;
	wbuf_init(&all, 1 << 26);
	assert_non_null(g = gzip_stream_new());
	for (off = 0; off <= len; off += n) {
		n = len - off < 5000 ? len - off : 5000;
		finish = off + n == len;
		gzip_stream_feed(g, text + off, n);
		do {
			wbuf_init_fixed(&piece, mem, sizeof(mem));
			rc = gzip_stream_out(g, &piece, finish);
			assert_true(rc >= 0);
			wbuf_add(&all, piece.data, piece.len);
		} while (rc == 0);
		if (finish)
			break;
	}
	gzip_stream_free(g);
	back_len = gunzip(all.data, all.len, back, len + 1);
	assert_int_equal(back_len, len);
	assert_memory_equal(back, text, len);
	wbuf_free(&all);
	free(back);
	free(text);
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
		cmocka_unit_test(test_stream_pieces),
		cmocka_unit_test(test_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
