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

static const struct snapshot_limits snap_limits = {
	.max_record = 64 << 10,
	.max_rows = 1000000,
};

void
clock_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

double
timespec_elapsed(const struct timespec *from, const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) +
	    (double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

/* Reads a small /proc file whole; returns its length or -1. */
static ssize_t
read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t	 n, total = 0;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - (size_t)total);
		if (n <= 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

static void
scrape_read_amphora(struct scraper *s)
{
	char			 buf[8192];
	ssize_t			 n;
	struct cpu_times	 now;

	s->cpu = NAN;
	s->memory = NAN;
	if ((n = read_small_file("/proc/stat", buf, sizeof(buf))) > 0 &&
	    procstat_cpu_parse(buf, (size_t)n, &now) == 0) {
		s->cpu = procstat_cpu_busy(&s->cpu_prev, &now);
		s->cpu_prev = now;
	}
	if ((n = read_small_file("/proc/meminfo", buf, sizeof(buf))) > 0)
		s->memory = procstat_mem_used(buf, (size_t)n);
}

void
scrape_init(struct scraper *s, struct agent *a)
{
	memset(s, 0, sizeof(*s));
	s->agent = a;
	TAILQ_INIT(&s->waiters);
	snapshot_init(&s->snap, &snap_limits);
	s->cpu = s->memory = NAN;
}

void
scrape_free(struct scraper *s)
{
	stats_query_free(s->inflight);
	s->inflight = NULL;
	snapshot_free(&s->snap);
}

static void
scrape_result_fill(struct scraper *s, struct scrape_result *r)
{
	struct timespec	 now;

	clock_now(&now);
	r->snap = s->ok ? &s->snap : NULL;
	r->duration = s->duration;
	r->age = timespec_elapsed(&s->taken, &now);
	r->error = s->ok ? NULL : s->error;
}

static void
scrape_deliver(struct scraper *s)
{
	struct scrape_waiter	*w;
	struct scrape_result	 r;

	/* a callback may queue or cancel others: take one at a time */
	while ((w = TAILQ_FIRST(&s->waiters)) != NULL) {
		scrape_cancel(s, w);
		scrape_result_fill(s, &r);
		w->cb(&r, w->arg);
	}
}

static void
scrape_done(struct wbuf *resp, const char *err, void *arg)
{
	struct scraper	*s = arg;
	struct timespec	 now;

	clock_now(&now);
	s->duration = timespec_elapsed(&s->inflight_start, &now);
	snapshot_free(&s->snap);
	snapshot_init(&s->snap, &snap_limits);
	s->ok = 0;
	if (err != NULL)
		strlcpy(s->errbuf, err, sizeof(s->errbuf));
	else if (snapshot_parse(&s->snap, resp->data, resp->len) == -1)
		strlcpy(s->errbuf, s->snap.error, sizeof(s->errbuf));
	else {
		s->ok = 1;
		s->csv_errors += s->snap.malformed;
		if (s->snap.malformed > 0)
			log_warnx("stats socket: %zu malformed rows skipped",
			    s->snap.malformed);
	}
	if (!s->ok) {
		snapshot_free(&s->snap);
		s->error = s->errbuf;
		log_debug("HAProxy not read: %s", s->errbuf);
	} else
		log_debug("snapshot: %zu listeners, %zu pools, %zu members "
		    "in %.1f ms", s->snap.rows[SCOPE_LISTENER].n,
		    s->snap.rows[SCOPE_POOL].n, s->snap.rows[SCOPE_MEMBER].n,
		    s->duration * 1e3);
	scrape_read_amphora(s);
	s->have = 1;
	s->taken = now;

	stats_query_free(s->inflight);
	s->inflight = NULL;
	scrape_deliver(s);
}

static void
scrape_start(struct scraper *s)
{
	const struct config	*c = &s->agent->conf;

	clock_now(&s->inflight_start);
	s->queries++;
	s->inflight = stats_query_start(s->agent->base, c->stats_socket,
	    c->scrape_timeout_ms, STATS_MAX_RESPONSE, scrape_done, s);
	if (s->inflight == NULL) {
		log_warn("stats query");
		scrape_done(NULL, "out of memory", s);
	}
}

/* A waiter whose own deadline (shorter than scrape-timeout) passed. */
static void
scrape_waiter_expired(evutil_socket_t fd, short ev, void *arg)
{
	struct scrape_waiter	*w = arg;
	struct scraper		*s = w->owner;
	struct scrape_result	 r;

	(void)fd;
	(void)ev;
	scrape_cancel(s, w);
	memset(&r, 0, sizeof(r));
	r.error = "the client's scrape timeout passed first";
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
	struct scrape_result	 r;
	struct timespec		 now;
	struct timeval		 tv;

	clock_now(&now);
	if (s->inflight == NULL && s->have &&
	    timespec_elapsed(&s->taken, &now) * 1000 <
	    s->agent->conf.min_scrape_interval_ms) {
		scrape_result_fill(s, &r);
		w->cb(&r, w->arg);
		return;
	}
	TAILQ_INSERT_TAIL(&s->waiters, w, entry);
	w->queued = 1;
	w->owner = s;
	if (timeout_ms > 0 && timeout_ms < s->agent->conf.scrape_timeout_ms) {
		if (w->deadline == NULL)
			w->deadline = evtimer_new(s->agent->base,
			    scrape_waiter_expired, w);
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
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

void
agent_render(struct agent *a, const struct scrape_result *r, unsigned scopes,
    enum expo_format format, struct wbuf *out)
{
	struct expo_denied	*denied;
	struct expo_agent	 ea;
	struct agent_listener	*l;
	size_t			 i;

	memset(&ea, 0, sizeof(ea));
	ea.haproxy_up = r->snap != NULL;
	ea.scrape_duration = r->duration;
	ea.snapshot_age = r->age;
	ea.socket_queries = a->scraper.queries;
	ea.csv_errors = a->scraper.csv_errors;
	ea.version = AGENT_VERSION;
	ea.loadbalancer_id = a->conf.loadbalancer_id;
	ea.cpu = a->scraper.cpu;
	ea.memory = a->scraper.memory;
	if ((denied = calloc(a->nlisteners, sizeof(*denied))) != NULL) {
		i = 0;
		TAILQ_FOREACH(l, &a->listeners, entry) {
			denied[i].listener = l->conf.id;
			denied[i++].count = l->denied;
		}
		ea.denied = denied;
		ea.ndenied = i;
	}
	expo_render(out, r->snap, &ea, scopes, format);
	free(denied);
}
