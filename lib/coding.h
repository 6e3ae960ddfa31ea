/*
 * The content codings a response may go out in, and a stream of one:
 * gzip (gzip.h) or zstd (zstdstream.h) behind one interface, so the HTTP
 * side streams either alike.
 */
#ifndef CODING_H
#define CODING_H

#include <stddef.h>
#include <stdint.h>

#include "wbuf.h"

enum coding {
	CODING_IDENTITY,
	CODING_GZIP,
	CODING_ZSTD,
	CODING__COUNT		/* must be last */
};

/* Content-Encoding values; NULL for identity. */
extern const char *const coding_names[CODING__COUNT];

struct coder;

/*
 * A body whole, or in parts: a prefix (coder_prefix), pieces (runs of the
 * HAProxy families, coded each on its own so that one unchanged from one
 * snapshot to the next is kept and sent again) and the tail after them,
 * the agent's own. gzip makes them one member (gzip.h), zstd a frame each.
 */
enum coder_part {
	CODER_WHOLE,
	CODER_PIECE,
	CODER_TAIL,
};

/* What parts have coded, for the tail (gzip: their text's CRC and length). */
struct coder_seam {
	uint32_t	 crc;
	uint32_t	 len;
};

/* The bytes a body of parts of coding c begins with; their length. */
size_t	coder_prefix(enum coding c, const unsigned char **prefix);
/* The seam of a's parts followed by a piece's (b, from coder_seam). */
void	coder_seam_join(enum coding c, struct coder_seam *a,
	    const struct coder_seam *b);

/*
 * A stream of coding c (not identity); NULL when out of memory. after:
 * the seam of the parts before, for a tail.
 */
struct coder	*coder_new(enum coding c, enum coder_part,
		    const struct coder_seam *after);
/*
 * A piece's seam, once coder_out() finished it; the stream then codes the
 * next piece (gzip: the same stream, each piece ends on a full flush;
 * zstd: the next frame).
 */
void	coder_seam(struct coder *, struct coder_seam *);
void	coder_feed(struct coder *, const void *in, size_t len);
/* 1: done with the input; 0: out is full, call again; -1: failed. */
int	coder_out(struct coder *, struct wbuf *out, int finish);
void	coder_free(struct coder *);		/* NULL allowed */
/* The memory a stream of c holds at most, for the output budget. */
size_t	coding_cost(enum coding c);

#endif
