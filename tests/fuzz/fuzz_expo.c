/*
 * Snapshot to exposition: whatever an answer held, what the agent renders
 * of it in the text format and in OpenMetrics, for the scopes the input's
 * first byte picks, is a valid exposition (expfmt_check), and rendering
 * it in pieces of the size the second byte picks gives the same bytes, as
 * does cutting it in pieces of as many rows as its low bits say (what the
 * cache of coded pieces keeps), each within its bound. Each piece's key
 * walk moves the cursor as its render does, and two pieces of the input,
 * either format, with one key have one text.
 */
#include <math.h>

#include "expfmt_check.h"
#include "expo.h"
#include "fuzz.h"
#include "snapshot.h"

/* a few rows cover every path; more only slow each run down */
static const struct snapshot_limits lim = { 256, 1u << 20 };

struct keyed {
	uint64_t	 key;
	char		*text;
	size_t		 len;
};

static int
keyed_cmp(const void *a, const void *b)
{
	const struct keyed	*x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot		 s;
	struct expo_listener	 l = { .listener = "lst\"1", .denied = 3,
		.rejected = { 1, 2, 3, 4, 5 },
		.tls_allowed = CONFIG_TLS_DEFAULT_VERSIONS,
		.tls_failures = { 6, 7 }, .tls_versions = { 0, 0, 0, 8, 9 } };
	struct expo_agent	 a;
	struct expo_cursor	 cur;
	struct wbuf		 whole, pieces, piece, scratch;
	struct expo_cursor	 kcur;
	struct keyed		*kp = NULL;
	uint64_t		*ids;
	size_t			 nkp = 0, i;
	char			*buf, why[512], mem[EXPO_ROOM_MIN + 4096];
	unsigned		 scopes;
	size_t			 want, rows;
	int			 fmt;

	if (size < 2)
		return 0;
	scopes = data[0] & EXPO_SCOPES_ALL;
	want = (size_t)data[1] * 16 + 1;
	buf = exact_copy(data + 2, size - 2);
	snapshot_init(&s, &lim);
	memset(&a, 0, sizeof(a));
	a.version = "1";
	a.loadbalancer_id = "lb";
	a.listeners = &l;
	a.nlisteners = 1;
	a.cpu = 0.5;
	a.memory = NAN;
	a.haproxy_up = snapshot_parse(&s, buf, size - 2) == 0;
	ids = calloc(expo_piece_ids_count(&s) + 1, sizeof(*ids));
	FUZZ_ASSERT(ids != NULL);
	expo_piece_ids(&s, 99, ids);
	for (fmt = EXPO_TEXT; fmt <= EXPO_OPENMETRICS; fmt++) {
		wbuf_init(&whole, 64u << 20);
		expo_render(&whole, a.haproxy_up ? &s : NULL, &a, scopes, fmt);
		FUZZ_ASSERT(!wbuf_failed(&whole));
		if (expfmt_check(whole.data, whole.len, fmt == EXPO_OPENMETRICS,
		    why, sizeof(why)) == -1) {
			fprintf(stderr, "%s\n%.*s\n", why, (int)whole.len,
			    whole.data);
			abort();
		}
		wbuf_init(&pieces, 64u << 20);
		expo_cursor_init(&cur, a.haproxy_up ? &s : NULL, &a, scopes,
		    fmt);
		for (;;) {
			int done;

			wbuf_init_fixed(&piece, mem, sizeof(mem));
			done = expo_render_some(&cur, &piece, want);
			wbuf_add(&pieces, piece.data, piece.len);
			if (done)
				break;
			FUZZ_ASSERT(piece.len > 0);
		}
		FUZZ_ASSERT(pieces.len == whole.len && (whole.len == 0 ||
		    memcmp(pieces.data, whole.data, whole.len) == 0));
		/* cut by rows, the whole too */
		rows = (size_t)(data[1] & 15) + 1;
		wbuf_reset(&pieces);
		expo_cursor_init(&cur, a.haproxy_up ? &s : NULL, &a, scopes,
		    fmt);
		kcur = cur;
		for (;;) {
			int done, kdone;

			wbuf_init(&piece, EXPO_PIECE_MAX(rows));
			done = expo_render_piece(&cur, &piece, rows);
			FUZZ_ASSERT(done >= 0 &&
			    piece.len <= EXPO_PIECE_MAX(rows) - EXPO_ROOM_MIN);
			wbuf_add(&pieces, piece.data, piece.len);
			wbuf_init(&scratch, EXPO_PIECE_MAX(rows));
			kp = realloc(kp, (nkp + 1) * sizeof(*kp));
			FUZZ_ASSERT(kp != NULL);
			kdone = expo_piece_key(&kcur, &scratch, rows, ids, 99,
			    &kp[nkp].key);
			FUZZ_ASSERT(kdone == done && kcur.fam == cur.fam &&
			    kcur.sub == cur.sub && kcur.row == cur.row &&
			    kcur.started == cur.started);
			wbuf_free(&scratch);
			kp[nkp].text = piece.data;	/* the piece's now */
			kp[nkp++].len = piece.len;
			if (done)
				break;
		}
		FUZZ_ASSERT(pieces.len == whole.len && (whole.len == 0 ||
		    memcmp(pieces.data, whole.data, whole.len) == 0));
		wbuf_free(&whole);
		wbuf_free(&pieces);
	}
	qsort(kp, nkp, sizeof(*kp), keyed_cmp);
	for (i = 1; i < nkp; i++)
		FUZZ_ASSERT(kp[i - 1].key != kp[i].key ||
		    (kp[i - 1].len == kp[i].len && (kp[i].len == 0 ||
		    memcmp(kp[i - 1].text, kp[i].text, kp[i].len) == 0)));
	for (i = 0; i < nkp; i++)
		free(kp[i].text);
	free(kp);
	free(ids);
	snapshot_free(&s);
	free(buf);
	return 0;
}
