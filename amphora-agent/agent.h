/* The daemon's shared state: the loop, the listeners, the scraper. */
#ifndef AGENT_H
#define AGENT_H

#include <sys/queue.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "config.h"
#include "expo.h"
#include "procstat.h"
#include "snapshot.h"
#include "wbuf.h"

#define AGENT_NAME		"amphora-prometheus-agent"
#define STATS_MAX_RESPONSE	(64u << 20)	/* 64 MiB of show info+stat */
#define BODY_MAX		(1u << 30)	/* one rendered exposition */

struct agent;
struct http_conn;

/* A listening socket of a listener. */
struct listen_sock {
	struct evconnlistener	*evl;
	struct event		*backoff;	/* re-enables after EMFILE */
	struct agent_listener	*owner;
	struct config_bind	 bind;
};

/* A PROMETHEUS listener at run time. */
struct agent_listener {
	struct agent		*agent;
	struct config_listener	 conf;		/* borrowed from the config */
	struct listen_sock	*socks;
	size_t			 nsocks;
	uint64_t		 denied;
	size_t			 nconns;
	TAILQ_HEAD(, http_conn)	 conns;
};

/* What a scrape hands back. snap is NULL when HAProxy was not read. */
struct scrape_result {
	const struct snapshot	*snap;
	double			 duration;	/* socket read, seconds */
	double			 age;		/* seconds since the read */
	const char		*error;
};

struct scrape_waiter {
	TAILQ_ENTRY(scrape_waiter) entry;
	void			(*cb)(const struct scrape_result *, void *);
	void			*arg;
	int			 queued;
};

struct stats_query;

struct scraper {
	struct agent			*agent;
	struct stats_query		*inflight;
	struct timespec			 inflight_start;
	TAILQ_HEAD(, scrape_waiter)	 waiters;
	struct snapshot			 snap;
	int				 have;		/* a read was made */
	int				 ok;		/* snap is complete */
	const char			*error;
	char				 errbuf[128];
	struct timespec			 taken;		/* when it finished */
	double				 duration;
	uint64_t			 queries;
	uint64_t			 csv_errors;
	struct cpu_times		 cpu_prev;
	double				 cpu;
	double				 memory;
};

struct agent {
	struct event_base	*base;
	struct config		 conf;
	struct agent_listener	*listeners;
	size_t			 nlisteners;
	struct scraper		 scraper;
	struct wbuf		 body;		/* reused for every render */
	size_t			 nconns;	/* all listeners together */
	size_t			 max_conns;	/* under RLIMIT_NOFILE */
	struct event		*sigev[4];
	int			 once;
	int			 once_status;
};

/* scrape.c */
void	scrape_init(struct scraper *, struct agent *);
void	scrape_free(struct scraper *);
void	scrape_request(struct scraper *, struct scrape_waiter *);
void	scrape_cancel(struct scraper *, struct scrape_waiter *);
void	agent_render(struct agent *, const struct scrape_result *,
	    unsigned scopes, struct wbuf *);

/* stats.c */
typedef void (*stats_done_cb)(struct wbuf *, const char *, void *);
struct stats_query *stats_query_start(struct event_base *, const char *path,
	    int timeout_ms, size_t max_bytes, stats_done_cb, void *);
void	stats_query_free(struct stats_query *);

/* listener.c */
int	listener_open(struct agent *, struct agent_listener *);
void	listener_close(struct agent_listener *);

/* http.c */
void	http_conn_new(struct agent_listener *, int fd,
	    const struct sockaddr *, int socklen);
void	http_conn_free(struct http_conn *);

/* util */
double	timespec_elapsed(const struct timespec *, const struct timespec *);
void	clock_now(struct timespec *);

#endif
