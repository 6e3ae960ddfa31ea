/*
 * The stats-socket client: one "show info;show stat" over HAProxy's UNIX
 * socket, non-blocking, read to EOF within a time and size bound. A new
 * connection every query: HAProxy reloads replace the socket file.
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
#define STATS_READ_CHUNK	(64u << 10)

struct stats_query {
	int		 fd;
	struct event	*io;
	struct event	*timer;
	size_t		 sent;
	struct wbuf	 resp;
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
	wbuf_free(&q->resp);
	free(q);
}

/* Ends the query: the callback owns nothing; q is freed after it returns. */
static void
stats_finish(struct stats_query *q, const char *err)
{
	event_del(q->io);
	event_del(q->timer);
	if (err != NULL)
		q->done(NULL, err, q->arg);
	else
		q->done(&q->resp, NULL, q->arg);
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
		/* one byte spare for the NUL the parser wants */
		if (wbuf_reserve(&q->resp, STATS_READ_CHUNK + 1) == -1) {
			stats_fail(q, "stats socket: answer too large", 0);
			return;
		}
		n = read(fd, q->resp.data + q->resp.len,
		    q->resp.cap - q->resp.len - 1);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			stats_fail(q, "stats socket: read", errno);
			return;
		}
		if (n == 0) {
			q->resp.data[q->resp.len] = '\0';
			stats_finish(q, NULL);
			return;
		}
		q->resp.len += (size_t)n;
	}
}

struct stats_query *
stats_query_start(struct event_base *base, const char *path, int timeout_ms,
    size_t max_bytes, stats_done_cb done, void *arg)
{
	struct stats_query	*q;
	struct sockaddr_un	 sun;
	struct timeval		 tv;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->fd = -1;
	q->done = done;
	q->arg = arg;
	wbuf_init(&q->resp, max_bytes + 1);

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
