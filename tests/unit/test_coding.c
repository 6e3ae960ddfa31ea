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
code_part(enum coding c, enum coder_part part, struct coder_seam *seam,
    const char *text, size_t len, struct wbuf *all)
{
	struct coder	*k;
	struct wbuf	 piece;
	size_t		 off, n;
	char		 mem[700];
	int		 rc, finish;

	assert_non_null(k = coder_new(c, part, seam));
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
	if (part == CODER_HEAD)
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
 * A body in two parts, the head coded once and kept, the tail after it:
 * gzip makes one member of them (fixture_gunzip refuses anything after
 * it), zstd two frames; either decodes to the whole text, wherever the
 * seam falls (nothing before it, nothing after), and a kept head goes
 * with any tail.
 */
static void
test_head_and_tail(void **state)
{
	static const enum coding codings[] = { CODING_GZIP, CODING_ZSTD };
	struct coder_seam	 seam;
	struct wbuf		 head, all;
	size_t			 len, i, j, cut, whole;
	char			*text = fixture_load("promex.txt", &len);
	char			*back = malloc(len + 1);
	const size_t		 cuts[] = { 0, 1, 4999, len / 3, len - 1, len };

	(void)state;
	for (i = 0; i < 2; i++) {
		for (j = 0; j < sizeof(cuts) / sizeof(cuts[0]); j++) {
			cut = cuts[j];
			wbuf_init(&head, 1 << 26);
			memset(&seam, 0xa5, sizeof(seam));
			code_part(codings[i], CODER_HEAD, &seam, text, cut,
			    &head);
			wbuf_init(&all, 1 << 26);
			wbuf_add(&all, head.data, head.len);
			code_part(codings[i], CODER_TAIL, &seam, text + cut,
			    len - cut, &all);
			assert_int_equal(decode(codings[i], all.data, all.len,
			    back, len + 1), len);
			assert_memory_equal(back, text, len);
			/* the same head again, with a tail of nothing */
			wbuf_reset(&all);
			wbuf_add(&all, head.data, head.len);
			code_part(codings[i], CODER_TAIL, &seam, "", 0, &all);
			assert_int_equal(decode(codings[i], all.data, all.len,
			    back, len + 1), cut);
			assert_memory_equal(back, text, cut);
			wbuf_free(&all);
			wbuf_free(&head);
		}
		wbuf_init(&all, 1 << 26);
		whole = code(codings[i], text, len, &all);
		wbuf_free(&all);
		printf("  %s: whole %zu bytes\n", coding_names[codings[i]],
		    whole);
	}
	free(back);
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
		cmocka_unit_test(test_head_and_tail),
		cmocka_unit_test(test_zstd_cost_bounds_its_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
