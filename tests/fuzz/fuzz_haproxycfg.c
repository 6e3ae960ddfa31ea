/*
 * A haproxy.cfg, in a buffer of exactly its bytes: parsed within the
 * bounds, its proxies sorted and each found again by name and side, each
 * server inside its proxy's range and found again by name. The same bytes
 * as a crt-list (in a buffer of one more): each file named is a word
 * inside the buffer, with no blank and no '['.
 */
#include "fuzz.h"
#include "haproxycfg.h"

static void
crt_list(const uint8_t *data, size_t size)
{
	const char	*paths[16];
	char		*text;
	size_t		 n, i, k;

	if ((text = malloc(size + 1)) == NULL)
		return;
	memcpy(text, data, size);
	n = hcfg_crt_list(text, size, paths, 16);
	FUZZ_ASSERT(n <= size / 2 + 1);
	for (i = 0; i < n && i < 16; i++) {
		FUZZ_ASSERT(paths[i] >= text && paths[i] < text + size);
		FUZZ_ASSERT(i == 0 || paths[i] > paths[i - 1]);
		k = strlen(paths[i]);
		FUZZ_ASSERT(k > 0 && paths[i] + k <= text + size);
		FUZZ_ASSERT(strcspn(paths[i], " \t\r\n\v\f[") == k);
	}
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hcfg			 c;
	const struct hcfg_proxy		*p;
	const struct hcfg_server	*s;
	size_t				 i, k;

	if (hcfg_parse(&c, exact_copy(data, size), size) == -1)
		return 0;
	FUZZ_ASSERT(c.nproxies <= HCFG_PROXIES_MAX);
	FUZZ_ASSERT(c.nservers <= HCFG_SERVERS_MAX);
	for (i = 0; i < c.nproxies; i++) {
		p = &c.proxy[i];
		FUZZ_ASSERT(p->sides != 0);
		FUZZ_ASSERT(i == 0 || strcmp(c.proxy[i - 1].name, p->name) <= 0);
		FUZZ_ASSERT(hcfg_proxy(&c, p->name, strlen(p->name),
		    p->sides) != NULL);
		FUZZ_ASSERT((size_t)p->first + p->nservers <= c.nservers);
		for (k = 0; k < p->nservers; k++) {
			s = &c.server[p->first + k];
			FUZZ_ASSERT(!s->tls || p->tls);
			/* names may repeat; the one found has the name */
			s = hcfg_server(&c, p, s->name, strlen(s->name));
			FUZZ_ASSERT(s != NULL);
			FUZZ_ASSERT(s >= c.server + p->first &&
			    s < c.server + p->first + p->nservers);
		}
	}
	hcfg_free(&c);
	crt_list(data, size);
	return 0;
}
