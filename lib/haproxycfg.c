#include <stdlib.h>
#include <string.h>

#include "haproxycfg.h"

/* Keywords that open a section the agent has nothing to read in. */
static const char *const other_sections[] = {
	"peers", "resolvers", "userlist", "cache", "program",
	"http-errors", "ring", "mailers", "log-forward", "crt-store",
	"traces", "acme",
};

/* What a server inherits: from "default-server" in defaults or its proxy. */
struct server_defaults {
	uint8_t	 tls;
	uint8_t	 h2;
};

struct parser {
	struct hcfg		*c;
	int			 in_proxy;	/* else defaults or elsewhere */
	int			 in_defaults;
	int			 in_global;
	uint8_t			 mode_http;	/* the defaults' mode */
	struct server_defaults	 dflt;		/* the defaults' */
	struct server_defaults	 pxdflt;	/* the current proxy's */
	size_t			 cap_proxies;
	size_t			 cap_servers;
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Splits the line [p, end) into at most HCFG_WORDS_MAX words, in place:
 * quotes and escapes removed, each word NUL-terminated (end itself is
 * writable: the '\n' or the byte hcfg_parse adds). Returns the count.
 */
static size_t
split(char *p, char *end, char **w)
{
	size_t	 n = 0;
	char	*o, c, q;

	while (n < HCFG_WORDS_MAX) {
		while (p < end && is_blank(*p))
			p++;
		if (p == end || *p == '#')
			break;
		w[n++] = o = p;
		for (q = 0; p < end; ) {
			c = *p;
			if (q == 0 && (is_blank(c) || c == '#'))
				break;
			p++;
			if (c == '\\' && q != '\'' && p < end)
				*o++ = *p++;
			else if (q == 0 && (c == '"' || c == '\''))
				q = c;
			else if (c == q)
				q = 0;
			else
				*o++ = c;
		}
		if (p < end && *p == '#')
			end = p;	/* a comment ends the line */
		else if (p < end)
			p++;		/* past the blank o may now overwrite */
		*o = '\0';
	}
	return n;
}

/* Whether the comma-separated list s holds item. */
static int
list_has(const char *s, const char *item)
{
	size_t	 n = strlen(item), k;

	while (*s != '\0') {
		k = strcspn(s, ",");
		if (k == n && strncmp(s, item, n) == 0)
			return 1;
		s += k + (s[k] == ',');
	}
	return 0;
}

/* A server's or default-server's options, from w[0] on. */
static void
server_options(char **w, size_t n, struct server_defaults *d)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (strcmp(w[i], "ssl") == 0)
			d->tls = 1;
		else if (strcmp(w[i], "no-ssl") == 0)
			d->tls = 0;
		else if (i + 1 < n && strcmp(w[i], "alpn") == 0)
			d->h2 = (uint8_t)list_has(w[++i], "h2");
		else if (i + 1 < n && strcmp(w[i], "proto") == 0)
			d->h2 = strcmp(w[++i], "h2") == 0;
	}
}

static struct hcfg_proxy *
current(struct parser *ps)
{
	return &ps->c->proxy[ps->c->nproxies - 1];
}

/* A bind's options, from w[0] on: only its first TLS bind's files. */
static void
bind_options(struct hcfg_proxy *px, char **w, size_t n)
{
	const char	*crt_list = NULL, *crt = NULL, *ca = NULL, *crl = NULL;
	int		 tls = 0;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (strcmp(w[i], "ssl") == 0)
			tls = 1;
		else if (i + 1 < n && strcmp(w[i], "crt-list") == 0)
			crt_list = w[++i];
		else if (i + 1 < n && strcmp(w[i], "crt") == 0)
			crt = w[++i];
		else if (i + 1 < n && strcmp(w[i], "ca-file") == 0)
			ca = w[++i];
		else if (i + 1 < n && strcmp(w[i], "crl-file") == 0)
			crl = w[++i];
	}
	if (!tls || px->tls)
		return;
	px->tls = 1;
	px->crt_list = crt_list;
	px->crt = crt;
	px->ca_file = ca;
	px->crl_file = crl;
}

static int
grow(void **p, size_t *cap, size_t n, size_t size, size_t max)
{
	void	*np;
	size_t	 ncap;

	if (n < *cap)
		return 0;
	if (n >= max)
		return 1;	/* past the cap: skipped, not an error */
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > max)
		ncap = max;
	if ((np = reallocarray(*p, ncap, size)) == NULL)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

static int
section(struct parser *ps, char **w, size_t n)
{
	struct hcfg		*c = ps->c;
	struct hcfg_proxy	*px;
	uint8_t			 sides = 0;
	size_t			 i;
	int			 r;

	if (strcmp(w[0], "frontend") == 0)
		sides = HCFG_FRONTEND;
	else if (strcmp(w[0], "backend") == 0)
		sides = HCFG_BACKEND;
	else if (strcmp(w[0], "listen") == 0)
		sides = HCFG_FRONTEND | HCFG_BACKEND;
	else if (strcmp(w[0], "global") == 0) {
		ps->in_proxy = ps->in_defaults = 0;
		ps->in_global = 1;
		return 1;
	} else if (strcmp(w[0], "defaults") == 0) {
		ps->in_proxy = ps->in_global = 0;
		ps->in_defaults = 1;
		ps->mode_http = 0;
		memset(&ps->dflt, 0, sizeof(ps->dflt));
		return 1;
	} else {
		for (i = 0; i < sizeof(other_sections) /
		    sizeof(other_sections[0]); i++)
			if (strcmp(w[0], other_sections[i]) == 0) {
				ps->in_proxy = ps->in_defaults = 0;
				ps->in_global = 0;
				return 1;
			}
		return 0;
	}
	ps->in_proxy = ps->in_defaults = ps->in_global = 0;
	if (n < 2)
		return 1;	/* HAProxy refuses it; nothing to read in */
	if ((r = grow((void **)&c->proxy, &ps->cap_proxies, c->nproxies,
	    sizeof(*c->proxy), HCFG_PROXIES_MAX)) != 0)
		return r == -1 ? -1 : 1;
	px = &c->proxy[c->nproxies++];
	memset(px, 0, sizeof(*px));
	px->name = w[1];
	px->sides = sides;
	px->http = ps->mode_http;
	px->first = (uint32_t)c->nservers;
	ps->pxdflt = ps->dflt;
	ps->in_proxy = 1;
	return 1;
}

static int
line(struct parser *ps, char **w, size_t n)
{
	struct hcfg		*c = ps->c;
	struct hcfg_proxy	*px;
	struct hcfg_server	*sv;
	struct server_defaults	 d;
	int			 r;

	if ((r = section(ps, w, n)) != 0)
		return r == -1 ? -1 : 0;
	if (ps->in_global && n > 1) {
		if (strcmp(w[0], "crt-base") == 0)
			c->crt_base = w[1];
		else if (strcmp(w[0], "ca-base") == 0)
			c->ca_base = w[1];
		return 0;
	}
	if (!ps->in_proxy && !ps->in_defaults)
		return 0;
	if (strcmp(w[0], "mode") == 0 && n > 1) {
		if (ps->in_defaults)
			ps->mode_http = strcmp(w[1], "http") == 0;
		else
			current(ps)->http = strcmp(w[1], "http") == 0;
	} else if (strcmp(w[0], "default-server") == 0)
		server_options(w + 1, n - 1, ps->in_defaults ? &ps->dflt :
		    &ps->pxdflt);
	else if (!ps->in_proxy)
		return 0;
	else if (strcmp(w[0], "bind") == 0 && n > 1)
		bind_options(current(ps), w + 2, n - 2);
	else if (strcmp(w[0], "server") == 0 && n > 2) {
		px = current(ps);
		if ((r = grow((void **)&c->server, &ps->cap_servers,
		    c->nservers, sizeof(*c->server), HCFG_SERVERS_MAX)) != 0) {
			c->skipped++;
			return r;
		}
		d = ps->pxdflt;
		server_options(w + 3, n - 3, &d);
		sv = &c->server[c->nservers++];
		sv->name = w[1];
		sv->tls = d.tls;
		sv->h2 = d.h2;
		px->nservers++;
	}
	return 0;
}

static int
server_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hcfg_server *)a)->name,
	    ((const struct hcfg_server *)b)->name);
}

static int
proxy_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hcfg_proxy *)a)->name,
	    ((const struct hcfg_proxy *)b)->name);
}

/* Each backend's servers sorted, its TLS and HTTP/2 from theirs. */
static void
finish(struct hcfg *c)
{
	struct hcfg_proxy	*px;
	size_t			 i, k;

	for (i = 0; i < c->nproxies; i++) {
		px = &c->proxy[i];
		if (px->nservers > 1)
			qsort(c->server + px->first, px->nservers,
			    sizeof(*c->server), server_cmp);
		for (k = 0; k < px->nservers; k++) {
			/* a listen section: TLS on either side */
			px->tls |= c->server[px->first + k].tls;
			px->h2 |= c->server[px->first + k].h2;
		}
	}
	if (c->nproxies > 1)
		qsort(c->proxy, c->nproxies, sizeof(*c->proxy), proxy_cmp);
}

int
hcfg_parse(struct hcfg *c, char *text, size_t len)
{
	struct parser	 ps;
	char		*w[HCFG_WORDS_MAX], *p, *nl, *t;
	size_t		 n;

	memset(c, 0, sizeof(*c));
	if (len > HCFG_TEXT_MAX || (t = realloc(text, len + 1)) == NULL) {
		free(text);
		return -1;
	}
	c->text = t;
	t[len] = '\n';		/* a last line ends like the others */
	memset(&ps, 0, sizeof(ps));
	ps.c = c;
	for (p = t; p < t + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(t + len - p) + 1);
		if ((n = split(p, nl, w)) == 0)
			continue;
		if (line(&ps, w, n) == -1) {
			hcfg_free(c);
			return -1;
		}
	}
	finish(c);
	return 0;
}

void
hcfg_free(struct hcfg *c)
{
	free(c->text);
	free(c->proxy);
	free(c->server);
	memset(c, 0, sizeof(*c));
}

/* strcmp of a NUL-terminated name against len bytes of key. */
static int
name_cmp(const char *name, const char *key, size_t len)
{
	int	 r = strncmp(name, key, len);

	/* equal over len bytes, so name has none of them NUL: name[len]
	 * is its own */
	if (r != 0)
		return r;
	return name[len] == '\0' ? 0 : 1;
}

const struct hcfg_proxy *
hcfg_proxy(const struct hcfg *c, const char *name, size_t len,
    enum hcfg_side side)
{
	size_t	 lo = 0, hi = c->nproxies, mid;

	if (memchr(name, '\0', len) != NULL)
		return NULL;
	while (lo < hi) {	/* the first not below name */
		mid = lo + (hi - lo) / 2;
		if (name_cmp(c->proxy[mid].name, name, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->nproxies &&
	    name_cmp(c->proxy[lo].name, name, len) == 0; lo++)
		if (c->proxy[lo].sides & side)
			return &c->proxy[lo];
	return NULL;
}

const struct hcfg_server *
hcfg_server(const struct hcfg *c, const struct hcfg_proxy *px,
    const char *name, size_t len)
{
	const struct hcfg_server	*s = c->server + px->first;
	size_t				 lo = 0, hi = px->nservers, mid;
	int				 r;

	if (memchr(name, '\0', len) != NULL)
		return NULL;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((r = name_cmp(s[mid].name, name, len)) == 0)
			return &s[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* A blank to HAProxy's crt-list reader (isspace()). */
static int
is_space(char c)
{
	return is_blank(c) || c == '\n' || c == '\v' || c == '\f';
}

size_t
hcfg_crt_list(char *text, size_t len, const char **paths, size_t max)
{
	char	*p = text, *end = text + len, *nl, *w;
	size_t	 n = 0;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (*p == '#')
			continue;
		while (p < nl && is_space(*p))
			p++;
		if (p == nl || *p == '[' || *p == '\0')
			continue;	/* blank; or options with no file */
		for (w = p; p < nl && !is_space(*p) && *p != '[' &&
		    *p != '\0'; p++)
			;
		*p = '\0';		/* the blank after it, or text[len] */
		if (n < max)
			paths[n] = w;
		n++;
	}
	return n;
}
