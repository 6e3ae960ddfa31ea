#include <string.h>
#include <zlib.h>

#include "gzip.h"

#define GZIP_WINDOW	(15 + 16)	/* 32 KiB window, gzip wrapper */

int
gzip_compress(const void *in, size_t len, int level, struct wbuf *out)
{
	z_stream	 z;
	int		 rc;
	size_t		 room;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, GZIP_WINDOW, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		out->failed = 1;
		return -1;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	do {
		/* feed zlib at most 1 GiB at a time: avail_in is 32 bits */
		if (z.avail_in == 0 && len > 0) {
			z.avail_in = len > (1u << 30) ? 1u << 30 : (uInt)len;
			len -= z.avail_in;
		}
		room = deflateBound(&z, z.avail_in) + 64;
		if (wbuf_reserve(out, room) == -1) {
			deflateEnd(&z);
			return -1;
		}
		z.next_out = (Bytef *)out->data + out->len;
		z.avail_out = (uInt)(out->cap - out->len);
		rc = deflate(&z, len == 0 ? Z_FINISH : Z_NO_FLUSH);
		out->len = out->cap - z.avail_out;
	} while (rc == Z_OK || rc == Z_BUF_ERROR);
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		out->failed = 1;
		return -1;
	}
	return 0;
}
