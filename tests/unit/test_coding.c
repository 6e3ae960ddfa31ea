#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zstd.h>

#include "coding.h"
#include "fixture.h"
#include "zstdstream.h"

/* Decodes a whole body of coding c; returns its length. */
static size_t
decode(enum coding c, const char *in, size_t len, char *out, size_t cap)
{
	size_t		 n;

	if (c == CODING_GZIP)
		return fixture_gunzip(in, len, out, cap);
	n = ZSTD_decompress(out, cap, in, len);
	assert_false(ZSTD_isError(n));
	return n;
}

/*
 * Fed as the HTTP side feeds it (pieces of 5,000 bytes) and drained into
 * small buffers of 700: each coding round-trips the exposition, and an
 * empty one.
 */
static size_t
code(enum coding c, const char *text, size_t len, struct wbuf *all)
{
	struct coder	*k;
	struct wbuf	 piece;
	size_t		 off, n;
	char		 mem[700];
	int		 rc, finish;

	assert_non_null(k = coder_new(c));
	for (off = 0; ; off += n) {
		n = len - off < 5000 ? len - off : 5000;
		finish = off + n == len;
		coder_feed(k, text + off, n);
		do {
			wbuf_init_fixed(&piece, mem, sizeof(mem));
			rc = coder_out(k, &piece, finish);
			assert_true(rc >= 0);
			wbuf_add(all, piece.data, piece.len);
		} while (rc == 0);
		if (finish)
			break;
	}
	coder_free(k);
	return all->len;
}

static void
test_round_trips(void **state)
{
	static const enum coding codings[] = { CODING_GZIP, CODING_ZSTD };
	struct wbuf	 all;
	size_t		 len, i, sizes[2];
	char		*text = fixture_load("promex.txt", &len);
	char		*back = malloc(len + 1);

	(void)state;
	for (i = 0; i < 2; i++) {
		wbuf_init(&all, 1 << 26);
		sizes[i] = code(codings[i], text, len, &all);
		assert_true(sizes[i] < len / 5);	/* metrics text shrinks */
		assert_int_equal(decode(codings[i], all.data, all.len, back,
		    len + 1), len);
		assert_memory_equal(back, text, len);
		wbuf_reset(&all);
		code(codings[i], "", 0, &all);
		assert_int_equal(decode(codings[i], all.data, all.len, back,
		    len + 1), 0);
		wbuf_free(&all);
	}
	/* zstd's frame: its magic number, a checksum at the end */
	printf("  %zu bytes of text: gzip %zu, zstd %zu\n", len, sizes[0],
	    sizes[1]);
	assert_null(coding_names[CODING_IDENTITY]);
	assert_string_equal(coding_names[CODING_ZSTD], "zstd");
	assert_null(coder_new(CODING_IDENTITY));
	assert_int_equal(coding_cost(CODING_IDENTITY), 0);
	free(back);
	free(text);
}

/* What a zstd stream holds once it worked never exceeds what it is
 * charged: the output budget counts on it. */
static void
test_zstd_cost_bounds_its_memory(void **state)
{
	struct zstd_stream	*z;
	struct wbuf		 out;
	size_t			 len;
	char			*text = fixture_load("promex.txt", &len);
	int			 rc;

	(void)state;
	assert_non_null(z = zstd_stream_new());
	wbuf_init(&out, 1 << 26);
	assert_int_equal(wbuf_reserve(&out, len), 0);
	out.max = out.cap;
	zstd_stream_feed(z, text, len);
	while ((rc = zstd_stream_out(z, &out, 1)) == 0)
		;
	assert_int_equal(rc, 1);
	printf("  a zstd stream holds %zu bytes, charged %zu\n",
	    zstd_stream_size(z), zstd_stream_cost());
	assert_true(zstd_stream_size(z) <= zstd_stream_cost());
	assert_true(zstd_stream_size(z) >= zstd_stream_cost() / 2);
	assert_true(coding_cost(CODING_ZSTD) > zstd_stream_cost());
	zstd_stream_free(z);
	wbuf_free(&out);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_zstd_cost_bounds_its_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
