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

int
gzip_stream_init(struct gzip_stream *g, int level)
{
	memset(g, 0, sizeof(*g));
	if (deflateInit2(&g->z, level, Z_DEFLATED, GZIP_WINDOW, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	g->open = 1;
	return 0;
}

void
gzip_stream_feed(struct gzip_stream *g, const void *in, size_t len)
{
	g->z.next_in = (Bytef *)(uintptr_t)in;
	g->z.avail_in = (uInt)len;	/* callers feed pieces, not GiBs */
}

int
gzip_stream_out(struct gzip_stream *g, struct wbuf *out, int finish)
{
	int	 rc;

	g->z.next_out = (Bytef *)out->data + out->len;
	g->z.avail_out = (uInt)(out->max - out->len);
	rc = deflate(&g->z, finish ? Z_FINISH : Z_NO_FLUSH);
	out->len = out->max - g->z.avail_out;
	if (rc == Z_STREAM_END)
		return 1;
	if (rc != Z_OK && rc != Z_BUF_ERROR)
		return -1;
	if (g->z.avail_out == 0)
		return 0;		/* maybe more to come out */
	return finish ? 0 : 1;
}

void
gzip_stream_end(struct gzip_stream *g)
{
	if (g->open)
		deflateEnd(&g->z);
	g->open = 0;
}
