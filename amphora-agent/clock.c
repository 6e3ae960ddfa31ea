/*
 * Time, for the agent's own purposes: the monotonic clock (a wall clock
 * that steps must not age a snapshot or time out a client) and the one
 * conversion of milliseconds into libevent's timeouts.
 */
#include <time.h>

#include "agent.h"

void
clock_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

double
timespec_elapsed(const struct timespec *from, const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) +
	    (double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

struct timeval
timeval_from_ms(int64_t ms)
{
	struct timeval	 tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	return tv;
}
