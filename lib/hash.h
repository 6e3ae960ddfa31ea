/*
 * A fast 64-bit hash of bytes, keyed: what names a piece of exposition
 * text in the agent's cache of coded pieces. Not cryptographic; keyed by
 * a seed the agent draws at start, so that nobody who does not know the
 * seed can make two texts collide on purpose.
 */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t	hash64(const void *, size_t, uint64_t seed);

#endif
