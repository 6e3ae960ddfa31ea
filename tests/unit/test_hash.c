#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hash.h"

static const uint64_t	 seed = 0x5eed5eed12345678ull;

/*
 * Every length from 0 to 200 (three blocks of the four lanes, every
 * tail), and a bit flipped anywhere, changes it.
 */
static void
test_every_bit_counts(void **state)
{
	unsigned char	 buf[200];
	uint64_t	 h, g;
	size_t		 len, i, bit;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)('a' + i % 26);
	for (len = 0; len <= sizeof(buf); len++) {
		h = hash64(buf, len, seed);
		assert_int_equal(h, hash64(buf, len, seed));
		if (len < sizeof(buf))
			assert_int_not_equal(h, hash64(buf, len + 1, seed));
		for (i = 0; i < len; i++)
			for (bit = 0; bit < 8; bit++) {
				buf[i] ^= (unsigned char)(1u << bit);
				g = hash64(buf, len, seed);
				buf[i] ^= (unsigned char)(1u << bit);
				assert_int_not_equal(h, g);
			}
	}
}

/* Trailing zero bytes are not padding: "a" and "a\0" differ. */
static void
test_trailing_zeros(void **state)
{
	const unsigned char	 z[32] = { 'a' };
	size_t			 i;

	(void)state;
	for (i = 1; i < sizeof(z); i++)
		assert_int_not_equal(hash64(z, i, seed), hash64(z, i + 1, seed));
}

/*
 * The lanes are not interchangeable: the same 16 bytes in another lane,
 * or two blocks swapped, make another hash.
 */
static void
test_lanes_differ(void **state)
{
	unsigned char	 a[128], b[128];
	size_t		 i, j;

	(void)state;
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++) {
			if (i == j)
				continue;
			memset(a, 'x', sizeof(a));
			memset(b, 'x', sizeof(b));
			memcpy(a + 16 * i, "0123456789abcdef", 16);
			memcpy(b + 16 * j, "0123456789abcdef", 16);
			assert_int_not_equal(hash64(a, 64, seed),
			    hash64(b, 64, seed));
		}
	for (i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char)i;
	memcpy(b, a + 64, 64);
	memcpy(b + 64, a, 64);
	assert_int_not_equal(hash64(a, sizeof(a), seed),
	    hash64(b, sizeof(b), seed));
}

/* Another seed, another hash, for the same text. */
static void
test_seeded(void **state)
{
	const char	*t = "octavia_member_up{member=\"x\"} 1\n";

	(void)state;
	assert_int_not_equal(hash64(t, strlen(t), seed),
	    hash64(t, strlen(t), seed + 1));
	assert_int_not_equal(hash64(t, strlen(t), 0),
	    hash64(t, strlen(t), 1));
}

/*
 * Lines of exposition that differ in one value, as pieces of one do:
 * 100,000 of them, no two alike.
 */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_no_collision_among_near_texts(void **state)
{
	enum { N = 100000 };
	uint64_t	*h;
	char		 line[128];
	size_t		 i;
	int		 n;

	(void)state;
	h = calloc(N, sizeof(*h));
	assert_non_null(h);
	for (i = 0; i < N; i++) {
		n = snprintf(line, sizeof(line),
		    "octavia_member_bytes_in_total{member=\"m\"} %zu\n", i);
		h[i] = hash64(line, (size_t)n, seed);
	}
	qsort(h, N, sizeof(*h), cmp_u64);
	for (i = 1; i < N; i++)
		assert_int_not_equal(h[i - 1], h[i]);
	free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_bit_counts),
		cmocka_unit_test(test_trailing_zeros),
		cmocka_unit_test(test_lanes_differ),
		cmocka_unit_test(test_seeded),
		cmocka_unit_test(test_no_collision_among_near_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
