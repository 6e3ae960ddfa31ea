#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "ipvsmap.h"
#include "opstatus.h"

static const uint16_t protocols[] = {
	[LVS_PROTO_NONE] = 0,
	[LVS_PROTO_UDP] = IPPROTO_UDP,
	[LVS_PROTO_SCTP] = IPPROTO_SCTP,
	[LVS_PROTO_TCP] = IPPROTO_TCP,
};

static int
same_addr(uint16_t af, const uint8_t *a, const struct lvs_addr *b)
{
	return af == b->family &&
	    memcmp(a, b->addr, af == AF_INET ? 4 : 16) == 0;
}

/* The IPVS service of a VIP of sv, or NULL when keepalived has none. */
static const struct ipvs_entry *
find_service(const struct lvs_service *sv, const struct lvs_addr *vip,
    const struct ipvs_entry *e, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (e[i].sv.fwmark == 0 &&
		    e[i].sv.protocol == protocols[sv->proto] &&
		    e[i].sv.port == vip->port &&
		    same_addr(e[i].sv.af, e[i].sv.addr, vip))
			return &e[i];
	return NULL;
}

static const struct ipvs_dest *
find_dest(const struct ipvs_entry *e, const struct lvs_real *r)
{
	size_t	 i;

	for (i = 0; i < e->ndests; i++)
		if (e->dests[i].port == r->addr.port &&
		    same_addr(e->dests[i].af ? e->dests[i].af : e->sv.af,
		    e->dests[i].addr, &r->addr))
			return &e->dests[i];
	return NULL;
}

/* A row's values as IPVS's are added up, until the row keeps them. */
struct sums {
	uint64_t	 have;		/* bit per numeric column */
	uint64_t	 v[COL__NUMERIC];
};

static void
put(struct sums *r, int col, uint64_t v)
{
	r->v[col] = v;
	r->have |= (uint64_t)1 << col;
}

static void
add(struct sums *r, int col, uint64_t v)
{
	put(r, col, ((r->have >> col) & 1 ? r->v[col] : 0) + v);
}

static void
add_stats(struct sums *r, const struct ipvs_stats *st)
{
	add(r, COL_STOT, st->conns);
	add(r, COL_BIN, st->inbytes);
	add(r, COL_BOUT, st->outbytes);
	add(r, COL_IPVS_INPKTS, st->inpkts);
	add(r, COL_IPVS_OUTPKTS, st->outpkts);
}

/* Row r of scope sc takes x's values. */
static void
keep(struct snapshot *s, enum scope sc, struct snap_row *r,
    const struct sums *x)
{
	struct snap_rows	*rs = &s->rows[sc];

	r->have = x->have;
	snap_set_values(rs, (size_t)(r - rs->row), x->v);
}

/* A row with its labels, in the HAProxy rows' order and format. */
static struct snap_row *
row(struct snapshot *s, enum scope sc, const char *member, const char *pool,
    const char *listener)
{
	struct snap_row	*r;
	int		 n = 0;

	if ((r = snapshot_add_row(s, sc)) == NULL)
		return NULL;
	if (member != NULL)
		n += snprintf(r->labels + n, sizeof(r->labels) - (size_t)n,
		    "member=\"%s\",", member);
	if (pool != NULL)
		n += snprintf(r->labels + n, sizeof(r->labels) - (size_t)n,
		    "pool=\"%s\",", pool);
	n += snprintf(r->labels + n, sizeof(r->labels) - (size_t)n,
	    "listener=\"%s\"", listener);
	r->labels_len = (uint8_t)n;
	r->state = STATE_UNKNOWN;
	r->op = OP_UNKNOWN;
	r->ipvs = 1;
	return r;
}

/* What one member of l is in IPVS: its row, and whether it is UP. */
static int
map_member(struct snapshot *s, const struct lvs_listener *l, size_t m,
    const struct ipvs_entry *e, size_t n, struct sums *sums, int *up)
{
	const struct lvs_member	*mb = &l->members[m];
	const struct ipvs_entry	*svc;
	const struct ipvs_dest	*d;
	struct snap_row		*r;
	struct sums		 own;
	size_t			 i, j, k;
	int			 configured = 0, found = 0, checked = 0;
	uint32_t		 want = 0, weight = 0;

	r = row(s, SCOPE_MEMBER, mb->id, l->pool[0] ? l->pool : NULL,
	    l->listener);
	if (r == NULL)
		return -1;
	*up = 0;
	memset(&own, 0, sizeof(own));
	if (mb->disabled) {
		r->state = STATE_MAINT;
		r->op = OP_OFFLINE;
		return 0;
	}
	for (i = 0; i < l->nservices; i++) {
		const struct lvs_service *sv = &l->services[i];

		for (j = 0; j < sv->nreals; j++) {
			if (sv->reals[j].member != m)
				continue;
			configured = 1;
			want = sv->reals[j].weight;
			checked |= sv->reals[j].checked;
			for (k = 0; k < sv->nvips; k++) {
				if ((svc = find_service(sv, &sv->vips[k], e,
				    n)) == NULL ||
				    (d = find_dest(svc, &sv->reals[j])) == NULL)
					continue;
				found = 1;
				weight = d->weight > weight ? d->weight : weight;
				add(&own, COL_SCUR, d->active_conns);
				add(sums, COL_SCUR, d->active_conns);
				add_stats(&own, &d->stats);
			}
		}
	}
	if (!configured)
		return 0;	/* a comment without a real server */
	if (!found) {
		r->state = STATE_DOWN;
		r->op = OP_ERROR;
		return 0;
	}
	put(&own, COL_WEIGHT, weight);
	keep(s, SCOPE_MEMBER, r, &own);
	if (weight == 0 && want == 0) {
		r->state = STATE_DRAIN;
		r->op = OP_DRAINING;
	} else if (weight == 0) {
		r->state = STATE_DOWN;	/* inhibited after a failed check */
		r->op = OP_ERROR;
	} else {
		r->state = STATE_UP;
		r->op = checked ? OP_ONLINE : OP_NO_MONITOR;
		*up = 1;
	}
	return 0;
}

static int
map_listener(struct snapshot *s, const struct lvs_listener *l,
    const struct ipvs_entry *e, size_t n)
{
	struct snap_row		*lr, *pr;
	struct sums		 sums;
	const struct ipvs_entry	*svc;
	size_t			 i, k;
	int			 found = 0, checked = 0, any_dest = 0, up;
	uint64_t		 active = 0;

	memset(&sums, 0, sizeof(sums));
	for (i = 0; i < l->nservices; i++)
		for (k = 0; k < l->services[i].nvips; k++)
			if ((svc = find_service(&l->services[i],
			    &l->services[i].vips[k], e, n)) != NULL) {
				found = 1;
				any_dest |= svc->ndests > 0;
				add_stats(&sums, &svc->sv.stats);
			}
	for (i = 0; i < l->nservices; i++)
		for (k = 0; k < l->services[i].nreals; k++)
			checked |= l->services[i].reals[k].checked;
	for (i = 0; i < l->nmembers; i++) {
		if (map_member(s, l, i, e, n, &sums, &up) == -1)
			return -1;
		active += (uint64_t)up;
	}
	if (!((sums.have >> COL_SCUR) & 1))
		put(&sums, COL_SCUR, 0);

	if ((lr = row(s, SCOPE_LISTENER, NULL, NULL, l->listener)) == NULL)
		return -1;
	keep(s, SCOPE_LISTENER, lr, &sums);
	lr->state = found ? STATE_UP : STATE_DOWN;
	lr->op = found ? OP_ONLINE : OP_UNKNOWN;
	if (l->pool[0] == '\0' || l->pool_disabled)
		return 0;
	if ((pr = row(s, SCOPE_POOL, NULL, l->pool, l->listener)) == NULL)
		return -1;
	put(&sums, COL_ACT, active);
	keep(s, SCOPE_POOL, pr, &sums);
	pr->state = active > 0 ? STATE_UP : STATE_DOWN;
	/* keepalivedlvs_query.py: DOWN when checked and nothing in IPVS */
	pr->op = checked && !any_dest ? OP_ERROR : OP_ONLINE;
	return 0;
}

int
ipvs_map(struct snapshot *s, const struct lvs_listener *confs, size_t nconfs,
    const struct ipvs_entry *e, size_t n)
{
	size_t	 i;
	int	 mapped = 0;

	for (i = 0; i < nconfs; i++) {
		if (confs[i].disabled || confs[i].nservices == 0)
			continue;
		if (map_listener(s, &confs[i], e, n) == -1)
			return -1;
		mapped = 1;
	}
	if (!mapped)
		return 0;
	s->cols_present |= (uint64_t)1 << COL_SCUR | (uint64_t)1 << COL_STOT |
	    (uint64_t)1 << COL_BIN | (uint64_t)1 << COL_BOUT |
	    (uint64_t)1 << COL_WEIGHT | (uint64_t)1 << COL_ACT |
	    (uint64_t)1 << COL_IPVS_INPKTS | (uint64_t)1 << COL_IPVS_OUTPKTS;
	s->have_status = 1;
	return op_status_resolve(s);
}
