/*
 * The HTTP/1.x request head parser. It works on the bytes received so far
 * and never prints: it answers "need more", "complete", or the HTTP status
 * to refuse the request with.
 */
#ifndef HTTPREQ_H
#define HTTPREQ_H

#include <stddef.h>
#include <stdint.h>

#include "coding.h"

#define HTTP_MAX_HEAD		8192	/* request line and headers */
#define HTTP_MAX_EMPTY_LINES	4	/* ignored before the request line */
#define HTTP_MAX_HEADERS	100

enum http_parse {
	HTTP_PARSE_INCOMPLETE = 0,
	HTTP_PARSE_OK = 1,
	/* otherwise an HTTP status: 400, 414, 431, 501, 505 */
};

enum http_method {
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_OTHER,
};

struct http_str {
	const char	*s;	/* into the parsed buffer; NULL when absent */
	size_t		 len;
};

struct http_request {
	size_t			 head_len;	/* bytes up to the body */
	enum http_method	 method;
	struct http_str		 path;		/* target up to '?' */
	struct http_str		 query;		/* after '?', may be empty */
	int			 minor;		/* HTTP/1.<minor> */
	int			 keep_alive;
	int			 has_body;
	struct http_str		 accept;
	struct http_str		 accept_encoding;
	struct http_str		 scrape_timeout; /* X-Prometheus-Scrape-Timeout-Seconds */
};

/*
 * Parses the head at the start of buf. Returns HTTP_PARSE_INCOMPLETE while
 * the head may still complete within HTTP_MAX_HEAD bytes, HTTP_PARSE_OK
 * with req filled in, or an HTTP status for a request to refuse.
 */
int	http_request_parse(const char *buf, size_t len,
	    struct http_request *req);

/* Case-insensitive search of a comma-separated header for a token. */
int	http_token_in_list(const struct http_str *, const char *token);

/*
 * The scopes a query string selects: "scope=listener&scope=pool..." as a
 * bit mask of enum scope. No scope parameter selects all; other parameters
 * are ignored. Returns 0, or -1 for an unknown scope.
 */
int	http_query_scopes(const struct http_str *query, unsigned *mask);

/*
 * The q-value (0 to 1000) an Accept or Accept-Encoding header gives a
 * value: an exact match first, else the best matching wildcard (a media
 * type with subtype "*", any media type, or "*"); -1 when nothing matches.
 * Media parameters other than q are ignored.
 */
int	http_header_q(const struct http_str *, const char *value);

/*
 * The coding a response goes out in, by Accept-Encoding: zstd when named
 * with a q-value no lower than gzip's, else gzip when allowed (by name or
 * by "*"), else none.
 */
enum coding	http_choose_coding(const struct http_str *accept_encoding);

/* Accept prefers OpenMetrics 1.0 over the text format 0.0.4. */
int	http_wants_openmetrics(const struct http_str *accept);

/*
 * X-Prometheus-Scrape-Timeout-Seconds: decimal seconds into milliseconds
 * (at most a day). Returns 0, or -1 when absent or malformed.
 */
int	http_parse_timeout(const struct http_str *, int64_t *ms);

/*
 * The IMF-fixdate of a time in seconds since the epoch, "Sun, 06 Nov 1994
 * 08:49:37 GMT", into out (HTTP_DATE_SIZE bytes, NUL included), for the
 * Date header (RFC 9110 5.6.7). Never locale-dependent. -1 for a time
 * before 1970 or after 9999.
 */
#define HTTP_DATE_SIZE	30
int	http_date(int64_t seconds, char out[HTTP_DATE_SIZE]);

#endif
