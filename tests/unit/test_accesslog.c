#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "accesslog.h"

static struct access_entry
entry(void)
{
	struct access_entry	 e = {
		.project_id = "6f1e2a9c",
		.loadbalancer_id = "b081ed89-f6f8-48cb-a498-5e12705e2cf9",
		.listener = "fb57d764-470a-4b6b-8820-627452f55b96",
		.client_ip = "198.51.100.7",
		.client_port = 51234,
		.accepted = { .tm_year = 126, .tm_mon = 10, .tm_mday = 5,
		    .tm_hour = 8, .tm_min = 4, .tm_sec = 9 },
		.accepted_ms = 42,
		.request = "GET /metrics HTTP/1.1",
		.status = 200,
		.bytes_out = 51234,
		.bytes_in = 97,
		.verify = 0,
		.client_dn = "/O=Octavia test/CN=prometheus",
		.total_ms = 12,
		.term = "----",
		.tls_version = "TLSv1.3",
	};

	e.request_len = strlen(e.request);
	return e;
}

/* Octavia's user_log_format fields, in order, then the TLS version. */
static void
test_octavia_format(void **state)
{
	struct access_entry	 e = entry();
	char			 buf[ACCESS_LOG_MAX];
	size_t			 n;

	(void)state;
	n = access_log_format(buf, sizeof(buf), 16, "amphora-prometheus-agent",
	    4242, &e);
	assert_string_equal(buf, "<134>Nov  5 08:04:09 "
	    "amphora-prometheus-agent[4242]: 6f1e2a9c "
	    "b081ed89-f6f8-48cb-a498-5e12705e2cf9 "
	    "fb57d764-470a-4b6b-8820-627452f55b96 198.51.100.7 51234 "
	    "[05/Nov/2026:08:04:09.042] \"GET /metrics HTTP/1.1\" 200 51234 97 "
	    "0 \"/O=Octavia test/CN=prometheus\" amphora-prometheus-agent - 12 "
	    "---- TLSv1.3");
	assert_int_equal(n, strlen(buf));

	/* clear text, no project, no certificate, a bad request: local7 */
	e.project_id = NULL;
	e.client_dn = NULL;
	e.tls_version = NULL;
	e.request_len = 0;
	e.status = 400;
	e.term = "PR--";
	access_log_format(buf, sizeof(buf), 23, "a", 1, &e);
	assert_non_null(strstr(buf, "<190>Nov  5 08:04:09 a[1]: - b081ed89"));
	assert_non_null(strstr(buf, "] \"<BADREQ>\" 400 51234 97 0 \"\" "
	    "amphora-prometheus-agent - 12 PR-- -"));
}

/* A client's bytes cannot break the line, the quoting or the fields. */
static void
test_hostile_input(void **state)
{
	struct access_entry	 e = entry();
	static const char	 req[] = "GET /\"x\n#y\x01\xff HTTP/1.1";
	char			 big[5000], buf[ACCESS_LOG_MAX];
	size_t			 i, n;

	(void)state;
	e.request = req;
	e.request_len = sizeof(req) - 1;
	e.listener = "two words";
	access_log_format(buf, sizeof(buf), 16, "t", 1, &e);
	assert_non_null(strstr(buf, "\"GET /#22x#0A#23y#01#FF HTTP/1.1\""));
	assert_non_null(strstr(buf, "cf9 - 198.51.100.7"));

	/* the longest of everything still fits, cut where the bounds say */
	memset(big, 0x01, sizeof(big));
	e.request = big;
	e.request_len = sizeof(big);
	big[sizeof(big) - 1] = '\0';
	e.client_dn = big;
	memset(big, 'a', 128);
	n = access_log_format(buf, sizeof(buf), 16, big + sizeof(big) - 200,
	    9223372036854775807L, &e);
	assert_true(n > 0 && n < ACCESS_LOG_MAX);
	for (i = 0; i < n; i++)
		assert_true(buf[i] >= ' ' && buf[i] <= '~');
	/* a buffer too small gets nothing rather than half a line */
	assert_int_equal(access_log_format(buf, 40, 16, "t", 1, &e), 0);
	assert_string_equal(buf, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_octavia_format),
		cmocka_unit_test(test_hostile_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
