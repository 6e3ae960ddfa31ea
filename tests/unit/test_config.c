#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "config.h"

static void
test_bind(void **state)
{
	static const char *const bad[] = {
		"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
		"127.0.0.1:80x", ":80", "::1:80", "[::1]", "[::1]80", "[::1]:",
		"[127.0.0.1]:80", "host.example:80", "[]:80", "1.2.3.4:123456",
	};
	struct config_bind	 b;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&b.ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&b.ss;
	size_t			 i;

	(void)state;
	assert_int_equal(config_parse_bind("192.0.2.10:8088", &b), 0);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 8088);
	assert_int_equal(b.sslen, sizeof(*sin));
	assert_string_equal(b.text, "192.0.2.10:8088");

	assert_int_equal(config_parse_bind("[2001:db8::10]:65535", &b), 0);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), 65535);
	assert_int_equal(b.sslen, sizeof(*sin6));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_parse_bind(bad[i], &b) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
}

static void
test_listeners(void **state)
{
	struct config		 c;
	struct config_listener	*l;
	struct config_bind	 b;
	struct cidr		 cidr;

	(void)state;
	config_init(&c);
	assert_int_equal(c.min_scrape_interval_ms, 1000);
	assert_int_equal(c.scrape_timeout_ms, 5000);
	l = config_listener_add(&c, "fb57d764-470a-4b6b-8820-627452f55b96");
	assert_non_null(l);
	assert_int_equal(l->connection_limit, -1);
	assert_int_equal(l->idle_timeout_ms, 50000);
	assert_int_equal(config_parse_bind("127.0.0.1:1", &b), 0);
	assert_int_equal(config_listener_add_bind(l, &b), 0);
	assert_int_equal(cidr_parse("10.0.0.0/8", &cidr), 0);
	assert_int_equal(config_listener_add_cidr(l, &cidr), 0);
	assert_non_null(config_listener_add(&c, "second"));
	assert_int_equal(c.nlisteners, 2);
	assert_int_equal(c.listeners[0].nbinds, 1);
	assert_int_equal(c.listeners[0].ncidrs, 1);
	config_free(&c);
}

static const char good[] =
    "# the example of CONTRACT.md\n"
    "loadbalancer-id      b081ed89-f6f8-48cb-a498-5e12705e2cf9\n"
    "stats-socket         /var/lib/octavia/b081ed89.sock\n"
    "keepalived-dir       /var/lib/octavia/lvs\n"
    "haproxy-config       /var/lib/octavia/b081ed89/haproxy.cfg\n"
    "netns                amphora-haproxy      # optional\n"
    "user                 nobody\n"
    "min-scrape-interval  1500ms\n"
    "scrape-timeout       5s\n"
    "\n"
    "listener fb57d764-470a-4b6b-8820-627452f55b96 {\n"
    "    bind                 192.0.2.10:8088\n"
    "    bind                 [2001:db8::10]:8088\n"
    "    allowed-cidr         198.51.100.7/24\n"
    "    allowed-cidr         2001:db8:1::/48\n"
    "    connection-limit     -1\n"
    "    timeout-client-data  50000\n"
    "}\n"
    "listener second {\r\n"
    "\tbind 127.0.0.1:9102\r\n"
    "\tconnection-limit 10\r\n"
    "\ttimeout-client-data 2s\r\n"
    "\ttimeout-http-request 1500\r\n"
    "}";

static void
test_parse_file(void **state)
{
	struct config		 c;
	struct config_listener	*l;
	char			 err[256] = "", text[64];

	(void)state;
	config_init(&c);
	if (config_parse(&c, "a.conf", good, strlen(good), err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_string_equal(c.loadbalancer_id,
	    "b081ed89-f6f8-48cb-a498-5e12705e2cf9");
	assert_string_equal(c.stats_socket, "/var/lib/octavia/b081ed89.sock");
	assert_string_equal(c.netns, "amphora-haproxy");
	assert_string_equal(c.keepalived_dir, "/var/lib/octavia/lvs");
	assert_string_equal(c.haproxy_config,
	    "/var/lib/octavia/b081ed89/haproxy.cfg");
	assert_string_equal(c.user, "nobody");
	assert_int_equal(c.min_scrape_interval_ms, 1500);
	assert_int_equal(c.scrape_timeout_ms, 5000);
	assert_int_equal(c.nlisteners, 2);
	l = config_listener_find(&c, "fb57d764-470a-4b6b-8820-627452f55b96");
	assert_non_null(l);
	assert_int_equal(l->line, 11);
	assert_int_equal(l->nbinds, 2);
	assert_string_equal(l->binds[1].text, "[2001:db8::10]:8088");
	assert_int_equal(l->ncidrs, 2);
	cidr_format(&l->cidrs[0], text, sizeof(text));
	assert_string_equal(text, "198.51.100.0/24");
	assert_int_equal(l->connection_limit, -1);
	assert_true(l->idle_timeout_ms == 50000);
	l = config_listener_find(&c, "second");
	assert_non_null(l);
	assert_int_equal(l->connection_limit, 10);
	assert_true(l->idle_timeout_ms == 2000);
	assert_true(l->head_timeout_ms == 1500);
	assert_int_equal(l->ncidrs, 0);
	assert_null(config_listener_find(&c, "third"));
	config_free(&c);
}

/* "listen ADDR:PORT": a listener of its own, named by its address. */
static void
test_listen(void **state)
{
	static const char text[] =
	    "user _amphora-prometheus\n"
	    "listen 127.0.0.1:9102   # the drop-in address\n"
	    "listener a {\n"
	    "    bind 127.0.0.1:9103\n"
	    "}\n"
	    "listen [::1]:9102\n";
	struct config		 c;
	struct config_listener	*l;
	char			 err[256] = "";

	(void)state;
	config_init(&c);
	if (config_parse(&c, "l.conf", text, strlen(text), err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_string_equal(c.user, "_amphora-prometheus");
	assert_int_equal(c.nlisteners, 3);
	l = config_listener_find(&c, "127.0.0.1:9102");
	assert_non_null(l);
	assert_int_equal(l->line, 2);
	assert_int_equal(l->nbinds, 1);
	assert_string_equal(l->binds[0].text, "127.0.0.1:9102");
	assert_int_equal(l->ncidrs, 0);
	assert_int_equal(l->connection_limit, -1);
	assert_true(l->idle_timeout_ms == CONFIG_DEFAULT_IDLE_MS);
	assert_true(l->head_timeout_ms == CONFIG_DEFAULT_HEAD_MS);
	l = config_listener_find(&c, "[::1]:9102");
	assert_non_null(l);
	assert_int_equal(l->binds[0].ss.ss_family, AF_INET6);
	assert_non_null(config_listener_find(&c, "a"));
	config_free(&c);
}

static void
test_errors_name_file_and_line(void **state)
{
	static const struct { const char *text, *err; } cases[] = {
		{ "bogus 1\n", "x.conf:1: unknown keyword \"bogus\"" },
		{ "\n\nuser\n", "x.conf:3: user: missing value" },
		{ "user a b\n", "x.conf:1: user: one value expected" },
		{ "user a\nuser b\n", "x.conf:2: user given twice" },
		{ "user ../root\n", "x.conf:1: user: bad name \"../root\"" },
		{ "netns a/b\n", "x.conf:1: netns: bad name \"a/b\"" },
		{ "keepalived-dir lvs\n", "x.conf:1: keepalived-dir: not an "
		  "absolute path under 256 bytes: \"lvs\"" },
		{ "haproxy-config haproxy.cfg\n", "x.conf:1: haproxy-config: "
		  "not an absolute path under 256 bytes: \"haproxy.cfg\"" },
		{ "haproxy-config /a\nhaproxy-config /b\n",
		  "x.conf:2: haproxy-config given twice" },
		{ "loadbalancer-id a\"b\n",
		  "x.conf:1: loadbalancer-id: bad id \"a\"b\"" },
		{ "min-scrape-interval 1h\n", "x.conf:1: min-scrape-interval: "
		  "not a duration from 0 to 3600s: \"1h\"" },
		{ "min-scrape-interval 3601s\n", "x.conf:1: min-scrape-"
		  "interval: not a duration from 0 to 3600s: \"3601s\"" },
		{ "scrape-timeout 0\n", "x.conf:1: scrape-timeout: not a "
		  "duration from 1ms to 300s: \"0\"" },
		{ "scrape-timeout -1s\n", "x.conf:1: scrape-timeout: not a "
		  "duration from 1ms to 300s: \"-1s\"" },
		{ "bind 127.0.0.1:80\n",
		  "x.conf:1: bind belongs in a listener block" },
		{ "}\n", "x.conf:1: } outside a listener block" },
		{ "listener a\n", "x.conf:1: expected: listener ID {" },
		{ "listener a {\n bind 127.0.0.1:1\n",
		  "x.conf:1: listener a: no closing }" },
		{ "listener a {\n}\n", "x.conf:2: listener a has no bind" },
		{ "listener a {\n listener b {\n",
		  "x.conf:2: listener blocks do not nest (missing }?)" },
		{ "listener a {\n bind 127.0.0.1:1\n} x\n",
		  "x.conf:3: } stands alone on its line" },
		{ "listener a {\n bind 127.0.0.1:1\n}\nlistener a {\n",
		  "x.conf:4: listener a given twice" },
		{ "listener a {\n bind 127.0.0.1\n",
		  "x.conf:2: bind: not ADDR:PORT or [ADDR]:PORT: \"127.0.0.1\"" },
		{ "listener a {\n bind 127.0.0.1:1\n}\nlistener b {\n"
		  " bind 127.0.0.1:1\n", "x.conf:5: bind 127.0.0.1:1 given twice" },
		{ "listener a {\n allowed-cidr 10.0.0.0/33\n",
		  "x.conf:2: allowed-cidr: not a CIDR: \"10.0.0.0/33\"" },
		{ "listener a {\n connection-limit 0\n", "x.conf:2: "
		  "connection-limit: -1 or 1 to 1000000, not \"0\"" },
		{ "listener a {\n connection-limit 1e3\n", "x.conf:2: "
		  "connection-limit: -1 or 1 to 1000000, not \"1e3\"" },
		{ "listener a {\n connection-limit 1\n connection-limit 2\n",
		  "x.conf:3: connection-limit given twice" },
		{ "listener a {\n timeout-client-data 0\n", "x.conf:2: "
		  "timeout-client-data: milliseconds from 1 to 31536000000, "
		  "not \"0\"" },
		{ "listener a {\n user x\n",
		  "x.conf:2: unknown keyword \"user\" in a listener block" },
		{ "listener a$ {\n", "x.conf:1: listener: bad id \"a$\"" },
		{ "a b c d e f g h i\n", "x.conf:1: too many words" },
		{ "tls-certificate /x.pem\n",
		  "x.conf:1: tls-certificate belongs in a listener block" },
		{ "tls-versions TLSv1.2 TLSv1.3\n",
		  "x.conf:1: tls-versions belongs in a listener block" },
		{ "log-requests yes\n",
		  "x.conf:1: log-requests belongs in a listener block" },
		{ "listener a {\n bind 127.0.0.1:1\n tls-verify required\n}\n",
		  "x.conf:4: listener a: tls-* keys need a tls-certificate" },
		{ "listener a {\n bind 127.0.0.1:1\n tls-certificate /c.pem\n"
		  " tls-verify optional\n}\n",
		  "x.conf:5: listener a: tls-verify optional needs tls-client-ca" },
		{ "listener a {\n bind 127.0.0.1:1\n tls-certificate /c.pem\n"
		  " tls-crl /crl.pem\n}\n",
		  "x.conf:5: listener a: tls-crl needs tls-client-ca" },
		{ "listener a {\n tls-certificate c.pem\n",
		  "x.conf:2: tls-certificate: not an absolute path under 256 "
		  "bytes: \"c.pem\"" },
		{ "listener a {\n tls-verify mandatory\n", "x.conf:2: "
		  "tls-verify: none, optional or required, not \"mandatory\"" },
		{ "listener a {\n tls-versions TLSv1.2 TLSv1.4\n", "x.conf:2: "
		  "tls-versions: SSLv3, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, not "
		  "\"TLSv1.4\"" },
		{ "listener a {\n tls-versions\n",
		  "x.conf:2: tls-versions: missing value" },
		{ "listener a {\n tls-alpn\n", "x.conf:2: tls-alpn: missing value" },
		{ "listener a {\n tls-ciphers HIGH:!aNULL\n tls-ciphers HIGH\n",
		  "x.conf:3: tls-ciphers given twice" },
		{ "listener a {\n tls-ciphers HIGH;rm\n", "x.conf:2: "
		  "tls-ciphers: not a cipher list of letters, digits and "
		  ":+!@=_.,- under 1024 bytes: \"HIGH;rm\"" },
		{ "listener a {\n tls-client-ca /a /b\n",
		  "x.conf:2: tls-client-ca: one value expected" },
		{ "listener a {\n tls-key /a\n",
		  "x.conf:2: unknown keyword \"tls-key\" in a listener block" },
		{ "listener a {\n log-requests maybe\n",
		  "x.conf:2: log-requests: yes or no, not \"maybe\"" },
		{ "log-facility local8\n",
		  "x.conf:1: log-facility: local0 to local7, not \"local8\"" },
		{ "log-facility user\n",
		  "x.conf:1: log-facility: local0 to local7, not \"user\"" },
		{ "log-socket dev/log\n", "x.conf:1: log-socket: not an absolute "
		  "path under 108 bytes: \"dev/log\"" },
		{ "project-id a/b\n", "x.conf:1: project-id: bad id \"a/b\"" },
		{ "timeout-http-request 5s\n",
		  "x.conf:1: timeout-http-request belongs in a listener block" },
		{ "listener a {\n timeout-http-request 0\n", "x.conf:2: "
		  "timeout-http-request: milliseconds from 1 to 3600000, not "
		  "\"0\"" },
		{ "listener a {\n timeout-http-request 2h\n", "x.conf:2: "
		  "timeout-http-request: milliseconds from 1 to 3600000, not "
		  "\"2h\"" },
		{ "listener a {\n timeout-http-request 1\n"
		  " timeout-http-request 1\n",
		  "x.conf:3: timeout-http-request given twice" },
		{ "listen 127.0.0.1\n", "x.conf:1: listen: not ADDR:PORT or "
		  "[ADDR]:PORT: \"127.0.0.1\"" },
		{ "listen\n", "x.conf:1: listen: missing value" },
		{ "listen 127.0.0.1:1 127.0.0.1:2\n",
		  "x.conf:1: listen: one value expected" },
		{ "listen 127.0.0.1:1\nlisten 127.0.0.1:1\n",
		  "x.conf:2: address 127.0.0.1:1 given twice" },
		{ "listen 127.0.0.1:1\nlistener a {\n bind 127.0.0.1:1\n",
		  "x.conf:3: bind 127.0.0.1:1 given twice" },
		{ "listener a {\n bind 127.0.0.1:1\n}\nlisten 127.0.0.1:1\n",
		  "x.conf:4: address 127.0.0.1:1 given twice" },
		{ "listener a {\n listen 127.0.0.1:1\n",
		  "x.conf:2: unknown keyword \"listen\" in a listener block" },
	};
	struct config	 c;
	char		 err[256];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_init(&c);
		err[0] = '\0';
		if (config_parse(&c, "x.conf", cases[i].text,
		    strlen(cases[i].text), err, sizeof(err)) != -1)
			fail_msg("accepted: %s", cases[i].text);
		if (strcmp(err, cases[i].err) != 0)
			fail_msg("got \"%s\", want \"%s\"", err, cases[i].err);
		config_free(&c);
	}
}

/* Octavia's TLS fields, as the direct deployment's template renders them. */
static void
test_tls(void **state)
{
	static const char text[] =
	    "project-id 6f1e2a\n"
	    "log-socket /run/rsyslog/octavia/log\n"
	    "log-facility local3\n"
	    "listener a {\n"
	    "  bind 127.0.0.1:9443\n"
	    "  tls-certificate /var/lib/octavia/certs/lb/default.pem\n"
	    "  tls-certificate /var/lib/octavia/certs/lb/sni.pem\n"
	    "  tls-client-ca /var/lib/octavia/certs/lb/ca.pem\n"
	    "  tls-crl /var/lib/octavia/certs/lb/crl.pem\n"
	    "  tls-ciphers ECDHE-ECDSA-AES256-GCM-SHA384:@SECLEVEL=2\n"
	    "  tls-ciphersuites TLS_AES_256_GCM_SHA384\n"
	    "  tls-versions TLSv1 TLSv1.2 TLSv1.3\n"
	    "  tls-alpn h2 http/1.1\n"
	    "  log-requests yes\n"
	    "}\n"
	    "listener b {\n"
	    "  bind 127.0.0.1:9444\n"
	    "  tls-certificate /c.pem\n"
	    "  tls-client-ca /ca.pem\n"
	    "  tls-verify optional\n"
	    "  tls-alpn h2\n"
	    "}\n"
	    "listener c {\n"
	    "  bind 127.0.0.1:9445\n"
	    "}\n";
	struct config		 c;
	struct config_listener	*l;
	char			 err[256];

	(void)state;
	config_init(&c);
	assert_string_equal(c.log_socket, "/dev/log");
	assert_int_equal(c.log_facility, 16);
	assert_int_equal(config_parse(&c, "t.conf", text, sizeof(text) - 1, err,
	    sizeof(err)), 0);
	assert_string_equal(c.project_id, "6f1e2a");
	assert_string_equal(c.log_socket, "/run/rsyslog/octavia/log");
	assert_int_equal(c.log_facility, 19);

	l = config_listener_find(&c, "a");
	assert_int_equal(l->tls.ncerts, 2);
	assert_string_equal(l->tls.certs[0].path,
	    "/var/lib/octavia/certs/lb/default.pem");
	assert_string_equal(l->tls.certs[1].path,
	    "/var/lib/octavia/certs/lb/sni.pem");
	assert_string_equal(l->tls.client_ca, "/var/lib/octavia/certs/lb/ca.pem");
	assert_string_equal(l->tls.crl, "/var/lib/octavia/certs/lb/crl.pem");
	/* a CA without tls-verify is enforced */
	assert_int_equal(l->tls.verify, CONFIG_VERIFY_REQUIRED);
	assert_string_equal(l->tls.ciphers,
	    "ECDHE-ECDSA-AES256-GCM-SHA384:@SECLEVEL=2");
	assert_string_equal(l->tls.ciphersuites, "TLS_AES_256_GCM_SHA384");
	assert_int_equal(l->tls.versions, (1u << CONFIG_TLS_V1_0) |
	    (1u << CONFIG_TLS_V1_2) | (1u << CONFIG_TLS_V1_3));
	/* h2 is never selected: the agent speaks HTTP/1.x */
	assert_int_equal(l->tls.alpn, CONFIG_ALPN_HTTP11);
	assert_true(l->log_requests);

	l = config_listener_find(&c, "b");
	assert_int_equal(l->tls.verify, CONFIG_VERIFY_OPTIONAL);
	assert_int_equal(l->tls.alpn, 0);
	assert_int_equal(l->tls.versions, CONFIG_TLS_DEFAULT_VERSIONS);
	assert_false(l->log_requests);

	l = config_listener_find(&c, "c");
	assert_int_equal(l->tls.ncerts, 0);
	assert_int_equal(l->tls.alpn, CONFIG_ALPN_HTTP11 | CONFIG_ALPN_HTTP10);
	config_free(&c);
}

static void
test_file_limits(void **state)
{
	struct config	 c;
	char		 err[256], *big;
	size_t		 n = 0, i;

	(void)state;
	big = malloc(CONFIG_MAX_LINE * 2 + 64);
	memset(big, ' ', CONFIG_MAX_LINE + 1);
	memcpy(big + CONFIG_MAX_LINE + 1, "\n", 2);
	config_init(&c);
	assert_int_equal(config_parse(&c, "x", big, strlen(big), err,
	    sizeof(err)), -1);
	assert_string_equal(err, "x:1: line longer than 4096 bytes");
	config_free(&c);

	config_init(&c);
	assert_int_equal(config_parse(&c, "x", "user a\0b\n", 9, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "x:1: binary file (NUL byte)");
	config_free(&c);
	free(big);

	/* listeners are capped */
	big = malloc((CONFIG_MAX_LISTENERS + 1) * 64);
	for (i = 0; i <= CONFIG_MAX_LISTENERS; i++)
		n += (size_t)sprintf(big + n, "listener l%zu {\nbind 127.0.%zu.%zu:1"
		    "\n}\n", i, i / 250, i % 250 + 1);
	config_init(&c);
	assert_int_equal(config_parse(&c, "x", big, n, err, sizeof(err)), -1);
	assert_string_equal(err, "x:769: more than 256 listeners");
	config_free(&c);
	free(big);
}

static void
test_duration(void **state)
{
	int64_t	 ms;

	(void)state;
	assert_int_equal(config_parse_duration("5", 1000, 0, 10000, &ms), 0);
	assert_true(ms == 5000);
	assert_int_equal(config_parse_duration("5", 1, 0, 10000, &ms), 0);
	assert_true(ms == 5);
	assert_int_equal(config_parse_duration("250ms", 1000, 0, 10000, &ms),
	    0);
	assert_true(ms == 250);
	assert_int_equal(config_parse_duration("10s", 1, 0, 10000, &ms), 0);
	assert_true(ms == 10000);
	assert_int_equal(config_parse_duration("11s", 1, 0, 10000, &ms), -1);
	assert_int_equal(config_parse_duration("", 1, 0, 10000, &ms), -1);
	assert_int_equal(config_parse_duration("s", 1, 0, 10000, &ms), -1);
	assert_int_equal(config_parse_duration("1m", 1, 0, 10000, &ms), -1);
	assert_int_equal(config_parse_duration("1 s", 1, 0, 10000, &ms), -1);
	assert_int_equal(config_parse_duration("99999999999999999999999", 1,
	    0, INT64_MAX, &ms), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_listeners),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_file_limits),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
