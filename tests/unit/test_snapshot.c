#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csv.h"
#include "fixture.h"
#include "haproxycfg.h"
#include "snapshot.h"

static const struct snapshot_limits lim = { 65536, 64u << 20 };

/* The CSV as a table of strings, to rewrite it in other shapes. */
#define TABLE_COLS	256		/* HAProxy 3.0 has 206 */
struct table {
	size_t	 ncols, nrows;
	char	*cell[64][TABLE_COLS];	/* [row][col]; row 0 is the header */
};

static void
table_load(struct table *t)
{
	size_t			 len, nf, i;
	char			*buf = fixture_load("show-stat.csv", &len);
	struct csv		 c;
	struct csv_field	 f[TABLE_COLS];

	memset(t, 0, sizeof(*t));
	csv_init(&c, buf + 2, len - 2, 65536);	/* past "# " */
	while (csv_next(&c, f, TABLE_COLS, &nf) == CSV_RECORD) {
		if (nf == 1 && f[0].len == 0)
			break;
		assert_true(t->nrows < 64 && nf < TABLE_COLS);
		t->ncols = nf;
		for (i = 0; i < nf; i++)
			t->cell[t->nrows][i] = strdup(f[i].s);
		t->nrows++;
	}
	free(buf);
}

static void
table_free(struct table *t)
{
	size_t	 r, c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			free(t->cell[r][c]);
}

static void
put_field(char **p, const char *s)
{
	const char	*q;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		*p += sprintf(*p, "%s", s);
		return;
	}
	*(*p)++ = '"';
	for (q = s; *q; q++) {
		if (*q == '"')
			*(*p)++ = '"';
		*(*p)++ = *q;
	}
	*(*p)++ = '"';
}

/*
 * Writes the table back as HAProxy would, keeping the columns listed in
 * order[] (indexes into the table; -1 ends, -2 adds an unknown column).
 */
static char *
table_write(const struct table *t, const int *order, size_t *len)
{
	char	*buf = malloc(1 << 20), *p = buf;
	size_t	 r;
	int	 i;

	for (r = 0; r < t->nrows; r++) {
		if (r == 0)
			p += sprintf(p, "# ");
		for (i = 0; order[i] != -1; i++) {
			if (order[i] == -2)
				put_field(&p, r == 0 ? "future_col" : "7,x");
			else
				put_field(&p, t->cell[r][order[i]]);
			*p++ = ',';
		}
		*p++ = '\n';
	}
	*p++ = '\n';
	*p = '\0';
	*len = (size_t)(p - buf);
	return buf;
}

static int
col_index(const struct table *t, const char *name)
{
	size_t	 i;

	for (i = 0; i < t->ncols; i++)
		if (strcmp(t->cell[0][i], name) == 0)
			return (int)i;
	return -1;
}

static void
parse_stat_ok(struct snapshot *s, char *buf, size_t len)
{
	snapshot_init(s, &lim);
	if (snapshot_parse_stat(s, buf, len) == -1)
		fail_msg("parse failed: %s", s->error);
}

static void
assert_rows_equal(const struct snapshot *a, const struct snapshot *b,
    uint64_t cols)
{
	int		 sc, col;
	size_t		 i;

	for (sc = SCOPE_LISTENER; sc <= SCOPE_MEMBER; sc++) {
		assert_int_equal(a->rows[sc].n, b->rows[sc].n);
		for (i = 0; i < a->rows[sc].n; i++) {
			const struct snap_row *x = &a->rows[sc].row[i];
			const struct snap_row *y = &b->rows[sc].row[i];

			assert_string_equal(x->labels, y->labels);
			assert_int_equal(x->state, y->state);
			assert_int_equal(x->http, y->http);
			for (col = 0; col < COL__NUMERIC; col++) {
				if (!((cols >> col) & 1))
					continue;
				assert_int_equal(snap_row_has(x, col),
				    snap_row_has(y, col));
				/* a value is only what its presence bit says */
				assert_true(!snap_row_has(x, col) ||
				    snap_value(&a->rows[sc], i, col) ==
				    snap_value(&b->rows[sc], i, col));
			}
		}
	}
}

static void
test_real_answer(void **state)
{
	struct snapshot	 s;
	size_t		 len, i, st[STATE__COUNT + 1] = { 0 }, http = 0;
	char		*buf = fixture_load("info-stat.txt", &len);
	char		*manifest = fixture_load("manifest.json", &i);
	int		 sc;

	(void)state;
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse(&s, buf, len), 0);
	assert_int_equal(s.rows[SCOPE_LISTENER].n, 3);
	assert_int_equal(s.rows[SCOPE_POOL].n, 3);
	assert_int_equal(s.rows[SCOPE_MEMBER].n, 16);
	/* member-target(-bad), stats FE+BE, the internal prometheus proxies */
	assert_int_equal(s.hidden, 7);
	assert_int_equal(s.malformed, 0);
	/* the version the capture says: "HAProxy version 2.6.12-1 ..." */
	{
		size_t	 vlen;
		char	*v = fixture_load("VERSION", &vlen);

		assert_non_null(strstr(v, s.haproxy_version));
		assert_true(strlen(s.haproxy_version) >= 5);
		free(v);
	}
	assert_true((s.info_have >> INFO_MAXCONN) & 1);
	assert_true(s.info[INFO_MAXCONN] == 4000);
	/* every release has its pools: 2.2 in MiB, the others in bytes */
	assert_true((s.info_have >> INFO_POOLALLOC_BYTES) & 1);
	assert_true((s.info_have >> INFO_POOLUSED_BYTES) & 1);

	for (i = 0; i < s.rows[SCOPE_MEMBER].n; i++)
		st[s.rows[SCOPE_MEMBER].row[i].state]++;
	/* per HTTP pool: up, weight0, backup, unchecked UP; down, l7bad
	 * DOWN; maint MAINT. The TCP pool: two UP. */
	assert_int_equal(st[STATE_UP], 10);
	assert_int_equal(st[STATE_DOWN], 4);
	assert_int_equal(st[STATE_MAINT], 2);

	for (i = 0; i < s.rows[SCOPE_LISTENER].n; i++)
		http += s.rows[SCOPE_LISTENER].row[i].http;
	assert_int_equal(http, 2);

	/* every label names UUIDs of the config, nothing else */
	for (sc = SCOPE_LISTENER; sc <= SCOPE_MEMBER; sc++)
		for (i = 0; i < s.rows[sc].n; i++) {
			const char *l = s.rows[sc].row[i].labels, *q;

			for (q = strchr(l, '"'); q != NULL;
			    q = strchr(q + 38, '"')) {
				char uuid[37];

				memcpy(uuid, q + 1, 36);
				uuid[36] = '\0';
				assert_non_null(strstr(manifest, uuid));
				assert_int_equal(q[37], '"');
			}
		}
	snapshot_free(&s);
	free(manifest);
	free(buf);
}

static void
test_empty_means_not_applicable(void **state)
{
	struct snapshot		 s;
	size_t			 len;
	char			*buf = fixture_load("show-stat.csv", &len);
	const struct snap_row	*fe, *sv;

	(void)state;
	parse_stat_ok(&s, buf, len);
	fe = &s.rows[SCOPE_LISTENER].row[0];
	sv = &s.rows[SCOPE_MEMBER].row[0];
	assert_true(snapshot_has_col(&s, COL_QCUR));
	assert_false(snap_row_has(fe, COL_QCUR));	/* frontends: empty */
	assert_true(snap_row_has(sv, COL_QCUR));
	assert_false(snap_row_has(sv, COL_SLIM));	/* no maxconn */
	assert_true(snap_row_has(sv, COL_LASTSESS));
	snapshot_free(&s);
	free(buf);
}

static void
test_every_truncation_fails(void **state)
{
	struct snapshot	 s;
	size_t		 len, cut;
	char		*orig = fixture_load("info-stat.txt", &len);
	char		*buf = malloc(len + 1);

	(void)state;
	for (cut = 0; cut < len; cut++) {
		memcpy(buf, orig, cut);
		buf[cut] = '\0';
		snapshot_init(&s, &lim);
		if (snapshot_parse(&s, buf, cut) == 0)
			fail_msg("a read cut at %zu of %zu was accepted",
			    cut, len);
		snapshot_free(&s);
	}
	memcpy(buf, orig, len + 1);
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse(&s, buf, len), 0);
	snapshot_free(&s);
	free(buf);
	free(orig);
}

static void
test_columns_in_another_order(void **state)
{
	struct table	 t;
	struct snapshot	 a, b;
	int		 order[TABLE_COLS + 3], i, n;
	size_t		 len, alen;
	char		*buf, *orig;

	(void)state;
	table_load(&t);
	n = (int)t.ncols;
	for (i = 0; i < n; i++)
		order[i] = n - 1 - i;	/* reversed: pxname comes last */
	order[n] = -1;
	buf = table_write(&t, order, &len);
	orig = fixture_load("show-stat.csv", &alen);
	parse_stat_ok(&a, orig, alen);
	parse_stat_ok(&b, buf, len);
	assert_rows_equal(&a, &b, ~(uint64_t)0);
	snapshot_free(&a);
	snapshot_free(&b);
	free(buf);
	free(orig);
	table_free(&t);
}

/* HAProxy 1.8 prints these columns, and no more. */
static const char *const v18[] = {
	"pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot",
	"bin", "bout", "dreq", "dresp", "ereq", "econ", "eresp", "wretr",
	"wredis", "status", "weight", "act", "bck", "chkfail", "chkdown",
	"lastchg", "downtime", "qlimit", "pid", "iid", "sid", "throttle",
	"lbtot", "tracked", "type", "rate", "rate_lim", "rate_max",
	"check_status", "check_code", "check_duration", "hrsp_1xx",
	"hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other",
	"hanafail", "req_rate", "req_rate_max", "req_tot", "cli_abrt",
	"srv_abrt", "comp_in", "comp_out", "comp_byp", "comp_rsp", "lastsess",
	"last_chk", "last_agt", "qtime", "ctime", "rtime", "ttime",
	"agent_status", "agent_code", "agent_duration", "check_desc",
	"agent_desc", "check_rise", "check_fall", "check_health", "agent_rise",
	"agent_fall", "agent_health", "addr", "cookie", "mode", "algo",
	"conn_rate", "conn_rate_max", "conn_tot", "intercepted", "dcon", "dses",
};

static void
test_haproxy_18_columns(void **state)
{
	struct table	 t;
	struct snapshot	 a, b;
	int		 order[TABLE_COLS + 3];
	size_t		 i, len, alen;
	char		*buf, *orig;
	uint64_t	 common = 0;

	(void)state;
	table_load(&t);
	for (i = 0; i < sizeof(v18) / sizeof(v18[0]); i++)
		assert_true((order[i] = col_index(&t, v18[i])) >= 0);
	order[i] = -1;
	buf = table_write(&t, order, &len);
	orig = fixture_load("show-stat.csv", &alen);
	parse_stat_ok(&a, orig, alen);
	parse_stat_ok(&b, buf, len);
	assert_false(snapshot_has_col(&b, COL_WREW));
	/* what came after 2.0 counts as there, without a value: NaN */
	assert_true(snapshot_has_col(&b, COL_QTIME_MAX));
	assert_true(snapshot_has_col(&b, COL_SRC_ILIM));
	assert_true(b.rows[SCOPE_MEMBER].n > 0);
	assert_false(snap_row_has(&b.rows[SCOPE_MEMBER].row[0],
	    COL_QTIME_MAX));
	assert_true(snapshot_has_col(&b, COL_DSES));
	for (i = 0; i < COL__NUMERIC; i++)
		if (b.idx[i] >= 0)
			common |= (uint64_t)1 << i;
	assert_rows_equal(&a, &b, common);
	snapshot_free(&a);
	snapshot_free(&b);
	free(buf);
	free(orig);
	table_free(&t);
}

static void
test_newer_columns_ignored(void **state)
{
	struct table	 t;
	struct snapshot	 a, b;
	int		 order[TABLE_COLS + 3], n = 0, dash;
	size_t		 i, len, alen;
	char		*buf, *orig;

	(void)state;
	table_load(&t);
	dash = col_index(&t, "-");
	/* 2.8 and later add columns before the module ones ('-' onwards) */
	for (i = 0; i < t.ncols; i++) {
		if ((int)i == dash) {
			order[n++] = -2;
			order[n++] = -2;
		}
		order[n++] = (int)i;
	}
	order[n] = -1;
	buf = table_write(&t, order, &len);
	orig = fixture_load("show-stat.csv", &alen);
	parse_stat_ok(&a, orig, alen);
	parse_stat_ok(&b, buf, len);
	assert_int_equal(b.malformed, 0);
	assert_rows_equal(&a, &b, ~(uint64_t)0);
	snapshot_free(&a);
	snapshot_free(&b);
	free(buf);
	free(orig);
	table_free(&t);
}

#define L "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define P "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define M "cccccccc-cccc-4ccc-8ccc-cccccccccccc"

static int
parse_text(struct snapshot *s, const char *text)
{
	char	*buf = strdup(text);
	int	 rc;

	snapshot_init(s, &lim);
	rc = snapshot_parse_stat(s, buf, strlen(buf));
	free(buf);
	return rc;
}

static void
test_malformed_rows_skipped_and_counted(void **state)
{
	struct snapshot	 s;

	(void)state;
	assert_int_equal(parse_text(&s,
	    "# pxname,svname,scur,bin,status,type,\n"
	    L ",FRONTEND,1,5,OPEN,0,\n"
	    L ",FRONTEND,x,5,OPEN,0,\n"			/* not a number */
	    L ",FRONTEND,1,OPEN,0,\n"			/* short row */
	    L ",FRONTEND,1,5,OPEN,0,extra,\n"		/* long row */
	    P ":" L ",BACKEND,2,18446744073709551615,UP,1,\n"
	    P ":" L ",BACKEND,2,18446744073709551616,UP,1,\n" /* > 2^64-1 */
	    P ":" L "," M ",-1,7,MAINT (via x/y),2,\n"
	    "\n"), 0);
	assert_int_equal(s.malformed, 4);
	assert_int_equal(s.rows[SCOPE_LISTENER].n, 1);
	assert_int_equal(s.rows[SCOPE_POOL].n, 1);
	assert_true(snap_value(&s.rows[SCOPE_POOL], 0, COL_BIN) == UINT64_MAX);
	assert_int_equal(s.rows[SCOPE_MEMBER].n, 1);
	assert_int_equal(s.rows[SCOPE_MEMBER].row[0].state, STATE_MAINT);
	assert_true(s.rows[SCOPE_MEMBER].row[0].neg & (1ull << COL_SCUR));
	assert_string_equal(s.rows[SCOPE_MEMBER].row[0].labels,
	    "member=\"" M "\",pool=\"" P "\",listener=\"" L "\"");
	snapshot_free(&s);
}

/*
 * Rows past the first blocks of values, in two scopes growing side by
 * side: each row keeps its own labels and values (values are kept column
 * by column, and move with each doubling of a scope's rows).
 */
static void
test_many_rows_keep_their_values(void **state)
{
	enum { N = 300 };
	struct snapshot		 s;
	const struct snap_rows	*ms, *ls;
	struct snap_row		*add;
	char			*csv, *p, want[64];
	size_t			 i;
	int			 c;

	(void)state;
	p = csv = malloc(N * 2 * 160 + 64);
	p += sprintf(p, "# pxname,svname,scur,bin,stot,status,type,\n");
	for (i = 0; i < N; i++) {
		p += sprintf(p, P ":" L ",cccccccc-cccc-4ccc-8ccc-%012zx,"
		    "%zu,", i, i);
		if (i % 7 != 0)			/* every 7th: no bin */
			p += sprintf(p, "%zu", i * 1000 + 7);
		p += sprintf(p, ",%zu,UP,2,\n", UINT64_MAX - i);
		if (i % 3 == 0)
			p += sprintf(p, "%s,FRONTEND,%zu,%zu,1,OPEN,0,\n",
			    L, N + i, i);
	}
	strcpy(p, "\n");
	assert_int_equal(parse_text(&s, csv), 0);
	ms = &s.rows[SCOPE_MEMBER];
	ls = &s.rows[SCOPE_LISTENER];
	assert_int_equal(ms->n, N);
	assert_int_equal(ls->n, (N + 2) / 3);
	for (i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "member=\"cccccccc-cccc-4ccc-"
		    "8ccc-%012zx\",", i);
		assert_memory_equal(ms->row[i].labels, want, strlen(want));
		assert_true(snap_value(ms, i, COL_SCUR) == i);
		assert_int_equal(snap_row_has(&ms->row[i], COL_BIN),
		    i % 7 != 0);
		if (i % 7 != 0)
			assert_true(snap_value(ms, i, COL_BIN) ==
			    i * 1000 + 7);
		assert_true(snap_value(ms, i, COL_STOT) == UINT64_MAX - i);
	}
	for (i = 0; i < ls->n; i++) {
		assert_true(snap_value(ls, i, COL_SCUR) == N + 3 * i);
		assert_true(snap_value(ls, i, COL_BIN) == 3 * i);
	}
	/* a row added after them (IPVS's) has no values of its own yet */
	assert_non_null(add = snapshot_add_row(&s, SCOPE_LISTENER));
	assert_int_equal(add->have, 0);
	for (c = 0; c < COL__NUMERIC; c++)
		assert_true(snap_value(ls, ls->n - 1, c) == 0);
	assert_true(snap_value(ls, 0, COL_SCUR) == N);
	snapshot_free(&s);
	free(csv);
}

static void
test_names_that_are_not_octavia(void **state)
{
	struct snapshot	 s;

	(void)state;
	assert_int_equal(parse_text(&s,
	    "# pxname,svname,scur,status,type,\n"
	    "stats,FRONTEND,0,OPEN,0,\n"
	    "AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA,FRONTEND,0,OPEN,0,\n"
	    P ",BACKEND,0,UP,1,\n"			/* no listener part */
	    P ":" L ",web1,0,UP,2,\n"			/* hand-named server */
	    L ",sock-1,0,OPEN,3,\n"			/* socket-stats row */
	    L ",FRONTEND,0,STOP,0,\n"
	    P ":" L ",BACKEND,0,UP,1,\n"
	    /* as long as the pool before it, one letter not hex */
	    P ":aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaz,BACKEND,0,UP,1,\n"
	    P ":aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaz," M ",0,UP,2,\n"
	    "\n"), 0);
	assert_int_equal(s.hidden, 7);
	assert_int_equal(s.rows[SCOPE_POOL].n, 1);
	assert_int_equal(s.rows[SCOPE_MEMBER].n, 0);
	assert_int_equal(s.rows[SCOPE_LISTENER].n, 1);
	assert_int_equal(s.rows[SCOPE_LISTENER].row[0].state, STATE_DOWN);
	snapshot_free(&s);
}

static void
test_member_states(void **state)
{
	static const struct { const char *csv; int st; } cases[] = {
		{ "UP", STATE_UP }, { "UP 1/3", STATE_UP },
		{ "no check", STATE_UP }, { "DOWN", STATE_DOWN },
		{ "DOWN 1/2", STATE_DOWN }, { "DOWN (agent)", STATE_DOWN },
		{ "MAINT", STATE_MAINT }, { "MAINT (via a/b)", STATE_MAINT },
		{ "MAINT (resolution)", STATE_MAINT }, { "DRAIN", STATE_DRAIN },
		{ "DRAIN (agent)", STATE_DRAIN }, { "NOLB", STATE_NOLB },
		{ "NOLB 1/2", STATE_NOLB }, { "WHATEVER", STATE_UNKNOWN },
	};
	struct snapshot	 s;
	char		 text[512];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "# pxname,svname,status,\n"
		    P ":" L "," M ",%s,\n\n", cases[i].csv);
		assert_int_equal(parse_text(&s, text), 0);
		assert_int_equal(s.rows[SCOPE_MEMBER].n, 1);
		if (s.rows[SCOPE_MEMBER].row[0].state != cases[i].st)
			fail_msg("%s", cases[i].csv);
		snapshot_free(&s);
	}
}

static void
test_refusals(void **state)
{
	struct snapshot	 s;
	char		 big[4096];
	int		 i;

	(void)state;
	assert_int_equal(parse_text(&s, "pxname,svname,\n\n"), -1);
	assert_string_equal(s.error, "show stat: no CSV header");
	assert_int_equal(parse_text(&s, "# qcur,scur,\n\n"), -1);
	assert_int_equal(parse_text(&s, "# pxname,svname,\n" L
	    ",FRONTEND,\n"), -1);		/* no empty line: truncated */
	assert_int_equal(parse_text(&s, "Unknown command.\n\n"), -1);

	/* rows are capped by the memory they take, not their count */
	strcpy(big, "# pxname,svname,\n");
	for (i = 0; i < 50; i++)
		strcat(big, L ",FRONTEND,\n");
	strcat(big, "\n");
	{
		struct snapshot_limits small = { 65536,
		    50 * SNAP_ROW_BYTES };
		char *buf = strdup(big);

		snapshot_init(&s, &small);
		assert_int_equal(snapshot_parse_stat(&s, buf, strlen(buf)), 0);
		assert_int_equal(s.rows[SCOPE_LISTENER].n, 50);
		snapshot_free(&s);
		strcpy(buf, big);
		small.max_mem--;
		snapshot_init(&s, &small);
		assert_int_equal(snapshot_parse_stat(&s, buf, strlen(buf)),
		    -1);
		assert_string_equal(s.error,
		    "show stat: rows over the memory cap");
		snapshot_free(&s);
		free(buf);
	}
}

/* HAProxy 2.2 has PoolAlloc_MB and PoolUsed_MB; later ones _bytes. */
/*
 * What a snapshot says it takes is what its rows were given: at least a
 * row's size for each one kept, within the limit it was parsed under,
 * nothing once freed.
 */
static void
test_bytes_of_rows(void **state)
{
	struct snapshot	 s;
	size_t		 len, rows = 0;
	char		*buf = fixture_load("info-stat.txt", &len);
	int		 sc;

	(void)state;
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_bytes(&s), 0);
	assert_int_equal(snapshot_parse(&s, buf, len), 0);
	for (sc = 0; sc < SCOPE__COUNT; sc++)
		rows += s.rows[sc].n;
	assert_true(rows > 0);
	assert_true(snapshot_bytes(&s) >= rows * SNAP_ROW_BYTES);
	assert_true(snapshot_bytes(&s) >= s.total * SNAP_ROW_BYTES);
	assert_true(snapshot_bytes(&s) <= 2 * lim.max_mem);
	snapshot_free(&s);
	assert_int_equal(snapshot_bytes(&s), 0);
	free(buf);
}

static void
test_pool_mib(void **state)
{
	struct snapshot	 s;
	char		 mb[] = "Name: HAProxy\nPoolAlloc_MB: 3\nPoolUsed_MB: 2\n";
	char		 both[] = "Name: HAProxy\nPoolAlloc_MB: 3\n"
			    "PoolAlloc_bytes: 3200000\n"
			    "PoolUsed_bytes: 2100000\nPoolUsed_MB: 2\n";
	char		 huge[] = "Name: HAProxy\n"
			    "PoolAlloc_MB: 18446744073709551615\n";

	(void)state;
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse_info(&s, mb, strlen(mb)), 0);
	assert_true(s.info[INFO_POOLALLOC_BYTES] == 3u << 20);
	assert_true(s.info[INFO_POOLUSED_BYTES] == 2u << 20);
	snapshot_free(&s);
	/* bytes are exact: they win, whichever line comes first */
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse_info(&s, both, strlen(both)), 0);
	assert_true(s.info[INFO_POOLALLOC_BYTES] == 3200000);
	assert_true(s.info[INFO_POOLUSED_BYTES] == 2100000);
	snapshot_free(&s);
	/* MiB that would wrap as bytes are refused */
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse_info(&s, huge, strlen(huge)), 0);
	assert_false((s.info_have >> INFO_POOLALLOC_BYTES) & 1);
	snapshot_free(&s);
}

static void
test_info_fields(void **state)
{
	struct snapshot	 s;
	char		 text[] = "Name: HAProxy\nVersion: 2.6.12\n"
			    "Unstoppable Jobs: 3\nMaxconn: 4000\n"
			    "CumReq: 99999999999999999999999\nPoolFailed: -1\n"
			    "no colon line\n\n";

	(void)state;
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse_info(&s, text, strlen(text)), 0);
	assert_string_equal(s.haproxy_version, "2.6.12");
	assert_true(s.info[INFO_MAXCONN] == 4000);
	assert_false((s.info_have >> INFO_CUMREQ) & 1);	/* overflow */
	assert_false((s.info_have >> INFO_POOLFAILED) & 1);
	{
		char empty[] = "\n";

		snapshot_init(&s, &lim);
		assert_int_equal(snapshot_parse_info(&s, empty, 1), -1);
	}
}

/*
 * HAProxy's refusals are not answers, though their lines have colons: an
 * "Unknown command" help text (a command garbled on the way) or a
 * "Permission denied". The error quotes HAProxy, printable and bounded.
 */
static void
test_refusal_is_not_an_answer(void **state)
{
	struct snapshot	 s;
	char		 unknown[] = "Unknown command, but maybe one of the "
			    "following ones is a better match:\n"
			    "  show fd [num]     : dump list of file descriptors\n"
			    "  show info [desc]  : report information\n\n"
			    "# pxname,svname,\n\n";
	char		 denied[] = "Permission denied\x01\n\n";

	(void)state;
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse(&s, unknown, sizeof(unknown) - 1), -1);
	assert_string_equal(s.error, "show info: HAProxy answered \"Unknown "
	    "command, but maybe one of the following ones is a better \"");
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse(&s, denied, sizeof(denied) - 1), -1);
	assert_string_equal(s.error,
	    "show info: HAProxy answered \"Permission denied?\"");
}

/*
 * Names with NUL bytes in them (a hostile or broken peer) match no field
 * and no column, and nothing is read past the names they are compared
 * with (ASan: the lookup used to read name[len] of a shorter literal).
 */
static void
test_names_with_nul_bytes(void **state)
{
	struct snapshot	 s;
	char		 info[] = "Name: HAProxy\nMaxconn\0\0\0\0\0\0\0\0\0\0: 7\n"
			    "CurrConns: 3\n\n";
	char		 stat[] = "# pxname\0\0\0\0\0\0\0\0,svname,scur\0\0,"
			    "smax,\n" L ",FRONTEND,1,2,\n\n";
	char		 pool[256], *p;

	(void)state;
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse_info(&s, info, sizeof(info) - 1), 0);
	assert_false((s.info_have >> INFO_MAXCONN) & 1);
	assert_true((s.info_have >> INFO_CURRCONNS) & 1);
	snapshot_free(&s);

	/* without a pxname column the header is no header */
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse_stat(&s, stat, sizeof(stat) - 1), -1);
	snapshot_free(&s);

	/* a pool's name of as many NUL bytes as a real one has characters */
	snapshot_init(&s, &lim);
	p = pool;
	p += sprintf(p, "# pxname,svname,scur,type,\n");
	memset(p, '\0', 2 * 36 + 1);
	p += 2 * 36 + 1;
	p += sprintf(p, "," M ",1,2,\n\n");
	assert_int_equal(snapshot_parse_stat(&s, pool, (size_t)(p - pool)), 0);
	assert_int_equal(s.rows[SCOPE_MEMBER].n, 0);
	assert_int_equal(s.hidden, 1);
	snapshot_free(&s);
}

/* Fed in pieces of every size, the answer parses as it does whole. */
static void
test_fed_in_pieces(void **state)
{
	struct snapshot	 whole, s;
	size_t		 len, piece, have, used, off;
	char		*orig = fixture_load("info-stat.txt", &len);
	char		*copy = malloc(len + 1), *buf = malloc(len + 1);

	(void)state;
	memcpy(copy, orig, len + 1);
	snapshot_init(&whole, &lim);
	assert_int_equal(snapshot_parse(&whole, copy, len), 0);
	for (piece = 1; piece < len; piece = piece * 3 + 1) {
		snapshot_init(&s, &lim);
		have = 0;
		for (off = 0; off < len; off += piece) {
			size_t n = len - off < piece ? len - off : piece;

			memcpy(buf + have, orig + off, n);
			have += n;
			used = snapshot_feed(&s, buf, have);
			assert_true(used <= have);
			memmove(buf, buf + used, have - used);
			have -= used;
		}
		assert_int_equal(have, 0);
		assert_int_equal(snapshot_finish(&s), 0);
		assert_rows_equal(&whole, &s, ~(uint64_t)0);
		assert_true(s.info_have == whole.info_have);
		assert_int_equal(s.hidden, whole.hidden);
		snapshot_free(&s);
	}
	snapshot_free(&whole);
	free(buf);
	free(copy);
	free(orig);
}

/* A record over the limit is skipped and counted; the rest stands. */
static void
test_overlong_record_fed(void **state)
{
	struct snapshot_limits	 small = { 256, 64u << 20 };
	struct snapshot		 s;
	char			 text[2048], *p = text;
	size_t			 used;
	int			 i;

	(void)state;
	p += sprintf(p, "Name: HAProxy\n\n# pxname,svname,scur,\n"
	    L ",FRONTEND,1,\n" L ",FRONTEND,\"");
	for (i = 0; i < 600; i++)
		*p++ = 'x';
	p += sprintf(p, ",2,\n" L ",FRONTEND,3,\n\n");
	snapshot_init(&s, &small);
	used = snapshot_feed(&s, text, (size_t)(p - text));
	assert_int_equal(used, (size_t)(p - text));
	assert_int_equal(snapshot_finish(&s), 0);
	assert_int_equal(s.malformed, 1);
	assert_int_equal(s.rows[SCOPE_LISTENER].n, 2);
	snapshot_free(&s);
}

/* The extra columns of module m this release's header has. */
static uint32_t
release_cols(const struct snapshot *s, unsigned m)
{
	uint32_t	 bits = 0;
	int		 c;

	for (c = 0; c < EXT__COUNT; c++)
		if (ext_col_module(c) & m)
			bits |= (uint32_t)1 << c;
	return bits & s->ext_present;
}

/* The row has exactly the extra counters of modules mods that the
 * release prints. */
static void
assert_modules(const struct snapshot *s, const struct snap_row *r,
    unsigned mods)
{
	const struct snap_ext	*e = snap_row_ext(s, r);
	uint32_t		 want = release_cols(s, mods);

	if (want == 0) {
		assert_null(e);
		return;
	}
	assert_non_null(e);
	assert_int_equal(e->have, want);
}

/* text with suffix added at the end of the line that starts at at. */
static char *
line_append(const char *text, const char *at, const char *suffix)
{
	const char	*eol = strchr(at + 1, '\n');
	size_t		 head = (size_t)(eol - text), n = strlen(suffix);
	char		*out = malloc(strlen(text) + n + 1);

	memcpy(out, text, head);
	memcpy(out + head, suffix, n);
	strcpy(out + head + n, eol);
	return out;
}

/*
 * HAProxy's extra counters (the columns after "-", 2.4 on), kept only for
 * the rows whose modules they are: without HAProxy's configuration,
 * HTTP/1 and HTTP/2 for HTTP listeners and HTTP/1 for HTTP pools; with
 * the capture's own configuration, its first bind made TLS and its first
 * server reached over TLS with ALPN h2, TLS on those three rows and
 * HTTP/2 on that pool. Run over every release's capture: 2.0 and 2.2
 * print none, 2.4 no HTTP/1.
 */
static void
test_extra_counters_by_module(void **state)
{
	struct snapshot		 s;
	struct hcfg		 cfg;
	const struct snap_row	*r;
	size_t			 len, i, tls_rows = 0;
	char			*buf, *text, *t1, *t2;
	char			 fe[37] = "", be[74] = "", sv[37] = "";
	char			 want[SNAP_LABELS_MAX];
	int			 pass, sc;

	(void)state;
	text = fixture_load("haproxy.cfg", &len);
	assert_int_equal(sscanf(strstr(text, "\nfrontend ") + 10, "%36s",
	    fe), 1);
	assert_int_equal(sscanf(strstr(text, "\nbackend ") + 9, "%73s", be),
	    1);
	assert_int_equal(sscanf(strstr(text, "\n    server ") + 12, "%36s",
	    sv), 1);
	t1 = line_append(text, strstr(text, "\n    bind "), " ssl crt /x.pem");
	t2 = line_append(t1, strstr(t1, "\n    server "), " ssl alpn h2");
	free(text);
	free(t1);
	assert_int_equal(hcfg_parse(&cfg, t2, strlen(t2)), 0);

	for (pass = 0; pass < 2; pass++) {
		buf = fixture_load("info-stat.txt", &len);
		snapshot_init(&s, &lim);
		s.cfg = pass ? &cfg : NULL;
		assert_int_equal(snapshot_parse(&s, buf, len), 0);
		for (sc = SCOPE_LISTENER; sc <= SCOPE_MEMBER; sc++)
			for (i = 0; i < s.rows[sc].n; i++) {
				unsigned	 m = 0;

				r = &s.rows[sc].row[i];
				if (sc == SCOPE_LISTENER) {
					snprintf(want, sizeof(want),
					    "listener=\"%s\"", fe);
					m = r->http ? MOD_H1 | MOD_H2 : 0;
				} else if (sc == SCOPE_POOL) {
					snprintf(want, sizeof(want),
					    "pool=\"%.36s\",listener=\"%s\"",
					    be, be + 37);
					m = r->http ? MOD_H1 : 0;
					if (pass && r->http &&
					    strcmp(r->labels, want) == 0)
						m |= MOD_H2;
				} else
					snprintf(want, sizeof(want),
					    "member=\"%s\",pool=\"%.36s\","
					    "listener=\"%s\"", sv, be,
					    be + 37);
				if (pass && strcmp(r->labels, want) == 0) {
					m |= MOD_TLS;
					tls_rows++;
				}
				assert_modules(&s, r, m);
			}
		snapshot_free(&s);
		free(buf);
	}
	/* the frontend, the backend and its member */
	assert_int_equal(tls_rows, 3);
	hcfg_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_answer),
		cmocka_unit_test(test_empty_means_not_applicable),
		cmocka_unit_test(test_every_truncation_fails),
		cmocka_unit_test(test_columns_in_another_order),
		cmocka_unit_test(test_haproxy_18_columns),
		cmocka_unit_test(test_newer_columns_ignored),
		cmocka_unit_test(test_malformed_rows_skipped_and_counted),
		cmocka_unit_test(test_many_rows_keep_their_values),
		cmocka_unit_test(test_names_that_are_not_octavia),
		cmocka_unit_test(test_member_states),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_info_fields),
		cmocka_unit_test(test_bytes_of_rows),
		cmocka_unit_test(test_pool_mib),
		cmocka_unit_test(test_refusal_is_not_an_answer),
		cmocka_unit_test(test_names_with_nul_bytes),
		cmocka_unit_test(test_fed_in_pieces),
		cmocka_unit_test(test_overlong_record_fed),
		cmocka_unit_test(test_extra_counters_by_module),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
