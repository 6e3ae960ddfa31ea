/*
 * systemd's service notification protocol, sd_notify(3): "KEY=VALUE" lines
 * in one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET. That is
 * one sendto(2), so it is written here rather than linking libsystemd: the
 * agent stays a program of libevent and libbsd, and runs the same under
 * systemd, a shell or a container. Without $NOTIFY_SOCKET every call is a
 * no-op.
 *
 * The unit is Type=notify: READY=1 once the listeners are bound,
 * RELOADING=1 and READY=1 around a SIGHUP, STOPPING=1 on SIGTERM, and
 * WATCHDOG=1 from the event loop at half of WatchdogSec=, so a loop that
 * stops turning is restarted.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "decimal.h"
#include "log.h"

#define NOTIFY_MSG_MAX	512

static int			 notify_fd = -1;
static struct sockaddr_un	 notify_addr;
static socklen_t		 notify_addrlen;
static struct event		*watchdog_ev;

/*
 * Opens the socket named by $NOTIFY_SOCKET: a path, or "@name" in the
 * abstract namespace. Called before entering a network namespace, as an
 * abstract name is looked up in the namespace the socket was made in.
 */
void
notify_open(void)
{
	const char	*name = getenv("NOTIFY_SOCKET");
	size_t		 len;

	if (name == NULL || name[0] == '\0')
		return;
	len = strlen(name);
	if ((name[0] != '/' && name[0] != '@') ||
	    len >= sizeof(notify_addr.sun_path)) {
		log_warnx("NOTIFY_SOCKET: not a socket path: %s", name);
		return;
	}
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, name, len);
	if (name[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    len);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (notify_fd == -1)
		log_warn("NOTIFY_SOCKET: socket");
}

static void
notify_send(const char *msg)
{
	if (notify_fd == -1)
		return;
	if (sendto(notify_fd, msg, strlen(msg), MSG_NOSIGNAL,
	    (struct sockaddr *)&notify_addr, notify_addrlen) == -1)
		log_warn("NOTIFY_SOCKET: cannot tell systemd \"%.*s\"",
		    (int)strcspn(msg, "\n"), msg);
}

static void __attribute__((format(printf, 2, 0)))
notify_sendv(const char *head, const char *fmt, va_list ap)
{
	char	 msg[NOTIFY_MSG_MAX];
	int	 n;

	if (notify_fd == -1)
		return;
	n = snprintf(msg, sizeof(msg), "%sSTATUS=", head);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return;
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	/* one line: STATUS ends at a newline */
	msg[n + (int)strcspn(msg + n, "\n")] = '\0';
	notify_send(msg);
}

void
notify_ready(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	notify_sendv("READY=1\n", fmt, ap);
	va_end(ap);
}

void
notify_status(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	notify_sendv("", fmt, ap);
	va_end(ap);
}

/* MONOTONIC_USEC tells systemd 253 and later which reload this is. */
void
notify_reloading(void)
{
	struct timespec	 ts;
	char		 msg[80];

	if (notify_fd == -1)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
	notify_send(msg);
}

void
notify_stopping(void)
{
	notify_send("STOPPING=1");
}

static void
notify_watchdog(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	notify_send("WATCHDOG=1");
}

/*
 * With WatchdogSec= systemd sets WATCHDOG_USEC (and WATCHDOG_PID, which
 * must be ours): a keep-alive from the loop every half of it.
 */
void
notify_watchdog_start(struct event_base *base)
{
	const char	*usec_s = getenv("WATCHDOG_USEC");
	const char	*pid_s = getenv("WATCHDOG_PID");
	uint64_t	 usec, pid;
	struct timeval	 tv;

	if (notify_fd == -1 || usec_s == NULL)
		return;
	if (pid_s != NULL && (dec_u64_str(pid_s, INT32_MAX, &pid) == -1 ||
	    pid != (uint64_t)getpid()))
		return;
	if (dec_u64_str(usec_s, 24ULL * 3600 * 1000000, &usec) == -1 ||
	    usec < 2000) {
		log_warnx("WATCHDOG_USEC: not 2000 to 86400000000: %s",
		    usec_s);
		return;
	}
	/* every half of it, in milliseconds */
	tv = timeval_from_ms((int64_t)(usec / 2000));
	watchdog_ev = event_new(base, -1, EV_PERSIST, notify_watchdog, NULL);
	if (watchdog_ev == NULL || event_add(watchdog_ev, &tv) == -1)
		fatalx("cannot start the watchdog timer");
	notify_send("WATCHDOG=1");
	log_debug("systemd watchdog: every %llu ms",
	    (unsigned long long)(usec / 2000));
}

void
notify_close(void)
{
	if (watchdog_ev != NULL)
		event_free(watchdog_ev);
	watchdog_ev = NULL;
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
}
