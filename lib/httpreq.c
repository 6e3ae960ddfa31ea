#include <string.h>
#include <strings.h>

#include "httpreq.h"
#include "metrics.h"

static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* The end of the line starting at p (the '\n'), or NULL. */
static const char *
line_end(const char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

static int
str_ieq(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

int
http_token_in_list(const struct http_str *h, const char *token)
{
	const char	*p, *end, *t;
	size_t		 tlen = strlen(token);

	if (h->s == NULL)	/* absent: no pointer arithmetic on NULL */
		return 0;
	p = h->s;
	end = h->s + h->len;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		t = p;
		while (p < end && *p != ',')
			p++;
		/* trim trailing blanks and parameters */
		{
			const char *e = t;

			while (e < p && *e != ';' && *e != ' ' && *e != '\t')
				e++;
			if ((size_t)(e - t) == tlen &&
			    strncasecmp(t, token, tlen) == 0)
				return 1;
		}
	}
	return 0;
}

static int
parse_request_line(const char *p, const char *eol, struct http_request *req)
{
	const char	*m = p, *sp1, *sp2, *t, *q;

	if ((sp1 = memchr(p, ' ', (size_t)(eol - p))) == NULL || sp1 == m)
		return 400;
	for (t = m; t < sp1; t++)
		if (!is_tchar((unsigned char)*t))
			return 400;
	if ((size_t)(sp1 - m) == 3 && memcmp(m, "GET", 3) == 0)
		req->method = HTTP_METHOD_GET;
	else if ((size_t)(sp1 - m) == 4 && memcmp(m, "HEAD", 4) == 0)
		req->method = HTTP_METHOD_HEAD;
	else
		req->method = HTTP_METHOD_OTHER;

	t = sp1 + 1;
	if ((sp2 = memchr(t, ' ', (size_t)(eol - t))) == NULL || sp2 == t)
		return 400;
	if (*t != '/')
		return 400;
	for (q = t; q < sp2; q++)
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
			return 400;
	q = memchr(t, '?', (size_t)(sp2 - t));
	req->path.s = t;
	req->path.len = (size_t)((q ? q : sp2) - t);
	req->query.s = q ? q + 1 : sp2;
	req->query.len = q ? (size_t)(sp2 - q - 1) : 0;

	t = sp2 + 1;
	if (eol - t != 8 || memcmp(t, "HTTP/", 5) != 0 || t[6] != '.' ||
	    t[5] < '0' || t[5] > '9' || t[7] < '0' || t[7] > '9')
		return 400;
	if (t[5] != '1')
		return 505;
	req->minor = t[7] - '0';
	return 0;
}

int
http_request_parse(const char *buf, size_t len, struct http_request *req)
{
	const char	*end, *p, *eol, *colon, *v, *ve, *lim;
	struct http_str	 conn = { NULL, 0 };
	size_t		 nhdr = 0;
	int		 rc, clen_seen = 0;

	memset(req, 0, sizeof(*req));
	lim = buf + (len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD);

	/* The request line. Tolerate empty lines before it (RFC 9112 2.2). */
	p = buf;
	while (p < lim && (*p == '\r' || *p == '\n'))
		p++;
	if ((eol = line_end(p, lim)) == NULL)
		return len >= HTTP_MAX_HEAD ? 414 : HTTP_PARSE_INCOMPLETE;
	end = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
	if ((rc = parse_request_line(p, end, req)) != 0)
		return rc;
	p = eol + 1;

	for (;;) {
		if ((eol = line_end(p, lim)) == NULL)
			return len >= HTTP_MAX_HEAD ? 431 :
			    HTTP_PARSE_INCOMPLETE;
		end = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		if (end == p)
			break;		/* the empty line */
		if (++nhdr > HTTP_MAX_HEADERS)
			return 431;
		if (*p == ' ' || *p == '\t')
			return 400;	/* obsolete line folding */
		if ((colon = memchr(p, ':', (size_t)(end - p))) == NULL ||
		    colon == p)
			return 400;
		for (v = p; v < colon; v++)
			if (!is_tchar((unsigned char)*v))
				return 400;
		for (v = colon + 1; v < end && (*v == ' ' || *v == '\t'); v++)
			;
		for (ve = end; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
			;
		{
			const char	*n = p;
			size_t		 nl = (size_t)(colon - p);
			struct http_str	 val = { v, (size_t)(ve - v) };

			if (str_ieq(n, nl, "Connection"))
				conn = val;
			else if (str_ieq(n, nl, "Accept"))
				req->accept = val;
			else if (str_ieq(n, nl, "Accept-Encoding"))
				req->accept_encoding = val;
			else if (str_ieq(n, nl,
			    "X-Prometheus-Scrape-Timeout-Seconds"))
				req->scrape_timeout = val;
			else if (str_ieq(n, nl, "Transfer-Encoding"))
				req->has_body = 1;
			else if (str_ieq(n, nl, "Content-Length")) {
				if (clen_seen++)
					return 400;
				if (val.len == 0)
					return 400;
				for (ve = val.s; ve < val.s + val.len; ve++)
					if (*ve < '0' || *ve > '9')
						return 400;
				if (!(val.len == 1 && val.s[0] == '0'))
					req->has_body = 1;
			}
		}
		p = eol + 1;
	}
	req->head_len = (size_t)(eol + 1 - buf);

	if (req->minor >= 1)
		req->keep_alive = !http_token_in_list(&conn, "close");
	else
		req->keep_alive = http_token_in_list(&conn, "keep-alive");
	return HTTP_PARSE_OK;
}

int
http_query_scopes(const struct http_str *query, unsigned *mask)
{
	const char	*p = query->s, *end, *amp;
	int		 sc;

	*mask = 0;
	end = p != NULL ? p + query->len : NULL;
	while (p != NULL && p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if ((size_t)(amp - p) >= 6 && memcmp(p, "scope=", 6) == 0) {
			sc = metric_scope_parse(p + 6, (size_t)(amp - p - 6));
			if (sc == -1)
				return -1;
			*mask |= 1u << sc;
		}
		p = amp + 1;
	}
	if (*mask == 0)
		*mask = (1u << SCOPE__COUNT) - 1;
	return 0;
}

/* "q=0.5" style weight in thousandths; 1000 when absent. */
static int
parse_q(const char *p, const char *end)
{
	int	 q = 0, scale = 100;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
		return -2;		/* another parameter */
	p += 2;
	if (*p == '1')
		return 1000;
	if (*p != '0')
		return 0;
	for (p++; p < end && *p == '.'; p++)
		;
	for (; p < end && *p >= '0' && *p <= '9' && scale > 0; p++) {
		q += (*p - '0') * scale;
		scale /= 10;
	}
	return q;
}

int
http_header_q(const struct http_str *h, const char *value)
{
	const char	*p, *end, *item, *iend, *semi, *v, *ve, *slash, *prm;
	const char	*next;
	size_t		 vlen = strlen(value);
	int		 exact = -1, wild = -1, q, pq;

	if (h->s == NULL)
		return -1;
	slash = strchr(value, '/');
	end = h->s + h->len;
	for (p = h->s; p < end; p = iend + 1) {
		if ((iend = memchr(p, ',', (size_t)(end - p))) == NULL)
			iend = end;
		item = p;
		while (item < iend && (*item == ' ' || *item == '\t'))
			item++;
		for (semi = item; semi < iend && *semi != ';'; semi++)
			;
		for (ve = semi; ve > item && (ve[-1] == ' ' || ve[-1] == '\t');
		    ve--)
			;
		v = item;
		q = 1000;
		/* parameters: ";a=b;q=0.5" */
		for (prm = semi; prm < iend; prm = next) {
			for (next = prm + 1; next < iend && *next != ';';
			    next++)
				;
			if ((pq = parse_q(prm + 1, next)) != -2)
				q = pq;
		}
		if ((size_t)(ve - v) == vlen && strncasecmp(v, value, vlen) == 0) {
			if (q > exact)
				exact = q;
		} else if ((ve - v == 1 && *v == '*') ||
		    (ve - v == 3 && memcmp(v, "*/*", 3) == 0) ||
		    (slash != NULL && ve - v == slash - value + 2 &&
		    strncasecmp(v, value, (size_t)(slash - value + 1)) == 0 &&
		    ve[-1] == '*')) {
			if (q > wild)
				wild = q;
		}
		if (iend == end)
			break;
	}
	return exact >= 0 ? exact : wild;
}

int
http_wants_gzip(const struct http_str *ae)
{
	return http_header_q(ae, "gzip") > 0;
}

int
http_wants_openmetrics(const struct http_str *accept)
{
	int	 om = http_header_q(accept, "application/openmetrics-text");

	return om > 0 && om > http_header_q(accept, "text/plain");
}

int
http_parse_timeout(const struct http_str *h, int64_t *ms)
{
	const char	*p, *end;
	int64_t		 sec = 0, frac = 0, scale = 100;
	int		 digits = 0;

	if (h->s == NULL || h->len == 0)
		return -1;
	end = h->s + h->len;
	for (p = h->s; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		sec = sec * 10 + (*p - '0');
		if (sec > 86400)
			return -1;
	}
	if (p < end && *p == '.')
		for (p++; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	if (p != end || digits == 0)
		return -1;
	*ms = sec * 1000 + frac;
	return 0;
}
