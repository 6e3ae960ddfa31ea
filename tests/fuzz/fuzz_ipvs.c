/*
 * A netlink answer, in a buffer of exactly its bytes: every message the
 * walk accepts is parsed as the family's id, a service and a destination,
 * nothing read outside it (the sanitizers watch); a service that parses
 * names itself the same way in the request for its destinations.
 */
#include <linux/netlink.h>

#include "fuzz.h"
#include "ipvs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			*buf = exact_copy(data, size);
	const struct nlmsghdr	*nlh;
	size_t			 off = 0;
	struct ipvs_service	 sv, back;
	char			 req[IPVS_REQUEST_MAX];
	struct ipvs_dest	 d;
	uint16_t		 family;

	while ((nlh = ipvs_next_message(buf, size, &off)) != NULL) {
		(void)ipvs_parse_family(nlh, &family);
		if (ipvs_parse_service(nlh, &sv) == 0) {
			FUZZ_ASSERT(ipvs_parse_service(ipvs_request_dests(req,
			    1, 1, &sv), &back) == 0);
			FUZZ_ASSERT(back.af == sv.af && back.fwmark == sv.fwmark);
			FUZZ_ASSERT(sv.fwmark != 0 || (back.port == sv.port &&
			    back.protocol == sv.protocol &&
			    memcmp(back.addr, sv.addr, 16) == 0));
		}
		(void)ipvs_parse_dest(nlh, &d);
	}
	free(buf);
	return 0;
}
