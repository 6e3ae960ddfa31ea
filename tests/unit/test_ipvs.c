#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "fixture.h"
#include "ipvs.h"

#define FAMILY	0x1c		/* what the controller would hand out */

static char	 buf[8192];	/* one answer message, as a dump sends them */

/* A kernel answer's header: type, genl command, and the caller's nest. */
static struct nlmsghdr *
answer(uint16_t type, uint8_t cmd)
{
	struct nlmsghdr		*nlh;
	struct genlmsghdr	*g;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = IPVS_GENL_VERSION;
	return nlh;
}

static void
put_stats(struct nlmsghdr *nlh, int type, int wide, uint64_t base)
{
	struct nlattr	*n = mnl_attr_nest_start(nlh, (uint16_t)type);

	if (wide) {
		mnl_attr_put_u64(nlh, IPVS_STATS_ATTR_CONNS, base + 1);
		mnl_attr_put_u64(nlh, IPVS_STATS_ATTR_INPKTS, base + 2);
		mnl_attr_put_u64(nlh, IPVS_STATS_ATTR_OUTPKTS, base + 3);
	} else {
		mnl_attr_put_u32(nlh, IPVS_STATS_ATTR_CONNS, (uint32_t)base + 1);
		mnl_attr_put_u32(nlh, IPVS_STATS_ATTR_INPKTS, (uint32_t)base + 2);
		mnl_attr_put_u32(nlh, IPVS_STATS_ATTR_OUTPKTS, (uint32_t)base + 3);
	}
	mnl_attr_put_u64(nlh, IPVS_STATS_ATTR_INBYTES, base + 4);
	mnl_attr_put_u64(nlh, IPVS_STATS_ATTR_OUTBYTES, base + 5);
	mnl_attr_put_u32(nlh, IPVS_STATS_ATTR_CPS, 7);
	mnl_attr_nest_end(nlh, n);
}

/* A service as the kernel describes it (ip_vs_genl_fill_service). */
static struct nlmsghdr *
service(int af, const char *addr, uint16_t port, int stats32, int stats64)
{
	struct nlmsghdr	*nlh = answer(FAMILY, IPVS_CMD_NEW_SERVICE);
	struct nlattr	*n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);
	uint8_t		 a[16] = { 0 };

	assert_int_equal(inet_pton(af, addr, a), 1);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_AF, (uint16_t)af);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PROTOCOL, IPPROTO_UDP);
	mnl_attr_put(nlh, IPVS_SVC_ATTR_ADDR, sizeof(a), a);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PORT, htons(port));
	mnl_attr_put_strz(nlh, IPVS_SVC_ATTR_SCHED_NAME, "rr");
	mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_TIMEOUT, 0);
	mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_NETMASK, 0xffffffff);
	if (stats32)
		put_stats(nlh, IPVS_SVC_ATTR_STATS, 0, 100);
	if (stats64)
		put_stats(nlh, IPVS_SVC_ATTR_STATS64, 1, 5000000000ULL);
	mnl_attr_nest_end(nlh, n);
	return nlh;
}

static void
test_service(void **state)
{
	struct ipvs_service	 sv;
	uint8_t			 want[16] = { 0 };

	(void)state;
	/* both stats: the 64-bit ones win */
	assert_int_equal(ipvs_parse_service(service(AF_INET, "192.0.2.10",
	    5353, 1, 1), &sv), 0);
	assert_int_equal(sv.af, AF_INET);
	assert_int_equal(sv.protocol, IPPROTO_UDP);
	assert_int_equal(sv.port, 5353);
	inet_pton(AF_INET, "192.0.2.10", want);
	assert_memory_equal(sv.addr, want, 16);
	assert_int_equal(sv.stats.conns, 5000000001ULL);
	assert_int_equal(sv.stats.inpkts, 5000000002ULL);
	assert_int_equal(sv.stats.outpkts, 5000000003ULL);
	assert_int_equal(sv.stats.inbytes, 5000000004ULL);
	assert_int_equal(sv.stats.outbytes, 5000000005ULL);
	/* an older kernel: 32-bit counters, 64-bit bytes */
	assert_int_equal(ipvs_parse_service(service(AF_INET6, "2001:db8::10",
	    53, 1, 0), &sv), 0);
	assert_int_equal(sv.af, AF_INET6);
	inet_pton(AF_INET6, "2001:db8::10", want);
	assert_memory_equal(sv.addr, want, 16);
	assert_int_equal(sv.stats.conns, 101);
	assert_int_equal(sv.stats.outbytes, 105);
	/* no stats at all: zeros, still a service */
	assert_int_equal(ipvs_parse_service(service(AF_INET, "192.0.2.10",
	    1, 0, 0), &sv), 0);
	assert_int_equal(sv.stats.conns, 0);
}

static void
test_dest(void **state)
{
	struct nlmsghdr	*nlh = answer(FAMILY, IPVS_CMD_NEW_DEST);
	struct nlattr	*n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DEST);
	struct ipvs_dest d;
	uint8_t		 a[16] = { 0 };

	(void)state;
	inet_pton(AF_INET, "198.51.100.21", a);
	mnl_attr_put(nlh, IPVS_DEST_ATTR_ADDR, sizeof(a), a);
	mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_PORT, htons(5354));
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_MASQ);
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_WEIGHT, 3);
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_ACTIVE_CONNS, 2);
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_INACT_CONNS, 5);
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_PERSIST_CONNS, 0);
	mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_ADDR_FAMILY, AF_INET);
	put_stats(nlh, IPVS_DEST_ATTR_STATS, 0, 10);
	put_stats(nlh, IPVS_DEST_ATTR_STATS64, 1, 20);
	mnl_attr_nest_end(nlh, n);
	assert_int_equal(ipvs_parse_dest(nlh, &d), 0);
	assert_int_equal(d.af, AF_INET);
	assert_int_equal(d.port, 5354);
	assert_memory_equal(d.addr, a, 16);
	assert_int_equal(d.weight, 3);
	assert_int_equal(d.active_conns, 2);
	assert_int_equal(d.inact_conns, 5);
	assert_int_equal(d.stats.conns, 21);
	assert_int_equal(d.stats.outbytes, 25);
	/* a service message is not a destination */
	assert_int_equal(ipvs_parse_dest(service(AF_INET, "192.0.2.1", 1, 0, 0),
	    &d), -1);
}

/* What is missing or the wrong size is refused, never read past. */
static void
test_malformed(void **state)
{
	struct nlmsghdr		*nlh;
	struct nlattr		*n;
	struct ipvs_service	 sv;
	uint16_t		 family;

	(void)state;
	/* no AF */
	nlh = answer(FAMILY, IPVS_CMD_NEW_SERVICE);
	n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PROTOCOL, IPPROTO_UDP);
	mnl_attr_nest_end(nlh, n);
	assert_int_equal(ipvs_parse_service(nlh, &sv), -1);
	/* a port of four bytes */
	nlh = answer(FAMILY, IPVS_CMD_NEW_SERVICE);
	n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_AF, AF_INET);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PROTOCOL, IPPROTO_UDP);
	mnl_attr_put(nlh, IPVS_SVC_ATTR_ADDR, 4, "\xc0\x00\x02\x0a");
	mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_PORT, 53);
	mnl_attr_nest_end(nlh, n);
	assert_int_equal(ipvs_parse_service(nlh, &sv), -1);
	/* a nest whose length runs past the message */
	nlh = service(AF_INET, "192.0.2.10", 5353, 1, 1);
	((struct nlattr *)mnl_nlmsg_get_payload_offset(nlh,
	    sizeof(struct genlmsghdr)))->nla_len = 0xfff0;
	assert_int_equal(ipvs_parse_service(nlh, &sv), -1);
	/* a message shorter than its genl header */
	nlh = answer(FAMILY, IPVS_CMD_NEW_SERVICE);
	nlh->nlmsg_len = sizeof(struct nlmsghdr) + 1;
	assert_int_equal(ipvs_parse_service(nlh, &sv), -1);
	/* the controller's answer without an id */
	nlh = answer(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "IPVS");
	assert_int_equal(ipvs_parse_family(nlh, &family), -1);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAMILY);
	assert_int_equal(ipvs_parse_family(nlh, &family), 0);
	assert_int_equal(family, FAMILY);
}

/* The requests: the family by name, dumps, a service to list dests of. */
static void
test_requests(void **state)
{
	char			 req[IPVS_REQUEST_MAX];
	struct nlmsghdr		*nlh;
	struct genlmsghdr	*g;
	struct ipvs_service	 sv = { .af = AF_INET6, .protocol = IPPROTO_SCTP,
				    .port = 38412 }, back;

	(void)state;
	nlh = ipvs_request_family(req, 7);
	assert_int_equal(nlh->nlmsg_type, GENL_ID_CTRL);
	assert_int_equal(nlh->nlmsg_seq, 7);
	g = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(g->cmd, CTRL_CMD_GETFAMILY);
	assert_string_equal(mnl_attr_get_str(mnl_nlmsg_get_payload_offset(nlh,
	    sizeof(*g))), IPVS_GENL_NAME);

	nlh = ipvs_request_services(req, FAMILY, 8);
	assert_int_equal(nlh->nlmsg_type, FAMILY);
	assert_true(nlh->nlmsg_flags & NLM_F_DUMP);
	assert_int_equal(((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd,
	    IPVS_CMD_GET_SERVICE);

	inet_pton(AF_INET6, "2001:db8::10", sv.addr);
	nlh = ipvs_request_dests(req, FAMILY, 9, &sv);
	assert_true(nlh->nlmsg_len <= IPVS_REQUEST_MAX);
	assert_int_equal(((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd,
	    IPVS_CMD_GET_DEST);
	/* the nest names the service as the kernel will read it */
	assert_int_equal(ipvs_parse_service(nlh, &back), 0);
	assert_int_equal(back.af, AF_INET6);
	assert_int_equal(back.protocol, IPPROTO_SCTP);
	assert_int_equal(back.port, 38412);
	assert_memory_equal(back.addr, sv.addr, 16);
}

/* The walk over an answer stops at a length that does not fit. */
static void
test_walk(void **state)
{
	static char		 two[2 * 8192];
	const struct nlmsghdr	*m;
	struct nlmsghdr		*nlh;
	size_t			 off = 0, first;

	(void)state;
	nlh = service(AF_INET, "192.0.2.10", 5353, 1, 1);
	first = NLMSG_ALIGN(nlh->nlmsg_len);
	memcpy(two, nlh, nlh->nlmsg_len);
	nlh = service(AF_INET, "192.0.2.11", 5354, 0, 1);
	memcpy(two + first, nlh, nlh->nlmsg_len);
	m = ipvs_next_message(two, first + nlh->nlmsg_len, &off);
	assert_ptr_equal(m, two);
	m = ipvs_next_message(two, first + nlh->nlmsg_len, &off);
	assert_ptr_equal(m, two + first);
	assert_null(ipvs_next_message(two, first + nlh->nlmsg_len, &off));
	/* a length over 2 GiB, which libmnl's walk would follow */
	((struct nlmsghdr *)(two + first))->nlmsg_len = 0x80000010u;
	off = first;
	assert_null(ipvs_next_message(two, sizeof(two), &off));
	/* shorter than a header, or cut short */
	off = 0;
	assert_null(ipvs_next_message(two, 8, &off));
	((struct nlmsghdr *)two)->nlmsg_len = 4;
	assert_null(ipvs_next_message(two, sizeof(two), &off));
}

/*
 * A real kernel's answers (tests/fixtures/capture-ipvs.sh, in a VM) say
 * what ipvsadm printed of the same IPVS (expect.txt): every service and
 * destination, their weights, connections, packets and bytes.
 */
static void
test_captured(void **state)
{
	size_t			 len, elen, off = 0, i, found = 0, dfound = 0;
	char			*bin = fixture_load("../ipvs/family.bin", &len);
	char			*expect = fixture_load("../ipvs/expect.txt", &elen);
	char			 name[64], ab[64], line[256];
	const struct nlmsghdr	*m;
	struct ipvs_service	 sv;
	struct ipvs_dest	 d;
	uint16_t		 family = 0;
	unsigned long long	 v[8];
	const char		*e, *svc;
	int			 nsv = 0, nd = 0;

	(void)state;
	while ((m = ipvs_next_message(bin, len, &off)) != NULL)
		if (ipvs_parse_family(m, &family) == 0)
			break;
	assert_true(family != 0);
	free(bin);
	for (e = expect; (e = strstr(e, "service ")) != NULL; e++)
		nsv++;
	for (e = expect; (e = strstr(e, "dest ")) != NULL; e++)
		nd++;
	assert_true(nsv >= 4);

	bin = fixture_load("../ipvs/services.bin", &len);
	for (off = 0, i = 0; (m = ipvs_next_message(bin, len, &off)) != NULL;) {
		char	*dbin;
		size_t	 dlen, doff = 0;

		if (m->nlmsg_type == NLMSG_DONE)
			continue;
		assert_int_equal(ipvs_parse_service(m, &sv), 0);
		assert_non_null(inet_ntop(sv.af, sv.addr, ab, sizeof(ab)));
		snprintf(line, sizeof(line), "service %u %s %u ", sv.protocol,
		    ab, sv.port);
		if ((svc = strstr(expect, line)) == NULL)
			fail_msg("%snot in expect.txt", line);
		assert_int_equal(sscanf(svc + strlen(line),
		    "%llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		    &v[4]), 5);
		assert_int_equal(sv.stats.conns, v[0]);
		assert_int_equal(sv.stats.inpkts, v[1]);
		assert_int_equal(sv.stats.outpkts, v[2]);
		assert_int_equal(sv.stats.inbytes, v[3]);
		assert_int_equal(sv.stats.outbytes, v[4]);
		found++;

		snprintf(name, sizeof(name), "../ipvs/dests-%zu.bin", i++);
		dbin = fixture_load(name, &dlen);
		while ((m = ipvs_next_message(dbin, dlen, &doff)) != NULL) {
			const char	*next, *at;

			if (m->nlmsg_type == NLMSG_DONE)
				continue;
			assert_int_equal(ipvs_parse_dest(m, &d), 0);
			assert_non_null(inet_ntop(d.af ? d.af : sv.af, d.addr,
			    ab, sizeof(ab)));
			snprintf(line, sizeof(line), "dest %s %u ", ab, d.port);
			/* among this service's destinations */
			next = strstr(svc + 1, "service ");
			if ((at = strstr(svc, line)) == NULL ||
			    (next != NULL && at > next))
				fail_msg("%snot under its service", line);
			assert_int_equal(sscanf(at + strlen(line),
			    "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]), 8);
			assert_int_equal(d.weight, v[0]);
			assert_int_equal(d.active_conns, v[1]);
			assert_int_equal(d.inact_conns, v[2]);
			assert_int_equal(d.stats.conns, v[3]);
			assert_int_equal(d.stats.inpkts, v[4]);
			assert_int_equal(d.stats.outpkts, v[5]);
			assert_int_equal(d.stats.inbytes, v[6]);
			assert_int_equal(d.stats.outbytes, v[7]);
			dfound++;
		}
		free(dbin);
	}
	assert_int_equal(found, (size_t)nsv);
	assert_int_equal(dfound, (size_t)nd);
	free(bin);
	free(expect);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_dest),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_requests),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_captured),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
