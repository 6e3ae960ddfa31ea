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

#endif
