/*
 * Asks the kernel for IPVS over generic netlink, as the agent will, with
 * lib/ipvs.c's requests, and keeps its answers as they came:
 * OUTDIR/family.bin, services.bin and dests-N.bin (N: the service's rank
 * in the dump), every message up to NLMSG_DONE. Prints what lib/ipvs.c
 * parses of them, a line a service or destination, to compare with
 * "ipvsadm -Ln --stats --exact". Used by tests/fixtures/capture-ipvs.sh
 * inside the VM; needs CAP_NET_ADMIN.
 *
 *	ipvs_dump OUTDIR
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipvs.h"

#define MAX_SERVICES	256

static struct mnl_socket	*nl;
static char			 rbuf[1 << 16];

/* Sends req, writes every answer message to path; the answer's bytes. */
static size_t
ask(struct nlmsghdr *req, const char *path, char *keep, size_t keepmax)
{
	FILE		*f = fopen(path, "wb");
	size_t		 kept = 0;
	ssize_t		 n;
	int		 done = 0;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0) {
		perror("sendto");
		exit(1);
	}
	while (!done && (n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf))) > 0) {
		const struct nlmsghdr	*m;
		size_t			 off = 0;

		while ((m = ipvs_next_message(rbuf, (size_t)n, &off)) != NULL) {
			if (m->nlmsg_type == NLMSG_DONE)
				done = 1;
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

				fprintf(stderr, "%s: %s\n", path,
				    strerror(-e->error));
				exit(1);
			}
			if (!(m->nlmsg_flags & NLM_F_MULTI))
				done = 1;
		}
		fwrite(rbuf, 1, (size_t)n, f);
		if (keep != NULL && kept + (size_t)n <= keepmax) {
			memcpy(keep + kept, rbuf, (size_t)n);
			kept += (size_t)n;
		}
	}
	fclose(f);
	return kept;
}

static const char *
addr(int af, const uint8_t *a, char *buf, size_t len)
{
	return inet_ntop(af, a, buf, (socklen_t)len);
}

int
main(int argc, char **argv)
{
	static char		 services[1 << 20];
	char			 req[IPVS_REQUEST_MAX], path[512], ab[64];
	struct ipvs_service	 sv[MAX_SERVICES];
	const struct nlmsghdr	*m;
	size_t			 n, off = 0, nsv = 0, i;
	uint16_t		 family = 0;
	uint32_t		 seq = (uint32_t)time(NULL);

	if (argc != 2) {
		fprintf(stderr, "usage: ipvs_dump OUTDIR\n");
		return 2;
	}
	if ((nl = mnl_socket_open(NETLINK_GENERIC)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/family.bin", argv[1]);
	n = ask(ipvs_request_family(req, seq++), path, services,
	    sizeof(services));
	while ((m = ipvs_next_message(services, n, &off)) != NULL)
		if (ipvs_parse_family(m, &family) == 0)
			break;
	if (family == 0) {
		fprintf(stderr, "no IPVS family\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/services.bin", argv[1]);
	n = ask(ipvs_request_services(req, family, seq++), path, services,
	    sizeof(services));
	for (off = 0; (m = ipvs_next_message(services, n, &off)) != NULL; )
		if (nsv < MAX_SERVICES && ipvs_parse_service(m, &sv[nsv]) == 0)
			nsv++;
	for (i = 0; i < nsv; i++) {
		static char	 dests[1 << 20];
		struct ipvs_dest d;
		size_t		 dn, doff = 0;

		printf("service %u %s %u conns %llu inpkts %llu outpkts %llu "
		    "inbytes %llu outbytes %llu\n", sv[i].protocol,
		    addr(sv[i].af, sv[i].addr, ab, sizeof(ab)), sv[i].port,
		    (unsigned long long)sv[i].stats.conns,
		    (unsigned long long)sv[i].stats.inpkts,
		    (unsigned long long)sv[i].stats.outpkts,
		    (unsigned long long)sv[i].stats.inbytes,
		    (unsigned long long)sv[i].stats.outbytes);
		snprintf(path, sizeof(path), "%s/dests-%zu.bin", argv[1], i);
		dn = ask(ipvs_request_dests(req, family, seq++, &sv[i]), path,
		    dests, sizeof(dests));
		while ((m = ipvs_next_message(dests, dn, &doff)) != NULL) {
			if (ipvs_parse_dest(m, &d) != 0)
				continue;
			printf("  dest %s %u weight %u active %u inactive %u "
			    "conns %llu inpkts %llu outpkts %llu inbytes %llu "
			    "outbytes %llu\n", addr(d.af ? d.af : sv[i].af,
			    d.addr, ab, sizeof(ab)), d.port, d.weight,
			    d.active_conns, d.inact_conns,
			    (unsigned long long)d.stats.conns,
			    (unsigned long long)d.stats.inpkts,
			    (unsigned long long)d.stats.outpkts,
			    (unsigned long long)d.stats.inbytes,
			    (unsigned long long)d.stats.outbytes);
		}
	}
	mnl_socket_close(nl);
	return 0;
}
