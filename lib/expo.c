#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "expo.h"
#include "hash.h"
#include "metrics.h"
#include "opstatus.h"


const char *const expo_reject_names[EXPO_REJECT__COUNT] = {
	[EXPO_REJECT_CONNECTION_LIMIT] = "connection_limit",
	[EXPO_REJECT_AGENT_LIMIT] = "agent_limit",
	[EXPO_REJECT_EVICTED] = "evicted",
	[EXPO_REJECT_REQUEST_TIMEOUT] = "request_timeout",
	[EXPO_REJECT_STALLED_READER] = "stalled_reader",
	[EXPO_REJECT_HANDSHAKE_LIMIT] = "handshake_limit",
	[EXPO_REJECT_AGENT_HANDSHAKE_LIMIT] = "agent_handshake_limit",
};

const char *const expo_cert_usage_names[EXPO_CERT__COUNT] = {
	[EXPO_CERT_SERVER] = "server",
	[EXPO_CERT_CLIENT_CA] = "client_ca",
	[EXPO_CERT_CRL] = "crl",
};

const char *const expo_tls_failure_names[EXPO_TLS__COUNT] = {
	[EXPO_TLS_TIMEOUT] = "timeout",
	[EXPO_TLS_CLOSED] = "closed",
	[EXPO_TLS_PLAIN_HTTP] = "plain_http",
	[EXPO_TLS_PROTOCOL_VERSION] = "protocol_version",
	[EXPO_TLS_NO_SHARED_CIPHER] = "no_shared_cipher",
	[EXPO_TLS_NO_CLIENT_CERTIFICATE] = "no_client_certificate",
	[EXPO_TLS_BAD_CLIENT_CERTIFICATE] = "bad_client_certificate",
	[EXPO_TLS_REVOKED_CLIENT_CERTIFICATE] = "revoked_client_certificate",
	[EXPO_TLS_CLIENT_ALERT] = "client_alert",
	[EXPO_TLS_OVERSIZED_HELLO] = "oversized_client_hello",
	[EXPO_TLS_OTHER] = "other",
};

/*
 * The line budget. The writers below put bytes into memory reserved
 * beforehand, without a check per field: room() reserves EXPO_ROOM_MIN
 * before each group of lines, and these bounds, asserted at compile time,
 * say why no group can be longer. Every line is one of
 *
 *	<name>{<labels><tail><value>\n		a row's sample
 *	<name>{<agent labels>} <value>\n		the agent's own
 *	<name> <value>\n				a family without labels
 *	# HELP <name> <help>.\n# TYPE <name> counter\n	a family's header
 *
 * and a group is a header and at most one row's lines (five, for a
 * member's status or operating status), or a batch of row samples cut
 * EXPO_LINE_MAX short of the reserve.
 */
#define NAME_MAX_LEN	(sizeof(((struct expo_cursor *)0)->name))
#define TAIL_MAX	((size_t)23)	/* ",status=\"NO_MONITOR\"} " and NUL */
#define VALUE_MAX	((size_t)32)	/* "-18446744073709551615.000000", "%.9g" */
#define LABEL_VALUE_MAX	((size_t)128)	/* an agent label's, unescaped */
#define LABEL_KEY_MAX	((size_t)16)	/* "haproxy_version" and NUL */
#define AGENT_LABELS	3	/* at most, on one line */
#define AGENT_LABELS_MAX \
	(AGENT_LABELS * (LABEL_KEY_MAX + 4 + 2 * LABEL_VALUE_MAX))
#define HEADER_MAX \
	(2 * NAME_MAX_LEN + METRIC_HELP_MAX + sizeof("# HELP  .\n# TYPE  counter\n"))

_Static_assert(NAME_MAX_LEN + 1 + SNAP_LABELS_MAX + TAIL_MAX + VALUE_MAX + 1
    <= EXPO_LINE_MAX, "a row's sample fits a line");
_Static_assert(NAME_MAX_LEN + 1 + AGENT_LABELS_MAX + 2 + VALUE_MAX + 1
    <= EXPO_LINE_MAX, "an agent sample fits a line");
_Static_assert(HEADER_MAX <= EXPO_LINE_MAX, "a family's header fits a line");
_Static_assert((1 + STATE__COUNT) * EXPO_LINE_MAX <= EXPO_ROOM_MIN,
    "a header and a member's status lines fit the reserve");
_Static_assert(OP__COUNT + 1 <= 7 && STATE__COUNT + 1 <= 7,
    "a row's lines fit EXPO_PIECE_MAX()");
_Static_assert((1 + OP__COUNT) * EXPO_LINE_MAX <= EXPO_ROOM_MIN,
    "a header and a member's operating status lines fit the reserve");

/*
 * What follows a row's labels: "} ", a state or a code, with its length
 * (written on every line, not measured on every line).
 */
struct tail {
	uint8_t		 len;
	char		 text[TAIL_MAX];
};
#define TAIL(s)	{ sizeof(s) - 1, s }

static const struct tail plain_tail = TAIL("} ");
static const struct tail state_tails[STATE__COUNT] = {
	[STATE_DOWN] = TAIL(",state=\"DOWN\"} "),
	[STATE_UP] = TAIL(",state=\"UP\"} "),
	[STATE_MAINT] = TAIL(",state=\"MAINT\"} "),
	[STATE_DRAIN] = TAIL(",state=\"DRAIN\"} "),
	[STATE_NOLB] = TAIL(",state=\"NOLB\"} "),
};
static const struct tail op_tails[OP__COUNT] = {
	[OP_ONLINE] = TAIL(",status=\"ONLINE\"} "),
	[OP_DRAINING] = TAIL(",status=\"DRAINING\"} "),
	[OP_DEGRADED] = TAIL(",status=\"DEGRADED\"} "),
	[OP_ERROR] = TAIL(",status=\"ERROR\"} "),
	[OP_NO_MONITOR] = TAIL(",status=\"NO_MONITOR\"} "),
	[OP_OFFLINE] = TAIL(",status=\"OFFLINE\"} "),
};
static const struct tail code_tails[] = {
	TAIL(",code=\"1xx\"} "), TAIL(",code=\"2xx\"} "),
	TAIL(",code=\"3xx\"} "), TAIL(",code=\"4xx\"} "),
	TAIL(",code=\"5xx\"} "), TAIL(",code=\"other\"} "),
};
#define NCODES	(sizeof(code_tails) / sizeof(code_tails[0]))
/* The label of an extra counter in a family of several, by column. */
static const struct tail ext_tails[EXT__COUNT] = {
	[EXT_H2_HEADERS_RCVD] = TAIL(",type=\"headers\"} "),
	[EXT_H2_DATA_RCVD] = TAIL(",type=\"data\"} "),
	[EXT_H2_SETTINGS_RCVD] = TAIL(",type=\"settings\"} "),
	[EXT_H2_RST_STREAM_RCVD] = TAIL(",type=\"rst_stream\"} "),
	[EXT_H2_GOAWAY_RCVD] = TAIL(",type=\"goaway\"} "),
	[EXT_H2_RST_STREAM_RESP] = TAIL(",type=\"rst_stream\"} "),
	[EXT_H2_GOAWAY_RESP] = TAIL(",type=\"goaway\"} "),
	[EXT_H2_CONN_PROTOCOL_ERRORS] = TAIL(",level=\"connection\"} "),
	[EXT_H2_STRM_PROTOCOL_ERRORS] = TAIL(",level=\"stream\"} "),
};

/* States each scope's status family lists, in HAProxy's order. */
static const uint8_t listener_states[] = { STATE_DOWN, STATE_UP };
static const uint8_t member_states[] = {
	STATE_DOWN, STATE_UP, STATE_MAINT, STATE_DRAIN, STATE_NOLB
};

/* One label of the agent's own, with a value to escape or not. */
struct label {
	const char	*key;		/* under LABEL_KEY_MAX */
	const char	*val;		/* LABEL_VALUE_MAX of it used */
	int		 escape;
};

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
	return p + snprintf(p, VALUE_MAX, "%.9g", v);
}

/* A label value the writer does not control, escaped: up to max bytes. */
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

/*
 * A series' name; in a key walk, KEY_LINE and its family's index (a key's
 * items each begin with their own tag: KEY_LINE, '#' or KEY_RUN).
 */
#define KEY_LINE	'L'

static char *
put_name(char *p, const struct expo_cursor *c)
{
	uint16_t	 fam = (uint16_t)c->fam;

	if (c->keying) {
		*p++ = KEY_LINE;
		return put(p, (const char *)&fam, sizeof(fam));
	}
	return put(p, c->name, c->name_len);
}

/*
 * The one prefix writer: "<name>{<labels><tail>", or "<name> " for a
 * family without labels; everything up to the value.
 */
static char *
put_series(char *p, const struct expo_cursor *c, const char *labels,
    size_t llen, const struct tail *tail)
{
	p = put_name(p, c);
	if (llen == 0) {
		*p++ = ' ';
		return p;
	}
	*p++ = '{';
	p = put(p, labels, llen);
	return put(p, tail->text, tail->len);
}

/*
 * Row i's series, of the family's scope. In a key walk its labels are
 * their hash: what a piece's lines say, in a few bytes a line.
 */
static char *
put_row_series(char *p, const struct expo_cursor *c,
    const struct metric_family *fam, const struct snap_row *r,
    const struct tail *tail)
{
	uint64_t	 id;

	if (!c->keying)
		return put_series(p, c, r->labels, r->labels_len, tail);
	id = c->ids[fam->scope][r - c->snap->rows[fam->scope].row];
	p = put_name(p, c);
	*p++ = '{';
	p = put(p, (const char *)&id, sizeof(id));
	return put(p, tail->text, tail->len);
}

/*
 * Row i's value and the end of its line: NaN when HAProxy left it empty.
 */
static char *
put_value(char *p, const struct snap_rows *rs, size_t i, int col,
    enum metric_conv conv)
{
	const struct snap_row	*r = &rs->row[i];
	uint64_t		 v = snap_value(rs, i, col);
	int			 neg = snap_row_neg(r, col);

	if (!snap_row_has(r, col))
		p = put(p, "NaN", 3);
	else if (conv == CONV_MS)
		p = put_ms(p, v, neg);
	else if (neg) {
		*p++ = '-';
		p = put_u64(p, (uint64_t)0 - v);
	} else
		p = put_u64(p, v);
	*p++ = '\n';
	return p;
}

/*
 * Whether to write more: below the stop mark, and EXPO_ROOM_MIN of room
 * reserved for the next group of lines.
 */
static int
room(struct wbuf *out, size_t stop)
{
	if (out->len >= stop || out->max - out->len < EXPO_ROOM_MIN)
		return 0;
	return wbuf_reserve(out, EXPO_ROOM_MIN) == 0;
}

/* Where the group of lines room() reserved for begins. */
static char *
group_begin(const struct wbuf *out)
{
	return out->data + out->len;
}

/* Ends a group at p, which the line budget keeps within the reserve. */
static void
group_end(struct wbuf *out, const char *p)
{
	assert((size_t)(p - out->data) <= out->cap);
	out->len = (size_t)(p - out->data);
}

static void
family_header(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out)
{
	size_t	 len = c->name_len;
	char	*p = group_begin(out);

	if (c->keying) {		/* what the header says: these two */
		*p++ = '#';
		p = put_name(p, c);
		*p++ = (char)c->format;
		group_end(out, p);
		c->started = 1;
		return;
	}

	/* OpenMetrics names a counter family without its _total suffix */
	if (c->format == EXPO_OPENMETRICS && fam->type == MT_COUNTER)
		len -= sizeof("_total") - 1;
	p = put(p, "# HELP ", 7);
	p = put(p, c->name, len);
	*p++ = ' ';
	p = put(p, fam->help, strnlen(fam->help, METRIC_HELP_MAX));
	p = put(p, ".\n# TYPE ", 9);
	p = put(p, c->name, len);
	*p++ = ' ';
	p = put(p, metric_type_name(fam->type), fam->type == MT_COUNTER ? 7 : 5);
	*p++ = '\n';
	group_end(out, p);
	c->started = 1;
}

/*
 * Room for a group of lines of fam, its header written first if it is
 * not out yet: where the lines go, or NULL when out is full or past stop.
 */
static char *
lines_begin(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop)
{
	if (!room(out, stop))
		return NULL;
	if (!c->started)
		family_header(c, fam, out);
	return group_begin(out);
}

/*
 * Whether row r has a sample of column col: http families only for http
 * proxies; rows from IPVS, and columns only IPVS has, only where there is
 * a value; and in OpenMetrics no counter without a value ("counter-like
 * samples cannot be NaN"; the text format keeps NaN, as HAProxy's does)
 * nor below zero, which only a corrupt answer gives (found by fuzz_expo).
 */
static int
row_has_sample(const struct expo_cursor *c, const struct metric_family *fam,
    const struct snap_row *r, int col)
{
	if ((fam->flags & MF_HTTP) && !r->http)
		return 0;
	/* what IPVS has no meaning for, and what only IPVS has: no NaN */
	if (!snap_row_has(r, col) && (r->ipvs || col >= COL_IPVS_INPKTS))
		return 0;
	return c->format != EXPO_OPENMETRICS || fam->type != MT_COUNTER ||
	    (snap_row_has(r, col) && !snap_row_neg(r, col));
}

/* The row a cursor stops before: the scope's last, or its piece's. */
static size_t
rows_end(const struct expo_cursor *c, const struct snap_rows *rs)
{
	return c->row_stop < rs->n ? c->row_stop : rs->n;
}

/*
 * A status or operating status family: one series per state the scope can
 * be in, 1 on the row's own.
 */
static int
render_status_rows(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop)
{
	const struct snap_rows	*rs = &c->snap->rows[fam->scope];
	const struct snap_row	*r;
	const uint8_t		*states = listener_states;
	size_t			 k, end, nstates = sizeof(listener_states);
	const struct tail	*tails = state_tails;
	int			 op = fam->conv == CONV_OPSTATUS;
	uint8_t			 cur;
	char			*p;

	if (op) {
		states = op_scope_states[fam->scope].op;
		nstates = op_scope_states[fam->scope].n;
		tails = op_tails;
	} else if (fam->scope == SCOPE_MEMBER) {
		states = member_states;
		nstates = sizeof(member_states);
	}
	for (end = rows_end(c, rs); c->row < end; c->row++) {
		if ((p = lines_begin(c, fam, out, stop)) == NULL)
			return 0;
		r = &rs->row[c->row];
		cur = op ? r->op : r->state;
		for (k = 0; k < nstates; k++) {
			p = put_row_series(p, c, fam, r, &tails[states[k]]);
			*p++ = cur == states[k] ? '1' : '0';
			*p++ = '\n';
		}
		group_end(out, p);
	}
	return c->row >= rs->n;
}

/*
 * The load balancer's operating status, its one label the status: the
 * tail's text less its leading comma and closing "} ".
 */
static int
render_lb_op_status(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop)
{
	const struct op_states	*st = &op_scope_states[SCOPE_LOADBALANCER];
	const struct tail	*tail;
	size_t			 k;
	char			*p;

	if ((p = lines_begin(c, fam, out, stop)) == NULL)
		return 0;
	for (k = 0; k < st->n; k++) {
		tail = &op_tails[st->op[k]];
		p = put_series(p, c, tail->text + 1, tail->len - 3U,
		    &plain_tail);
		*p++ = c->snap->op == st->op[k] ? '1' : '0';
		*p++ = '\n';
	}
	group_end(out, p);
	return 1;
}

/*
 * Where a run of rows (an HTTP code, an extra column) stopped: 0, more
 * rows to come (a piece's are out); RUN_NEXT, on to the next run; in a
 * piece, which a run ends, the next run's start, and 1 after the last.
 */
#define RUN_NEXT	2

static size_t
run_end(struct expo_cursor *c, const struct snap_rows *rs, unsigned runs)
{
	if (c->row < rs->n)
		return 0;
	if (!c->piece)
		return RUN_NEXT;
	c->sub++;
	c->row = 0;
	return c->sub >= runs;
}

/* HTTP responses by class: hrsp_1xx..hrsp_other as the label code. */
static int
render_code_rows(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop)
{
	const struct snap_rows	*rs = &c->snap->rows[fam->scope];
	const struct snap_row	*r;
	size_t			 end;
	char			*p;
	int			 col;

	for (; c->sub < NCODES; c->sub++, c->row = 0) {
		col = fam->src + (int)c->sub;
		if (!snapshot_has_col(c->snap, col))
			continue;
		for (end = rows_end(c, rs); c->row < end; c->row++) {
			r = &rs->row[c->row];
			if (!r->http || !row_has_sample(c, fam, r, col))
				continue;
			if ((p = lines_begin(c, fam, out, stop)) == NULL)
				return 0;
			p = put_row_series(p, c, fam, r, &code_tails[c->sub]);
			group_end(out, put_value(p, rs, c->row, col, CONV_INT));
		}
		if ((end = run_end(c, rs, NCODES)) != RUN_NEXT)
			return (int)end;
	}
	return 1;
}

/* A value per row, the bulk of every exposition: in batches of lines. */
static int
render_value_rows(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop)
{
	const struct snap_rows	*rs = &c->snap->rows[fam->scope];
	const struct snap_row	*r;
	char			*p, *end;
	size_t			 last;

	if (!snapshot_has_col(c->snap, fam->src))
		return 1;
	last = rows_end(c, rs);
	/* no header for a family without a sample */
	while (!c->started && c->row < last &&
	    !row_has_sample(c, fam, &rs->row[c->row], fam->src))
		c->row++;
	while (c->row < last) {
		if ((p = lines_begin(c, fam, out, stop)) == NULL)
			return 0;
		end = out->data + out->len + EXPO_ROOM_MIN - EXPO_LINE_MAX;
		for (; c->row < last && p < end; c->row++) {
			r = &rs->row[c->row];
			if (!row_has_sample(c, fam, r, fam->src))
				continue;
			p = put_row_series(p, c, fam, r, &plain_tail);
			p = put_value(p, rs, c->row, fam->src, fam->conv);
		}
		group_end(out, p);
	}
	return c->row >= rs->n;
}

/*
 * An extra counter, or several labelled by column: only the rows whose
 * modules have it (a TCP listener has no TLS series, not a NaN one).
 */
static int
render_ext_rows(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop)
{
	const struct snap_rows	*rs = &c->snap->rows[fam->scope];
	const struct snap_ext	*e;
	const struct snap_row	*r;
	const struct tail	*tail;
	unsigned		 n = fam->n > 1 ? fam->n : 1;
	uint32_t		 bit;
	char			*p, *end;
	size_t			 last;
	int			 col;

	for (; c->sub < n; c->sub++, c->row = 0) {
		col = fam->src + (int)c->sub;
		bit = (uint32_t)1 << col;
		tail = n > 1 ? &ext_tails[col] : &plain_tail;
		if (!(c->snap->ext_present & bit))
			continue;
		last = rows_end(c, rs);
		while (c->row < last) {
			/* no header for a family without a sample */
			e = snap_row_ext(c->snap, &rs->row[c->row]);
			if (e == NULL || !(e->have & bit)) {
				c->row++;
				continue;
			}
			if ((p = lines_begin(c, fam, out, stop)) == NULL)
				return 0;
			end = out->data + out->len + EXPO_ROOM_MIN -
			    EXPO_LINE_MAX;
			for (; c->row < last && p < end; c->row++) {
				r = &rs->row[c->row];
				e = snap_row_ext(c->snap, r);
				if (e == NULL || !(e->have & bit))
					continue;
				p = put_row_series(p, c, fam, r, tail);
				p = put_u64(p, e->v[col]);
				*p++ = '\n';
			}
			group_end(out, p);
		}
		if ((last = run_end(c, rs, n)) != RUN_NEXT)
			return (int)last;
	}
	return 1;
}

/*
 * A key walk of the families whose lines follow from a few inputs a row
 * (a value, a state, an HTTP code's count): instead of the lines, a run
 * of fixed records, one per row with lines, of its id and those inputs.
 * Walking the lines cost about 20 ns each, a third of what a gzip scrape
 * costs at 10,000 members; a record is a few stores. A run is
 *
 *	KEY_RUN, family (2 bytes), HTTP code, 1 + format where the run
 *	writes the family's header (else 0), records (4 bytes), records
 *
 * and moves the cursor as the render does: test_piece_keys and fuzz_expo
 * hold the two walks to one key for one text.
 */
#define KEY_RUN		'R'
#define KEY_RUN_LEN	9
#define KEY_VALUE_LEN	17	/* id, value, has and neg bits */
#define KEY_STATE_LEN	9	/* id, the state the row is in */

/* Room for a run of rows' records: where they go, NULL when out is full. */
static char *
key_run_begin(struct wbuf *out, size_t rows, size_t width)
{
	if (wbuf_reserve(out, KEY_RUN_LEN + rows * width) == -1)
		return NULL;
	return group_begin(out) + KEY_RUN_LEN;
}

/*
 * Ends a run of n records at p, its header written first: the family's
 * own header is in the run when the run has its first line (c->started
 * set here, as the render sets it there). A run of none is left out: it
 * has no text, and a piece's text is its items' texts one after the
 * other.
 */
static void
key_run_end(struct expo_cursor *c, struct wbuf *out, uint32_t n, char *p)
{
	char		*h = group_begin(out);
	uint16_t	 fam = (uint16_t)c->fam;

	if (n == 0)
		return;
	*h++ = KEY_RUN;
	h = put(h, (const char *)&fam, sizeof(fam));
	*h++ = (char)c->sub;
	*h++ = (char)(c->started ? 0 : 1 + c->format);
	put(h, (const char *)&n, sizeof(n));
	c->started = 1;
	group_end(out, p);
}

/* A record of row i's value: what put_value() writes, unformatted. */
static char *
key_value(char *p, uint64_t id, const struct snap_rows *rs, size_t i,
    int col)
{
	const struct snap_row	*r = &rs->row[i];
	uint64_t		 has = snap_row_has(r, col);
	uint64_t		 v = snap_value(rs, i, col) & (0 - has);

	/* no value: NaN, whatever the column holds */
	p = put(p, (const char *)&id, sizeof(id));
	p = put(p, (const char *)&v, sizeof(v));
	*p++ = (char)(has | (uint64_t)snap_row_neg(r, col) << 1);
	return p;
}

/*
 * Rows [c->row, last) of a column in one run: as render_value_rows() or
 * one code of render_code_rows() writes them (http_only: rows of HTTP
 * proxies alone); c->started set where the first line would be.
 */
static int
key_value_run(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, int col, int http_only)
{
	const struct snap_rows	*rs = &c->snap->rows[fam->scope];
	const uint64_t		*ids = c->ids[fam->scope];
	const struct snap_row	*r;
	size_t			 last = rows_end(c, rs);
	uint32_t		 n = 0;
	char			*p;

	if ((p = key_run_begin(out, last - c->row, KEY_VALUE_LEN)) == NULL)
		return 0;
	for (; c->row < last; c->row++) {
		r = &rs->row[c->row];
		if ((http_only && !r->http) || !row_has_sample(c, fam, r, col))
			continue;
		p = key_value(p, ids[c->row], rs, c->row, col);
		n++;
	}
	key_run_end(c, out, n, p);
	return 1;
}

static int
key_value_rows(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out)
{
	if (!snapshot_has_col(c->snap, fam->src))
		return 1;
	if (!key_value_run(c, fam, out, fam->src, 0))
		return 0;
	return c->row >= c->snap->rows[fam->scope].n;
}

static int
key_code_rows(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out)
{
	const struct snap_rows	*rs = &c->snap->rows[fam->scope];
	size_t			 end;
	int			 col;

	for (; c->sub < NCODES; c->sub++, c->row = 0) {
		col = fam->src + (int)c->sub;
		if (!snapshot_has_col(c->snap, col))
			continue;
		if (!key_value_run(c, fam, out, col, 1))
			return 0;
		if ((end = run_end(c, rs, NCODES)) != RUN_NEXT)
			return (int)end;
	}
	return 1;
}

/* A status family's rows: each row's state, which says all its lines. */
static int
key_status_rows(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out)
{
	const struct snap_rows	*rs = &c->snap->rows[fam->scope];
	const uint64_t		*ids = c->ids[fam->scope];
	size_t			 last = rows_end(c, rs);
	uint32_t		 n = (uint32_t)(last - c->row);
	int			 op = fam->conv == CONV_OPSTATUS;
	char			*p;

	if ((p = key_run_begin(out, n, KEY_STATE_LEN)) == NULL)
		return 0;
	for (; c->row < last; c->row++) {
		p = put(p, (const char *)&ids[c->row], sizeof(*ids));
		*p++ = (char)(op ? rs->row[c->row].op : rs->row[c->row].state);
	}
	key_run_end(c, out, n, p);
	return c->row >= rs->n;
}

/* Rows of a listener, pool or member family, from where the cursor is. */
static int
render_rows(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop)
{
	switch (fam->conv) {
	case CONV_STATUS:
	case CONV_OPSTATUS:
		return c->keying ? key_status_rows(c, fam, out) :
		    render_status_rows(c, fam, out, stop);
	case CONV_HRSP:
		return c->keying ? key_code_rows(c, fam, out) :
		    render_code_rows(c, fam, out, stop);
	case CONV_EXT:		/* few lines: keyed by walking them */
		return render_ext_rows(c, fam, out, stop);
	default:
		return c->keying ? key_value_rows(c, fam, out) :
		    render_value_rows(c, fam, out, stop);
	}
}

/* `key="value",...` of the agent's own labels into buf (AGENT_LABELS_MAX). */
static size_t
agent_labels(char *buf, const struct label *l, size_t n)
{
	char	*p = buf;
	size_t	 i;

	for (i = 0; i < n && i < AGENT_LABELS; i++) {
		if (i > 0)
			*p++ = ',';
		p = put(p, l[i].key, strnlen(l[i].key, LABEL_KEY_MAX - 1));
		*p++ = '=';
		*p++ = '"';
		if (l[i].escape)
			p = put_escaped(p, l[i].val, LABEL_VALUE_MAX);
		else
			p = put(p, l[i].val, strnlen(l[i].val,
			    LABEL_VALUE_MAX));
		*p++ = '"';
	}
	return (size_t)(p - buf);
}

/* One line of an agent family: "<name>{<l>} " or "<name> ", then v. */
static char *
agent_line(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop, const struct label *l, size_t n)
{
	char	 labels[AGENT_LABELS_MAX];
	char	*p;

	if ((p = lines_begin(c, fam, out, stop)) == NULL)
		return NULL;
	return put_series(p, c, labels, agent_labels(labels, l, n),
	    &plain_tail);
}

/*
 * A listener's counter behind name i of a family's label, into v; -1 when
 * the listener has no such series. Every name a listener has is served,
 * 0 or not: a series exists before it moves.
 */
typedef int (*listener_count)(const struct expo_listener *, unsigned i,
    uint64_t *v);

static int
rejected_count(const struct expo_listener *l, unsigned i, uint64_t *v)
{
	*v = l->rejected[i];
	return 0;
}

/* TLS listeners only */
static int
tls_failure_count(const struct expo_listener *l, unsigned i, uint64_t *v)
{
	*v = l->tls_failures[i];
	return l->tls_allowed ? 0 : -1;
}

/* the versions the listener allows */
static int
tls_version_count(const struct expo_listener *l, unsigned i, uint64_t *v)
{
	*v = l->tls_versions[i];
	return (l->tls_allowed & (1u << i)) != 0 ? 0 : -1;
}

/* {listener, key=names[i]} for every listener and name it has. */
static int
render_listener_counts(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop, const char *key, const char *const *names,
    unsigned n, listener_count get)
{
	const struct expo_agent	*a = &c->agent;
	struct label		 l[2] = { { "listener", NULL, 1 },
				    { key, NULL, 0 } };
	uint64_t		 v;
	char			*p;

	for (; c->row < a->nlisteners; c->row++, c->sub = 0)
		for (; c->sub < n; c->sub++) {
			if (get(&a->listeners[c->row], c->sub, &v) == -1)
				continue;
			l[0].val = a->listeners[c->row].listener;
			l[1].val = names[c->sub];
			if ((p = agent_line(c, fam, out, stop, l, 2)) == NULL)
				return 0;
			p = put_u64(p, v);
			*p++ = '\n';
			group_end(out, p);
		}
	return 1;
}

/*
 * The certificates of listener row: the agent's own listeners first, then
 * HAProxy's TLS listeners. 0, or -1 past the last.
 */
static int
listener_certs(const struct expo_agent *a, size_t row,
    struct expo_listener_certs *lc)
{
	if (row < a->nlisteners) {
		lc->listener = a->listeners[row].listener;
		lc->certs = a->listeners[row].certs;
		lc->ncerts = a->listeners[row].ncerts;
		return 0;
	}
	if ((row -= a->nlisteners) < a->nhaproxy_certs) {
		*lc = a->haproxy_certs[row];
		return 0;
	}
	return -1;
}

/*
 * {listener, certificate, usage} of every certificate a TLS listener
 * serves or trusts, or {listener, issuer} of its CRLs (crl): when each
 * stops being valid.
 */
static int
render_listener_certs(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop, int crl)
{
	struct expo_listener_certs	 lc;
	const struct expo_cert		*x;
	struct label			 l[3];
	char				*p;

	for (; listener_certs(&c->agent, c->row, &lc) == 0; c->row++,
	    c->sub = 0) {
		for (; c->sub < lc.ncerts; c->sub++) {
			x = &lc.certs[c->sub];
			if ((x->usage == EXPO_CERT_CRL) != crl)
				continue;
			l[0] = (struct label){ "listener", lc.listener, 1 };
			l[1] = (struct label){ crl ? "issuer" : "certificate",
			    x->name, 1 };
			l[2] = (struct label){ "usage",
			    expo_cert_usage_names[x->usage], 0 };
			if ((p = agent_line(c, fam, out, stop, l,
			    crl ? 2 : 3)) == NULL)
				return 0;
			p = put_u64(p, x->until > 0 ? (uint64_t)x->until : 0);
			*p++ = '\n';
			group_end(out, p);
		}
	}
	return 1;
}

/* The agent's own families: small, and all about the agent. */
static int
render_agent(struct expo_cursor *c, const struct metric_family *fam,
    struct wbuf *out, size_t stop)
{
	const struct expo_agent	*a = &c->agent;
	struct label		 l[AGENT_LABELS];
	char			*p = NULL;

	switch (fam->src) {
	case AGENT_DENIED_CONNECTIONS:
		l[0] = (struct label){ "listener", NULL, 1 };
		for (; c->row < a->nlisteners; c->row++) {
			l[0].val = a->listeners[c->row].listener;
			if ((p = agent_line(c, fam, out, stop, l, 1)) == NULL)
				return 0;
			p = put_u64(p, a->listeners[c->row].denied);
			*p++ = '\n';
			group_end(out, p);
		}
		return 1;
	case AGENT_REJECTED_CONNECTIONS:
		return render_listener_counts(c, fam, out, stop, "reason",
		    expo_reject_names, EXPO_REJECT__COUNT, rejected_count);
	case AGENT_TLS_HANDSHAKE_FAILURES:
		return render_listener_counts(c, fam, out, stop, "reason",
		    expo_tls_failure_names, EXPO_TLS__COUNT, tls_failure_count);
	case AGENT_TLS_CONNECTIONS:
		return render_listener_counts(c, fam, out, stop, "version",
		    config_tls_version_names, CONFIG_TLS__COUNT,
		    tls_version_count);
	case AGENT_CERT_EXPIRY:
	case AGENT_CRL_NEXT_UPDATE:
		return render_listener_certs(c, fam, out, stop,
		    fam->src == AGENT_CRL_NEXT_UPDATE);
	case AGENT_BUILD_INFO:
		l[0] = (struct label){ "version", a->version, 1 };
		if ((p = agent_line(c, fam, out, stop, l, 1)) != NULL)
			*p++ = '1';
		break;
	case AGENT_IPVS_UP:
		/* only when Octavia has UDP or SCTP listeners here */
		if (a->ipvs_up < 0)
			return 1;
		if ((p = agent_line(c, fam, out, stop, NULL, 0)) != NULL)
			p = put_u64(p, a->ipvs_up != 0);
		break;
	case AGENT_LOADBALANCER_INFO:
		/* no series for an unknown load balancer, no empty label */
		if (a->loadbalancer_id == NULL || a->loadbalancer_id[0] == '\0')
			return 1;
		l[0] = (struct label){ "loadbalancer", a->loadbalancer_id, 1 };
		l[1] = (struct label){ "haproxy_version",
		    c->snap ? c->snap->haproxy_version : "", 1 };
		p = agent_line(c, fam, out, stop, l, l[1].val[0] ? 2 : 1);
		if (p != NULL)
			*p++ = '1';
		break;
	default:
		if ((p = agent_line(c, fam, out, stop, NULL, 0)) == NULL)
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
		case AGENT_CODED_PIECES:
			p = put_u64(p, a->coded_pieces);
			break;
		case AGENT_CERT_FILE_ERRORS:
			p = put_u64(p, a->cert_file_errors);
			break;
		}
	}
	if (p == NULL)
		return 0;
	*p++ = '\n';
	group_end(out, p);
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
		if ((p = lines_begin(c, fam, out, stop)) == NULL)
			return 0;
		p = put_series(p, c, "", 0, &plain_tail);
		p = put_double(p, fam->conv == CONV_COMPUTED_CPU ?
		    c->agent.cpu : c->agent.memory);
		*p++ = '\n';
		group_end(out, p);
		return 1;
	default:
		if (c->snap == NULL)
			return 1;
		if (fam->scope != SCOPE_LOADBALANCER)
			return render_rows(c, fam, out, stop);
		if (fam->conv == CONV_OPSTATUS)
			return render_lb_op_status(c, fam, out, stop);
		if (!((c->snap->info_have >> fam->src) & 1))
			return 1;
		if ((p = lines_begin(c, fam, out, stop)) == NULL)
			return 0;
		p = put_series(p, c, "", 0, &plain_tail);
		p = put_u64(p, c->snap->info[fam->src]);
		*p++ = '\n';
		group_end(out, p);
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
	c->row_stop = SIZE_MAX;
	cursor_family(c, 0);
}

void
expo_cursor_range(struct expo_cursor *c, unsigned first, unsigned end)
{
	c->end = end < FAM__COUNT ? end : FAM__COUNT;
	c->done = 0;
	cursor_family(c, first);
}

/*
 * The family the cursor renders next, past those of other scopes; NULL
 * when the exposition has ended (OpenMetrics' "# EOF" written after its
 * last family).
 */
static const struct metric_family *
cursor_next(struct expo_cursor *c, struct wbuf *out)
{
	const struct metric_family	*fam;

	for (; c->fam < c->end; cursor_family(c, c->fam + 1)) {
		fam = &metric_families[c->fam];
		if (c->scopes & (1u << fam->scope))
			return fam;
	}
	if (c->format == EXPO_OPENMETRICS && c->end == FAM__COUNT)
		wbuf_puts(out, "# EOF\n");
	c->done = 1;
	return NULL;
}

int
expo_render_some(struct expo_cursor *c, struct wbuf *out, size_t want)
{
	const struct metric_family	*fam;
	size_t				 stop = out->len + want;

	while (!c->done && room(out, stop)) {
		if ((fam = cursor_next(c, out)) == NULL)
			break;
		if (render_family(c, fam, out, stop))
			cursor_family(c, c->fam + 1);
	}
	return c->done;
}

/*
 * The rows of fam a piece counts, and in how many runs (an HTTP code, an
 * extra column each); 0: a family without rows, which counts one.
 */
static size_t
family_rows(const struct expo_cursor *c, const struct metric_family *fam,
    size_t *runs)
{
	*runs = 1;
	if (c->snap == NULL || fam->scope == SCOPE_LOADBALANCER ||
	    fam->conv == CONV_AGENT || fam->conv == CONV_COMPUTED_CPU ||
	    fam->conv == CONV_COMPUTED_MEMORY)
		return 0;
	if (fam->conv == CONV_HRSP)
		*runs = NCODES;
	else if (fam->conv == CONV_EXT && fam->n > 1)
		*runs = fam->n;
	return c->snap->rows[fam->scope].n;
}

/*
 * Families and their rows until rows of them are out: a cut that only
 * the snapshot's shape moves (its rows, its columns), never a value.
 */
int
expo_render_piece(struct expo_cursor *c, struct wbuf *out, size_t rows)
{
	const struct metric_family	*fam;
	size_t				 used = 0, n, runs, sub, row;
	int				 whole;

	c->piece = 1;
	while (!c->done && used < rows) {
		if ((fam = cursor_next(c, out)) == NULL)
			break;
		n = family_rows(c, fam, &runs);
		sub = c->sub;
		row = c->row;
		c->row_stop = row + (rows - used);
		whole = render_family(c, fam, out, SIZE_MAX);
		if (wbuf_failed(out))
			break;
		if (whole) {
			used += n ? runs * n - (sub * n + row) : 1;
			cursor_family(c, c->fam + 1);
		} else if (c->sub != sub || c->row != row)
			/* a run of no rows counts none, and moves on */
			used += (c->sub * n + c->row) - (sub * n + row);
		else {
			out->failed = 1;	/* out is too small for a piece */
			break;
		}
	}
	c->piece = 0;
	c->row_stop = SIZE_MAX;
	return wbuf_failed(out) ? -1 : c->done;
}

int
expo_piece_key(struct expo_cursor *c, struct wbuf *out, size_t rows,
    const uint64_t *ids, uint64_t seed, uint64_t *key)
{
	size_t	 start = out->len;
	int	 sc, rc;

	for (sc = 0; sc < SCOPE__COUNT; sc++) {
		c->ids[sc] = ids;
		if (c->snap != NULL)
			ids += c->snap->rows[sc].n;
	}
	c->keying = 1;
	rc = expo_render_piece(c, out, rows);
	c->keying = 0;
	if (rc != -1)		/* nothing written: out may have no data */
		*key = hash64(out->len > start ? out->data + start : "",
		    out->len - start, seed);
	return rc;
}

size_t
expo_piece_ids_count(const struct snapshot *snap)
{
	size_t	 n = 0;
	int	 sc;

	for (sc = 0; sc < SCOPE__COUNT; sc++)
		n += snap->rows[sc].n;
	return n;
}

void
expo_piece_ids(const struct snapshot *snap, uint64_t seed, uint64_t *ids)
{
	const struct snap_row	*r;
	size_t			 i;
	int			 sc;

	for (sc = 0; sc < SCOPE__COUNT; sc++)
		for (i = 0; i < snap->rows[sc].n; i++) {
			r = &snap->rows[sc].row[i];
			*ids++ = hash64(r->labels, r->labels_len, seed);
		}
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
