/*
 * The metric table: every family the agent serves, in the order it serves
 * them. Adding a metric is adding a row to metric_families[].
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdint.h>

#include "snapshot.h"

#define METRIC_PREFIX	"octavia_"

enum metric_type {
	MT_GAUGE,
	MT_COUNTER,
};

enum metric_conv {
	CONV_INT,		/* the integer as HAProxy gives it */
	CONV_MS,		/* milliseconds, served as seconds */
	CONV_STATUS,		/* one series per state, 1 on the current */
	CONV_HRSP,		/* hrsp_1xx..hrsp_other as label code= */
	CONV_COMPUTED_CPU,	/* amphora CPU busy % */
	CONV_COMPUTED_MEMORY,	/* amphora memory used % */
	CONV_AGENT,		/* the agent's own, by metric_agent_id */
};

enum metric_flag {
	MF_HTTP = 1 << 0,	/* only for proxies in mode http */
};

/* The agent's own families (scope exporter and loadbalancer_info). */
enum metric_agent_id {
	AGENT_HAPROXY_UP,
	AGENT_SCRAPE_DURATION,
	AGENT_SNAPSHOT_AGE,
	AGENT_SOCKET_QUERIES,
	AGENT_CSV_ERRORS,
	AGENT_DENIED_CONNECTIONS,
	AGENT_REJECTED_CONNECTIONS,
	AGENT_BUILD_INFO,
	AGENT_LOADBALANCER_INFO,
};

struct metric_family {
	const char		*name;	/* without METRIC_PREFIX */
	enum metric_type	 type;
	enum scope		 scope;
	enum metric_conv	 conv;
	int			 src;	/* enum info_field, stat_col, agent_id */
	unsigned		 flags;
	const char		*help;
};

extern const struct metric_family metric_families[];
extern const unsigned metric_family_count;

/* Families that come from HAProxy: the first this many of the table. */
extern const unsigned metric_haproxy_family_count;

const char	*metric_type_name(enum metric_type);
int		 metric_scope_parse(const char *, size_t);
extern const char *const metric_scope_names[SCOPE__COUNT];

#endif
