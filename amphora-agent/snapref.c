/*
 * Snapshot references: one read of HAProxy, shared by the scraper and by
 * every response that renders it, freed with its last reference; and the
 * render cache, the HAProxy part of a small load balancer's exposition
 * rendered once per snapshot for all the responses that ask alike, and
 * the coded heads (gzip, zstd) kept while the snapshot may be served.
 */
#include <stdlib.h>

#include "agent.h"
#include "metrics.h"

void
snap_ref_hold(struct snap_ref *r)
{
	r->refs++;
}

void
snap_ref_drop(struct snap_ref *r)
{
	size_t	 i;

	if (r == NULL || --r->refs > 0)
		return;
	snap_ref_stale(r);
	for (i = 0; i < RENDER_CACHE_SLOTS; i++)
		free(r->cache[i].data);
	snapshot_free(&r->snap);
	free(r->ids);
	if (r->charged != NULL)
		budget_unhold(r->charged, r->pinned);
	free(r);
}

void
snap_ref_release(struct snap_ref *r, struct agent *a)
{
	size_t	 i;

	if (r == NULL)
		return;
	snap_ref_stale(r);
	if (r->refs > 1 && r->charged == NULL) {
		r->pinned = sizeof(*r) + snapshot_bytes(&r->snap);
		if (r->ids != NULL)
			r->pinned += expo_piece_ids_count(&r->snap) *
			    sizeof(*r->ids);
		for (i = 0; i < RENDER_CACHE_SLOTS; i++)
			r->pinned += r->cache[i].len;
		r->charged = a;
		budget_hold(a, r->pinned);
	}
	snap_ref_drop(r);
}

const uint64_t *
snap_ref_ids(struct snap_ref *r, uint64_t seed)
{
	size_t	 n;

	if (r->ids == NULL) {
		n = expo_piece_ids_count(&r->snap);
		if ((r->ids = calloc(n ? n : 1, sizeof(*r->ids))) == NULL)
			return NULL;
		expo_piece_ids(&r->snap, seed, r->ids);
	}
	return r->ids;
}

/*
 * The HAProxy families of r rendered for these scopes and format, from
 * the cache or rendered now; NULL when the snapshot is too large to cache
 * (or the slots are taken), and the caller streams instead.
 */
const struct rendered *
snap_ref_rendered(struct snap_ref *r, unsigned scopes, enum expo_format format,
    const struct expo_agent *ea)
{
	struct rendered		*slot = NULL;
	struct expo_cursor	 cur;
	struct wbuf		 b;
	size_t			 i;

	/*
	 * The first response of a snapshot streams it: with one scrape per
	 * snapshot, as Prometheus does, a cache would be work for nothing.
	 */
	if (r->too_big || !r->ok || r->served++ == 0)
		return NULL;
	for (i = 0; i < RENDER_CACHE_SLOTS; i++) {
		if (r->cache[i].data == NULL) {
			if (slot == NULL)
				slot = &r->cache[i];
			continue;
		}
		if (r->cache[i].scopes == scopes &&
		    r->cache[i].format == format)
			return &r->cache[i];
	}
	if (slot == NULL)
		return NULL;
	wbuf_init(&b, RENDER_CACHE_MAX);
	if (wbuf_reserve(&b, 256u << 10) == -1)	/* most fit at once */
		return NULL;
	expo_cursor_init(&cur, &r->snap, ea, scopes, format);
	expo_cursor_range(&cur, 0, FAM_SNAPSHOT__COUNT);
	for (;;) {
		size_t	 before = b.len;

		if (expo_render_some(&cur, &b, RENDER_CACHE_MAX))
			break;
		if (wbuf_failed(&b) || b.len == before) {
			b.failed = 1;
			break;
		}
	}
	if (wbuf_failed(&b)) {
		/* larger than is worth keeping: stream this snapshot */
		wbuf_free(&b);
		r->too_big = 1;
		return NULL;
	}
	slot->scopes = scopes;
	slot->format = format;
	slot->data = b.data;
	slot->len = b.len;
	return slot;
}

void
coded_head_drop(struct coded_head *h)
{
	size_t	 i;

	if (h == NULL || --h->refs > 0)
		return;
	for (i = 0; i < h->npieces; i++)
		coded_piece_drop(h->pieces[i]);
	free(h->pieces);
	free(h);
}

struct coded_head *
snap_ref_head(struct snap_ref *r, unsigned scopes, enum expo_format format,
    enum coding coding)
{
	struct coded_head	*h;
	size_t			 i;

	for (i = 0; i < CODED_HEAD_SLOTS; i++) {
		h = r->heads[i];
		if (h != NULL && h->scopes == scopes && h->format == format &&
		    h->coding == coding) {
			h->refs++;
			return h;
		}
	}
	return NULL;
}

int
snap_ref_keep_head(struct snap_ref *r, struct coded_head *h)
{
	size_t	 i;

	for (i = 0; i < CODED_HEAD_SLOTS; i++)
		if (r->heads[i] == NULL) {
			r->heads[i] = h;
			return 0;
		}
	return -1;
}

void
snap_ref_stale(struct snap_ref *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < CODED_HEAD_SLOTS; i++) {
		coded_head_drop(r->heads[i]);
		r->heads[i] = NULL;
	}
	r->heads_bytes = 0;
	r->heading = -1;	/* and none is coded for it any more */
}
