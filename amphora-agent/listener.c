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

#define LISTEN_BACKLOG		1024

void
sockaddr_text(const struct sockaddr *sa, int port, char *dst, size_t len)
{
	const struct sockaddr_in	*sin = (const void *)sa;
	const struct sockaddr_in6	*sin6 = (const void *)sa;
	char				 host[INET6_ADDRSTRLEN];
	const void			*a = &sin->sin_addr;
	int				 v6 = sa->sa_family == AF_INET6;

	if (v6)
		a = &sin6->sin6_addr;
	if (inet_ntop(sa->sa_family, a, host, sizeof(host)) == NULL)
		strlcpy(host, "?", sizeof(host));
	if (!port)
		strlcpy(dst, host, len);
	else
		(void)snprintf(dst, len, v6 ? "[%s]:%u" : "%s:%u", host,
		    ntohs(v6 ? sin6->sin6_port : sin->sin_port));
}

/*
 * Makes room for l's new connection fd by evicting the connection of
 * scope (l, or any listener when NULL) waiting longest for a request.
 * With none to evict, fd is refused and counted: 0.
 */
static int
make_room(struct agent_listener *l, struct agent_listener *scope, int fd,
    enum expo_reject reason)
{
	struct http_conn	*victim;

	if ((victim = http_conn_oldest_waiting(l->agent, scope)) != NULL) {
		http_conn_evict(victim);
		return 1;
	}
	close(fd);
	l->rejected[reason]++;
	return 0;
}

static void
listener_accept(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	struct listen_sock	*ls = arg;
	struct agent_listener	*l = ls->owner;
	char			 peer[64];

	(void)evl;
	(void)socklen;
	if (!cidr_list_allows(l->conf.cidrs, l->conf.ncidrs, sa)) {
		close(fd);
		l->denied++;
		if (log_peer_allowed()) {
			sockaddr_text(sa, 0, peer, sizeof(peer));
			log_info("listener %s: refused %s: not in allowed "
			    "cidrs", l->conf.id, peer);
		}
		return;
	}
	/*
	 * At a limit, the connection that has waited longest for a request
	 * (idle, or trickling one in) makes room: a flood of silent or slow
	 * clients cannot lock scrapers out. Only when every connection is
	 * being answered is the new one refused.
	 */
	if (l->conf.connection_limit >= 0 &&
	    l->nconns >= (size_t)l->conf.connection_limit &&
	    !make_room(l, l, fd, EXPO_REJECT_CONNECTION_LIMIT))
		return;
	if (l->agent->nconns >= l->agent->max_conns &&
	    !make_room(l, NULL, fd, EXPO_REJECT_AGENT_LIMIT))
		return;
	http_conn_new(l, fd, sa);
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

static void
listen_sock_close(struct listen_sock *ls)
{
	evconnlistener_free(ls->evl);
	event_free(ls->backoff);
	free(ls);
}

static struct listen_sock *
listen_sock_open(struct agent *a, const struct config_bind *b)
{
	struct listen_sock	*ls;
	int			 fd;

	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		return NULL;
	ls->bind = *b;
	if ((fd = bind_socket(b)) == -1) {
		free(ls);
		return NULL;
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
		free(ls);
		errno = ENOMEM;
		return NULL;
	}
	evconnlistener_set_error_cb(ls->evl, listener_error);
	return ls;
}

static int
same_address(const struct config_bind *x, const struct config_bind *y)
{
	return x->sslen == y->sslen && memcmp(&x->ss, &y->ss, x->sslen) == 0;
}

static int
bind_port(const struct config_bind *b)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&b->ss;

	return ntohs(sin->sin_port);	/* same offset in sockaddr_in6 */
}

static struct agent_listener *
listener_find(struct agent *a, const char *id)
{
	struct agent_listener	*l;

	TAILQ_FOREACH(l, &a->listeners, entry)
		if (strcmp(l->conf.id, id) == 0)
			return l;
	return NULL;
}

void
listener_free(struct agent_listener *l)
{
	size_t	 i;

	for (i = 0; i < l->nsocks; i++)
		listen_sock_close(l->socks[i]);
	free(l->socks);
	while (!TAILQ_EMPTY(&l->conns))
		http_conn_free(TAILQ_FIRST(&l->conns));
	tls_ctx_drop(l->tls);
	free(l);
}

static struct listen_sock *
pool_take(struct listen_sock **pool, size_t npool, const struct config_bind *b)
{
	struct listen_sock	*ls;
	size_t			 k;

	for (k = 0; k < npool; k++)
		if (pool[k] != NULL && same_address(&pool[k]->bind, b)) {
			ls = pool[k];
			pool[k] = NULL;
			return ls;
		}
	return NULL;
}

static int
pool_has(struct listen_sock *const *pool, size_t npool,
    const struct config_bind *b)
{
	size_t	 k;

	for (k = 0; k < npool; k++)
		if (pool[k] != NULL && same_address(&pool[k]->bind, b))
			return 1;
	return 0;
}

static void
bind_failed(struct agent *a, const struct config_listener *cl,
    const struct config_bind *b)
{
	if (errno == EACCES && bind_port(b) < 1024 && !a->privileged)
		log_warnx("listener %s: bind %s needs privileges the agent "
		    "dropped: restart it to bind", cl->id, b->text);
	else
		log_warn("listener %s: bind %s", cl->id, b->text);
}

/*
 * Makes the running listeners what conf says, and conf the agent's. A
 * listener keeps its identity (open connections, counters) while its id
 * stays; a socket stays open while some listener still binds its address;
 * the rest is opened or closed.
 *
 * Everything that allocates comes first: when memory runs out, nothing
 * has changed and -1 says so (conf is the caller's to free; the agent
 * keeps its configuration). After that nothing fails. A bind that fails
 * is fatal when starting (-1); on a reload it is logged and skipped.
 */
int
listeners_apply(struct agent *a, struct config *conf, struct tls_ctx **tls,
    int starting)
{
	struct agent_listener	*l, *next, **lst;
	struct listen_sock	**pool, ***socks, *ls;
	struct config_listener	*cl;
	size_t			 npool = 0, n = conf->nlisteners, i, j, k;

	TAILQ_FOREACH(l, &a->listeners, entry)
		npool += l->nsocks;
	/* arrays of pointers, each ending with NULL */
	pool = calloc(npool + 1, sizeof(struct listen_sock *));
	lst = calloc(n + 1, sizeof(struct agent_listener *));
	socks = calloc(n + 1, sizeof(struct listen_sock **));
	if (pool == NULL || lst == NULL || socks == NULL)
		goto undo;
	npool = 0;
	TAILQ_FOREACH(l, &a->listeners, entry)
		for (i = 0; i < l->nsocks; i++)
			pool[npool++] = l->socks[i];
	for (i = 0; i < n; i++) {
		cl = &conf->listeners[i];
		if ((socks[i] = calloc(cl->nbinds + 1,
		    sizeof(struct listen_sock *))) == NULL)
			goto undo;
		if ((lst[i] = listener_find(a, cl->id)) == NULL) {
			if ((lst[i] = calloc(1, sizeof(**lst))) == NULL)
				goto undo;
			lst[i]->agent = a;
			TAILQ_INIT(&lst[i]->conns);
			TAILQ_INIT(&lst[i]->handshakes);
		}
		/* addresses no open socket has: open them now */
		for (j = 0; j < cl->nbinds; j++) {
			if (pool_has(pool, npool, &cl->binds[j]))
				continue;
			if ((ls = listen_sock_open(a, &cl->binds[j])) != NULL) {
				socks[i][j] = ls;
				continue;
			}
			if (errno == ENOMEM)
				goto undo;
			bind_failed(a, cl, &cl->binds[j]);
			if (starting)
				goto undo;
		}
	}

	/* the commit: nothing allocates or fails from here */
	TAILQ_FOREACH(l, &a->listeners, entry) {
		free(l->socks);		/* its sockets are in the pool */
		l->socks = NULL;
		l->nsocks = 0;
	}
	for (i = 0; i < n; i++) {
		cl = &conf->listeners[i];
		l = lst[i];
		if (listener_find(a, cl->id) != l) {	/* a new one */
			TAILQ_INSERT_TAIL(&a->listeners, l, entry);
			a->nlisteners++;
		}
		l->conf = *cl;
		/* new connections get the new context; open ones keep theirs */
		tls_ctx_drop(l->tls);
		l->tls = tls[i];
		tls[i] = NULL;
		l->socks = socks[i];
		for (j = k = 0; j < cl->nbinds; j++) {
			if ((ls = socks[i][j]) != NULL)
				log_info("listener %s: serving on %s", cl->id,
				    cl->binds[j].text);
			else if ((ls = pool_take(pool, npool,
			    &cl->binds[j])) == NULL)
				continue;	/* failed to bind: skipped */
			ls->owner = l;
			ls->bind = cl->binds[j];
			l->socks[k++] = ls;
		}
		l->nsocks = k;
	}
	for (k = 0; k < npool; k++)
		if (pool[k] != NULL) {
			log_info("closing %s", pool[k]->bind.text);
			listen_sock_close(pool[k]);
		}
	/* listeners the configuration no longer names, with connections */
	TAILQ_FOREACH_SAFE(l, &a->listeners, entry, next) {
		if (config_listener_find(conf, l->conf.id) != NULL)
			continue;
		log_info("listener %s: removed", l->conf.id);
		TAILQ_REMOVE(&a->listeners, l, entry);
		a->nlisteners--;
		listener_free(l);
	}
	free(pool);
	free(lst);
	free(socks);
	return 0;

undo:
	/* what this call opened or made; the running listeners are intact */
	for (i = 0; socks != NULL && lst != NULL && i < n; i++) {
		for (j = 0; socks[i] != NULL && j < conf->listeners[i].nbinds;
		    j++)
			if (socks[i][j] != NULL)
				listen_sock_close(socks[i][j]);
		free(socks[i]);
		if (lst[i] != NULL &&
		    listener_find(a, conf->listeners[i].id) != lst[i])
			free(lst[i]);
	}
	free(pool);
	free(lst);
	free(socks);
	return -1;
}

/* SIGTERM: accept nothing more; connections finish on their own. */
void
listeners_stop(struct agent *a)
{
	struct agent_listener	*l;
	size_t			 i;

	TAILQ_FOREACH(l, &a->listeners, entry) {
		for (i = 0; i < l->nsocks; i++)
			listen_sock_close(l->socks[i]);
		free(l->socks);
		l->socks = NULL;
		l->nsocks = 0;
		http_listener_drain(l);
	}
}
