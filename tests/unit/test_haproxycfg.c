#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "haproxycfg.h"

static void
parse_text(struct hcfg *c, const char *s)
{
	assert_int_equal(hcfg_parse(c, strdup(s), strlen(s)), 0);
}

static const struct hcfg_proxy *
px(const struct hcfg *c, const char *name, enum hcfg_side side)
{
	return hcfg_proxy(c, name, strlen(name), side);
}

static const struct hcfg_server *
sv(const struct hcfg *c, const struct hcfg_proxy *p, const char *name)
{
	return hcfg_server(c, p, name, strlen(name));
}

/* Ends with "/<name>.pem": Octavia names a listener's crt-list by it. */
static int
named_for(const char *path, const char *name)
{
	size_t	 n = strlen(path), k = strlen(name);

	return n > k + 5 && path[n - k - 5] == '/' &&
	    strncmp(path + n - k - 4, name, k) == 0 &&
	    strcmp(path + n - 4, ".pem") == 0;
}

/*
 * Octavia's own rendering (tests/fixtures/capture-octavia.sh): one
 * TERMINATED_HTTPS listener with its files, one pool re-encrypting with
 * ALPN h2 on that listener, the rest plain; the TCP listener not HTTP.
 */
static void
octavia_terminated_https(void **state)
{
	const struct hcfg_proxy	*p, *tls_fe = NULL, *tls_be = NULL;
	const struct hcfg_server *s;
	struct hcfg		 c;
	size_t			 len, i, fe = 0, tcp = 0;
	char			*text;

	(void)state;
	text = fixture_load("../octavia/haproxy-tls.cfg", &len);
	assert_int_equal(hcfg_parse(&c, text, len), 0);
	for (i = 0; i < c.nproxies; i++) {
		p = &c.proxy[i];
		if (p->sides == HCFG_FRONTEND && strlen(p->name) == 36) {
			fe++;
			tcp += !p->http;
			if (p->tls) {
				assert_null(tls_fe);
				tls_fe = p;
			} else
				assert_null(p->crt_list);
		}
		if (p->sides == HCFG_BACKEND && p->tls) {
			assert_null(tls_be);
			tls_be = p;
		}
	}
	assert_int_equal(fe, 3);
	assert_int_equal(tcp, 1);
	assert_non_null(tls_fe);
	assert_true(tls_fe->http);
	assert_true(named_for(tls_fe->crt_list, tls_fe->name));
	assert_true(named_for(tls_fe->ca_file, "client_ca"));
	assert_true(named_for(tls_fe->crl_file, "client_crl"));
	assert_null(tls_fe->crt);
	assert_ptr_equal(px(&c, tls_fe->name, HCFG_FRONTEND), tls_fe);
	assert_null(px(&c, tls_fe->name, HCFG_BACKEND));
	/* the re-encrypting pool is the TLS listener's, with HTTP/2 */
	assert_non_null(tls_be);
	assert_string_equal(tls_be->name + 37, tls_fe->name);
	assert_true(tls_be->h2 && tls_be->http);
	assert_int_equal(tls_be->nservers, 1);
	s = &c.server[tls_be->first];
	assert_true(s->tls && s->h2);
	assert_ptr_equal(sv(&c, tls_be, s->name), s);
	/* the other backends' servers are plain */
	for (i = 0; i < c.nproxies; i++)
		if (&c.proxy[i] != tls_be && c.proxy[i].nservers > 0)
			assert_false(c.server[c.proxy[i].first].tls);
	hcfg_free(&c);
}

/* Words as HAProxy splits them: quotes, escapes, comments. */
static void
words_quotes_and_comments(void **state)
{
	const struct hcfg_proxy	*p;
	struct hcfg		 c;

	(void)state;
	parse_text(&c,
	    "frontend \"a b\" # a comment\n"
	    "  bind :443 'ssl' crt-list /x\\ y.pem#no comment here? yes\n"
	    "  mode http\n"
	    "frontend c#d\n"
	    "  bind :80 \"ssl\" crt /q\"uo\"ted.pem\n"
	    "backend e\r\n"
	    "  server s1 1.2.3.4:1 s\"s\"l alpn \"h3,h2\"\r\n"
	    "  server s2 1.2.3.4:1 ssl no-ssl\n"
	    "  server s3 1.2.3.4:1\t  \tproto h2\n"
	    "  server s4 1.2.3.4:1 alpn http/1.1,h2c\n");
	assert_int_equal(c.nproxies, 3);
	p = px(&c, "a b", HCFG_FRONTEND);
	assert_non_null(p);
	assert_true(p->tls && p->http);
	assert_string_equal(p->crt_list, "/x y.pem");
	/* '#' outside quotes ends the line, even mid-word */
	p = px(&c, "c", HCFG_FRONTEND);
	assert_non_null(p);
	assert_false(p->http);
	assert_true(p->tls);
	assert_string_equal(p->crt, "/quoted.pem");
	assert_null(px(&c, "c#d", HCFG_FRONTEND));
	p = px(&c, "e", HCFG_BACKEND);
	assert_non_null(p);
	assert_int_equal(p->nservers, 4);
	assert_true(sv(&c, p, "s1")->tls && sv(&c, p, "s1")->h2);
	assert_false(sv(&c, p, "s2")->tls);
	assert_true(sv(&c, p, "s3")->h2 && !sv(&c, p, "s3")->tls);
	assert_false(sv(&c, p, "s4")->h2);
	assert_true(p->tls && p->h2);
	hcfg_free(&c);
}

/* Defaults give their mode and default-server to the proxies after them. */
static void
defaults_and_default_server(void **state)
{
	const struct hcfg_proxy	*p;
	struct hcfg		 c;

	(void)state;
	parse_text(&c,
	    "global\n  mode http\n  server x 1.1.1.1:1 ssl\n"
	    "backend before\n  server a 1.1.1.1:1\n"
	    "defaults\n  mode http\n  default-server ssl\n"
	    "backend inherit\n  server a 1.1.1.1:1\n"
	    "backend own\n  mode tcp\n  default-server no-ssl alpn h2\n"
	    "  server a 1.1.1.1:1\n  server b 1.1.1.1:1 ssl\n"
	    "defaults\n"
	    "listen both\n  bind :1 ssl crt /a.pem\n"
	    "  server a 1.1.1.1:1\n"
	    "frontend\n  bind :2 ssl\n"
	    "userlist u\n  server z 1.1.1.1:1 ssl\n");
	p = px(&c, "before", HCFG_BACKEND);
	assert_false(p->http || p->tls);
	p = px(&c, "inherit", HCFG_BACKEND);
	assert_true(p->http && p->tls);
	assert_true(sv(&c, p, "a")->tls);
	p = px(&c, "own", HCFG_BACKEND);
	assert_false(p->http);
	assert_false(sv(&c, p, "a")->tls);
	assert_true(sv(&c, p, "a")->h2 && sv(&c, p, "b")->tls);
	/* a listen section is both, and the second defaults reset all */
	p = px(&c, "both", HCFG_FRONTEND);
	assert_ptr_equal(p, px(&c, "both", HCFG_BACKEND));
	assert_false(p->http);
	assert_true(p->tls);
	assert_false(sv(&c, p, "a")->tls);
	assert_int_equal(c.nproxies, 4);	/* the nameless one dropped */
	assert_int_equal(c.nservers, 5);	/* not those elsewhere */
	hcfg_free(&c);
}

/* Lookups by length, not by NUL; a prefix or a longer name is another. */
static void
lookups(void **state)
{
	struct hcfg		 c;
	const struct hcfg_proxy	*p;

	(void)state;
	parse_text(&c, "frontend ab\nbackend ab\n  server s 1:1\n"
	    "  server st 1:1\nfrontend abc\nfrontend a\n");
	p = hcfg_proxy(&c, "abcdef", 2, HCFG_FRONTEND);
	assert_non_null(p);
	assert_string_equal(p->name, "ab");
	assert_int_equal(p->sides, HCFG_FRONTEND);
	p = hcfg_proxy(&c, "abcdef", 2, HCFG_BACKEND);
	assert_int_equal(p->sides, HCFG_BACKEND);
	assert_string_equal(hcfg_server(&c, p, "stx", 1)->name, "s");
	assert_string_equal(hcfg_server(&c, p, "stx", 2)->name, "st");
	assert_null(hcfg_server(&c, p, "stx", 3));
	assert_null(hcfg_server(&c, p, "s\0", 2));
	assert_string_equal(hcfg_proxy(&c, "abc", 3, HCFG_FRONTEND)->name,
	    "abc");
	assert_null(hcfg_proxy(&c, "abc", 3, HCFG_BACKEND));
	assert_null(hcfg_proxy(&c, "ab\0", 3, HCFG_FRONTEND));
	assert_null(hcfg_proxy(&c, "b", 1, HCFG_FRONTEND));
	assert_null(hcfg_proxy(&c, "", 0, HCFG_FRONTEND));
	hcfg_free(&c);
}

/* The bounds: the file's size, the words on a line. */
static void
bounds(void **state)
{
	struct hcfg	 c;
	char		*text, *p;
	size_t		 i;

	(void)state;
	assert_int_equal(hcfg_parse(&c, strdup("x"), HCFG_TEXT_MAX + 1), -1);
	assert_int_equal(c.nproxies, 0);
	hcfg_free(&c);
	/* a bind of 200 words: the first HCFG_WORDS_MAX are read */
	text = malloc(4096);
	p = text + sprintf(text, "frontend f\n  bind :1");
	for (i = 0; i < 200; i++)
		p += sprintf(p, " %s", i == 30 ? "ssl" : i == 100 ?
		    "crt-list" : "x");
	p += sprintf(p, " /late.pem\n");
	assert_int_equal(hcfg_parse(&c, text, (size_t)(p - text)), 0);
	assert_true(px(&c, "f", HCFG_FRONTEND)->tls);
	assert_null(px(&c, "f", HCFG_FRONTEND)->crt_list);
	hcfg_free(&c);
	/* no newline at the end, an empty file */
	parse_text(&c, "backend b\n  server s 1:1 ssl");
	assert_true(px(&c, "b", HCFG_BACKEND)->tls);
	hcfg_free(&c);
	parse_text(&c, "");
	assert_int_equal(c.nproxies, 0);
	hcfg_free(&c);
}

/* Global's crt-base and ca-base, for relative file names. */
static void
global_bases(void **state)
{
	struct hcfg	 c;

	(void)state;
	parse_text(&c, "global\n  crt-base /etc/c\n  ca-base \"/etc/a b\"\n"
	    "defaults\n  crt-base /not/here\nfrontend f\n");
	assert_string_equal(c.crt_base, "/etc/c");
	assert_string_equal(c.ca_base, "/etc/a b");
	hcfg_free(&c);
	parse_text(&c, "frontend f\n  crt-base /x\n");
	assert_null(c.crt_base);
	assert_null(c.ca_base);
	hcfg_free(&c);
}

/* crt-list lines as HAProxy's reader splits them: their first word. */
static void
crt_list_lines(void **state)
{
	static const char text[] =
	    "/c/default.pem\n"
	    "# /c/comment.pem\n"
	    "\n"
	    "  \t/c/indented.pem   \r\n"
	    "/c/opts.pem[alpn h2 ssl-min-ver TLSv1.2] *.example !x.example\n"
	    "/c/filter.pem one.example\n"
	    "[alpn h2] no-file.example\n"
	    "\f\v \r\n"
	    "rel.pem\n"
	    "/c/last.pem";	/* no newline: text[len] ends it */
	static const char nul[] = "\0/c/x.pem\n# x";
	const char	*want[] = { "/c/default.pem", "/c/indented.pem",
			    "/c/opts.pem", "/c/filter.pem", "rel.pem",
			    "/c/last.pem" };
	const char	*got[8];
	char		 buf[sizeof(text)];
	size_t		 n, i;

	(void)state;
	memcpy(buf, text, sizeof(text));
	n = hcfg_crt_list(buf, sizeof(text) - 1, got, 8);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++)
		assert_string_equal(got[i], want[i]);
	/* more lines than room: counted, the first kept */
	memcpy(buf, text, sizeof(text));
	assert_int_equal(hcfg_crt_list(buf, sizeof(text) - 1, got, 2), 6);
	assert_string_equal(got[1], "/c/indented.pem");
	/* nothing, a NUL where a word starts, a comment with no newline */
	assert_int_equal(hcfg_crt_list(buf, 0, got, 8), 0);
	memcpy(buf, nul, sizeof(nul));
	assert_int_equal(hcfg_crt_list(buf, sizeof(nul) - 1, got, 8), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(octavia_terminated_https),
		cmocka_unit_test(words_quotes_and_comments),
		cmocka_unit_test(defaults_and_default_server),
		cmocka_unit_test(lookups),
		cmocka_unit_test(bounds),
		cmocka_unit_test(global_bases),
		cmocka_unit_test(crt_list_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
