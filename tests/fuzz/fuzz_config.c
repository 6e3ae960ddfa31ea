/*
 * A configuration file, in a buffer of exactly its bytes: refused with a
 * FILE:LINE message, or parsed into listeners that each have a bind and
 * values within their ranges.
 */
#include "config.h"
#include "fuzz.h"

/* What a parsed listener's TLS promises tls.c. */
static void
tls_holds(const struct config_tls *t)
{
	size_t	 i;

	FUZZ_ASSERT(t->ncerts <= CONFIG_MAX_CERTS);
	for (i = 0; i < t->ncerts; i++)
		FUZZ_ASSERT(t->certs[i].path[0] == '/');
	FUZZ_ASSERT(t->versions != 0 &&
	    t->versions < (1u << CONFIG_TLS__COUNT));
	FUZZ_ASSERT((t->alpn & ~(CONFIG_ALPN_HTTP11 | CONFIG_ALPN_HTTP10)) == 0);
	if (t->ncerts == 0)
		return;
	FUZZ_ASSERT(t->verify == CONFIG_VERIFY_NONE || t->client_ca[0] == '/');
	FUZZ_ASSERT(t->crl[0] == '\0' || t->client_ca[0] == '/');
	FUZZ_ASSERT(strlen(t->ciphers) < CONFIG_CIPHERS_MAX &&
	    strlen(t->ciphersuites) < CONFIG_CIPHERS_MAX);
}

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
			tls_holds(&c.listeners[i].tls);
		}
		FUZZ_ASSERT(c.log_facility >= 16 && c.log_facility <= 23);
		FUZZ_ASSERT(c.log_socket[0] == '/');
	} else
		FUZZ_ASSERT(strncmp(err, "f.conf:", 7) == 0);
	config_free(&c);
	free(text);
	return 0;
}
