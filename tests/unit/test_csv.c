#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csv.h"
#include "fixture.h"

#define MAXF	16

struct parsed {
	char			 buf[512];
	struct csv		 c;
	struct csv_field	 f[MAXF];
	size_t			 nf;
};

static void
start(struct parsed *p, const char *text, size_t max_record)
{
	size_t	 len = strlen(text);

	assert_true(len < sizeof(p->buf));
	memcpy(p->buf, text, len + 1);
	csv_init(&p->c, p->buf, len, max_record);
}

static enum csv_status
next(struct parsed *p)
{
	return csv_next(&p->c, p->f, MAXF, &p->nf);
}

static void
test_plain_records(void **state)
{
	struct parsed	 p;

	(void)state;
	start(&p, "a,b,\n1,,3,\n", 1024);
	assert_int_equal(next(&p), CSV_RECORD);
	assert_int_equal(p.nf, 3);	/* the trailing comma: an empty field */
	assert_string_equal(p.f[0].s, "a");
	assert_string_equal(p.f[1].s, "b");
	assert_int_equal(p.f[2].len, 0);
	assert_int_equal(next(&p), CSV_RECORD);
	assert_int_equal(p.nf, 4);
	assert_int_equal(p.f[1].len, 0);
	assert_string_equal(p.f[2].s, "3");
	assert_int_equal(next(&p), CSV_END);
}

static void
test_quotes(void **state)
{
	struct parsed	 p;

	(void)state;
	start(&p, "\"a,b\",\"say \"\"hi\"\"\",\"\",x\n", 1024);
	assert_int_equal(next(&p), CSV_RECORD);
	assert_int_equal(p.nf, 4);
	assert_string_equal(p.f[0].s, "a,b");
	assert_string_equal(p.f[1].s, "say \"hi\"");
	assert_int_equal(p.f[1].len, 8);
	assert_int_equal(p.f[2].len, 0);
	assert_string_equal(p.f[3].s, "x");
}

static void
test_embedded_newline(void **state)
{
	struct parsed	 p;

	(void)state;
	start(&p, "x,\"line1\nline2\",y\nnext,1\n", 1024);
	assert_int_equal(next(&p), CSV_RECORD);
	assert_int_equal(p.nf, 3);
	assert_string_equal(p.f[1].s, "line1\nline2");
	assert_int_equal(p.c.lineno, 1);
	assert_int_equal(next(&p), CSV_RECORD);
	assert_string_equal(p.f[0].s, "next");
	assert_int_equal(p.c.lineno, 3);
}

static void
test_crlf_and_no_final_newline(void **state)
{
	struct parsed	 p;

	(void)state;
	start(&p, "a,b\r\n\"q\"\r\nlast", 1024);
	assert_int_equal(next(&p), CSV_RECORD);
	assert_string_equal(p.f[1].s, "b");
	assert_int_equal(next(&p), CSV_RECORD);
	assert_string_equal(p.f[0].s, "q");
	assert_int_equal(next(&p), CSV_RECORD);
	assert_string_equal(p.f[0].s, "last");
	assert_int_equal(next(&p), CSV_END);
}

static void
test_empty_line(void **state)
{
	struct parsed	 p;

	(void)state;
	start(&p, "a\n\n", 1024);
	assert_int_equal(next(&p), CSV_RECORD);
	assert_int_equal(next(&p), CSV_RECORD);
	assert_int_equal(p.nf, 1);
	assert_int_equal(p.f[0].len, 0);
	assert_int_equal(next(&p), CSV_END);
}

static void
test_malformed_skips_one_record(void **state)
{
	struct parsed	 p;

	(void)state;
	/* garbage after a closing quote */
	start(&p, "\"a\"b,c\nok,1\n", 1024);
	assert_int_equal(next(&p), CSV_MALFORMED);
	assert_int_equal(next(&p), CSV_RECORD);
	assert_string_equal(p.f[0].s, "ok");

	/* unterminated quote runs to the end of input */
	start(&p, "ok\n\"never closed,1\n2\n", 1024);
	assert_int_equal(next(&p), CSV_RECORD);
	assert_int_equal(next(&p), CSV_MALFORMED);
	assert_int_equal(next(&p), CSV_END);
}

static void
test_limits(void **state)
{
	struct parsed	 p;
	char		 many[128];
	int		 i;

	(void)state;
	/* a record longer than max_record is skipped, the next one read */
	start(&p, "0123456789abcdef,x\nshort\n", 10);
	assert_int_equal(next(&p), CSV_MALFORMED);
	assert_int_equal(next(&p), CSV_RECORD);
	assert_string_equal(p.f[0].s, "short");

	/* a quoted field that would run past max_record */
	start(&p, "\"0123456789abcdef\"\nshort\n", 10);
	assert_int_equal(next(&p), CSV_MALFORMED);
	assert_int_equal(next(&p), CSV_RECORD);

	/* more fields than the caller has room for */
	many[0] = '\0';
	for (i = 0; i < MAXF + 2; i++)
		strcat(many, "1,");
	strcat(many, "\nok\n");
	start(&p, many, 1024);
	assert_int_equal(next(&p), CSV_MALFORMED);
	assert_int_equal(next(&p), CSV_RECORD);
	assert_string_equal(p.f[0].s, "ok");
}

static void
test_real_haproxy_csv(void **state)
{
	size_t			 len, nf, header = 0, rows = 0, quoted = 0, i;
	char			*buf = fixture_load("show-stat.csv", &len), *buf2;
	struct csv		 c;
	struct csv_field	 f[256];
	enum csv_status		 st;

	(void)state;
	csv_init(&c, buf, len, 65536);
	while ((st = csv_next(&c, f, 256, &nf)) != CSV_END) {
		assert_int_equal(st, CSV_RECORD);
		if (nf == 1 && f[0].len == 0)
			break;
		if (header == 0) {
			header = nf;
			assert_true(strncmp(f[0].s, "# pxname", 8) == 0);
			continue;
		}
		assert_int_equal(nf, header);
		rows++;
		for (i = 0; i < nf; i++)
			if (strcmp(f[i].s, "Down, \"really\" down") == 0)
				quoted++;
	}
	assert_true(header > 80);
	assert_true(rows > 20);
	/* the L7 check of two backends, where the release could set the
	 * reason phrase (2.2 on; "HA-Proxy version 2.0.0 ...") */
	buf2 = fixture_load("VERSION", &len);
	assert_int_equal(quoted, strstr(buf2, "version 2.0.") ? 0 : 2);
	free(buf2);
	free(buf);
}

static void
test_record_end(void **state)
{
	const char	*plain = "a,b,\nc\n", *q = "x,\"l1\nl2\",\"\"\"\"\nz\n";
	const char	*part = "x,\"open\nstill";
	int		 hq;

	(void)state;
	assert_ptr_equal(csv_record_end(plain, plain + strlen(plain), &hq),
	    plain + 4);
	assert_false(hq);
	/* the newline inside quotes does not end it; "" toggles twice */
	assert_ptr_equal(csv_record_end(q, q + strlen(q), &hq),
	    strchr(q, 'z') - 1);
	assert_true(hq);
	assert_null(csv_record_end(part, part + strlen(part), &hq));
	assert_null(csv_record_end(plain, plain + 3, &hq));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_records),
		cmocka_unit_test(test_quotes),
		cmocka_unit_test(test_embedded_newline),
		cmocka_unit_test(test_crlf_and_no_final_newline),
		cmocka_unit_test(test_empty_line),
		cmocka_unit_test(test_malformed_skips_one_record),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_real_haproxy_csv),
		cmocka_unit_test(test_record_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
