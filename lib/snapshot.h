/*
 * A snapshot: one complete read of HAProxy's "show info" and "show stat",
 * reduced to what the metric table needs. Numbers are kept as integers,
 * rows are grouped by Octavia object (listener, pool, member) and carry
 * their label text ready to print. Rows that are not Octavia objects are
 * dropped here, so nothing downstream can leak HAProxy's own names.
 */
#ifndef SNAPSHOT_H
#define SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

enum scope {
	SCOPE_LOADBALANCER,	/* show info and the amphora itself */
	SCOPE_LISTENER,		/* frontends */
	SCOPE_POOL,		/* backends */
	SCOPE_MEMBER,		/* servers */
	SCOPE_EXPORTER,		/* the agent's own families */
	SCOPE__COUNT
};

enum info_field {
	INFO_POOLFAILED,
	INFO_MAXCONN,
	INFO_CURRCONNS,
	INFO_CUMCONNS,
	INFO_CUMREQ,
	INFO_MAXSSLCONNS,
	INFO_CURRSSLCONNS,
	INFO_CUMSSLCONNS,
	INFO_CONNRATE,
	INFO_CONNRATELIMIT,
	INFO_MAXCONNRATE,
	INFO_SESSRATE,
	INFO_SESSRATELIMIT,
	INFO_MAXSESSRATE,
	INFO_SSLRATE,
	INFO_SSLRATELIMIT,
	INFO_MAXSSLRATE,
	INFO_SSLFRONTENDKEYRATE,
	INFO_SSLFRONTENDMAXKEYRATE,
	INFO_SSLFRONTENDSESSIONREUSE_PCT,
	INFO_SSLBACKENDKEYRATE,
	INFO_SSLBACKENDMAXKEYRATE,
	INFO_SSLCACHELOOKUPS,
	INFO_SSLCACHEMISSES,
	INFO_COMPRESSBPSIN,
	INFO_COMPRESSBPSOUT,
	INFO_COMPRESSBPSRATELIM,
	INFO_LISTENERS,
	INFO_DROPPEDLOGS,
	INFO_POOLALLOC_BYTES,
	INFO_POOLUSED_BYTES,
	INFO__COUNT
};

/* show stat columns the agent reads; numeric ones first. */
enum stat_col {
	COL_SCUR,
	COL_SMAX,
	COL_SLIM,
	COL_STOT,
	COL_BIN,
	COL_BOUT,
	COL_DREQ,
	COL_DRESP,
	COL_EREQ,
	COL_RATE_LIM,
	COL_RATE_MAX,
	COL_HRSP_1XX,
	COL_HRSP_2XX,
	COL_HRSP_3XX,
	COL_HRSP_4XX,
	COL_HRSP_5XX,
	COL_HRSP_OTHER,
	COL_REQ_RATE_MAX,
	COL_REQ_TOT,
	COL_COMP_IN,
	COL_COMP_OUT,
	COL_COMP_BYP,
	COL_COMP_RSP,
	COL_CONN_RATE_MAX,
	COL_CONN_TOT,
	COL_INTERCEPTED,
	COL_DCON,
	COL_DSES,
	COL_WREW,
	COL_CACHE_LOOKUPS,
	COL_CACHE_HITS,
	COL_QCUR,
	COL_QMAX,
	COL_ECON,
	COL_ERESP,
	COL_WRETR,
	COL_WREDIS,
	COL_ACT,
	COL_BCK,
	COL_CHKDOWN,
	COL_LASTCHG,
	COL_DOWNTIME,
	COL_LBTOT,
	COL_CLI_ABRT,
	COL_SRV_ABRT,
	COL_LASTSESS,
	COL_QTIME,
	COL_CTIME,
	COL_RTIME,
	COL_TTIME,
	COL_CONNECT,
	COL_REUSE,
	COL_QTIME_MAX,
	COL_CTIME_MAX,
	COL_RTIME_MAX,
	COL_TTIME_MAX,
	COL_WEIGHT,
	COL_CHKFAIL,
	COL_QLIMIT,
	COL_THROTTLE,
	COL_SRV_ICUR,
	COL_SRC_ILIM,
	COL_IPVS_INPKTS,	/* from IPVS only: packets in */
	COL_IPVS_OUTPKTS,	/* and out */
	COL__NUMERIC,		/* columns below hold text */
	COL_PXNAME = COL__NUMERIC,
	COL_SVNAME,
	COL_TYPE,
	COL_MODE,
	COL_STATUS,
	COL__COUNT
};

/*
 * HAProxy's extra counters, the columns after show stat's "-" (2.4 on),
 * by the module that counts them: TLS, then HTTP/2, then HTTP/1 (2.6 on).
 */
enum ext_col {
	EXT_SSL_SESS,
	EXT_SSL_REUSED_SESS,
	EXT_SSL_FAILED_HANDSHAKE,
	EXT_H2_HEADERS_RCVD,		/* frames received, by type */
	EXT_H2_DATA_RCVD,
	EXT_H2_SETTINGS_RCVD,
	EXT_H2_RST_STREAM_RCVD,
	EXT_H2_GOAWAY_RCVD,
	EXT_H2_RST_STREAM_RESP,		/* frames sent, by type */
	EXT_H2_GOAWAY_RESP,
	EXT_H2_CONN_PROTOCOL_ERRORS,	/* errors, by level */
	EXT_H2_STRM_PROTOCOL_ERRORS,
	EXT_H2_OPEN_CONNECTIONS,
	EXT_H2_OPEN_STREAMS,
	EXT_H2_TOTAL_CONNECTIONS,
	EXT_H2_TOTAL_STREAMS,
	EXT_H1_OPEN_CONNECTIONS,
	EXT_H1_OPEN_STREAMS,
	EXT_H1_TOTAL_CONNECTIONS,
	EXT_H1_TOTAL_STREAMS,
	EXT_H1_BYTES_IN,
	EXT_H1_BYTES_OUT,
	EXT_H1_SPLICED_BYTES_IN,
	EXT_H1_SPLICED_BYTES_OUT,
	EXT__COUNT
};

/* The modules a row has: whose extra counters are its own. */
enum snap_module {
	MOD_TLS = 1 << 0,	/* a listener with a TLS bind; a member over
				 * TLS, and its pool */
	MOD_H2 = 1 << 1,	/* an HTTP listener; a pool whose members
				 * speak HTTP/2 */
	MOD_H1 = 1 << 2,	/* an HTTP listener or pool */
};

extern const char *const ext_col_names[EXT__COUNT];

/* The module an extra column belongs to. */
static inline unsigned
ext_col_module(enum ext_col c)
{
	return c <= EXT_SSL_FAILED_HANDSHAKE ? MOD_TLS :
	    c <= EXT_H2_TOTAL_STREAMS ? MOD_H2 : MOD_H1;
}

/* A row's extra counters: only those of its modules, where HAProxy has
 * them. */
struct snap_ext {
	uint64_t	 v[EXT__COUNT];
	uint32_t	 have;		/* bit per enum ext_col */
};

extern const char *const info_field_names[INFO__COUNT];
extern const char *const stat_col_names[COL__COUNT];

/* Object states, as the status families label them. */
enum snap_state {
	STATE_DOWN,
	STATE_UP,
	STATE_MAINT,
	STATE_DRAIN,
	STATE_NOLB,
	STATE__COUNT,
	STATE_UNKNOWN = STATE__COUNT
};

extern const char *const snap_state_names[STATE__COUNT];

/* member="<36>",pool="<36>",listener="<36>" and a NUL */
#define SNAP_LABELS_MAX		144

struct snap_row {
	uint64_t	 have;		/* bit per numeric column: not empty */
	uint64_t	 neg;		/* bit per numeric column: negative */
	uint8_t		 http;		/* proxy is in mode http */
	uint8_t		 state;		/* enum snap_state */
	uint8_t		 op;		/* enum op_status (opstatus.h) */
	uint8_t		 ipvs;		/* from IPVS: has only what it has */
	uint8_t		 labels_len;
	uint8_t		 mods;		/* enum snap_module */
	uint32_t	 ext;		/* its snap_ext + 1; 0: none */
	char		 labels[SNAP_LABELS_MAX];
};

/*
 * A scope's rows, and their values column by column in blocks of rows: a
 * family reads one column of every row, a block's rows at a time from one
 * run of cache lines, where a row of all its values would cost a line a
 * row; and a row's values, written together, stay within one block. A
 * block has 64 rows, or cap while cap is less: a scope of a few rows takes
 * a few rows' memory.
 */
#define SNAP_BLOCK_SHIFT	6		/* 64 rows */
struct snap_rows {
	struct snap_row	*row;		/* cap of them, after the values */
	uint64_t	*val;		/* cap >> shift blocks */
	size_t		 n;
	size_t		 cap;		/* a power of two */
	unsigned	 shift;		/* a block has 1 << shift rows */
};

/* What a row weighs, its values included. */
#define SNAP_ROW_BYTES \
	(sizeof(struct snap_row) + COL__NUMERIC * sizeof(uint64_t))

struct snapshot_limits {
	size_t		 max_record;	/* bytes in one CSV record */
	size_t		 max_mem;	/* bytes of rows kept, all scopes */
};

enum snapshot_phase {
	PHASE_INFO,		/* show info lines, up to an empty one */
	PHASE_HEADER,		/* the "# pxname,..." line */
	PHASE_ROWS,		/* records, up to an empty line */
	PHASE_DONE,
	PHASE_FAILED,
};

struct csv_field;
struct hcfg;
struct hcfg_proxy;

struct snapshot {
	struct snapshot_limits	 lim;
	uint64_t		 info[INFO__COUNT];
	uint64_t		 info_have;	/* bit per enum info_field */
	char			 haproxy_version[64];
	uint64_t		 cols_present;	/* bit per numeric column */
	int			 have_status;
	uint8_t			 op;		/* the load balancer's op_status */
	struct snap_rows	 rows[SCOPE__COUNT];	/* by scope */
	struct snap_ext		*ext;		/* rows' extra counters */
	size_t			 next;
	size_t			 ext_cap;
	uint32_t		 ext_present;	/* bit per enum ext_col */
	/* HAProxy's configuration, when the caller read it, for the TLS
	 * and HTTP/2 of pools and members (it must outlive the parse) */
	const struct hcfg	*cfg;
	size_t			 malformed;	/* rows skipped as broken */
	size_t			 hidden;	/* rows that are not Octavia's */
	const char		*error;		/* why a parse failed */
	char			 refusal[96];	/* HAProxy's words, for error */

	/* while parsing */
	enum snapshot_phase	 phase;
	int			 skipping;	/* dropping an over-long record */
	int			 info_seen;
	size_t			 total;
	size_t			 ncols;
	int			*map;		/* CSV column -> enum stat_col */
	int			 idx[COL__COUNT]; /* and back */
	/* "<pool>:<listener>", the last backend name found valid, and its
	 * backend in cfg once a row needed it (NULL: not looked up yet) */
	char			 last_pool[36 + 1 + 36];
	const struct hcfg_proxy	*last_backend;
	struct csv_field	*fields;
};

void	snapshot_init(struct snapshot *, const struct snapshot_limits *);
void	snapshot_free(struct snapshot *);
/* The bytes its rows and their extra counters take, as allocated. */
size_t	snapshot_bytes(const struct snapshot *);

/*
 * Parses the answer to "show info;show stat" as it arrives: both sections,
 * each ended by an empty line. snapshot_feed() takes the complete lines and
 * records at the start of buf (modifying them in place) and returns how
 * many bytes it used; the caller keeps the rest and feeds it again with
 * what follows. A record longer than lim.max_record is skipped and counted.
 * snapshot_finish() ends the parse: 0, or -1 with snap->error set when the
 * answer was not complete (no info, no CSV header, truncated, rows over
 * lim.max_mem); a snapshot that failed holds no rows and must not be
 * served. The rows kept take total * SNAP_ROW_BYTES bytes: a
 * row weighs more than its CSV, so the cap is on them, not on the text.
 */
size_t	snapshot_feed(struct snapshot *, char *buf, size_t len);
int	snapshot_finish(struct snapshot *);

/*
 * A row of scope added to a snapshot by another source than HAProxy's
 * answer (IPVS), zeroed; NULL when out of memory or past lim.max_mem.
 * The caller sets its labels, values and presence bits.
 */
struct snap_row	*snapshot_add_row(struct snapshot *, enum scope);

/* The whole answer at once: snapshot_feed() and snapshot_finish(). */
int	snapshot_parse(struct snapshot *, char *buf, size_t len);

/* The two halves, for callers and tests that have them apart. */
int	snapshot_parse_info(struct snapshot *, char *buf, size_t len);
int	snapshot_parse_stat(struct snapshot *, char *buf, size_t len);

/* 1 when the column was in the CSV header. */
static inline int
snapshot_has_col(const struct snapshot *s, enum stat_col c)
{
	return (s->cols_present >> c) & 1;
}

/* Where row i's value of column c is in rs->val. */
static inline size_t
snap_value_at(const struct snap_rows *rs, size_t i, enum stat_col c)
{
	return (((i >> rs->shift) * COL__NUMERIC + (size_t)c) << rs->shift) +
	    (i & (((size_t)1 << rs->shift) - 1));
}

/* Row i's value of numeric column c (see snap_row_has()). */
static inline uint64_t
snap_value(const struct snap_rows *rs, size_t i, enum stat_col c)
{
	return rs->val[snap_value_at(rs, i, c)];
}

static inline void
snap_set_value(struct snap_rows *rs, size_t i, enum stat_col c, uint64_t v)
{
	rs->val[snap_value_at(rs, i, c)] = v;
}

/* Row i's values, all columns at once (v[COL__NUMERIC]). */
void	snap_set_values(struct snap_rows *, size_t i, const uint64_t *v);

static inline int
snap_row_has(const struct snap_row *r, enum stat_col c)
{
	return (r->have >> c) & 1;
}

static inline int
snap_row_neg(const struct snap_row *r, enum stat_col c)
{
	return (r->neg >> c) & 1;
}

/* A row's extra counters, NULL without. */
static inline const struct snap_ext *
snap_row_ext(const struct snapshot *s, const struct snap_row *r)
{
	return r->ext != 0 ? &s->ext[r->ext - 1] : NULL;
}

#endif
