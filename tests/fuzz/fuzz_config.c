/*
 * A configuration file, in a buffer of exactly its bytes: refused with a
 * FILE:LINE message, or parsed into listeners that each have a bind and
 * values within their ranges.
 */
#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 c;
	char		*text = exact_copy(data, size), err[512];
	size_t		 i;

	if (size > CONFIG_MAX_FILE)
		return 0;
	config_init(&c);
	err[0] = '\0';
	if (config_parse(&c, "f.conf", text, size, err, sizeof(err)) == 0) {
		FUZZ_ASSERT(c.nlisteners <= CONFIG_MAX_LISTENERS);
		FUZZ_ASSERT(c.min_scrape_interval_ms >= 0 &&
		    c.scrape_timeout_ms >= 1);
		for (i = 0; i < c.nlisteners; i++) {
			FUZZ_ASSERT(c.listeners[i].nbinds >= 1 &&
			    c.listeners[i].nbinds <= CONFIG_MAX_BINDS);
			FUZZ_ASSERT(c.listeners[i].ncidrs <= CONFIG_MAX_CIDRS);
			FUZZ_ASSERT(c.listeners[i].id[0] != '\0');
			FUZZ_ASSERT(c.listeners[i].head_timeout_ms >= 1);
		}
	} else
		FUZZ_ASSERT(strncmp(err, "f.conf:", 7) == 0);
	config_free(&c);
	free(text);
	return 0;
}
