#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <math.h>

#include "procstat.h"

static void
test_cpu(void **state)
{
	const char	*a = "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n";
	const char	*b = "cpu  150 0 150 900 0 0 0 0 0 0\n";
	struct cpu_times t0 = { 0, 0 }, t1, t2;

	(void)state;
	assert_int_equal(procstat_cpu_parse(a, strlen(a), &t1), 0);
	assert_true(t1.total == 1000 && t1.busy == 200);
	assert_int_equal(procstat_cpu_parse(b, strlen(b), &t2), 0);
	assert_true(fabs(procstat_cpu_busy(&t1, &t2) - 50.0) < 1e-9);
	assert_true(fabs(procstat_cpu_busy(&t0, &t1) - 20.0) < 1e-9);
	assert_true(isnan(procstat_cpu_busy(&t2, &t2)));
	/* idle went back (found by fuzz_procstat): busy grew past total */
	assert_int_equal(procstat_cpu_parse(
	    "cpu  100 0 100 900 0 0 0 0\n", 27, &t0), 0);
	assert_int_equal(procstat_cpu_parse(
	    "cpu  800 0 100 400 0 0 0 0\n", 27, &t1), 0);
	assert_true(isnan(procstat_cpu_busy(&t0, &t1)));
	/* all busy, in counts where 100 * busy rounds up (fuzz_procstat) */
	t0.total = 0;
	t0.busy = 0;
	t1.total = t1.busy = 360292589605767ULL;
	assert_true(procstat_cpu_busy(&t0, &t1) <= 100.0);
	/* a sum past 2^64 is not a reading */
	assert_int_equal(procstat_cpu_parse(
	    "cpu  18446744073709551615 1 0 0\n", 32, &t1), -1);
	/* old kernels print only four fields */
	assert_int_equal(procstat_cpu_parse("cpu  1 2 3 4\n", 13, &t1), 0);
	assert_true(t1.total == 10 && t1.busy == 6);
	assert_int_equal(procstat_cpu_parse("cpu0 1 2 3 4\n", 13, &t1), -1);
	assert_int_equal(procstat_cpu_parse("cpu  1 2\n", 9, &t1), -1);
	assert_int_equal(procstat_cpu_parse("", 0, &t1), -1);
}

static void
test_memory(void **state)
{
	const char	*m = "MemTotal:        1000 kB\nMemFree:  10 kB\n"
			    "MemAvailable:     250 kB\n";

	(void)state;
	assert_true(fabs(procstat_mem_used(m, strlen(m)) - 75.0) < 1e-9);
	assert_true(isnan(procstat_mem_used("MemTotal: 10 kB\n", 16)));
	assert_true(isnan(procstat_mem_used("MemTotal: 0 kB\nMemAvailable: 0"
	    " kB\n", 31)));
	m = "MemTotal: 10 kB\nMemAvailable: 20 kB\n";
	assert_true(isnan(procstat_mem_used(m, strlen(m))));
	/* none available, in a count where 100 * used rounds up */
	m = "MemTotal: 360292589605767 kB\nMemAvailable: 0 kB\n";
	assert_true(procstat_mem_used(m, strlen(m)) <= 100.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu),
		cmocka_unit_test(test_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
