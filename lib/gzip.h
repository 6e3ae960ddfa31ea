/*
 * Streaming gzip (RFC 1952), for responses sent piece by piece. With
 * Intel's ISA-L (libisal) when the build found it, zlib otherwise: ISA-L's
 * fastest level compresses metrics text about six times faster than zlib's,
 * and smaller.
 *
 * Feed input with gzip_stream_feed(), then call gzip_stream_out() with
 * buffers until it returns 1: the input is used up and, when finishing,
 * the gzip member is complete.
 */
#ifndef GZIP_H
#define GZIP_H

#include <stddef.h>

#include "wbuf.h"

struct gzip_stream;

/* NULL when out of memory. */
struct gzip_stream	*gzip_stream_new(void);
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
