#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "decimal.h"
#include "errat.h"

const char *const config_tls_version_names[CONFIG_TLS__COUNT] = {
	[CONFIG_TLS_SSLV3] = "SSLv3",
	[CONFIG_TLS_V1_0] = "TLSv1",
	[CONFIG_TLS_V1_1] = "TLSv1.1",
	[CONFIG_TLS_V1_2] = "TLSv1.2",
	[CONFIG_TLS_V1_3] = "TLSv1.3",
};

void
config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->min_scrape_interval_ms = CONFIG_DEFAULT_MIN_SCRAPE_MS;
	c->scrape_timeout_ms = CONFIG_DEFAULT_TIMEOUT_MS;
	strlcpy(c->log_socket, CONFIG_DEFAULT_LOG_SOCKET, sizeof(c->log_socket));
	c->log_facility = CONFIG_DEFAULT_LOG_FACILITY;
}

void
config_free(struct config *c)
{
	size_t	 i;

	for (i = 0; i < c->nlisteners; i++) {
		free(c->listeners[i].binds);
		free(c->listeners[i].cidrs);
		free(c->listeners[i].tls.certs);
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
	l->head_timeout_ms = CONFIG_DEFAULT_HEAD_MS;
	l->tls.versions = CONFIG_TLS_DEFAULT_VERSIONS;
	l->tls.alpn = CONFIG_ALPN_HTTP11 | CONFIG_ALPN_HTTP10;
	l->tls.handshake_limit = CONFIG_DEFAULT_HANDSHAKES;
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
	uint64_t	 v;

	if (strlen(s) > 5 || dec_u64_str(s, 65535, &v) == -1 || v == 0)
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

int
config_parse_duration(const char *s, int64_t bare_unit_ms, int64_t min_ms,
    int64_t max_ms, int64_t *ms)
{
	const char	*q;
	uint64_t	 v;
	int64_t		 unit;

	if ((q = dec_u64(s, s + strlen(s), (uint64_t)max_ms, &v)) == NULL)
		return -1;
	if (*q == '\0')
		unit = bare_unit_ms;
	else if (strcmp(q, "ms") == 0)
		unit = 1;
	else if (strcmp(q, "s") == 0)
		unit = 1000;
	else
		return -1;
	if (v > (uint64_t)(max_ms / unit) || (int64_t)v * unit < min_ms)
		return -1;
	*ms = (int64_t)v * unit;
	return 0;
}

struct config_listener *
config_listener_find(struct config *c, const char *id)
{
	size_t	 i;

	for (i = 0; i < c->nlisteners; i++)
		if (strcmp(c->listeners[i].id, id) == 0)
			return &c->listeners[i];
	return NULL;
}

/* Names used as identifiers, label values or path parts: [A-Za-z0-9._-]. */
static int
valid_name(const char *s, size_t max)
{
	size_t	 n = strlen(s);

	if (n == 0 || n >= max || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == n;
}

static int
bind_in_use(const struct config *c, const struct config_bind *b)
{
	size_t	 i, j;

	for (i = 0; i < c->nlisteners; i++)
		for (j = 0; j < c->listeners[i].nbinds; j++)
			if (c->listeners[i].binds[j].sslen == b->sslen &&
			    memcmp(&c->listeners[i].binds[j].ss, &b->ss,
			    b->sslen) == 0)
				return 1;
	return 0;
}

enum {
	SEEN_LOADBALANCER_ID = 1 << 0,
	SEEN_STATS_SOCKET = 1 << 1,
	SEEN_NETNS = 1 << 2,
	SEEN_USER = 1 << 3,
	SEEN_MIN_SCRAPE = 1 << 4,
	SEEN_SCRAPE_TIMEOUT = 1 << 5,
	SEEN_CONNECTION_LIMIT = 1 << 6,
	SEEN_TIMEOUT_CLIENT = 1 << 7,
	SEEN_TIMEOUT_REQUEST = 1 << 8,
	SEEN_KEEPALIVED_DIR = 1 << 9,
	SEEN_PROJECT_ID = 1 << 10,
	SEEN_LOG_SOCKET = 1 << 11,
	SEEN_LOG_FACILITY = 1 << 12,
	SEEN_HAPROXY_CONFIG = 1 << 22,
	/* in a listener block */
	SEEN_TLS_CLIENT_CA = 1 << 13,
	SEEN_TLS_VERIFY = 1 << 14,
	SEEN_TLS_CRL = 1 << 15,
	SEEN_TLS_CIPHERS = 1 << 16,
	SEEN_TLS_CIPHERSUITES = 1 << 17,
	SEEN_TLS_VERSIONS = 1 << 18,
	SEEN_TLS_ALPN = 1 << 19,
	SEEN_LOG_REQUESTS = 1 << 20,
	SEEN_TLS_HANDSHAKE_LIMIT = 1 << 21,
};

/* a keyword and every TLS version, or a few ALPN names */
#define MAX_WORDS	(1 + CONFIG_TLS__COUNT + 2)

struct parser {
	struct config		*c;
	const char		*file;
	unsigned		 line;
	char			*err;
	size_t			 errlen;
	struct config_listener	*l;		/* inside a listener block */
	unsigned		 seen;		/* global directives given */
	unsigned		 lseen;		/* listener directives given */
};

static int __attribute__((format(printf, 2, 3)))
perr(struct parser *p, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	verr_at(p->err, p->errlen, p->file, p->line, fmt, ap);
	va_end(ap);
	return -1;
}

static int
once(struct parser *p, unsigned *seen, unsigned bit, const char *kw)
{
	if (*seen & bit)
		return perr(p, "%s given twice", kw);
	*seen |= bit;
	return 0;
}

/*
 * "listen ADDR:PORT": a listener of its own named by its address, as -l
 * makes one; for a fixed address such as the drop-in 127.0.0.1:9102.
 */
static int
parse_listen(struct parser *p, const char *addr)
{
	struct config		*c = p->c;
	struct config_listener	*l;
	struct config_bind	 b;

	if (config_parse_bind(addr, &b) == -1)
		return perr(p, "listen: not ADDR:PORT or [ADDR]:PORT: \"%s\"",
		    addr);
	if (bind_in_use(c, &b))
		return perr(p, "address %s given twice", addr);
	if (c->nlisteners == CONFIG_MAX_LISTENERS)
		return perr(p, "more than %d listeners", CONFIG_MAX_LISTENERS);
	if ((l = config_listener_add(c, b.text)) == NULL ||
	    config_listener_add_bind(l, &b) == -1)
		return perr(p, "out of memory");
	l->line = p->line;
	return 0;
}

/* An absolute path that fits dst (size bytes). */
static int
parse_path(struct parser *p, const char *kw, const char *v, char *dst,
    size_t size)
{
	if (v[0] != '/' || strlcpy(dst, v, size) >= size)
		return perr(p, "%s: not an absolute path under %zu bytes: "
		    "\"%s\"", kw, size, v);
	return 0;
}

static int
listener_keyword(const char *kw)
{
	static const char *const kws[] = { "bind", "allowed-cidr",
	    "connection-limit", "timeout-client-data", "timeout-http-request",
	    "log-requests" };
	size_t	 i;

	for (i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (strcmp(kw, kws[i]) == 0)
			return 1;
	return strncmp(kw, "tls-", 4) == 0;
}

static int
parse_global(struct parser *p, char **w, int n)
{
	struct config	*c = p->c;
	int64_t		 ms;

	if (strcmp(w[0], "listener") == 0) {
		if (n != 3 || strcmp(w[2], "{") != 0)
			return perr(p, "expected: listener ID {");
		if (!valid_name(w[1], CONFIG_ID_MAX))
			return perr(p, "listener: bad id \"%s\"", w[1]);
		if (config_listener_find(c, w[1]) != NULL)
			return perr(p, "listener %s given twice", w[1]);
		if (c->nlisteners == CONFIG_MAX_LISTENERS)
			return perr(p, "more than %d listeners",
			    CONFIG_MAX_LISTENERS);
		if ((p->l = config_listener_add(c, w[1])) == NULL)
			return perr(p, "out of memory");
		p->l->line = p->line;
		p->lseen = 0;
		return 0;
	}
	if (strcmp(w[0], "}") == 0)
		return perr(p, "} outside a listener block");
	if (listener_keyword(w[0]))
		return perr(p, "%s belongs in a listener block", w[0]);
	if (n != 2)
		return perr(p, n == 1 ? "%s: missing value" :
		    "%s: one value expected", w[0]);

	if (strcmp(w[0], "listen") == 0)
		return parse_listen(p, w[1]);
	if (strcmp(w[0], "loadbalancer-id") == 0) {
		if (once(p, &p->seen, SEEN_LOADBALANCER_ID, w[0]) == -1)
			return -1;
		if (!valid_name(w[1], sizeof(c->loadbalancer_id)))
			return perr(p, "loadbalancer-id: bad id \"%s\"", w[1]);
		strlcpy(c->loadbalancer_id, w[1], sizeof(c->loadbalancer_id));
	} else if (strcmp(w[0], "stats-socket") == 0) {
		if (once(p, &p->seen, SEEN_STATS_SOCKET, w[0]) == -1)
			return -1;
		if (strlcpy(c->stats_socket, w[1], sizeof(c->stats_socket)) >=
		    sizeof(c->stats_socket))
			return perr(p, "stats-socket: path too long");
	} else if (strcmp(w[0], "keepalived-dir") == 0) {
		if (once(p, &p->seen, SEEN_KEEPALIVED_DIR, w[0]) == -1)
			return -1;
		return parse_path(p, w[0], w[1], c->keepalived_dir,
		    sizeof(c->keepalived_dir));
	} else if (strcmp(w[0], "haproxy-config") == 0) {
		if (once(p, &p->seen, SEEN_HAPROXY_CONFIG, w[0]) == -1)
			return -1;
		return parse_path(p, w[0], w[1], c->haproxy_config,
		    sizeof(c->haproxy_config));
	} else if (strcmp(w[0], "project-id") == 0) {
		if (once(p, &p->seen, SEEN_PROJECT_ID, w[0]) == -1)
			return -1;
		if (!valid_name(w[1], sizeof(c->project_id)))
			return perr(p, "project-id: bad id \"%s\"", w[1]);
		strlcpy(c->project_id, w[1], sizeof(c->project_id));
	} else if (strcmp(w[0], "log-socket") == 0) {
		if (once(p, &p->seen, SEEN_LOG_SOCKET, w[0]) == -1)
			return -1;
		return parse_path(p, w[0], w[1], c->log_socket,
		    sizeof(c->log_socket));
	} else if (strcmp(w[0], "log-facility") == 0) {
		if (once(p, &p->seen, SEEN_LOG_FACILITY, w[0]) == -1)
			return -1;
		if (strncmp(w[1], "local", 5) != 0 || w[1][5] < '0' ||
		    w[1][5] > '7' || w[1][6] != '\0')
			return perr(p, "log-facility: local0 to local7, not "
			    "\"%s\"", w[1]);
		c->log_facility = 16 + (w[1][5] - '0');
	} else if (strcmp(w[0], "netns") == 0) {
		if (once(p, &p->seen, SEEN_NETNS, w[0]) == -1)
			return -1;
		if (!valid_name(w[1], sizeof(c->netns)))
			return perr(p, "netns: bad name \"%s\"", w[1]);
		strlcpy(c->netns, w[1], sizeof(c->netns));
	} else if (strcmp(w[0], "user") == 0) {
		if (once(p, &p->seen, SEEN_USER, w[0]) == -1)
			return -1;
		if (!valid_name(w[1], sizeof(c->user)))
			return perr(p, "user: bad name \"%s\"", w[1]);
		strlcpy(c->user, w[1], sizeof(c->user));
	} else if (strcmp(w[0], "min-scrape-interval") == 0) {
		if (once(p, &p->seen, SEEN_MIN_SCRAPE, w[0]) == -1)
			return -1;
		if (config_parse_duration(w[1], 1000, 0, 3600000,
		    &ms) == -1)
			return perr(p, "min-scrape-interval: not a duration "
			    "from 0 to 3600s: \"%s\"", w[1]);
		c->min_scrape_interval_ms = (int)ms;
	} else if (strcmp(w[0], "scrape-timeout") == 0) {
		if (once(p, &p->seen, SEEN_SCRAPE_TIMEOUT, w[0]) == -1)
			return -1;
		if (config_parse_duration(w[1], 1000, 1, 300000,
		    &ms) == -1)
			return perr(p, "scrape-timeout: not a duration "
			    "from 1ms to 300s: \"%s\"", w[1]);
		c->scrape_timeout_ms = (int)ms;
	} else
		return perr(p, "unknown keyword \"%s\"", w[0]);
	return 0;
}

/* An OpenSSL cipher string; OpenSSL itself judges the names at load. */
static int
parse_ciphers(struct parser *p, const char *kw, const char *v, char *dst)
{
	size_t	 n = strlen(v);

	if (n >= CONFIG_CIPHERS_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:+!@=_.,-") != n)
		return perr(p, "%s: not a cipher list of letters, digits and "
		    ":+!@=_.,- under %d bytes: \"%s\"", kw,
		    CONFIG_CIPHERS_MAX, v);
	strlcpy(dst, v, CONFIG_CIPHERS_MAX);
	return 0;
}

/* "tls-versions TLSv1.2 TLSv1.3": Octavia's names, at least one. */
static int
parse_versions(struct parser *p, char **w, int n, unsigned *versions)
{
	int	 i, v;

	*versions = 0;
	for (i = 1; i < n; i++) {
		for (v = 0; v < CONFIG_TLS__COUNT; v++)
			if (strcmp(w[i], config_tls_version_names[v]) == 0)
				break;
		if (v == CONFIG_TLS__COUNT)
			return perr(p, "tls-versions: SSLv3, TLSv1, TLSv1.1, "
			    "TLSv1.2 or TLSv1.3, not \"%s\"", w[i]);
		*versions |= 1u << v;
	}
	if (*versions == 0)
		return perr(p, "tls-versions: missing value");
	return 0;
}

/*
 * "tls-alpn h2 http/1.1 http/1.0": Octavia's alpn_protocols. Any protocol
 * name is accepted (RFC 7301: 1 to 255 bytes); the agent selects only the
 * HTTP/1.x ones it speaks, never h2.
 */
static int
parse_alpn(struct parser *p, char **w, int n, unsigned *alpn)
{
	int	 i;

	if (n < 2)
		return perr(p, "tls-alpn: missing value");
	*alpn = 0;
	for (i = 1; i < n; i++) {
		if (strlen(w[i]) > 255)
			return perr(p, "tls-alpn: a protocol name is 1 to 255 "
			    "bytes");
		if (strcmp(w[i], "http/1.1") == 0)
			*alpn |= CONFIG_ALPN_HTTP11;
		else if (strcmp(w[i], "http/1.0") == 0)
			*alpn |= CONFIG_ALPN_HTTP10;
	}
	return 0;
}

/* What a listener's block said about TLS, checked at its }. */
static int
tls_check(struct parser *p, struct config_listener *l)
{
	struct config_tls	*t = &l->tls;
	const unsigned		 tls_keys = SEEN_TLS_CLIENT_CA | SEEN_TLS_VERIFY |
	    SEEN_TLS_CRL | SEEN_TLS_CIPHERS | SEEN_TLS_CIPHERSUITES |
	    SEEN_TLS_VERSIONS | SEEN_TLS_ALPN | SEEN_TLS_HANDSHAKE_LIMIT;

	if (t->ncerts == 0) {
		if (p->lseen & tls_keys)
			return perr(p, "listener %s: tls-* keys need a "
			    "tls-certificate", l->id);
		return 0;
	}
	/* a CA given is a CA enforced, unless tls-verify says otherwise */
	if (t->client_ca[0] != '\0' && !(p->lseen & SEEN_TLS_VERIFY))
		t->verify = CONFIG_VERIFY_REQUIRED;
	if (t->verify != CONFIG_VERIFY_NONE && t->client_ca[0] == '\0')
		return perr(p, "listener %s: tls-verify %s needs tls-client-ca",
		    l->id, t->verify == CONFIG_VERIFY_OPTIONAL ? "optional" :
		    "required");
	if (t->crl[0] != '\0' && t->client_ca[0] == '\0')
		return perr(p, "listener %s: tls-crl needs tls-client-ca",
		    l->id);
	return 0;
}

static int
parse_tls(struct parser *p, char **w, int n)
{
	struct config_tls	*t = &p->l->tls;
	struct config_path	*certs;
	uint64_t		 v;

	if (strcmp(w[0], "tls-versions") == 0) {
		if (once(p, &p->lseen, SEEN_TLS_VERSIONS, w[0]) == -1)
			return -1;
		return parse_versions(p, w, n, &t->versions);
	}
	if (strcmp(w[0], "tls-alpn") == 0) {
		if (once(p, &p->lseen, SEEN_TLS_ALPN, w[0]) == -1)
			return -1;
		return parse_alpn(p, w, n, &t->alpn);
	}
	if (n != 2)
		return perr(p, n == 1 ? "%s: missing value" :
		    "%s: one value expected", w[0]);
	if (strcmp(w[0], "tls-certificate") == 0) {
		if (t->ncerts == CONFIG_MAX_CERTS)
			return perr(p, "more than %d tls-certificate",
			    CONFIG_MAX_CERTS);
		if ((certs = reallocarray(t->certs, t->ncerts + 1,
		    sizeof(*certs))) == NULL)
			return perr(p, "out of memory");
		t->certs = certs;
		if (parse_path(p, w[0], w[1], certs[t->ncerts].path,
		    CONFIG_PATH_MAX) == -1)
			return -1;
		t->ncerts++;
	} else if (strcmp(w[0], "tls-client-ca") == 0) {
		if (once(p, &p->lseen, SEEN_TLS_CLIENT_CA, w[0]) == -1)
			return -1;
		return parse_path(p, w[0], w[1], t->client_ca,
		    sizeof(t->client_ca));
	} else if (strcmp(w[0], "tls-crl") == 0) {
		if (once(p, &p->lseen, SEEN_TLS_CRL, w[0]) == -1)
			return -1;
		return parse_path(p, w[0], w[1], t->crl, sizeof(t->crl));
	} else if (strcmp(w[0], "tls-verify") == 0) {
		if (once(p, &p->lseen, SEEN_TLS_VERIFY, w[0]) == -1)
			return -1;
		if (strcmp(w[1], "none") == 0)
			t->verify = CONFIG_VERIFY_NONE;
		else if (strcmp(w[1], "optional") == 0)
			t->verify = CONFIG_VERIFY_OPTIONAL;
		else if (strcmp(w[1], "required") == 0)
			t->verify = CONFIG_VERIFY_REQUIRED;
		else
			return perr(p, "tls-verify: none, optional or required, "
			    "not \"%s\"", w[1]);
	} else if (strcmp(w[0], "tls-handshake-limit") == 0) {
		if (once(p, &p->lseen, SEEN_TLS_HANDSHAKE_LIMIT, w[0]) == -1)
			return -1;
		if (dec_u64_str(w[1], CONFIG_MAX_HANDSHAKES, &v) == -1 ||
		    v == 0)
			return perr(p, "tls-handshake-limit: 1 to %d, not "
			    "\"%s\"", CONFIG_MAX_HANDSHAKES, w[1]);
		t->handshake_limit = (unsigned)v;
	} else if (strcmp(w[0], "tls-ciphers") == 0) {
		if (once(p, &p->lseen, SEEN_TLS_CIPHERS, w[0]) == -1)
			return -1;
		return parse_ciphers(p, w[0], w[1], t->ciphers);
	} else if (strcmp(w[0], "tls-ciphersuites") == 0) {
		if (once(p, &p->lseen, SEEN_TLS_CIPHERSUITES, w[0]) == -1)
			return -1;
		return parse_ciphers(p, w[0], w[1], t->ciphersuites);
	} else
		return perr(p, "unknown keyword \"%s\" in a listener block",
		    w[0]);
	return 0;
}

static int
parse_listener(struct parser *p, char **w, int n)
{
	struct config_listener	*l = p->l;
	struct config_bind	 b;
	struct cidr		 cidr;
	int64_t			 ms;
	uint64_t		 v;

	if (strcmp(w[0], "}") == 0) {
		if (n != 1)
			return perr(p, "} stands alone on its line");
		if (l->nbinds == 0)
			return perr(p, "listener %s has no bind", l->id);
		if (tls_check(p, l) == -1)
			return -1;
		p->l = NULL;
		return 0;
	}
	if (strcmp(w[0], "listener") == 0)
		return perr(p, "listener blocks do not nest (missing }?)");
	if (strncmp(w[0], "tls-", 4) == 0)
		return parse_tls(p, w, n);
	if (n != 2)
		return perr(p, n == 1 ? "%s: missing value" :
		    "%s: one value expected", w[0]);

	if (strcmp(w[0], "bind") == 0) {
		if (config_parse_bind(w[1], &b) == -1)
			return perr(p, "bind: not ADDR:PORT or [ADDR]:PORT: "
			    "\"%s\"", w[1]);
		if (bind_in_use(p->c, &b))
			return perr(p, "bind %s given twice", w[1]);
		if (l->nbinds == CONFIG_MAX_BINDS)
			return perr(p, "more than %d binds", CONFIG_MAX_BINDS);
		if (config_listener_add_bind(l, &b) == -1)
			return perr(p, "out of memory");
	} else if (strcmp(w[0], "allowed-cidr") == 0) {
		if (cidr_parse(w[1], &cidr) == -1)
			return perr(p, "allowed-cidr: not a CIDR: \"%s\"",
			    w[1]);
		if (l->ncidrs == CONFIG_MAX_CIDRS)
			return perr(p, "more than %d allowed-cidr",
			    CONFIG_MAX_CIDRS);
		if (config_listener_add_cidr(l, &cidr) == -1)
			return perr(p, "out of memory");
	} else if (strcmp(w[0], "connection-limit") == 0) {
		if (once(p, &p->lseen, SEEN_CONNECTION_LIMIT, w[0]) == -1)
			return -1;
		if (strcmp(w[1], "-1") == 0)
			v = 0;
		else if (dec_u64_str(w[1], 1000000, &v) == -1 || v == 0)
			return perr(p, "connection-limit: -1 or 1 to 1000000, "
			    "not \"%s\"", w[1]);
		l->connection_limit = v == 0 ? -1 : (int)v;
	} else if (strcmp(w[0], "timeout-client-data") == 0) {
		if (once(p, &p->lseen, SEEN_TIMEOUT_CLIENT, w[0]) == -1)
			return -1;
		/* Octavia counts in ms and allows up to a year */
		if (config_parse_duration(w[1], 1, 1, 31536000000LL,
		    &ms) == -1)
			return perr(p, "timeout-client-data: milliseconds "
			    "from 1 to 31536000000, not \"%s\"", w[1]);
		l->idle_timeout_ms = ms;
	} else if (strcmp(w[0], "timeout-http-request") == 0) {
		if (once(p, &p->lseen, SEEN_TIMEOUT_REQUEST, w[0]) == -1)
			return -1;
		if (config_parse_duration(w[1], 1, 1, 3600000, &ms) == -1)
			return perr(p, "timeout-http-request: milliseconds "
			    "from 1 to 3600000, not \"%s\"", w[1]);
		l->head_timeout_ms = ms;
	} else if (strcmp(w[0], "log-requests") == 0) {
		if (once(p, &p->lseen, SEEN_LOG_REQUESTS, w[0]) == -1)
			return -1;
		if (strcmp(w[1], "yes") != 0 && strcmp(w[1], "no") != 0)
			return perr(p, "log-requests: yes or no, not \"%s\"",
			    w[1]);
		l->log_requests = strcmp(w[1], "yes") == 0;
	} else
		return perr(p, "unknown keyword \"%s\" in a listener block",
		    w[0]);
	return 0;
}

int
config_parse(struct config *c, const char *file, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct parser	 p = { c, file, 0, err, errlen, NULL, 0, 0 };
	char		 buf[CONFIG_MAX_LINE + 1], *w[MAX_WORDS + 1], *s, *save;
	const char	*line = text, *end = text + len, *nl;
	size_t		 n;
	int		 nw;
	unsigned	 open_line = 0;

	if (memchr(text, '\0', len) != NULL) {
		p.line = 1;
		return perr(&p, "binary file (NUL byte)");
	}
	while (line < end) {
		p.line++;
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		n = (size_t)(nl - line);
		if (n > CONFIG_MAX_LINE)
			return perr(&p, "line longer than %d bytes",
			    CONFIG_MAX_LINE);
		memcpy(buf, line, n);
		buf[n] = '\0';
		line = nl + 1;
		if ((s = strchr(buf, '#')) != NULL)
			*s = '\0';
		nw = 0;
		for (s = strtok_r(buf, " \t\r", &save); s != NULL;
		    s = strtok_r(NULL, " \t\r", &save)) {
			if (nw == MAX_WORDS)
				return perr(&p, "too many words");
			w[nw++] = s;
		}
		if (nw == 0)
			continue;
		if (p.l == NULL) {
			if (parse_global(&p, w, nw) == -1)
				return -1;
			if (p.l != NULL)
				open_line = p.line;
		} else if (parse_listener(&p, w, nw) == -1)
			return -1;
	}
	if (p.l != NULL) {
		p.line = open_line;
		return perr(&p, "listener %s: no closing }", p.l->id);
	}
	return 0;
}
