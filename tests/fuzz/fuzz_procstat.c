/*
 * /proc/stat and /proc/meminfo text, in buffers of exactly their bytes:
 * the CPU busy share between two readings and the memory used are
 * percentages, or NaN.
 */
#include <math.h>

#include "fuzz.h"
#include "procstat.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpu_times	 a, b;
	size_t			 half = size / 2;
	char			*x = exact_copy(data, half);
	char			*y = exact_copy(data + half, size - half);
	double			 v;

	if (procstat_cpu_parse(x, half, &a) == 0 &&
	    procstat_cpu_parse(y, size - half, &b) == 0) {
		v = procstat_cpu_busy(&a, &b);
		FUZZ_ASSERT(isnan(v) || (v >= 0 && v <= 100));
	}
	v = procstat_mem_used(y, size - half);
	FUZZ_ASSERT(isnan(v) || (v >= 0 && v <= 100));
	free(x);
	free(y);
	return 0;
}
