/*
 * A small HTTP/1.x server on bufferevents: GET/HEAD /metrics, a landing
 * page at /, keep-alive, pipelining, an idle timeout, and refusals for
 * everything else. One request at a time per connection: reading pauses
 * while a scrape is pending and while its answer streams out.
 *
 * Metrics are streamed: a piece is rendered (and gzipped) when the socket
 * has drained the previous ones below a watermark, so a response of any
 * size costs a few pieces of memory, and rendering overlaps sending.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "accesslog.h"
#include "agent.h"
#include "coding.h"
#include "httpreq.h"
#include "log.h"
#include "metrics.h"
#include "tlshello.h"

#define OUT_LOW		(256u << 10)	/* render more below this queued */
#define OUT_HIGH	(1024u << 10)	/* and stop above this */
#define CHUNK_HEAD	10		/* "%08zx\r\n" */
#define CHUNK_TAIL	2		/* "\r\n" */
#define LINGER_MS	2000		/* hearing the peer out before close */
#define LINGER_MAX	(1u << 20)	/* and at most this much of it */
/* An HTTP/1.0 body held back until its length is known (see held_end) */
#define HELD_MAX	(OUTPUT_BUDGET / 4)
/* Prometheus gives up at its scrape timeout: answer a little before. */
#define TIMEOUT_MARGIN(ms)	((ms) - (ms) / 10)

struct http_conn {
	TAILQ_ENTRY(http_conn)	 entry;
	struct agent_listener	*l;
	struct bufferevent	*bev;
	SSL			*ssl;		/* TLS: its session */
	struct tls_ctx		*tls;		/* and the context it came from */
	/* TLS, until its ClientHello is whole: no SSL, bev not enabled */
	struct event		*hello;
	size_t			 hello_need;	/* its SO_RCVLOWAT */
	int			 handshaking;	/* OpenSSL has it, not done */
	TAILQ_ENTRY(http_conn)	 hs_entry;	/* in l->handshakes */
	struct timespec		 hs_start;
	int			 handshaken;
	int			 tls_version;	/* CONFIG_TLS_*, -1 */
	struct scrape_waiter	 waiter;
	struct event		*head_timer;	/* timeout-http-request */
	struct timespec		 since;		/* waiting for a request */
	int			 waiting;	/* for a request head */
	int			 busy;		/* a scrape is pending */
	int			 in_process;	/* inside http_process() */
	int			 closing;	/* close once output drains */
	int			 peer_done;	/* it closed its side */
	/* its share of the output budget */
	struct evbuffer_cb_entry *out_cb;
	TAILQ_ENTRY(http_conn)	 out_entry;	/* in agent->out_waiters */
	int			 out_waiting;
	struct timespec		 drained;	/* when its output last moved */
	char			 peer[64];	/* address:port, for the log */
	char			 peer_ip[INET6_ADDRSTRLEN];
	unsigned		 peer_port;
	/* the request being answered, for its access log line */
	int			 logging;	/* a line is owed */
	char			 reqline[ACCESS_REQUEST_MAX];
	size_t			 reqline_len;	/* 0: a bad request */
	size_t			 req_bytes;
	struct timespec		 req_start;	/* monotonic */
	struct timespec		 req_wall;	/* and the wall clock's */
	int			 status;
	const char		*term;		/* HAProxy's termination state */
	uint64_t		 out_total;	/* bytes ever queued */
	uint64_t		 out_mark;	/* when the response began */
	size_t			 coder_cost;	/* charged for coder */
	int			 lingering;	/* reading what it still sends */
	size_t			 lingered;
	int			 keep_alive;
	int			 head_only;
	int			 minor;		/* HTTP/1.<minor> */
	enum coding		 coding;	/* Content-Encoding */
	int			 chunked;	/* HTTP/1.1: chunked body */
	struct evbuffer		*held;		/* HTTP/1.0: the body so far */
	enum expo_format	 format;
	unsigned		 scopes;
	/* a response body in progress */
	int			 streaming;
	struct snap_ref		*ref;
	struct figures		*figures;
	struct expo_cursor	 cursor;
	struct coder		*coder;		/* gzip or zstd */
	struct coded_head	*tee;		/* the head sent, to keep */
	struct coded_head	*kept;		/* the head being sent, kept */
	size_t			 kept_next;	/* its next piece */
	struct coder_seam	 seam;		/* of the pieces so far */
	enum coder_part		 part;		/* of the body it codes */
	int			 teeing;
	size_t			 pieces;	/* sent in the head */
	size_t			 pieces_kept;	/* of them from the cache */
};

/* "Date: ...\r\n" of now, formatted once a second (RFC 9110 6.6.1). */
static const char *
date_header(void)
{
	static char	 line[sizeof("Date: \r\n") + HTTP_DATE_SIZE];
	static time_t	 when = -1;
	time_t		 now = time(NULL);

	if (now != when) {
		/* a header line, NUL-ended below: not a string yet */
		/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
		memcpy(line, "Date: ", 6);
		if (http_date(now, line + 6) == -1)
			return "";
		memcpy(line + 6 + HTTP_DATE_SIZE - 1, "\r\n", 3);
		when = now;
	}
	return line;
}

static void	http_process(struct http_conn *);
static void	http_error(struct http_conn *, int, const char *);

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/*
 * Quiet since the timer was armed: the memory the allocator holds free
 * (pieces of a thousand responses at once, a snapshot's rows) is handed
 * back. Still busy: the next piece freed or connection closed re-arms.
 */
static void
memory_quiet(evutil_socket_t fd, short ev, void *arg)
{
	struct agent	*a = arg;

	(void)fd;
	(void)ev;
#ifdef __GLIBC__
	if (a->out_bytes == 0)
		malloc_trim(0);
#else
	(void)a;
#endif
}

void
memory_settle_soon(struct agent *a)
{
	struct timeval	 tv = timeval_from_ms(MEMORY_QUIET_MS);

	if (a->quiet != NULL && a->out_bytes == 0)
		evtimer_add(a->quiet, &tv);	/* from now: quiet since */
}

void
budget_charge(struct agent *a, size_t n)
{
	a->out_bytes += n;
}

void
budget_credit(struct agent *a, size_t n)
{
	a->out_bytes -= n;
	if (a->out_wake != NULL && !TAILQ_EMPTY(&a->out_waiters))
		event_active(a->out_wake, EV_TIMEOUT, 0);
	memory_settle_soon(a);
}

void
budget_hold(struct agent *a, size_t n)
{
	budget_charge(a, n);
	a->held_bytes += n;
}

void
budget_unhold(struct agent *a, size_t n)
{
	a->held_bytes -= n;
	budget_credit(a, n);
}

/*
 * The coded head this response teed is whole (seam given): its snapshot
 * keeps it for the responses after, unless it went stale meanwhile or
 * the head outgrew what a snapshot keeps. Without a seam: given up. A
 * head holds its pieces: those the cache lets go meanwhile are charged
 * to the output budget while it lives (pieces.c), so a crowd of clients
 * that never read cannot pin memory the budget does not see.
 */
static void
tee_end(struct http_conn *c, const struct coder_seam *seam)
{
	struct snap_ref		*r = c->ref;
	struct coded_head	*h = c->tee;

	if (!c->teeing)
		return;
	c->teeing = 0;
	c->tee = NULL;
	if (r->heading != 1) {		/* stale: nobody new will ask */
		coded_head_drop(h);
		return;
	}
	r->heading = 0;
	if (seam == NULL || h == NULL ||
	    r->heads_bytes + h->len > CODED_HEADS_MAX) {
		coded_head_drop(h);
		return;
	}
	h->scopes = c->scopes;
	h->format = c->format;
	h->coding = c->coding;
	h->seam = *seam;
	if (snap_ref_keep_head(r, h) == -1) {
		coded_head_drop(h);
		return;
	}
	r->heads_bytes += h->len;
}

/* The head sent so far gains a piece (NULL: the prefix, len bytes). */
static void
tee_add(struct http_conn *c, struct coded_piece *cp, size_t len)
{
	struct coded_head	*h = c->tee;
	struct coded_piece	**v;
	size_t			 cap;

	if (h == NULL) {
		if ((h = c->tee = calloc(1, sizeof(*h))) == NULL) {
			tee_end(c, NULL);
			return;
		}
		h->refs = 1;
	}
	h->len += len;
	if (cp == NULL)
		return;
	if (h->npieces == h->cap) {
		cap = h->cap ? 2 * h->cap : 64;
		if ((v = reallocarray(h->pieces, cap,
		    sizeof(struct coded_piece *))) == NULL) {
			tee_end(c, NULL);
			return;
		}
		h->pieces = v;
		h->cap = cap;
	}
	cp->refs++;
	h->pieces[h->npieces++] = cp;
}

static int	stream_room(struct http_conn *, size_t);

/*
 * The response's coder, if none yet, within the output budget: 1 when
 * it has one, 0 when it must wait for room, -1 out of memory.
 */
static int
coder_begin(struct http_conn *c, enum coder_part part)
{
	if (c->coder != NULL)
		return 1;
	if (!stream_room(c, coding_cost(c->coding)))
		return 0;
	if ((c->coder = coder_new(c->coding, part, &c->seam)) == NULL)
		return -1;
	c->coder_cost = coding_cost(c->coding);
	budget_hold(c->l->agent, c->coder_cost);
	return 1;
}

/* The coder goes, and its charge to the output budget with it. */
static void
coder_end(struct http_conn *c)
{
	coder_free(c->coder);
	c->coder = NULL;
	budget_unhold(c->l->agent, c->coder_cost);
	c->coder_cost = 0;
}

static void
stream_end(struct http_conn *c)
{
	if (c->streaming)
		c->l->agent->nstreams--;
	c->streaming = 0;
	tee_end(c, NULL);
	coded_head_drop(c->kept);
	c->kept = NULL;
	snap_ref_drop(c->ref);
	c->ref = NULL;
	free(c->figures);
	c->figures = NULL;
	coder_end(c);
	if (c->held != NULL)	/* its pieces are credited as they are freed */
		evbuffer_free(c->held);
	c->held = NULL;
	memory_settle_soon(c->l->agent);
}

/*
 * The output budget counts the memory of every piece of a response from
 * when it is made to when it is freed, after its last byte went out (a
 * piece partly written still holds all of it), and each gzip or zstd
 * stream's state. This callback only notes when a client last took some
 * output: a client stalls from when output waits for it, not before.
 */
static void
out_changed(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct http_conn	*c = arg;

	(void)buf;
	c->out_total += info->n_added;
	if (info->n_deleted > 0 || info->orig_size == 0)
		clock_now(&c->drained);
}

static void
budget_unwait(struct http_conn *c)
{
	if (c->out_waiting) {
		TAILQ_REMOVE(&c->l->agent->out_waiters, c, out_entry);
		c->out_waiting = 0;
	}
}

/*
 * Whether the kernel would take more of c's output now. A client whose
 * socket has room is reading: if its output has not moved, the loop was
 * too busy to write it (a starved CPU, valgrind), and that is no stall.
 */
static int
socket_has_room(const struct http_conn *c)
{
	struct pollfd	 pfd = { bufferevent_getfd(c->bev), POLLOUT, 0 };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT);
}

/*
 * Closes every client, other than self, that has held output without
 * reading any for OUTPUT_STALL_MS, its socket full: their memory is
 * wanted by one that reads. The number closed.
 */
static int
budget_evict_stalled(struct agent *a, struct http_conn *self)
{
	struct agent_listener	*l;
	struct http_conn	*c, *next;
	struct timespec		 now;
	double			 t;
	size_t			 held;
	int			 n = 0;

	clock_now(&now);
	TAILQ_FOREACH(l, &a->listeners, entry)
		TAILQ_FOREACH_SAFE(c, &l->conns, entry, next) {
			held = evbuffer_get_length(bufferevent_get_output(
			    c->bev));
			if (c == self || held == 0 || (t = timespec_elapsed(
			    &c->drained, &now)) < OUTPUT_STALL_MS / 1000.0 ||
			    socket_has_room(c))
				continue;
			c->l->rejected[EXPO_REJECT_STALLED_READER]++;
			if (log_peer_allowed())
				log_info("listener %s: closed %s, which read "
				    "nothing of %zu bytes for %.1f s: others "
				    "need the output memory", c->l->conf.id,
				    c->peer, held, t);
			http_conn_free(c);
			n++;
		}
	return n;
}

/*
 * Whether c may add n bytes to what all responses hold. If not, it waits
 * its turn, woken as others drain, after the most stalled client (if
 * any) is closed to make room. When what is charged is all held until
 * responses end (coders, old snapshots), no output will drain to wake
 * anyone: c goes anyway, one at a time, and the responses still end.
 */
static int
budget_take(struct http_conn *c, size_t n)
{
	struct agent	*a = c->l->agent;
	struct timeval	 recheck = timeval_from_ms(OUTPUT_STALL_MS / 4);

	if (a->out_bytes + n > OUTPUT_BUDGET)
		budget_evict_stalled(a, c);
	if (a->out_bytes + n <= OUTPUT_BUDGET ||
	    a->out_bytes == a->held_bytes) {
		budget_unwait(c);
		return 1;
	}
	if (!c->out_waiting) {
		TAILQ_INSERT_TAIL(&a->out_waiters, c, out_entry);
		c->out_waiting = 1;
	}
	/* nobody may drain: look again for a stalled one before long */
	if (!evtimer_pending(a->out_wake, NULL))
		evtimer_add(a->out_wake, &recheck);
	return 0;
}

static void	http_stream(struct http_conn *);

/* Each waiter, in turn, tries again; one that cannot queues again. */
static void
budget_wake(evutil_socket_t fd, short ev, void *arg)
{
	struct agent		*a = arg;
	struct http_conn	*c;
	size_t			 n = 0;

	(void)fd;
	(void)ev;
	TAILQ_FOREACH(c, &a->out_waiters, out_entry)
		n++;
	while (n-- > 0 && (c = TAILQ_FIRST(&a->out_waiters)) != NULL) {
		budget_unwait(c);
		http_stream(c);
	}
}

int
http_budget_init(struct agent *a)
{
	TAILQ_INIT(&a->out_waiters);
	a->out_wake = evtimer_new(a->base, budget_wake, a);
	a->quiet = evtimer_new(a->base, memory_quiet, a);
	return a->out_wake != NULL && a->quiet != NULL ? 0 : -1;
}

void
http_budget_free(struct agent *a)
{
	if (a->out_wake != NULL)
		event_free(a->out_wake);
	if (a->quiet != NULL)
		event_free(a->quiet);
	a->out_wake = a->quiet = NULL;
}

/*
 * A request to log begins: its head (or what arrived of it) is at head,
 * head_len bytes of it its own; bad: no request line worth quoting.
 */
static void
request_begin(struct http_conn *c, const char *head, size_t len,
    size_t head_len, int bad)
{
	const char	*eol;
	size_t		 n;

	c->logging = c->l->conf.log_requests;
	if (!c->logging)
		return;
	clock_now(&c->req_start);
	clock_gettime(CLOCK_REALTIME, &c->req_wall);
	c->req_bytes = head_len;
	c->out_mark = c->out_total;
	c->status = -1;
	c->term = "----";
	c->reqline_len = 0;
	if (bad)
		return;
	eol = memchr(head, '\n', len);
	n = eol != NULL ? (size_t)(eol - head) : len;
	if (n > 0 && head[n - 1] == '\r')
		n--;
	if (n > sizeof(c->reqline))
		n = sizeof(c->reqline);
	memcpy(c->reqline, head, n);
	c->reqline_len = n;
}

/* The response is all queued, or will never be: its access log line. */
static void
request_end(struct http_conn *c, const char *term)
{
	struct agent		*a = c->l->agent;
	struct access_entry	 e;
	struct timespec		 now;
	char			 line[ACCESS_LOG_MAX], dn[ACCESS_DN_MAX + 1];
	time_t			 sec;

	if (!c->logging)
		return;
	c->logging = 0;
	clock_now(&now);
	sec = c->req_wall.tv_sec;
	memset(&e, 0, sizeof(e));
	e.project_id = a->conf.project_id;
	e.loadbalancer_id = agent_loadbalancer_id(a);
	e.listener = c->l->conf.id;
	e.client_ip = c->peer_ip;
	e.client_port = c->peer_port;
	localtime_r(&sec, &e.accepted);
	e.accepted_ms = (unsigned)(c->req_wall.tv_nsec / 1000000);
	e.request = c->reqline;
	e.request_len = c->reqline_len;
	e.status = c->status;
	e.bytes_out = c->out_total - c->out_mark;
	e.bytes_in = c->req_bytes;
	e.total_ms = (long)(timespec_elapsed(&c->req_start, &now) * 1000);
	e.term = term != NULL ? term : c->term;
	if (c->ssl != NULL) {
		e.verify = SSL_get_verify_result(c->ssl);
		tls_client_dn(c->ssl, dn, sizeof(dn));
		e.client_dn = dn;
		if (c->tls_version >= 0)
			e.tls_version = config_tls_version_names[c->tls_version];
	}
	access_sink_send(&a->access, a->conf.log_socket, line,
	    access_log_format(line, sizeof(line), a->conf.log_facility,
	    AGENT_NAME, (long)getpid(), &e));
}

/* A TLS handshake in OpenSSL ended (done, failed, or its connection). */
static void
handshake_end(struct http_conn *c)
{
	if (!c->handshaking)
		return;
	TAILQ_REMOVE(&c->l->handshakes, c, hs_entry);
	c->l->nhandshakes--;
	c->l->agent->nhandshakes--;
	c->handshaking = 0;
}

void
http_conn_free(struct http_conn *c)
{
	struct agent	*a = c->l->agent;
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	evutil_socket_t	 fd;

	/* gone mid-answer: the client closed (CD), or waited in vain (CC) */
	request_end(c, c->busy ? "CC--" : "CD--");
	stream_end(c);
	budget_unwait(c);
	if (c->out_cb != NULL)	/* its pieces are credited as they are freed */
		evbuffer_remove_cb_entry(out, c->out_cb);
	scrape_cancel(&a->scraper, &c->waiter);
	if (c->waiter.deadline != NULL)
		event_free(c->waiter.deadline);
	if (c->head_timer != NULL)
		event_free(c->head_timer);
	if (c->hello != NULL)
		event_free(c->hello);
	handshake_end(c);
	TAILQ_REMOVE(&c->l->conns, c, entry);
	c->l->nconns--;
	a->nconns--;
	/*
	 * libevent closes a bufferevent's socket when it finalizes it, on a
	 * later pass of the loop: a burst of closes would hold hundreds of
	 * descriptors that nconns no longer counts, and accept() would hit
	 * EMFILE under the cap. Detaching the socket first takes its events
	 * out of epoll now; then it is ours to close now.
	 */
	fd = bufferevent_getfd(c->bev);
	if (c->ssl == NULL)
		bufferevent_setfd(c->bev, -1);
	/* a TLS bufferevent owns neither: its events go with the free */
	bufferevent_free(c->bev);
	SSL_free(c->ssl);
	if (fd != -1)
		close(fd);
	tls_ctx_drop(c->tls);
	free(c);
	memory_settle_soon(a);
	if (a->stopping && a->nconns == 0)
		event_base_loopexit(a->base, NULL);
}

/* Close once what is queued has gone out; read nothing more. */
static void
close_after_output(struct http_conn *c)
{
	c->keep_alive = 0;
	c->closing = 1;
	bufferevent_disable(c->bev, EV_READ);
}

/*
 * The connection waits for a request head from now. Its deadline starts
 * with the first byte of it (at once for a new connection): between
 * requests only the idle timeout applies.
 */
static void
waiting_begin(struct http_conn *c, int now)
{
	struct timeval	 tv;
	int64_t		 ms = c->l->conf.head_timeout_ms;

	c->waiting = 1;
	clock_now(&c->since);
	if (now) {
		tv = timeval_from_ms(ms);
		evtimer_add(c->head_timer, &tv);
	}
}

static void
waiting_end(struct http_conn *c)
{
	c->waiting = 0;
	evtimer_del(c->head_timer);
}

/*
 * A TLS 1.3 client sends its request right behind its certificate: closing
 * with it unread would reset the connection and could destroy the alert
 * that says why on its way. What has arrived is read and dropped (64 KiB
 * at most), so the close is a FIN behind the alert.
 */
static void
tls_drain(int fd)
{
	char	 sink[4096];
	int	 n = 16;

	while (fd != -1 && n-- > 0 && recv(fd, sink, sizeof(sink),
	    MSG_DONTWAIT) > 0)
		;
}

/*
 * A handshake that will not complete: counted, logged with OpenSSL's
 * word for it (e: its error, 0 when none), closed.
 */
static void
tls_failed(struct http_conn *c, enum expo_tls_failure why, unsigned long e)
{
	char	 detail[160] = "";

	c->l->tls_failures[why]++;
	if (e != 0) {
		detail[0] = ' ';
		detail[1] = '(';
		ERR_error_string_n(e, detail + 2, sizeof(detail) - 3);
		strlcat(detail, ")", sizeof(detail));
	}
	if (log_peer_allowed())
		log_info("listener %s: TLS handshake with %s failed: %s%s",
		    c->l->conf.id, c->peer, expo_tls_failure_names[why], detail);
	tls_drain(bufferevent_getfd(c->bev));
	http_conn_free(c);
}

/*
 * timeout-http-request: the head did not arrive whole in time (a client
 * trickling bytes keeps the idle timer alive, not this one). A partial
 * head gets a 408, as from HAProxy; a silent connection just goes.
 */
static void
http_head_expired(evutil_socket_t fd, short ev, void *arg)
{
	struct http_conn	*c = arg;

	(void)fd;
	(void)ev;
	if (c->lingering) {		/* the peer had its time */
		http_conn_free(c);
		return;
	}
	if (c->tls != NULL && !c->handshaken) {
		tls_failed(c, EXPO_TLS_TIMEOUT, 0);
		return;
	}
	if (!c->waiting)
		return;
	c->l->rejected[EXPO_REJECT_REQUEST_TIMEOUT]++;
	c->waiting = 0;
	if (evbuffer_get_length(bufferevent_get_input(c->bev)) == 0) {
		http_conn_free(c);
		return;
	}
	c->keep_alive = 0;
	c->head_only = 0;
	request_begin(c, NULL, 0, evbuffer_get_length(bufferevent_get_input(
	    c->bev)), 1);
	c->term = "cR--";
	http_error(c, 408, NULL);
}

struct http_conn *
http_conn_oldest_waiting(struct agent *a,
    const struct agent_listener *scope)
{
	struct agent_listener	*l;
	struct http_conn	*c, *oldest = NULL;

	TAILQ_FOREACH(l, &a->listeners, entry) {
		if (scope != NULL && l != scope)
			continue;
		TAILQ_FOREACH(c, &l->conns, entry)
			if (c->waiting && !c->closing &&
			    (oldest == NULL || timespec_elapsed(&c->since,
			    &oldest->since) > 0))
				oldest = c;
	}
	return oldest;
}

void
http_conn_evict(struct http_conn *c)
{
	struct timespec	 now;

	clock_now(&now);
	c->l->rejected[EXPO_REJECT_EVICTED]++;
	log_debug("listener %s: closed %s, waiting %.1f s for a request, to "
	    "admit another", c->l->conf.id, c->peer,
	    timespec_elapsed(&c->since, &now));
	http_conn_free(c);
}

/* A response is complete: on to the next request, or the close. */
static void
response_done(struct http_conn *c)
{
	if (!c->keep_alive) {
		close_after_output(c);
		return;
	}
	waiting_begin(c, 0);
	if (!c->in_process) {
		bufferevent_enable(c->bev, EV_READ);
		http_process(c);
	}
}

/*
 * SIGTERM: idle connections close now; one waiting for a scrape or still
 * sending gets its answer, then closes.
 */
void
http_listener_drain(struct agent_listener *l)
{
	struct http_conn	*c, *tmp;

	TAILQ_FOREACH_SAFE(c, &l->conns, entry, tmp) {
		c->keep_alive = 0;
		/* cppcheck 2.10 loses c's origin in TAILQ_FOREACH_SAFE */
		/* cppcheck-suppress uninitvar */
		if (c->busy || c->streaming)
			continue;
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			http_conn_free(c);
		else
			close_after_output(c);
	}
}

/*
 * Queues a complete response. extra is more header lines, each ending in
 * CRLF, or NULL. A HEAD request gets the headers only.
 */
static void
http_respond(struct http_conn *c, int status, const char *ctype,
    const void *body, size_t len, const char *extra)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	evbuffer_add_printf(out,
	    "HTTP/1.1 %d %s\r\n"
	    "%s"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Connection: %s\r\n"
	    "%s\r\n",
	    status, status_text(status), date_header(), ctype, len,
	    c->keep_alive ? "keep-alive" : "close", extra ? extra : "");
	if (!c->head_only)
		evbuffer_add(out, body, len);
	c->status = status;
	request_end(c, NULL);
	if (!c->keep_alive)
		close_after_output(c);
}

static void
http_error(struct http_conn *c, int status, const char *extra)
{
	char	 body[64];
	int	 n;

	n = snprintf(body, sizeof(body), "%d %s\n", status,
	    status_text(status));
	http_respond(c, status, "text/plain; charset=utf-8", body, (size_t)n,
	    extra);
}

/* A chunk's size line, fixed width: leading zeros are allowed (RFC 9112
 * 7.1), so the head can be written before the size is known. */
static void
chunk_head(char p[CHUNK_HEAD], size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	int			 i;

	for (i = 7; i >= 0; i--, n >>= 4)
		p[i] = hex[n & 0xf];
	p[8] = '\r';
	p[9] = '\n';
}

/*
 * A piece of a response is memory of its own, charged to the output
 * budget while it lives, and handed to the output buffer by reference.
 * (Written into libevent's chains instead, pieces took up to five times
 * their bytes: libevent sizes a new chain after the last one, so a
 * 12-byte chunk tail could take 64 KiB.)
 */
struct piece {
	struct agent	*agent;
	size_t		 size;		/* charged to the budget */
	char		 buf[];		/* chunk head, payload, chunk tail */
};

static void
piece_drop(struct piece *p)
{
	struct agent	*a = p->agent;

	budget_credit(a, p->size);
	free(p);
}

static void
piece_sent(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	piece_drop(arg);
}

/* A piece for up to max payload bytes, with room for chunk framing. */
static struct piece *
piece_new(struct agent *a, struct wbuf *payload, size_t max)
{
	struct piece	*p;
	size_t		 size = sizeof(*p) + CHUNK_HEAD + max + CHUNK_TAIL;

	if ((p = malloc(size)) == NULL)
		return NULL;
	p->agent = a;
	p->size = size;
	budget_charge(a, size);
	wbuf_init_fixed(payload, p->buf + CHUNK_HEAD, max);
	return p;
}

/* Frames the payload as a chunk if chunked, and queues the piece. */
static int
piece_send(struct http_conn *c, struct evbuffer *out, struct piece *p,
    const struct wbuf *payload)
{
	char	*start = p->buf + CHUNK_HEAD;
	size_t	 len = payload->len;

	if (len == 0) {
		piece_drop(p);
		return 0;
	}
	if (c->chunked) {
		start = p->buf;
		chunk_head(p->buf, len);
		memcpy(p->buf + CHUNK_HEAD + len, "\r\n", CHUNK_TAIL);
		len += CHUNK_HEAD + CHUNK_TAIL;
	}
	if (evbuffer_add_reference(out, start, len, piece_sent, p) == -1) {
		piece_drop(p);
		return -1;
	}
	return 0;
}

/*
 * What one response may queue: an equal share of the output budget,
 * between two pieces (so it flows) and OUT_HIGH. A client that does not
 * read pins only its share, and those that read are not left waiting
 * behind many that do not.
 */
static size_t
stream_share(const struct agent *a)
{
	size_t	 share = OUTPUT_BUDGET / (a->nstreams ? a->nstreams : 1);

	if (share < 2 * CHUNK_SIZE)
		return 2 * CHUNK_SIZE;
	return share < OUT_HIGH ? share : OUT_HIGH;
}

/*
 * The head of a 200 with the body to come: its length when it is known
 * (length >= 0), else chunks (HTTP/1.1) or the close (HTTP/1.0).
 */
static void
response_head(struct http_conn *c, struct evbuffer *out, ssize_t length)
{
	char	 framing[48], coding[40] = "";

	if (c->coding != CODING_IDENTITY)
		snprintf(coding, sizeof(coding), "Content-Encoding: %s\r\n",
		    coding_names[c->coding]);
	if (length >= 0)
		snprintf(framing, sizeof(framing), "Content-Length: %zd\r\n",
		    length);
	else
		strlcpy(framing, c->chunked ? "Transfer-Encoding: chunked\r\n" :
		    "", sizeof(framing));
	evbuffer_add_printf(out,
	    "HTTP/1.1 200 OK\r\n"
	    "%s"
	    "Content-Type: %s\r\n"
	    "%s"
	    "Vary: Accept, Accept-Encoding\r\n"
	    "Connection: %s\r\n"
	    "%s\r\n",
	    date_header(),
	    c->format == EXPO_OPENMETRICS ? EXPO_CONTENT_TYPE_OPENMETRICS :
	    EXPO_CONTENT_TYPE_TEXT,
	    coding,
	    c->keep_alive ? "keep-alive" : "close", framing);
}

/*
 * HTTP/1.0 has no chunks: to keep the connection, a body needs its length
 * in the head, so it is held back until complete. whole: it is, and goes
 * out with its length. Else it grew past HELD_MAX or the output budget:
 * the head goes out now, the connection will close, and the rest streams.
 */
static void
held_end(struct http_conn *c, int whole)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	if (!whole)
		c->keep_alive = 0;
	response_head(c, out, whole ?
	    (ssize_t)evbuffer_get_length(c->held) : -1);
	/* moves its chains, pieces by reference included: no copy */
	evbuffer_add_buffer(out, c->held);
	evbuffer_free(c->held);
	c->held = NULL;
}

/*
 * Whether the body may take need more bytes now: within the response's
 * share of what is queued, and the output budget (waiting for it if not).
 * A body held back never waits: past its bound it streams instead.
 */
static int
stream_room(struct http_conn *c, size_t need)
{
	struct agent	*a = c->l->agent;

	if (c->held != NULL &&
	    (evbuffer_get_length(c->held) + need > HELD_MAX ||
	    a->out_bytes + need > OUTPUT_BUDGET))
		held_end(c, 0);
	if (c->held == NULL && evbuffer_get_length(bufferevent_get_output(
	    c->bev)) >= stream_share(a))
		return 0;
	return budget_take(c, need);
}

/* Bytes kept elsewhere, sent by reference (a chunk of their own). */
static int
send_kept(struct http_conn *c, struct evbuffer *out, const char *data,
    size_t len, evbuffer_ref_cleanup_cb release, void *arg)
{
	char	 head[24];

	if (c->chunked) {
		snprintf(head, sizeof(head), "%zx\r\n", len);
		evbuffer_add(out, head, strlen(head));
	}
	if (evbuffer_add_reference(out, data, len, release, arg) == -1)
		return -1;
	if (c->chunked)
		evbuffer_add(out, "\r\n", 2);
	return 0;
}

static void
coded_piece_sent(const void *data, size_t len, void *arg)
{
	struct coded_piece	*cp = arg;

	(void)data;
	(void)len;
	budget_credit(cp->agent, REF_COST);
	coded_piece_drop(cp);
}

/*
 * A coded piece, held for the output buffer, with its chunk framing. The
 * reference takes a chain of libevent's, charged to the output budget
 * until it is sent: pieces from the cache cost nothing else, and a crowd
 * of clients that never read, each queueing references, must still press
 * on the budget.
 */
static int
send_piece(struct http_conn *c, struct evbuffer *out, struct coded_piece *cp)
{
	const char	*start = cp->data;
	size_t		 len = cp->len;

	if (c->chunked) {
		start -= cp->head_len;
		len += (size_t)cp->head_len + 2;
	}
	cp->refs++;
	budget_charge(cp->agent, REF_COST);
	if (evbuffer_add_reference(out, start, len, coded_piece_sent,
	    cp) == -1) {
		budget_credit(cp->agent, REF_COST);
		coded_piece_drop(cp);
		return -1;
	}
	return 0;
}

/* Codes a piece's text, a piece of the cache's (or the caller's alone). */
static struct coded_piece *
code_piece(struct http_conn *c, uint64_t key, size_t key_len,
    const struct wbuf *text)
{
	struct agent		*a = c->l->agent;
	struct wbuf		*code = &a->piece_code, view;
	struct coder_seam	 seam;
	int			 rc;

	wbuf_reset(code);
	coder_feed(c->coder, text->data, text->len);
	do {
		if (wbuf_reserve(code, CHUNK_SIZE) == -1)
			return NULL;
		wbuf_init_fixed(&view, code->data + code->len,
		    code->cap - code->len);
		rc = coder_out(c->coder, &view, 1);
		code->len += view.len;
	} while (rc == 0);
	if (rc == -1)
		return NULL;
	coder_seam(c->coder, &seam);
	return pieces_add(a, c->coding, key, key_len, &seam, code->data,
	    code->len);
}

/*
 * The next piece of the HAProxy families (expo_render_piece): its coding
 * from the cache when the same text was coded before, else rendered and
 * coded now, sent by reference either way. The cache is asked by the
 * piece's key (expo_piece_key), an eighth of the text to write and hash,
 * so a piece coded before is not rendered again. Returns 1 when they are
 * all out, 0 when more are to come, -1 on failure, PIECE_WAIT when the
 * piece must be coded and the output budget has no room for a coder yet
 * (the cursor is back where it was). A body whose pieces are all in the
 * cache holds no coder at all: with zlib, 256 KiB of the budget a
 * response.
 */
#define PIECE_WAIT	2

static int
stream_piece(struct http_conn *c, struct evbuffer *out)
{
	struct agent		*a = c->l->agent;
	struct wbuf		*text = &a->piece_text;
	struct coded_piece	*cp;
	struct expo_cursor	 before = c->cursor;
	const uint64_t		*ids;
	uint64_t		 key;
	size_t			 key_len;
	int			 done, rc;

	if ((ids = snap_ref_ids(c->ref, a->pieces.seed)) == NULL)
		return -1;
	wbuf_reset(text);
	if ((done = expo_piece_key(&c->cursor, text, EXPO_PIECE_ROWS, ids,
	    a->pieces.seed, &key)) == -1)
		return -1;
	if ((key_len = text->len) == 0)		/* no line: no text */
		return done;
	if ((cp = pieces_find(a, c->coding, key, key_len)) != NULL)
		c->pieces_kept++;
	else {
		if ((rc = coder_begin(c, CODER_PIECE)) != 1) {
			c->cursor = before;
			return rc == 0 ? PIECE_WAIT : -1;
		}
		/* the same walk again, writing the text this time */
		c->cursor = before;
		wbuf_reset(text);
		if (expo_render_piece(&c->cursor, text, EXPO_PIECE_ROWS) !=
		    done || (cp = code_piece(c, key, key_len, text)) == NULL)
			return -1;
	}
	c->pieces++;
	coder_seam_join(c->coding, &c->seam, &cp->seam);
	if (c->teeing)
		tee_add(c, cp, cp->len);
	rc = send_piece(c, out, cp);
	coded_piece_drop(cp);			/* find's or add's */
	return rc == -1 ? -1 : done;
}

/* The HAProxy families are out: the tail, the agent's own, follows. */
static void
tail_begin(struct http_conn *c)
{
	c->part = CODER_TAIL;
	expo_cursor_range(&c->cursor, FAM_SNAPSHOT__COUNT, ~0u);
}

static void
head_end(struct http_conn *c)
{
	struct agent	*a = c->l->agent;

	log_debug("listener %s: %s head of %s: %zu pieces, %zu of them "
	    "coded before", c->l->conf.id, coding_names[c->coding],
	    c->format == EXPO_OPENMETRICS ? "openmetrics" : "text",
	    c->pieces, c->pieces_kept);
	tee_end(c, &c->seam);
	pieces_sweep(a, c->coding);
	coder_end(c);
	tail_begin(c);
}

/*
 * The next piece of a kept head, streamed like the pieces it was made of
 * (within the response's share): 1 when they are all out, then the tail
 * follows; 0 when more are to come, -1 on failure.
 */
static int
send_kept_piece(struct http_conn *c, struct evbuffer *out)
{
	if (c->kept_next < c->kept->npieces &&
	    send_piece(c, out, c->kept->pieces[c->kept_next++]) == -1)
		return -1;
	if (c->kept_next < c->kept->npieces)
		return 0;
	coded_head_drop(c->kept);
	c->kept = NULL;
	tail_begin(c);
	return 1;
}

/*
 * Renders more of the body while stream_room() allows. Returns 1 when the
 * body is complete, 0 when more is to come, -1 on failure.
 */
static int
stream_more(struct http_conn *c)
{
	struct agent		*a = c->l->agent;
	struct evbuffer		*out = bufferevent_get_output(c->bev);
	struct wbuf		 piece, text;
	struct piece		*p;
	int			 done = 0, rc;

	while (!done) {
		/* pieces make theirs when one must be coded (stream_piece) */
		if (c->coding != CODING_IDENTITY && c->part != CODER_PIECE &&
		    (rc = coder_begin(c, c->part)) != 1)
			return rc;
		if (!stream_room(c, sizeof(*p) + CHUNK_HEAD + CHUNK_SIZE +
		    CHUNK_TAIL))
			return 0;
		out = c->held != NULL ? c->held : bufferevent_get_output(c->bev);
		if (c->part == CODER_PIECE && c->kept != NULL) {
			if (send_kept_piece(c, out) == -1)
				return -1;
			continue;
		}
		if (c->part == CODER_PIECE) {
			if ((rc = stream_piece(c, out)) == -1)
				return -1;
			if (rc == PIECE_WAIT)
				return 0;
			if (rc == 1)
				head_end(c);
			continue;
		}
		if (c->coding == CODING_IDENTITY) {
			if ((p = piece_new(a, &piece, CHUNK_SIZE)) == NULL)
				return -1;
			done = expo_render_some(&c->cursor, &piece, CHUNK_SIZE);
			if (piece_send(c, out, p, &piece) == -1)
				return -1;
			continue;
		}
		/* coded: render into scratch, code into zscratch, copy out */
		wbuf_init_fixed(&text, a->scratch, CHUNK_SIZE);
		done = expo_render_some(&c->cursor, &text, CHUNK_SIZE);
		coder_feed(c->coder, text.data, text.len);
		do {
			wbuf_init_fixed(&piece, a->zscratch, CHUNK_SIZE);
			rc = coder_out(c->coder, &piece, done);
			if (piece.len > 0) {
				struct wbuf	 copy;

				if ((p = piece_new(a, &copy, piece.len)) == NULL)
					return -1;
				wbuf_add(&copy, piece.data, piece.len);
				if (piece_send(c, out, p, &copy) == -1)
					return -1;
			}
		} while (rc == 0);
		if (rc == -1)
			return -1;
	}
	if (c->held != NULL)
		held_end(c, 1);
	else if (c->chunked)
		evbuffer_add(out, "0\r\n\r\n", 5);
	return 1;
}

/* Streams what is left; at the end, on to the next request or the close. */
static void
http_stream(struct http_conn *c)
{
	int	 rc;

	if ((rc = stream_more(c)) == 0)
		return;
	request_end(c, rc == -1 ? "PI--" : NULL);
	stream_end(c);
	if (rc == -1) {
		log_warnx("listener %s: out of memory streaming a response",
		    c->l->conf.id);
		close_after_output(c);
	} else
		response_done(c);
}

static void
rendered_release(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	snap_ref_drop(arg);
}

/*
 * A small snapshot's HAProxy families go out from its render cache, by
 * reference (no copy); the cursor then renders only the agent's own.
 */
static int
send_rendered(struct http_conn *c, struct evbuffer *out)
{
	const struct rendered	*rd;

	rd = snap_ref_rendered(c->ref, c->scopes, c->format, &c->figures->ea);
	if (rd == NULL || rd->len == 0)
		return 0;
	snap_ref_hold(c->ref);
	if (send_kept(c, out, rd->data, rd->len, rendered_release,
	    c->ref) == -1) {
		snap_ref_drop(c->ref);
		return -1;
	}
	expo_cursor_range(&c->cursor, FAM_SNAPSHOT__COUNT, ~0u);
	return 0;
}

/*
 * A coded body of a snapshot comes in parts (coding.h): the head, its
 * HAProxy families, from the snapshot when a response sent it already,
 * else piece by piece, each from the cache of coded pieces or coded now,
 * and teed for the next (only when the snapshot may serve another:
 * min-scrape-interval); then the tail, the agent's own.
 */
static int
send_coded_head(struct http_conn *c, struct evbuffer *out)
{
	struct agent		*a = c->l->agent;
	struct coded_head	*h;
	const unsigned char	*prefix;
	size_t			 plen;

	c->part = CODER_WHOLE;
	if (c->ref == NULL)
		return 0;
	if ((h = snap_ref_head(c->ref, c->scopes, c->format,
	    c->coding)) != NULL) {
		log_debug("listener %s: %s head of %s kept by the snapshot, "
		    "%zu bytes", c->l->conf.id, coding_names[c->coding],
		    c->format == EXPO_OPENMETRICS ? "openmetrics" : "text",
		    h->len);
		c->seam = h->seam;
		c->part = CODER_PIECE;		/* no coder: all are coded */
		c->kept = h;
		c->kept_next = 0;
		plen = coder_prefix(c->coding, &prefix);
		return plen == 0 ? 0 : send_kept(c, out, (const char *)prefix,
		    plen, NULL, NULL);
	}
	c->part = CODER_PIECE;
	c->seam = (struct coder_seam){ 0, 0 };
	c->pieces = c->pieces_kept = 0;
	expo_cursor_range(&c->cursor, 0, FAM_SNAPSHOT__COUNT);
	pieces_head_begin(a, c->coding);
	if (a->conf.min_scrape_interval_ms > 0 && c->ref->heading == 0 &&
	    c->ref->heads_bytes < CODED_HEADS_MAX) {
		c->ref->heading = 1;
		c->teeing = 1;
	}
	plen = coder_prefix(c->coding, &prefix);
	if (c->teeing)
		tee_add(c, NULL, plen);
	if (plen == 0)
		return 0;
	return send_kept(c, out, (const char *)prefix, plen, NULL, NULL);
}

static void
http_scrape_done(const struct scrape_result *r, void *arg)
{
	struct http_conn	*c = arg;
	struct agent		*a = c->l->agent;
	struct evbuffer		*out = bufferevent_get_output(c->bev);

	c->busy = 0;
	if ((c->figures = agent_figures(a, r)) == NULL) {
		log_warnx("listener %s: out of memory for a response",
		    c->l->conf.id);
		c->keep_alive = 0;
		http_error(c, 500, NULL);
		return;
	}
	/*
	 * HTTP/1.0 has no chunks: a body kept alive for is held back until
	 * its length is known (held_end), else it ends with the close. A
	 * HEAD response ends with its head, whatever the version.
	 */
	c->chunked = c->minor >= 1;
	if (!c->chunked && c->keep_alive && !c->head_only)
		c->held = evbuffer_new();
	if (!c->chunked && !c->head_only && c->held == NULL)
		c->keep_alive = 0;
	if (c->held == NULL)
		response_head(c, out, -1);
	else
		out = c->held;
	if (r->ref != NULL && r->ref->ok) {
		c->ref = r->ref;
		snap_ref_hold(c->ref);
	}
	expo_cursor_init(&c->cursor, c->ref ? &c->ref->snap : NULL,
	    &c->figures->ea, c->scopes, c->format);
	c->status = 200;
	c->streaming = 1;
	a->nstreams++;
	if (!c->head_only && (c->coding == CODING_IDENTITY ?
	    c->ref != NULL && send_rendered(c, out) == -1 :
	    send_coded_head(c, out) == -1)) {
		/* the body has begun: the only way out is the close */
		request_end(c, "PI--");
		stream_end(c);
		close_after_output(c);
	} else if (c->head_only) {
		request_end(c, NULL);
		stream_end(c);
		response_done(c);
	} else
		http_stream(c);
}

static void
http_landing(struct http_conn *c)
{
	struct agent	*a = c->l->agent;
	char		 page[1024];
	int		 n;

	n = snprintf(page, sizeof(page),
	    "<!DOCTYPE html>\n<html><head><title>%s</title></head>\n"
	    "<body><h1>%s %s</h1>\n"
	    "<p>Load balancer: %s</p>\n"
	    "<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n",
	    AGENT_NAME, AGENT_NAME, AGENT_VERSION,
	    agent_loadbalancer_id(a) ? agent_loadbalancer_id(a) : "unknown");
	http_respond(c, 200, "text/html; charset=utf-8", page, (size_t)n,
	    NULL);
}

static int
path_is(const struct http_request *req, const char *p)
{
	return req->path.len == strlen(p) &&
	    memcmp(req->path.s, p, req->path.len) == 0;
}

static void
http_route(struct http_conn *c, const struct http_request *req)
{
	struct agent	*a = c->l->agent;
	int		 known = path_is(req, "/metrics") || path_is(req, "/");
	int64_t		 timeout_ms;

	if (!known) {
		http_error(c, 404, NULL);
		return;
	}
	if (req->method == HTTP_METHOD_OTHER) {
		c->keep_alive = 0;	/* a body we will not read may follow */
		http_error(c, 405, "Allow: GET, HEAD\r\n");
		return;
	}
	if (path_is(req, "/")) {
		http_landing(c);
		return;
	}
	if (http_query_scopes(&req->query, &c->scopes) == -1) {
		http_error(c, 400, NULL);
		return;
	}
	c->coding = http_choose_coding(&req->accept_encoding);
	c->format = http_wants_openmetrics(&req->accept) ?
	    EXPO_OPENMETRICS : EXPO_TEXT;
	if (http_parse_timeout(&req->scrape_timeout, &timeout_ms) == 0)
		timeout_ms = TIMEOUT_MARGIN(timeout_ms);
	else
		timeout_ms = 0;
	log_debug("listener %s: /metrics%s%.*s as %s%s%s", c->l->conf.id,
	    req->query.len ? "?" : "", (int)req->query.len, req->query.s,
	    c->format == EXPO_OPENMETRICS ? "openmetrics" : "text",
	    c->coding != CODING_IDENTITY ? ", " : "",
	    c->coding != CODING_IDENTITY ? coding_names[c->coding] : "");
	c->busy = 1;
	bufferevent_disable(c->bev, EV_READ);
	scrape_request(&a->scraper, &c->waiter, timeout_ms);
}

static void
http_process(struct http_conn *c)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct http_request	 req;
	size_t			 len;
	const char		*p;
	int			 rc;

	c->in_process = 1;
	while (!c->busy && !c->streaming && !c->closing &&
	    (len = evbuffer_get_length(in)) > 0) {
		if (len > HTTP_MAX_HEAD)
			len = HTTP_MAX_HEAD;
		if ((p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len)) ==
		    NULL)
			break;
		rc = http_request_parse(p, len, &req);
		if (rc == HTTP_PARSE_INCOMPLETE) {
			/* the deadline runs from the head's first byte */
			if (c->waiting && !evtimer_pending(c->head_timer, NULL))
				waiting_begin(c, 1);
			break;
		}
		waiting_end(c);
		c->head_only = 0;
		if (rc != HTTP_PARSE_OK) {
			c->keep_alive = 0;
			request_begin(c, p, len, len, 1);
			c->term = "PR--";
			http_error(c, rc, NULL);
			break;
		}
		request_begin(c, p, len, req.head_len, 0);
		c->keep_alive = req.keep_alive && !req.has_body;
		c->minor = req.minor;
		c->head_only = req.method == HTTP_METHOD_HEAD;
		/* req points into the buffer: route before draining it */
		http_route(c, &req);
		evbuffer_drain(in, req.head_len);
	}
	c->in_process = 0;
	/* a scrape answered from a fresh snapshot came back in http_route */
	if (!c->busy && !c->streaming && !c->closing)
		bufferevent_enable(c->bev, EV_READ);
}

static void
http_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	http_process(arg);
}

static void
linger_read(struct bufferevent *bev, void *arg)
{
	struct http_conn	*c = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	size_t			 n = evbuffer_get_length(in);

	evbuffer_drain(in, n);
	if ((c->lingered += n) > LINGER_MAX)
		http_conn_free(c);
}

static void
linger_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;	/* its close, an error or the timeout: done */
	http_conn_free(arg);
}

/*
 * The response is out and the connection is to close. Closing a socket
 * with unread input makes the kernel send a reset, which destroys what
 * of the response is still on its way (a 405 to a POST whose body we
 * never read, a large answer to a slow client): unless the peer is done,
 * half-close and read what it still sends, for LINGER_MS at most.
 */
static void
http_finish(struct http_conn *c)
{
	struct timeval	 tv = timeval_from_ms(LINGER_MS);
	struct evbuffer	*in = bufferevent_get_input(c->bev);

	/* TLS: close_notify first, so the end of the body is authentic */
	if (c->ssl != NULL && !c->peer_done && !c->lingering) {
		(void)SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	if (c->peer_done || c->lingering ||
	    shutdown(bufferevent_getfd(c->bev), SHUT_WR) == -1) {
		http_conn_free(c);
		return;
	}
	c->lingering = 1;
	c->waiting = 0;
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_setcb(c->bev, linger_read, NULL, linger_event, c);
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	bufferevent_enable(c->bev, EV_READ);
	evtimer_add(c->head_timer, &tv);	/* a trickle cannot extend it */
}

static void
http_write(struct bufferevent *bev, void *arg)
{
	struct http_conn	*c = arg;

	if (c->streaming)
		http_stream(c);
	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		http_finish(c);
}

static void
http_event(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn	*c = arg;
	unsigned long		 e, first = 0;

	if (what & BEV_EVENT_CONNECTED) {	/* the TLS handshake is done */
		c->handshaken = 1;
		handshake_end(c);
		if ((c->tls_version = tls_version(c->ssl)) >= 0)
			c->l->tls_versions[c->tls_version]++;
		return;
	}
	if (c->ssl != NULL && !c->handshaken) {
		/*
		 * libevent queues SSL_get_error()'s code, then OpenSSL's
		 * errors, and hands them back last first: the cause is the
		 * earliest OpenSSL error (one with a library).
		 */
		while ((e = bufferevent_get_openssl_error(bev)) != 0)
			if (ERR_GET_LIB(e) != 0)
				first = e;
		/* the idle timeout, when shorter than timeout-http-request */
		tls_failed(c, (what & BEV_EVENT_TIMEOUT) ? EXPO_TLS_TIMEOUT :
		    tls_failure(c->ssl, first), first);
		return;
	}
	/* A client that half-closes after its request still gets the answer. */
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) &&
	    (c->busy || c->streaming ||
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0)) {
		c->keep_alive = 0;
		c->peer_done = 1;
		c->closing = !c->busy && !c->streaming;
		return;
	}
	http_conn_free(c);
}

/* c's bufferevent, in use from now: callbacks, watermark, timeouts. */
static int
conn_attach(struct http_conn *c, struct bufferevent *bev)
{
	struct timeval	 idle = timeval_from_ms(c->l->conf.idle_timeout_ms);

	c->bev = bev;
	if ((c->out_cb = evbuffer_add_cb(bufferevent_get_output(bev),
	    out_changed, c)) == NULL)
		return -1;
	bufferevent_setcb(bev, http_read, http_write, http_event, c);
	bufferevent_setwatermark(bev, EV_WRITE, OUT_LOW, 0);
	/* libevent writes 16 KiB a turn by default: 570 turns for 9 MB */
	bufferevent_set_max_single_write(bev, OUT_HIGH);
	bufferevent_set_timeouts(bev, &idle, &idle);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return 0;
}

/*
 * Closes the TLS handshake of scope (or of any listener when NULL) that
 * OpenSSL has had longest, to admit a new one; counted with reason.
 */
static void
handshake_evict(struct agent *a, const struct agent_listener *scope,
    enum expo_reject reason)
{
	struct agent_listener	*l;
	struct http_conn	*c, *oldest = NULL;
	struct timespec		 now;

	TAILQ_FOREACH(l, &a->listeners, entry) {
		if (scope != NULL && l != scope)
			continue;
		c = TAILQ_FIRST(&l->handshakes);
		if (c != NULL && (oldest == NULL || timespec_elapsed(
		    &c->hs_start, &oldest->hs_start) > 0))
			oldest = c;
	}
	if (oldest == NULL)
		return;
	/* one freed by an earlier call is off its list (handshake_end) */
	/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	oldest->l->rejected[reason]++;
	clock_now(&now);
	if (log_peer_allowed())
		log_info("listener %s: closed %s, its TLS handshake %.1f s "
		    "old, to admit another (%s)", oldest->l->conf.id,
		    oldest->peer, timespec_elapsed(&oldest->hs_start, &now),
		    expo_reject_names[reason]);
	http_conn_free(oldest);
}

/*
 * The ClientHello is whole, or OpenSSL is to say what came instead: the
 * connection is handed to OpenSSL, within the handshake caps.
 */
static void
tls_begin(struct http_conn *c)
{
	struct agent_listener	*l = c->l;
	struct agent		*a = l->agent;
	struct bufferevent	*bev = NULL;
	int			 fd = bufferevent_getfd(c->bev), one = 1;

	event_free(c->hello);
	c->hello = NULL;
	if (c->hello_need > 1)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one,
		    sizeof(one));
	if (l->nhandshakes >= l->conf.tls.handshake_limit)
		handshake_evict(a, l, EXPO_REJECT_HANDSHAKE_LIMIT);
	if (a->nhandshakes >= HANDSHAKES_MAX)
		handshake_evict(a, NULL, EXPO_REJECT_AGENT_HANDSHAKE_LIMIT);
	if ((c->ssl = tls_ssl_new(c->tls)) != NULL)
		bev = bufferevent_openssl_socket_new(a->base, fd, c->ssl,
		    BUFFEREVENT_SSL_ACCEPTING, 0);
	if (bev == NULL) {
		log_warnx("listener %s: out of memory for a TLS connection",
		    l->conf.id);
		ERR_clear_error();
		http_conn_free(c);
		return;
	}
	bufferevent_setfd(c->bev, -1);		/* the one not enabled */
	bufferevent_free(c->bev);
	c->bev = bev;
	/* a client may close without close_notify: EOF */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	if (conn_attach(c, bev) == -1) {
		log_warnx("listener %s: out of memory for a TLS connection",
		    l->conf.id);
		http_conn_free(c);
		return;
	}
	c->handshaking = 1;
	clock_now(&c->hs_start);
	TAILQ_INSERT_TAIL(&l->handshakes, c, hs_entry);
	l->nhandshakes++;
	a->nhandshakes++;
}

/*
 * What of the ClientHello has arrived, peeked: the connection waits in
 * the kernel (SO_RCVLOWAT: woken when the bytes it needs are there) until
 * it is whole, holding no TLS state. Woken with less, the peer closed its
 * side (or the kernel wants its buffer back: OpenSSL takes it then).
 */
static void
hello_read(evutil_socket_t fd, short ev, void *arg)
{
	static uint8_t		 buf[TLS_HELLO_WINDOW];	/* one loop */
	struct http_conn	*c = arg;
	struct pollfd		 pfd = { fd, POLLRDHUP, 0 };
	ssize_t			 n;
	size_t			 need;
	int			 lowat;

	(void)ev;
	if ((n = recv(fd, buf, sizeof(buf), MSG_PEEK)) == -1 &&
	    (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		tls_failed(c, EXPO_TLS_CLOSED, 0);
		return;
	}
	switch (tls_hello_scan(buf, (size_t)n, &need)) {
	case TLS_HELLO_MORE:
		if ((size_t)n < c->hello_need) {
			if (poll(&pfd, 1, 0) == 1 &&
			    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
				tls_failed(c, EXPO_TLS_CLOSED, 0);
				return;
			}
			break;
		}
		lowat = (int)need;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat,
		    sizeof(lowat)) == -1)
			break;
		c->hello_need = need;
		return;
	case TLS_HELLO_TOO_LARGE:
		tls_failed(c, EXPO_TLS_OVERSIZED_HELLO, 0);
		return;
	case TLS_HELLO_WHOLE:
	case TLS_HELLO_OTHER:
		break;
	}
	tls_begin(c);
}

/*
 * A new connection, fd accepted on l. A TLS one waits for its whole
 * ClientHello (hello_read) with a bufferevent that is not enabled, a
 * stand-in for the one OpenSSL will drive.
 */
void
http_conn_new(struct agent_listener *l, int fd, const struct sockaddr *sa)
{
	struct agent		*a = l->agent;
	struct http_conn	*c;
	int			 on = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("connection");
		close(fd);
		return;
	}
	sockaddr_text(sa, 0, c->peer_ip, sizeof(c->peer_ip));
	c->peer_port = ntohs(sa->sa_family == AF_INET6 ?
	    ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port :
	    ((const struct sockaddr_in *)(const void *)sa)->sin_port);
	(void)snprintf(c->peer, sizeof(c->peer), sa->sa_family == AF_INET6 ?
	    "[%s]:%u" : "%s:%u", c->peer_ip, c->peer_port);
	/* responses go out whole: do not wait for the client's ACK (Nagle) */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	c->l = l;
	c->tls_version = -1;
	c->hello_need = 1;
	if ((c->bev = bufferevent_socket_new(a->base, fd, 0)) == NULL ||
	    (c->head_timer = evtimer_new(a->base, http_head_expired,
	    c)) == NULL || (l->tls != NULL ? (c->hello = event_new(a->base,
	    fd, EV_READ | EV_PERSIST, hello_read, c)) == NULL ||
	    event_add(c->hello, NULL) == -1 : conn_attach(c, c->bev) == -1)) {
		log_warnx("listener %s: out of memory for a connection",
		    l->conf.id);
		if (c->hello != NULL)
			event_free(c->hello);
		if (c->head_timer != NULL)
			event_free(c->head_timer);
		if (c->out_cb != NULL)
			evbuffer_remove_cb_entry(bufferevent_get_output(c->bev),
			    c->out_cb);
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		close(fd);
		free(c);
		return;
	}
	if (l->tls != NULL) {
		c->tls = l->tls;
		tls_ctx_hold(c->tls);
	}
	c->keep_alive = 1;
	c->waiter.cb = http_scrape_done;
	c->waiter.arg = c;
	TAILQ_INSERT_TAIL(&l->conns, c, entry);
	l->nconns++;
	a->nconns++;
	waiting_begin(c, 1);
	/* no bufferevent timeout yet: the idle one too, when the shorter */
	if (c->hello != NULL &&
	    l->conf.idle_timeout_ms < l->conf.head_timeout_ms) {
		struct timeval	 idle = timeval_from_ms(l->conf.idle_timeout_ms);

		evtimer_add(c->head_timer, &idle);
	}
}
