/*
 * The amphora's CPU and memory use, from the text of /proc/stat and
 * /proc/meminfo (read by the caller).
 */
#ifndef PROCSTAT_H
#define PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

struct cpu_times {
	uint64_t	 busy;
	uint64_t	 total;
};

/* The aggregate "cpu " line. 0, or -1 when it is missing or broken. */
int	procstat_cpu_parse(const char *buf, size_t len, struct cpu_times *);

/* Busy percentage between two readings; NaN when no time passed. */
double	procstat_cpu_busy(const struct cpu_times *prev,
	    const struct cpu_times *cur);

/* Used percentage: 100 * (1 - MemAvailable / MemTotal). NaN if missing. */
double	procstat_mem_used(const char *buf, size_t len);

#endif
