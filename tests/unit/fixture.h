/* Test helpers: fixture files captured from a real HAProxy. */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <stddef.h>

/* The whole file FIXTURE_DIR/name, NUL-terminated; aborts when missing. */
char	*fixture_load(const char *name, size_t *len);

#endif
