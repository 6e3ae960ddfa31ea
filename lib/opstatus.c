#include <stdlib.h>
#include <string.h>

#include "octavia.h"
#include "opstatus.h"

const char *const op_status_names[OP__COUNT] = {
	[OP_ONLINE] = "ONLINE",
	[OP_DRAINING] = "DRAINING",
	[OP_DEGRADED] = "DEGRADED",
	[OP_ERROR] = "ERROR",
	[OP_NO_MONITOR] = "NO_MONITOR",
	[OP_OFFLINE] = "OFFLINE",
};

static const uint8_t lb_states[] = { OP_ONLINE, OP_DEGRADED, OP_ERROR };
static const uint8_t listener_states[] = { OP_ONLINE, OP_DEGRADED, OP_OFFLINE };
static const uint8_t pool_states[] = { OP_ONLINE, OP_DEGRADED, OP_ERROR };
static const uint8_t member_states[] = {
	OP_ONLINE, OP_DRAINING, OP_ERROR, OP_NO_MONITOR, OP_OFFLINE
};

#define STATES(a)	{ a, sizeof(a) }
const struct op_states op_scope_states[SCOPE__COUNT] = {
	[SCOPE_LOADBALANCER] = STATES(lb_states),
	[SCOPE_LISTENER] = STATES(listener_states),
	[SCOPE_POOL] = STATES(pool_states),
	[SCOPE_MEMBER] = STATES(member_states),
};
#undef STATES

/* A member's labels begin `member="<uuid>",`; its pool's are the rest. */
#define MEMBER_LABEL_LEN	(sizeof("member=\"\",") - 1 + OCTAVIA_UUID_LEN)

/* Whether the first word of s (up to a space or "(") is w. */
static int
first_word_is(const char *s, const char *w)
{
	size_t	 n = strcspn(s, " (");

	return n == strlen(w) && strncmp(s, w, n) == 0;
}

enum op_status
op_status_of_row(enum scope scope, const char *st, int weight_zero)
{
	switch (scope) {
	case SCOPE_LISTENER:
		if (strcmp(st, "OPEN") == 0)
			return OP_ONLINE;
		if (strcmp(st, "FULL") == 0)
			return OP_DEGRADED;
		if (strcmp(st, "STOP") == 0)
			return OP_OFFLINE;
		return OP_UNKNOWN;
	case SCOPE_POOL:
		if (strcmp(st, "UP") == 0)
			return OP_ONLINE;
		if (strcmp(st, "DOWN") == 0)
			return OP_ERROR;
		return OP_UNKNOWN;
	case SCOPE_MEMBER:
		/* only "UP" itself, as haproxy_query.py compares */
		if (strcmp(st, "UP") == 0 && weight_zero)
			return OP_DRAINING;
		if (first_word_is(st, "UP"))
			return OP_ONLINE;
		if (first_word_is(st, "DOWN"))
			return OP_ERROR;
		if (first_word_is(st, "DRAIN"))
			return OP_DRAINING;
		if (first_word_is(st, "MAINT"))
			return OP_OFFLINE;
		if (strcmp(st, "no check") == 0)
			return OP_NO_MONITOR;
		return OP_UNKNOWN;
	default:
		return OP_UNKNOWN;
	}
}

/* FNV-1a: label text is UUIDs, which any hash spreads. */
static size_t
hash(const char *s, size_t n)
{
	uint32_t	 h = 2166136261u;

	while (n-- > 0)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

/*
 * Pools that are ONLINE and have a member in ERROR become DEGRADED. The
 * ONLINE pools go into an open-addressing table of their label text (every
 * copy, should HAProxy list one twice), which each ERROR member's pool
 * labels are looked up in: linear in rows, whatever their order.
 */
static int
degrade_pools(struct snapshot *s)
{
	struct snap_rows	*pools = &s->rows[SCOPE_POOL];
	struct snap_rows	*members = &s->rows[SCOPE_MEMBER];
	struct snap_row		*m, *p;
	size_t			 cap = 2, i, h, len;
	uint32_t		*slot;
	const char		*key;

	for (i = 0; i < members->n && members->row[i].op != OP_ERROR; i++)
		;
	if (i == members->n || pools->n == 0)
		return 0;
	while (cap < 2 * pools->n)	/* pools->n is bounded by max_mem */
		cap <<= 1;
	if ((slot = calloc(cap, sizeof(*slot))) == NULL)
		return -1;
	for (i = 0; i < pools->n; i++) {
		p = &pools->row[i];
		if (p->op != OP_ONLINE)
			continue;
		h = hash(p->labels, p->labels_len) & (cap - 1);
		while (slot[h] != 0)
			h = (h + 1) & (cap - 1);
		slot[h] = (uint32_t)i + 1;
	}
	for (i = 0; i < members->n; i++) {
		m = &members->row[i];
		if (m->op != OP_ERROR || m->labels_len <= MEMBER_LABEL_LEN)
			continue;
		key = m->labels + MEMBER_LABEL_LEN;
		len = m->labels_len - MEMBER_LABEL_LEN;
		for (h = hash(key, len) & (cap - 1); slot[h] != 0;
		    h = (h + 1) & (cap - 1)) {
			p = &pools->row[slot[h] - 1];
			if (p->labels_len == len &&
			    memcmp(p->labels, key, len) == 0)
				p->op = OP_DEGRADED;
		}
	}
	free(slot);
	return 0;
}

int
op_status_resolve(struct snapshot *s)
{
	const struct snap_rows	*rs;
	size_t			 i;
	int			 scope;

	s->op = OP_UNKNOWN;
	if (!s->have_status)
		return 0;
	if (degrade_pools(s) == -1)
		return -1;
	/* a heartbeat came: ONLINE until a listener or a pool says less */
	s->op = OP_ONLINE;
	for (scope = SCOPE_LISTENER; scope <= SCOPE_POOL; scope++) {
		rs = &s->rows[scope];
		for (i = 0; i < rs->n; i++) {
			if (rs->row[i].op == OP_ERROR && scope == SCOPE_POOL)
				s->op = OP_ERROR;
			else if (rs->row[i].op == OP_DEGRADED &&
			    s->op == OP_ONLINE)
				s->op = OP_DEGRADED;
		}
	}
	return 0;
}
