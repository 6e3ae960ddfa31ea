#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <math.h>

#include "expo.h"
#include "opstatus.h"
#include "fixture.h"
#include "metrics.h"
#include "snapshot.h"

#define L "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define P "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define M "cccccccc-cccc-4ccc-8ccc-cccccccccccc"

static const struct snapshot_limits lim = { 65536, 64u << 20 };

static struct expo_agent
agent_figures(void)
{
	struct expo_agent a;

	memset(&a, 0, sizeof(a));
	a.version = "1.2.3";
	a.loadbalancer_id = "lb\"1\\\n";
	a.cpu = NAN;
	a.memory = 12.5;
	return a;
}

static char *
render_as(const struct snapshot *s, const struct expo_agent *a,
    unsigned scopes, enum expo_format format)
{
	struct wbuf	 b;

	wbuf_init(&b, 1 << 26);
	expo_render(&b, s, a, scopes, format);
	wbuf_putc(&b, '\0');
	assert_false(wbuf_failed(&b));
	return b.data;
}

static char *
render(const struct snapshot *s, const struct expo_agent *a, unsigned scopes)
{
	return render_as(s, a, scopes, EXPO_TEXT);
}

static void
parse_text(struct snapshot *s, const char *info, const char *stat)
{
	char	*i = strdup(info), *t = strdup(stat);

	snapshot_init(s, &lim);
	assert_int_equal(snapshot_parse_info(s, i, strlen(i)), 0);
	assert_int_equal(snapshot_parse_stat(s, t, strlen(t)), 0);
	free(i);
	free(t);
}

/* A member gauge family whose one sample is NaN. */
#define NAN_GAUGE(name, help)						\
	"# HELP octavia_member_" name " " help "\n"			\
	"# TYPE octavia_member_" name " gauge\n"				\
	"octavia_member_" name "{member=\"" M "\",pool=\"" P		\
	"\",listener=\"" L "\"} NaN\n"

/* The exact text for a small snapshot: conversions, NaN, labels. */
static void
test_exact_output(void **state)
{
	struct snapshot		 s;
	struct expo_agent	 a = agent_figures();
	char			*out;

	(void)state;
	parse_text(&s, "Name: HAProxy\nVersion: 2.6.12\nMaxconn: 4000\n\n",
	    "# pxname,svname,scur,slim,status,rtime_max,hrsp_2xx,req_tot,"
	    "mode,lastsess,type,\n"
	    L ",FRONTEND,3,,OPEN,,7,9,tcp,,0,\n"
	    P ":" L "," M ",1,,DRAIN,51,4,,http,-1,2,\n"
	    "\n");
	out = render(&s, &a, 1u << SCOPE_MEMBER);
	assert_string_equal(out,
	    "# HELP octavia_member_current_sessions Sessions open now.\n"
	    "# TYPE octavia_member_current_sessions gauge\n"
	    "octavia_member_current_sessions{member=\"" M "\",pool=\"" P
	    "\",listener=\"" L "\"} 1\n"
	    "# HELP octavia_member_limit_sessions Configured session limit.\n"
	    "# TYPE octavia_member_limit_sessions gauge\n"
	    "octavia_member_limit_sessions{member=\"" M "\",pool=\"" P
	    "\",listener=\"" L "\"} NaN\n"
	    "# HELP octavia_member_status Current state, one series per state"
	    " set to 1 on the current one.\n"
	    "# TYPE octavia_member_status gauge\n"
	    "octavia_member_status{member=\"" M "\",pool=\"" P "\",listener=\""
	    L "\",state=\"DOWN\"} 0\n"
	    "octavia_member_status{member=\"" M "\",pool=\"" P "\",listener=\""
	    L "\",state=\"UP\"} 0\n"
	    "octavia_member_status{member=\"" M "\",pool=\"" P "\",listener=\""
	    L "\",state=\"MAINT\"} 0\n"
	    "octavia_member_status{member=\"" M "\",pool=\"" P "\",listener=\""
	    L "\",state=\"DRAIN\"} 1\n"
	    "octavia_member_status{member=\"" M "\",pool=\"" P "\",listener=\""
	    L "\",state=\"NOLB\"} 0\n"
	    "# HELP octavia_member_http_responses_total HTTP responses by "
	    "status class.\n"
	    "# TYPE octavia_member_http_responses_total counter\n"
	    "octavia_member_http_responses_total{member=\"" M "\",pool=\"" P
	    "\",listener=\"" L "\",code=\"2xx\"} 4\n"
	    "# HELP octavia_member_last_session_seconds Seconds since the last"
	    " session, -1 if none yet.\n"
	    "# TYPE octavia_member_last_session_seconds gauge\n"
	    "octavia_member_last_session_seconds{member=\"" M "\",pool=\"" P
	    "\",listener=\"" L "\"} -1\n"
	    /* columns after 2.0 that this header lacks: NaN, not absent */
	    NAN_GAUGE("idle_connections_current",
		"Idle connections available for reuse.")
	    NAN_GAUGE("idle_connections_limit",
		"Limit of idle connections kept for reuse.")
	    NAN_GAUGE("max_queue_time_seconds",
		"Longest queue time seen, in seconds.")
	    NAN_GAUGE("max_connect_time_seconds",
		"Longest connect time seen, in seconds.")
	    "# HELP octavia_member_max_response_time_seconds Longest response "
	    "time seen, in seconds.\n"
	    "# TYPE octavia_member_max_response_time_seconds gauge\n"
	    "octavia_member_max_response_time_seconds{member=\"" M "\",pool=\""
	    P "\",listener=\"" L "\"} 0.051000\n"
	    NAN_GAUGE("max_total_time_seconds",
		"Longest total session time seen, in seconds.")
	    "# HELP octavia_member_operating_status Operating status as Octavia "
	    "computes it (ONLINE, DRAINING, ERROR, NO_MONITOR, OFFLINE), one "
	    "series per status set to 1 on the current one.\n"
	    "# TYPE octavia_member_operating_status gauge\n"
	    "octavia_member_operating_status{member=\"" M "\",pool=\"" P
	    "\",listener=\"" L "\",status=\"ONLINE\"} 0\n"
	    "octavia_member_operating_status{member=\"" M "\",pool=\"" P
	    "\",listener=\"" L "\",status=\"DRAINING\"} 1\n"
	    "octavia_member_operating_status{member=\"" M "\",pool=\"" P
	    "\",listener=\"" L "\",status=\"ERROR\"} 0\n"
	    "octavia_member_operating_status{member=\"" M "\",pool=\"" P
	    "\",listener=\"" L "\",status=\"NO_MONITOR\"} 0\n"
	    "octavia_member_operating_status{member=\"" M "\",pool=\"" P
	    "\",listener=\"" L "\",status=\"OFFLINE\"} 0\n");
	free(out);

	/* a TCP listener: no http_* families, OPEN is UP */
	out = render(&s, &a, 1u << SCOPE_LISTENER);
	assert_null(strstr(out, "http_"));
	assert_non_null(strstr(out, "octavia_listener_status{listener=\"" L
	    "\",state=\"UP\"} 1\n"));
	assert_non_null(strstr(out, "octavia_listener_current_sessions"
	    "{listener=\"" L "\"} 3\n"));
	assert_non_null(strstr(out, "octavia_listener_operating_status"
	    "{listener=\"" L "\",status=\"ONLINE\"} 1\n"));
	free(out);

	/* the load balancer's: no pool here says otherwise */
	out = render(&s, &a, 1u << SCOPE_LOADBALANCER);
	assert_non_null(strstr(out,
	    "octavia_loadbalancer_operating_status{status=\"ONLINE\"} 1\n"
	    "octavia_loadbalancer_operating_status{status=\"DEGRADED\"} 0\n"
	    "octavia_loadbalancer_operating_status{status=\"ERROR\"} 0\n"));
	free(out);

	/* scope loadbalancer: info fields, computed ones, the info family */
	out = render(&s, &a, 1u << SCOPE_LOADBALANCER);
	assert_non_null(strstr(out, "\noctavia_loadbalancer_max_connections "
	    "4000\n"));
	assert_non_null(strstr(out, "\noctavia_loadbalancer_cpu NaN\n"));
	assert_non_null(strstr(out, "\noctavia_loadbalancer_memory 12.5\n"));
	assert_non_null(strstr(out, "octavia_loadbalancer_info{loadbalancer="
	    "\"lb\\\"1\\\\\\n\",haproxy_version=\"2.6.12\"} 1\n"));
	/* show info fields HAProxy did not give: no family at all */
	assert_null(strstr(out, "octavia_loadbalancer_current_connections"));
	free(out);
	snapshot_free(&s);
}

static void
test_ms_to_seconds(void **state)
{
	static const struct { const char *ms, *s; } cases[] = {
		{ "0", "0.000000" }, { "1", "0.001000" }, { "999", "0.999000" },
		{ "1000", "1.000000" }, { "123456", "123.456000" },
		{ "18446744073709551615", "18446744073709551.615000" },
		{ "-5", "-0.005000" },
	};
	struct snapshot		 s;
	struct expo_agent	 a = agent_figures();
	char			 stat[512], want[256], *out;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(stat, sizeof(stat), "# pxname,svname,ttime_max,\n"
		    P ":" L ",BACKEND,%s,\n\n", cases[i].ms);
		parse_text(&s, "Name: HAProxy\n\n", stat);
		out = render(&s, &a, 1u << SCOPE_POOL);
		snprintf(want, sizeof(want), "} %s\n", cases[i].s);
		if (strstr(out, want) == NULL)
			fail_msg("%s ms gave %s", cases[i].ms, out);
		free(out);
		snapshot_free(&s);
	}
}

static void
test_haproxy_down(void **state)
{
	struct expo_agent	 a = agent_figures();
	struct expo_listener	 d[2] = {
		{ .listener = "127.0.0.1:8088", .denied = 3,
		  .rejected = { 4, 5, 6, 7, 8, 9, 10 } },
		{ .listener = "x\"y" },
	};
	char			*out;

	(void)state;
	a.haproxy_up = 0;
	a.socket_queries = 5;
	a.listeners = d;
	a.nlisteners = 2;
	out = render(NULL, &a, EXPO_SCOPES_ALL);
	assert_non_null(strstr(out, "\noctavia_exporter_haproxy_up 0\n"));
	assert_non_null(strstr(out, "\noctavia_exporter_socket_queries_total "
	    "5\n"));
	assert_non_null(strstr(out, "octavia_exporter_denied_connections_total"
	    "{listener=\"127.0.0.1:8088\"} 3\n"));
	assert_non_null(strstr(out, "{listener=\"x\\\"y\"} 0\n"));
	/* every reason of every listener, in order */
	assert_non_null(strstr(out, "# TYPE octavia_exporter_rejected_"
	    "connections_total counter\n"
	    "octavia_exporter_rejected_connections_total{listener=\"127.0.0.1:"
	    "8088\",reason=\"connection_limit\"} 4\n"
	    "octavia_exporter_rejected_connections_total{listener=\"127.0.0.1:"
	    "8088\",reason=\"agent_limit\"} 5\n"
	    "octavia_exporter_rejected_connections_total{listener=\"127.0.0.1:"
	    "8088\",reason=\"evicted\"} 6\n"
	    "octavia_exporter_rejected_connections_total{listener=\"127.0.0.1:"
	    "8088\",reason=\"request_timeout\"} 7\n"
	    "octavia_exporter_rejected_connections_total{listener=\"127.0.0.1:"
	    "8088\",reason=\"stalled_reader\"} 8\n"
	    "octavia_exporter_rejected_connections_total{listener=\"127.0.0.1:"
	    "8088\",reason=\"handshake_limit\"} 9\n"
	    "octavia_exporter_rejected_connections_total{listener=\"127.0.0.1:"
	    "8088\",reason=\"agent_handshake_limit\"} 10\n"
	    "octavia_exporter_rejected_connections_total{listener=\"x\\\"y\","
	    "reason=\"connection_limit\"} 0\n"));
	assert_non_null(strstr(out, "octavia_exporter_build_info{version="
	    "\"1.2.3\"} 1\n"));
	/* the id is known, HAProxy's version is not: no empty label */
	assert_non_null(strstr(out, "\noctavia_loadbalancer_info{loadbalancer="
	    "\"lb\\\"1\\\\\\n\"} 1\n"));
	assert_null(strstr(out, "=\"\""));
	free(out);

	/* an unknown load balancer has no info series, nor its family */
	a.loadbalancer_id = NULL;
	out = render(NULL, &a, EXPO_SCOPES_ALL);
	assert_null(strstr(out, "octavia_loadbalancer_info"));
	assert_non_null(strstr(out, "\noctavia_exporter_haproxy_up 0\n"));
	free(out);
	a.loadbalancer_id = "";
	out = render(NULL, &a, EXPO_SCOPES_ALL);
	assert_null(strstr(out, "octavia_loadbalancer_info"));
	/* nothing that would have come from HAProxy */
	assert_null(strstr(out, "octavia_listener_"));
	assert_null(strstr(out, "octavia_member_"));
	assert_null(strstr(out, "octavia_loadbalancer_max_connections"));
	free(out);
}

/*
 * TLS listeners have a series for every failure reason and for each
 * version they allow, 0 or not; clear-text listeners have none.
 */
static void
test_tls_families(void **state)
{
	struct expo_agent	 a = agent_figures();
	struct expo_listener	 d[2] = {
		{ .listener = "clear" },
		{ .listener = "tls", .tls_allowed = (1u << CONFIG_TLS_V1_1) |
		  (1u << CONFIG_TLS_V1_3),
		  .tls_failures = { [EXPO_TLS_TIMEOUT] = 2,
		  [EXPO_TLS_REVOKED_CLIENT_CERTIFICATE] = 3 },
		  .tls_versions = { [CONFIG_TLS_V1_3] = 9 } },
	};
	char			*out;
	int			 i;

	(void)state;
	a.listeners = d;
	a.nlisteners = 2;
	out = render(NULL, &a, EXPO_SCOPES_ALL);
	assert_non_null(strstr(out, "# TYPE octavia_exporter_tls_handshake_"
	    "failures_total counter\n"
	    "octavia_exporter_tls_handshake_failures_total{listener=\"tls\","
	    "reason=\"timeout\"} 2\n"
	    "octavia_exporter_tls_handshake_failures_total{listener=\"tls\","
	    "reason=\"closed\"} 0\n"));
	assert_non_null(strstr(out, "{listener=\"tls\",reason=\"revoked_"
	    "client_certificate\"} 3\n"));
	for (i = 0; i < EXPO_TLS__COUNT; i++)
		assert_non_null(strstr(out, expo_tls_failure_names[i]));
	assert_non_null(strstr(out, "# TYPE octavia_exporter_tls_connections_"
	    "total counter\n"
	    "octavia_exporter_tls_connections_total{listener=\"tls\","
	    "version=\"TLSv1.1\"} 0\n"
	    "octavia_exporter_tls_connections_total{listener=\"tls\","
	    "version=\"TLSv1.3\"} 9\n#"));
	assert_null(strstr(out, "{listener=\"clear\",reason=\"timeout\"}"));
	assert_null(strstr(out, "TLSv1.2"));
	free(out);

	/* no TLS listener at all: not even the families' headers */
	d[1].tls_allowed = 0;
	out = render(NULL, &a, EXPO_SCOPES_ALL);
	assert_null(strstr(out, "octavia_exporter_tls_"));
	free(out);
}

static void
test_certificate_expiry(void **state)
{
	struct expo_agent	 a = agent_figures();
	struct expo_cert	 certs[] = {
		{ "metrics.example", EXPO_CERT_SERVER, 2111672889 },
		{ "Client \"CA\"", EXPO_CERT_CLIENT_CA, 1800000000 },
		{ "Client \"CA\"", EXPO_CERT_CRL, 1790000000 },
	};
	struct expo_listener	 d[2] = {
		{ .listener = "clear" },
		{ .listener = "tls", .tls_allowed = 1u << CONFIG_TLS_V1_3,
		  .certs = certs, .ncerts = 3 },
	};
	char			*out;

	(void)state;
	a.listeners = d;
	a.nlisteners = 2;
	out = render(NULL, &a, EXPO_SCOPES_ALL);
	/* whole seconds, not %g's nine digits; names escaped */
	assert_non_null(strstr(out, "# TYPE octavia_listener_certificate_"
	    "expiry_timestamp_seconds gauge\n"
	    "octavia_listener_certificate_expiry_timestamp_seconds{listener="
	    "\"tls\",certificate=\"metrics.example\",usage=\"server\"} "
	    "2111672889\n"
	    "octavia_listener_certificate_expiry_timestamp_seconds{listener="
	    "\"tls\",certificate=\"Client \\\"CA\\\"\",usage=\"client_ca\"} "
	    "1800000000\n#"));
	assert_non_null(strstr(out, "# TYPE octavia_listener_crl_next_update_"
	    "timestamp_seconds gauge\n"
	    "octavia_listener_crl_next_update_timestamp_seconds{listener="
	    "\"tls\",issuer=\"Client \\\"CA\\\"\"} 1790000000\n#"));
	free(out);
	/* the listener scope has them; the exporter's does not */
	out = render(NULL, &a, 1u << SCOPE_LISTENER);
	assert_non_null(strstr(out, "certificate=\"metrics.example\""));
	free(out);
	out = render(NULL, &a, 1u << SCOPE_EXPORTER);
	assert_null(strstr(out, "octavia_listener_"));
	free(out);
	/* none at all: no header */
	d[1].ncerts = 0;
	out = render(NULL, &a, EXPO_SCOPES_ALL);
	assert_null(strstr(out, "expiry_timestamp_seconds"));
	assert_null(strstr(out, "next_update_timestamp_seconds"));
	free(out);
}

/*
 * HAProxy's TLS listeners' certificates after the agent's own, in the same
 * families; a listener without one of a kind has no line of it; and the
 * count of files that were not read.
 */
static void
test_haproxy_listener_certificates(void **state)
{
	struct expo_agent	 a = agent_figures();
	struct expo_cert	 own[] = {
		{ "metrics.example", EXPO_CERT_SERVER, 2000000000 },
	};
	struct expo_cert	 hap[] = {
		{ "www.example", EXPO_CERT_SERVER, 1900000000 },
		{ "sni.example", EXPO_CERT_SERVER, 1950000000 },
		{ "Client CA", EXPO_CERT_CRL, 1700000000 },
	};
	struct expo_listener	 d = { .listener = "own",
				    .tls_allowed = 1u << CONFIG_TLS_V1_3,
				    .certs = own, .ncerts = 1 };
	struct expo_listener_certs lc[2] = {
		{ "8d6f7c4e-1b1f-4b9e-9d0a-3f3c2a1b0e11", hap, 2 },
		{ "a3c9b2e0-6f4d-4c1a-8e2b-7d5f9a0c1b22", hap + 2, 1 },
	};
	char			*out;

	(void)state;
	a.listeners = &d;
	a.nlisteners = 1;
	a.haproxy_certs = lc;
	a.nhaproxy_certs = 2;
	a.cert_file_errors = 3;
	out = render(NULL, &a, EXPO_SCOPES_ALL);
	assert_non_null(strstr(out, "expiry_timestamp_seconds gauge\n"
	    "octavia_listener_certificate_expiry_timestamp_seconds{listener="
	    "\"own\",certificate=\"metrics.example\",usage=\"server\"} "
	    "2000000000\n"
	    "octavia_listener_certificate_expiry_timestamp_seconds{listener="
	    "\"8d6f7c4e-1b1f-4b9e-9d0a-3f3c2a1b0e11\",certificate="
	    "\"www.example\",usage=\"server\"} 1900000000\n"
	    "octavia_listener_certificate_expiry_timestamp_seconds{listener="
	    "\"8d6f7c4e-1b1f-4b9e-9d0a-3f3c2a1b0e11\",certificate="
	    "\"sni.example\",usage=\"server\"} 1950000000\n#"));
	assert_non_null(strstr(out, "next_update_timestamp_seconds gauge\n"
	    "octavia_listener_crl_next_update_timestamp_seconds{listener="
	    "\"a3c9b2e0-6f4d-4c1a-8e2b-7d5f9a0c1b22\",issuer=\"Client CA\"} "
	    "1700000000\n#"));
	assert_non_null(strstr(out,
	    "\noctavia_exporter_certificate_file_errors_total 3\n"));
	free(out);
	/* HAProxy's alone, the agent's listener without TLS */
	d.ncerts = 0;
	lc[0].ncerts = 0;
	out = render(NULL, &a, 1u << SCOPE_LISTENER);
	assert_null(strstr(out, "expiry_timestamp_seconds"));
	assert_non_null(strstr(out, "issuer=\"Client CA\"} 1700000000\n"));
	free(out);
}

/* The real answer: each family once, together, with HELP and TYPE. */
static void
test_real_answer_structure(void **state)
{
	struct snapshot		 s;
	struct expo_agent	 a = agent_figures();
	size_t			 len, families = 0, samples = 0;
	char			*buf = fixture_load("info-stat.txt", &len);
	char			*out, *line, *save, last[128] = "";
	char			 seen[FAM__COUNT][128];
	size_t			 i;

	(void)state;
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse(&s, buf, len), 0);
	out = render(&s, &a, EXPO_SCOPES_ALL);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (strncmp(line, "# TYPE ", 7) == 0) {
			sscanf(line + 7, "%127s", name);
			for (i = 0; i < families; i++)
				if (strcmp(seen[i], name) == 0)
					fail_msg("%s twice", name);
			assert_true(families < FAM__COUNT);
			strcpy(seen[families++], name);
			strcpy(last, name);
			continue;
		}
		samples++;
		/* a sample belongs to the family announced last */
		assert_true(strncmp(line, last, strlen(last)) == 0);
		assert_true(line[strlen(last)] == '{' ||
		    line[strlen(last)] == ' ');
		assert_null(strstr(line, "member-target"));
		assert_null(strstr(line, "prometheus-exporter"));
		assert_null(strstr(line, "stats"));
	}
	/* 144 HAProxy families less the listener's last_session (none in
	 * 2.6 CSV for frontends... all listed are present), plus ours */
	assert_true(families >= 144);
	assert_true(samples > 1000);
	free(out);
	snapshot_free(&s);
	free(buf);
}

/* A counter's sample line ("..._total{...} NaN"). */
static int
is_nan_counter(const char *line, const char *nl)
{
	const char	*brace = memchr(line, '{', (size_t)(nl - line));
	const char	*name_end = brace ? brace : memchr(line, ' ',
			    (size_t)(nl - line));

	return name_end != NULL && name_end - line > 6 &&
	    memcmp(name_end - 6, "_total", 6) == 0 && nl - line > 4 &&
	    memcmp(nl - 4, "NaN\n", 4) == 0;
}

/*
 * Keeps the sample lines of an exposition, in place, less the counters
 * without a value when nan_counters is 0.
 */
static void
samples_only(char *s, int nan_counters)
{
	char	*r = s, *w = s, *nl;

	while (*r != '\0') {
		nl = strchr(r, '\n');
		nl = nl ? nl + 1 : r + strlen(r);
		if (*r != '#' && (nan_counters || !is_nan_counter(r, nl))) {
			memmove(w, r, (size_t)(nl - r));
			w += nl - r;
		}
		r = nl;
	}
	*w = '\0';
}

/* OpenMetrics: counter families lose _total, samples keep it, # EOF. */
static void
test_openmetrics(void **state)
{
	struct snapshot		 s;
	struct expo_agent	 a = agent_figures();
	size_t			 len;
	char			*buf = fixture_load("info-stat.txt", &len);
	char			*om, *text, *p;

	(void)state;
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse(&s, buf, len), 0);
	om = render_as(&s, &a, EXPO_SCOPES_ALL, EXPO_OPENMETRICS);
	text = render_as(&s, &a, EXPO_SCOPES_ALL, EXPO_TEXT);
	assert_non_null(strstr(om, "# TYPE octavia_listener_bytes_in counter\n"));
	assert_non_null(strstr(om, "# HELP octavia_listener_bytes_in Bytes"));
	assert_null(strstr(om, "# TYPE octavia_listener_bytes_in_total"));
	assert_non_null(strstr(om, "\noctavia_listener_bytes_in_total{"));
	assert_non_null(strstr(om, "# TYPE octavia_member_status gauge\n"));
	assert_non_null(strstr(text, "# TYPE octavia_listener_bytes_in_total "
	    "counter\n"));
	/* # EOF once, last */
	p = strstr(om, "# EOF\n");
	assert_non_null(p);
	assert_int_equal(strlen(p), 6);
	assert_null(strstr(text, "# EOF"));
	/*
	 * The samples are the same but for counters HAProxy leaves empty
	 * (unchecked members' check counters): NaN in the text format, as
	 * HAProxy's exporter has them, left out of OpenMetrics, which allows
	 * no NaN counter.
	 */
	assert_non_null(strstr(text, "_total{"));
	samples_only(om, 1);
	for (p = om; (p = strstr(p, "_total")) != NULL; p = strchr(p, '\n')) {
		const char *line = p;

		while (line > om && line[-1] != '\n')
			line--;
		assert_false(is_nan_counter(line, strchr(p, '\n') + 1));
	}
	{
		char *t2 = strdup(text);

		samples_only(t2, 1);
		assert_string_not_equal(om, t2);	/* the fixture has some */
		free(t2);
	}
	samples_only(text, 0);
	assert_string_equal(om, text);
	free(om);
	free(text);
	snapshot_free(&s);
	free(buf);
}

/*
 * A corrupt answer with a counter below zero (found by fuzz_expo): the
 * text format keeps what HAProxy said, OpenMetrics, which allows no
 * negative counter, leaves the sample out. The captured answer with the
 * first frontend's bytes in (the 9th field) made negative.
 */
static void
test_negative_counter(void **state)
{
	struct snapshot		 s;
	struct expo_agent	 a = agent_figures();
	size_t			 len;
	char			*buf = fixture_load("info-stat.txt", &len);
	char			*bad, *p, *om, *text, *line, *nl;
	char			 want[128];
	int			 i;

	(void)state;
	p = strstr(buf, ",FRONTEND,");
	assert_non_null(p);
	while (p > buf && p[-1] != '\n')
		p--;
	for (i = 0; i < 8; i++)
		p = strchr(p, ',') + 1;
	bad = malloc(len + 2);
	assert_non_null(bad);
	memcpy(bad, buf, (size_t)(p - buf));
	bad[p - buf] = '-';
	memcpy(bad + (p - buf) + 1, p, len - (size_t)(p - buf));
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse(&s, bad, len + 1), 0);
	text = render_as(&s, &a, EXPO_SCOPES_ALL, EXPO_TEXT);
	om = render_as(&s, &a, EXPO_SCOPES_ALL, EXPO_OPENMETRICS);
	line = strstr(text, "\noctavia_listener_bytes_in_total{");
	assert_non_null(line);
	nl = strchr(line + 1, '\n');
	assert_true(strstr(line, "} -") != NULL &&
	    strstr(line, "} -") < nl);
	snprintf(want, sizeof(want), "%.*s", (int)(strstr(line, "} -") -
	    line + 1), line);
	assert_null(strstr(om, want));			/* left out */
	assert_non_null(strstr(om, "\noctavia_listener_bytes_in_total{"));
	free(om);
	free(text);
	snapshot_free(&s);
	free(bad);
	free(buf);
}

/* Rendering piece by piece into small fixed buffers gives the same bytes. */
static void
test_pieces_equal_whole(void **state)
{
	struct snapshot		 s;
	struct expo_agent	 a = agent_figures();
	struct expo_listener	 d[3] = {
		{ .listener = "a", .denied = 1, .rejected = { 1, 2, 3, 4 },
		  .tls_allowed = CONFIG_TLS_DEFAULT_VERSIONS,
		  .tls_failures = { 5, 6 }, .tls_versions = { 0, 0, 0, 7, 8 } },
		{ .listener = "b\"", .denied = 2 },
		{ .listener = "c", .denied = 3, .rejected = { 9 } },
	};
	struct expo_cursor	 cur;
	struct wbuf		 piece, all;
	size_t			 len, want, pieces;
	char			*buf = fixture_load("info-stat.txt", &len);
	char			*whole, mem[EXPO_ROOM_MIN + 300];
	int			 fmt;

	(void)state;
	a.listeners = d;
	a.nlisteners = 3;
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse(&s, buf, len), 0);
	for (fmt = EXPO_TEXT; fmt <= EXPO_OPENMETRICS; fmt++)
		for (want = 1; want <= 4096; want *= 64) {
			whole = render_as(&s, &a, EXPO_SCOPES_ALL, fmt);
			wbuf_init(&all, 1 << 26);
			expo_cursor_init(&cur, &s, &a, EXPO_SCOPES_ALL, fmt);
			pieces = 0;
			for (;;) {
				int done;

				wbuf_init_fixed(&piece, mem, sizeof(mem));
				done = expo_render_some(&cur, &piece, want);
				assert_false(wbuf_failed(&piece));
				assert_true(piece.len > 0 || done);
				wbuf_add(&all, piece.data, piece.len);
				pieces++;
				if (done)
					break;
			}
			wbuf_putc(&all, '\0');
			assert_string_equal(all.data, whole);
			assert_true(pieces > 10);
			wbuf_free(&all);
			free(whole);
		}
	snapshot_free(&s);
	free(buf);
}

/*
 * Two ranges rendered apart are the whole, for both formats; the cursor
 * done with the first renders the second (as a coded head's tail does).
 */
static void
test_ranges_join(void **state)
{
	struct snapshot		 s;
	struct expo_agent	 a = agent_figures();
	struct expo_cursor	 cur;
	struct wbuf		 parts;
	size_t			 len;
	char			*buf = fixture_load("info-stat.txt", &len), *whole;
	int			 fmt;

	(void)state;
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse(&s, buf, len), 0);
	for (fmt = EXPO_TEXT; fmt <= EXPO_OPENMETRICS; fmt++) {
		whole = render_as(&s, &a, EXPO_SCOPES_ALL, fmt);
		wbuf_init(&parts, 1 << 26);
		expo_cursor_init(&cur, &s, &a, EXPO_SCOPES_ALL, fmt);
		expo_cursor_range(&cur, 0, FAM_HAPROXY__COUNT);
		while (!expo_render_some(&cur, &parts, 1 << 20))
			;
		assert_null(memmem(parts.data, parts.len, "octavia_exporter_",
		    17));
		assert_int_equal(expo_render_some(&cur, &parts, 1 << 20), 1);
		expo_cursor_range(&cur, FAM_HAPROXY__COUNT, ~0u);
		while (!expo_render_some(&cur, &parts, 1 << 20))
			;
		wbuf_putc(&parts, '\0');
		assert_string_equal(parts.data, whole);
		wbuf_free(&parts);
		free(whole);
	}
	snapshot_free(&s);
	free(buf);
}

/* The pieces of an exposition, cut every rows rows; *n of them. */
static char **
cut_pieces(const struct snapshot *s, const struct expo_agent *a, int fmt,
    size_t rows, size_t *n)
{
	struct expo_cursor	 cur;
	struct wbuf		 piece;
	char			**v = NULL;
	int			 done;

	*n = 0;
	expo_cursor_init(&cur, s, a, EXPO_SCOPES_ALL, fmt);
	expo_cursor_range(&cur, 0, FAM_SNAPSHOT__COUNT);
	do {
		wbuf_init(&piece, EXPO_PIECE_MAX(rows));
		assert_int_equal(wbuf_reserve(&piece, EXPO_PIECE_MAX(rows)), 0);
		done = expo_render_piece(&cur, &piece, rows);
		assert_true(done >= 0);
		assert_true(piece.len <= EXPO_PIECE_MAX(rows));
		wbuf_putc(&piece, '\0');
		v = realloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = piece.data;
	} while (!done);
	return v;
}

static void
free_pieces(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* The samples in a piece, every line of it whole. */
static size_t
piece_samples(const char *piece)
{
	const char	*line, *nl;
	size_t		 samples = 0;

	for (line = piece; *line != '\0'; line = nl + 1) {
		assert_non_null(nl = strchr(line, '\n'));
		samples += line[0] != '#';
	}
	return samples;
}

/*
 * Pieces make the HAProxy families whole, each of whole lines and at most
 * rows rows (times a status family's states), whatever rows is; and a
 * value changed in one row changes only the pieces of that row: the cuts
 * do not move with the values, so what did not change has the same text.
 */
static void
test_pieces_cut_by_rows(void **state)
{
	struct snapshot		 s, t;
	struct expo_agent	 a = agent_figures();
	struct expo_cursor	 cur;
	struct wbuf		 whole;
	const size_t		 rowses[] = { 1, 2, 3, EXPO_PIECE_ROWS };
	size_t			 len, i, j, n, m, differ, f, k, col_fams;
	char			*buf = fixture_load("info-stat.txt", &len);
	char			**v, **w, *joined, *copy;
	struct snap_rows	*rs;
	int			 fmt, col = -1;

	(void)state;
	snapshot_init(&t, &lim);
	copy = malloc(len);
	memcpy(copy, buf, len);
	assert_int_equal(snapshot_parse(&t, copy, len), 0);
	free(copy);
	snapshot_init(&s, &lim);
	assert_int_equal(snapshot_parse(&s, buf, len), 0);
	rs = &t.rows[SCOPE_MEMBER];
	assert_true(rs->n >= 4);
	/* a member counter the snapshot has: its second member's, changed */
	for (f = 0; f < FAM_SNAPSHOT__COUNT && col < 0; f++)
		if (metric_families[f].scope == SCOPE_MEMBER &&
		    metric_families[f].conv == CONV_INT &&
		    snapshot_has_col(&t, metric_families[f].src) &&
		    snap_row_has(&rs->row[1], metric_families[f].src))
			col = metric_families[f].src;
	assert_true(col >= 0);
	snap_set_value(rs, 1, col, snap_value(rs, 1, col) + 12345);
	for (col_fams = 0, f = 0; f < FAM_SNAPSHOT__COUNT; f++)
		col_fams += metric_families[f].scope == SCOPE_MEMBER &&
		    metric_families[f].src == col;
	for (fmt = EXPO_TEXT; fmt <= EXPO_OPENMETRICS; fmt++)
		for (i = 0; i < sizeof(rowses) / sizeof(rowses[0]); i++) {
			wbuf_init(&whole, 1 << 26);
			expo_cursor_init(&cur, &s, &a, EXPO_SCOPES_ALL, fmt);
			expo_cursor_range(&cur, 0, FAM_SNAPSHOT__COUNT);
			while (!expo_render_some(&cur, &whole, 1 << 20))
				;
			wbuf_putc(&whole, '\0');
			v = cut_pieces(&s, &a, fmt, rowses[i], &n);
			joined = calloc(1, whole.len);
			for (j = 0; j < n; j++) {
				strcat(joined, v[j]);
				k = piece_samples(v[j]);
				assert_true(k <= rowses[i] * 6);
			}
			assert_string_equal(joined, whole.data);
			/* the snapshot with one value changed */
			w = cut_pieces(&t, &a, fmt, rowses[i], &m);
			assert_int_equal(n, m);
			for (differ = 0, j = 0; j < n; j++) {
				if (strcmp(v[j], w[j]) == 0)
					continue;
				differ++;
				assert_non_null(memmem(w[j], strlen(w[j]),
				    rs->row[1].labels, rs->row[1].labels_len));
			}
			assert_true(differ >= 1 && differ <= col_fams);
			if (rowses[i] == 1)
				assert_true(n > 3 * FAM_HAPROXY__COUNT);
			free_pieces(v, n);
			free_pieces(w, m);
			free(joined);
			wbuf_free(&whole);
		}
	snapshot_free(&s);
	snapshot_free(&t);
	free(buf);
}

struct keyed {
	uint64_t	 key;
	const char	*text;
};

static int
keyed_cmp(const void *a, const void *b)
{
	const struct keyed	*x = a, *y = b;

	return (x->key > y->key) - (x->key < y->key);
}

/*
 * Pieces alike in key are alike in text, wherever they are in the
 * exposition: one cache holds them all (a run of one HTTP code and of
 * another, of the same rows and counts, are two texts).
 */
static void
same_key_same_text(const uint64_t *keys, char **v, size_t n)
{
	struct keyed	*k = calloc(n + 1, sizeof(*k));
	size_t		 i;

	assert_non_null(k);
	for (i = 0; i < n; i++) {
		k[i].key = keys[i];
		k[i].text = v[i];
	}
	qsort(k, n, sizeof(*k), keyed_cmp);
	for (i = 1; i < n; i++)
		if (k[i - 1].key == k[i].key)
			assert_string_equal(k[i - 1].text, k[i].text);
	free(k);
}

/*
 * Pieces of s as text (v) and as keys, walked side by side: the key walk
 * moves the cursor as the render does, piece after piece, and writes an
 * eighth of the text or less.
 */
static uint64_t *
key_pieces(const struct snapshot *s, const struct expo_agent *a, int fmt,
    size_t rows, char ***v, size_t *n)
{
	struct expo_cursor	 cur, kcur;
	struct wbuf		 piece, scratch;
	uint64_t		*keys = NULL, *ids;
	size_t			 text = 0, compact = 0;
	int			 done, kdone;

	ids = calloc(expo_piece_ids_count(s) + 1, sizeof(*ids));
	assert_non_null(ids);
	expo_piece_ids(s, 7, ids);
	*n = 0;
	*v = NULL;
	expo_cursor_init(&cur, s, a, EXPO_SCOPES_ALL, fmt);
	expo_cursor_range(&cur, 0, FAM_SNAPSHOT__COUNT);
	kcur = cur;
	wbuf_init(&scratch, EXPO_PIECE_MAX(rows));
	do {
		wbuf_init(&piece, EXPO_PIECE_MAX(rows));
		assert_int_equal(wbuf_reserve(&piece, EXPO_PIECE_MAX(rows)), 0);
		done = expo_render_piece(&cur, &piece, rows);
		assert_true(done >= 0);
		wbuf_reset(&scratch);
		assert_int_equal(wbuf_reserve(&scratch, EXPO_PIECE_MAX(rows)),
		    0);
		keys = realloc(keys, (*n + 1) * sizeof(*keys));
		kdone = expo_piece_key(&kcur, &scratch, rows, ids, 7,
		    &keys[*n]);
		assert_int_equal(kdone, done);
		assert_int_equal(kcur.fam, cur.fam);
		assert_int_equal(kcur.sub, cur.sub);
		assert_int_equal(kcur.row, cur.row);
		assert_int_equal(kcur.started, cur.started);
		assert_int_equal(kcur.done, cur.done);
		text += piece.len;
		compact += scratch.len;
		wbuf_putc(&piece, '\0');
		*v = realloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = piece.data;
	} while (!done);
	assert_true(compact * 8 <= text || text < 4096);
	same_key_same_text(keys, *v, *n);
	wbuf_free(&scratch);
	free(ids);
	return keys;
}

/* Changes one thing a line says, of the rows or the load balancer. */
enum change {
	CHANGE_NONE,
	CHANGE_VALUE,		/* a member's counter */
	CHANGE_EMPTY,		/* a member's counter, empty (NaN) */
	CHANGE_NEGATIVE,	/* a pool's counter, below zero */
	CHANGE_SIGN,		/* a pool's counter, its sign alone */
	CHANGE_STATE,		/* a member's state */
	CHANGE_OP,		/* a pool's operating status */
	CHANGE_LABELS,		/* a member's labels, one byte */
	CHANGE_HTTP,		/* a listener's mode */
	CHANGE_INFO,		/* the load balancer's current connections */
	CHANGE_CPU,		/* the amphora's CPU, a figure */
	CHANGE_EXT,		/* an extra counter (TLS) */
	CHANGE__COUNT
};

static int
change(struct snapshot *t, struct expo_agent *a, enum change what)
{
	struct snap_rows	*ms = &t->rows[SCOPE_MEMBER];
	struct snap_row		*m = &ms->row[1];
	struct snap_row		*p = &t->rows[SCOPE_POOL].row[0];
	struct snap_ext		*e;
	size_t			 i;

	switch (what) {
	case CHANGE_NONE:
		return 0;
	case CHANGE_VALUE:
		snap_set_value(ms, 1, COL_STOT,
		    snap_value(ms, 1, COL_STOT) + 12345);
		return 1;
	case CHANGE_EMPTY:
		m->have &= ~((uint64_t)1 << COL_STOT);
		return 1;
	case CHANGE_NEGATIVE:
		snap_set_value(&t->rows[SCOPE_POOL], 0, COL_STOT,
		    (uint64_t)0 - 5);
		p->neg |= (uint64_t)1 << COL_STOT;
		return 1;
	case CHANGE_SIGN:
		p->neg ^= (uint64_t)1 << COL_STOT;
		return 1;
	case CHANGE_STATE:
		m->state = m->state == STATE_UP ? STATE_DOWN : STATE_UP;
		return 1;
	case CHANGE_OP:
		p->op = p->op == OP_ONLINE ? OP_ERROR : OP_ONLINE;
		return 1;
	case CHANGE_LABELS:
		m->labels[m->labels_len - 2] ^= 1;
		return 1;
	case CHANGE_HTTP:
		t->rows[SCOPE_LISTENER].row[0].http ^= 1;
		return 1;
	case CHANGE_INFO:
		t->info[INFO_CURRCONNS] += 3;
		return 1;
	case CHANGE_CPU:
		a->cpu = 42.5;
		return 1;
	case CHANGE_EXT:
		for (i = 0; i < t->next; i++) {
			e = &t->ext[i];
			if (e->have != 0) {
				e->v[__builtin_ctz(e->have)] += 7;
				return 1;
			}
		}
		return 0;	/* no extra counters in the capture */
	default:
		return 0;
	}
}

/*
 * A piece's key changes exactly when its text does, whatever a line says
 * that changed: the keyed pieces of a snapshot with one thing changed
 * differ from the first's where their texts differ, and only there.
 */
static void
test_piece_keys(void **state)
{
	struct snapshot		 s, t;
	struct expo_agent	 a = agent_figures(), b;
	const size_t		 rowses[] = { 1, 3, EXPO_PIECE_ROWS };
	size_t			 len, i, j, n, m, differ;
	char			*buf = fixture_load("info-stat.txt", &len);
	char			**v, **w, *copy;
	uint64_t		*kv, *kw;
	int			 fmt, what, changed;

	(void)state;
	snapshot_init(&s, &lim);
	copy = malloc(len);
	memcpy(copy, buf, len);
	assert_int_equal(snapshot_parse(&s, copy, len), 0);
	for (what = 0; what < CHANGE__COUNT; what++) {
		memcpy(copy, buf, len);
		snapshot_init(&t, &lim);
		assert_int_equal(snapshot_parse(&t, copy, len), 0);
		b = a;
		changed = change(&t, &b, what);
		for (fmt = EXPO_TEXT; fmt <= EXPO_OPENMETRICS; fmt++)
			for (i = 0; i < sizeof(rowses) / sizeof(rowses[0]);
			    i++) {
				kv = key_pieces(&s, &a, fmt, rowses[i], &v,
				    &n);
				kw = key_pieces(&t, &b, fmt, rowses[i], &w,
				    &m);
				assert_int_equal(n, m);
				for (differ = 0, j = 0; j < n; j++) {
					if (strcmp(v[j], w[j]) != 0)
						differ++;
					if ((strcmp(v[j], w[j]) == 0) !=
					    (kv[j] == kw[j]))
						fail_msg("change %d, piece "
						    "%zu of %zu rows: text "
						    "and key disagree", what,
						    j, rowses[i]);
				}
				/* a counter below zero is no OpenMetrics */
				if (changed && !(what == CHANGE_NEGATIVE &&
				    fmt == EXPO_OPENMETRICS && differ == 0))
					assert_true(differ > 0);
				if (!changed)
					assert_int_equal(differ, 0);
				free_pieces(v, n);
				free_pieces(w, m);
				free(kv);
				free(kw);
			}
		snapshot_free(&t);
	}
	/*
	 * One cache holds both formats: a key one has, the other has for
	 * the same text only (a header says its format, so a piece alike in
	 * both has two keys, which costs a coding, not a wrong body).
	 */
	for (i = 0; i < sizeof(rowses) / sizeof(rowses[0]); i++) {
		kv = key_pieces(&s, &a, EXPO_TEXT, rowses[i], &v, &n);
		kw = key_pieces(&s, &a, EXPO_OPENMETRICS, rowses[i], &w, &m);
		assert_int_equal(n, m);
		for (differ = 0, j = 0; j < n; j++) {
			differ += strcmp(v[j], w[j]) != 0;
			if (kv[j] == kw[j])
				assert_string_equal(v[j], w[j]);
		}
		assert_true(differ > 0);
		free_pieces(v, n);
		free_pieces(w, m);
		free(kv);
		free(kw);
	}
	snapshot_free(&s);
	free(copy);
	free(buf);
}

/*
 * A load balancer with listeners alone (as a PROMETHEUS listener's own
 * HAProxy): families of pools and members have their columns and no
 * rows, and a run of no rows still moves the cut on.
 */
static void
test_pieces_of_no_rows(void **state)
{
	struct snapshot		 s;
	struct expo_agent	 a = agent_figures();
	struct expo_cursor	 cur;
	struct wbuf		 whole, all, piece;
	size_t			 rows;
	int			 done, fmt;

	(void)state;
	parse_text(&s, "Name: HAProxy\nVersion: 2.6.12\nMaxconn: 4000\n\n",
	    "# pxname,svname,scur,slim,status,rtime_max,hrsp_2xx,req_tot,"
	    "mode,lastsess,type,\n"
	    L ",FRONTEND,3,,OPEN,,7,9,http,,0,\n"
	    "\n");
	assert_int_equal(s.rows[SCOPE_MEMBER].n, 0);
	for (fmt = EXPO_TEXT; fmt <= EXPO_OPENMETRICS; fmt++)
		for (rows = 1; rows <= EXPO_PIECE_ROWS; rows *= 16) {
			wbuf_init(&whole, 1 << 26);
			expo_cursor_init(&cur, &s, &a, EXPO_SCOPES_ALL, fmt);
			while (!expo_render_some(&cur, &whole, 1 << 20))
				;
			wbuf_init(&all, 1 << 26);
			expo_cursor_init(&cur, &s, &a, EXPO_SCOPES_ALL, fmt);
			do {
				wbuf_init(&piece, EXPO_PIECE_MAX(rows));
				done = expo_render_piece(&cur, &piece, rows);
				assert_true(done >= 0);
				wbuf_add(&all, piece.data, piece.len);
				wbuf_free(&piece);
			} while (!done);
			assert_int_equal(all.len, whole.len);
			assert_memory_equal(all.data, whole.data, whole.len);
			wbuf_free(&all);
			wbuf_free(&whole);
		}
	snapshot_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_output),
		cmocka_unit_test(test_ms_to_seconds),
		cmocka_unit_test(test_haproxy_down),
		cmocka_unit_test(test_tls_families),
		cmocka_unit_test(test_certificate_expiry),
		cmocka_unit_test(test_haproxy_listener_certificates),
		cmocka_unit_test(test_real_answer_structure),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_negative_counter),
		cmocka_unit_test(test_pieces_equal_whole),
		cmocka_unit_test(test_ranges_join),
		cmocka_unit_test(test_pieces_cut_by_rows),
		cmocka_unit_test(test_pieces_of_no_rows),
		cmocka_unit_test(test_piece_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
