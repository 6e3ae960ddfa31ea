/*
 * IPVS over generic netlink, as pure code: the requests the reader sends
 * (the "IPVS" family's id, a dump of services, a dump of one service's
 * destinations) built into a caller's buffer, and the kernel's answers
 * parsed out of one. The socket is the caller's (amphora-agent/ipvs.c).
 * Counters come from the 64-bit stats attributes when the kernel sends
 * them, else from the older 32-bit ones.
 */
#ifndef IPVS_H
#define IPVS_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

struct ipvs_stats {
	uint64_t	 conns;		/* connections scheduled */
	uint64_t	 inpkts, outpkts;
	uint64_t	 inbytes, outbytes;
};

/* A virtual service: protocol (IPPROTO_*), address family, VIP, port. */
struct ipvs_service {
	uint16_t	 af;
	uint16_t	 protocol;
	uint8_t		 addr[16];
	uint16_t	 port;		/* host order */
	uint32_t	 fwmark;
	struct ipvs_stats stats;
};

struct ipvs_dest {
	uint16_t	 af;
	uint8_t		 addr[16];
	uint16_t	 port;		/* host order */
	uint32_t	 weight;
	uint32_t	 active_conns;
	uint32_t	 inact_conns;
	struct ipvs_stats stats;
};

/* Room a request needs (the buffers passed below). */
#define IPVS_REQUEST_MAX	256

/*
 * Each builder writes one request into buf (IPVS_REQUEST_MAX bytes) and
 * returns its struct nlmsghdr, whose nlmsg_len is what to send.
 */
struct nlmsghdr	*ipvs_request_family(void *buf, uint32_t seq);
struct nlmsghdr	*ipvs_request_services(void *buf, uint16_t family,
		    uint32_t seq);
struct nlmsghdr	*ipvs_request_dests(void *buf, uint16_t family, uint32_t seq,
		    const struct ipvs_service *);

/*
 * The messages of an answer of len bytes, one at a time from *off (start
 * at 0): the next whole message, or NULL at the end or at one whose
 * length does not fit (libmnl's walk trusts a length over 2 GiB).
 */
const struct nlmsghdr *ipvs_next_message(const void *buf, size_t len,
		    size_t *off);

/*
 * Each parser reads one message of an answer: 0 and the result, or -1
 * when the message is not what it parses or lacks what identifies it.
 */
int	ipvs_parse_family(const struct nlmsghdr *, uint16_t *family);
int	ipvs_parse_service(const struct nlmsghdr *, struct ipvs_service *);
int	ipvs_parse_dest(const struct nlmsghdr *, struct ipvs_dest *);

#endif
