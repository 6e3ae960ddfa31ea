/*
 * IPVS in Octavia's terms: the services and destinations of one dump,
 * mapped through the keepalived configs Octavia wrote (lvsconf.h) to
 * listener, pool and member rows of a snapshot, as the HAProxy rows are:
 * the same labels, the columns that keep their meaning (sessions now and
 * in total, bytes, weight, active members, status) and packets.
 *
 *	listener, pool	the sums over the listener's virtual services (every
 *			VIP of it found in IPVS); current sessions are the
 *			destinations' active connections, as the amphora's
 *			heartbeat (keepalivedlvs_query.py) and so Octavia's
 *			API count them: an inactive one, a UDP flow's entry
 *			until its timeout, is no session
 *	member		the sums over its destinations (one per VIP group)
 *
 * A member's status: MAINT when Octavia disabled it; absent from IPVS
 * (keepalived removed it after a failed check), or weight 0 in IPVS where
 * the config gives more (inhibit_on_failure), DOWN; weight 0 as
 * configured (drained), DRAIN; else UP. Its operating status follows
 * Octavia's keepalivedlvs_query.py and health manager: OFFLINE, ERROR,
 * DRAINING, and ONLINE, or NO_MONITOR without a health monitor.
 */
#ifndef IPVSMAP_H
#define IPVSMAP_H

#include "ipvs.h"
#include "lvsconf.h"
#include "snapshot.h"

/* One service of a dump and its destinations. */
struct ipvs_entry {
	struct ipvs_service	 sv;
	struct ipvs_dest	*dests;
	size_t			 ndests;
};

/*
 * Adds the rows of every enabled listener in confs to snap, from the dump
 * (entries). Returns 0, or -1 when out of memory or past snap's row cap.
 */
int	ipvs_map(struct snapshot *, const struct lvs_listener *confs,
	    size_t nconfs, const struct ipvs_entry *entries, size_t nentries);

#endif
