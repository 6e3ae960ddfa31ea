/*
 * The first bytes of a TLS connection, peeked before OpenSSL is given the
 * connection: whether the whole ClientHello has arrived, and if not how
 * many bytes must be there before it can be said. A client that sends a
 * part of one (or nothing) then costs no TLS state, and one announcing a
 * ClientHello larger than any real client sends is refused at its header
 * (RFC 8446 5.1 and 4: records of type 22, handshake messages of a type
 * and a 24-bit length, which may span records).
 */
#ifndef TLSHELLO_H
#define TLSHELLO_H

#include <stddef.h>
#include <stdint.h>

/* A ClientHello, its 4-byte header included: 16 KiB (clients send < 2) */
#define TLS_HELLO_MAX		16384
/* What is peeked at most: the records of a TLS_HELLO_MAX ClientHello cut
 * into at most four (a real one fits in one or two) */
#define TLS_HELLO_WINDOW	(TLS_HELLO_MAX + 4 * 5)

enum tls_hello {
	TLS_HELLO_MORE,		/* *need bytes in all before it can say */
	TLS_HELLO_WHOLE,	/* the ClientHello's records are all there */
	TLS_HELLO_OTHER,	/* not a ClientHello in records OpenSSL takes
				 * (plain HTTP, SSLv2, fragments past the
				 * window): OpenSSL reads it and says why */
	TLS_HELLO_TOO_LARGE,	/* a ClientHello over TLS_HELLO_MAX */
};

/* The n bytes received so far (past TLS_HELLO_WINDOW, unread). *need is
 * set for TLS_HELLO_MORE only: n < *need <= TLS_HELLO_WINDOW. */
enum tls_hello	tls_hello_scan(const uint8_t *, size_t n, size_t *need);

#endif
