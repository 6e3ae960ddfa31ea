/*
 * Decimal numbers: the one parser for all of them (a stats answer's
 * counters, /proc, ports, durations and limits in the configuration, a
 * CIDR's prefix, HTTP's Content-Length, q-values and timeouts, systemd's
 * variables). Digits only: no sign, no blank, no base prefix; and never
 * above max: each digit is added with the overflow flag checked, not by
 * a division a digit (a number only grows as digits are added, so one
 * check against max at the end says whether any prefix was above it).
 * Inline: it is the inner loop of the stats answer's parser.
 */
#ifndef DECIMAL_H
#define DECIMAL_H

#include <stdint.h>
#include <string.h>

/*
 * The digits at p (before end) as *v: where they end, or NULL when there
 * is no digit or the number is above max.
 */
static inline const char *
dec_u64(const char *p, const char *end, uint64_t max, uint64_t *v)
{
	const char	*start = p;
	uint64_t	 x = 0, d;

	for (; p < end && (d = (uint64_t)(unsigned char)*p - '0') < 10; p++)
		if (__builtin_mul_overflow(x, 10, &x) ||
		    __builtin_add_overflow(x, d, &x))
			return NULL;
	if (p == start || x > max)
		return NULL;
	*v = x;
	return p;
}

/* A whole string of digits no greater than max: 0, or -1. */
static inline int
dec_u64_str(const char *s, uint64_t max, uint64_t *v)
{
	const char	*end = s + strlen(s);

	return dec_u64(s, end, max, v) == end ? 0 : -1;
}

#endif
