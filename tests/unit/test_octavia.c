#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "octavia.h"

#define U1 "fb57d764-470a-4b6b-8820-627452f55b96"
#define U2 "b081ed89-f6f8-48cb-a498-5e12705e2cf9"

static int
is_uuid(const char *s)
{
	return octavia_is_uuid(s, strlen(s));
}

static void
test_uuid(void **state)
{
	(void)state;
	assert_true(is_uuid(U1));
	assert_true(is_uuid("00000000-0000-0000-0000-000000000000"));
	assert_false(is_uuid("FB57D764-470A-4B6B-8820-627452F55B96"));
	assert_false(is_uuid("fb57d764-470a-4b6b-8820-627452f55b9"));
	assert_false(is_uuid("fb57d764-470a-4b6b-8820-627452f55b966"));
	assert_false(is_uuid("fb57d764470a-4b6b-8820-627452f55b96-"));
	assert_false(is_uuid("fb57d764-470a-4b6b-8820_627452f55b96"));
	assert_false(is_uuid("gb57d764-470a-4b6b-8820-627452f55b96"));
	assert_false(is_uuid(""));
	assert_false(is_uuid("stats"));
	assert_false(is_uuid("prometheus-exporter-internal-endpoint"));
}

static void
test_backend_split(void **state)
{
	const char	*pool = NULL, *listener = NULL;
	const char	*name = U2 ":" U1;

	(void)state;
	assert_int_equal(octavia_name_split_backend(name, strlen(name), &pool,
	    &listener), 0);
	assert_memory_equal(pool, U2, 36);
	assert_memory_equal(listener, U1, 36);

	name = U2;
	assert_int_equal(octavia_name_split_backend(name, strlen(name), &pool,
	    &listener), -1);
	name = U2 "-" U1;
	assert_int_equal(octavia_name_split_backend(name, strlen(name), &pool,
	    &listener), -1);
	name = U2 ":" U1 ":x";
	assert_int_equal(octavia_name_split_backend(name, strlen(name), &pool,
	    &listener), -1);
	name = U2 ":prometheus-exporter-intern";
	assert_int_equal(octavia_name_split_backend(name, strlen(name), &pool,
	    &listener), -1);
	name = "prometheus-exporter-internal";
	assert_int_equal(octavia_name_split_backend(name, strlen(name), &pool,
	    &listener), -1);
}

static void
test_socket_loadbalancer_id(void **state)
{
	char	 id[OCTAVIA_UUID_LEN + 1];

	(void)state;
	memset(id, 'x', sizeof(id));
	assert_int_equal(octavia_socket_loadbalancer_id(
	    "/var/lib/octavia/" U2 ".sock", id), 0);
	assert_string_equal(id, U2);
	assert_int_equal(octavia_socket_loadbalancer_id(U1 ".sock", id), 0);
	assert_string_equal(id, U1);

	memset(id, 'x', sizeof(id));
	assert_int_equal(octavia_socket_loadbalancer_id(
	    "/var/lib/octavia/" U2, id), -1);
	assert_int_equal(octavia_socket_loadbalancer_id(
	    "/var/lib/octavia/" U2 ".sock.old", id), -1);
	assert_int_equal(octavia_socket_loadbalancer_id(
	    "/var/lib/octavia/" U2 "0.sock", id), -1);
	assert_int_equal(octavia_socket_loadbalancer_id(
	    "/var/lib/octavia/" U2 ".sock/", id), -1);
	assert_int_equal(octavia_socket_loadbalancer_id(
	    "/var/lib/" U2 ".sock/lb.sock", id), -1);
	assert_int_equal(octavia_socket_loadbalancer_id(
	    "/var/lib/octavia/haproxy.sock", id), -1);
	assert_int_equal(octavia_socket_loadbalancer_id(".sock", id), -1);
	assert_int_equal(octavia_socket_loadbalancer_id("", id), -1);
	assert_int_equal(octavia_socket_loadbalancer_id("/", id), -1);
	/* nothing is written on failure */
	assert_int_equal(id[0], 'x');
}

/* The two kinds of files the opener hands out, and nothing else. */
static void
test_file_allowed(void **state)
{
	static const char *const yes[] = {
	    "/var/lib/octavia/b081ed89-f6f8-48cb-a498-5e12705e2cf9/haproxy.cfg",
	    ("/var/lib/octavia/certs/b081ed89-f6f8-48cb-a498-5e12705e2cf9/"
	    "fb57d764-470a-4b6b-8820-627452f55b96.pem"),
	    "/var/lib/octavia/certs/b081ed89-f6f8-48cb-a498-5e12705e2cf9/x",
	};
	static const char *const no[] = {
	    "/var/lib/octavia/b081ed89-f6f8-48cb-a498-5e12705e2cf9/haproxy.cfg2",
	    "/var/lib/octavia/b081ed89-f6f8-48cb-a498-5e12705e2cf9/servers-state",
	    "/var/lib/octavia/B081ED89-F6F8-48CB-A498-5E12705E2CF9/haproxy.cfg",
	    "/var/lib/octavia/certs/b081ed89-f6f8-48cb-a498-5e12705e2cf9/",
	    "/var/lib/octavia/certs/b081ed89-f6f8-48cb-a498-5e12705e2cf9/..",
	    "/var/lib/octavia/certs/b081ed89-f6f8-48cb-a498-5e12705e2cf9/.",
	    "/var/lib/octavia/certs/b081ed89-f6f8-48cb-a498-5e12705e2cf9/.x",
	    "/var/lib/octavia/certs/b081ed89-f6f8-48cb-a498-5e12705e2cf9/a/b",
	    "/var/lib/octavia/certs/b081ed89-f6f8-48cb-a498-5e12705e2cf9//x",
	    "/var/lib/octavia/certs/../b081ed89-f6f8-48cb-a498-5e12705e2cf9/x",
	    "/var/lib/octavia/certs/x/y",
	    "/var/lib/octavia//b081ed89-f6f8-48cb-a498-5e12705e2cf9/haproxy.cfg",
	    "/var/lib/octaviaX/b081ed89-f6f8-48cb-a498-5e12705e2cf9/haproxy.cfg",
	    "/etc/shadow", "", "/var/lib/octavia",
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(octavia_file_allowed("/var/lib/octavia", yes[i]));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (octavia_file_allowed("/var/lib/octavia", no[i]))
			fail_msg("allowed: %s", no[i]);
	/* the root itself must be a plain absolute directory */
	assert_false(octavia_file_allowed("/var/lib/octavia/", yes[0]));
	assert_false(octavia_file_allowed("var/lib/octavia", yes[0] + 1));
	assert_false(octavia_file_allowed("/", "//b081ed89-f6f8-48cb-a498-"
	    "5e12705e2cf9/haproxy.cfg"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_backend_split),
		cmocka_unit_test(test_socket_loadbalancer_id),
		cmocka_unit_test(test_file_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
