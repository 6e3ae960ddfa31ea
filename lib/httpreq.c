#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "decimal.h"
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
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A reg-name or IPv4 byte (RFC 3986 3.2.2): unreserved, %, sub-delims. */
static int
is_reg_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    is_digit((char)c) || (c != '\0' && strchr("-._~%!$&'()*+,;=", c));
}

/*
 * An authority as a request may carry one, in its target or its Host
 * (RFC 9110 4.2.1, 7.2): a host, an IP literal in brackets or a name,
 * not empty, then an optional ":" and port digits; no userinfo.
 */
static int
authority_ok(const char *p, const char *end)
{
	const char	*h = p;

	if (p < end && *p == '[') {
		for (p++; p < end && *p != ']'; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
				return 0;
		if (p == end || p == h + 1)
			return 0;
		p++;
	} else {
		for (; p < end && *p != ':'; p++)
			if (!is_reg_name_char((unsigned char)*p))
				return 0;
		if (p == h)
			return 0;
	}
	if (p < end && *p++ != ':')
		return 0;
	for (; p < end; p++)
		if (!is_digit(*p))
			return 0;
	return 1;
}

/*
 * An absolute-form target (RFC 9112 3.2.2), "http://host:port/path?q":
 * moves *t past the scheme and authority to the path. 0, -1 when it is
 * not one, 400 when its authority is malformed.
 */
static int
absolute_form(const char **t, const char *end)
{
	const char	*p = *t, *a;

	if (end - p > 7 && strncasecmp(p, "http://", 7) == 0)
		p += 7;
	else if (end - p > 8 && strncasecmp(p, "https://", 8) == 0)
		p += 8;
	else
		return -1;
	for (a = p; p < end && *p != '/' && *p != '?'; p++)
		;
	if (!authority_ok(a, p))
		return 400;
	*t = p;
	return 0;
}

static int
parse_request_line(const char *p, const char *eol, struct http_request *req)
{
	const char	*m = p, *sp1, *sp2, *t, *q, *v;

	if ((sp1 = memchr(p, ' ', (size_t)(eol - p))) == NULL || sp1 == m)
		return 400;
	t = sp1 + 1;
	if ((sp2 = memchr(t, ' ', (size_t)(eol - t))) == NULL || sp2 == t)
		return 400;

	/*
	 * The version first: HTTP/2's preface ("PRI * HTTP/2.0") is a 505,
	 * whatever its target. A 1.x minor above 1 is served as 1.1, as RFC
	 * 9110 2.5 asks of a recipient.
	 */
	v = sp2 + 1;
	if (eol - v != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
	    !is_digit(v[5]) || !is_digit(v[7]))
		return 400;
	if (v[5] != '1')
		return 505;
	req->minor = v[7] - '0';

	for (q = m; q < sp1; q++)
		if (!is_tchar((unsigned char)*q))
			return 400;
	if ((size_t)(sp1 - m) == 3 && memcmp(m, "GET", 3) == 0)
		req->method = HTTP_METHOD_GET;
	else if ((size_t)(sp1 - m) == 4 && memcmp(m, "HEAD", 4) == 0)
		req->method = HTTP_METHOD_HEAD;
	else
		req->method = HTTP_METHOD_OTHER;

	for (q = t; q < sp2; q++)
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
			return 400;
	if (*t != '/' && absolute_form(&t, sp2) != 0)
		return 400;
	q = memchr(t, '?', (size_t)(sp2 - t));
	if (t == sp2 || t == q) {	/* "http://host" or "http://host?x" */
		req->path.s = "/";
		req->path.len = 1;
	} else {
		req->path.s = t;
		req->path.len = (size_t)((q ? q : sp2) - t);
	}
	req->query.s = q ? q + 1 : sp2;
	req->query.len = q ? (size_t)(sp2 - q - 1) : 0;
	return 0;
}

/* A field value's bytes: VCHAR, obs-text, SP and HTAB (RFC 9110 5.5). */
static int
field_value_ok(const char *v, const char *end)
{
	for (; v < end; v++)
		if (((unsigned char)*v < 0x20 && *v != '\t') ||
		    (unsigned char)*v == 0x7f)
			return 0;
	return 1;
}

int
http_request_parse(const char *buf, size_t len, struct http_request *req)
{
	const char	*end, *p, *eol, *colon, *v, *ve, *lim;
	struct http_str	 conn = { NULL, 0 };
	size_t		 nhdr = 0, empty;
	uint64_t	 clen = 0;
	int		 rc, clen_seen = 0, hosts = 0;

	memset(req, 0, sizeof(*req));
	lim = buf + (len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD);

	/*
	 * The request line. A few empty lines before it are ignored (RFC
	 * 9112 2.2: at least one); more is a malformed request, not a long
	 * one.
	 */
	p = buf;
	for (empty = 0; p < lim && (*p == '\r' || *p == '\n'); p++)
		if (*p == '\n' && ++empty > HTTP_MAX_EMPTY_LINES)
			return 400;
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
		/* no NUL, bare CR or other control byte in a value */
		if (!field_value_ok(colon + 1, end))
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
			else if (str_ieq(n, nl, "Host")) {
				/* empty, or an authority (RFC 9112 3.2) */
				if (val.len > 0 &&
				    !authority_ok(val.s, val.s + val.len))
					return 400;
				hosts++;
			}
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
				if (dec_u64(val.s, val.s + val.len, UINT64_MAX,
				    &clen) != val.s + val.len)
					return 400;
				if (clen > 0)
					req->has_body = 1;
			}
		}
		p = eol + 1;
	}
	req->head_len = (size_t)(eol + 1 - buf);
	/* HTTP/1.1 requires exactly one Host (RFC 9112 3.2) */
	if (req->minor >= 1 && hosts != 1)
		return 400;

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

/*
 * A "q=0.5" parameter as thousandths, -2 for another parameter. The
 * grammar is strict (RFC 9110 12.4.2: "0" [ "." 0*3DIGIT ] or "1" [ "."
 * 0*3"0" ]); anything else is 0, not acceptable: never serve what was not
 * clearly asked for.
 */
static int
parse_q(const char *p, const char *end)
{
	uint64_t	 frac = 0;
	ptrdiff_t	 n;
	int		 q;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	/* cppcheck 2.10 thinks the loops above leave end - p below 3 */
	/* cppcheck-suppress knownConditionTrueFalse */
	if (end - p < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=')
		return -2;		/* another parameter */
	p += 2;
	if (*p != '0' && *p != '1')
		return 0;
	q = *p++ == '1' ? 1000 : 0;
	if (p == end)
		return q;
	if (*p++ != '.' || end - p > 3)
		return 0;
	if (p == end)
		return q;		/* "0." and "1.": no digit is fine */
	if (dec_u64(p, end, 999, &frac) != end || (q == 1000 && frac != 0))
		return 0;
	for (n = end - p; n < 3; n++)
		frac *= 10;		/* "0.5" is 500 thousandths */
	return q + (int)frac;
}

/* The q-values of value in h: named exactly, and by a wildcard (-1: not). */
static void
header_q(const struct http_str *h, const char *value, int *exactp,
    int *wildp)
{
	const char	*p, *end, *item, *iend, *semi, *v, *ve, *slash, *prm;
	const char	*next;
	size_t		 vlen = strlen(value);
	int		 exact = -1, wild = -1, q, pq;

	*exactp = *wildp = -1;
	if (h->s == NULL)
		return;
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
	*exactp = exact;
	*wildp = wild;
}

int
http_header_q(const struct http_str *h, const char *value)
{
	int	 exact, wild;

	header_q(h, value, &exact, &wild);
	return exact >= 0 ? exact : wild;
}

enum coding
http_choose_coding(const struct http_str *ae)
{
	int	 gzip = http_header_q(ae, "gzip"), zstd, zstd_wild;

	/*
	 * zstd when the client names it and wants it no less than gzip
	 * (cheaper and smaller); gzip when it allows it, "*" included: a
	 * wildcard is no promise that the client decodes the newer one.
	 */
	header_q(ae, "zstd", &zstd, &zstd_wild);
	if (zstd > 0 && zstd >= gzip)
		return CODING_ZSTD;
	return gzip > 0 ? CODING_GZIP : CODING_IDENTITY;
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
	const char	*p, *end, *f;
	uint64_t	 sec = 0, frac = 0;
	ptrdiff_t	 n;

	if (h->s == NULL || h->len == 0)
		return -1;
	end = h->s + h->len;
	/* seconds, at most a day; then milliseconds, the rest ignored */
	if ((p = dec_u64(h->s, end, 86400, &sec)) == NULL)
		p = h->s;		/* ".5" has no whole seconds */
	if (p < end && *p == '.') {
		f = ++p;
		while (p < end && is_digit(*p))
			p++;
		n = p - f > 3 ? 3 : p - f;
		/* cppcheck 2.10 does not see the loop above move p */
		/* cppcheck-suppress knownConditionTrueFalse */
		if (n > 0)
			(void)dec_u64(f, f + n, 999, &frac);
		for (; n < 3; n++)
			frac *= 10;
		if (p == f && p - 1 == h->s)
			return -1;	/* "." alone */
	}
	if (p != end || p == h->s)
		return -1;
	*ms = (int64_t)(sec * 1000 + frac);
	return 0;
}

/* v in exactly n decimal digits, zero-padded. */
static void
put_digits(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

int
http_date(int64_t seconds, char out[HTTP_DATE_SIZE])
{
	static const char	 days[][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char	 months[][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec" };
	time_t			 t = (time_t)seconds;
	struct tm		 tm;

	if (seconds < 0 || seconds > 253402300799LL ||	/* 9999-12-31 */
	    gmtime_r(&t, &tm) == NULL)
		return -1;
	/* "Sun, 06 Nov 1994 08:49:37 GMT": fixed widths, no printf */
	memcpy(out, days[tm.tm_wday], 3);
	/* fixed-width fields; the NUL ends the last */
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(out + 3, ", ", 2);
	put_digits(out + 5, tm.tm_mday, 2);
	out[7] = ' ';
	memcpy(out + 8, months[tm.tm_mon], 3);
	out[11] = ' ';
	put_digits(out + 12, tm.tm_year + 1900, 4);
	out[16] = ' ';
	put_digits(out + 17, tm.tm_hour, 2);
	out[19] = ':';
	put_digits(out + 20, tm.tm_min, 2);
	out[22] = ':';
	put_digits(out + 23, tm.tm_sec, 2);
	memcpy(out + 25, " GMT", 5);
	return 0;
}
