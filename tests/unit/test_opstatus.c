#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "opstatus.h"
#include "snapshot.h"

static const struct snapshot_limits lim = { 65536, 64u << 20 };

/* Every word HAProxy prints, as Octavia's health manager maps it. */
static void
test_row_words(void **state)
{
	static const struct {
		enum scope	 scope;
		const char	*word;
		int		 weight_zero;
		enum op_status	 op;
	} t[] = {
		{ SCOPE_MEMBER, "UP", 0, OP_ONLINE },
		{ SCOPE_MEMBER, "UP", 1, OP_DRAINING },	/* haproxy_query.py */
		{ SCOPE_MEMBER, "UP 1/3", 0, OP_ONLINE },
		{ SCOPE_MEMBER, "UP 1/3", 1, OP_ONLINE },	/* only "UP" */
		{ SCOPE_MEMBER, "DOWN", 0, OP_ERROR },
		{ SCOPE_MEMBER, "DOWN 1/2", 0, OP_ERROR },
		{ SCOPE_MEMBER, "DOWN (agent)", 0, OP_ERROR },
		{ SCOPE_MEMBER, "DRAIN", 0, OP_DRAINING },
		{ SCOPE_MEMBER, "DRAIN (agent)", 0, OP_DRAINING },
		{ SCOPE_MEMBER, "MAINT", 0, OP_OFFLINE },
		{ SCOPE_MEMBER, "MAINT (via p/s)", 0, OP_OFFLINE },
		{ SCOPE_MEMBER, "MAINT (resolution)", 0, OP_OFFLINE },
		{ SCOPE_MEMBER, "no check", 0, OP_NO_MONITOR },
		{ SCOPE_MEMBER, "no check", 1, OP_NO_MONITOR },
		{ SCOPE_MEMBER, "NOLB", 0, OP_UNKNOWN },
		{ SCOPE_MEMBER, "NOLB 1/2", 0, OP_UNKNOWN },
		{ SCOPE_MEMBER, "UPPER", 0, OP_UNKNOWN },
		{ SCOPE_MEMBER, "", 0, OP_UNKNOWN },
		{ SCOPE_POOL, "UP", 0, OP_ONLINE },
		{ SCOPE_POOL, "UP", 1, OP_ONLINE },
		{ SCOPE_POOL, "DOWN", 0, OP_ERROR },
		{ SCOPE_POOL, "MAINT", 0, OP_UNKNOWN },
		{ SCOPE_LISTENER, "OPEN", 0, OP_ONLINE },
		{ SCOPE_LISTENER, "FULL", 0, OP_DEGRADED },
		{ SCOPE_LISTENER, "STOP", 0, OP_OFFLINE },
		{ SCOPE_LISTENER, "PAUSED", 0, OP_UNKNOWN },
		{ SCOPE_LOADBALANCER, "UP", 0, OP_UNKNOWN },
	};
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (op_status_of_row(t[i].scope, t[i].word, t[i].weight_zero) !=
		    t[i].op)
			fail_msg("scope %d \"%s\" weight_zero %d", t[i].scope,
			    t[i].word, t[i].weight_zero);
}

/* The statuses each scope serves, and their names. */
static void
test_scope_states(void **state)
{
	const struct op_states	*m = &op_scope_states[SCOPE_MEMBER];
	size_t			 i;

	(void)state;
	assert_int_equal(m->n, 5);
	assert_int_equal(op_scope_states[SCOPE_POOL].n, 3);
	assert_int_equal(op_scope_states[SCOPE_LISTENER].n, 3);
	assert_int_equal(op_scope_states[SCOPE_LOADBALANCER].n, 3);
	assert_int_equal(op_scope_states[SCOPE_EXPORTER].n, 0);
	for (i = 0; i < OP__COUNT; i++)
		assert_non_null(op_status_names[i]);
	assert_string_equal(op_status_names[OP_NO_MONITOR], "NO_MONITOR");
}

/* roles.txt: "<kind> <role> <id>" lines the capture wrote. */
struct role {
	char	 kind[16], name[16], id[80];
};

static size_t
roles_load(struct role *r, size_t max)
{
	size_t	 len, n = 0;
	char	*text = fixture_load("states/roles.txt", &len);
	char	*line, *save = NULL;

	for (line = strtok_r(text, "\n", &save); line != NULL && n < max;
	    line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, "%15s %15s %79s", r[n].kind, r[n].name,
		    r[n].id) == 3)
			n++;
	free(text);
	return n;
}

static const char *
role_of(const struct role *r, size_t n, const char *kind, const char *id)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(r[i].kind, kind) == 0 && strcmp(r[i].id, id) == 0)
			return r[i].name;
	return NULL;
}

static const char *
id_of(const struct role *r, size_t n, const char *kind, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(r[i].kind, kind) == 0 &&
		    strcmp(r[i].name, name) == 0)
			return r[i].id;
	fail_msg("no %s %s in roles.txt", kind, name);
	return NULL;
}

/* The uuid (or pool:listener) inside a row's first label. */
static void
row_id(const struct snap_row *row, enum scope scope, char *id, size_t max)
{
	const char	*p = strchr(row->labels, '"') + 1;

	if (scope == SCOPE_POOL)	/* pool="P",listener="L" -> P:L */
		snprintf(id, max, "%.36s:%.36s", p,
		    strstr(row->labels, "listener=\"") + 10);
	else
		snprintf(id, max, "%.36s", p);
}

/*
 * A paused frontend is STOP in HAProxy 2.2 (Octavia: OFFLINE), OPEN in 2.4
 * (ONLINE: its "show stat" tells a pause from nothing) and PAUSED from 2.6
 * (unmapped); a stopped one is STOP from 2.6, and 2.2 and 2.4 drop its row.
 * Set from the capture at hand.
 */
static const char	*paused_word;

static const char *
expected(const char *kind, const char *role)
{
	static const struct {
		const char	*kind, *role;
		enum op_status	 op;
	} t[] = {
		{ "member", "up", OP_ONLINE },
		{ "member", "down", OP_ERROR },
		{ "member", "maint", OP_OFFLINE },
		{ "member", "weight0", OP_DRAINING },
		{ "member", "drain", OP_DRAINING },
		{ "member", "unchecked", OP_NO_MONITOR },
		{ "member", "falling", OP_ONLINE },	/* "UP 2/3" */
		{ "member", "rising", OP_ERROR },	/* "DOWN 1/3" */
		{ "member", "disabled1", OP_OFFLINE },
		{ "member", "disabled2", OP_OFFLINE },
		{ "member", "full_up", OP_NO_MONITOR },
		{ "member", "spare_up", OP_NO_MONITOR },
		{ "pool", "http", OP_DEGRADED },	/* UP, members in ERROR */
		{ "pool", "tcp", OP_ERROR },		/* every member MAINT */
		{ "pool", "full", OP_ONLINE },
		{ "pool", "spare", OP_ONLINE },
		{ "listener", "http", OP_ONLINE },
		{ "listener", "tcp", OP_ONLINE },
		{ "listener", "full", OP__COUNT },	/* PAUSED: unmapped */
		{ "listener", "spare", OP_OFFLINE },	/* STOP */
	};
	size_t	 i;

	if (strcmp(kind, "listener") == 0 && strcmp(role, "full") == 0 &&
	    strcmp(paused_word, "PAUSED") != 0)
		return op_status_names[strcmp(paused_word, "STOP") == 0 ?
		    OP_OFFLINE : OP_ONLINE];
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].kind, kind) == 0 &&
		    strcmp(t[i].role, role) == 0)
			return t[i].op == OP__COUNT ? "unknown" :
			    op_status_names[t[i].op];
	fail_msg("no expectation for %s %s", kind, role);
	return NULL;
}

static const char *
op_name(uint8_t op)
{
	return op < OP__COUNT ? op_status_names[op] : "unknown";
}

/* The status word of a listener's FRONTEND row, or NULL without a row. */
static const char *
listener_word(const char *stat, const char *id)
{
	static const char *const words[] = { "OPEN", "PAUSED", "STOP" };
	char		 key[96];
	const char	*row, *eol, *w;
	size_t		 i;

	snprintf(key, sizeof(key), "\n%s,FRONTEND,", id);
	if ((row = strstr(stat, key)) == NULL)
		return NULL;
	eol = strchr(row + 1, '\n');
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		snprintf(key, sizeof(key), ",%s,", words[i]);
		if ((w = strstr(row, key)) != NULL && (eol == NULL || w < eol))
			return words[i];
	}
	fail_msg("listener %s: no status word", id);
	return NULL;
}

/*
 * A HAProxy driven into every state (tests/fixtures/capture.sh "states"):
 * each member, pool and listener has the status Octavia would give it.
 */
static void
test_captured_states(void **state)
{
	static const char *const kinds[SCOPE__COUNT] = {
		[SCOPE_LISTENER] = "listener", [SCOPE_POOL] = "pool",
		[SCOPE_MEMBER] = "member",
	};
	struct role	 roles[64];
	size_t		 nroles = roles_load(roles, 64), len, i, seen = 0;
	char		*info = fixture_load("states/show-info.txt", &len);
	char		*stat, id[80];
	struct snapshot	 s;
	const char	*role, *stopped_word;
	int		 sc;

	(void)state;
	assert_true(nroles >= 20);
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse_info(&s, info, len), 0);
	stat = fixture_load("states/show-stat.csv", &len);
	/* the capture holds the transitional words it drove HAProxy to */
	assert_non_null(strstr(stat, ",UP 2/3,") != NULL ?
	    strstr(stat, ",UP 2/3,") : strstr(stat, ",UP 1/3,"));
	assert_non_null(strstr(stat, ",DOWN 1/3,") != NULL ?
	    strstr(stat, ",DOWN 1/3,") : strstr(stat, ",DOWN 2/3,"));
	paused_word = listener_word(stat, id_of(roles, nroles, "listener",
	    "full"));
	assert_non_null(paused_word);
	stopped_word = listener_word(stat, id_of(roles, nroles, "listener",
	    "spare"));
	assert_true(stopped_word == NULL || strcmp(stopped_word, "STOP") == 0);
	assert_int_equal(snapshot_parse_stat(&s, stat, len), 0);
	for (sc = SCOPE_LISTENER; sc <= SCOPE_MEMBER; sc++)
		for (i = 0; i < s.rows[sc].n; i++) {
			row_id(&s.rows[sc].row[i], sc, id, sizeof(id));
			if ((role = role_of(roles, nroles, kinds[sc], id)) ==
			    NULL)
				fail_msg("%s %s not in roles.txt", kinds[sc], id);
			if (strcmp(op_name(s.rows[sc].row[i].op),
			    expected(kinds[sc], role)) != 0)
				fail_msg("%s %s: %s, not %s", kinds[sc], role,
				    op_name(s.rows[sc].row[i].op),
				    expected(kinds[sc], role));
			seen++;
		}
	/* 2.2, 2.4: the stopped listener "spare" has no row to see */
	assert_int_equal(seen, nroles - (stopped_word == NULL ? 1 : 0));
	/* a pool in ERROR outranks one DEGRADED */
	assert_string_equal(op_name(s.op), "ERROR");
	snapshot_free(&s);
	free(info);
	free(stat);
}

/* Where a frontend line's status field is, from its comma. */
static char *
frontend_status(char *line)
{
	static const char *const words[] = { ",OPEN,", ",PAUSED,", ",STOP," };
	char		*p;
	size_t		 i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if ((p = strstr(line, words[i])) != NULL)
			return p;
	return NULL;
}

/*
 * The CSV header and the rows of the listeners named (their frontends and
 * backends), as HAProxy printed them, with "FULL" for the status of the
 * frontend of the listener named full (HAProxy 2.x never prints it: at
 * maxconn a frontend stays OPEN) and the member rows after their backend
 * when reorder is set. Ends with the empty line.
 */
static char *
subset(const struct role *r, size_t nr, const char *const *names,
    const char *full, int reorder)
{
	size_t	 len, i, olen = 0;
	char	*text = fixture_load("states/show-stat.csv", &len);
	char	*out = calloc(1, len + 64), *line, *save = NULL, *later;
	char	*tail = calloc(1, len + 1);
	size_t	 tlen = 0;
	const char *lid;

	assert_non_null(out);
	assert_non_null(tail);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		int	 keep = line[0] == '#', member = 0;

		for (i = 0; !keep && names[i] != NULL; i++) {
			lid = id_of(r, nr, "listener", names[i]);
			/* frontend "L,", backend "P:L," */
			if (strncmp(line, lid, 36) == 0 && line[36] == ',')
				keep = 1;
			else if (line[36] == ':' &&
			    strncmp(line + 37, lid, 36) == 0) {
				keep = 1;
				member = strstr(line, ",BACKEND,") == NULL;
			}
		}
		if (!keep)
			continue;
		if (full != NULL && strncmp(line,
		    id_of(r, nr, "listener", full), 36) == 0 &&
		    (later = frontend_status(line)) != NULL) {
			olen += (size_t)sprintf(out + olen, "%.*s,FULL,%s\n",
			    (int)(later - line), line,
			    strchr(later + 1, ',') + 1);
			continue;
		}
		if (reorder && member) {
			tlen += (size_t)sprintf(tail + tlen, "%s\n", line);
			continue;
		}
		olen += (size_t)sprintf(out + olen, "%s\n", line);
	}
	memcpy(out + olen, tail, tlen);
	out[olen + tlen] = '\n';
	free(tail);
	free(text);
	return out;
}

static const char *
lb_status(const struct role *r, size_t nr, const char *const *names,
    const char *full, int reorder)
{
	struct snapshot	 s;
	char		*text = subset(r, nr, names, full, reorder);
	const char	*name;

	snapshot_init(&s, &lim);
	if (snapshot_parse_stat(&s, text, strlen(text)) == -1)
		fail_msg("%s", s.error);
	name = op_name(s.op);
	snapshot_free(&s);
	free(text);
	return name;
}

/* update_db.py's precedence, over parts of the captured load balancer. */
static void
test_loadbalancer(void **state)
{
	static const char *const http[] = { "http", NULL };
	static const char *const tcp[] = { "tcp", NULL };
	static const char *const both[] = { "http", "tcp", NULL };
	static const char *const full[] = { "full", NULL };
	static const char *const calm[] = { "full", "spare", NULL };
	struct role	 r[64];
	size_t		 n = roles_load(r, 64), len;
	char		*stat = fixture_load("states/show-stat.csv", &len);
	int		 spare_row = listener_word(stat, id_of(r, n, "listener",
			    "spare")) != NULL;

	(void)state;
	free(stat);
	assert_string_equal(lb_status(r, n, http, NULL, 0), "DEGRADED");
	assert_string_equal(lb_status(r, n, http, NULL, 1), "DEGRADED");
	assert_string_equal(lb_status(r, n, tcp, NULL, 0), "ERROR");
	assert_string_equal(lb_status(r, n, both, NULL, 0), "ERROR");
	assert_string_equal(lb_status(r, n, both, "http", 1), "ERROR");
	/* a paused and a stopped listener do not lower it */
	assert_string_equal(lb_status(r, n, calm, NULL, 0), "ONLINE");
	assert_string_equal(lb_status(r, n, full, NULL, 0), "ONLINE");
	/* FULL, as HAProxy 1.x printed it at maxconn */
	assert_string_equal(lb_status(r, n, full, "full", 0), "DEGRADED");
	assert_string_equal(lb_status(r, n, calm, "full", 0), "DEGRADED");
	/* (a stopped frontend has a row to make FULL from 2.6 only) */
	if (spare_row)
		assert_string_equal(lb_status(r, n, calm, "spare", 0),
		    "DEGRADED");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_words),
		cmocka_unit_test(test_scope_states),
		cmocka_unit_test(test_captured_states),
		cmocka_unit_test(test_loadbalancer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
