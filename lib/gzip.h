/* gzip (RFC 1952) of a whole buffer, with zlib. */
#ifndef GZIP_H
#define GZIP_H

#include <stddef.h>

#include "wbuf.h"

/* Appends the gzip of in[0..len) to out; 0, or -1 (out->failed set). */
int	gzip_compress(const void *in, size_t len, int level, struct wbuf *out);

#endif
