/*
 * The CSV reader: fields stay inside the buffer and are NUL-terminated;
 * csv_record_end() agrees with csv_next() on where records end.
 */
#include "csv.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv		 c;
	struct csv_field	 f[16];
	char			*buf = string_copy(data, size);
	char			*orig = string_copy(data, size);
	size_t			 nf, i, records = 0;
	enum csv_status		 st;
	int			 has_quote;
	const char		*p = orig, *e;

	csv_init(&c, buf, size, 512);
	while ((st = csv_next(&c, f, 16, &nf)) != CSV_END) {
		FUZZ_ASSERT(st == CSV_RECORD || st == CSV_MALFORMED);
		if (st == CSV_RECORD) {
			FUZZ_ASSERT(nf >= 1 && nf <= 16);
			for (i = 0; i < nf; i++) {
				FUZZ_ASSERT(f[i].s >= buf &&
				    f[i].s + f[i].len <= buf + size);
				FUZZ_ASSERT(f[i].s[f[i].len] == '\0');
			}
		}
		records++;
		FUZZ_ASSERT(records <= size + 1);
	}
	/* the read-only scanner walks the same input to its end */
	while ((e = csv_record_end(p, orig + size, &has_quote)) != NULL) {
		FUZZ_ASSERT(e >= p && e < orig + size && *e == '\n');
		p = e + 1;
	}
	free(buf);
	free(orig);
	return 0;
}
