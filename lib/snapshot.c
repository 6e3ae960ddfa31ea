#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "octavia.h"
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
	[COL_PXNAME] = "pxname",
	[COL_SVNAME] = "svname",
	[COL_TYPE] = "type",
	[COL_MODE] = "mode",
	[COL_STATUS] = "status",
};

const char *const snap_state_names[STATE__COUNT] = {
	[STATE_DOWN] = "DOWN",
	[STATE_UP] = "UP",
	[STATE_MAINT] = "MAINT",
	[STATE_DRAIN] = "DRAIN",
	[STATE_NOLB] = "NOLB",
};

#define CSV_MAX_FIELDS	512	/* HAProxy 3.x prints under 200 */

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
		free(s->rows[i].row);
	memset(s->rows, 0, sizeof(s->rows));
}

/*
 * A decimal integer filling the whole field, optionally negative. Values
 * are kept as 64-bit patterns: unsigned up to 2^64-1, negative down to
 * -2^63 (with *neg set). Returns -1 for anything else.
 */
static int
parse_int(const char *s, size_t len, uint64_t *v, int *neg)
{
	uint64_t	 x = 0, d;
	size_t		 i = 0;

	*neg = 0;
	if (len > 0 && s[0] == '-') {
		*neg = 1;
		i = 1;
	}
	if (i == len)
		return -1;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (uint64_t)(s[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	if (*neg) {
		if (x > (uint64_t)INT64_MAX + 1)
			return -1;
		x = (uint64_t)0 - x;
	}
	*v = x;
	return 0;
}

int
snapshot_parse_info(struct snapshot *s, char *buf, size_t len)
{
	char		*p = buf, *end = buf + len, *nl, *colon, *val;
	size_t		 vlen;
	uint64_t	 v;
	int		 i, neg, seen = 0;

	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl == p)
			break;		/* the empty line that ends the section */
		colon = memchr(p, ':', (size_t)(nl - p));
		if (colon != NULL) {
			seen++;
			*colon = '\0';
			val = colon + 1;
			while (val < nl && *val == ' ')
				val++;
			vlen = (size_t)(nl - val);
			if (strcmp(p, "Version") == 0) {
				if (vlen >= sizeof(s->haproxy_version))
					vlen = sizeof(s->haproxy_version) - 1;
				memcpy(s->haproxy_version, val, vlen);
				s->haproxy_version[vlen] = '\0';
			}
			for (i = 0; i < INFO__COUNT; i++) {
				if (strcmp(p, info_field_names[i]) != 0)
					continue;
				if (parse_int(val, vlen, &v, &neg) == 0 && !neg) {
					s->info[i] = v;
					s->info_have |= (uint64_t)1 << i;
				}
				break;
			}
		}
		p = nl + 1;
	}
	if (seen == 0) {
		s->error = "show info: no fields";
		return -1;
	}
	return 0;
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

/*
 * Which Octavia object a row is, and its label text. Returns the scope, or
 * -1 for rows that are not Octavia's.
 */
static int
row_identify(const struct csv_field *f, const int *idx, struct snap_row *r)
{
	const struct csv_field	*px = &f[idx[COL_PXNAME]];
	const struct csv_field	*sv = &f[idx[COL_SVNAME]];
	const char		*pool, *listener;
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

	if (scope == SCOPE_LISTENER) {
		if (!octavia_is_uuid(px->s, px->len))
			return -1;
		n = snprintf(r->labels, sizeof(r->labels),
		    "listener=\"%s\"", px->s);
	} else {
		if (octavia_name_split_backend(px->s, px->len, &pool,
		    &listener) == -1)
			return -1;
		if (scope == SCOPE_POOL)
			n = snprintf(r->labels, sizeof(r->labels),
			    "pool=\"%.36s\",listener=\"%.36s\"", pool, listener);
		else {
			if (!octavia_is_uuid(sv->s, sv->len))
				return -1;
			n = snprintf(r->labels, sizeof(r->labels),
			    "member=\"%s\",pool=\"%.36s\",listener=\"%.36s\"",
			    sv->s, pool, listener);
		}
	}
	r->labels_len = (uint8_t)n;
	return scope;
}

static struct snap_row *
rows_push(struct snapshot *s, int scope)
{
	struct snap_rows	*rs = &s->rows[scope];
	struct snap_row		*p;
	size_t			 ncap;

	if (rs->n == rs->cap) {
		ncap = rs->cap ? rs->cap * 2 : 16;
		if ((p = reallocarray(rs->row, ncap, sizeof(*p))) == NULL)
			return NULL;
		rs->row = p;
		rs->cap = ncap;
	}
	return &rs->row[rs->n++];
}

int
snapshot_parse_stat(struct snapshot *s, char *buf, size_t len)
{
	struct csv		 c;
	struct csv_field	*f;
	struct snap_row		 r, *dst;
	size_t			 nf, ncols, i, total = 0;
	int			 idx[COL__COUNT], *map = NULL, col, scope, neg;
	int			 rc = -1, ended = 0;
	enum csv_status		 st;

	if ((f = calloc(CSV_MAX_FIELDS, sizeof(*f))) == NULL) {
		s->error = "out of memory";
		return -1;
	}
	csv_init(&c, buf, len, s->lim.max_record);

	/* the header: "# pxname,svname,...," */
	if (len < 2 || buf[0] != '#' || buf[1] != ' ') {
		s->error = "show stat: no CSV header";
		goto out;
	}
	c.p += 2;
	if (csv_next(&c, f, CSV_MAX_FIELDS, &ncols) != CSV_RECORD) {
		s->error = "show stat: unreadable CSV header";
		goto out;
	}
	if ((map = calloc(ncols, sizeof(*map))) == NULL) {
		s->error = "out of memory";
		goto out;
	}
	for (col = 0; col < COL__COUNT; col++)
		idx[col] = -1;
	for (i = 0; i < ncols; i++) {
		map[i] = -1;
		for (col = 0; col < COL__COUNT; col++)
			if (strcmp(f[i].s, stat_col_names[col]) == 0) {
				map[i] = col;
				idx[col] = (int)i;
				break;
			}
	}
	if (idx[COL_PXNAME] < 0 || idx[COL_SVNAME] < 0) {
		s->error = "show stat: header lacks pxname or svname";
		goto out;
	}
	s->cols_present = 0;
	for (col = 0; col < COL__NUMERIC; col++)
		if (idx[col] >= 0)
			s->cols_present |= (uint64_t)1 << col;
	s->have_status = idx[COL_STATUS] >= 0;

	while ((st = csv_next(&c, f, CSV_MAX_FIELDS, &nf)) != CSV_END) {
		if (st == CSV_MALFORMED) {
			s->malformed++;
			continue;
		}
		if (nf == 1 && f[0].len == 0) {
			ended = 1;	/* the empty line after the last row */
			break;
		}
		if (nf != ncols) {
			s->malformed++;
			continue;
		}
		memset(&r, 0, offsetof(struct snap_row, v));
		if ((scope = row_identify(f, idx, &r)) == -1) {
			s->hidden++;
			continue;
		}
		for (i = 0; i < ncols; i++) {
			if ((col = map[i]) < 0 || col >= COL__NUMERIC)
				continue;
			if (f[i].len == 0) {
				r.v[col] = 0;
				continue;
			}
			if (parse_int(f[i].s, f[i].len, &r.v[col], &neg) == -1)
				break;
			r.have |= (uint64_t)1 << col;
			if (neg)
				r.neg |= (uint64_t)1 << col;
		}
		if (i != ncols) {
			s->malformed++;
			continue;
		}
		r.http = idx[COL_MODE] >= 0 &&
		    strcmp(f[idx[COL_MODE]].s, "http") == 0;
		r.state = s->have_status ?
		    parse_state(scope, f[idx[COL_STATUS]].s) : STATE_UNKNOWN;
		if (++total > s->lim.max_rows) {
			s->error = "show stat: too many rows";
			goto out;
		}
		if ((dst = rows_push(s, scope)) == NULL) {
			s->error = "out of memory";
			goto out;
		}
		memcpy(dst, &r, sizeof(r));
	}
	if (!ended) {
		s->error = "show stat: truncated (no empty line at the end)";
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		snapshot_free(s);	/* never half a snapshot */
	free(map);
	free(f);
	return rc;
}

int
snapshot_parse(struct snapshot *s, char *buf, size_t len)
{
	char	*sep;
	size_t	 ilen;

	/* "show info" ends with an empty line; "show stat" follows. */
	if ((sep = memmem(buf, len, "\n\n", 2)) == NULL) {
		s->error = "show info: truncated";
		return -1;
	}
	ilen = (size_t)(sep - buf) + 1;
	if (snapshot_parse_info(s, buf, ilen) == -1)
		return -1;
	return snapshot_parse_stat(s, sep + 2, len - ilen - 1);
}
