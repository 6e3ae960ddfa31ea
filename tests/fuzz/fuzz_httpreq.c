/*
 * A request head, in a buffer of exactly its bytes: the parser answers
 * "more", OK or a status it may send; an OK request's strings lie in the
 * buffer; negotiation, scopes and the timeout header never misread them.
 */
#include "fuzz.h"
#include "httpreq.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request	 r;
	char			*buf = exact_copy(data, size);
	unsigned		 mask;
	int64_t			 ms;
	int			 rc, q;
	const struct http_str	*strs[5];
	size_t			 i;

	rc = http_request_parse(buf, size, &r);
	FUZZ_ASSERT(rc == HTTP_PARSE_INCOMPLETE || rc == HTTP_PARSE_OK ||
	    rc == 400 || rc == 414 || rc == 431 || rc == 505);
	if (rc == HTTP_PARSE_INCOMPLETE)
		FUZZ_ASSERT(size < HTTP_MAX_HEAD);
	if (rc == HTTP_PARSE_OK) {
		FUZZ_ASSERT(r.head_len > 0 && r.head_len <= size);
		FUZZ_ASSERT(r.path.len >= 1 && r.path.s[0] == '/');
		strs[0] = &r.query;
		strs[1] = &r.accept;
		strs[2] = &r.accept_encoding;
		strs[3] = &r.scrape_timeout;
		strs[4] = &r.path;
		for (i = 0; i < 5; i++)
			FUZZ_ASSERT(strs[i]->s == NULL || strs[i]->len == 0 ||
			    (strs[i]->s >= buf && strs[i]->s + strs[i]->len <=
			    buf + r.head_len) || strs[i] == &r.path);
		(void)http_query_scopes(&r.query, &mask);
		FUZZ_ASSERT(http_choose_coding(&r.accept_encoding) <
		    CODING__COUNT);
		(void)http_wants_openmetrics(&r.accept);
		q = http_header_q(&r.accept, "text/plain");
		FUZZ_ASSERT(q >= -1 && q <= 1000);
		if (http_parse_timeout(&r.scrape_timeout, &ms) == 0)
			FUZZ_ASSERT(ms >= 0 && ms <= 86400999);
	}
	free(buf);
	return 0;
}
