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

#include "cidr.h"

static struct sockaddr_storage
v4(const char *a)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, a, &sin->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
v6(const char *a)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, a, &sin6->sin6_addr), 1);
	return ss;
}

static int
matches(const char *cidr, struct sockaddr_storage ss)
{
	struct cidr	 c;

	assert_int_equal(cidr_parse(cidr, &c), 0);
	return cidr_match(&c, (struct sockaddr *)&ss);
}

static void
test_parse(void **state)
{
	static const char *const bad[] = {
		"", "/8", "1.2.3.4/", "1.2.3.4/33", "::/129", "1.2.3/8",
		"1.2.3.4/-1", "1.2.3.4/ 8", "1.2.3.4/8/8", "abc", "1.2.3.4/1000",
		"1.2.3.256/32", "fe80::1%eth0/64", "1.2.3.4 /32",
		"::ffff:1.2.3.4.5/128",
	};
	struct cidr	 c;
	char		 text[64];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cidr_parse(bad[i], &c) != -1)
			fail_msg("accepted \"%s\"", bad[i]);

	/* host bits are accepted and cleared */
	assert_int_equal(cidr_parse("192.0.2.77/24", &c), 0);
	cidr_format(&c, text, sizeof(text));
	assert_string_equal(text, "192.0.2.0/24");
	assert_int_equal(cidr_parse("2001:db8::1:2/48", &c), 0);
	cidr_format(&c, text, sizeof(text));
	assert_string_equal(text, "2001:db8::/48");
	assert_int_equal(cidr_parse("10.1.2.3/13", &c), 0);
	cidr_format(&c, text, sizeof(text));
	assert_string_equal(text, "10.0.0.0/13");
	/* a bare address is a host route */
	assert_int_equal(cidr_parse("127.0.0.2", &c), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(cidr_parse("::1", &c), 0);
	assert_int_equal(c.prefix, 128);
}

static void
test_match_v4(void **state)
{
	(void)state;
	assert_true(matches("0.0.0.0/0", v4("203.0.113.9")));
	assert_true(matches("127.0.0.2/32", v4("127.0.0.2")));
	assert_false(matches("127.0.0.2/32", v4("127.0.0.1")));
	assert_true(matches("198.51.100.0/24", v4("198.51.100.255")));
	assert_false(matches("198.51.100.0/24", v4("198.51.101.0")));
	assert_true(matches("10.0.0.0/13", v4("10.7.255.255")));
	assert_false(matches("10.0.0.0/13", v4("10.8.0.0")));
	/* families do not mix, except for v4-mapped peers */
	assert_false(matches("0.0.0.0/0", v6("2001:db8::1")));
	assert_false(matches("::/0", v4("192.0.2.1")));
}

static void
test_match_v6(void **state)
{
	(void)state;
	assert_true(matches("::/0", v6("2001:db8::1")));
	assert_true(matches("::1/128", v6("::1")));
	assert_false(matches("::1/128", v6("::2")));
	assert_true(matches("2001:db8:1::/48", v6("2001:db8:1:ffff::1")));
	assert_false(matches("2001:db8:1::/48", v6("2001:db8:2::1")));
	assert_true(matches("2001:db8::/33", v6("2001:db8:7fff::")));
	assert_false(matches("2001:db8::/33", v6("2001:db8:8000::")));
}

static void
test_v4_mapped_peer(void **state)
{
	(void)state;
	assert_true(matches("192.0.2.0/24", v6("::ffff:192.0.2.10")));
	assert_false(matches("192.0.2.0/24", v6("::ffff:192.0.3.10")));
	assert_true(matches("0.0.0.0/0", v6("::ffff:8.8.8.8")));
	/* a v4-compatible (not mapped) address is not IPv4 */
	assert_false(matches("192.0.2.0/24", v6("::192.0.2.10")));
	assert_true(matches("::ffff:0:0/96", v6("::ffff:192.0.2.10")));
}

static void
test_list(void **state)
{
	struct cidr		 list[2];
	struct sockaddr_storage	 a = v4("198.51.100.7"), b = v4("192.0.2.1");

	(void)state;
	assert_true(cidr_list_allows(NULL, 0, (struct sockaddr *)&b));
	assert_int_equal(cidr_parse("2001:db8::/32", &list[0]), 0);
	assert_int_equal(cidr_parse("198.51.100.0/24", &list[1]), 0);
	assert_true(cidr_list_allows(list, 2, (struct sockaddr *)&a));
	assert_false(cidr_list_allows(list, 2, (struct sockaddr *)&b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_match_v4),
		cmocka_unit_test(test_match_v6),
		cmocka_unit_test(test_v4_mapped_peer),
		cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
