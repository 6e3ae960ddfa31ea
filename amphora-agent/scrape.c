/*
 * The scraper protects HAProxy: at most one stats query in flight, scrapes
 * that arrive meanwhile wait for it and share its snapshot, and a snapshot
 * younger than min-scrape-interval is served again without a query.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "ipvsmap.h"
#include "log.h"
#include "metrics.h"

#define FAILURE_LOG_SECONDS	60	/* the same failure, logged again */
#define LVS_MAX_LISTENERS	256	/* UDP and SCTP listeners read */
#define LVS_PREFIX		"octavia-keepalivedlvs-"

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
	s->ipvs_up = -1;
	TAILQ_INIT(&s->waiters);
}

static void
lvs_clear(struct lvs_set *set)
{
	size_t	 i;

	for (i = 0; i < set->n; i++)
		lvsconf_free(&set->l[i]);
	free(set->l);
	set->l = NULL;
	set->n = 0;
}

static int
is_lvs_conf(const char *name)
{
	size_t	 n = strlen(name);

	return strncmp(name, LVS_PREFIX, sizeof(LVS_PREFIX) - 1) == 0 &&
	    n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

/* What the directory holds now, as a number that changes with it. */
static uint64_t
lvs_signature(DIR *d, int dfd)
{
	struct dirent	*e;
	struct stat	 st;
	uint64_t	 h = 1469598103934665603ULL, x;
	const char	*c;

	while ((e = readdir(d)) != NULL) {
		if (!is_lvs_conf(e->d_name) ||
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		x = 0;
		for (c = e->d_name; *c != '\0'; c++)
			x = (x ^ (uint8_t)*c) * 1099511628211ULL;
		x ^= (uint64_t)st.st_size * 31 + (uint64_t)st.st_mtim.tv_sec *
		    1000000007ULL + (uint64_t)st.st_mtim.tv_nsec;
		h += x * 0x9e3779b97f4a7c15ULL;	/* order does not matter */
	}
	rewinddir(d);
	return h;
}

/* One config into set; a bad one is logged and left out. */
static void
lvs_read(struct lvs_set *set, int dfd, const char *name)
{
	char		 err[256], *text;
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	if (set->n == LVS_MAX_LISTENERS)
		return;
	/*
	 * Octavia writes regular files. Anything else named like one must
	 * not stop the loop: a FIFO would block open() without O_NONBLOCK
	 * (and read() without the S_ISREG check); a link is not followed.
	 */
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	if (fd == -1 || fstat(fd, &st) == -1) {
		log_warnx("keepalived config %s: %s", name, strerror(errno));
		if (fd != -1)
			close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > LVS_MAX_FILE) {
		log_warnx("keepalived config %s: %s", name,
		    S_ISREG(st.st_mode) ? "too large" : "not a regular file");
		close(fd);
		return;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return;
	}
	n = read(fd, text, (size_t)st.st_size);
	close(fd);
	if (n < 0 || lvsconf_parse(&set->l[set->n], name, text, (size_t)n,
	    err, sizeof(err)) == -1) {
		log_warnx("keepalived config %s", n < 0 ? strerror(errno) : err);
		lvsconf_free(&set->l[set->n]);
	} else
		set->n++;
	free(text);
}

/*
 * Reads Octavia's keepalived configs again when they changed: a new UDP
 * listener, one removed, a member added. No directory: none.
 */
static void
lvs_refresh(struct scraper *s)
{
	struct lvs_set	*set = &s->lvs;
	struct dirent	*e;
	uint64_t	 sig;
	DIR		*d;

	if ((d = opendir(s->agent->conf.keepalived_dir)) == NULL) {
		lvs_clear(set);
		set->signature = 0;
		return;
	}
	if ((sig = lvs_signature(d, dirfd(d))) == set->signature) {
		closedir(d);
		return;
	}
	lvs_clear(set);
	set->signature = sig;
	if ((set->l = calloc(LVS_MAX_LISTENERS, sizeof(*set->l))) == NULL) {
		set->signature = 0;
		closedir(d);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (is_lvs_conf(e->d_name))
			lvs_read(set, dirfd(d), e->d_name);
	closedir(d);
	log_info("keepalived configs: %zu UDP or SCTP listeners in %s",
	    set->n, s->agent->conf.keepalived_dir);
}

/*
 * Where HAProxy's configuration is: haproxy-config, else beside the socket
 * as Octavia puts it (/var/lib/octavia/<lb>.sock, <lb>/haproxy.cfg). The
 * socket is the last query's, else the configured one when it names one.
 */
static int
hcfg_path(const struct scraper *s, char *path, size_t size)
{
	const char	*sock = s->socket[0] != '\0' ? s->socket :
			    s->agent->conf.stats_socket;
	char		 id[OCTAVIA_UUID_LEN + 1];
	int		 n;

	if (s->agent->conf.haproxy_config[0] != '\0')
		return strlcpy(path, s->agent->conf.haproxy_config, size) <
		    size ? 0 : -1;
	if (strchr(sock, '*') != NULL ||
	    octavia_socket_loadbalancer_id(sock, id) == -1)
		return -1;
	n = snprintf(path, size, "%.*s%s/haproxy.cfg",
	    (int)(strlen(sock) - strlen(id) - sizeof(".sock") + 1), sock, id);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * HAProxy's configuration, read again when its file changes (its name,
 * inode, size, time): what says which listeners terminate TLS and which
 * members are reached over it. Unreadable: those counters are not served,
 * and why is logged once per change. 1 when it was read again.
 */
static int
hcfg_refresh(struct scraper *s)
{
	const struct hcfg_proxy	*p;
	struct stat		 st;
	const char		*why;
	char			 path[512], *text;
	uint64_t		 sig = 0;
	size_t			 len, i, tls = 0, members = 0;

	/* the entry itself: a link put in its place is a change */
	if (hcfg_path(s, path, sizeof(path)) == 0 && lstat(path, &st) == 0) {
		for (i = 0; path[i] != '\0'; i++)
			sig = (sig ^ (uint8_t)path[i]) * 1099511628211ULL;
		sig = (sig ^ opener_file_mark(&st)) | 1;	/* 0: none */
	}
	if (sig == s->hcfg_sig)
		return 0;
	s->hcfg_sig = sig;
	hcfg_free(&s->hcfg);
	s->hcfg_ok = 0;
	if (sig == 0)
		return 1;
	if ((text = opener_read(&s->agent->opener, path, HCFG_TEXT_MAX, &len,
	    &st, &why)) == NULL) {
		log_warnx("HAProxy configuration %s: %s: the TLS counters of "
		    "listeners, pools and members are not served", path, why);
		return 1;
	}
	if (hcfg_parse(&s->hcfg, text, len) == -1) {
		log_warnx("HAProxy configuration %s: too large or out of "
		    "memory", path);
		return 1;
	}
	s->hcfg_ok = 1;
	for (i = 0; i < s->hcfg.nproxies; i++) {
		p = &s->hcfg.proxy[i];
		if ((p->sides & HCFG_FRONTEND) && p->tls)
			tls++;
		if (p->sides & HCFG_BACKEND)
			for (len = 0; len < p->nservers; len++)
				members += s->hcfg.server[p->first + len].tls;
	}
	log_info("HAProxy configuration %s: %zu TLS listeners, %zu members "
	    "over TLS", path, tls, members);
	return 1;
}

void
scrape_free(struct scraper *s)
{
	stats_query_free(s->inflight);
	s->inflight = NULL;
	lvs_clear(&s->lvs);
	hcfg_free(&s->hcfg);
	s->hcfg_ok = 0;
	s->hcfg_sig = 0;
	hcerts_free(&s->hcerts);
	if (s->stale != NULL)
		event_free(s->stale);
	s->stale = NULL;
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
	if (r->haproxy_ok) {
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

/* The last read is too old to serve a new response: its coded heads go. */
static void
scrape_stale(evutil_socket_t fd, short ev, void *arg)
{
	struct scraper	*s = arg;

	(void)fd;
	(void)ev;
	snap_ref_stale(s->cur);
}

/*
 * The read is whole once HAProxy and IPVS (when Octavia has UDP or SCTP
 * listeners) have both answered or failed: IPVS rows join HAProxy's, or
 * stand alone when HAProxy could not be read.
 */
static void
scrape_complete(struct scraper *s)
{
	struct snap_ref	*r = s->next;
	const char	*why = s->ipvs_error;

	if (s->starting || s->waiting_haproxy || s->waiting_ipvs)
		return;
	s->next = NULL;
	s->ipvs_up = -1;
	if (s->lvs.n > 0) {
		if (why == NULL) {
			if (!r->haproxy_ok)	/* a snapshot for IPVS alone */
				snapshot_init(&r->snap, &snap_limits);
			if (ipvs_map(&r->snap, s->lvs.l, s->lvs.n,
			    s->agent->ipvs.entries, s->agent->ipvs.nentries) == 0)
				r->ok = 1;
			else
				why = "IPVS: more rows than the agent keeps";
		}
		s->ipvs_up = why == NULL;
		if (why != NULL && strcmp(why, s->ipvs_reported) != 0)
			log_warnx("IPVS not read: %s", why);
		else if (why == NULL && s->ipvs_reported[0] != '\0')
			log_info("IPVS read: %zu services",
			    s->agent->ipvs.nentries);
		strlcpy(s->ipvs_reported, why != NULL ? why : "",
		    sizeof(s->ipvs_reported));
	}
	s->busy = 0;
	snap_ref_release(s->cur, s->agent);
	s->cur = r;
	if (s->stale == NULL)
		s->stale = evtimer_new(s->agent->base, scrape_stale, s);
	if (s->stale != NULL) {
		struct timeval	 tv = timeval_from_ms(
		    s->agent->conf.min_scrape_interval_ms);

		evtimer_add(s->stale, &tv);
	}
	scrape_deliver(s, s->queries, NULL);
}

static void
scrape_done(const char *err, void *arg)
{
	struct scraper	*s = arg;
	struct snap_ref	*r = s->next;
	const char	*socket;

	clock_now(&r->taken);
	r->duration = timespec_elapsed(&s->inflight_start, &r->taken);
	if (err != NULL) {
		snapshot_finish(&r->snap);	/* frees what was parsed */
		strlcpy(r->error, err, sizeof(r->error));
	} else if (snapshot_finish(&r->snap) == -1)
		strlcpy(r->error, r->snap.error, sizeof(r->error));
	else {
		r->ok = r->haproxy_ok = 1;
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
	s->waiting_haproxy = 0;
	scrape_complete(s);
}

static void
scrape_ipvs_done(const char *err, void *arg)
{
	struct scraper	*s = arg;

	/* the reader's words live until the next query: keep a copy */
	s->ipvs_error = NULL;
	if (err != NULL) {
		strlcpy(s->ipvs_why, err, sizeof(s->ipvs_why));
		s->ipvs_error = s->ipvs_why;
	}
	s->waiting_ipvs = 0;
	scrape_complete(s);
}

static void
scrape_start(struct scraper *s)
{
	const struct config	*c = &s->agent->conf;
	int			 read;

	/*
	 * Nobody is served the old snapshot once a query is under way: let
	 * it go now, so two never sit in memory side by side for the
	 * scraper's sake (streams still reading it keep their reference,
	 * and its memory is charged to the output budget meanwhile).
	 */
	snap_ref_release(s->cur, s->agent);
	s->cur = NULL;
	if ((s->next = calloc(1, sizeof(*s->next))) == NULL) {
		log_warn("snapshot");
		scrape_deliver(s, ++s->queries, "out of memory");
		return;
	}
	s->next->refs = 1;
	snapshot_init(&s->next->snap, &snap_limits);
	read = hcfg_refresh(s);
	s->next->snap.cfg = s->hcfg_ok ? &s->hcfg : NULL;
	hcerts_refresh(&s->hcerts, s->next->snap.cfg, read, &s->agent->opener);
	clock_now(&s->inflight_start);
	s->queries++;
	s->busy = s->starting = s->waiting_haproxy = 1;
	s->inflight = stats_query_start(s->agent->base, c->stats_socket,
	    c->scrape_timeout_ms, STATS_MAX_RESPONSE, scrape_data, scrape_done,
	    s);
	scrape_read_amphora(s, s->next);
	if (s->inflight == NULL) {
		log_warn("stats query");
		scrape_done("out of memory", s);
	}
	/* IPVS beside HAProxy, when Octavia has UDP or SCTP listeners */
	lvs_refresh(s);
	s->ipvs_error = NULL;
	if (s->lvs.n > 0) {
		s->waiting_ipvs = 1;
		if (ipvs_query(&s->agent->ipvs, s->agent->base,
		    c->scrape_timeout_ms, scrape_ipvs_done, s) == -1) {
			s->waiting_ipvs = 0;
			s->ipvs_error = "a read of IPVS is still under way";
		}
	}
	s->starting = 0;
	scrape_complete(s);
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
	if (!s->busy && s->cur != NULL &&
	    timespec_elapsed(&s->cur->taken, &now) * 1000 <
	    s->agent->conf.min_scrape_interval_ms) {
		w->cb(&r, w->arg);
		return;
	}
	TAILQ_INSERT_TAIL(&s->waiters, w, entry);
	w->queued = 1;
	w->owner = s;
	/* the query under way, or the one about to start */
	w->query = s->busy ? s->queries : s->queries + 1;
	if (timeout_ms > 0 && timeout_ms < s->agent->conf.scrape_timeout_ms) {
		if (w->deadline == NULL)
			w->deadline = evtimer_new(s->agent->base,
			    scrape_waiter_expired, w);
		tv = timeval_from_ms(timeout_ms);
		if (w->deadline != NULL)
			evtimer_add(w->deadline, &tv);
	}
	if (!s->busy)
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
