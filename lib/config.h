/*
 * The agent's configuration: what the command line sets now and the
 * config file (amphora-prometheus-agent.conf(5)) will set as well. Pure
 * data and the parsers for its values; nothing here binds or opens.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <sys/socket.h>
#include <sys/un.h>
#include <stddef.h>
#include <stdint.h>

#include "cidr.h"

#define CONFIG_ID_MAX		64
#define CONFIG_ADDR_MAX		64	/* "[v6 address]:port" */

struct config_bind {
	char			 text[CONFIG_ADDR_MAX];
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
};

/* One PROMETHEUS listener: its binds share its allowed_cidrs and limits. */
struct config_listener {
	char			 id[CONFIG_ID_MAX];	/* label value */
	struct config_bind	*binds;
	size_t			 nbinds;
	struct cidr		*cidrs;
	size_t			 ncidrs;
	int			 connection_limit;	/* -1: unlimited */
	int			 idle_timeout_ms;
};

struct config {
	char			 loadbalancer_id[CONFIG_ID_MAX];
	char			 stats_socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int			 min_scrape_interval_ms;
	int			 scrape_timeout_ms;
	struct config_listener	*listeners;
	size_t			 nlisteners;
};

#define CONFIG_DEFAULT_MIN_SCRAPE_MS	1000
#define CONFIG_DEFAULT_TIMEOUT_MS	5000
#define CONFIG_DEFAULT_IDLE_MS		50000	/* Octavia's timeout-client-data */

void	config_init(struct config *);
void	config_free(struct config *);

/* A new listener with default limits, or NULL when out of memory. */
struct config_listener	*config_listener_add(struct config *, const char *id);
int	config_listener_add_bind(struct config_listener *,
	    const struct config_bind *);
int	config_listener_add_cidr(struct config_listener *, const struct cidr *);

/* "a.b.c.d:port" or "[v6]:port", numeric only. 0, or -1. */
int	config_parse_bind(const char *, struct config_bind *);

#endif
