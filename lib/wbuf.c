#include <stdlib.h>
#include <string.h>

#include "wbuf.h"

void
wbuf_init(struct wbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
wbuf_init_fixed(struct wbuf *b, void *mem, size_t size)
{
	memset(b, 0, sizeof(*b));
	b->data = mem;
	b->cap = b->max = size;
}

void
wbuf_free(struct wbuf *b)
{
	free(b->data);
	wbuf_init(b, b->max);
}

void
wbuf_reset(struct wbuf *b)
{
	b->len = 0;
	b->failed = 0;
}

/* Make room for n more bytes; 0 on success, -1 (and failed set) if not. */
int
wbuf_reserve(struct wbuf *b, size_t n)
{
	size_t	 want, ncap;
	char	*p;

	if (b->failed)
		return -1;
	if (n <= b->cap - b->len)
		return 0;
	if (n > b->max - b->len) {
		b->failed = 1;
		return -1;
	}
	want = b->len + n;
	ncap = b->cap ? b->cap : 4096;
	while (ncap < want)
		ncap = ncap > b->max / 2 ? b->max : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	if ((p = realloc(b->data, ncap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	b->data = p;
	b->cap = ncap;
	return 0;
}

void
wbuf_add(struct wbuf *b, const void *p, size_t n)
{
	if (n == 0 || wbuf_reserve(b, n) == -1)
		return;		/* data may still be NULL: no memcpy */
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void
wbuf_puts(struct wbuf *b, const char *s)
{
	wbuf_add(b, s, strlen(s));
}

void
wbuf_putc(struct wbuf *b, char c)
{
	if (wbuf_reserve(b, 1) == -1)
		return;
	b->data[b->len++] = c;
}

size_t
fmt_u64(char *dst, uint64_t v)
{
	char	 tmp[20];
	size_t	 n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}
