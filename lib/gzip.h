/* gzip (RFC 1952) of a whole buffer, with zlib. */
#ifndef GZIP_H
#define GZIP_H

#include <stddef.h>
#include <zlib.h>

#include "wbuf.h"

/* Appends the gzip of in[0..len) to out; 0, or -1 (out->failed set). */
int	gzip_compress(const void *in, size_t len, int level, struct wbuf *out);


/*
 * Streaming gzip, for responses sent piece by piece. Feed input with
 * gzip_stream_feed(), then call gzip_stream_out() with buffers until it
 * returns 1 (input used up; with finish, the member is complete too).
 */
struct gzip_stream {
	z_stream	 z;
	int		 open;
};

int	gzip_stream_init(struct gzip_stream *, int level);
void	gzip_stream_feed(struct gzip_stream *, const void *in, size_t len);
/* 1: done with the input; 0: out is full, call again; -1: zlib failed. */
int	gzip_stream_out(struct gzip_stream *, struct wbuf *out, int finish);
void	gzip_stream_end(struct gzip_stream *);

#endif
