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
static void
code_with(struct coder *k, const char *text, size_t len, struct wbuf *all)
{
	struct wbuf	 piece;
	size_t		 off, n;
	char		 mem[700];
	int		 rc, finish;

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
}

static size_t
code_part(enum coding c, enum coder_part part, struct coder_seam *seam,
    const char *text, size_t len, struct wbuf *all)
{
	struct coder	*k;

	assert_non_null(k = coder_new(c, part, seam));
	code_with(k, text, len, all);
	if (part == CODER_PIECE)
		coder_seam(k, seam);
	coder_free(k);
	return all->len;
}

static size_t
code(enum coding c, const char *text, size_t len, struct wbuf *all)
{
	return code_part(c, CODER_WHOLE, NULL, text, len, all);
}

/*
 * A body of parts: the prefix, pieces coded each on its own, then the
 * tail after them: gzip makes one member of them (fixture_gunzip refuses
 * anything after it), zstd a frame each; either decodes to the whole
 * text, wherever the cuts fall (nothing before one, nothing after, a piece
 * of a byte). And a piece coded once goes anywhere: with the first piece
 * twice, its bytes and its seam again, the body is its text twice.
 */
static void
body_of_parts(enum coding c, const char *text, const size_t *cuts, size_t n,
    size_t len, int shared)
{
	struct coder		*k = NULL;
	const unsigned char	*prefix;
	struct coder_seam	 seam = { 0, 0 }, twice = { 0, 0 }, ps, first;
	struct wbuf		 all, dup, piece;
	size_t			 i, from = 0, plen, first_len = 0;
	char			*back = malloc(2 * len + 1), *want;

	assert_non_null(back);
	wbuf_init(&all, 1 << 26);
	wbuf_init(&dup, 1 << 26);
	plen = coder_prefix(c, &prefix);
	wbuf_add(&all, prefix, plen);
	wbuf_add(&dup, prefix, plen);
	for (i = 0; i < n; i++) {
		wbuf_init(&piece, 1 << 26);
		memset(&ps, 0xa5, sizeof(ps));
		if (shared) {
			/* one stream, piece after piece, as the agent codes */
			if (k == NULL)
				assert_non_null(k = coder_new(c, CODER_PIECE,
				    NULL));
			code_with(k, text + from, cuts[i] - from, &piece);
			coder_seam(k, &ps);
		} else
			code_part(c, CODER_PIECE, &ps, text + from,
			    cuts[i] - from, &piece);
		if (i == 0) {
			first = ps;
			first_len = piece.len;
			wbuf_add(&dup, piece.data, piece.len);
			coder_seam_join(c, &twice, &first);
		}
		wbuf_add(&all, piece.data, piece.len);
		wbuf_add(&dup, piece.data, piece.len);
		coder_seam_join(c, &seam, &ps);
		coder_seam_join(c, &twice, &ps);
		wbuf_free(&piece);
		from = cuts[i];
	}
	coder_free(k);
	code_part(c, CODER_TAIL, &seam, text + from, len - from, &all);
	assert_int_equal(decode(c, all.data, all.len, back, 2 * len + 1), len);
	assert_memory_equal(back, text, len);
	if (n > 0) {
		code_part(c, CODER_TAIL, &twice, text + from, len - from, &dup);
		assert_int_equal(decode(c, dup.data, dup.len, back,
		    2 * len + 1), len + cuts[0]);
		want = back + cuts[0];
		assert_memory_equal(back, text, cuts[0]);
		assert_memory_equal(want, text, len);
		assert_true(first_len > 0);
	}
	wbuf_free(&dup);
	wbuf_free(&all);
	free(back);
}

static void
test_pieces_and_tail(void **state)
{
	static const enum coding codings[] = { CODING_GZIP, CODING_ZSTD };
	size_t		 len, i, j, whole;
	char		*text = fixture_load("promex.txt", &len);
	struct wbuf	 all;
	const size_t	 cuts[][4] = {
		{ 0 }, { len }, { 1, 4999 }, { len / 3, 2 * len / 3, len - 1 },
		{ 0, 0, 70000, len }, { 4999, 5000, 5001, 5002 },
	};
	const size_t	 ncuts[] = { 1, 1, 2, 3, 4, 4 };

	(void)state;
	for (i = 0; i < 2; i++) {
		body_of_parts(codings[i], text, NULL, 0, len, 0);
		for (j = 0; j < sizeof(ncuts) / sizeof(ncuts[0]); j++) {
			body_of_parts(codings[i], text, cuts[j], ncuts[j], len,
			    0);
			body_of_parts(codings[i], text, cuts[j], ncuts[j], len,
			    1);
		}
		wbuf_init(&all, 1 << 26);
		whole = code(codings[i], text, len, &all);
		wbuf_free(&all);
		printf("  %s: whole %zu bytes\n", coding_names[codings[i]],
		    whole);
	}
	free(text);
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
	assert_null(coder_new(CODING_IDENTITY, CODER_WHOLE, NULL));
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
		cmocka_unit_test(test_pieces_and_tail),
		cmocka_unit_test(test_zstd_cost_bounds_its_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
