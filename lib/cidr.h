/*
 * allowed_cidrs: IPv4 and IPv6 networks, host bits accepted and cleared
 * (Octavia normalises them the same way), and a matcher for peer addresses
 * in which an IPv4-mapped IPv6 peer (::ffff:a.b.c.d) matches IPv4 networks.
 */
#ifndef CIDR_H
#define CIDR_H

#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

struct cidr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned	 prefix;	/* 0..32 or 0..128 */
	uint8_t		 addr[16];	/* network bytes, host bits zero */
};

/* "a.b.c.d/n", "x::y/n", or a bare address (a /32 or /128). 0 or -1. */
int	cidr_parse(const char *, struct cidr *);

/* Canonical text of the network, e.g. "10.0.0.0/8"; dst >= 64 bytes. */
void	cidr_format(const struct cidr *, char *dst, size_t len);

int	cidr_match(const struct cidr *, const struct sockaddr *);

/* An empty list allows every peer. */
int	cidr_list_allows(const struct cidr *, size_t n, const struct sockaddr *);

#endif
