#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "httpreq.h"
#include "snapshot.h"

static int
parse(const char *text, struct http_request *req)
{
	return http_request_parse(text, strlen(text), req);
}

static void
test_get(void **state)
{
	struct http_request	 r;
	const char		*t = "GET /metrics?scope=pool HTTP/1.1\r\n"
				    "Host: x\r\nAccept: text/plain;q=0.5\r\n"
				    "Accept-Encoding: gzip\r\n"
				    "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n"
				    "\r\nGET / HTTP/1.1\r\n";

	(void)state;
	assert_int_equal(parse(t, &r), HTTP_PARSE_OK);
	assert_int_equal(r.method, HTTP_METHOD_GET);
	assert_int_equal(r.path.len, 8);
	assert_memory_equal(r.path.s, "/metrics", 8);
	assert_int_equal(r.query.len, 10);
	assert_memory_equal(r.query.s, "scope=pool", 10);
	assert_int_equal(r.minor, 1);
	assert_true(r.keep_alive);
	assert_false(r.has_body);
	assert_memory_equal(r.accept.s, "text/plain;q=0.5", r.accept.len);
	assert_memory_equal(r.accept_encoding.s, "gzip", 4);
	assert_memory_equal(r.scrape_timeout.s, "10", 2);
	/* head_len stops before the next (pipelined) request */
	assert_memory_equal(t + r.head_len, "GET / ", 6);
}

static void
test_keep_alive_rules(void **state)
{
	struct http_request	 r;

	(void)state;
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &r), HTTP_PARSE_OK);
	assert_false(r.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n"
	    "\r\n", &r), HTTP_PARSE_OK);
	assert_true(r.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: foo, close\r\n"
	    "Host: x\r\n\r\n", &r), HTTP_PARSE_OK);
	assert_false(r.keep_alive);
	/* bare LF line ends are tolerated */
	assert_int_equal(parse("HEAD / HTTP/1.1\nHost: x\n\n", &r),
	    HTTP_PARSE_OK);
	assert_int_equal(r.method, HTTP_METHOD_HEAD);
	assert_true(r.keep_alive);
}

static void
test_incomplete(void **state)
{
	struct http_request	 r;
	const char		*full = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t			 i;

	(void)state;
	for (i = 0; i < strlen(full); i++)
		assert_int_equal(http_request_parse(full, i, &r),
		    HTTP_PARSE_INCOMPLETE);
	assert_int_equal(http_request_parse(full, strlen(full), &r),
	    HTTP_PARSE_OK);
}

static void
test_refusals(void **state)
{
	static const struct { const char *req; int status; } cases[] = {
		{ "garbage\r\n\r\n", 400 },
		{ "GET\r\n\r\n", 400 },
		{ "GET /\r\n\r\n", 400 },
		{ "GET metrics HTTP/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1 extra\r\n\r\n", 400 },
		{ "GET / HTTX/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/2.0\r\n\r\n", 505 },
		{ "G(T / HTTP/1.1\r\n\r\n", 400 },
		{ "GET /a\x01 HTTP/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\n: empty\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nContent-Length: 1\r\n"
		  "Content-Length: 1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400 },
		/* HTTP/2's preface: 505 whatever the target */
		{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505 },
		{ "GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505 },
		{ "GET / HTTP/0.9\r\n\r\n", 505 },
		/* HTTP/1.1: exactly one Host (RFC 9112 3.2) */
		{ "GET / HTTP/1.1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
		/* no NUL, bare CR or control byte in a value (RFC 9110 5.5) */
		{ "GET / HTTP/1.1\r\nHost: x\r\nA: b\x01c\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nA: b\rc\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nA: b\x7f\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nA: b\x0c\r\n\r\n", 400 },
		/* absolute-form needs a scheme */
		{ "GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET x/metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		/* and a well-formed authority, as Host (RFC 9110 4.2.1, 7.2) */
		{ "GET http://[::1/metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET http:///metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET http://[]/ HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET http://u@lb/ HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET http://lb:80x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: ::1\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400 },
		{ "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400 },
		{ "GET / HTTP/1.0\r\nHost: x/y\r\n\r\n", 400 },
		/* more empty lines before the request than a client sends */
		{ "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	};
	struct http_request	 r;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if ((rc = parse(cases[i].req, &r)) != cases[i].status)
			fail_msg("\"%s\": %d, not %d", cases[i].req, rc,
			    cases[i].status);
}

/* Targets and versions a client may send that are still GET /metrics. */
static void
test_forms(void **state)
{
	struct http_request	 r;
	const char		 nul[] = "GET / HTTP/1.1\r\nHost: x\r\n"
				    "A: b\0c\r\n\r\n";

	(void)state;
	/* absolute-form (RFC 9112 3.2.2), scheme in any case */
	assert_int_equal(parse("GET http://lb:8088/metrics?scope=pool "
	    "HTTP/1.1\r\nHost: lb:8088\r\n\r\n", &r), HTTP_PARSE_OK);
	assert_int_equal(r.path.len, 8);
	assert_memory_equal(r.path.s, "/metrics", 8);
	assert_memory_equal(r.query.s, "scope=pool", r.query.len);
	assert_int_equal(parse("GET HTTPS://[2001:db8::1]:8088 HTTP/1.1\r\n"
	    "Host: x\r\n\r\n", &r), HTTP_PARSE_OK);
	assert_int_equal(r.path.len, 1);
	assert_memory_equal(r.path.s, "/", 1);
	assert_int_equal(r.query.len, 0);
	assert_int_equal(parse("GET http://lb?scope=pool HTTP/1.1\r\n"
	    "Host: x\r\n\r\n", &r), HTTP_PARSE_OK);
	assert_memory_equal(r.path.s, "/", 1);
	assert_memory_equal(r.query.s, "scope=pool", r.query.len);
	/* HTTP/1.9 is served as the highest 1.x known (RFC 9110 2.5) */
	assert_int_equal(parse("GET / HTTP/1.9\r\nHost: x\r\n\r\n", &r),
	    HTTP_PARSE_OK);
	assert_int_equal(r.minor, 9);
	assert_true(r.keep_alive);
	/* authorities as they come: names, IPv4, IPv6, ports, empty Host */
	assert_int_equal(parse("GET http://[2001:db8::1]/ HTTP/1.1\r\n"
	    "Host: [2001:db8::1]:8088\r\n\r\n", &r), HTTP_PARSE_OK);
	assert_int_equal(parse("GET http://192.0.2.1:80/ HTTP/1.1\r\n"
	    "Host: 192.0.2.1\r\n\r\n", &r), HTTP_PARSE_OK);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: lb.example:\r\n\r\n",
	    &r), HTTP_PARSE_OK);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost:\r\n\r\n", &r),
	    HTTP_PARSE_OK);
	/* up to four empty lines before the request line are ignored */
	assert_int_equal(parse("\r\n\n\r\n\r\nGET / HTTP/1.1\r\nHost: x"
	    "\r\n\r\n", &r), HTTP_PARSE_OK);
	/* HTTP/1.0 needs no Host; a tab in a value is fine */
	assert_int_equal(parse("GET / HTTP/1.0\r\nA: b\tc\r\n\r\n", &r),
	    HTTP_PARSE_OK);
	/* a NUL inside a value: the length says the line goes on */
	assert_int_equal(http_request_parse(nul, sizeof(nul) - 1, &r), 400);
}

static void
test_bodies(void **state)
{
	struct http_request	 r;

	(void)state;
	assert_int_equal(parse("POST /metrics HTTP/1.1\r\nContent-Length: 0"
	    "\r\nHost: x\r\n\r\n", &r), HTTP_PARSE_OK);
	assert_int_equal(r.method, HTTP_METHOD_OTHER);
	assert_false(r.has_body);
	assert_int_equal(parse("GET / HTTP/1.1\r\nContent-Length: 12\r\n"
	    "Host: x\r\n\r\n", &r), HTTP_PARSE_OK);
	assert_true(r.has_body);
	assert_int_equal(parse("GET / HTTP/1.1\r\nTransfer-Encoding: chunked"
	    "\r\nHost: x\r\n\r\n", &r), HTTP_PARSE_OK);
	assert_true(r.has_body);
}

static void
test_size_limits(void **state)
{
	struct http_request	 r;
	char			*big = malloc(3 * HTTP_MAX_HEAD);
	size_t			 n;
	int			 i;

	(void)state;
	/* a request line that never ends within the limit: 414 */
	memset(big, 'a', 3 * HTTP_MAX_HEAD);
	memcpy(big, "GET /", 5);
	assert_int_equal(http_request_parse(big, 3 * HTTP_MAX_HEAD, &r), 414);
	assert_int_equal(http_request_parse(big, HTTP_MAX_HEAD - 1, &r),
	    HTTP_PARSE_INCOMPLETE);

	/* headers past the limit: 431, whatever follows */
	n = (size_t)sprintf(big, "GET / HTTP/1.1\r\nX-Big: ");
	memset(big + n, 'b', 3 * HTTP_MAX_HEAD - n);
	assert_int_equal(http_request_parse(big, 3 * HTTP_MAX_HEAD, &r), 431);

	/* too many headers */
	n = (size_t)sprintf(big, "GET / HTTP/1.1\r\n");
	for (i = 0; i <= HTTP_MAX_HEADERS; i++)
		n += (size_t)sprintf(big + n, "A%d: b\r\n", i);
	n += (size_t)sprintf(big + n, "\r\n");
	assert_int_equal(http_request_parse(big, n, &r), 431);
	free(big);
}

static void
test_token_list(void **state)
{
	struct http_str	 h = { "gzip;q=1.0, identity ,br", 24 };
	struct http_str	 none = { NULL, 0 };

	(void)state;
	assert_true(http_token_in_list(&h, "gzip"));
	assert_true(http_token_in_list(&h, "IDENTITY"));
	assert_true(http_token_in_list(&h, "br"));
	assert_false(http_token_in_list(&h, "deflate"));
	assert_false(http_token_in_list(&h, "gz"));
	assert_false(http_token_in_list(&none, "gzip"));
}

static void
test_scopes(void **state)
{
	unsigned	 m;
	struct http_str	 q;

	(void)state;
	q.s = "";
	q.len = 0;
	assert_int_equal(http_query_scopes(&q, &m), 0);
	assert_int_equal(m, (1u << SCOPE__COUNT) - 1);
	q.s = "scope=pool&x=1&scope=member";
	q.len = strlen(q.s);
	assert_int_equal(http_query_scopes(&q, &m), 0);
	assert_int_equal(m, (1u << SCOPE_POOL) | (1u << SCOPE_MEMBER));
	q.s = "scope=frontend";
	q.len = strlen(q.s);
	assert_int_equal(http_query_scopes(&q, &m), -1);
	q.s = "scope=";
	q.len = strlen(q.s);
	assert_int_equal(http_query_scopes(&q, &m), -1);
}

static int
q(const char *header, const char *value)
{
	struct http_str	 h = { header, strlen(header) };

	return http_header_q(&h, value);
}

static void
test_q_values(void **state)
{
	(void)state;
	assert_int_equal(q("gzip", "gzip"), 1000);
	assert_int_equal(q("gzip;q=0", "gzip"), 0);
	assert_int_equal(q("deflate, gzip;q=0.5", "gzip"), 500);
	assert_int_equal(q("GZIP ; Q=0.25", "gzip"), 250);
	assert_int_equal(q("*;q=0.3", "gzip"), 300);
	assert_int_equal(q("*;q=0.3, gzip;q=0", "gzip"), 0);
	assert_int_equal(q("identity", "gzip"), -1);
	assert_int_equal(q("gzip;q=1.0", "gzip"), 1000);
	assert_int_equal(q("gzip;q=0.001", "gzip"), 1);
	assert_int_equal(q("text/*;q=0.4", "text/plain"), 400);
	assert_int_equal(q("*/*;q=0.1", "text/plain"), 100);
	assert_int_equal(q("application/*", "text/plain"), -1);
	assert_int_equal(q("", "gzip"), -1);
	/* the qvalue grammar, strictly: anything else is not acceptable */
	assert_int_equal(q("gzip;q=0...5", "gzip"), 0);
	assert_int_equal(q("gzip;q=1.5", "gzip"), 0);
	assert_int_equal(q("gzip;q=0.5000", "gzip"), 0);
	assert_int_equal(q("gzip;q=2", "gzip"), 0);
	assert_int_equal(q("gzip;q=0.5x", "gzip"), 0);
	assert_int_equal(q("gzip;q=1.000", "gzip"), 1000);
	assert_int_equal(q("gzip;q=0.", "gzip"), 0);
	assert_int_equal(q("gzip;q=0.12", "gzip"), 120);
	assert_int_equal(q("gzip;q=1 ", "gzip"), 1000);
}

static int
wants(int (*fn)(const struct http_str *), const char *header)
{
	struct http_str	 h = { header, header ? strlen(header) : 0 };

	return fn(&h);
}

static void
test_negotiation(void **state)
{
	/* what Prometheus 2.42 sends */
	const char *prom = "application/openmetrics-text;version=1.0.0,"
	    "application/openmetrics-text;version=0.0.1;q=0.75,"
	    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

	(void)state;
	assert_true(wants(http_wants_openmetrics, prom));
	assert_false(wants(http_wants_openmetrics, "text/plain"));
	assert_false(wants(http_wants_openmetrics, "*/*"));
	assert_false(wants(http_wants_openmetrics, NULL));
	assert_false(wants(http_wants_openmetrics, "application/openmetrics-"
	    "text;q=0.5,text/plain"));
	assert_true(wants(http_wants_openmetrics, "application/openmetrics-"
	    "text;q=0.5,text/plain;q=0.4"));
}

static enum coding
coding_of(const char *h)
{
	struct http_str	 s = { h, h ? strlen(h) : 0 };

	return http_choose_coding(&s);
}

/* zstd when named and wanted no less than gzip; gzip by name or "*". */
static void
test_content_coding(void **state)
{
	(void)state;
	assert_int_equal(coding_of("gzip"), CODING_GZIP);
	assert_int_equal(coding_of("br, gzip;q=0.2"), CODING_GZIP);
	assert_int_equal(coding_of("*"), CODING_GZIP);
	assert_int_equal(coding_of("gzip;q=0"), CODING_IDENTITY);
	assert_int_equal(coding_of("identity"), CODING_IDENTITY);
	assert_int_equal(coding_of(NULL), CODING_IDENTITY);
	assert_int_equal(coding_of("zstd"), CODING_ZSTD);
	/* curl --compressed */
	assert_int_equal(coding_of("deflate, gzip, br, zstd"), CODING_ZSTD);
	assert_int_equal(coding_of("zstd;q=0.5, gzip"), CODING_GZIP);
	assert_int_equal(coding_of("zstd, gzip;q=0.5"), CODING_ZSTD);
	assert_int_equal(coding_of("ZSTD;q=0.3, gzip;q=0"), CODING_ZSTD);
	assert_int_equal(coding_of("zstd;q=0, gzip"), CODING_GZIP);
	assert_int_equal(coding_of("zstd;q=0, *"), CODING_GZIP);
	assert_int_equal(coding_of("zstd;q=0"), CODING_IDENTITY);
	assert_int_equal(coding_of("zstdx, gzip;q=0"), CODING_IDENTITY);
}

static void
test_timeout_header(void **state)
{
	static const struct { const char *h; int rc; int64_t ms; } cases[] = {
		{ "10", 0, 10000 }, { "0.5", 0, 500 }, { "2.25", 0, 2250 },
		{ "1.2345", 0, 1234 }, { "86400", 0, 86400000 },
		{ "86401", -1, 0 }, { "", -1, 0 }, { ".", -1, 0 },
		{ "1s", -1, 0 }, { "-1", -1, 0 }, { "1e3", -1, 0 },
	};
	struct http_str	 h;
	int64_t		 ms;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		h.s = cases[i].h;
		h.len = strlen(h.s);
		ms = 0;
		assert_int_equal(http_parse_timeout(&h, &ms), cases[i].rc);
		if (cases[i].rc == 0 && ms != cases[i].ms)
			fail_msg("%s: %lld", cases[i].h, (long long)ms);
	}
	h.s = NULL;
	assert_int_equal(http_parse_timeout(&h, &ms), -1);
}

/* What real clients sent (tests/fixtures/capture-http.sh) and get. */
static void
test_captured_clients(void **state)
{
	static const struct {
		const char	*file;
		int		 method;
		enum coding	 coding;
		int		 om;
		int64_t		 timeout_ms;	/* -1: none */
	} cases[] = {
		{ "curl.req", HTTP_METHOD_GET, CODING_IDENTITY, 0, -1 },
		/* curl --compressed with zstd: "deflate, gzip, br, zstd" */
		{ "curl-gzip-openmetrics.req", HTTP_METHOD_GET, CODING_ZSTD, 1,
		  -1 },
		{ "curl-head.req", HTTP_METHOD_HEAD, CODING_IDENTITY, 0, -1 },
		{ "curl-http10.req", HTTP_METHOD_GET, CODING_IDENTITY, 0, -1 },
		{ "curl-post.req", HTTP_METHOD_OTHER, CODING_IDENTITY, 0, -1 },
		{ "prometheus.req", HTTP_METHOD_GET, CODING_GZIP, 1, 1000 },
		{ "haproxy-forwarded.req", HTTP_METHOD_GET, CODING_ZSTD, 0, -1 },
	};
	struct http_request	 r;
	char			 name[64];
	char			*buf;
	size_t			 i, len;
	int64_t			 ms;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "../http/%s", cases[i].file);
		buf = fixture_load(name, &len);
		if (http_request_parse(buf, len, &r) != HTTP_PARSE_OK)
			fail_msg("%s: not parsed", cases[i].file);
		assert_int_equal(r.head_len, len);
		assert_int_equal(r.method, cases[i].method);
		assert_int_equal(http_choose_coding(&r.accept_encoding),
		    cases[i].coding);
		assert_int_equal(http_wants_openmetrics(&r.accept),
		    cases[i].om);
		if (cases[i].timeout_ms == -1)
			assert_int_equal(http_parse_timeout(&r.scrape_timeout,
			    &ms), -1);
		else {
			assert_int_equal(http_parse_timeout(&r.scrape_timeout,
			    &ms), 0);
			assert_true(ms == cases[i].timeout_ms);
		}
		free(buf);
	}
}

static void
test_date(void **state)
{
	char	 d[HTTP_DATE_SIZE];

	(void)state;
	assert_int_equal(http_date(784111777, d), 0);	/* RFC 9110's own */
	assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_int_equal(http_date(0, d), 0);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	assert_int_equal(http_date(1795611600, d), 0);
	assert_string_equal(d, "Wed, 25 Nov 2026 13:00:00 GMT");
	assert_int_equal(http_date(951782400, d), 0);	/* a leap day */
	assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 GMT");
	assert_int_equal(http_date(253402300799LL, d), 0);
	assert_string_equal(d, "Fri, 31 Dec 9999 23:59:59 GMT");
	assert_int_equal(http_date(-1, d), -1);
	assert_int_equal(http_date(253402300800LL, d), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_keep_alive_rules),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_token_list),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_q_values),
		cmocka_unit_test(test_negotiation),
		cmocka_unit_test(test_content_coding),
		cmocka_unit_test(test_timeout_header),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_captured_clients),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
