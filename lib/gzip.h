/*
 * Streaming gzip (RFC 1952), for responses sent piece by piece. With
 * Intel's ISA-L (libisal) when the build found it, zlib otherwise: ISA-L's
 * fastest level compresses metrics text about six times faster than zlib's,
 * and smaller.
 *
 * Feed input with gzip_stream_feed(), then call gzip_stream_out() with
 * buffers until it returns 1: the input is used up and, when finishing,
 * the gzip member is complete.
 *
 * A member may also be made in two parts, so that the first, the same for
 * every response of a snapshot, can be kept and sent again: GZIP_HEAD is
 * the header and deflate blocks flushed to a byte boundary with the
 * history dropped, none of them final; GZIP_TAIL the blocks after them,
 * the last one final, and the trailer over both parts' text, which
 * gzip_stream_seam() of the head gives it. One member, not two: every
 * gzip reader takes it.
 */
#ifndef GZIP_H
#define GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "wbuf.h"

struct gzip_stream;

enum gzip_part {
	GZIP_WHOLE,
	GZIP_HEAD,
	GZIP_TAIL,
};

/* Where a head ended: the CRC-32 of its text and its length mod 2^32. */
struct gzip_seam {
	uint32_t	 crc;
	uint32_t	 len;
};

/* NULL when out of memory; after: the head's seam, for GZIP_TAIL only. */
struct gzip_stream	*gzip_stream_new(enum gzip_part,
			    const struct gzip_seam *after);
/* The text fed so far, with the seam it continued (a head's, when done). */
void	gzip_stream_seam(const struct gzip_stream *, struct gzip_seam *);
void	gzip_stream_feed(struct gzip_stream *, const void *in, size_t len);
/* 1: done with the input; 0: out is full, call again; -1: failed. */
int	gzip_stream_out(struct gzip_stream *, struct wbuf *out, int finish);
void	gzip_stream_free(struct gzip_stream *);

/*
 * The memory one stream holds while it lives, for the budget of what all
 * responses in flight may take: its state, and zlib's window and hash
 * tables ((1 << (windowBits + 2)) + (1 << (memLevel + 9)), as zconf.h
 * says).
 */
size_t	gzip_stream_cost(void);

/* "isa-l" or "zlib". */
const char	*gzip_backend(void);

#endif
