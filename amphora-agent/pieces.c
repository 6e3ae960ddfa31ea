/*
 * The cache of coded pieces: a piece of the HAProxy families' text coded
 * once is sent again, by reference, by every body of its coding whose
 * text has the same piece, until no body sent it for a while. Keyed by a
 * seeded 64-bit hash of the text and its length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

#define PIECE_SLOTS_MIN		1024

void
pieces_init(struct piece_cache *pc, uint64_t seed)
{
	memset(pc, 0, sizeof(*pc));
	pc->seed = seed;
}

static struct coded_piece **
slot_of(struct piece_cache *pc, uint64_t key)
{
	return &pc->slot[key & (pc->nslots - 1)];
}

/* Twice the slots when there are more pieces than slots; kept if no memory. */
static void
grow(struct piece_cache *pc)
{
	struct coded_piece	**old = pc->slot, *p, *next;
	size_t			 i, n = pc->nslots;

	if (n != 0 && pc->n <= n)
		return;
	pc->nslots = n ? 2 * n : PIECE_SLOTS_MIN;
	if ((pc->slot = calloc(pc->nslots,
	    sizeof(struct coded_piece *))) == NULL) {
		pc->slot = old;
		pc->nslots = n;
		return;
	}
	for (i = 0; i < n; i++)
		for (p = old[i]; p != NULL; p = next) {
			next = p->next;
			p->next = *slot_of(pc, p->key);
			*slot_of(pc, p->key) = p;
		}
	free(old);
}

void
coded_piece_drop(struct coded_piece *p)
{
	struct agent	*a;

	if (p == NULL || --p->refs > 0)
		return;
	a = p->agent;
	if (!p->cached)
		budget_credit(a, p->len);
	free(p);
}

/* Out of the cache: what still holds it is output memory from now on. */
static void
uncache(struct piece_cache *pc, struct coded_piece *p)
{
	pc->n--;
	pc->bytes -= p->len;
	p->cached = 0;
	budget_charge(p->agent, p->len);
	coded_piece_drop(p);
}

void
pieces_free(struct piece_cache *pc)
{
	struct coded_piece	*p, *next;
	size_t			 i;

	for (i = 0; i < pc->nslots; i++)
		for (p = pc->slot[i]; p != NULL; p = next) {
			next = p->next;
			uncache(pc, p);
		}
	free(pc->slot);
	pc->slot = NULL;
	pc->nslots = 0;
}

void
pieces_head_begin(struct agent *a, enum coding c)
{
	a->pieces.heads[c]++;
}

struct coded_piece *
pieces_find(struct agent *a, enum coding c, uint64_t key, size_t key_len)
{
	struct piece_cache	*pc = &a->pieces;
	struct coded_piece	*p;

	if (pc->nslots == 0)
		return NULL;
	for (p = *slot_of(pc, key); p != NULL; p = p->next)
		if (p->key == key && p->coding == c &&
		    p->key_len == key_len) {
			p->used = pc->heads[c];
			p->refs++;
			return p;
		}
	return NULL;
}

struct coded_piece *
pieces_add(struct agent *a, enum coding c, uint64_t key, size_t key_len,
    const struct coder_seam *seam, const void *data, size_t len)
{
	struct piece_cache	*pc = &a->pieces;
	struct coded_piece	*p;

	char			 head[PIECE_CHUNK_HEAD + 1];
	int			 n;

	if ((p = malloc(sizeof(*p) + PIECE_CHUNK_HEAD + len + 2)) == NULL)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->agent = a;
	p->key = key;
	p->seam = *seam;
	p->key_len = (uint32_t)key_len;	/* a piece: under a MiB */
	p->used = pc->heads[c];
	p->refs = 1;
	p->coding = c;
	p->len = len;
	p->data = p->frame + PIECE_CHUNK_HEAD;
	memcpy(p->data, data, len);
	n = snprintf(head, sizeof(head), "%zx\r\n", len);
	memcpy(p->data - n, head, (size_t)n);
	p->head_len = n;
	memcpy(p->data + len, "\r\n", 2);
	grow(pc);
	if (pc->nslots == 0 || pc->bytes + len > PIECE_CACHE_MAX) {
		budget_charge(a, len);	/* the caller's alone */
		return p;
	}
	p->cached = 1;
	p->refs++;			/* the cache's */
	p->next = *slot_of(pc, key);
	*slot_of(pc, key) = p;
	pc->n++;
	pc->bytes += len;
	return p;
}

void
pieces_sweep(struct agent *a, enum coding c)
{
	struct piece_cache	*pc = &a->pieces;
	struct coded_piece	**pp, *p;
	size_t			 i;

	for (i = 0; i < pc->nslots; i++)
		for (pp = &pc->slot[i]; (p = *pp) != NULL; ) {
			if (p->coding != c ||
			    pc->heads[c] - p->used < PIECE_CACHE_HEADS) {
				pp = &p->next;
				continue;
			}
			*pp = p->next;
			uncache(pc, p);
		}
}
