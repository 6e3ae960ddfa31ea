#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

void
config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->min_scrape_interval_ms = CONFIG_DEFAULT_MIN_SCRAPE_MS;
	c->scrape_timeout_ms = CONFIG_DEFAULT_TIMEOUT_MS;
}

void
config_free(struct config *c)
{
	size_t	 i;

	for (i = 0; i < c->nlisteners; i++) {
		free(c->listeners[i].binds);
		free(c->listeners[i].cidrs);
	}
	free(c->listeners);
	c->listeners = NULL;
	c->nlisteners = 0;
}

struct config_listener *
config_listener_add(struct config *c, const char *id)
{
	struct config_listener	*p, *l;

	p = reallocarray(c->listeners, c->nlisteners + 1, sizeof(*p));
	if (p == NULL)
		return NULL;
	c->listeners = p;
	l = &p[c->nlisteners++];
	memset(l, 0, sizeof(*l));
	strlcpy(l->id, id, sizeof(l->id));
	l->connection_limit = -1;
	l->idle_timeout_ms = CONFIG_DEFAULT_IDLE_MS;
	return l;
}

int
config_listener_add_bind(struct config_listener *l,
    const struct config_bind *b)
{
	struct config_bind	*p;

	if ((p = reallocarray(l->binds, l->nbinds + 1, sizeof(*p))) == NULL)
		return -1;
	l->binds = p;
	p[l->nbinds++] = *b;
	return 0;
}

int
config_listener_add_cidr(struct config_listener *l, const struct cidr *cidr)
{
	struct cidr	*p;

	if ((p = reallocarray(l->cidrs, l->ncidrs + 1, sizeof(*p))) == NULL)
		return -1;
	l->cidrs = p;
	p[l->ncidrs++] = *cidr;
	return 0;
}

static int
parse_port(const char *s, in_port_t *port)
{
	unsigned long	 v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

int
config_parse_bind(const char *s, struct config_bind *b)
{
	char			 host[INET6_ADDRSTRLEN + 1];
	const char		*colon, *h = s;
	size_t			 hlen;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;

	memset(b, 0, sizeof(*b));
	if (strlcpy(b->text, s, sizeof(b->text)) >= sizeof(b->text))
		return -1;
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return -1;
		h = s + 1;
		hlen = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';

	if (*s != '[') {
		sin = (struct sockaddr_in *)&b->ss;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
		    parse_port(colon + 1, &sin->sin_port) == -1)
			return -1;
		sin->sin_family = AF_INET;
		b->sslen = sizeof(*sin);
	} else {
		sin6 = (struct sockaddr_in6 *)&b->ss;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1 ||
		    parse_port(colon + 1, &sin6->sin6_port) == -1)
			return -1;
		sin6->sin6_family = AF_INET6;
		b->sslen = sizeof(*sin6);
	}
	return 0;
}
