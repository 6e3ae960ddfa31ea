#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gzip.h"

#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>

/* Level 1 with its small token buffer: pieces are 64 KiB anyway. */
#define LEVEL_BUF_SIZE	ISAL_DEF_LVL1_SMALL

struct gzip_stream {
	struct isal_zstream	 z;
	uint8_t			 level_buf[LEVEL_BUF_SIZE];
};

const char *
gzip_backend(void)
{
	return "isa-l";
}

size_t
gzip_stream_cost(void)
{
	return sizeof(struct gzip_stream);
}

struct gzip_stream *
gzip_stream_new(void)
{
	struct gzip_stream	*g;

	if ((g = malloc(sizeof(*g))) == NULL)
		return NULL;
	isal_deflate_init(&g->z);
	g->z.level = 1;
	g->z.level_buf = g->level_buf;
	g->z.level_buf_size = LEVEL_BUF_SIZE;
	g->z.gzip_flag = IGZIP_GZIP;
	g->z.flush = NO_FLUSH;
	return g;
}

void
gzip_stream_feed(struct gzip_stream *g, const void *in, size_t len)
{
	g->z.next_in = (uint8_t *)(uintptr_t)in;
	g->z.avail_in = (uint32_t)len;	/* pieces, not GiBs */
}

int
gzip_stream_out(struct gzip_stream *g, struct wbuf *out, int finish)
{
	g->z.next_out = (uint8_t *)out->data + out->len;
	g->z.avail_out = (uint32_t)(out->max - out->len);
	g->z.end_of_stream = finish;
	if (isal_deflate(&g->z) != COMP_OK)
		return -1;
	out->len = out->max - g->z.avail_out;
	if (finish)
		return g->z.internal_state.state == ZSTATE_END;
	return g->z.avail_in == 0 && g->z.avail_out > 0;
}

void
gzip_stream_free(struct gzip_stream *g)
{
	free(g);
}

#else	/* zlib */
#include <zlib.h>

#define GZIP_WINDOW	(15 + 16)	/* 32 KiB window, gzip wrapper */

struct gzip_stream {
	z_stream	 z;
};

const char *
gzip_backend(void)
{
	return "zlib";
}

size_t
gzip_stream_cost(void)
{
	return sizeof(struct gzip_stream) + (1u << (15 + 2)) + (1u << (8 + 9));
}

struct gzip_stream *
gzip_stream_new(void)
{
	struct gzip_stream	*g;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	if (deflateInit2(&g->z, 1, Z_DEFLATED, GZIP_WINDOW, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g);
		return NULL;
	}
	return g;
}

void
gzip_stream_feed(struct gzip_stream *g, const void *in, size_t len)
{
	g->z.next_in = (Bytef *)(uintptr_t)in;
	g->z.avail_in = (uInt)len;	/* pieces, not GiBs */
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
	if (g->z.avail_out == 0 || finish)
		return 0;
	return 1;
}

void
gzip_stream_free(struct gzip_stream *g)
{
	if (g == NULL)
		return;
	deflateEnd(&g->z);
	free(g);
}
#endif
