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
#define CONFIG_NAME_MAX		64	/* netns and user names */
#define CONFIG_MAX_LINE		4096
#define CONFIG_MAX_FILE		(1 << 20)
#define CONFIG_MAX_LISTENERS	256
#define CONFIG_MAX_BINDS	32	/* per listener */
#define CONFIG_MAX_CIDRS	4096	/* per listener */
#define CONFIG_PATH_MAX		256
#define CONFIG_MAX_CERTS	64	/* per listener: the default, then SNI */
#define CONFIG_CIPHERS_MAX	1024

/* TLS protocol versions, by Octavia's names (SSLv3 ... TLSv1.3) */
enum config_tls_version {
	CONFIG_TLS_SSLV3,
	CONFIG_TLS_V1_0,
	CONFIG_TLS_V1_1,
	CONFIG_TLS_V1_2,
	CONFIG_TLS_V1_3,
	CONFIG_TLS__COUNT
};
extern const char *const config_tls_version_names[CONFIG_TLS__COUNT];
/* Octavia's default_listener_tls_versions */
#define CONFIG_TLS_DEFAULT_VERSIONS \
	((1u << CONFIG_TLS_V1_2) | (1u << CONFIG_TLS_V1_3))

/* Client certificates: Octavia's NONE, OPTIONAL, MANDATORY */
enum config_verify {
	CONFIG_VERIFY_NONE,
	CONFIG_VERIFY_OPTIONAL,
	CONFIG_VERIFY_REQUIRED,
};

/* What ALPN may select: the agent speaks HTTP/1.x only */
#define CONFIG_ALPN_HTTP11	(1u << 0)
#define CONFIG_ALPN_HTTP10	(1u << 1)

struct config_path {
	char			 path[CONFIG_PATH_MAX];
};

/* A listener's TLS; off when ncerts is 0. */
struct config_tls {
	struct config_path	*certs;		/* the first is the default */
	size_t			 ncerts;
	char			 client_ca[CONFIG_PATH_MAX];	/* "": none */
	char			 crl[CONFIG_PATH_MAX];
	enum config_verify	 verify;
	char			 ciphers[CONFIG_CIPHERS_MAX];	/* "": OpenSSL's */
	char			 ciphersuites[CONFIG_CIPHERS_MAX];
	unsigned		 versions;	/* 1 << CONFIG_TLS_* */
	unsigned		 alpn;		/* CONFIG_ALPN_* */
	unsigned		 handshake_limit;	/* in progress at once */
};

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
	int64_t			 idle_timeout_ms;
	int64_t			 head_timeout_ms;	/* a request head */
	struct config_tls	 tls;
	int			 log_requests;	/* one access log line each */
	unsigned		 line;		/* where the file declared it */
};

struct config {
	char			 loadbalancer_id[CONFIG_ID_MAX];
	char			 stats_socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char			 keepalived_dir[256];	/* Octavia's LVS configs */
	char			 haproxy_config[256];	/* "": by the socket */
	char			 netns[CONFIG_NAME_MAX];
	char			 user[CONFIG_NAME_MAX];
	char			 project_id[CONFIG_ID_MAX];	/* for the log */
	char			 log_socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int			 log_facility;	/* syslog's LOG_LOCAL0.. */
	int			 min_scrape_interval_ms;
	int			 scrape_timeout_ms;
	struct config_listener	*listeners;
	size_t			 nlisteners;
};

#define CONFIG_DEFAULT_MIN_SCRAPE_MS	1000
#define CONFIG_DEFAULT_TIMEOUT_MS	5000
#define CONFIG_DEFAULT_IDLE_MS		50000	/* Octavia's timeout-client-data */
#define CONFIG_DEFAULT_HEAD_MS		5000	/* timeout-http-request */
#define CONFIG_DEFAULT_HANDSHAKES	64	/* tls-handshake-limit */
#define CONFIG_MAX_HANDSHAKES		10000
#define CONFIG_DEFAULT_LOG_SOCKET	"/dev/log"
#define CONFIG_DEFAULT_LOG_FACILITY	16	/* local0, Octavia's user_log_facility 0 */

void	config_init(struct config *);
void	config_free(struct config *);

/* A new listener with default limits, or NULL when out of memory. */
struct config_listener	*config_listener_add(struct config *, const char *id);
int	config_listener_add_bind(struct config_listener *,
	    const struct config_bind *);
int	config_listener_add_cidr(struct config_listener *, const struct cidr *);

/* "a.b.c.d:port" or "[v6]:port", numeric only. 0, or -1. */
int	config_parse_bind(const char *, struct config_bind *);

/*
 * "<n>", "<n>ms" or "<n>s" into milliseconds within [min_ms, max_ms]; a
 * bare number counts in bare_unit_ms. Returns 0, or -1.
 */
int	config_parse_duration(const char *, int64_t bare_unit_ms,
	    int64_t min_ms, int64_t max_ms, int64_t *ms);

/*
 * Parses the text of a config file (amphora-prometheus-agent.conf(5)) into
 * c, which config_init() prepared. On error returns -1 with
 * "FILE:LINE: message" in err; c then holds whatever was parsed before and
 * must only be freed.
 */
int	config_parse(struct config *c, const char *file, const char *text,
	    size_t len, char *err, size_t errlen);

/* The listener with this id, or NULL. */
struct config_listener	*config_listener_find(struct config *, const char *);

#endif
