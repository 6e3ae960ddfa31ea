/*
 * A small HTTP/1.x server on bufferevents: GET/HEAD /metrics, a landing
 * page at /, keep-alive, pipelining, an idle timeout, and refusals for
 * everything else. One request at a time per connection: reading pauses
 * while a scrape is pending.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "agent.h"
#include "gzip.h"
#include "httpreq.h"
#include "log.h"

#define GZIP_LEVEL	1	/* fast: metrics text compresses well anyway */
/* Prometheus gives up at its scrape timeout: answer a little before. */
#define TIMEOUT_MARGIN(ms)	((ms) - (ms) / 10)

struct http_conn {
	TAILQ_ENTRY(http_conn)	 entry;
	struct agent_listener	*l;
	struct bufferevent	*bev;
	struct scrape_waiter	 waiter;
	int			 busy;		/* a scrape is pending */
	int			 in_process;	/* inside http_process() */
	int			 closing;	/* close once output drains */
	int			 keep_alive;
	int			 head_only;
	int			 gzip;
	enum expo_format	 format;
	unsigned		 scopes;
};

static void	http_process(struct http_conn *);

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

void
http_conn_free(struct http_conn *c)
{
	struct agent	*a = c->l->agent;

	scrape_cancel(&a->scraper, &c->waiter);
	if (c->waiter.deadline != NULL)
		event_free(c->waiter.deadline);
	TAILQ_REMOVE(&c->l->conns, c, entry);
	c->l->nconns--;
	a->nconns--;
	bufferevent_free(c->bev);
	free(c);
	if (a->stopping && a->nconns == 0)
		event_base_loopexit(a->base, NULL);
}

/*
 * SIGTERM: idle connections close now; one waiting for a scrape or still
 * sending gets its answer, then closes.
 */
void
http_listener_drain(struct agent_listener *l)
{
	struct http_conn	*c, *tmp;

	TAILQ_FOREACH_SAFE(c, &l->conns, entry, tmp) {
		c->keep_alive = 0;
		if (c->busy)
			continue;
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			http_conn_free(c);
		else {
			c->closing = 1;
			bufferevent_disable(c->bev, EV_READ);
		}
	}
}

/*
 * Queues a complete response. extra is more header lines, each ending in
 * CRLF, or NULL. A HEAD request gets the headers only.
 */
static void
http_respond(struct http_conn *c, int status, const char *ctype,
    const void *body, size_t len, const char *extra)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	evbuffer_add_printf(out,
	    "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Connection: %s\r\n"
	    "%s\r\n",
	    status, status_text(status), ctype, len,
	    c->keep_alive ? "keep-alive" : "close", extra ? extra : "");
	if (!c->head_only)
		evbuffer_add(out, body, len);
	if (!c->keep_alive) {
		c->closing = 1;
		bufferevent_disable(c->bev, EV_READ);
	}
}

static void
http_error(struct http_conn *c, int status, const char *extra)
{
	char	 body[64];
	int	 n;

	n = snprintf(body, sizeof(body), "%d %s\n", status,
	    status_text(status));
	http_respond(c, status, "text/plain; charset=utf-8", body, (size_t)n,
	    extra);
}

static void
http_scrape_done(const struct scrape_result *r, void *arg)
{
	struct http_conn	*c = arg;
	struct agent		*a = c->l->agent;
	struct wbuf		*body = &a->body;
	const char		*ctype;

	c->busy = 0;
	wbuf_reset(&a->body);
	agent_render(a, r, c->scopes, c->format, &a->body);
	if (c->gzip && !wbuf_failed(&a->body)) {
		wbuf_reset(&a->gz);
		gzip_compress(a->body.data, a->body.len, GZIP_LEVEL, &a->gz);
		body = &a->gz;
	}
	ctype = c->format == EXPO_OPENMETRICS ?
	    EXPO_CONTENT_TYPE_OPENMETRICS : EXPO_CONTENT_TYPE_TEXT;
	if (wbuf_failed(body)) {
		log_warnx("rendering the metrics failed (%zu bytes)",
		    a->body.len);
		c->keep_alive = 0;
		http_error(c, 500, NULL);
	} else
		http_respond(c, 200, ctype, body->data, body->len, c->gzip ?
		    "Content-Encoding: gzip\r\nVary: Accept, Accept-Encoding\r\n" :
		    "Vary: Accept, Accept-Encoding\r\n");
	if (!c->in_process && !c->closing) {
		bufferevent_enable(c->bev, EV_READ);
		http_process(c);
	}
}

static void
http_landing(struct http_conn *c)
{
	struct agent	*a = c->l->agent;
	char		 page[1024];
	int		 n;

	n = snprintf(page, sizeof(page),
	    "<!DOCTYPE html>\n<html><head><title>%s</title></head>\n"
	    "<body><h1>%s %s</h1>\n"
	    "<p>Load balancer: %s</p>\n"
	    "<p><a href=\"/metrics\">Metrics</a></p>\n</body></html>\n",
	    AGENT_NAME, AGENT_NAME, AGENT_VERSION,
	    a->conf.loadbalancer_id[0] ? a->conf.loadbalancer_id : "unknown");
	http_respond(c, 200, "text/html; charset=utf-8", page, (size_t)n,
	    NULL);
}

static int
path_is(const struct http_request *req, const char *p)
{
	return req->path.len == strlen(p) &&
	    memcmp(req->path.s, p, req->path.len) == 0;
}

static void
http_route(struct http_conn *c, const struct http_request *req)
{
	struct agent	*a = c->l->agent;
	int		 known = path_is(req, "/metrics") || path_is(req, "/");
	int64_t		 timeout_ms;

	if (!known) {
		http_error(c, 404, NULL);
		return;
	}
	if (req->method == HTTP_METHOD_OTHER) {
		c->keep_alive = 0;	/* a body we will not read may follow */
		http_error(c, 405, "Allow: GET, HEAD\r\n");
		return;
	}
	if (path_is(req, "/")) {
		http_landing(c);
		return;
	}
	if (http_query_scopes(&req->query, &c->scopes) == -1) {
		http_error(c, 400, NULL);
		return;
	}
	c->gzip = http_wants_gzip(&req->accept_encoding);
	c->format = http_wants_openmetrics(&req->accept) ?
	    EXPO_OPENMETRICS : EXPO_TEXT;
	if (http_parse_timeout(&req->scrape_timeout, &timeout_ms) == 0)
		timeout_ms = TIMEOUT_MARGIN(timeout_ms);
	else
		timeout_ms = 0;
	log_debug("listener %s: /metrics%s%.*s as %s%s", c->l->conf.id,
	    req->query.len ? "?" : "", (int)req->query.len, req->query.s,
	    c->format == EXPO_OPENMETRICS ? "openmetrics" : "text",
	    c->gzip ? ", gzip" : "");
	c->busy = 1;
	bufferevent_disable(c->bev, EV_READ);
	scrape_request(&a->scraper, &c->waiter, timeout_ms);
}

static void
http_process(struct http_conn *c)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct http_request	 req;
	size_t			 len;
	const char		*p;
	int			 rc;

	c->in_process = 1;
	while (!c->busy && !c->closing &&
	    (len = evbuffer_get_length(in)) > 0) {
		if (len > HTTP_MAX_HEAD)
			len = HTTP_MAX_HEAD;
		if ((p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len)) ==
		    NULL)
			break;
		rc = http_request_parse(p, len, &req);
		if (rc == HTTP_PARSE_INCOMPLETE)
			break;
		c->head_only = 0;
		if (rc != HTTP_PARSE_OK) {
			c->keep_alive = 0;
			http_error(c, rc, NULL);
			break;
		}
		c->keep_alive = req.keep_alive && !req.has_body;
		c->head_only = req.method == HTTP_METHOD_HEAD;
		/* req points into the buffer: route before draining it */
		http_route(c, &req);
		evbuffer_drain(in, req.head_len);
	}
	c->in_process = 0;
	/* a scrape answered from a fresh snapshot came back in http_route */
	if (!c->busy && !c->closing)
		bufferevent_enable(c->bev, EV_READ);
}

static void
http_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	http_process(arg);
}

static void
http_write(struct bufferevent *bev, void *arg)
{
	struct http_conn	*c = arg;

	if (c->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		http_conn_free(c);
}

static void
http_event(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn	*c = arg;

	/* A client that half-closes after its request still gets the answer. */
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) &&
	    (c->busy || evbuffer_get_length(bufferevent_get_output(bev)) > 0)) {
		c->keep_alive = 0;
		c->closing = !c->busy;
		return;
	}
	http_conn_free(c);
}

void
http_conn_new(struct agent_listener *l, int fd)
{
	struct agent		*a = l->agent;
	struct http_conn	*c;
	struct timeval		 idle;
	int			 on = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("connection");
		close(fd);
		return;
	}
	/* responses go out whole: do not wait for the client's ACK (Nagle) */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	c->bev = bufferevent_socket_new(a->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		log_warnx("bufferevent_socket_new failed");
		close(fd);
		free(c);
		return;
	}
	c->l = l;
	c->keep_alive = 1;
	c->waiter.cb = http_scrape_done;
	c->waiter.arg = c;
	TAILQ_INSERT_TAIL(&l->conns, c, entry);
	l->nconns++;
	a->nconns++;

	idle.tv_sec = l->conf.idle_timeout_ms / 1000;
	idle.tv_usec = (l->conf.idle_timeout_ms % 1000) * 1000;
	bufferevent_setcb(c->bev, http_read, http_write, http_event, c);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}
