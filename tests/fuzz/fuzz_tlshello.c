/*
 * The ClientHello scanner: what it decides on a prefix of the bytes it
 * keeps deciding with more of them; when it asks for more, it asks for
 * more than it has and never past its window.
 */
#include "fuzz.h"
#include "tlshello.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum tls_hello	 whole, part;
	size_t		 need = 0, n, k;

	whole = tls_hello_scan(data, size, &need);
	n = size < TLS_HELLO_WINDOW ? size : TLS_HELLO_WINDOW;
	if (whole == TLS_HELLO_MORE)
		FUZZ_ASSERT(need > n && need <= TLS_HELLO_WINDOW);
	for (k = 0; k < n; k += 1 + k / 4) {
		part = tls_hello_scan(data, k, &need);
		if (part == TLS_HELLO_MORE)
			FUZZ_ASSERT(need > k && need <= TLS_HELLO_WINDOW);
		else
			FUZZ_ASSERT(part == whole);
	}
	return 0;
}
