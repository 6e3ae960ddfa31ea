/* Test helpers: fixture files captured from a real HAProxy. */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <stddef.h>

/*
 * Where the HAProxy captures are: $FIXTURE_DIR when set (the same tests
 * run over tests/fixtures/haproxy-2.2, -2.6 and -3.0), else the 2.6 ones.
 */
const char	*fixture_dir(void);

/* The whole file fixture_dir()/name, NUL-terminated; aborts when missing. */
char	*fixture_load(const char *name, size_t *len);

/* A whole gzip member inflated into out (zlib's, not the agent's own
 * code); its length. Fails the test when it is not one. */
size_t	fixture_gunzip(const char *in, size_t len, char *out, size_t cap);

#endif
