/*
 * The access log's way out: datagrams to a syslog socket (/dev/log, or
 * the one Octavia's log offloading reads). Never blocks: a line the
 * socket cannot take now is dropped and counted, and a socket that is
 * gone (rsyslog restarting) is looked for again at most once a second.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

#define RETRY_SECONDS		1
#define REPORT_SECONDS		60	/* drops are logged this often */

static int
sink_open(struct access_sink *s, const char *path)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	time_t			 now = time(NULL);

	if (s->fd != -1 && strcmp(s->path, path) == 0)
		return 0;
	access_sink_close(s);
	if (now < s->retry_at)
		return -1;
	s->retry_at = now + RETRY_SECONDS;
	strlcpy(s->path, path, sizeof(s->path));
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd == -1)
		return -1;
	if (connect(s->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (s->reported_errno != errno)
			log_warn("access log: %s", path);
		s->reported_errno = errno;
		access_sink_close(s);
		return -1;
	}
	s->reported_errno = 0;
	return 0;
}

void
access_sink_send(struct access_sink *s, const char *path, const char *line,
    size_t len)
{
	time_t	 now;

	if (len == 0)
		return;
	if (sink_open(s, path) == 0 &&
	    send(s->fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) != -1)
		return;
	/* the reader went away: find it again next time */
	if (s->fd != -1 && errno != EAGAIN && errno != ENOBUFS)
		access_sink_close(s);
	s->dropped++;
	now = time(NULL);
	if (now - s->reported_at >= REPORT_SECONDS) {
		log_warnx("access log: %llu lines dropped so far (%s not "
		    "taking them)", (unsigned long long)s->dropped, path);
		s->reported_at = now;
	}
}

void
access_sink_close(struct access_sink *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}
