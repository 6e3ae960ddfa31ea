#include <stdlib.h>

#include "coding.h"
#include "gzip.h"
#include "zstdstream.h"

const char *const coding_names[CODING__COUNT] = {
	[CODING_IDENTITY] = NULL,
	[CODING_GZIP] = "gzip",
	[CODING_ZSTD] = "zstd",
};

struct coder {
	enum coding		 c;
	union {
		struct gzip_stream	*gz;
		struct zstd_stream	*zs;
	};
};

static const enum gzip_part gzip_parts[] = {
	[CODER_WHOLE] = GZIP_WHOLE,
	[CODER_PIECE] = GZIP_PIECE,
	[CODER_TAIL] = GZIP_TAIL,
};

size_t
coder_prefix(enum coding c, const unsigned char **prefix)
{
	*prefix = gzip_header;
	return c == CODING_GZIP ? sizeof(gzip_header) : 0;
}

void
coder_seam_join(enum coding c, struct coder_seam *a, const struct coder_seam *b)
{
	struct gzip_seam	 ga = { a->crc, a->len }, gb = { b->crc, b->len };

	if (c != CODING_GZIP)
		return;
	gzip_seam_join(&ga, &gb);
	a->crc = ga.crc;
	a->len = ga.len;
}

struct coder *
coder_new(enum coding c, enum coder_part part, const struct coder_seam *after)
{
	struct coder		*k;
	struct gzip_seam	 gs = { 0, 0 };
	int			 ok;

	if (c == CODING_IDENTITY || (k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->c = c;
	if (after != NULL) {
		gs.crc = after->crc;
		gs.len = after->len;
	}
	/* zstd's parts are frames of their own, each whole */
	if (c == CODING_GZIP)
		ok = (k->gz = gzip_stream_new(gzip_parts[part], &gs)) != NULL;
	else
		ok = (k->zs = zstd_stream_new()) != NULL;
	if (!ok) {
		free(k);
		return NULL;
	}
	return k;
}

void
coder_feed(struct coder *k, const void *in, size_t len)
{
	if (k->c == CODING_GZIP)
		gzip_stream_feed(k->gz, in, len);
	else
		zstd_stream_feed(k->zs, in, len);
}

int
coder_out(struct coder *k, struct wbuf *out, int finish)
{
	if (k->c == CODING_GZIP)
		return gzip_stream_out(k->gz, out, finish);
	return zstd_stream_out(k->zs, out, finish);
}

void
coder_seam(struct coder *k, struct coder_seam *seam)
{
	struct gzip_seam	 gs = { 0, 0 };

	if (k->c == CODING_GZIP)
		gzip_stream_seam(k->gz, &gs);
	seam->crc = gs.crc;
	seam->len = gs.len;
}

void
coder_free(struct coder *k)
{
	if (k == NULL)
		return;
	if (k->c == CODING_GZIP)
		gzip_stream_free(k->gz);
	else
		zstd_stream_free(k->zs);
	free(k);
}

size_t
coding_cost(enum coding c)
{
	switch (c) {
	case CODING_GZIP:
		return sizeof(struct coder) + gzip_stream_cost();
	case CODING_ZSTD:
		return sizeof(struct coder) + zstd_stream_cost();
	default:
		return 0;
	}
}
