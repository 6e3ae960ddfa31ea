/*
 * The stats-socket client: one "show info;show stat" over HAProxy's UNIX
 * socket, non-blocking, read to EOF within a time and size bound. A new
 * connection every query: HAProxy reloads replace the socket file. The
 * socket may be named by a pattern, looked for afresh at every query.
 *
 * What arrives is handed to the consumer as it comes, so parsing overlaps
 * HAProxy's writing and the answer is never held whole: the buffer keeps
 * only what the consumer could not use yet (an incomplete record).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "log.h"

static const char stats_command[] = "show info;show stat\n";
#define STATS_BUF_SIZE	(128u << 10)	/* twice the longest record */

struct stats_query {
	int		 fd;
	struct event	*io;
	struct event	*timer;
	size_t		 sent;
	char		*buf;
	size_t		 len;		/* unconsumed bytes in buf */
	size_t		 total;		/* bytes read in all */
	size_t		 max_bytes;
	stats_data_cb	 data;
	stats_done_cb	 done;
	void		*arg;
	char		 err[128];
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

void
stats_query_free(struct stats_query *q)
{
	if (q == NULL)
		return;
	if (q->io != NULL)
		event_free(q->io);
	if (q->timer != NULL)
		event_free(q->timer);
	if (q->fd != -1)
		close(q->fd);
	free(q->buf);
	free(q);
}

/* Ends the query: its last act, for done may free q. */
static void
stats_finish(struct stats_query *q, const char *err)
{
	if (q->io != NULL)	/* none when socket() failed */
		event_del(q->io);
	event_del(q->timer);
	q->done(err, q->arg);
}

static void
stats_fail(struct stats_query *q, const char *what, int saved)
{
	if (saved != 0)
		snprintf(q->err, sizeof(q->err), "%s: %s", what,
		    strerror(saved));
	else
		strlcpy(q->err, what, sizeof(q->err));
	stats_finish(q, q->err);
}

static void
stats_timeout(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	stats_fail(arg, "stats socket: timed out", 0);
}

static void
stats_refused(evutil_socket_t fd, short ev, void *arg)
{
	struct stats_query	*q = arg;

	(void)fd;
	(void)ev;
	stats_finish(q, q->err);
}

static void
stats_io(evutil_socket_t fd, short ev, void *arg)
{
	struct stats_query	*q = arg;
	const size_t		 cmdlen = sizeof(stats_command) - 1;
	ssize_t			 n;
	size_t			 used;

	if (q->sent < cmdlen) {
		n = write(fd, &stats_command[q->sent], cmdlen - q->sent);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			stats_fail(q, "stats socket: write", errno);
			return;
		}
		q->sent += (size_t)n;
		if (q->sent == cmdlen) {
			/* all said: now only read */
			event_del(q->io);
			event_assign(q->io, event_get_base(q->io), fd,
			    EV_READ | EV_PERSIST, stats_io, q);
			event_add(q->io, NULL);
		}
		return;
	}
	(void)ev;
	for (;;) {
		if (q->len == STATS_BUF_SIZE) {
			stats_fail(q, "stats socket: record too long", 0);
			return;
		}
		n = read(fd, q->buf + q->len, STATS_BUF_SIZE - q->len);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			stats_fail(q, "stats socket: read", errno);
			return;
		}
		if (n == 0) {
			stats_finish(q, NULL);
			return;
		}
		if ((q->total += (size_t)n) > q->max_bytes) {
			stats_fail(q, "stats socket: answer too large", 0);
			return;
		}
		q->len += (size_t)n;
		used = q->data(q->buf, q->len, q->arg);
		memmove(q->buf, q->buf + used, q->len - used);
		q->len -= used;
	}
}

int
stats_socket_is_pattern(const char *path)
{
	return strpbrk(path, "*?[") != NULL;
}

static int	 glob_errno;

static int
glob_error(const char *path, int error)
{
	(void)path;
	glob_errno = error;
	return 1;
}

/*
 * The one UNIX socket matching pattern, copied into found; -1 with the
 * reason in err when none or several do. At boot there is none until
 * Octavia configures the load balancer: that is a reason, not an error.
 */
static int
stats_socket_find(const char *pattern, char *found, size_t len, char *err,
    size_t errlen)
{
	struct stat	 st;
	glob_t		 g;
	const char	*first = NULL;
	size_t		 i, n = 0;
	int		 rc;

	glob_errno = 0;
	rc = glob(pattern, GLOB_ERR | GLOB_NOSORT, glob_error, &g);
	for (i = 0; rc == 0 && i < g.gl_pathc; i++) {
		if (stat(g.gl_pathv[i], &st) == -1 || !S_ISSOCK(st.st_mode))
			continue;
		if (n++ == 0)
			first = g.gl_pathv[i];
	}
	if (rc == GLOB_ABORTED && glob_errno != ENOENT)
		snprintf(err, errlen, "cannot search %s: %s", pattern,
		    strerror(glob_errno));
	else if (rc == GLOB_NOSPACE)
		snprintf(err, errlen, "cannot search %s: out of memory",
		    pattern);
	else if (n == 0)
		snprintf(err, errlen, "no HAProxy stats socket matches %s",
		    pattern);
	else if (n > 1)
		snprintf(err, errlen, "%zu HAProxy stats sockets match %s: "
		    "name one with -s or stats-socket", n, pattern);
	else if (strlcpy(found, first, len) >= len) {
		snprintf(err, errlen, "stats socket path too long: %s", first);
		n = 0;
	}
	globfree(&g);
	return rc == 0 && n == 1 ? 0 : -1;
}

const char *
stats_query_socket(const struct stats_query *q)
{
	return q->path;
}

struct stats_query *
stats_query_start(struct event_base *base, const char *path, int timeout_ms,
    size_t max_bytes, stats_data_cb data, stats_done_cb done, void *arg)
{
	struct stats_query	*q;
	struct sockaddr_un	 sun;
	struct timeval		 tv;
	ssize_t			 n;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->fd = -1;
	q->data = data;
	q->done = done;
	q->arg = arg;
	q->max_bytes = max_bytes;
	if ((q->buf = malloc(STATS_BUF_SIZE)) == NULL)
		goto fail;

	tv = timeval_from_ms(timeout_ms);
	if ((q->timer = evtimer_new(base, stats_timeout, q)) == NULL)
		goto fail;
	if ((q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		/* out of descriptors, most likely: a failed read, not OOM */
		snprintf(q->err, sizeof(q->err), "stats socket: socket: %s",
		    strerror(errno));
		goto report;
	}
	if ((q->io = event_new(base, q->fd, EV_WRITE | EV_PERSIST, stats_io,
	    q)) == NULL)
		goto fail;
	evtimer_add(q->timer, &tv);

	if (!stats_socket_is_pattern(path)) {
		if (strlcpy(q->path, path, sizeof(q->path)) >=
		    sizeof(q->path)) {
			errno = ENAMETOOLONG;
			goto refused;
		}
	} else if (stats_socket_find(path, q->path, sizeof(q->path), q->err,
	    sizeof(q->err)) == -1) {
		q->path[0] = '\0';
		goto report;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, q->path, sizeof(q->path));
	if (connect(q->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 &&
	    errno != EINPROGRESS)
		goto refused;
	/*
	 * A UNIX socket connects at once: say the command now rather than a
	 * loop turn later; what a full socket buffer did not take goes out
	 * on EV_WRITE, from where this left off.
	 */
	if ((n = write(q->fd, stats_command, sizeof(stats_command) - 1)) > 0)
		q->sent = (size_t)n;
	if (q->sent == sizeof(stats_command) - 1)
		event_assign(q->io, base, q->fd, EV_READ | EV_PERSIST, stats_io,
		    q);
	event_add(q->io, NULL);
	return q;

refused:
	snprintf(q->err, sizeof(q->err), "stats socket %s: %s",
	    q->path[0] != '\0' ? q->path : path, strerror(errno));
report:
	/* Report from the loop, as any other failure, not from here. */
	event_del(q->timer);
	event_assign(q->timer, base, -1, 0, stats_refused, q);
	event_active(q->timer, EV_TIMEOUT, 0);
	return q;
fail:
	stats_query_free(q);
	return NULL;
}
