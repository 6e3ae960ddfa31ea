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

static void
test_round_trip(void **state)
{
	struct wbuf	 gz;
	size_t		 len, n;
	char		*text = fixture_load("promex.txt", &len);
	char		*back = malloc(len + 1);

	(void)state;
	wbuf_init(&gz, 1 << 26);
	wbuf_puts(&gz, "kept");		/* appends, keeps what was there */
	assert_int_equal(gzip_compress(text, len, 1, &gz), 0);
	assert_memory_equal(gz.data, "kept", 4);
	assert_int_equal((unsigned char)gz.data[4], 0x1f);	/* gzip magic */
	assert_int_equal((unsigned char)gz.data[5], 0x8b);
	assert_true(gz.len - 4 < len / 5);	/* metrics text shrinks */
	n = gunzip(gz.data + 4, gz.len - 4, back, len + 1);
	assert_int_equal(n, len);
	assert_memory_equal(back, text, len);
	wbuf_free(&gz);
	free(back);
	free(text);
}

static void
test_empty_and_cap(void **state)
{
	struct wbuf	 gz;
	char		 back[8];

	(void)state;
	wbuf_init(&gz, 1 << 20);
	assert_int_equal(gzip_compress("", 0, 6, &gz), 0);
	assert_int_equal(gunzip(gz.data, gz.len, back, sizeof(back)), 0);
	wbuf_free(&gz);

	/* an output cap too small fails cleanly */
	wbuf_init(&gz, 16);
	assert_int_equal(gzip_compress("hello, hello, hello", 19, 6, &gz), -1);
	assert_true(wbuf_failed(&gz));
	wbuf_free(&gz);
}

/* The streaming form, fed and drained in small pieces, round-trips. */
static void
test_stream_pieces(void **state)
{
	struct gzip_stream	 g;
	struct wbuf		 all, piece;
	size_t			 len, off, n, back_len;
	char			*text = fixture_load("promex.txt", &len);
	char			*back = malloc(len + 1), mem[700];
	int			 rc, finish;

	(void)state;
	wbuf_init(&all, 1 << 26);
	assert_int_equal(gzip_stream_init(&g, 1), 0);
	for (off = 0; off <= len; off += n) {
		n = len - off < 5000 ? len - off : 5000;
		finish = off + n == len;
		gzip_stream_feed(&g, text + off, n);
		do {
			wbuf_init_fixed(&piece, mem, sizeof(mem));
			rc = gzip_stream_out(&g, &piece, finish);
			assert_true(rc >= 0);
			wbuf_add(&all, piece.data, piece.len);
		} while (rc == 0);
		if (finish)
			break;
	}
	gzip_stream_end(&g);
	back_len = gunzip(all.data, all.len, back, len + 1);
	assert_int_equal(back_len, len);
	assert_memory_equal(back, text, len);
	wbuf_free(&all);
	free(back);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_and_cap),
		cmocka_unit_test(test_stream_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
