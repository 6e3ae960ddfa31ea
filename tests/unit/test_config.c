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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_listeners),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
