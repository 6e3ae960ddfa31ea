/*
 * A keepalived config of Octavia's, in a buffer of exactly its bytes:
 * refused with a FILE:LINE message, or parsed into virtual servers whose
 * every real server names a member that exists and is not disabled, with
 * addresses of a known family, within the bounds.
 */
#include <sys/socket.h>

#include "fuzz.h"
#include "lvsconf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lvs_listener	 l;
	char			*text = exact_copy(data, size), err[512];
	size_t			 i, j;

	err[0] = '\0';
	if (lvsconf_parse(&l, "f.conf", text, size, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(l.listener[0] != '\0');
		FUZZ_ASSERT(l.nservices <= LVS_MAX_SERVICES);
		FUZZ_ASSERT(l.nmembers <= LVS_MAX_MEMBERS);
		for (i = 0; i < l.nservices; i++) {
			const struct lvs_service *sv = &l.services[i];

			FUZZ_ASSERT(sv->nvips <= LVS_MAX_VIPS);
			for (j = 0; j < sv->nvips; j++)
				FUZZ_ASSERT(sv->vips[j].family == AF_INET ||
				    sv->vips[j].family == AF_INET6);
			for (j = 0; j < sv->nreals; j++) {
				FUZZ_ASSERT(sv->reals[j].member < l.nmembers);
				FUZZ_ASSERT(sv->reals[j].addr.port != 0);
				FUZZ_ASSERT(sv->reals[j].weight <= 65535);
			}
		}
	} else
		FUZZ_ASSERT(strncmp(err, "f.conf:", 7) == 0);
	lvsconf_free(&l);
	free(text);
	return 0;
}
