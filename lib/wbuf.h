/*
 * A growable byte buffer with a hard size cap. Appends past the cap set a
 * sticky error flag instead of growing; callers check wbuf_failed() once at
 * the end, which keeps the formatting code free of per-call error handling.
 */
#ifndef WBUF_H
#define WBUF_H

#include <stddef.h>
#include <stdint.h>

struct wbuf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* never grow beyond this */
	int	 failed;	/* an append did not fit or malloc failed */
};

void	wbuf_init(struct wbuf *, size_t max);
/* A buffer over caller memory that never grows; never wbuf_free() it. */
void	wbuf_init_fixed(struct wbuf *, void *mem, size_t size);
void	wbuf_free(struct wbuf *);
void	wbuf_reset(struct wbuf *);
int	wbuf_reserve(struct wbuf *, size_t);
void	wbuf_add(struct wbuf *, const void *, size_t);
void	wbuf_puts(struct wbuf *, const char *);
void	wbuf_putc(struct wbuf *, char);

static inline int
wbuf_failed(const struct wbuf *b)
{
	return b->failed;
}

/* Decimal digits of v into dst (at least 20 bytes); returns the length. */
size_t	fmt_u64(char *dst, uint64_t v);

#endif
