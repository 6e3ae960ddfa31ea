#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "lvsconf.h"

/* ids.txt of tests/fixtures/keepalived (capture-lvs.sh) */
static char ids[4096];

static const char *
id_of(const char *kind, const char *role)
{
	char		 key[64];
	const char	*p;

	snprintf(key, sizeof(key), "%s %s ", kind, role);
	for (p = ids; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, key, strlen(key)) == 0) {
			static char	 id[LVS_ID_LEN + 1];

			memcpy(id, p + strlen(key), LVS_ID_LEN);
			id[LVS_ID_LEN] = '\0';
			return id;
		}
	}
	fail_msg("no %s %s in ids.txt", kind, role);
	return NULL;
}

static char *
load(const char *listener_role, size_t *len)
{
	char	 name[160];

	snprintf(name, sizeof(name), "../keepalived/octavia-keepalivedlvs-%s.conf",
	    id_of("listener", listener_role));
	return fixture_load(name, len);
}

static int
setup(void **state)
{
	size_t	 len;
	char	*t = fixture_load("../keepalived/ids.txt", &len);

	(void)state;
	assert_true(len < sizeof(ids));
	memcpy(ids, t, len + 1);
	free(t);
	return 0;
}

static void
assert_addr(const struct lvs_addr *a, const char *host, unsigned port)
{
	char	 buf[INET6_ADDRSTRLEN];

	assert_non_null(inet_ntop(a->family, a->addr, buf, sizeof(buf)));
	assert_string_equal(buf, host);
	assert_int_equal(a->port, port);
}

static const char *
member_of(const struct lvs_listener *l, const struct lvs_real *r)
{
	assert_true(r->member < l->nmembers);
	return l->members[r->member].id;
}

/* The UDP listener: two VIPs in ipv4-group, one in ipv6-group. */
static void
test_udp(void **state)
{
	struct lvs_listener	 l;
	const struct lvs_service *v4, *v6;
	char			 err[256];
	size_t			 len, i;
	char			*text = load("udp", &len);

	(void)state;
	if (lvsconf_parse(&l, "udp.conf", text, len, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_string_equal(l.loadbalancer, id_of("loadbalancer", "lb"));
	assert_string_equal(l.listener, id_of("listener", "udp"));
	assert_string_equal(l.pool, id_of("pool", "udp"));
	assert_string_equal(l.netns, "amphora-haproxy");
	assert_false(l.disabled);
	assert_int_equal(l.nservices, 2);
	v4 = &l.services[0];
	v6 = &l.services[1];
	assert_int_equal(v4->proto, LVS_PROTO_UDP);
	assert_int_equal(v4->nvips, 2);
	assert_addr(&v4->vips[0], "192.0.2.10", 5353);
	assert_addr(&v4->vips[1], "192.0.2.11", 5353);
	assert_int_equal(v4->nreals, 3);
	assert_string_equal(member_of(&l, &v4->reals[0]), id_of("member", "up"));
	assert_addr(&v4->reals[0].addr, "198.51.100.21", 5354);
	assert_int_equal(v4->reals[0].weight, 1);
	assert_true(v4->reals[0].checked);
	assert_string_equal(member_of(&l, &v4->reals[1]),
	    id_of("member", "fail"));
	assert_addr(&v4->reals[1].addr, "198.51.100.21", 5355);
	assert_string_equal(member_of(&l, &v4->reals[2]),
	    id_of("member", "drained"));
	assert_int_equal(v4->reals[2].weight, 0);
	assert_int_equal(v6->proto, LVS_PROTO_UDP);
	assert_int_equal(v6->nvips, 1);
	assert_addr(&v6->vips[0], "2001:db8::10", 5353);
	assert_int_equal(v6->nreals, 1);
	assert_string_equal(member_of(&l, &v6->reals[0]), id_of("member", "up6"));
	assert_addr(&v6->reals[0].addr, "2001:db8:1::21", 5354);
	/* five members, the disabled one once, with no real server */
	assert_int_equal(l.nmembers, 5);
	for (i = 0; i < l.nmembers; i++)
		assert_int_equal(l.members[i].disabled, strcmp(l.members[i].id,
		    id_of("member", "disabled")) == 0);
	lvsconf_free(&l);
	free(text);
}

/* The older single-VIP form, without a health monitor; SCTP; disabled. */
static void
test_plain_sctp_off(void **state)
{
	struct lvs_listener	 l;
	char			 err[256];
	size_t			 len;
	char			*text;

	(void)state;
	text = load("plain", &len);
	assert_int_equal(lvsconf_parse(&l, "p", text, len, err, sizeof(err)), 0);
	assert_int_equal(l.nservices, 1);
	assert_int_equal(l.services[0].nvips, 1);
	assert_addr(&l.services[0].vips[0], "192.0.2.10", 5354);
	assert_int_equal(l.services[0].nreals, 1);
	assert_int_equal(l.services[0].reals[0].weight, 3);
	assert_false(l.services[0].reals[0].checked);
	assert_string_equal(l.pool, id_of("pool", "plain"));
	lvsconf_free(&l);
	free(text);

	text = load("sctp", &len);
	assert_int_equal(lvsconf_parse(&l, "s", text, len, err, sizeof(err)), 0);
	assert_int_equal(l.services[0].proto, LVS_PROTO_SCTP);
	assert_string_equal(lvs_proto_name(l.services[0].proto), "SCTP");
	lvsconf_free(&l);
	free(text);

	text = load("off", &len);
	assert_int_equal(lvsconf_parse(&l, "o", text, len, err, sizeof(err)), 0);
	assert_true(l.disabled);
	assert_string_equal(l.listener, id_of("listener", "off"));
	assert_int_equal(l.nservices, 0);
	lvsconf_free(&l);
	free(text);
}

/* The captured udp file with its first "from" replaced by "to". */
static int
parse_edited(const char *from, const char *to, char *err, size_t errlen)
{
	struct lvs_listener	 l;
	size_t			 len;
	char			*text = load("udp", &len), *at, *buf;
	int			 rc;

	if ((at = strstr(text, from)) == NULL)
		fail_msg("\"%s\" not in the fixture", from);
	buf = malloc(len + strlen(to) + 1);
	assert_non_null(buf);
	memcpy(buf, text, (size_t)(at - text));
	strcpy(buf + (at - text), to);
	strcat(buf, at + strlen(from));
	rc = lvsconf_parse(&l, "f.conf", buf, strlen(buf), err, errlen);
	lvsconf_free(&l);
	free(buf);
	free(text);
	return rc;
}

static void
test_errors(void **state)
{
	static const struct {
		const char	*from, *to, *err;
	} t[] = {
		{ "ipv4-group {\n", "ipv4-group\n", "f.conf:6: expected: "
		    "virtual_server_group NAME {" },
		{ "5353\n    192.0.2.11", "99999\n    192.0.2.11",
		    "f.conf:7: virtual_server_group ipv4-group: expected ADDRESS "
		    "PORT" },
		{ "group ipv6-group {\n    lb", "group ipv7-group {\n    lb",
		    "no such virtual_server_group" },
		{ "    # Configuration for Member", "    # Member",
		    "no \"# Configuration for Member <id>\" before it" },
		{ "weight 0", "weight many", "weight: \"many\"" },
		{ "protocol UDP", "protocol QUIC", "protocol: \"QUIC\"" },
		{ "real_server 198.51.100.21 5354", "real_server 198.51.100 5354",
		    "real_server: bad address" },
		{ "# Configuration for Listener", "# Configuration for Listen",
		    "no \"# Configuration for Listener <id>\"" },
		{ "        }\n    }\n    # Member", "        }\n    # Member",
		    "1 blocks not closed at the end" },
		{ "net_namespace", "}\nnet_namespace", "} without {" },
		{ "misc_timeout 1", "misc_timeout \"1", "unterminated quote" },
		{ "net_namespace amphora-haproxy", "a { b { c { d { e { f { g { "
		    "h { i {", "too many words" },
		{ "lb_algo rr", "# Configuration for Pool "
		    "00000000-0000-4000-8000-000000000000",
		    "a second Pool" },
	};
	char	 err[256];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		if (parse_edited(t[i].from, t[i].to, err, sizeof(err)) != -1)
			fail_msg("case %zu parsed", i);
		if (strstr(err, t[i].err) == NULL)
			fail_msg("case %zu: \"%s\", not \"%s\"", i, err,
			    t[i].err);
		if (strncmp(err, "f.conf:", 7) != 0)
			fail_msg("case %zu: no FILE:LINE: %s", i, err);
	}
}

/* Bounds: NUL, long lines, deep blocks, too many members. */
static void
test_bounds(void **state)
{
	struct lvs_listener	 l;
	char			 err[256], *big;
	size_t			 i, n = 0;

	(void)state;
	assert_int_equal(lvsconf_parse(&l, "n", "a\0b", 3, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "NUL"));
	lvsconf_free(&l);

	big = malloc(LVS_MAX_FILE + 2);
	assert_non_null(big);
	memset(big, 'x', LVS_MAX_LINE + 1);
	assert_int_equal(lvsconf_parse(&l, "n", big, LVS_MAX_LINE + 1, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "line longer"));
	lvsconf_free(&l);

	for (i = 0; i <= LVS_MAX_DEPTH; i++)
		n += (size_t)sprintf(big + n, "a {\n");
	assert_int_equal(lvsconf_parse(&l, "n", big, n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nested deeper"));
	lvsconf_free(&l);

	n = (size_t)sprintf(big, "# Configuration for Listener "
	    "00000000-0000-4000-8000-000000000000\n");
	for (i = 0; i <= LVS_MAX_MEMBERS; i++)
		n += (size_t)sprintf(big + n, "# Member "
		    "00000000-0000-4000-8000-%012zx is disabled\n", i);
	assert_int_equal(lvsconf_parse(&l, "n", big, n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 4096 members"));
	lvsconf_free(&l);

	assert_int_equal(lvsconf_parse(&l, "n", big, LVS_MAX_FILE + 1, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "larger than"));
	lvsconf_free(&l);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_plain_sctp_off),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
