/*
 * The scraper protects HAProxy: at most one stats query in flight, scrapes
 * that arrive meanwhile wait for it and share its snapshot, and a snapshot
 * younger than min-scrape-interval is served again without a query.
 */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "metrics.h"

#define FAILURE_LOG_SECONDS	60	/* the same failure, logged again */

/*
 * A snapshot's rows take at most SNAP_MAX_MEM (64 MiB, about 100,000
 * listeners, pools and members, ten times Octavia's largest): a row
 * weighs ~660 bytes, more than its CSV, so a 64 MiB answer could hold
 * 145 MB of rows before this cap.
 */
#define SNAP_MAX_MEM	(64u << 20)

static const struct snapshot_limits snap_limits = {
	.max_record = 64 << 10,
	.max_mem = SNAP_MAX_MEM,
};

/*
 * Reads a small /proc file whole from an fd kept open (opened on first
 * use): /proc files read afresh from offset 0. Returns the length or -1.
 */
static ssize_t
read_proc(int *fd, const char *path, char *buf, size_t size)
{
	ssize_t	 n, total = 0;

	if (*fd == -1 && (*fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((size_t)total < size - 1) {
		n = pread(*fd, buf + total, size - 1 - (size_t)total, total);
		if (n <= 0)
			break;
		total += n;
	}
	buf[total] = '\0';
	return total;
}

void
scrape_init(struct scraper *s, struct agent *a)
{
	memset(s, 0, sizeof(*s));
	s->agent = a;
	s->stat_fd = s->meminfo_fd = -1;
	TAILQ_INIT(&s->waiters);
}

void
scrape_free(struct scraper *s)
{
	stats_query_free(s->inflight);
	s->inflight = NULL;
	snap_ref_drop(s->cur);
	s->cur = NULL;
	snap_ref_drop(s->next);
	s->next = NULL;
	if (s->stat_fd != -1)
		close(s->stat_fd);
	if (s->meminfo_fd != -1)
		close(s->meminfo_fd);
	s->stat_fd = s->meminfo_fd = -1;
}

/* The amphora's CPU and memory, read while HAProxy prepares its answer. */
static void
scrape_read_amphora(struct scraper *s, struct snap_ref *r)
{
	char			 buf[8192];
	ssize_t			 n;
	struct cpu_times	 now;

	r->cpu = NAN;
	r->memory = NAN;
	if ((n = read_proc(&s->stat_fd, "/proc/stat", buf, sizeof(buf))) > 0 &&
	    procstat_cpu_parse(buf, (size_t)n, &now) == 0) {
		r->cpu = procstat_cpu_busy(&s->cpu_prev, &now);
		s->cpu_prev = now;
	}
	if ((n = read_proc(&s->meminfo_fd, "/proc/meminfo", buf,
	    sizeof(buf))) > 0)
		r->memory = procstat_mem_used(buf, (size_t)n);
}

/*
 * Hands the snapshot of query number q (or err, when there is none) to
 * the waiters it serves. A callback may answer at once and its connection
 * ask again, which starts the next query and lets go of this snapshot:
 * hold it meanwhile, and leave those who queued for the next query to it.
 */
static void
scrape_deliver(struct scraper *s, uint64_t q, const char *err)
{
	struct scrape_waiter	*w;
	struct snap_ref		*ref = err == NULL ? s->cur : NULL;
	struct scrape_result	 r = { ref, err };

	if (ref != NULL)
		snap_ref_hold(ref);
	/* one at a time: a callback may cancel the next */
	while ((w = TAILQ_FIRST(&s->waiters)) != NULL && w->query <= q) {
		scrape_cancel(s, w);
		w->cb(&r, w->arg);
	}
	snap_ref_drop(ref);
}

static size_t
scrape_data(char *buf, size_t len, void *arg)
{
	struct scraper	*s = arg;

	return snapshot_feed(&s->next->snap, buf, len);
}

/*
 * Says where HAProxy is read from when that changes, a failure when it is
 * new or a minute old (scrapes come every few seconds, for hours at boot),
 * and the recovery; systemd's status line follows.
 */
static void
scrape_report(struct scraper *s, const struct snap_ref *r, const char *socket)
{
	if (socket[0] != '\0' && strcmp(socket, s->socket) != 0)
		log_info("stats socket %s, load balancer %s", socket,
		    s->loadbalancer_id[0] ? s->loadbalancer_id : "unknown");
	strlcpy(s->socket, socket, sizeof(s->socket));
	if (r->ok) {
		if (s->reported[0] != '\0' || s->queries == 1) {
			log_info("HAProxy read: %zu listeners, %zu pools, %zu "
			    "members", r->snap.rows[SCOPE_LISTENER].n,
			    r->snap.rows[SCOPE_POOL].n,
			    r->snap.rows[SCOPE_MEMBER].n);
			notify_status("HAProxy read from %s", socket);
		}
		s->reported[0] = '\0';
		return;
	}
	if (strcmp(s->reported, r->error) == 0 &&
	    timespec_elapsed(&s->reported_at, &r->taken) < FAILURE_LOG_SECONDS)
		return;
	if (strcmp(s->reported, r->error) != 0)
		notify_status("HAProxy not read: %s", r->error);
	log_warnx("HAProxy not read: %s", r->error);
	strlcpy(s->reported, r->error, sizeof(s->reported));
	s->reported_at = r->taken;
}

static void
scrape_done(const char *err, void *arg)
{
	struct scraper	*s = arg;
	struct snap_ref	*r = s->next;
	const char	*socket;

	s->next = NULL;
	clock_now(&r->taken);
	r->duration = timespec_elapsed(&s->inflight_start, &r->taken);
	if (err != NULL) {
		snapshot_finish(&r->snap);	/* frees what was parsed */
		strlcpy(r->error, err, sizeof(r->error));
	} else if (snapshot_finish(&r->snap) == -1)
		strlcpy(r->error, r->snap.error, sizeof(r->error));
	else {
		r->ok = 1;
		s->csv_errors += r->snap.malformed;
		if (r->snap.malformed > 0)
			log_warnx("stats socket: %zu malformed rows skipped",
			    r->snap.malformed);
	}
	socket = s->inflight != NULL ? stats_query_socket(s->inflight) : "";
	if (octavia_socket_loadbalancer_id(socket, s->loadbalancer_id) == -1)
		s->loadbalancer_id[0] = '\0';
	scrape_report(s, r, socket);
	if (r->ok)
		log_debug("snapshot: %zu listeners, %zu pools, %zu members "
		    "in %.1f ms", r->snap.rows[SCOPE_LISTENER].n,
		    r->snap.rows[SCOPE_POOL].n, r->snap.rows[SCOPE_MEMBER].n,
		    r->duration * 1e3);

	stats_query_free(s->inflight);
	s->inflight = NULL;
	snap_ref_drop(s->cur);
	s->cur = r;
	scrape_deliver(s, s->queries, NULL);
}

static void
scrape_start(struct scraper *s)
{
	const struct config	*c = &s->agent->conf;

	/*
	 * Nobody is served the old snapshot once a query is under way: let
	 * it go now, so two never sit in memory side by side for the
	 * scraper's sake (streams still reading it keep their reference).
	 */
	snap_ref_drop(s->cur);
	s->cur = NULL;
	if ((s->next = calloc(1, sizeof(*s->next))) == NULL) {
		log_warn("snapshot");
		scrape_deliver(s, ++s->queries, "out of memory");
		return;
	}
	s->next->refs = 1;
	snapshot_init(&s->next->snap, &snap_limits);
	clock_now(&s->inflight_start);
	s->queries++;
	s->inflight = stats_query_start(s->agent->base, c->stats_socket,
	    c->scrape_timeout_ms, STATS_MAX_RESPONSE, scrape_data, scrape_done,
	    s);
	scrape_read_amphora(s, s->next);
	if (s->inflight == NULL) {
		log_warn("stats query");
		scrape_done("out of memory", s);
	}
}

/* A waiter whose own deadline (shorter than scrape-timeout) passed. */
static void
scrape_waiter_expired(evutil_socket_t fd, short ev, void *arg)
{
	struct scrape_waiter	*w = arg;
	struct scrape_result	 r = { NULL,
	    "the client's scrape timeout passed first" };

	(void)fd;
	(void)ev;
	scrape_cancel(w->owner, w);
	log_debug("scrape: %s", r.error);
	w->cb(&r, w->arg);
}

/*
 * Hands w a snapshot: at once when the last one is young enough, else when
 * the query in flight (or a new one) ends. timeout_ms > 0 bounds the wait
 * for this waiter alone (X-Prometheus-Scrape-Timeout-Seconds).
 */
void
scrape_request(struct scraper *s, struct scrape_waiter *w, int64_t timeout_ms)
{
	struct scrape_result	 r = { s->cur, NULL };
	struct timespec		 now;
	struct timeval		 tv;

	clock_now(&now);
	if (s->inflight == NULL && s->cur != NULL &&
	    timespec_elapsed(&s->cur->taken, &now) * 1000 <
	    s->agent->conf.min_scrape_interval_ms) {
		w->cb(&r, w->arg);
		return;
	}
	TAILQ_INSERT_TAIL(&s->waiters, w, entry);
	w->queued = 1;
	w->owner = s;
	/* the query under way, or the one about to start */
	w->query = s->inflight != NULL ? s->queries : s->queries + 1;
	if (timeout_ms > 0 && timeout_ms < s->agent->conf.scrape_timeout_ms) {
		if (w->deadline == NULL)
			w->deadline = evtimer_new(s->agent->base,
			    scrape_waiter_expired, w);
		tv = timeval_from_ms(timeout_ms);
		if (w->deadline != NULL)
			evtimer_add(w->deadline, &tv);
	}
	if (s->inflight == NULL)
		scrape_start(s);
}

void
scrape_cancel(struct scraper *s, struct scrape_waiter *w)
{
	if (w->queued) {
		TAILQ_REMOVE(&s->waiters, w, entry);
		w->queued = 0;
	}
	if (w->deadline != NULL)
		evtimer_del(w->deadline);
}
