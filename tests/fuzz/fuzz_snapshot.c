/*
 * The answer to "show info;show stat" as the stats socket delivers it: in
 * pieces whose size the input's first two bytes choose, what the parser
 * leaves kept and fed again with what follows, in a buffer of exactly
 * the bytes held, as stats.c does. A snapshot that finishes holds only
 * Octavia rows with sound labels.
 */
#include "fuzz.h"
#include "snapshot.h"

static const struct snapshot_limits lim = { 4096, 4u << 20 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot	 s;
	size_t		 piece, have = 0, off = 0, used, n, i;
	char		*buf;
	int		 sc;

	if (size < 2)
		return 0;
	piece = ((size_t)data[0] | (size_t)data[1] << 8) % 8192 + 1;
	data += 2;
	size -= 2;
	snapshot_init(&s, &lim);
	buf = NULL;
	while (off < size) {
		n = size - off < piece ? size - off : piece;
		if ((buf = realloc(buf, have + n)) == NULL)
			abort();
		memcpy(buf + have, data + off, n);
		have += n;
		off += n;
		used = snapshot_feed(&s, buf, have);
		FUZZ_ASSERT(used <= have);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	if (snapshot_finish(&s) == 0) {
		for (sc = 0; sc < SCOPE__COUNT; sc++)
			for (i = 0; i < s.rows[sc].n; i++) {
				const struct snap_row *r = &s.rows[sc].row[i];

				FUZZ_ASSERT(r->labels_len < SNAP_LABELS_MAX);
				FUZZ_ASSERT(strlen(r->labels) == r->labels_len);
				FUZZ_ASSERT(strchr(r->labels, '\n') == NULL);
			}
		FUZZ_ASSERT(strlen(s.haproxy_version) <
		    sizeof(s.haproxy_version));
	} else
		FUZZ_ASSERT(s.error != NULL);
	snapshot_free(&s);
	free(buf);
	return 0;
}
