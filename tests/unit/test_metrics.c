#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "metrics.h"

static size_t
ends_with(const char *s, const char *suffix)
{
	size_t	 a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void
test_table_shape(void **state)
{
	unsigned			 i, j;
	const struct metric_family	*f;

	(void)state;
	assert_int_equal(FAM_HAPROXY__COUNT, 144);
	assert_true(FAM__COUNT > FAM_HAPROXY__COUNT);
	for (i = 0; i < FAM__COUNT; i++) {
		f = &metric_families[i];
		assert_non_null(f->name);
		assert_true(strlen(f->help) > 5);
		assert_true(strlen(f->help) < METRIC_HELP_MAX);
		/* counters end in _total, gauges never do */
		if ((f->type == MT_COUNTER) != ends_with(f->name, "_total"))
			fail_msg("%s: type and name disagree", f->name);
		for (j = 0; j < i; j++)
			if (strcmp(f->name, metric_families[j].name) == 0)
				fail_msg("%s twice", f->name);
		/* names that say the scope */
		switch (f->scope) {
		case SCOPE_LISTENER:
			assert_true(strncmp(f->name, "listener_", 9) == 0);
			break;
		case SCOPE_POOL:
			assert_true(strncmp(f->name, "pool_", 5) == 0);
			break;
		case SCOPE_MEMBER:
			assert_true(strncmp(f->name, "member_", 7) == 0);
			break;
		default:
			break;
		}
		/* sources in range for their scope */
		if (f->conv == CONV_INT || f->conv == CONV_MS) {
			if (f->scope == SCOPE_LOADBALANCER)
				assert_true(f->src >= 0 &&
				    f->src < INFO__COUNT);
			else
				assert_true(f->src >= 0 &&
				    f->src < COL__NUMERIC);
		}
		if (f->conv == CONV_HRSP)
			assert_true(f->src == COL_HRSP_1XX &&
			    (f->flags & MF_HTTP));
		if (f->conv == CONV_MS)
			assert_true(ends_with(f->name, "_seconds"));
	}
	/*
	 * the first 144 come from HAProxy, then the operating status and
	 * the packets from the same snapshot, then the agent's own
	 */
	for (i = 0; i < FAM__COUNT; i++) {
		f = &metric_families[i];
		if (f->conv == CONV_OPSTATUS)
			assert_true(i >= FAM_HAPROXY__COUNT &&
			    ends_with(f->name, "_operating_status"));
		if (f->src >= COL_IPVS_INPKTS && f->src < COL__NUMERIC &&
		    f->conv == CONV_INT)
			assert_true(i >= FAM_HAPROXY__COUNT &&
			    strstr(f->name, "_packets_") != NULL);
		assert_int_equal(f->conv == CONV_AGENT, i >= FAM_SNAPSHOT__COUNT);
	}
}

static void
test_scope_names(void **state)
{
	(void)state;
	assert_int_equal(metric_scope_parse("loadbalancer", 12),
	    SCOPE_LOADBALANCER);
	assert_int_equal(metric_scope_parse("member", 6), SCOPE_MEMBER);
	assert_int_equal(metric_scope_parse("exporter", 8), SCOPE_EXPORTER);
	assert_int_equal(metric_scope_parse("membe", 5), -1);
	assert_int_equal(metric_scope_parse("server", 6), -1);
	assert_string_equal(metric_type_name(MT_COUNTER), "counter");
	assert_string_equal(metric_type_name(MT_GAUGE), "gauge");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_shape),
		cmocka_unit_test(test_scope_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
