/*
 * The stats-socket client: one "show info;show stat" over HAProxy's UNIX
 * socket, non-blocking, read to EOF within a time and size bound. A new
 * connection every query: HAProxy reloads replace the socket file.
 *
 * What arrives is handed to the consumer as it comes, so parsing overlaps
 * HAProxy's writing and the answer is never held whole: the buffer keeps
 * only what the consumer could not use yet (an incomplete record).
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
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

/* Ends the query: the callback owns nothing; q is freed after it returns. */
static void
stats_finish(struct stats_query *q, const char *err)
{
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

struct stats_query *
stats_query_start(struct event_base *base, const char *path, int timeout_ms,
    size_t max_bytes, stats_data_cb data, stats_done_cb done, void *arg)
{
	struct stats_query	*q;
	struct sockaddr_un	 sun;
	struct timeval		 tv;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->fd = -1;
	q->data = data;
	q->done = done;
	q->arg = arg;
	q->max_bytes = max_bytes;
	if ((q->buf = malloc(STATS_BUF_SIZE)) == NULL)
		goto fail;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if ((q->timer = evtimer_new(base, stats_timeout, q)) == NULL)
		goto fail;
	if ((q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		goto fail;
	if ((q->io = event_new(base, q->fd, EV_WRITE | EV_PERSIST, stats_io,
	    q)) == NULL)
		goto fail;
	evtimer_add(q->timer, &tv);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		goto refused;
	}
	if (connect(q->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 &&
	    errno != EINPROGRESS)
		goto refused;
	/*
	 * A UNIX socket connects at once: say the command now rather than a
	 * loop turn later; only a full socket buffer waits for EV_WRITE.
	 */
	if (write(q->fd, stats_command, sizeof(stats_command) - 1) ==
	    (ssize_t)sizeof(stats_command) - 1) {
		q->sent = sizeof(stats_command) - 1;
		event_assign(q->io, base, q->fd, EV_READ | EV_PERSIST, stats_io,
		    q);
	}
	event_add(q->io, NULL);
	return q;

refused:
	/* Report from the loop, as any other failure, not from here. */
	snprintf(q->err, sizeof(q->err), "stats socket %s: %s", path,
	    strerror(errno));
	event_del(q->timer);
	event_assign(q->timer, base, -1, 0, stats_refused, q);
	event_active(q->timer, EV_TIMEOUT, 0);
	return q;
fail:
	stats_query_free(q);
	return NULL;
}
