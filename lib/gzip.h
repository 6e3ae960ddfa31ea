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
 * A member may also be made of parts, so that the ones the same from one
 * response to the next can be kept and sent again: gzip_header, then
 * GZIP_PIECEs, each deflate blocks of its own text flushed to a byte
 * boundary with no history before or after and none of them final, then
 * the GZIP_TAIL: the blocks after them, the last one final, and the
 * trailer over all the parts' text, which the pieces' seams joined give
 * it. One member, not many: every gzip reader takes it.
 */
#ifndef GZIP_H
#define GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "wbuf.h"

struct gzip_stream;

enum gzip_part {
	GZIP_WHOLE,
	GZIP_PIECE,
	GZIP_TAIL,
};

/* What parts have coded: the CRC-32 of their text and its length mod 2^32. */
struct gzip_seam {
	uint32_t	 crc;
	uint32_t	 len;
};

/* What a member of parts begins with (RFC 1952: no name, no time). */
#define GZIP_HEADER_LEN	10
extern const unsigned char gzip_header[GZIP_HEADER_LEN];

/* The seam of a's text followed by b's, from the two alone. */
void	gzip_seam_join(struct gzip_seam *a, const struct gzip_seam *b);

/*
 * NULL when out of memory; after: the seam of the parts before, for
 * GZIP_TAIL only.
 */
struct gzip_stream	*gzip_stream_new(enum gzip_part,
			    const struct gzip_seam *after);
/*
 * A piece's seam: of the text fed since the last call, which a stream of
 * pieces may code one after the other (each ends on its full flush).
 */
void	gzip_stream_seam(struct gzip_stream *, struct gzip_seam *);
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
