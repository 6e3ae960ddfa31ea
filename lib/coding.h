/*
 * The content codings a response may go out in, and a stream of one:
 * gzip (gzip.h) or zstd (zstdstream.h) behind one interface, so the HTTP
 * side streams either alike.
 */
#ifndef CODING_H
#define CODING_H

#include <stddef.h>

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

/* A stream of coding c (not identity); NULL when out of memory. */
struct coder	*coder_new(enum coding c);
void	coder_feed(struct coder *, const void *in, size_t len);
/* 1: done with the input; 0: out is full, call again; -1: failed. */
int	coder_out(struct coder *, struct wbuf *out, int finish);
void	coder_free(struct coder *);		/* NULL allowed */
/* The memory a stream of c holds at most, for the output budget. */
size_t	coding_cost(enum coding c);

#endif
