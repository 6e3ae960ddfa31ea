/*
 * The one decimal parser against a reference written differently: the
 * longest run of digits, its value in 128 bits, compared with max (the
 * input's first eight bytes). Where they disagree, one of them is wrong.
 */
#include "decimal.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p, *end, *got;
	unsigned __int128	 ref = 0;
	uint64_t		 max = 0, v = 0;
	size_t			 i, n = 0;
	char			*buf;

	if (size < 8)
		return 0;
	for (i = 0; i < 8; i++)
		max = max << 8 | data[i];
	buf = exact_copy(data + 8, size - 8);
	p = buf;
	end = buf + size - 8;
	while (p + n < end && p[n] >= '0' && p[n] <= '9') {
		if (ref <= (unsigned __int128)UINT64_MAX * 10)
			ref = ref * 10 + (unsigned)(p[n] - '0');
		n++;
	}
	got = dec_u64(p, end, max, &v);
	if (n == 0 || ref > max)
		FUZZ_ASSERT(got == NULL);
	else {
		FUZZ_ASSERT(got == p + n);
		FUZZ_ASSERT(v == (uint64_t)ref);
	}
	free(buf);
	return 0;
}
