/*
 * The keepalived configuration Octavia writes for a UDP or SCTP listener
 * (/var/lib/octavia/lvs/octavia-keepalivedlvs-<listener>.conf), read for
 * what maps IPVS to Octavia: each virtual server (protocol, VIP, port; a
 * virtual_server_group names several) is the listener, its pool is in a
 * comment, and each real_server is the member whose
 * "# Configuration for Member <id>" comment precedes it. Members Octavia
 * left out as disabled ("# Member <id> is disabled") are listed as such.
 * Pure parsing, bounded, with FILE:LINE errors.
 */
#ifndef LVSCONF_H
#define LVSCONF_H

#include <stddef.h>
#include <stdint.h>

#define LVS_ID_LEN		36
#define LVS_MAX_FILE		(1 << 20)
#define LVS_MAX_LINE		4096
#define LVS_MAX_VIPS		64	/* per virtual server */
#define LVS_MAX_SERVICES	8	/* virtual servers per listener */
#define LVS_MAX_MEMBERS		4096	/* per listener, enabled or not */
#define LVS_MAX_DEPTH		8	/* nested blocks */

enum lvs_proto {
	LVS_PROTO_NONE,
	LVS_PROTO_UDP,
	LVS_PROTO_SCTP,
	LVS_PROTO_TCP,
};

struct lvs_addr {
	uint8_t		 family;	/* AF_INET, AF_INET6 */
	uint8_t		 addr[16];	/* network order; IPv4 in the first 4 */
	uint16_t	 port;
};

struct lvs_member {
	char		 id[LVS_ID_LEN + 1];
	uint8_t		 disabled;	/* "# Member <id> is disabled" */
};

/* A real_server of a virtual server: a member at an address. */
struct lvs_real {
	uint32_t	 member;	/* index in lvs_listener.members */
	struct lvs_addr	 addr;
	uint32_t	 weight;
	uint8_t		 checked;	/* a health checker is configured */
};

/* A virtual_server: every VIP it names, the same real servers behind. */
struct lvs_service {
	enum lvs_proto	 proto;
	struct lvs_addr	 vips[LVS_MAX_VIPS];
	size_t		 nvips;
	struct lvs_real	*reals;
	size_t		 nreals;
};

struct lvs_listener {
	char			 loadbalancer[LVS_ID_LEN + 1];
	char			 listener[LVS_ID_LEN + 1];
	char			 pool[LVS_ID_LEN + 1];	/* "" without one */
	uint8_t			 disabled;	/* "# Listener <id> is disabled" */
	uint8_t			 pool_disabled;
	char			 netns[64];
	struct lvs_service	 services[LVS_MAX_SERVICES];
	size_t			 nservices;
	struct lvs_member	*members;
	size_t			 nmembers;
};

/*
 * Parses text (len bytes, NUL not needed), named file in errors. Returns
 * 0, or -1 with "FILE:LINE: why" in err; lvsconf_free() either way.
 */
int	lvsconf_parse(struct lvs_listener *, const char *file, const char *text,
	    size_t len, char *err, size_t errlen);
void	lvsconf_free(struct lvs_listener *);

const char	*lvs_proto_name(enum lvs_proto);

#endif
