#include <stdlib.h>

#include <zstd.h>

#include "zstdstream.h"

#define ZSTD_STREAM_LEVEL	1

/*
 * What a level 1 context with the window above weighs once it has
 * compressed (test_zstdstream measures it): its tables, window and
 * buffers, with room to spare.
 */
#define ZSTD_STREAM_COST	((size_t)640 << 10)

struct zstd_stream {
	ZSTD_CCtx	*cctx;
	ZSTD_inBuffer	 in;
};

size_t
zstd_stream_cost(void)
{
	return ZSTD_STREAM_COST;
}

struct zstd_stream *
zstd_stream_new(void)
{
	struct zstd_stream	*z;

	if ((z = calloc(1, sizeof(*z))) == NULL)
		return NULL;
	if ((z->cctx = ZSTD_createCCtx()) == NULL ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx,
	    ZSTD_c_compressionLevel, ZSTD_STREAM_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_windowLog,
	    ZSTD_STREAM_WINDOW_LOG)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag,
	    1))) {
		zstd_stream_free(z);
		return NULL;
	}
	return z;
}

void
zstd_stream_feed(struct zstd_stream *z, const void *in, size_t len)
{
	z->in = (ZSTD_inBuffer){ in, len, 0 };
}

int
zstd_stream_out(struct zstd_stream *z, struct wbuf *out, int finish)
{
	ZSTD_outBuffer	 o = { out->data, out->max, out->len };
	size_t		 left;

	left = ZSTD_compressStream2(z->cctx, &o, &z->in,
	    finish ? ZSTD_e_end : ZSTD_e_continue);
	out->len = o.pos;
	if (ZSTD_isError(left))
		return -1;
	if (finish)
		return left == 0;
	return z->in.pos == z->in.size && o.pos < o.size;
}

void
zstd_stream_free(struct zstd_stream *z)
{
	if (z == NULL)
		return;
	ZSTD_freeCCtx(z->cctx);
	free(z);
}

size_t
zstd_stream_size(const struct zstd_stream *z)
{
	return sizeof(*z) + ZSTD_sizeof_CCtx(z->cctx);
}
