/*
 * The daemon's shared state: the loop, the listeners, the scraper.
 *
 * Nothing the loop calls waits on a file or a peer. What it touches, and
 * why none of it blocks:
 * - the configuration and the TLS files (SIGHUP): agent_read_file(),
 *   open(O_NONBLOCK), then only a regular file or a character device
 *   (/dev/null) read, never a FIFO (OpenSSL is handed memory, not paths);
 * - keepalived's configs: opendir() (O_DIRECTORY: not a FIFO), fstatat()
 *   without following links, openat(O_NONBLOCK | O_NOFOLLOW), regular
 *   files only;
 * - the stats socket: glob() and stat() (which do not open), a
 *   SOCK_NONBLOCK connect() and reads under the loop's events;
 * - /proc/stat, /proc/meminfo: the kernel's, opened once, read with
 *   pread();
 * - IPVS: netlink in the reader process, answers over a non-blocking
 *   socket pair; the access log and sd_notify: SOCK_NONBLOCK datagrams;
 * - clients, plain and TLS: non-blocking sockets under bufferevents.
 * The one exception is syslog(3), whose datagram to /dev/log blocks while
 * the journal's queue is full: the loop's own lines are few and those a
 * peer can cause are rate-limited (log_peer_allowed()).
 */
#ifndef AGENT_H
#define AGENT_H

#include <sys/queue.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "coding.h"
#include "config.h"
#include "expo.h"
#include "haproxycfg.h"
#include "ipvs_reader.h"
#include "opener.h"
#include "lvsconf.h"
#include "octavia.h"
#include "procstat.h"
#include "snapshot.h"
#include "wbuf.h"

#define AGENT_NAME		"amphora-prometheus-agent"
#ifndef AGENT_DEFAULT_CONFIG	/* CMake says: in sysconfdir */
#define AGENT_DEFAULT_CONFIG	"/etc/octavia/amphora-prometheus-agent.conf"
#endif
/* Octavia's: /var/lib/octavia/<loadbalancer id>.sock, once it exists */
#define AGENT_DEFAULT_STATS_SOCKET "/var/lib/octavia/*.sock"
/* Octavia's keepalived configs of UDP and SCTP listeners */
#define AGENT_DEFAULT_KEEPALIVED_DIR "/var/lib/octavia/lvs"
#define STATS_MAX_RESPONSE	(64u << 20)	/* 64 MiB of show info+stat */
#define DRAIN_SECONDS		5	/* SIGTERM: time left to responses */
#define CHUNK_SIZE		((size_t)64 << 10)	/* a piece of a response */
/*
 * What all responses in flight may hold together: queued output and gzip
 * state. A response past it waits for others to drain, and a client that
 * has read nothing for OUTPUT_STALL_MS is closed to make room.
 */
#define OUTPUT_BUDGET		(32u << 20)
#define OUTPUT_STALL_MS		1000
/*
 * TLS handshakes in progress in OpenSSL, all listeners together: from a
 * whole ClientHello to the end (before it, a connection holds no TLS
 * state). Past it, or past a listener's tls-handshake-limit, the oldest
 * makes room.
 */
#define HANDSHAKES_MAX		256
/*
 * When no response has been in flight, nor a connection closed, for
 * MEMORY_QUIET_MS, what the allocator keeps free goes back to the system:
 * a burst leaves no lasting RSS behind.
 */
#define MEMORY_QUIET_MS		2000

struct agent;
struct http_conn;
struct tls_ctx;

/* A listening socket. Stays open across reloads while its address does. */
struct listen_sock {
	struct evconnlistener	*evl;
	struct event		*backoff;	/* re-enables after EMFILE */
	struct agent_listener	*owner;
	struct config_bind	 bind;
};

/* A PROMETHEUS listener at run time, found again by id on reload. */
struct agent_listener {
	TAILQ_ENTRY(agent_listener) entry;
	struct agent		*agent;
	struct config_listener	 conf;		/* points into agent->conf */
	struct listen_sock	**socks;
	size_t			 nsocks;
	uint64_t		 denied;
	uint64_t		 rejected[EXPO_REJECT__COUNT];
	struct tls_ctx		*tls;		/* NULL: clear text */
	uint64_t		 tls_failures[EXPO_TLS__COUNT];
	uint64_t		 tls_versions[CONFIG_TLS__COUNT];
	size_t			 nconns;
	TAILQ_HEAD(, http_conn)	 conns;
	/* TLS handshakes OpenSSL has, oldest first (tls-handshake-limit) */
	size_t			 nhandshakes;
	TAILQ_HEAD(, http_conn)	 handshakes;
};

/*
 * The HAProxy part of one exposition of a snapshot, rendered once and sent
 * by reference to every response that asks for the same scopes and format.
 * Only for small load balancers: larger ones stream.
 */
struct rendered {
	unsigned		 scopes;
	enum expo_format	 format;
	char			*data;
	size_t			 len;
};

#define RENDER_CACHE_SLOTS	4
#define RENDER_CACHE_MAX	(1u << 20)	/* bytes, per slot */

/*
 * A piece of a coded body (coding.h): one piece of the HAProxy families'
 * text (expo_render_piece) coded on its own, named by its text's hash.
 * The agent's cache keeps it while the bodies of its coding send it, so
 * a piece whose rows did not change since the last scrape is not coded
 * again: on a load balancer most are idle. Counted: a response sending
 * one holds it, after the cache let it go too; memory the cache does not
 * hold is charged to the output budget.
 */
struct coded_piece {
	struct coded_piece	*next;		/* in its cache slot */
	struct agent		*agent;
	uint64_t		 key;		/* of its text (expo_piece_key) */
	struct coder_seam	 seam;		/* gzip: its text's CRC */
	uint32_t		 key_len;	/* of the text the key hashed */
	uint32_t		 used;		/* the last head it went in */
	int			 refs;
	int			 cached;	/* else charged to out_bytes */
	int			 head_len;	/* its chunk head's */
	enum coding		 coding;
	size_t			 len;
	char			*data;		/* len bytes, in frame */
	/*
	 * The data framed as an HTTP/1.1 chunk: its head before it, "\r\n"
	 * after, so that one reference sends it either way (framing added
	 * to the output buffer apart would take a chain of libevent's
	 * sized after the last: 9 KiB a piece, for 12 bytes).
	 */
	char			 frame[];
};

/* "%zx\r\n" of a piece's length, right before its data. */
#define PIECE_CHUNK_HEAD	18
/*
 * What one reference in an output buffer takes: libevent's smallest chain
 * (1,024 bytes on 64-bit hosts) is malloc'd for each, whatever it holds.
 */
#define REF_COST		1024

/*
 * The cache: pieces by key, within PIECE_CACHE_MAX bytes; a piece that no
 * body of its coding sent among the last PIECE_CACHE_HEADS goes.
 */
struct piece_cache {
	struct coded_piece	**slot;
	size_t			 nslots;	/* a power of two */
	size_t			 n;
	size_t			 bytes;
	uint64_t		 seed;		/* of the hashes, random */
	uint32_t		 heads[CODING__COUNT];	/* begun */
};

#define PIECE_CACHE_MAX		(32u << 20)
#define PIECE_CACHE_HEADS	4

/*
 * The head of a coded body (coding.h: the HAProxy families, gzip or zstd),
 * kept by its snapshot once a response coded it, and sent by reference to
 * the others that ask alike while the snapshot may still be served
 * (min-scrape-interval): the prefix and its pieces, held, so not even the
 * cache is asked. Counted: let go when the snapshot is too old to serve,
 * it lives on in the responses still sending it.
 */
struct coded_head {
	int			 refs;
	unsigned		 scopes;
	enum expo_format	 format;
	enum coding		 coding;
	struct coder_seam	 seam;
	struct coded_piece	**pieces;
	size_t			 npieces;
	size_t			 cap;		/* of pieces, while teed */
	size_t			 len;		/* bytes, prefix and pieces */
};

#define CODED_HEAD_SLOTS	4
#define CODED_HEADS_MAX		(16u << 20)	/* bytes, a snapshot's */

/*
 * One read of HAProxy, shared by every response that renders it: the
 * scraper holds a reference until the next query starts, each streaming
 * response one until it has sent the last byte. The last drop frees it
 * and its cache.
 */
struct snap_ref {
	int			 refs;
	int			 too_big;	/* not worth caching */
	unsigned		 served;	/* responses that rendered it */
	struct rendered		 cache[RENDER_CACHE_SLOTS];
	struct coded_head	*heads[CODED_HEAD_SLOTS];
	size_t			 heads_bytes;	/* kept and being coded */
	int			 heading;	/* a response codes one */
	int			 ok;		/* snap may be served */
	int			 haproxy_ok;	/* with a whole read of HAProxy */
	struct agent		*charged;	/* pinned bytes, until freed */
	size_t			 pinned;
	uint64_t		*ids;		/* its rows', for piece keys */
	struct snapshot		 snap;
	struct timespec		 taken;		/* when the read ended */
	double			 duration;	/* socket read, seconds */
	double			 cpu;		/* amphora, at that time */
	double			 memory;
	char			 error[128];
};

/* What a scrape hands back; ref is NULL when no read ended for it. */
struct scrape_result {
	struct snap_ref		*ref;
	const char		*error;
};

/*
 * A scrape waiting for a snapshot. The callback may free the waiter or
 * queue it again; the result, and the snapshot in it, are valid for the
 * call only (hold the snapshot to keep it).
 */
struct scrape_waiter {
	TAILQ_ENTRY(scrape_waiter) entry;
	void			(*cb)(const struct scrape_result *, void *);
	void			*arg;
	struct event		*deadline;	/* optional, shorter bound */
	struct scraper		*owner;
	uint64_t		 query;		/* the query that serves it */
	int			 queued;
};

struct stats_query;

/*
 * Octavia's keepalived configs of UDP and SCTP listeners, read again when
 * the directory's files change (their names, sizes and times).
 */
struct lvs_set {
	struct lvs_listener		*l;
	size_t				 n;
	uint64_t			 signature;
};

/*
 * The certificates HAProxy's TLS listeners serve and trust (hcerts.c),
 * and the files they came from, to see when those change.
 */
struct hcerts_listener {
	char			 listener[OCTAVIA_UUID_LEN + 1];
	struct expo_cert	*certs;
	size_t			 ncerts;
};

struct hcerts_path {
	char			*path;
	uint64_t		 mark;		/* as it was when read */
};

struct hcerts {
	struct hcerts_listener	*l;
	size_t			 nl;
	struct hcerts_path	*paths;		/* every file read */
	size_t			 npaths;
	uint64_t		 errors;	/* files not read or parsed */
	struct timespec		 logged;	/* the last failure said */
	int			 logged_once;
};

struct scraper {
	struct agent			*agent;
	int				 busy;		/* a read under way */
	int				 starting;	/* in scrape_start() */
	int				 waiting_haproxy;
	int				 waiting_ipvs;
	const char			*ipvs_error;	/* of the read under way */
	char				 ipvs_why[128];
	int				 ipvs_up;	/* -1: nothing to read */
	char				 ipvs_reported[128];
	struct lvs_set			 lvs;
	struct hcfg			 hcfg;		/* HAProxy's configuration */
	int				 hcfg_ok;
	uint64_t			 hcfg_sig;	/* of its file; 0: none */
	struct hcerts			 hcerts;	/* of its TLS listeners */
	struct stats_query		*inflight;
	struct timespec			 inflight_start;
	TAILQ_HEAD(, scrape_waiter)	 waiters;
	struct snap_ref			*cur;		/* the last read */
	struct event			*stale;		/* cur no longer served */
	struct snap_ref			*next;		/* the read under way */
	uint64_t			 queries;
	uint64_t			 csv_errors;
	struct cpu_times		 cpu_prev;
	int				 stat_fd;	/* /proc/stat, kept open */
	int				 meminfo_fd;
	/* the socket the last query found, and the id in its name */
	char				 socket[sizeof(((struct config *)0)->stats_socket)];
	char				 loadbalancer_id[OCTAVIA_UUID_LEN + 1];
	/* the failure last logged, "" after a good read */
	char				 reported[128];
	struct timespec			 reported_at;
};

/* What the command line said; re-applied over the file on every reload. */
struct cli_options {
	const char		*config_file;
	int			 config_given;	/* -f: a missing file is an error */
	const char		*stats_socket;
	const char		*loadbalancer_id;
	struct config_bind	*binds;
	size_t			 nbinds;
	struct cidr		*cidrs;
	size_t			 ncidrs;
	int			 once;
	int			 check;
	int			 debug;
};

/* reqlog.c: where access log lines go (a syslog datagram socket) */
struct access_sink {
	int			 fd;		/* -1: not connected */
	char			 path[sizeof(((struct config *)0)->log_socket)];
	time_t			 retry_at;
	uint64_t		 dropped;
	time_t			 reported_at;
	int			 reported_errno;
};

void	access_sink_send(struct access_sink *, const char *path,
	    const char *line, size_t len);
void	access_sink_close(struct access_sink *);

struct agent {
	struct event_base	*base;
	struct cli_options	 cli;
	struct config		 conf;
	TAILQ_HEAD(, agent_listener) listeners;
	size_t			 nlisteners;
	struct scraper		 scraper;
	struct ipvs_reader	 ipvs;		/* fd -1: none */
	struct opener		 opener;	/* fd -1: none */
	struct access_sink	 access;	/* log-requests lines */
	char			*scratch;	/* text before gzip */
	char			*zscratch;	/* and after */
	struct wbuf		 piece_text;	/* a piece before coding */
	struct wbuf		 piece_code;	/* and after */
	struct piece_cache	 pieces;
	size_t			 nconns;	/* all listeners together */
	size_t			 max_conns;	/* under RLIMIT_NOFILE */
	size_t			 nhandshakes;	/* against HANDSHAKES_MAX */
	size_t			 out_bytes;	/* against OUTPUT_BUDGET */
	/* of out_bytes, what responses hold until they end, not output
	 * that drains: their coders, the snapshots only they still hold */
	size_t			 held_bytes;
	size_t			 nstreams;	/* responses being sent */
	TAILQ_HEAD(, http_conn)	 out_waiters;	/* for some of it, in turn */
	struct event		*out_wake;	/* hands it to them */
	struct event		*quiet;		/* MEMORY_QUIET_MS: trims */
	int			 privileged;	/* may bind ports below 1024 */
	int			 stopping;	/* SIGTERM: draining */
	struct event		*drain_timer;
	struct event		*sigev[4];
	int			 once_status;
};

/* config_load.c: the file, with the command line laid over it */
int	agent_config_load(const struct cli_options *, struct config *,
	    char *err, size_t errlen);
char	*agent_read_file(const char *path, size_t max, size_t *len,
	    const char **why);

/* priv.c */
void	priv_enter_netns(const char *name);
void	priv_drop(const char *user);
int	priv_can_bind_low_ports(void);
int	priv_become_keeping(const char *user, int cap);
void	priv_drop_cap(int cap);
int	priv_helper_begin(int fd, const char *name);

/* notify.c: systemd's notification protocol; no-ops without systemd */
void	notify_open(void);
void	notify_watchdog_start(struct event_base *);
void	notify_ready(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	notify_reloading(void);
void	notify_stopping(void);
void	notify_status(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
void	notify_close(void);

/*
 * scrape.c: the scraper. A waiter's callback runs once per request, from
 * the loop or from scrape_request() itself (a young snapshot); it may
 * free its waiter or request again. scrape_cancel() on a waiter not
 * queued does nothing, so a connection may always call it when it goes.
 */
void	scrape_init(struct scraper *, struct agent *);
void	scrape_free(struct scraper *);
void	scrape_request(struct scraper *, struct scrape_waiter *,
	    int64_t timeout_ms);
void	scrape_cancel(struct scraper *, struct scrape_waiter *);

/*
 * hcerts.c: the certificates of HAProxy's TLS listeners, read again when
 * cfg was (cfg_read) or a file changed; cfg NULL: none. hcerts_export()
 * lists the listeners with a certificate in out (room for h->nl).
 */
void	hcerts_refresh(struct hcerts *, const struct hcfg *cfg, int cfg_read,
	    struct opener *);
size_t	hcerts_export(const struct hcerts *, struct expo_listener_certs *out);
void	hcerts_free(struct hcerts *);

/*
 * snapref.c: a holder takes a reference with snap_ref_hold() and gives it
 * back with snap_ref_drop() (NULL allowed), then forgets the pointer. The
 * render cache's text lives as long as the snapshot.
 */
void	snap_ref_hold(struct snap_ref *);
void	snap_ref_drop(struct snap_ref *);
/*
 * The scraper lets r go (NULL allowed), and no new response will be
 * served it. What responses still hold it is charged to a's output
 * budget until the last lets go: a crowd of clients that never read,
 * each response pinning a snapshot, presses on the budget like the
 * output they leave unread, and is closed to make room.
 */
void	snap_ref_release(struct snap_ref *, struct agent *);
/* Its rows' labels hashed (expo_piece_ids), made at the first call. */
const uint64_t *snap_ref_ids(struct snap_ref *, uint64_t seed);
const struct rendered *snap_ref_rendered(struct snap_ref *, unsigned scopes,
	    enum expo_format, const struct expo_agent *);
/* The coded head kept for these, held for the caller; NULL: none. */
struct coded_head *snap_ref_head(struct snap_ref *, unsigned scopes,
	    enum expo_format, enum coding);
/* Keeps h (taking the caller's reference); -1 when no slot is free. */
int	snap_ref_keep_head(struct snap_ref *, struct coded_head *);
void	coded_head_drop(struct coded_head *);		/* NULL allowed */
/* http.c: once no output is charged, memory goes back to the system. */
void	memory_settle_soon(struct agent *);
/*
 * The output budget (http.c): n bytes charged to it, and free again; a
 * hold is memory a response keeps until it ends (its coder, an old
 * snapshot only responses pin), not output waiting for its reader.
 */
void	budget_charge(struct agent *, size_t n);
void	budget_credit(struct agent *, size_t n);
void	budget_hold(struct agent *, size_t n);
void	budget_unhold(struct agent *, size_t n);
/* The snapshot will serve no new response: its coded heads go. */
void	snap_ref_stale(struct snap_ref *);

/*
 * pieces.c: the cache of coded pieces. pieces_find() and pieces_add()
 * hand back a piece held for the caller, who drops it when done.
 */
void	pieces_init(struct piece_cache *, uint64_t seed);
void	pieces_free(struct piece_cache *);
/* A new body of coding c begins sending pieces. */
void	pieces_head_begin(struct agent *, enum coding);
struct coded_piece *pieces_find(struct agent *, enum coding, uint64_t key,
	    size_t key_len);
/* NULL when out of memory. */
struct coded_piece *pieces_add(struct agent *, enum coding, uint64_t key,
	    size_t key_len, const struct coder_seam *, const void *data,
	    size_t len);
/* A body of coding c has sent its last piece: the unused ones go. */
void	pieces_sweep(struct agent *, enum coding);
void	coded_piece_drop(struct coded_piece *);		/* NULL allowed */

/* figures.c: the agent's figures as one response renders them. */
struct figures {
	struct expo_agent	 ea;
	char			 loadbalancer_id[CONFIG_ID_MAX];
	struct expo_listener	 listeners[];	/* then their certificates, ids */
};

/* One allocation, the caller's to free; NULL when out of memory. */
struct figures	*agent_figures(struct agent *, const struct scrape_result *);
/* The configured id, else the one in the stats socket's name; or NULL. */
const char	*agent_loadbalancer_id(const struct agent *);

/*
 * stats_socket.c: the stats-socket client. data gets what arrived and
 * returns how much of it it used (the rest comes again with more). done
 * is called exactly once, from the loop, with NULL at EOF or why the
 * query failed; after it, this module never touches the query again, so
 * done may free it (the scraper does). Freeing the query before done
 * cancels it: done is then never called.
 */
typedef size_t (*stats_data_cb)(char *, size_t, void *);
typedef void (*stats_done_cb)(const char *, void *);
/* path: a socket, or a glob(7) pattern that one socket must match */
struct stats_query *stats_query_start(struct event_base *, const char *path,
	    int timeout_ms, size_t max_bytes, stats_data_cb, stats_done_cb,
	    void *);
/* The socket the query found and talks to; "" when none was found. */
const char *stats_query_socket(const struct stats_query *);
void	stats_query_free(struct stats_query *);
int	stats_socket_is_pattern(const char *);

/*
 * tls.c: a TLS listener's context, built from its tls-* keys (reading
 * the certificate, CA and CRL files) and shared by reference: the
 * listener holds one, each connection one, so a reload that builds new
 * contexts leaves connections on the old one until they close.
 */
struct tls_ctx	*tls_ctx_new(const struct config_listener *, char *err,
		    size_t errlen);
void		 tls_ctx_hold(struct tls_ctx *);
void		 tls_ctx_drop(struct tls_ctx *);	/* NULL allowed */
/* What it serves and trusts, and until when: its array, and how many. */
size_t		 tls_ctx_certs(const struct tls_ctx *,
		    const struct expo_cert **);
/* One context per TLS listener of conf, NULL for the others; all or none. */
int		 tls_ctxs_new(const struct config *conf, struct tls_ctx ***,
		    char *err, size_t errlen);
void		 tls_ctxs_free(struct tls_ctx **, size_t n);
/* The expiry of what a PEM file of HAProxy's holds; 0, or -1 with why. */
int		 tls_pem_expiry(const char *text, size_t len,
		    enum expo_cert_usage, struct expo_cert **, size_t *n,
		    const char **why);
/* A server-side SSL of the context, or NULL. */
struct ssl_st	*tls_ssl_new(struct tls_ctx *);
/* Why a handshake failed: the OpenSSL error it ended with (0: none). */
enum expo_tls_failure tls_failure(struct ssl_st *, unsigned long err);
/* The version the handshake settled on, CONFIG_TLS_*, or -1. */
int		 tls_version(const struct ssl_st *);
/* The client certificate's subject as "/CN=...", "" without one. */
void		 tls_client_dn(const struct ssl_st *, char *, size_t);

/* listener.c: tls holds a context for each listener of conf (or NULL),
 * which the listeners take over when it returns 0. */
int	listeners_apply(struct agent *, struct config *, struct tls_ctx **tls,
	    int starting);
void	listeners_stop(struct agent *);
void	listener_free(struct agent_listener *);
/* "a.b.c.d" or "v6", then ":port" ("[v6]:port") when port is set */
void	sockaddr_text(const struct sockaddr *, int port, char *, size_t);

/*
 * http.c: a connection frees itself when it is done (http_conn_free()),
 * and with it everything it holds: its waiter, its snapshot reference,
 * its figures, its pieces of output.
 */
void	http_conn_new(struct agent_listener *, int fd,
	    const struct sockaddr *);
void	http_conn_free(struct http_conn *);
/* The connection of l (any, when NULL) waiting longest for a request
 * head, idle or slow; NULL when every one is answering. */
struct http_conn *http_conn_oldest_waiting(struct agent *,
	    const struct agent_listener *);
/* Closes c to make room for another, and counts it. */
void	http_conn_evict(struct http_conn *);
/* The output budget: set up once, before any connection. */
int	http_budget_init(struct agent *);
void	http_budget_free(struct agent *);
void	http_listener_drain(struct agent_listener *);

/* clock.c: the monotonic clock, and milliseconds as a libevent timeout */
double	timespec_elapsed(const struct timespec *, const struct timespec *);
void	clock_now(struct timespec *);
struct timeval timeval_from_ms(int64_t);

#endif
