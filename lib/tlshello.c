/*
 * A ClientHello's records, walked from their headers (RFC 8446 5.1): type
 * 22 (handshake), a legacy version of 3.x, a length of 1 to 2^14. The
 * handshake stream they carry begins with the message's type (1) and its
 * 24-bit length, and those 4 bytes may themselves be split between records.
 */
#include "tlshello.h"

#define RECORD_HEAD	5
#define RECORD_MAX	16384
#define HANDSHAKE	22
#define CLIENT_HELLO	1

static enum tls_hello
more(size_t want, size_t *need)
{
	if (want > TLS_HELLO_WINDOW)
		return TLS_HELLO_OTHER;
	*need = want;
	return TLS_HELLO_MORE;
}

enum tls_hello
tls_hello_scan(const uint8_t *p, size_t n, size_t *need)
{
	uint8_t	 head[4];
	size_t	 pos = 0, got = 0, total = 0, len, avail, i;

	if (n > TLS_HELLO_WINDOW)	/* what the caller peeks, at most */
		n = TLS_HELLO_WINDOW;
	for (;;) {
		/* said as soon as its first bytes are there */
		if ((n > pos && p[pos] != HANDSHAKE) ||
		    (n > pos + 1 && p[pos + 1] != 3))
			return TLS_HELLO_OTHER;
		if (n < pos + RECORD_HEAD)
			return more(pos + RECORD_HEAD, need);
		len = (size_t)p[pos + 3] << 8 | p[pos + 4];
		if (len == 0 || len > RECORD_MAX)
			return TLS_HELLO_OTHER;
		pos += RECORD_HEAD;
		avail = n - pos < len ? n - pos : len;
		for (i = 0; i < avail && got + i < sizeof(head); i++)
			head[got + i] = p[pos + i];
		if (total == 0 && got + avail >= sizeof(head)) {
			if (head[0] != CLIENT_HELLO)
				return TLS_HELLO_OTHER;
			total = sizeof(head) + ((size_t)head[1] << 16 |
			    (size_t)head[2] << 8 | head[3]);
			if (total > TLS_HELLO_MAX)
				return TLS_HELLO_TOO_LARGE;
		}
		/* the message's header, then the rest of the record */
		if (avail < len)
			return more(total == 0 && sizeof(head) - got < len ?
			    pos + sizeof(head) - got : pos + len, need);
		got += len;
		pos += len;
		if (total != 0 && got >= total)
			return TLS_HELLO_WHOLE;
	}
}
