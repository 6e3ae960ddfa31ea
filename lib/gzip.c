#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gzip.h"

const unsigned char gzip_header[GZIP_HEADER_LEN] = {
	0x1f, 0x8b,		/* the magic */
	8,			/* deflate */
	0,			/* no flags: no name, comment or extra */
	0, 0, 0, 0,		/* no time */
	0,			/* no extra flags */
	255,			/* the OS unknown */
};

/*
 * CRC-32 arithmetic, for joining two texts' CRCs without their text: the
 * CRC of A then B is CRC(A) times x^(8|B|) modulo the polynomial, plus
 * CRC(B) (the pre- and post-conditioning cancel out). Bit-reflected, as
 * gzip's CRC is: bit 31 holds x^0.
 */
#define CRC_POLY	0xedb88320u

/* a * b modulo the polynomial. */
static uint32_t
crc_mul(uint32_t a, uint32_t b)
{
	uint32_t	 m = 1u << 31, p = 0;

	for (; m != 0; m >>= 1) {
		if (a & m)
			p ^= b;
		b = b & 1 ? (b >> 1) ^ CRC_POLY : b >> 1;
	}
	return p;
}

/* x^(8 n) modulo the polynomial: a product of x^(8 2^k), one per bit of n. */
static uint32_t
crc_x8n(uint32_t n)
{
	static uint32_t	 sq[32];	/* x^(8 2^k), worked out once */
	uint32_t	 p = 1u << 31;	/* x^0 */
	unsigned	 k;

	if (sq[0] == 0) {
		sq[0] = 1u << (31 - 8);	/* x^8 */
		for (k = 1; k < 32; k++)
			sq[k] = crc_mul(sq[k - 1], sq[k - 1]);
	}
	for (k = 0; n != 0; n >>= 1, k++)
		if (n & 1)
			p = crc_mul(p, sq[k]);
	return p;
}

/* b is a piece, its length exact (a seam's is mod 2^32, as gzip's is). */
void
gzip_seam_join(struct gzip_seam *a, const struct gzip_seam *b)
{
	a->crc = crc_mul(crc_x8n(b->len), a->crc) ^ b->crc;
	a->len += b->len;
}

/* What both backends share: the parts' seam and the tail's trailer. */
struct gzip_parts {
	enum gzip_part		 part;
	struct gzip_seam	 seam;
	uint8_t			 trailer[8];
	unsigned		 trailer_off;	/* bytes of it out */
	int			 trailer_due;
};

static void
parts_init(struct gzip_parts *p, enum gzip_part part,
    const struct gzip_seam *after)
{
	memset(p, 0, sizeof(*p));
	p->part = part;
	if (part == GZIP_TAIL && after != NULL)
		p->seam = *after;
}

/* The tail's compressor has ended: the trailer is the rest (RFC 1952). */
static int
parts_trailer(struct gzip_parts *p, struct wbuf *out)
{
	size_t	 n, i;

	if (!p->trailer_due) {
		for (i = 0; i < 4; i++) {
			p->trailer[i] = (uint8_t)(p->seam.crc >> (8 * i));
			p->trailer[4 + i] = (uint8_t)(p->seam.len >> (8 * i));
		}
		p->trailer_due = 1;
	}
	n = sizeof(p->trailer) - p->trailer_off;
	if (n > out->max - out->len)
		n = out->max - out->len;
	memcpy(out->data + out->len, p->trailer + p->trailer_off, n);
	out->len += n;
	p->trailer_off += (unsigned)n;
	return p->trailer_off == sizeof(p->trailer);
}

#ifdef HAVE_ISAL
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>

/* Level 1 with its small token buffer: pieces are 64 KiB anyway. */
#define LEVEL_BUF_SIZE	ISAL_DEF_LVL1_SMALL

struct gzip_stream {
	struct isal_zstream	 z;
	struct gzip_parts	 p;
	uint8_t			 level_buf[LEVEL_BUF_SIZE];
};

static uint32_t
crc_update(uint32_t crc, const void *in, size_t len)
{
	return crc32_gzip_refl(crc, in, len);
}

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
gzip_stream_new(enum gzip_part part, const struct gzip_seam *after)
{
	struct gzip_stream	*g;

	if ((g = malloc(sizeof(*g))) == NULL)
		return NULL;
	isal_deflate_init(&g->z);
	g->z.level = 1;
	g->z.level_buf = g->level_buf;
	g->z.level_buf_size = LEVEL_BUF_SIZE;
	g->z.gzip_flag = part == GZIP_WHOLE ? IGZIP_GZIP : IGZIP_DEFLATE;
	g->z.flush = NO_FLUSH;
	parts_init(&g->p, part, after);
	return g;
}

void
gzip_stream_feed(struct gzip_stream *g, const void *in, size_t len)
{
	g->z.next_in = (uint8_t *)(uintptr_t)in;
	g->z.avail_in = (uint32_t)len;	/* pieces, not GiBs */
	if (g->p.part != GZIP_WHOLE) {
		g->p.seam.crc = crc_update(g->p.seam.crc, in, len);
		g->p.seam.len += (uint32_t)len;
	}
}

int
gzip_stream_out(struct gzip_stream *g, struct wbuf *out, int finish)
{
	int	 state;

	if (g->p.trailer_due)
		return parts_trailer(&g->p, out);
	g->z.next_out = (uint8_t *)out->data + out->len;
	g->z.avail_out = (uint32_t)(out->max - out->len);
	if (g->p.part == GZIP_PIECE)
		g->z.flush = finish ? FULL_FLUSH : NO_FLUSH;
	else
		g->z.end_of_stream = finish;
	if (isal_deflate(&g->z) != COMP_OK)
		return -1;
	out->len = out->max - g->z.avail_out;
	state = g->z.internal_state.state;
	if (!finish || g->p.part == GZIP_PIECE)
		/* a piece is flushed when all of it is out */
		return g->z.avail_in == 0 && g->z.avail_out > 0 &&
		    (!finish || state == ZSTATE_NEW_HDR);
	if (state != ZSTATE_END)
		return 0;
	return g->p.part == GZIP_TAIL ? parts_trailer(&g->p, out) : 1;
}

void
gzip_stream_seam(struct gzip_stream *g, struct gzip_seam *seam)
{
	*seam = g->p.seam;
	if (g->p.part == GZIP_PIECE)
		g->p.seam = (struct gzip_seam){ 0, 0 };
}

void
gzip_stream_free(struct gzip_stream *g)
{
	free(g);
}

#else	/* zlib */
#include <zlib.h>

#define GZIP_WINDOW	15		/* 32 KiB */

struct gzip_stream {
	z_stream		 z;
	struct gzip_parts	 p;
};

static uint32_t
crc_update(uint32_t crc, const void *in, size_t len)
{
	return (uint32_t)crc32(crc, in, (uInt)len);
}

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
gzip_stream_new(enum gzip_part part, const struct gzip_seam *after)
{
	struct gzip_stream	*g;
	int			 bits;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	/* pieces and tails are raw deflate: the parts make the member */
	bits = part == GZIP_WHOLE ? GZIP_WINDOW + 16 : -GZIP_WINDOW;
	if (deflateInit2(&g->z, 1, Z_DEFLATED, bits, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g);
		return NULL;
	}
	parts_init(&g->p, part, after);
	return g;
}

void
gzip_stream_feed(struct gzip_stream *g, const void *in, size_t len)
{
	g->z.next_in = (Bytef *)(uintptr_t)in;
	g->z.avail_in = (uInt)len;	/* pieces, not GiBs */
	if (g->p.part != GZIP_WHOLE) {
		g->p.seam.crc = crc_update(g->p.seam.crc, in, len);
		g->p.seam.len += (uint32_t)len;
	}
}

int
gzip_stream_out(struct gzip_stream *g, struct wbuf *out, int finish)
{
	int	 rc, flush = finish ? Z_FINISH : Z_NO_FLUSH;

	if (g->p.trailer_due)
		return parts_trailer(&g->p, out);
	if (finish && g->p.part == GZIP_PIECE)
		flush = Z_FULL_FLUSH;
	g->z.next_out = (Bytef *)out->data + out->len;
	g->z.avail_out = (uInt)(out->max - out->len);
	rc = deflate(&g->z, flush);
	out->len = out->max - g->z.avail_out;
	if (rc == Z_STREAM_END)
		return g->p.part == GZIP_TAIL ? parts_trailer(&g->p, out) : 1;
	if (rc != Z_OK && rc != Z_BUF_ERROR)
		return -1;
	if (g->z.avail_out == 0 || (finish && flush == Z_FINISH))
		return 0;
	return 1;
}

void
gzip_stream_seam(struct gzip_stream *g, struct gzip_seam *seam)
{
	*seam = g->p.seam;
	if (g->p.part == GZIP_PIECE)
		g->p.seam = (struct gzip_seam){ 0, 0 };
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
