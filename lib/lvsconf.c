#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "errat.h"
#include "lvsconf.h"
#include "octavia.h"

#define MAX_WORDS	8
#define MAX_GROUPS	8
#define GROUP_NAME_MAX	64

/* What the block a line is in is. */
enum block {
	B_TOP,
	B_GROUP,	/* virtual_server_group NAME { VIP PORT ... } */
	B_SERVER,	/* virtual_server ... { */
	B_REAL,		/* real_server ADDR PORT { */
	B_OTHER,	/* anything else: skipped to its } */
};

struct group {
	char		 name[GROUP_NAME_MAX];
	struct lvs_addr	 vips[LVS_MAX_VIPS];
	size_t		 nvips;
};

struct parser {
	struct lvs_listener	*l;
	const char		*file;
	unsigned		 line;
	char			*err;
	size_t			 errlen;
	enum block		 stack[LVS_MAX_DEPTH];
	size_t			 depth;
	struct group		 groups[MAX_GROUPS];
	size_t			 ngroups;
	struct group		*group;		/* the one being read */
	struct lvs_service	*service;	/* the one being read */
	struct lvs_real		*real;		/* the one being read */
	long			 next_member;	/* from its comment, or -1 */
	char			 service_group[GROUP_NAME_MAX];
};

static const char *const proto_names[] = {
	[LVS_PROTO_NONE] = "none",
	[LVS_PROTO_UDP] = "UDP",
	[LVS_PROTO_SCTP] = "SCTP",
	[LVS_PROTO_TCP] = "TCP",
};

const char *
lvs_proto_name(enum lvs_proto p)
{
	return (unsigned)p < sizeof(proto_names) / sizeof(proto_names[0]) ?
	    proto_names[p] : "none";
}

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
parse_addr(const char *host, const char *port, struct lvs_addr *a)
{
	uint64_t	 v;

	memset(a, 0, sizeof(*a));
	if (strlen(port) > 5 || dec_u64_str(port, 65535, &v) == -1 || v == 0)
		return -1;
	a->port = (uint16_t)v;
	if (inet_pton(AF_INET, host, a->addr) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, host, a->addr) == 1)
		a->family = AF_INET6;
	else
		return -1;
	return 0;
}

/* The member of that id, added when new. */
static long
member_index(struct parser *p, const char *id, int disabled)
{
	struct lvs_listener	*l = p->l;
	struct lvs_member	*m;
	size_t			 i;

	for (i = 0; i < l->nmembers; i++)
		if (strcmp(l->members[i].id, id) == 0) {
			l->members[i].disabled |= (uint8_t)disabled;
			return (long)i;
		}
	if (l->nmembers == LVS_MAX_MEMBERS)
		return perr(p, "more than %d members", LVS_MAX_MEMBERS);
	if ((l->nmembers & (l->nmembers - 1)) == 0) {	/* 0, 1, 2, 4, ... */
		size_t	 cap = l->nmembers ? 2 * l->nmembers : 1;

		if ((m = reallocarray(l->members, cap, sizeof(*m))) == NULL)
			return perr(p, "out of memory");
		l->members = m;
	}
	m = &l->members[l->nmembers];
	memset(m, 0, sizeof(*m));
	memcpy(m->id, id, LVS_ID_LEN);
	m->disabled = (uint8_t)disabled;
	return (long)l->nmembers++;
}

/*
 * The comments Octavia writes: "Configuration for <Kind> <id>" and
 * "<Kind> <id> is disabled". Others are ignored.
 */
static int
parse_comment(struct parser *p, char *c)
{
	char	*w[6], *save, *s;
	int	 n = 0, disabled;
	const char *kind, *id;
	char	*dst = NULL;

	for (s = strtok_r(c, " \t\r", &save); s != NULL && n < 6;
	    s = strtok_r(NULL, " \t\r", &save))
		w[n++] = s;
	if (n == 4 && strcmp(w[0], "Configuration") == 0 &&
	    strcmp(w[1], "for") == 0) {
		kind = w[2], id = w[3], disabled = 0;
	} else if (n == 4 && strcmp(w[2], "is") == 0 &&
	    strcmp(w[3], "disabled") == 0) {
		kind = w[0], id = w[1], disabled = 1;
	} else
		return 0;
	if (!octavia_is_uuid(id, strlen(id)))
		return 0;
	if (strcmp(kind, "Member") == 0) {
		long	 i = member_index(p, id, disabled);

		if (i < 0)
			return -1;
		p->next_member = disabled ? -1 : i;
		return 0;
	}
	if (strcmp(kind, "Loadbalancer") == 0)
		dst = p->l->loadbalancer;
	else if (strcmp(kind, "Listener") == 0) {
		dst = p->l->listener;
		p->l->disabled |= (uint8_t)disabled;
	} else if (strcmp(kind, "Pool") == 0) {
		dst = p->l->pool;
		p->l->pool_disabled |= (uint8_t)disabled;
	}
	if (dst == NULL)
		return 0;		/* HealthMonitor: nothing to map */
	if (*dst != '\0' && strcmp(dst, id) != 0)
		return perr(p, "a second %s: %s after %s", kind, id, dst);
	memcpy(dst, id, LVS_ID_LEN + 1);
	return 0;
}

static struct group *
group_find(struct parser *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->ngroups; i++)
		if (strcmp(p->groups[i].name, name) == 0)
			return &p->groups[i];
	return NULL;
}

static int
push(struct parser *p, enum block b)
{
	if (p->depth == LVS_MAX_DEPTH)
		return perr(p, "blocks nested deeper than %d", LVS_MAX_DEPTH);
	p->stack[p->depth++] = b;
	return 0;
}

static int
open_server(struct parser *p, char **w, int nw)
{
	struct lvs_listener	*l = p->l;
	struct lvs_service	*sv;

	if (l->nservices == LVS_MAX_SERVICES)
		return perr(p, "more than %d virtual servers",
		    LVS_MAX_SERVICES);
	sv = &l->services[l->nservices];
	memset(sv, 0, sizeof(*sv));
	p->service_group[0] = '\0';
	if (nw == 4 && strcmp(w[1], "group") == 0) {
		struct group *g = group_find(p, w[2]);

		if (g == NULL)
			return perr(p, "virtual_server group %s: no such "
			    "virtual_server_group", w[2]);
		memcpy(sv->vips, g->vips, g->nvips * sizeof(g->vips[0]));
		sv->nvips = g->nvips;
	} else if (nw == 4) {
		if (parse_addr(w[1], w[2], &sv->vips[0]) == -1)
			return perr(p, "virtual_server: bad address \"%s %s\"",
			    w[1], w[2]);
		sv->nvips = 1;
	} else
		return perr(p, "expected: virtual_server ADDRESS PORT { or "
		    "virtual_server group NAME {");
	l->nservices++;
	p->service = sv;
	return push(p, B_SERVER);
}

static int
open_real(struct parser *p, char **w, int nw)
{
	struct lvs_service	*sv = p->service;
	struct lvs_real		*r;

	if (nw != 4)
		return perr(p, "expected: real_server ADDRESS PORT {");
	if (p->next_member < 0)
		return perr(p, "real_server %s %s: no \"# Configuration for "
		    "Member <id>\" before it", w[1], w[2]);
	if (sv->nreals == LVS_MAX_MEMBERS)
		return perr(p, "more than %d real servers", LVS_MAX_MEMBERS);
	if ((sv->nreals & (sv->nreals - 1)) == 0) {
		size_t	 cap = sv->nreals ? 2 * sv->nreals : 1;

		if ((r = reallocarray(sv->reals, cap, sizeof(*r))) == NULL)
			return perr(p, "out of memory");
		sv->reals = r;
	}
	r = &sv->reals[sv->nreals];
	memset(r, 0, sizeof(*r));
	if (parse_addr(w[1], w[2], &r->addr) == -1)
		return perr(p, "real_server: bad address \"%s %s\"", w[1], w[2]);
	r->member = (uint32_t)p->next_member;
	r->weight = 1;		/* keepalived's default */
	p->next_member = -1;	/* one comment, one real_server */
	sv->nreals++;
	p->real = r;
	return push(p, B_REAL);
}

/* A line of words (comments gone), the last maybe "{" or "}". */
static int
parse_line(struct parser *p, char **w, int nw)
{
	enum block	 in = p->depth ? p->stack[p->depth - 1] : B_TOP;
	int		 opens = strcmp(w[nw - 1], "{") == 0;
	uint64_t	 v;

	if (nw == 1 && strcmp(w[0], "}") == 0) {
		if (p->depth == 0)
			return perr(p, "} without {");
		p->depth--;
		if (in == B_GROUP && p->group->nvips == 0)
			return perr(p, "virtual_server_group %s is empty",
			    p->group->name);
		return 0;
	}
	if (in == B_OTHER)
		return opens ? push(p, B_OTHER) : 0;
	if (in == B_GROUP) {
		struct group *g = p->group;

		if (opens)
			return push(p, B_OTHER);
		if (nw == 2 && strcmp(w[0], "fwmark") == 0)
			return 0;
		if (nw != 2 || g->nvips == LVS_MAX_VIPS ||
		    parse_addr(w[0], w[1], &g->vips[g->nvips]) == -1)
			return perr(p, "virtual_server_group %s: expected "
			    "ADDRESS PORT (at most %d)", g->name, LVS_MAX_VIPS);
		g->nvips++;
		return 0;
	}
	if (in == B_TOP) {
		if (strcmp(w[0], "net_namespace") == 0 && nw == 2) {
			if (strlcpy(p->l->netns, w[1], sizeof(p->l->netns)) >=
			    sizeof(p->l->netns))
				return perr(p, "net_namespace: name too long");
			return 0;
		}
		if (strcmp(w[0], "virtual_server_group") == 0) {
			if (nw != 3 || !opens)
				return perr(p, "expected: virtual_server_group "
				    "NAME {");
			if (p->ngroups == MAX_GROUPS || group_find(p, w[1]) ||
			    strlen(w[1]) >= GROUP_NAME_MAX)
				return perr(p, "virtual_server_group %s: a "
				    "duplicate, too long or one too many", w[1]);
			p->group = &p->groups[p->ngroups++];
			memset(p->group, 0, sizeof(*p->group));
			memcpy(p->group->name, w[1], strlen(w[1]) + 1);
			return push(p, B_GROUP);
		}
		if (strcmp(w[0], "virtual_server") == 0) {
			if (!opens)
				return perr(p, "virtual_server: no {");
			return open_server(p, w, nw);
		}
		return opens ? push(p, B_OTHER) : 0;
	}
	if (in == B_SERVER) {
		if (strcmp(w[0], "real_server") == 0 && opens)
			return open_real(p, w, nw);
		if (strcmp(w[0], "protocol") == 0 && nw == 2) {
			if (strcmp(w[1], "UDP") == 0)
				p->service->proto = LVS_PROTO_UDP;
			else if (strcmp(w[1], "SCTP") == 0)
				p->service->proto = LVS_PROTO_SCTP;
			else if (strcmp(w[1], "TCP") == 0)
				p->service->proto = LVS_PROTO_TCP;
			else
				return perr(p, "protocol: \"%s\"", w[1]);
			return 0;
		}
		return opens ? push(p, B_OTHER) : 0;
	}
	/* B_REAL: its weight, and whether a checker watches it */
	if (opens) {
		if (strcmp(w[0], "MISC_CHECK") == 0 ||
		    strcmp(w[0], "TCP_CHECK") == 0 ||
		    strcmp(w[0], "UDP_CHECK") == 0 ||
		    strcmp(w[0], "HTTP_GET") == 0 ||
		    strcmp(w[0], "SSL_GET") == 0 ||
		    strcmp(w[0], "DNS_CHECK") == 0 ||
		    strcmp(w[0], "PING_CHECK") == 0)
			p->real->checked = 1;
		return push(p, B_OTHER);
	}
	if (strcmp(w[0], "weight") == 0) {
		if (nw != 2 || dec_u64_str(w[1], 65535, &v) == -1)
			return perr(p, "weight: \"%s\"", nw > 1 ? w[1] : "");
		p->real->weight = (uint32_t)v;
	}
	return 0;
}

/* Splits buf into words, "{" and "}" always words of their own. */
static int
split(struct parser *p, char *buf, char **w, char *spare, size_t nspare)
{
	char	*s = buf, *o = spare, *end = spare + nspare;
	int	 nw = 0;

	while (*s != '\0') {
		if (*s == ' ' || *s == '\t' || *s == '\r') {
			s++;
			continue;
		}
		if (nw == MAX_WORDS)
			return perr(p, "too many words");
		w[nw++] = o;
		if (*s == '{' || *s == '}')
			*o++ = *s++;
		else if (*s == '"') {		/* a quoted word, quotes gone */
			for (s++; *s != '\0' && *s != '"'; )
				*o++ = *s++;
			if (*s++ != '"')
				return perr(p, "unterminated quote");
		} else
			while (*s != '\0' && !strchr(" \t\r{}\"", *s))
				*o++ = *s++;
		*o++ = '\0';
		if (o > end)
			return perr(p, "line too long");
	}
	return nw;
}

int
lvsconf_parse(struct lvs_listener *l, const char *file, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct parser	 p;
	char		 buf[LVS_MAX_LINE + 1], words[2 * LVS_MAX_LINE + 2];
	char		*w[MAX_WORDS], *c, *q, none[1] = "";
	const char	*line = text, *end = text + len, *nl;
	size_t		 n;
	int		 nw;

	memset(l, 0, sizeof(*l));
	memset(&p, 0, sizeof(p));
	p.l = l;
	p.file = file;
	p.err = err;
	p.errlen = errlen;
	p.next_member = -1;
	if (len > LVS_MAX_FILE)
		return perr(&p, "larger than %d bytes", LVS_MAX_FILE);
	if (memchr(text, '\0', len) != NULL)
		return perr(&p, "binary file (NUL byte)");
	while (line < end) {
		p.line++;
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		n = (size_t)(nl - line);
		if (n > LVS_MAX_LINE)
			return perr(&p, "line longer than %d bytes",
			    LVS_MAX_LINE);
		memcpy(buf, line, n);
		buf[n] = '\0';
		line = nl + 1;
		/* a comment starts at # or ! outside quotes */
		for (c = buf, q = NULL; *c != '\0'; c++) {
			if (*c == '"')
				q = q ? NULL : c;
			else if (q == NULL && (*c == '#' || *c == '!'))
				break;
		}
		if (*c != '\0') {
			*c++ = '\0';
			if (parse_comment(&p, c) == -1)
				return -1;
		}
		for (nw = 0; nw < MAX_WORDS; nw++)
			w[nw] = none;	/* words past the count are empty */
		if ((nw = split(&p, buf, w, words, sizeof(words))) < 0)
			return -1;
		if (nw > 0 && parse_line(&p, w, nw) == -1)
			return -1;
	}
	if (p.depth != 0)
		return perr(&p, "%zu blocks not closed at the end", p.depth);
	if (l->listener[0] == '\0')
		return perr(&p, "no \"# Configuration for Listener <id>\"");
	return 0;
}

void
lvsconf_free(struct lvs_listener *l)
{
	size_t	 i;

	for (i = 0; i < l->nservices; i++)
		free(l->services[i].reals);
	free(l->members);
	memset(l, 0, sizeof(*l));
}
