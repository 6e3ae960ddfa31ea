/*
 * Octavia's operating status (ONLINE, DRAINING, DEGRADED, ERROR,
 * NO_MONITOR, OFFLINE), computed from a snapshot exactly as Octavia's
 * health manager computes it from an amphora's heartbeat:
 *
 *	member	 "UP" with weight 0		DRAINING (the amphora agent's
 *						 rewrite, haproxy_query.py)
 *		 "UP", "UP 1/3"			ONLINE
 *		 "DOWN", "DOWN 1/2", ...	ERROR
 *		 "DRAIN", "DRAIN (agent)"	DRAINING
 *		 "MAINT", "MAINT (via p/s)", ...	OFFLINE
 *		 "no check"			NO_MONITOR
 *	pool	 "UP"				ONLINE, DEGRADED when one of
 *						 its members is ERROR
 *		 "DOWN"				ERROR
 *	listener "OPEN"				ONLINE
 *		 "FULL"				DEGRADED
 *		 "STOP"				OFFLINE
 *	load	 ONLINE; DEGRADED when a listener or a pool is DEGRADED;
 *	balancer ERROR when a pool is ERROR (update_db.py's precedence).
 *
 * Any other word (NOLB, PAUSED) is one the health manager does not map: it
 * keeps the status it had, which an amphora cannot know, so it is
 * OP_UNKNOWN and every status series reads 0.
 */
#ifndef OPSTATUS_H
#define OPSTATUS_H

#include "snapshot.h"

enum op_status {
	OP_ONLINE,
	OP_DRAINING,
	OP_DEGRADED,
	OP_ERROR,
	OP_NO_MONITOR,
	OP_OFFLINE,
	OP__COUNT,
	OP_UNKNOWN = OP__COUNT
};

extern const char *const op_status_names[OP__COUNT];

/* The statuses a scope can be in, in the order they are served. */
struct op_states {
	const uint8_t	*op;		/* enum op_status */
	size_t		 n;
};

extern const struct op_states op_scope_states[SCOPE__COUNT];

/*
 * A row's own status from its CSV status word and weight (weight_zero:
 * the weight column reads 0), before what its members say.
 */
enum op_status	op_status_of_row(enum scope, const char *status,
		    int weight_zero);

/*
 * What rows say about each other: pools with an ERROR member become
 * DEGRADED, and the load balancer's status (snap->op) follows from its
 * listeners and pools. Returns 0, or -1 when out of memory.
 */
int	op_status_resolve(struct snapshot *);

#endif
