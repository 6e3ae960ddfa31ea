#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "expo.h"
#include "fixture.h"
#include "ipvsmap.h"
#include "opstatus.h"

/*
 * The captured configs (tests/fixtures/keepalived) against dumps shaped
 * as IPVS answers them: what each member, pool and listener becomes.
 */
static const struct snapshot_limits lim = { 65536, 64u << 20 };
static char ids[4096];

static const char *
id_of(const char *kind, const char *role)
{
	static char	 id[8][LVS_ID_LEN + 1];
	static int	 next;
	char		 key[64];
	const char	*p;

	snprintf(key, sizeof(key), "\n%s %s ", kind, role);
	if ((p = strstr(ids, key)) == NULL)
		fail_msg("no %s %s", kind, role);
	next = (next + 1) % 8;
	memcpy(id[next], p + strlen(key), LVS_ID_LEN);
	id[next][LVS_ID_LEN] = '\0';
	return id[next];
}

static void
conf(struct lvs_listener *l, const char *role)
{
	char	 name[160], err[256];
	size_t	 len;
	char	*text;

	snprintf(name, sizeof(name), "../keepalived/octavia-keepalivedlvs-%s.conf",
	    id_of("listener", role));
	text = fixture_load(name, &len);
	if (lvsconf_parse(l, name, text, len, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	free(text);
}

static int
setup(void **state)
{
	size_t	 len;
	char	*t = fixture_load("../keepalived/ids.txt", &len);

	(void)state;
	ids[0] = '\n';
	assert_true(len + 1 < sizeof(ids));
	memcpy(ids + 1, t, len + 1);
	free(t);
	return 0;
}

static struct ipvs_service
service(int af, const char *vip, uint16_t port, uint64_t conns)
{
	struct ipvs_service	 sv = { .af = (uint16_t)af,
				    .protocol = IPPROTO_UDP, .port = port };

	assert_int_equal(inet_pton(af, vip, sv.addr), 1);
	sv.stats = (struct ipvs_stats){ conns, 10 * conns, 9 * conns,
	    340 * conns, 300 * conns };
	return sv;
}

static struct ipvs_dest
dest(int af, const char *addr, uint16_t port, uint32_t weight, uint64_t conns)
{
	struct ipvs_dest	 d = { .port = port, .weight = weight,
				    .active_conns = 1, .inact_conns = 2 };

	assert_int_equal(inet_pton(af, addr, d.addr), 1);
	d.stats = (struct ipvs_stats){ conns, 10 * conns, 9 * conns,
	    340 * conns, 300 * conns };
	return d;
}

static const struct snap_row *
find(const struct snapshot *s, enum scope sc, const char *id)
{
	size_t	 i;

	for (i = 0; i < s->rows[sc].n; i++)
		if (strstr(s->rows[sc].row[i].labels, id) ==
		    s->rows[sc].row[i].labels + (sc == SCOPE_LISTENER ? 10 :
		    sc == SCOPE_POOL ? 6 : 8))
			return &s->rows[sc].row[i];
	fail_msg("no row for %s", id);
	return NULL;
}

/* Row r's value in column c: r is a row of s's scope sc. */
static uint64_t
value(const struct snapshot *s, enum scope sc, const struct snap_row *r,
    enum stat_col c)
{
	return snap_value(&s->rows[sc], (size_t)(r - s->rows[sc].row), c);
}

/* The UDP listener with every kind of member, and the plain one. */
static void
test_states_and_sums(void **state)
{
	struct lvs_listener	 l[2];
	struct ipvs_dest	 d4[2], d4b[1], d6[1], dp[1];
	struct ipvs_entry	 e[4];
	struct snapshot		 s;
	const struct snap_row	*r;

	(void)state;
	conf(&l[0], "udp");
	conf(&l[1], "plain");
	/* VIP 1: up and drained, fail removed; VIP 2: up; IPv6: up6 */
	d4[0] = dest(AF_INET, "198.51.100.21", 5354, 1, 4);
	d4[1] = dest(AF_INET, "198.51.100.21", 5364, 0, 0);
	d4b[0] = dest(AF_INET, "198.51.100.21", 5354, 1, 6);
	d6[0] = dest(AF_INET6, "2001:db8:1::21", 5354, 1, 5);
	dp[0] = dest(AF_INET, "198.51.100.21", 5356, 3, 7);
	e[0] = (struct ipvs_entry){ service(AF_INET, "192.0.2.10", 5353, 10),
	    d4, 2 };
	e[1] = (struct ipvs_entry){ service(AF_INET, "192.0.2.11", 5353, 6),
	    d4b, 1 };
	e[2] = (struct ipvs_entry){ service(AF_INET6, "2001:db8::10", 5353, 5),
	    d6, 1 };
	e[3] = (struct ipvs_entry){ service(AF_INET, "192.0.2.10", 5354, 7),
	    dp, 1 };
	snapshot_init(&s, &lim);
	assert_int_equal(ipvs_map(&s, l, 2, e, 4), 0);
	assert_int_equal(s.rows[SCOPE_LISTENER].n, 2);
	assert_int_equal(s.rows[SCOPE_POOL].n, 2);
	assert_int_equal(s.rows[SCOPE_MEMBER].n, 6);

	r = find(&s, SCOPE_MEMBER, id_of("member", "up"));	/* 2 VIPs */
	assert_int_equal(r->state, STATE_UP);
	assert_int_equal(r->op, OP_ONLINE);
	assert_int_equal(value(&s, SCOPE_MEMBER, r, COL_STOT), 10);
	/* active only, not inactive */
	assert_int_equal(value(&s, SCOPE_MEMBER, r, COL_SCUR), 2);
	assert_int_equal(value(&s, SCOPE_MEMBER, r, COL_BIN), 3400);
	assert_int_equal(value(&s, SCOPE_MEMBER, r, COL_IPVS_OUTPKTS), 90);
	assert_int_equal(value(&s, SCOPE_MEMBER, r, COL_WEIGHT), 1);
	assert_true(r->ipvs);
	assert_false(snap_row_has(r, COL_QCUR));
	r = find(&s, SCOPE_MEMBER, id_of("member", "fail"));
	assert_int_equal(r->state, STATE_DOWN);
	assert_int_equal(r->op, OP_ERROR);
	assert_false(snap_row_has(r, COL_STOT));
	r = find(&s, SCOPE_MEMBER, id_of("member", "drained"));
	assert_int_equal(r->state, STATE_DRAIN);
	assert_int_equal(r->op, OP_DRAINING);
	r = find(&s, SCOPE_MEMBER, id_of("member", "disabled"));
	assert_int_equal(r->state, STATE_MAINT);
	assert_int_equal(r->op, OP_OFFLINE);
	r = find(&s, SCOPE_MEMBER, id_of("member", "up6"));
	assert_int_equal(r->state, STATE_UP);
	assert_int_equal(value(&s, SCOPE_MEMBER, r, COL_STOT), 5);
	r = find(&s, SCOPE_MEMBER, id_of("member", "plain"));
	assert_int_equal(r->state, STATE_UP);
	assert_int_equal(r->op, OP_NO_MONITOR);	/* no health monitor */
	assert_int_equal(value(&s, SCOPE_MEMBER, r, COL_WEIGHT), 3);

	/* listener and pool: the services' sums, sessions the dests' */
	r = find(&s, SCOPE_LISTENER, id_of("listener", "udp"));
	assert_int_equal(r->state, STATE_UP);
	assert_int_equal(value(&s, SCOPE_LISTENER, r, COL_STOT), 21);
	assert_int_equal(value(&s, SCOPE_LISTENER, r, COL_IPVS_INPKTS),
	    210);
	/* 4 dests, 1 active each */
	assert_int_equal(value(&s, SCOPE_LISTENER, r, COL_SCUR), 4);
	r = find(&s, SCOPE_POOL, id_of("pool", "udp"));
	assert_int_equal(value(&s, SCOPE_POOL, r, COL_ACT), 2);
	assert_int_equal(r->state, STATE_UP);
	assert_int_equal(r->op, OP_DEGRADED);	/* "fail" is in ERROR */
	assert_int_equal(find(&s, SCOPE_POOL, id_of("pool", "plain"))->op,
	    OP_ONLINE);
	assert_int_equal(s.op, OP_DEGRADED);
	snapshot_free(&s);

	/* keepalived inhibited "plain" (weight 0, configured 3) */
	dp[0].weight = 0;
	snapshot_init(&s, &lim);
	assert_int_equal(ipvs_map(&s, &l[1], 1, &e[3], 1), 0);
	r = find(&s, SCOPE_MEMBER, id_of("member", "plain"));
	assert_int_equal(r->state, STATE_DOWN);
	assert_int_equal(r->op, OP_ERROR);
	r = find(&s, SCOPE_POOL, id_of("pool", "plain"));
	assert_int_equal(value(&s, SCOPE_POOL, r, COL_ACT), 0);
	snapshot_free(&s);
	lvsconf_free(&l[0]);
	lvsconf_free(&l[1]);
}

/* keepalived not running: nothing in IPVS, checked pool in ERROR. */
static void
test_nothing_in_ipvs(void **state)
{
	struct lvs_listener	 l[2];
	struct snapshot		 s;

	(void)state;
	conf(&l[0], "udp");
	conf(&l[1], "off");
	snapshot_init(&s, &lim);
	assert_int_equal(ipvs_map(&s, l, 2, NULL, 0), 0);
	assert_int_equal(s.rows[SCOPE_LISTENER].n, 1);	/* not "off" */
	assert_int_equal(find(&s, SCOPE_LISTENER, id_of("listener", "udp"))->state,
	    STATE_DOWN);
	assert_int_equal(find(&s, SCOPE_POOL, id_of("pool", "udp"))->op,
	    OP_ERROR);
	assert_int_equal(find(&s, SCOPE_MEMBER, id_of("member", "up"))->op,
	    OP_ERROR);
	assert_int_equal(s.op, OP_ERROR);
	snapshot_free(&s);
	lvsconf_free(&l[0]);
	lvsconf_free(&l[1]);
}

/* Rendered: the families with a meaning, never a NaN for the others. */
static void
test_rendered(void **state)
{
	struct lvs_listener	 l;
	struct ipvs_dest	 dp = dest(AF_INET, "198.51.100.21", 5356, 3, 7);
	struct ipvs_entry	 e = { service(AF_INET, "192.0.2.10", 5354, 7),
				    &dp, 1 };
	struct snapshot		 s;
	struct expo_agent	 a;
	struct wbuf		 out;
	char			 want[256];

	(void)state;
	memset(&a, 0, sizeof(a));
	conf(&l, "plain");
	snapshot_init(&s, &lim);
	assert_int_equal(ipvs_map(&s, &l, 1, &e, 1), 0);
	wbuf_init(&out, 1 << 20);
	expo_render(&out, &s, &a, 1u << SCOPE_MEMBER | 1u << SCOPE_LISTENER |
	    1u << SCOPE_POOL, EXPO_TEXT);
	assert_false(wbuf_failed(&out));
	wbuf_putc(&out, '\0');
	snprintf(want, sizeof(want), "octavia_member_sessions_total{member=\"%s\","
	    "pool=\"%s\",listener=\"%s\"} 7\n", id_of("member", "plain"),
	    id_of("pool", "plain"), id_of("listener", "plain"));
	assert_non_null(strstr(out.data, want));
	snprintf(want, sizeof(want), "octavia_pool_active_members{pool=\"%s\","
	    "listener=\"%s\"} 1\n", id_of("pool", "plain"),
	    id_of("listener", "plain"));
	assert_non_null(strstr(out.data, want));
	assert_null(strstr(out.data, "NaN"));
	assert_null(strstr(out.data, "octavia_member_current_queue"));
	assert_null(strstr(out.data, "octavia_listener_requests_denied"));
	wbuf_free(&out);
	snapshot_free(&s);
	lvsconf_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states_and_sums),
		cmocka_unit_test(test_nothing_in_ipvs),
		cmocka_unit_test(test_rendered),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
