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
 * A body whole, or in two parts: the head (a snapshot's HAProxy families,
 * the same for every response of it, so kept and sent again) and the tail
 * after it. gzip makes them one member (gzip.h), zstd two frames.
 */
enum coder_part {
	CODER_WHOLE,
	CODER_HEAD,
	CODER_TAIL,
};

/* Where a head ended, for its tail (gzip: its text's CRC and length). */
struct coder_seam {
	uint32_t	 crc;
	uint32_t	 len;
};

/*
 * A stream of coding c (not identity); NULL when out of memory. after:
 * the head's seam, for a tail.
 */
struct coder	*coder_new(enum coding c, enum coder_part,
		    const struct coder_seam *after);
/* A head's seam, once coder_out() finished it. */
void	coder_seam(const struct coder *, struct coder_seam *);
void	coder_feed(struct coder *, const void *in, size_t len);
/* 1: done with the input; 0: out is full, call again; -1: failed. */
int	coder_out(struct coder *, struct wbuf *out, int finish);
void	coder_free(struct coder *);		/* NULL allowed */
/* The memory a stream of c holds at most, for the output budget. */
size_t	coding_cost(enum coding c);

#endif
