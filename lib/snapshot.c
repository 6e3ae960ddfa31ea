#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "decimal.h"
#include "haproxycfg.h"
#include "octavia.h"
#include "opstatus.h"
#include "snapshot.h"

_Static_assert(COL__NUMERIC <= 64, "presence bits must fit one word");
_Static_assert(INFO__COUNT <= 64, "presence bits must fit one word");

const char *const info_field_names[INFO__COUNT] = {
	[INFO_POOLFAILED] = "PoolFailed",
	[INFO_MAXCONN] = "Maxconn",
	[INFO_CURRCONNS] = "CurrConns",
	[INFO_CUMCONNS] = "CumConns",
	[INFO_CUMREQ] = "CumReq",
	[INFO_MAXSSLCONNS] = "MaxSslConns",
	[INFO_CURRSSLCONNS] = "CurrSslConns",
	[INFO_CUMSSLCONNS] = "CumSslConns",
	[INFO_CONNRATE] = "ConnRate",
	[INFO_CONNRATELIMIT] = "ConnRateLimit",
	[INFO_MAXCONNRATE] = "MaxConnRate",
	[INFO_SESSRATE] = "SessRate",
	[INFO_SESSRATELIMIT] = "SessRateLimit",
	[INFO_MAXSESSRATE] = "MaxSessRate",
	[INFO_SSLRATE] = "SslRate",
	[INFO_SSLRATELIMIT] = "SslRateLimit",
	[INFO_MAXSSLRATE] = "MaxSslRate",
	[INFO_SSLFRONTENDKEYRATE] = "SslFrontendKeyRate",
	[INFO_SSLFRONTENDMAXKEYRATE] = "SslFrontendMaxKeyRate",
	[INFO_SSLFRONTENDSESSIONREUSE_PCT] = "SslFrontendSessionReuse_pct",
	[INFO_SSLBACKENDKEYRATE] = "SslBackendKeyRate",
	[INFO_SSLBACKENDMAXKEYRATE] = "SslBackendMaxKeyRate",
	[INFO_SSLCACHELOOKUPS] = "SslCacheLookups",
	[INFO_SSLCACHEMISSES] = "SslCacheMisses",
	[INFO_COMPRESSBPSIN] = "CompressBpsIn",
	[INFO_COMPRESSBPSOUT] = "CompressBpsOut",
	[INFO_COMPRESSBPSRATELIM] = "CompressBpsRateLim",
	[INFO_LISTENERS] = "Listeners",
	[INFO_DROPPEDLOGS] = "DroppedLogs",
	[INFO_POOLALLOC_BYTES] = "PoolAlloc_bytes",
	[INFO_POOLUSED_BYTES] = "PoolUsed_bytes",
};

const char *const stat_col_names[COL__COUNT] = {
	[COL_SCUR] = "scur",
	[COL_SMAX] = "smax",
	[COL_SLIM] = "slim",
	[COL_STOT] = "stot",
	[COL_BIN] = "bin",
	[COL_BOUT] = "bout",
	[COL_DREQ] = "dreq",
	[COL_DRESP] = "dresp",
	[COL_EREQ] = "ereq",
	[COL_RATE_LIM] = "rate_lim",
	[COL_RATE_MAX] = "rate_max",
	[COL_HRSP_1XX] = "hrsp_1xx",
	[COL_HRSP_2XX] = "hrsp_2xx",
	[COL_HRSP_3XX] = "hrsp_3xx",
	[COL_HRSP_4XX] = "hrsp_4xx",
	[COL_HRSP_5XX] = "hrsp_5xx",
	[COL_HRSP_OTHER] = "hrsp_other",
	[COL_REQ_RATE_MAX] = "req_rate_max",
	[COL_REQ_TOT] = "req_tot",
	[COL_COMP_IN] = "comp_in",
	[COL_COMP_OUT] = "comp_out",
	[COL_COMP_BYP] = "comp_byp",
	[COL_COMP_RSP] = "comp_rsp",
	[COL_CONN_RATE_MAX] = "conn_rate_max",
	[COL_CONN_TOT] = "conn_tot",
	[COL_INTERCEPTED] = "intercepted",
	[COL_DCON] = "dcon",
	[COL_DSES] = "dses",
	[COL_WREW] = "wrew",
	[COL_CACHE_LOOKUPS] = "cache_lookups",
	[COL_CACHE_HITS] = "cache_hits",
	[COL_QCUR] = "qcur",
	[COL_QMAX] = "qmax",
	[COL_ECON] = "econ",
	[COL_ERESP] = "eresp",
	[COL_WRETR] = "wretr",
	[COL_WREDIS] = "wredis",
	[COL_ACT] = "act",
	[COL_BCK] = "bck",
	[COL_CHKDOWN] = "chkdown",
	[COL_LASTCHG] = "lastchg",
	[COL_DOWNTIME] = "downtime",
	[COL_LBTOT] = "lbtot",
	[COL_CLI_ABRT] = "cli_abrt",
	[COL_SRV_ABRT] = "srv_abrt",
	[COL_LASTSESS] = "lastsess",
	[COL_QTIME] = "qtime",
	[COL_CTIME] = "ctime",
	[COL_RTIME] = "rtime",
	[COL_TTIME] = "ttime",
	[COL_CONNECT] = "connect",
	[COL_REUSE] = "reuse",
	[COL_QTIME_MAX] = "qtime_max",
	[COL_CTIME_MAX] = "ctime_max",
	[COL_RTIME_MAX] = "rtime_max",
	[COL_TTIME_MAX] = "ttime_max",
	[COL_WEIGHT] = "weight",
	[COL_CHKFAIL] = "chkfail",
	[COL_QLIMIT] = "qlimit",
	[COL_THROTTLE] = "throttle",
	[COL_SRV_ICUR] = "srv_icur",
	[COL_SRC_ILIM] = "src_ilim",
	/* never in HAProxy's CSV: what IPVS adds */
	[COL_IPVS_INPKTS] = "-ipvs_inpkts",
	[COL_IPVS_OUTPKTS] = "-ipvs_outpkts",
	[COL_PXNAME] = "pxname",
	[COL_SVNAME] = "svname",
	[COL_TYPE] = "type",
	[COL_MODE] = "mode",
	[COL_STATUS] = "status",
};

const char *const ext_col_names[EXT__COUNT] = {
	[EXT_SSL_SESS] = "ssl_sess",
	[EXT_SSL_REUSED_SESS] = "ssl_reused_sess",
	[EXT_SSL_FAILED_HANDSHAKE] = "ssl_failed_handshake",
	[EXT_H2_HEADERS_RCVD] = "h2_headers_rcvd",
	[EXT_H2_DATA_RCVD] = "h2_data_rcvd",
	[EXT_H2_SETTINGS_RCVD] = "h2_settings_rcvd",
	[EXT_H2_RST_STREAM_RCVD] = "h2_rst_stream_rcvd",
	[EXT_H2_GOAWAY_RCVD] = "h2_goaway_rcvd",
	[EXT_H2_RST_STREAM_RESP] = "h2_rst_stream_resp",
	[EXT_H2_GOAWAY_RESP] = "h2_goaway_resp",
	[EXT_H2_CONN_PROTOCOL_ERRORS] = "h2_detected_conn_protocol_errors",
	[EXT_H2_STRM_PROTOCOL_ERRORS] = "h2_detected_strm_protocol_errors",
	[EXT_H2_OPEN_CONNECTIONS] = "h2_open_connections",
	[EXT_H2_OPEN_STREAMS] = "h2_backend_open_streams",
	[EXT_H2_TOTAL_CONNECTIONS] = "h2_total_connections",
	[EXT_H2_TOTAL_STREAMS] = "h2_backend_total_streams",
	[EXT_H1_OPEN_CONNECTIONS] = "h1_open_connections",
	[EXT_H1_OPEN_STREAMS] = "h1_open_streams",
	[EXT_H1_TOTAL_CONNECTIONS] = "h1_total_connections",
	[EXT_H1_TOTAL_STREAMS] = "h1_total_streams",
	[EXT_H1_BYTES_IN] = "h1_bytes_in",
	[EXT_H1_BYTES_OUT] = "h1_bytes_out",
	[EXT_H1_SPLICED_BYTES_IN] = "h1_spliced_bytes_in",
	[EXT_H1_SPLICED_BYTES_OUT] = "h1_spliced_bytes_out",
};

_Static_assert(EXT__COUNT <= 32, "extra presence bits must fit a uint32_t");

/*
 * Columns the agent reads that came after HAProxy 2.0 (Octavia's focal
 * amphorae): the longest times and the idle connections. They count as
 * present whatever the header, so a release without them serves the same
 * families, NaN in every row, as it does for an empty field.
 */
#define LATER_COLS	((uint64_t)1 << COL_QTIME_MAX |			\
			 (uint64_t)1 << COL_CTIME_MAX |			\
			 (uint64_t)1 << COL_RTIME_MAX |			\
			 (uint64_t)1 << COL_TTIME_MAX |			\
			 (uint64_t)1 << COL_SRV_ICUR |			\
			 (uint64_t)1 << COL_SRC_ILIM)

const char *const snap_state_names[STATE__COUNT] = {
	[STATE_DOWN] = "DOWN",
	[STATE_UP] = "UP",
	[STATE_MAINT] = "MAINT",
	[STATE_DRAIN] = "DRAIN",
	[STATE_NOLB] = "NOLB",
};

#define CSV_MAX_FIELDS	512	/* HAProxy 3.x prints under 200 */

/*
 * Name lookups: a column header or an info field name to its enum, by
 * binary search over the names sorted once (a header has ~120 names, and
 * every read has one).
 */
struct name_index {
	const char *const	*names;
	int			 n;
	int			 sorted[(int)COL__COUNT > (int)INFO__COUNT ?
				     (int)COL__COUNT : (int)INFO__COUNT];
	int			 ready;
};

static struct name_index col_index = { stat_col_names, COL__COUNT, {0}, 0 };
static struct name_index info_index = { info_field_names, INFO__COUNT, {0},
	0 };
static struct name_index ext_index = { ext_col_names, EXT__COUNT, {0}, 0 };

static const char *const	*sort_names;

static int
cmp_by_name(const void *a, const void *b)
{
	return strcmp(sort_names[*(const int *)a], sort_names[*(const int *)b]);
}

/*
 * s (len bytes, any of them NUL) against a name: strcmp's order, which
 * the index is sorted in, without reading past either.
 */
static int
name_cmp(const char *s, size_t len, const char *name)
{
	size_t	 nlen = strlen(name);
	int	 c = memcmp(s, name, len < nlen ? len : nlen);

	if (c != 0)
		return c;
	return len < nlen ? -1 : len > nlen;
}

/* The enum value named s (of length len), or -1. */
static int
name_lookup(struct name_index *x, const char *s, size_t len)
{
	int	 lo = 0, hi, mid, c, i;

	if (!x->ready) {
		for (i = 0; i < x->n; i++)
			x->sorted[i] = i;
		sort_names = x->names;
		qsort(x->sorted, (size_t)x->n, sizeof(x->sorted[0]),
		    cmp_by_name);
		x->ready = 1;
	}
	hi = x->n - 1;
	while (lo <= hi) {
		const char *name;

		mid = (lo + hi) / 2;
		name = x->names[x->sorted[mid]];
		if ((c = name_cmp(s, len, name)) == 0)
			return x->sorted[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

void
snapshot_init(struct snapshot *s, const struct snapshot_limits *lim)
{
	memset(s, 0, sizeof(*s));
	s->lim = *lim;
}

void
snapshot_free(struct snapshot *s)
{
	int	 i;

	for (i = 0; i < SCOPE__COUNT; i++)
		free(s->rows[i].val);		/* and the rows after them */
	memset(s->rows, 0, sizeof(s->rows));
	free(s->ext);
	s->ext = NULL;
	s->next = s->ext_cap = 0;
	free(s->fields);
	s->fields = NULL;
	free(s->map);
	s->map = NULL;
}

size_t
snapshot_bytes(const struct snapshot *s)
{
	size_t	 n = s->ext_cap * sizeof(*s->ext);
	int	 i;

	for (i = 0; i < SCOPE__COUNT; i++)
		n += s->rows[i].cap * SNAP_ROW_BYTES;
	return n;
}

/*
 * A decimal integer filling the whole field, optionally negative. Values
 * are kept as 64-bit patterns: unsigned up to 2^64-1, negative down to
 * -2^63 (with *neg set). Returns -1 for anything else.
 */
static int
parse_int(const char *s, size_t len, uint64_t *v, int *neg)
{
	const char	*end = s + len;
	uint64_t	 x = 0;

	*neg = len > 0 && s[0] == '-';
	if (dec_u64(s + *neg, end, *neg ? (uint64_t)INT64_MAX + 1 : UINT64_MAX,
	    &x) != end)
		return -1;
	*v = *neg ? (uint64_t)0 - x : x;
	return 0;
}

/* HAProxy 2.2's PoolAlloc_MB and PoolUsed_MB: the field they stand for. */
static int
pool_mb_field(const char *name)
{
	if (strcmp(name, "PoolAlloc_MB") == 0)
		return INFO_POOLALLOC_BYTES;
	if (strcmp(name, "PoolUsed_MB") == 0)
		return INFO_POOLUSED_BYTES;
	return -1;
}

/* One "Name: value" line of show info, NUL-terminated at end. */
static void
parse_info_line(struct snapshot *s, char *p, const char *end)
{
	char		*colon, *val;
	size_t		 vlen;
	uint64_t	 v;
	int		 i, neg;

	if ((colon = memchr(p, ':', (size_t)(end - p))) == NULL)
		return;
	s->info_seen++;
	*colon = '\0';
	for (val = colon + 1; val < end && *val == ' '; val++)
		;
	vlen = (size_t)(end - val);
	if (strcmp(p, "Version") == 0) {
		if (vlen >= sizeof(s->haproxy_version))
			vlen = sizeof(s->haproxy_version) - 1;
		memcpy(s->haproxy_version, val, vlen);
		s->haproxy_version[vlen] = '\0';
	}
	if ((i = name_lookup(&info_index, p, (size_t)(colon - p))) >= 0 &&
	    parse_int(val, vlen, &v, &neg) == 0 && !neg) {
		s->info[i] = v;
		s->info_have |= (uint64_t)1 << i;
	} else if ((i = pool_mb_field(p)) >= 0 &&
	    !(s->info_have & (uint64_t)1 << i) &&
	    parse_int(val, vlen, &v, &neg) == 0 && !neg &&
	    v <= UINT64_MAX >> 20) {
		/* HAProxy 2.2 counts pools in MiB; _bytes, when also given,
		 * is exact and wins whichever line comes first */
		s->info[i] = v << 20;
		s->info_have |= (uint64_t)1 << i;
	}
}

/* Status words, by the scope of the row they are read on. */
static uint8_t
parse_state(enum scope scope, const char *st)
{
	size_t	 n = strcspn(st, " (");

#define IS(w)	(n == sizeof(w) - 1 && strncmp(st, w, n) == 0)
	switch (scope) {
	case SCOPE_LISTENER:
		/* OPEN, FULL, PAUSED: the frontend is not stopped */
		return IS("STOP") ? STATE_DOWN : STATE_UP;
	case SCOPE_POOL:
		return IS("UP") ? STATE_UP : STATE_DOWN;
	default:
		if (IS("UP") || IS("no"))	/* "UP 1/3", "no check" */
			return STATE_UP;
		if (IS("DOWN"))
			return STATE_DOWN;
		if (IS("MAINT"))
			return STATE_MAINT;
		if (IS("DRAIN"))
			return STATE_DRAIN;
		if (IS("NOLB"))
			return STATE_NOLB;
		return STATE_UNKNOWN;
	}
#undef IS
}

/* key="<uuid>" at p; returns the end. */
static char *
label(char *p, const char *key, const char *uuid)
{
	size_t	 n = strlen(key);

	/* a part of the labels, which the caller ends */
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(p, key, n);
	memcpy(p + n, uuid, OCTAVIA_UUID_LEN);
	p[n + OCTAVIA_UUID_LEN] = '"';
	return p + n + OCTAVIA_UUID_LEN + 1;
}

/*
 * Which Octavia object a row is, and its label text. Returns the scope, or
 * -1 for rows that are not Octavia's.
 */
static int
row_identify(struct snapshot *s, const struct csv_field *f,
    struct snap_row *r)
{
	const int		*idx = s->idx;
	const struct csv_field	*px = &f[idx[COL_PXNAME]];
	const struct csv_field	*sv = &f[idx[COL_SVNAME]];
	const char		*pool, *listener;
	char			*p;
	int			 scope, n;
	uint64_t		 type;
	int			 neg;

	if (idx[COL_TYPE] >= 0) {
		const struct csv_field *t = &f[idx[COL_TYPE]];

		if (parse_int(t->s, t->len, &type, &neg) == -1 || neg)
			return -1;
		if (type > 2)		/* 3: per-socket listener rows */
			return -1;
		scope = SCOPE_LISTENER + (int)type;
	} else if (strcmp(sv->s, "FRONTEND") == 0)
		scope = SCOPE_LISTENER;
	else if (strcmp(sv->s, "BACKEND") == 0)
		scope = SCOPE_POOL;
	else
		scope = SCOPE_MEMBER;

	/* label text, built once here and copied into every line */
	if (scope == SCOPE_LISTENER) {
		if (!octavia_is_uuid(px->s, px->len))
			return -1;
		p = label(r->labels, "listener=\"", px->s);
	} else {
		/* a pool's members follow it: its name checked once */
		if (s->last_pool[0] == '\0' ||
		    px->len != sizeof(s->last_pool) ||
		    memcmp(px->s, s->last_pool, px->len) != 0) {
			if (octavia_name_split_backend(px->s, px->len, &pool,
			    &listener) == -1)
				return -1;
			memcpy(s->last_pool, px->s, px->len);
			s->last_backend = NULL;
		}
		pool = px->s;
		listener = px->s + OCTAVIA_UUID_LEN + 1;
		p = r->labels;
		if (scope == SCOPE_MEMBER) {
			if (!octavia_is_uuid(sv->s, sv->len))
				return -1;
			p = label(p, "member=\"", sv->s);
			*p++ = ',';
		}
		p = label(p, "pool=\"", pool);
		*p++ = ',';
		p = label(p, "listener=\"", listener);
	}
	*p = '\0';
	n = (int)(p - r->labels);
	r->labels_len = (uint8_t)n;
	return scope;
}

void
snap_set_values(struct snap_rows *rs, size_t i, const uint64_t *v)
{
	uint64_t	*dst = &rs->val[snap_value_at(rs, i, 0)];
	int		 c;

	for (c = 0; c < COL__NUMERIC; c++, dst += (size_t)1 << rs->shift)
		*dst = v[c];
}

/*
 * Room for one more row of scope, at rs->n. Values and rows are one
 * allocation, values first (one realloc a doubling, which the allocator
 * can often do in place): the rows move up behind the values. While a
 * block is all the rows there are, it grows with them: its columns move
 * apart, the last first, each past where the ones before it still are.
 */
static int
rows_grow(struct snap_rows *rs)
{
	uint64_t	*v;
	size_t		 ncap;
	unsigned	 shift;
	int		 c;

	if (rs->n < rs->cap)
		return 0;
	ncap = rs->cap ? rs->cap * 2 : 16;
	if ((v = reallocarray(rs->val, ncap, SNAP_ROW_BYTES)) == NULL)
		return -1;
	rs->row = memmove(v + ncap * COL__NUMERIC, v + rs->cap * COL__NUMERIC,
	    rs->n * sizeof(*rs->row));
	for (shift = 0; shift < SNAP_BLOCK_SHIFT && (size_t)1 << shift < ncap;)
		shift++;
	if (shift != rs->shift)
		for (c = COL__NUMERIC - 1; c > 0; c--)
			memmove(v + ((size_t)c << shift),
			    v + ((size_t)c << rs->shift), rs->n * sizeof(*v));
	rs->val = v;
	rs->cap = ncap;
	rs->shift = shift;
	return 0;
}

struct snap_row *
snapshot_add_row(struct snapshot *s, enum scope scope)
{
	static const uint64_t	 zero[COL__NUMERIC];
	struct snap_rows	*rs = &s->rows[scope];
	struct snap_row		*r;

	if (s->total + 1 > s->lim.max_mem / SNAP_ROW_BYTES ||
	    rows_grow(rs) == -1)
		return NULL;
	s->total++;
	snap_set_values(rs, rs->n, zero);
	r = &rs->row[rs->n++];
	memset(r, 0, sizeof(*r));
	return r;
}

static int
fail(struct snapshot *s, const char *why)
{
	s->error = why;
	s->phase = PHASE_FAILED;
	return -1;
}

/* A show info answer that is not one: say what HAProxy said instead. */
static void
refused(struct snapshot *s, const char *p, const char *nl)
{
	static const char	 head[] = "show info: HAProxy answered \"";
	size_t			 i, n = sizeof(head) - 1;

	memcpy(s->refusal, head, n);
	for (i = 0; p + i < nl && n < sizeof(s->refusal) - 2; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			s->refusal[n++] = p[i];
		else
			s->refusal[n++] = '?';
	}
	s->refusal[n++] = '"';
	s->refusal[n] = '\0';
	fail(s, s->refusal);
}

/* "# pxname,svname,...,": which column is where. */
static int
parse_header(struct snapshot *s, char *p, char *nl)
{
	struct csv	 c;
	size_t		 i;
	int		 col;

	if (nl - p < 2 || p[0] != '#' || p[1] != ' ')
		return fail(s, "show stat: no CSV header");
	csv_init(&c, p + 2, (size_t)(nl + 1 - p - 2), s->lim.max_record);
	if (csv_next(&c, s->fields, CSV_MAX_FIELDS, &s->ncols) != CSV_RECORD)
		return fail(s, "show stat: unreadable CSV header");
	if ((s->map = calloc(s->ncols, sizeof(*s->map))) == NULL)
		return fail(s, "out of memory");
	for (col = 0; col < COL__COUNT; col++)
		s->idx[col] = -1;
	for (i = 0; i < s->ncols; i++) {
		col = name_lookup(&col_index, s->fields[i].s,
		    s->fields[i].len);
		s->map[i] = col;
		if (col >= 0)
			s->idx[col] = (int)i;
		else if ((col = name_lookup(&ext_index, s->fields[i].s,
		    s->fields[i].len)) >= 0 &&
		    !(s->ext_present & (uint32_t)1 << col)) {
			s->map[i] = COL__COUNT + col;
			s->ext_present |= (uint32_t)1 << col;
		}
	}
	if (s->idx[COL_PXNAME] < 0 || s->idx[COL_SVNAME] < 0)
		return fail(s, "show stat: header lacks pxname or svname");
	/* what HAProxy 2.0 lacks is NaN there, not a family less (below) */
	s->cols_present = LATER_COLS;
	for (col = 0; col < COL__NUMERIC; col++)
		if (s->idx[col] >= 0)
			s->cols_present |= (uint64_t)1 << col;
	s->have_status = s->idx[COL_STATUS] >= 0;
	return 0;
}

/*
 * The modules a row has. HTTP/1 and HTTP/2 for an HTTP listener, HTTP/1
 * for an HTTP pool: "show stat" says the mode. The rest only HAProxy's
 * configuration says: a listener's TLS bind, a member's TLS, a pool's
 * members speaking HTTP/2. Without it none of those.
 */
static unsigned
row_modules(struct snapshot *s, int scope, const struct snap_row *r,
    const struct csv_field *f)
{
	const struct csv_field		*px = &f[s->idx[COL_PXNAME]];
	const struct csv_field		*sv = &f[s->idx[COL_SVNAME]];
	const struct hcfg_proxy		*p;
	const struct hcfg_server	*m;
	unsigned			 mods = 0;

	if (scope == SCOPE_LISTENER && r->http)
		mods |= MOD_H1 | MOD_H2;
	else if (scope == SCOPE_POOL && r->http)
		mods |= MOD_H1;
	if (s->cfg == NULL)
		return mods;
	if (scope == SCOPE_LISTENER) {
		p = hcfg_proxy(s->cfg, px->s, px->len, HCFG_FRONTEND);
		return mods | (p != NULL && p->tls ? MOD_TLS : 0);
	}
	/* a pool's members follow it: looked up once for them all
	 * (row_identify() forgets it when the pool changes) */
	if ((p = s->last_backend) == NULL)
		p = s->last_backend = hcfg_proxy(s->cfg, px->s, px->len,
		    HCFG_BACKEND);
	if (p == NULL)
		return mods;
	if (scope == SCOPE_POOL)
		return mods | (p->tls ? MOD_TLS : 0) |
		    (r->http && p->h2 ? MOD_H2 : 0);
	if (!p->tls)		/* none of its members has TLS */
		return 0;
	m = hcfg_server(s->cfg, p, sv->s, sv->len);
	return m != NULL && m->tls ? MOD_TLS : 0;
}

/* Keeps the extra counters of the row's modules that HAProxy gave. */
static int
row_keep_ext(struct snapshot *s, struct snap_row *r,
    const struct snap_ext *e)
{
	struct snap_ext	*p;
	uint32_t	 keep = 0;
	size_t		 ncap;
	int		 c;

	for (c = 0; c < EXT__COUNT; c++)
		if (r->mods & ext_col_module(c))
			keep |= (uint32_t)1 << c;
	if ((keep &= e->have) == 0)
		return 0;
	/* an extra record weighs less than a row: it counts as one */
	if (++s->total > s->lim.max_mem / SNAP_ROW_BYTES)
		return fail(s, "show stat: rows over the memory cap");
	if (s->next == s->ext_cap) {
		ncap = s->ext_cap ? s->ext_cap * 2 : 16;
		if ((p = reallocarray(s->ext, ncap, sizeof(*p))) == NULL)
			return fail(s, "out of memory");
		s->ext = p;
		s->ext_cap = ncap;
	}
	p = &s->ext[s->next++];
	for (c = 0; c < EXT__COUNT; c++)
		p->v[c] = (keep & (uint32_t)1 << c) != 0 ? e->v[c] : 0;
	p->have = keep;
	r->ext = (uint32_t)s->next;
	return 0;
}

/* The end of a row parsed either way: identify, check, keep. */
static int
row_finish(struct snapshot *s, struct snap_row *r, const uint64_t *v,
    struct csv_field *f, const struct snap_ext *e)
{
	struct snap_rows	*rs;
	int			 scope;

	if ((scope = row_identify(s, f, r)) == -1) {
		s->hidden++;
		return 0;
	}
	r->http = s->idx[COL_MODE] >= 0 &&
	    strcmp(f[s->idx[COL_MODE]].s, "http") == 0;
	r->ext = 0;
	if (e->have != 0 && (r->mods = (uint8_t)row_modules(s, scope, r,
	    f)) != 0 && row_keep_ext(s, r, e) == -1)
		return -1;
	r->state = STATE_UNKNOWN;
	r->op = OP_UNKNOWN;
	if (s->have_status) {
		const char	*st = f[s->idx[COL_STATUS]].s;

		r->state = parse_state(scope, st);
		r->op = op_status_of_row(scope, st,
		    snap_row_has(r, COL_WEIGHT) && v[COL_WEIGHT] == 0 &&
		    !snap_row_neg(r, COL_WEIGHT));
	}
	if (++s->total > s->lim.max_mem / SNAP_ROW_BYTES)
		return fail(s, "show stat: rows over the memory cap");
	rs = &s->rows[scope];
	if (rows_grow(rs) == -1)
		return fail(s, "out of memory");
	snap_set_values(rs, rs->n, v);
	memcpy(&rs->row[rs->n++], r, sizeof(*r));
	return 0;
}

/*
 * A record with no quote and no CR, as nearly every row is: one pass that
 * parses numbers where they stand and skips the columns nobody reads.
 * Equivalent to parse_row() for such records.
 */
static int
parse_row_plain(struct snapshot *s, char *p, char *nl)
{
	struct csv_field	*f = s->fields;
	struct snap_row		 r;
	struct snap_ext		 ext;
	uint64_t		 v[COL__NUMERIC];
	size_t			 i;
	char			*q = p, *start, d;
	const char		*e;
	int			 col, neg;
	uint64_t		 x;

	if (nl == p) {
		s->phase = PHASE_DONE;	/* the empty line after the last row */
		return 0;
	}
	memset(&r, 0, offsetof(struct snap_row, labels));
	memset(v, 0, sizeof(v));	/* an empty field's value: none */
	ext.have = 0;
	for (i = 0;; i++) {
		if (i == s->ncols) {
			s->malformed++;		/* more fields than columns */
			return 0;
		}
		col = s->map[i];
		/* empty, as most are, and not a name: nothing to keep */
		if (*q == ',' && (col < COL__NUMERIC || col >= COL__COUNT)) {
			q++;
			continue;
		}
		start = q;
		if (col >= 0 && col < COL__NUMERIC) {
			if (*q != '\n') {	/* not empty: a value */
				neg = *q == '-';
				if ((e = dec_u64(q + neg, nl, neg ?
				    (uint64_t)INT64_MAX + 1 : UINT64_MAX,
				    &x)) == NULL || (*e != ',' && *e != '\n'))
					goto malformed;
				q += e - q;
				if (neg) {
					x = (uint64_t)0 - x;
					r.neg |= (uint64_t)1 << col;
				}
				v[col] = x;
				r.have |= (uint64_t)1 << col;
			}
		} else if (col >= COL__COUNT && (e = dec_u64(q, nl,
		    UINT64_MAX, &x)) != NULL && (*e == ',' || *e == '\n')) {
			/* an extra counter: a number, or none */
			ext.v[col - COL__COUNT] = x;
			ext.have |= (uint32_t)1 << (col - COL__COUNT);
			q += e - q;
		} else
			while (*q != ',' && *q != '\n')
				q++;
		d = *q;
		if (col >= COL__NUMERIC && col < COL__COUNT) {
			f[i].s = start;
			f[i].len = (size_t)(q - start);
			*q = '\0';
		}
		if (d == '\n')
			break;
		q++;
	}
	if (i + 1 != s->ncols)
		goto malformed;
	return row_finish(s, &r, v, f, &ext);
malformed:
	s->malformed++;
	return 0;
}

/* One complete record of show stat, ending with the '\n' at nl. */
static int
parse_row(struct snapshot *s, char *p, char *nl)
{
	struct csv		 c;
	struct csv_field	*f = s->fields;
	struct snap_row		 r;
	struct snap_ext		 ext;
	uint64_t		 v[COL__NUMERIC];
	size_t			 nf, i;
	int			 col, neg;
	uint64_t		 x;

	csv_init(&c, p, (size_t)(nl + 1 - p), s->lim.max_record);
	if (csv_next(&c, f, CSV_MAX_FIELDS, &nf) != CSV_RECORD) {
		s->malformed++;
		return 0;
	}
	if (nf == 1 && f[0].len == 0) {
		s->phase = PHASE_DONE;	/* the empty line after the last row */
		return 0;
	}
	if (nf != s->ncols) {
		s->malformed++;
		return 0;
	}
	memset(&r, 0, offsetof(struct snap_row, labels));
	memset(v, 0, sizeof(v));	/* a column it has not: none */
	ext.have = 0;
	for (i = 0; i < nf; i++) {
		if ((col = s->map[i]) >= COL__COUNT) {
			if (parse_int(f[i].s, f[i].len, &x, &neg) == 0 &&
			    !neg) {
				ext.v[col - COL__COUNT] = x;
				ext.have |= (uint32_t)1 << (col - COL__COUNT);
			}
			continue;
		}
		if (col < 0 || col >= COL__NUMERIC)
			continue;
		if (f[i].len == 0)
			continue;
		if (parse_int(f[i].s, f[i].len, &v[col], &neg) == -1) {
			s->malformed++;
			return 0;
		}
		r.have |= (uint64_t)1 << col;
		if (neg)
			r.neg |= (uint64_t)1 << col;
	}
	return row_finish(s, &r, v, f, &ext);
}

size_t
snapshot_feed(struct snapshot *s, char *buf, size_t len)
{
	char	*p = buf, *end = buf + len, *nl;
	int	 has_quote = 0;

	if (s->fields == NULL && s->phase != PHASE_FAILED &&
	    (s->fields = calloc(CSV_MAX_FIELDS, sizeof(*s->fields))) == NULL)
		fail(s, "out of memory");
	while (p < end) {
		if (s->phase == PHASE_DONE || s->phase == PHASE_FAILED)
			return len;		/* the rest does not matter */
		if (s->skipping) {
			/* a record over the limit: drop it up to its end */
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
				return len;
			s->skipping = 0;
			p = nl + 1;
			continue;
		}
		if (s->phase == PHASE_INFO)
			nl = memchr(p, '\n', (size_t)(end - p));
		else
			nl = (char *)(uintptr_t)csv_record_end(p, end,
			    &has_quote);
		if (nl == NULL) {
			if ((size_t)(end - p) < s->lim.max_record)
				break;		/* wait for the rest */
			if (s->phase != PHASE_ROWS) {
				fail(s, s->phase == PHASE_INFO ?
				    "show info: line too long" :
				    "show stat: CSV header too long");
				return len;
			}
			s->malformed++;
			s->skipping = 1;
			continue;
		}
		switch (s->phase) {
		case PHASE_INFO:
			/* HAProxy's answer begins "Name: HAProxy"; anything
			 * else is its refusal ("Unknown command", "Permission
			 * denied"), whose lines may hold colons too */
			if (s->info_seen == 0 && nl != p && ((size_t)(nl - p) <
			    6 || memcmp(p, "Name: ", 6) != 0)) {
				refused(s, p, nl);
				return len;
			}
			if (nl == p) {
				if (s->info_seen == 0) {
					fail(s, "show info: no fields");
					return len;
				}
				s->phase = PHASE_HEADER;
			} else
				parse_info_line(s, p, nl);
			break;
		case PHASE_HEADER:
			if (parse_header(s, p, nl) == 0)
				s->phase = PHASE_ROWS;
			break;
		default:
			if ((size_t)(nl + 1 - p) > s->lim.max_record)
				s->malformed++;
			else if (!has_quote &&
			    memchr(p, '\r', (size_t)(nl - p)) == NULL)
				parse_row_plain(s, p, nl);
			else
				parse_row(s, p, nl);
			break;
		}
		p = nl + 1;
	}
	return (size_t)(p - buf);
}

int
snapshot_finish(struct snapshot *s)
{
	free(s->fields);
	s->fields = NULL;
	free(s->map);
	s->map = NULL;
	if (s->phase != PHASE_DONE) {
		if (s->phase != PHASE_FAILED)
			s->error = s->phase == PHASE_INFO ?
			    "show info: truncated" : s->phase == PHASE_HEADER ?
			    "show stat: no CSV header" :
			    "show stat: truncated (no empty line at the end)";
		snapshot_free(s);	/* never half a snapshot */
		return -1;
	}
	if (op_status_resolve(s) == -1) {
		s->error = "out of memory";
		snapshot_free(s);
		return -1;
	}
	return 0;
}

int
snapshot_parse(struct snapshot *s, char *buf, size_t len)
{
	snapshot_feed(s, buf, len);
	return snapshot_finish(s);
}

int
snapshot_parse_info(struct snapshot *s, char *buf, size_t len)
{
	s->phase = PHASE_INFO;
	snapshot_feed(s, buf, len);
	free(s->fields);
	s->fields = NULL;
	if (s->phase == PHASE_FAILED || s->info_seen == 0) {
		if (s->phase != PHASE_FAILED)
			s->error = "show info: no fields";
		return -1;
	}
	return 0;
}

int
snapshot_parse_stat(struct snapshot *s, char *buf, size_t len)
{
	s->phase = PHASE_HEADER;
	snapshot_feed(s, buf, len);
	return snapshot_finish(s);
}
