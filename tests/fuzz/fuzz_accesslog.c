/*
 * An access log line from what a client controls: the request line, its
 * certificate's subject (a CA could sign anything), and the words of the
 * configuration. Whatever the bytes, the line is one line of printable
 * ASCII within ACCESS_LOG_MAX, with its fields where they belong.
 */
#include "accesslog.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct access_entry	 e = {
		.loadbalancer_id = "b081ed89-f6f8-48cb-a498-5e12705e2cf9",
		.client_ip = "198.51.100.7",
		.status = 200,
		.term = "----",
	};
	char			*text, *dn, line[ACCESS_LOG_MAX];
	size_t			 split, n, i;

	if (size < 2)
		return 0;
	/* first byte: where the request ends and the subject begins */
	split = (size - 1) * data[0] / 255;
	text = string_copy(data + 1, size - 1);
	dn = text + split;
	e.request = text;
	e.request_len = split;
	e.client_dn = dn;
	e.listener = dn;
	e.tls_version = dn;
	n = access_log_format(line, sizeof(line), 23, dn, 1, &e);
	FUZZ_ASSERT(n > 0 && n < ACCESS_LOG_MAX && n == strlen(line));
	for (i = 0; i < n; i++)
		FUZZ_ASSERT(line[i] >= ' ' && line[i] <= '~');
	/* the request stays one quoted field: 7 words before it */
	FUZZ_ASSERT(strstr(line, "198.51.100.7 0 [") != NULL);
	free(text);
	return 0;
}
