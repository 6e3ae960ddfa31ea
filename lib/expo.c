#include <math.h>
#include <stdio.h>
#include <string.h>

#include "expo.h"
#include "metrics.h"


const char *const expo_reject_names[EXPO_REJECT__COUNT] = {
	[EXPO_REJECT_CONNECTION_LIMIT] = "connection_limit",
	[EXPO_REJECT_AGENT_LIMIT] = "agent_limit",
	[EXPO_REJECT_EVICTED] = "evicted",
	[EXPO_REJECT_REQUEST_TIMEOUT] = "request_timeout",
	[EXPO_REJECT_STALLED_READER] = "stalled_reader",
};

/* What follows a row's labels on a status or code line. */
static const char *const state_tails[STATE__COUNT] = {
	[STATE_DOWN] = ",state=\"DOWN\"} ",
	[STATE_UP] = ",state=\"UP\"} ",
	[STATE_MAINT] = ",state=\"MAINT\"} ",
	[STATE_DRAIN] = ",state=\"DRAIN\"} ",
	[STATE_NOLB] = ",state=\"NOLB\"} ",
};
static const char *const code_tails[] = {
	",code=\"1xx\"} ", ",code=\"2xx\"} ", ",code=\"3xx\"} ",
	",code=\"4xx\"} ", ",code=\"5xx\"} ", ",code=\"other\"} ",
};
#define NCODES	(sizeof(code_tails) / sizeof(code_tails[0]))

/* States each scope's status family lists, in HAProxy's order. */
static const uint8_t listener_states[] = { STATE_DOWN, STATE_UP };
static const uint8_t member_states[] = {
	STATE_DOWN, STATE_UP, STATE_MAINT, STATE_DRAIN, STATE_NOLB
};

/* One extra label beyond a row's own, with a value to escape or not. */
struct label {
	const char	*key;
	const char	*val;
	int		 escape;
};

/*
 * The line writers work on raw memory: the caller made sure of
 * EXPO_LINE_MAX bytes of room, so the hot path has no checks per field.
 */
static char *
put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static char *
put_u64(char *p, uint64_t v)
{
	if (v < 10) {
		*p++ = (char)('0' + v);
		return p;
	}
	return p + fmt_u64(p, v);
}

/* Milliseconds as seconds with six decimals, as HAProxy's exporter does. */
static char *
put_ms(char *p, uint64_t v, int neg)
{
	uint64_t	 us;
	int		 i;

	if (neg) {
		*p++ = '-';
		v = (uint64_t)0 - v;
	}
	p = put_u64(p, v / 1000);
	us = (v % 1000) * 1000;
	*p = '.';
	for (i = 6; i >= 1; i--) {
		p[i] = (char)('0' + us % 10);
		us /= 10;
	}
	return p + 7;
}

static char *
put_double(char *p, double v)
{
	if (isnan(v))
		return put(p, "NaN", 3);
	return p + snprintf(p, 32, "%.9g", v);
}

/* Escaped label value of a string the writer does not control. */
static char *
put_escaped(char *p, const char *s, size_t max)
{
	const char	*end = s + strnlen(s, max);

	for (; s < end; s++) {
		if (*s == '\\' || *s == '"') {
			*p++ = '\\';
			*p++ = *s;
		} else if (*s == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else
			*p++ = *s;
	}
	return p;
}

/* Agent label values are bounded so that a line fits EXPO_LINE_MAX. */
#define LABEL_VALUE_MAX		128

/* Room for a line, or NULL (and out->failed) when there is none. */
static char *
line_begin(struct wbuf *out)
{
	if (wbuf_reserve(out, EXPO_LINE_MAX) == -1)
		return NULL;
	return out->data + out->len;
}

static void
line_end(struct wbuf *out, char *p)
{
	out->len = (size_t)(p - out->data);
}

static void
family_header(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out)
{
	size_t	 len = c->name_len;
	char	*p;

	/* OpenMetrics names a counter family without its _total suffix */
	if (c->format == EXPO_OPENMETRICS && fam->type == MT_COUNTER)
		len -= sizeof("_total") - 1;
	if ((p = line_begin(out)) == NULL)
		return;
	p = put(p, "# HELP ", 7);
	p = put(p, c->name, len);
	*p++ = ' ';
	p = put(p, fam->help, strlen(fam->help));
	p = put(p, ".\n# TYPE ", 9);
	p = put(p, c->name, len);
	*p++ = ' ';
	p = put(p, metric_type_name(fam->type), fam->type == MT_COUNTER ? 7 : 5);
	*p++ = '\n';
	line_end(out, p);
	c->started = 1;
}

/*
 * "octavia_<name>{<labels>,<key>="<val>"} " — everything up to the value.
 * Returns NULL when out has no room.
 */
static char *
sample_begin(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, const char *labels, size_t llen,
    const struct label *extra, size_t nextra)
{
	char	*p;
	size_t	 i;

	if (!c->started)
		family_header(c, fam, out);
	if ((p = line_begin(out)) == NULL)
		return NULL;
	p = put(p, c->name, c->name_len);
	if (llen > 0 || nextra > 0) {
		*p++ = '{';
		p = put(p, labels, llen);
		for (i = 0; i < nextra; i++) {
			if (llen > 0 || i > 0)
				*p++ = ',';
			p = put(p, extra[i].key, strlen(extra[i].key));
			*p++ = '=';
			*p++ = '"';
			if (extra[i].escape)
				p = put_escaped(p, extra[i].val, LABEL_VALUE_MAX);
			else
				p = put(p, extra[i].val, strlen(extra[i].val));
			*p++ = '"';
		}
		*p++ = '}';
	}
	*p++ = ' ';
	return p;
}

static char *
put_value(char *p, const struct snap_row *r, int col, enum metric_conv conv)
{
	int	 neg = snap_row_neg(r, col);

	if (!snap_row_has(r, col))
		p = put(p, "NaN", 3);
	else if (conv == CONV_MS)
		p = put_ms(p, r->v[col], neg);
	else if (neg) {
		*p++ = '-';
		p = put_u64(p, (uint64_t)0 - r->v[col]);
	} else
		p = put_u64(p, r->v[col]);
	*p++ = '\n';
	return p;
}

/*
 * Whether to write more: below the stop mark, and EXPO_ROOM_MIN of room
 * reserved, which the line writers then use without checking.
 */
static int
room(struct wbuf *out, size_t stop)
{
	if (out->len >= stop || out->max - out->len < EXPO_ROOM_MIN)
		return 0;
	return wbuf_reserve(out, EXPO_ROOM_MIN) == 0;
}

/*
 * A row's sample without extra labels, the bulk of every exposition:
 * "<name>{<labels>} <value>\n" into room already reserved.
 */
static char *
put_row_sample(char *p, const struct expo_cursor *c, const struct snap_row *r,
    int col, enum metric_conv conv)
{
	memcpy(p, c->name, c->name_len);
	p += c->name_len;
	*p++ = '{';
	memcpy(p, r->labels, r->labels_len);
	p += r->labels_len;
	*p++ = '}';
	*p++ = ' ';
	return put_value(p, r, col, conv);
}

/*
 * Whether row r has a sample of column col: http families only for http
 * proxies, and in OpenMetrics no counter without a value ("counter-like
 * samples cannot be NaN"; the text format keeps NaN, as HAProxy's does)
 * nor below zero, which only a corrupt answer gives (found by fuzz_expo).
 */
static int
row_has_sample(const struct expo_cursor *c, const struct metric_family *fam,
    const struct snap_row *r, int col)
{
	if ((fam->flags & MF_HTTP) && !r->http)
		return 0;
	return c->format != EXPO_OPENMETRICS || fam->type != MT_COUNTER ||
	    (snap_row_has(r, col) && !snap_row_neg(r, col));
}

/* Rows of a listener, pool or member family, from where the cursor is. */
static int
render_rows(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop)
{
	const struct snap_rows	*rs = &c->snap->rows[fam->scope];
	const struct snap_row	*r;
	const uint8_t		*states;
	size_t			 k, nstates;
	char			*p;

	switch (fam->conv) {
	case CONV_STATUS:
		if (fam->scope == SCOPE_MEMBER) {
			states = member_states;
			nstates = sizeof(member_states);
		} else {
			states = listener_states;
			nstates = sizeof(listener_states);
		}
		if (rs->n == 0)
			return 1;
		if (!c->started) {
			if (!room(out, stop))
				return 0;
			family_header(c, fam, out);
		}
		for (; c->row < rs->n && room(out, stop); c->row++) {
			r = &rs->row[c->row];
			p = out->data + out->len;
			for (k = 0; k < nstates; k++) {
				const char *tail = state_tails[states[k]];

				p = put(p, c->name, c->name_len);
				*p++ = '{';
				p = put(p, r->labels, r->labels_len);
				p = put(p, tail, strlen(tail));
				*p++ = r->state == states[k] ? '1' : '0';
				*p++ = '\n';
			}
			line_end(out, p);
		}
		return c->row == rs->n;
	case CONV_HRSP:
		for (; c->sub < NCODES; c->sub++, c->row = 0) {
			int	 col = fam->src + (int)c->sub;
			size_t	 tlen = strlen(code_tails[c->sub]);

			if (!snapshot_has_col(c->snap, col))
				continue;
			for (; c->row < rs->n; c->row++) {
				r = &rs->row[c->row];
				if (!r->http || !row_has_sample(c, fam, r, col))
					continue;
				if (!room(out, stop))
					return 0;
				if (!c->started)
					family_header(c, fam, out);
				p = put(out->data + out->len, c->name,
				    c->name_len);
				*p++ = '{';
				p = put(p, r->labels, r->labels_len);
				p = put(p, code_tails[c->sub], tlen);
				line_end(out, put_value(p, r, col, CONV_INT));
			}
		}
		return 1;
	default:
		if (!snapshot_has_col(c->snap, fam->src))
			return 1;
		if (!c->started) {
			/* the family's header, once it has a sample */
			while (c->row < rs->n && !row_has_sample(c, fam,
			    &rs->row[c->row], fam->src))
				c->row++;
			if (c->row == rs->n)
				return 1;
			if (!room(out, stop))
				return 0;
			family_header(c, fam, out);
		}
		while (c->row < rs->n && room(out, stop)) {
			/* a batch of lines into the room reserved */
			size_t	 end = out->len + EXPO_ROOM_MIN - EXPO_LINE_MAX;

			p = out->data + out->len;
			for (; c->row < rs->n && (size_t)(p - out->data) < end;
			    c->row++) {
				r = &rs->row[c->row];
				if (!row_has_sample(c, fam, r, fam->src))
					continue;
				p = put_row_sample(p, c, r, fam->src, fam->conv);
			}
			line_end(out, p);
		}
		return c->row == rs->n;
	}
}

/* The agent's own families: small, and all about the agent. */
static int
render_agent(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop)
{
	const struct expo_agent	*a = &c->agent;
	struct label		 l[2];
	char			*p = NULL;

	switch (fam->src) {
	case AGENT_DENIED_CONNECTIONS:
		l[0].key = "listener";
		l[0].escape = 1;
		for (; c->row < a->nlisteners && room(out, stop); c->row++) {
			l[0].val = a->listeners[c->row].listener;
			if ((p = sample_begin(c, fam, out, "", 0, l, 1)) == NULL)
				return 0;
			p = put_u64(p, a->listeners[c->row].denied);
			*p++ = '\n';
			line_end(out, p);
		}
		return c->row == a->nlisteners;
	case AGENT_REJECTED_CONNECTIONS:
		/* every reason, 0 or not: a series exists before it moves */
		l[0].key = "listener";
		l[0].escape = 1;
		l[1].key = "reason";
		l[1].escape = 0;
		for (; c->row < a->nlisteners && room(out, stop); c->row++) {
			l[0].val = a->listeners[c->row].listener;
			for (; c->sub < EXPO_REJECT__COUNT; c->sub++) {
				l[1].val = expo_reject_names[c->sub];
				if ((p = sample_begin(c, fam, out, "", 0, l,
				    2)) == NULL)
					return 0;
				p = put_u64(p,
				    a->listeners[c->row].rejected[c->sub]);
				*p++ = '\n';
				line_end(out, p);
			}
			c->sub = 0;
		}
		return c->row == a->nlisteners;
	case AGENT_BUILD_INFO:
		l[0].key = "version";
		l[0].val = a->version;
		l[0].escape = 1;
		p = sample_begin(c, fam, out, "", 0, l, 1);
		if (p != NULL)
			p = put(p, "1", 1);
		break;
	case AGENT_LOADBALANCER_INFO:
		/* no series for an unknown load balancer, no empty label */
		if (a->loadbalancer_id == NULL || a->loadbalancer_id[0] == '\0')
			return 1;
		l[0].key = "loadbalancer";
		l[0].val = a->loadbalancer_id;
		l[0].escape = 1;
		l[1].key = "haproxy_version";
		l[1].val = c->snap ? c->snap->haproxy_version : "";
		l[1].escape = 1;
		p = sample_begin(c, fam, out, "", 0, l, l[1].val[0] ? 2 : 1);
		if (p != NULL)
			p = put(p, "1", 1);
		break;
	default:
		if ((p = sample_begin(c, fam, out, "", 0, NULL, 0)) == NULL)
			break;
		switch (fam->src) {
		case AGENT_HAPROXY_UP:
			p = put_u64(p, a->haproxy_up != 0);
			break;
		case AGENT_SCRAPE_DURATION:
			p = put_double(p, a->scrape_duration);
			break;
		case AGENT_SNAPSHOT_AGE:
			p = put_double(p, a->snapshot_age);
			break;
		case AGENT_SOCKET_QUERIES:
			p = put_u64(p, a->socket_queries);
			break;
		case AGENT_CSV_ERRORS:
			p = put_u64(p, a->csv_errors);
			break;
		}
	}
	if (p == NULL)
		return 0;
	*p++ = '\n';
	line_end(out, p);
	return 1;
}

/* One family, or what is left of it; 1 when it is complete. */
static int
render_family(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop)
{
	char	*p;

	switch (fam->conv) {
	case CONV_AGENT:
		return render_agent(c, fam, out, stop);
	case CONV_COMPUTED_CPU:
	case CONV_COMPUTED_MEMORY:
		if ((p = sample_begin(c, fam, out, "", 0, NULL, 0)) == NULL)
			return 0;
		p = put_double(p, fam->conv == CONV_COMPUTED_CPU ?
		    c->agent.cpu : c->agent.memory);
		*p++ = '\n';
		line_end(out, p);
		return 1;
	default:
		if (c->snap == NULL)
			return 1;
		if (fam->scope != SCOPE_LOADBALANCER)
			return render_rows(c, fam, out, stop);
		if (!((c->snap->info_have >> fam->src) & 1))
			return 1;
		if ((p = sample_begin(c, fam, out, "", 0, NULL, 0)) == NULL)
			return 0;
		p = put_u64(p, c->snap->info[fam->src]);
		*p++ = '\n';
		line_end(out, p);
		return 1;
	}
}

static void
cursor_family(struct expo_cursor *c, unsigned fam)
{
	c->fam = fam;
	c->sub = 0;
	c->row = 0;
	c->started = 0;
	if (fam < FAM__COUNT) {
		const char	*name = metric_families[fam].name;
		size_t		 n = strlen(name);

		/* the table's names are short: METRICS.md's longest is 51 */
		if (n > sizeof(c->name) - sizeof(METRIC_PREFIX))
			n = sizeof(c->name) - sizeof(METRIC_PREFIX);
		memcpy(c->name, METRIC_PREFIX, sizeof(METRIC_PREFIX) - 1);
		memcpy(c->name + sizeof(METRIC_PREFIX) - 1, name, n);
		c->name_len = sizeof(METRIC_PREFIX) - 1 + n;
	}
}

void
expo_cursor_init(struct expo_cursor *c, const struct snapshot *snap,
    const struct expo_agent *agent, unsigned scopes, enum expo_format format)
{
	memset(c, 0, sizeof(*c));
	c->snap = snap;
	c->agent = *agent;
	c->scopes = scopes;
	c->format = format;
	c->end = FAM__COUNT;
	cursor_family(c, 0);
}

void
expo_cursor_range(struct expo_cursor *c, unsigned first, unsigned end)
{
	c->end = end < FAM__COUNT ? end : FAM__COUNT;
	cursor_family(c, first);
}

int
expo_render_some(struct expo_cursor *c, struct wbuf *out, size_t want)
{
	const struct metric_family	*fam;
	size_t				 stop = out->len + want;

	while (!c->done && room(out, stop)) {
		if (c->fam >= c->end) {
			if (c->format == EXPO_OPENMETRICS &&
			    c->end == FAM__COUNT)
				wbuf_puts(out, "# EOF\n");
			c->done = 1;
			break;
		}
		fam = &metric_families[c->fam];
		if (!(c->scopes & (1u << fam->scope)) ||
		    render_family(c, fam, out, stop))
			cursor_family(c, c->fam + 1);
	}
	return c->done;
}

void
expo_render(struct wbuf *out, const struct snapshot *snap,
    const struct expo_agent *agent, unsigned scopes, enum expo_format format)
{
	struct expo_cursor	 c;

	expo_cursor_init(&c, snap, agent, scopes, format);
	for (;;) {
		size_t	 before = out->len;

		if (expo_render_some(&c, out, 1 << 20) || wbuf_failed(out))
			break;
		if (out->len == before) {	/* out's cap reached */
			out->failed = 1;
			break;
		}
	}
}
