#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "tlshello.h"

/* Captured by tests/fixtures/capture-tls.sh */
static const char *const clients[] = { "curl", "openssl-tls12",
    "openssl-tls13-sni", "prometheus", "python" };

static uint8_t *
hello(const char *client, size_t *len)
{
	char	 name[64];

	snprintf(name, sizeof(name), "../tls/%s.hello", client);
	return (uint8_t *)fixture_load(name, len);
}

/* The handshake stream of a hello: its records' payloads, joined. */
static size_t
payload(const uint8_t *rec, size_t len, uint8_t *dst)
{
	size_t	 pos = 0, n = 0, size;

	while (pos + 5 <= len) {
		size = (size_t)rec[pos + 3] << 8 | rec[pos + 4];
		memcpy(dst + n, rec + pos + 5, size);
		n += size;
		pos += 5 + size;
	}
	assert_int_equal(pos, len);
	return n;
}

/* msg cut into records of at most frag bytes (the last may be shorter). */
static size_t
records(const uint8_t *msg, size_t len, size_t frag, uint8_t *dst)
{
	size_t	 i, n = 0, k;

	for (i = 0; i < len; i += k) {
		k = len - i < frag ? len - i : frag;
		dst[n++] = 22;
		dst[n++] = 3;
		dst[n++] = 1;
		dst[n++] = (uint8_t)(k >> 8);
		dst[n++] = (uint8_t)k;
		memcpy(dst + n, msg + i, k);
		n += k;
	}
	return n;
}

/*
 * Fed what it asks for, a byte short each time, the scanner asks for more
 * until the whole hello is there, never past its end, and never less than
 * it was given plus one.
 */
static void
assert_walks_to_whole(const uint8_t *p, size_t len)
{
	size_t	 n = 0, need = 0, steps = 0;

	while (tls_hello_scan(p, n, &need) == TLS_HELLO_MORE) {
		assert_true(need > n);
		assert_true(need <= len);
		assert_true(++steps < 100000);
		/* a byte short of it: still more, and the same need */
		if (need - 1 > n) {
			size_t	 again;

			assert_int_equal(tls_hello_scan(p, need - 1, &again),
			    TLS_HELLO_MORE);
			assert_true(again <= need);
		}
		n = need;
	}
	assert_int_equal(n, len);
	assert_int_equal(tls_hello_scan(p, len, &need), TLS_HELLO_WHOLE);
}

static void
test_real_clients(void **state)
{
	size_t	 i, len, need;
	uint8_t	*p, *more;

	(void)state;
	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		p = hello(clients[i], &len);
		assert_walks_to_whole(p, len);
		/* what follows it (early data, the request) changes nothing */
		more = malloc(len + 100);
		memcpy(more, p, len);
		memset(more + len, 'x', 100);
		assert_int_equal(tls_hello_scan(more, len + 100, &need),
		    TLS_HELLO_WHOLE);
		free(more);
		free(p);
	}
}

static void
test_fragmented(void **state)
{
	static const size_t	 frags[] = { 1, 2, 3, 4, 5, 100, 16384 };
	uint8_t			 msg[1024], *rec;
	size_t			 i, len, n, mlen;
	uint8_t			*p;

	(void)state;
	p = hello("curl", &len);
	mlen = payload(p, len, msg);
	rec = malloc(mlen * 6);
	/* its 4-byte header split between records too */
	for (i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		n = records(msg, mlen, frags[i], rec);
		assert_walks_to_whole(rec, n);
	}
	free(rec);
	free(p);
}

/* A ClientHello of size bytes (header included): the real one, padded. */
static size_t
hello_of(size_t size, uint8_t *msg)
{
	uint8_t		*p;
	size_t		 len, mlen;

	p = hello("prometheus", &len);
	mlen = payload(p, len, msg);
	assert_true(size >= mlen);
	memset(msg + mlen, 0, size - mlen);
	msg[1] = (uint8_t)((size - 4) >> 16);
	msg[2] = (uint8_t)((size - 4) >> 8);
	msg[3] = (uint8_t)(size - 4);
	free(p);
	return size;
}

static void
test_the_bound(void **state)
{
	static uint8_t	 msg[200000], rec[210000];
	size_t		 n, need;

	(void)state;
	/* the largest allowed, in two records */
	n = records(msg, hello_of(TLS_HELLO_MAX, msg), 16384, rec);
	assert_walks_to_whole(rec, n);
	assert_true(n <= TLS_HELLO_WINDOW);
	/* a byte more is refused at its header, 9 bytes in */
	n = records(msg, hello_of(TLS_HELLO_MAX + 1, msg), 16384, rec);
	assert_int_equal(tls_hello_scan(rec, 9, &need), TLS_HELLO_TOO_LARGE);
	assert_int_equal(tls_hello_scan(rec, 8, &need), TLS_HELLO_MORE);
	assert_int_equal(need, 9);
	/* 120,000 bytes, as the flood sends */
	n = records(msg, hello_of(120000, msg), 16384, rec);
	assert_int_equal(tls_hello_scan(rec, 9, &need), TLS_HELLO_TOO_LARGE);
	assert_int_equal(tls_hello_scan(rec, n - 16, &need),
	    TLS_HELLO_TOO_LARGE);
	/* the largest allowed cut so small its records pass the window:
	 * left to OpenSSL (which the handshake cap bounds) */
	n = records(msg, hello_of(TLS_HELLO_MAX, msg), 16, rec);
	assert_true(n > TLS_HELLO_WINDOW);
	assert_int_equal(tls_hello_scan(rec, n, &need), TLS_HELLO_OTHER);
}

static void
test_not_a_client_hello(void **state)
{
	static const char	 get[] = "GET /metrics HTTP/1.1\r\n";
	static const struct {
		size_t	 at, n;
		uint8_t	 bytes[2];
	} broken[] = {
		{ 0, 1, { 21 } },		/* an alert record */
		{ 0, 1, { 0x80 } },		/* an SSLv2-style header */
		{ 1, 1, { 4 } },		/* a version 4.x */
		{ 3, 2, { 0, 0 } },		/* a record of 0 bytes */
		{ 3, 2, { 0x40, 0x01 } },	/* of 2^14 + 1 */
	};
	uint8_t			 rec[1200], msg[1024];
	size_t			 len, mlen, need, i;
	uint8_t			*p;

	(void)state;
	assert_int_equal(tls_hello_scan((const uint8_t *)get, strlen(get),
	    &need), TLS_HELLO_OTHER);
	/* too short to say: a record header first */
	assert_int_equal(tls_hello_scan((const uint8_t *)"", 0, &need),
	    TLS_HELLO_MORE);
	assert_int_equal(need, 5);
	assert_int_equal(tls_hello_scan((const uint8_t *)get, 1, &need),
	    TLS_HELLO_OTHER);

	p = hello("openssl-tls12", &len);
	mlen = payload(p, len, msg);
	/* a real hello with its first record's header broken */
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		memcpy(rec, p, len);
		memcpy(rec + broken[i].at, broken[i].bytes, broken[i].n);
		assert_int_equal(tls_hello_scan(rec, len, &need),
		    TLS_HELLO_OTHER);
	}
	/* another handshake message first (a ServerHello, 2) */
	msg[0] = 2;
	assert_int_equal(tls_hello_scan(rec, records(msg, mlen, 16384, rec),
	    &need), TLS_HELLO_OTHER);
	/* a ClientHello, then an alert before its end */
	msg[0] = 1;
	len = records(msg, mlen, 50, rec);
	rec[55] = 21;
	assert_int_equal(tls_hello_scan(rec, len, &need), TLS_HELLO_OTHER);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_clients),
		cmocka_unit_test(test_fragmented),
		cmocka_unit_test(test_the_bound),
		cmocka_unit_test(test_not_a_client_hello),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
