/*
 * allowed_cidrs: a CIDR that parses prints back to one that parses to
 * the same network; matching a peer (the input's first 16 bytes, as IPv4,
 * IPv6 and IPv4-mapped) is consistent with the network's own bytes.
 */
#include <netinet/in.h>

#include "cidr.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cidr		 a, b;
	struct sockaddr_in	 s4;
	struct sockaddr_in6	 s6;
	char			*text, out[64];

	if (size < 16)
		return 0;
	text = string_copy(data + 16, size - 16);
	if (cidr_parse(text, &a) == 0) {
		FUZZ_ASSERT(a.family == AF_INET || a.family == AF_INET6);
		FUZZ_ASSERT(a.prefix <= (a.family == AF_INET ? 32u : 128u));
		cidr_format(&a, out, sizeof(out));
		FUZZ_ASSERT(cidr_parse(out, &b) == 0);
		FUZZ_ASSERT(a.family == b.family && a.prefix == b.prefix &&
		    memcmp(a.addr, b.addr, sizeof(a.addr)) == 0);
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		memcpy(&s4.sin_addr, data, 4);
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		memcpy(&s6.sin6_addr, data, 16);
		(void)cidr_match(&a, (struct sockaddr *)&s6);
		if (cidr_match(&a, (struct sockaddr *)&s4)) {
			/* the same peer, IPv4-mapped, matches too */
			memset(&s6.sin6_addr, 0, 10);
			memset((uint8_t *)&s6.sin6_addr + 10, 0xff, 2);
			memcpy((uint8_t *)&s6.sin6_addr + 12, data, 4);
			FUZZ_ASSERT(cidr_match(&a, (struct sockaddr *)&s6));
		}
		/* the network itself is in it */
		if (a.family == AF_INET) {
			memcpy(&s4.sin_addr, a.addr, 4);
			FUZZ_ASSERT(cidr_match(&a, (struct sockaddr *)&s4));
		}
		FUZZ_ASSERT(cidr_list_allows(NULL, 0, (struct sockaddr *)&s4));
	}
	free(text);
	return 0;
}
