#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "decimal.h"

static void
mask_host_bits(uint8_t *a, unsigned bytes, unsigned prefix)
{
	unsigned	 i;

	for (i = 0; i < bytes; i++) {
		if (prefix >= 8 * (i + 1))
			continue;
		if (prefix <= 8 * i)
			a[i] = 0;
		else
			a[i] &= (uint8_t)(0xff << (8 - (prefix - 8 * i)));
	}
}

int
cidr_parse(const char *s, struct cidr *c)
{
	char		 host[INET6_ADDRSTRLEN + 1];
	const char	*slash;
	size_t		 hlen;
	uint64_t	 max, prefix = 0;

	memset(c, 0, sizeof(*c));
	slash = strchr(s, '/');
	hlen = slash ? (size_t)(slash - s) : strlen(s);
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';

	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return -1;

	if (slash == NULL)
		prefix = max;
	else {
		if (strlen(slash + 1) > 3 ||
		    dec_u64_str(slash + 1, max, &prefix) == -1)
			return -1;
	}
	c->prefix = (unsigned)prefix;
	mask_host_bits(c->addr, (unsigned)max / 8, c->prefix);
	return 0;
}

void
cidr_format(const struct cidr *c, char *dst, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	if (inet_ntop(c->family, c->addr, host, sizeof(host)) == NULL)
		host[0] = '\0';
	snprintf(dst, len, "%s/%u", host, c->prefix);
}

static int
prefix_equal(const uint8_t *net, const uint8_t *a, unsigned prefix)
{
	unsigned	 full = prefix / 8, rest = prefix % 8;
	uint8_t		 m;

	if (memcmp(net, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	m = (uint8_t)(0xff << (8 - rest));
	return (net[full] & m) == (a[full] & m);
}

int
cidr_match(const struct cidr *c, const struct sockaddr *sa)
{
	static const uint8_t	 v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	const uint8_t		*a;

	if (sa->sa_family == AF_INET) {
		if (c->family != AF_INET)
			return 0;
		a = (const uint8_t *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		return prefix_equal(c->addr, a, c->prefix);
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
	if (c->family == AF_INET6)
		return prefix_equal(c->addr, a, c->prefix);
	if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0)
		return prefix_equal(c->addr, a + 12, c->prefix);
	return 0;
}

int
cidr_list_allows(const struct cidr *list, size_t n, const struct sockaddr *sa)
{
	size_t	 i;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (cidr_match(&list[i], sa))
			return 1;
	return 0;
}
