/*
 * Listening sockets. allowed_cidrs is enforced here, in the accept
 * callback, before one byte is read: a refused peer is closed at once,
 * counted, and logged at a bounded rate.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/listener.h>

#include "agent.h"
#include "log.h"

#define LISTEN_BACKLOG		128
#define DENY_LOG_PER_SECOND	5

static void
peer_text(const struct sockaddr *sa, char *dst, size_t len)
{
	const void	*a;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (inet_ntop(sa->sa_family, a, dst, (socklen_t)len) == NULL)
		strlcpy(dst, "?", len);
}

/* At most DENY_LOG_PER_SECOND refusals logged a second, agent-wide. */
static int
deny_log_allowed(void)
{
	static time_t	 window;
	static int	 count;
	time_t		 now = time(NULL);

	if (now != window) {
		window = now;
		count = 0;
	}
	return count++ < DENY_LOG_PER_SECOND;
}

static void
listener_accept(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct listen_sock	*ls = arg;
	struct agent_listener	*l = ls->owner;
	char			 peer[64];

	(void)evl;
	if (!cidr_list_allows(l->conf.cidrs, l->conf.ncidrs, sa)) {
		close(fd);
		l->denied++;
		if (deny_log_allowed()) {
			peer_text(sa, peer, sizeof(peer));
			log_info("listener %s: refused %s: not in allowed "
			    "cidrs", l->conf.id, peer);
		}
		return;
	}
	if ((l->conf.connection_limit >= 0 &&
	    l->nconns >= (size_t)l->conf.connection_limit) ||
	    l->agent->nconns >= l->agent->max_conns) {
		close(fd);
		return;
	}
	http_conn_new(l, fd, sa, socklen);
}

static void
listener_resume(evutil_socket_t fd, short ev, void *arg)
{
	struct listen_sock	*ls = arg;

	(void)fd;
	(void)ev;
	evconnlistener_enable(ls->evl);
}

static void
listener_error(struct evconnlistener *evl, void *arg)
{
	struct listen_sock	*ls = arg;
	struct timeval		 tv = { 1, 0 };
	int			 saved = errno;

	log_warn("listener %s: accept on %s", ls->owner->conf.id,
	    ls->bind.text);
	/* Out of descriptors: back off instead of spinning on accept. */
	if (saved == EMFILE || saved == ENFILE || saved == ENOBUFS ||
	    saved == ENOMEM) {
		evconnlistener_disable(evl);
		evtimer_add(ls->backoff, &tv);
	}
}

static int
bind_socket(const struct config_bind *b)
{
	int	 fd, on = 1;

	fd = socket(b->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	/*
	 * A standby amphora does not hold the VIP until failover: bind it
	 * anyway, and answer as soon as keepalived moves it here.
	 */
	if (b->ss.ss_family == AF_INET6) {
		/*
		 * IPV6_V6ONLY is left to the system (off on Linux), so a
		 * "[::]:port" bind also takes IPv4 peers; they arrive as
		 * ::ffff:a.b.c.d and match IPv4 allowed-cidrs.
		 */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &on,
		    sizeof(on)) == -1)
			goto fail;
	} else if (setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on,
	    sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)&b->ss, b->sslen) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	{
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return -1;
}

int
listener_open(struct agent *a, struct agent_listener *l)
{
	struct listen_sock	*ls;
	size_t			 i;
	int			 fd;

	l->agent = a;
	TAILQ_INIT(&l->conns);
	if ((l->socks = calloc(l->conf.nbinds, sizeof(*l->socks))) == NULL)
		return -1;
	for (i = 0; i < l->conf.nbinds; i++) {
		ls = &l->socks[i];
		ls->owner = l;
		ls->bind = l->conf.binds[i];
		if ((fd = bind_socket(&ls->bind)) == -1) {
			log_warn("listener %s: bind %s", l->conf.id,
			    ls->bind.text);
			return -1;
		}
		/* backlog 0: the socket is listening already */
		ls->evl = evconnlistener_new(a->base, listener_accept, ls,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
		ls->backoff = evtimer_new(a->base, listener_resume, ls);
		if (ls->evl == NULL || ls->backoff == NULL) {
			if (ls->evl == NULL)
				close(fd);
			else
				evconnlistener_free(ls->evl);
			if (ls->backoff != NULL)
				event_free(ls->backoff);
			log_warnx("listener %s: evconnlistener_new",
			    l->conf.id);
			return -1;
		}
		evconnlistener_set_error_cb(ls->evl, listener_error);
		l->nsocks++;
		log_info("listener %s: serving on %s", l->conf.id,
		    ls->bind.text);
	}
	return 0;
}

void
listener_close(struct agent_listener *l)
{
	size_t	 i;

	for (i = 0; i < l->nsocks; i++) {
		evconnlistener_free(l->socks[i].evl);
		event_free(l->socks[i].backoff);
	}
	free(l->socks);
	l->socks = NULL;
	l->nsocks = 0;
	while (!TAILQ_EMPTY(&l->conns))
		http_conn_free(TAILQ_FIRST(&l->conns));
}
