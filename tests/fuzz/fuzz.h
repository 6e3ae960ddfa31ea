/* What the fuzz targets share. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A copy of exactly size bytes: reading one past it is an ASan error. */
static inline char *
exact_copy(const uint8_t *data, size_t size)
{
	char	*p = malloc(size ? size : 1);

	if (p == NULL)
		abort();
	memcpy(p, data, size);
	return p;
}

/* A NUL-terminated copy, for the parsers that take C strings. */
static inline char *
string_copy(const uint8_t *data, size_t size)
{
	char	*p = malloc(size + 1);

	if (p == NULL)
		abort();
	memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

/* An invariant the target checks: abort, which libFuzzer reports. */
#define FUZZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);\
		abort();						\
	}								\
} while (0)

#endif
