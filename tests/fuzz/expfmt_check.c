/*
 * A strict checker of the Prometheus text format 0.0.4 and OpenMetrics
 * 1.0, for the fuzzers: whatever a snapshot holds, what the agent renders
 * of it must be a valid exposition in the format it says.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expfmt_check.h"

#define MAX_FAMILIES	512
#define NAME_MAX_LEN	256

struct checker {
	const char	*p, *end;
	int		 om;
	unsigned	 line;
	char		*why;
	size_t		 whylen;
	char		 family[NAME_MAX_LEN];	/* the current family */
	char		 type[16];
	char		 seen[MAX_FAMILIES][NAME_MAX_LEN];
	int		 nseen;
};

static int __attribute__((format(printf, 2, 3)))
bad(struct checker *c, const char *fmt, ...)
{
	char	 msg[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->why, c->whylen, "line %u: %s", c->line, msg);
	return -1;
}

static int
name_char(char ch, int first)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    ch == '_' || ch == ':' || (!first && ch >= '0' && ch <= '9');
}

/* A metric name at *p: its length, 0 if none. */
static size_t
metric_name(const char *p, const char *end)
{
	size_t	 n = 0;

	while (p + n < end && name_char(p[n], n == 0))
		n++;
	return n;
}

/* A float as the formats write one, NaN and infinities included. */
static int
parse_value(const char *s, size_t n, double *v)
{
	char	 buf[64], *e;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strcmp(buf, "NaN") == 0) {
		*v = NAN;
		return 0;
	}
	if (strcmp(buf, "+Inf") == 0 || strcmp(buf, "-Inf") == 0) {
		*v = buf[0] == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	if (strspn(buf, "0123456789+-.eE") != n)
		return -1;
	*v = strtod(buf, &e);
	return *e == '\0' && !isnan(*v) && !isinf(*v) ? 0 : -1;
}

static int
family_line(struct checker *c, const char *p, const char *eol)
{
	const char	*kind = p + 2, *name;
	size_t		 n;
	int		 i, help;

	if (eol - p < 8 || (memcmp(kind, "HELP ", 5) != 0 &&
	    memcmp(kind, "TYPE ", 5) != 0))
		return c->om && eol - p == 5 && memcmp(p, "# EOF", 5) == 0 ?
		    1 : bad(c, "a comment that is neither HELP nor TYPE");
	help = kind[0] == 'H';
	name = kind + 5;
	if ((n = metric_name(name, eol)) == 0 || n >= NAME_MAX_LEN ||
	    name[n] != ' ')
		return bad(c, "a bad family name");
	if (strlen(c->family) != n || memcmp(c->family, name, n) != 0) {
		for (i = 0; i < c->nseen; i++)
			if (strlen(c->seen[i]) == n &&
			    memcmp(c->seen[i], name, n) == 0)
				return bad(c, "family %.*s again", (int)n, name);
		if (c->nseen == MAX_FAMILIES)
			return bad(c, "too many families");
		memcpy(c->family, name, n);
		c->family[n] = '\0';
		strcpy(c->seen[c->nseen++], c->family);
		c->type[0] = '\0';
	}
	if (help) {
		const char *q;

		for (q = name + n + 1; q < eol; q++)
			if (*q == '\\' && (q + 1 == eol ||
			    (q[1] != '\\' && q[1] != 'n' && (!c->om ||
			    q[1] != '"'))))
				return bad(c, "a bad escape in HELP");
			else if (*q == '\\')
				q++;
		return 0;
	}
	if (c->type[0] != '\0')
		return bad(c, "TYPE twice");
	n = (size_t)(eol - (name + n + 1));
	if (n >= sizeof(c->type))
		return bad(c, "a bad type");
	memcpy(c->type, eol - n, n);
	c->type[n] = '\0';
	if (strcmp(c->type, "counter") != 0 && strcmp(c->type, "gauge") != 0)
		return bad(c, "type %s", c->type);
	if (c->om && strcmp(c->type, "counter") == 0 && strlen(c->family) > 6 &&
	    strcmp(c->family + strlen(c->family) - 6, "_total") == 0)
		return bad(c, "an OpenMetrics counter family named _total");
	return 0;
}

static int
sample_line(struct checker *c, const char *p, const char *eol)
{
	char		 names[32][NAME_MAX_LEN];
	const char	*q;
	size_t		 n, fl = strlen(c->family);
	int		 nl = 0, i, counter = strcmp(c->type, "counter") == 0;
	double		 v;

	if (c->type[0] == '\0')
		return bad(c, "a sample before its TYPE");
	if ((n = metric_name(p, eol)) == 0)
		return bad(c, "a sample without a name");
	if (c->om && counter ? (n != fl + 6 || memcmp(p, c->family, fl) != 0 ||
	    memcmp(p + fl, "_total", 6) != 0) : (n != fl ||
	    memcmp(p, c->family, fl) != 0))
		return bad(c, "sample %.*s outside family %s", (int)n, p,
		    c->family);
	q = p + n;
	if (q < eol && *q == '{') {
		for (q++; q < eol && *q != '}';) {
			if (nl == 32)
				return bad(c, "too many labels");
			if ((n = metric_name(q, eol)) == 0 || n >= NAME_MAX_LEN ||
			    memchr(q, ':', n) != NULL)
				return bad(c, "a bad label name");
			if (n >= 2 && q[0] == '_' && q[1] == '_')
				return bad(c, "a reserved label name");
			for (i = 0; i < nl; i++)
				if (strlen(names[i]) == n &&
				    memcmp(names[i], q, n) == 0)
					return bad(c, "label %.*s twice",
					    (int)n, q);
			memcpy(names[nl], q, n);
			names[nl++][n] = '\0';
			q += n;
			if (eol - q < 2 || q[0] != '=' || q[1] != '"')
				return bad(c, "a label without =\"");
			for (q += 2; q < eol && *q != '"'; q++)
				if (*q == '\\') {
					if (q + 1 == eol || (q[1] != '\\' &&
					    q[1] != '"' && q[1] != 'n'))
						return bad(c, "a bad escape");
					q++;
				}
			if (q == eol)
				return bad(c, "an unterminated label value");
			q++;
			if (q < eol && *q == ',')
				q++;
			else if (q < eol && *q != '}')
				return bad(c, "junk after a label");
		}
		if (q == eol)
			return bad(c, "no } after the labels");
		q++;
	}
	if (q == eol || *q != ' ')
		return bad(c, "no space before the value");
	q++;
	if (memchr(q, ' ', (size_t)(eol - q)) != NULL)
		return bad(c, "a timestamp or junk after the value");
	if (parse_value(q, (size_t)(eol - q), &v) == -1)
		return bad(c, "a bad value \"%.*s\"", (int)(eol - q), q);
	if (c->om && counter && (isnan(v) || v < 0))
		return bad(c, "an OpenMetrics counter at %g", v);
	return 0;
}

int
expfmt_check(const char *text, size_t len, int openmetrics, char *why,
    size_t whylen)
{
	struct checker	*c;
	const char	*p, *eol;
	int		 rc = 0, eof = 0;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return 0;	/* nothing to say without memory */
	c->om = openmetrics;
	c->why = why;
	c->whylen = whylen;
	for (p = text; rc == 0 && p < text + len; p = eol + 1) {
		c->line++;
		if (eof) {
			rc = bad(c, "something after # EOF");
			break;
		}
		if ((eol = memchr(p, '\n', (size_t)(text + len - p))) == NULL) {
			rc = bad(c, "the last line has no newline");
			break;
		}
		if (eol == p)
			rc = bad(c, "an empty line");
		else if (*p == '#') {
			if ((rc = family_line(c, p, eol)) == 1) {
				eof = 1;
				rc = 0;
			}
		} else
			rc = sample_line(c, p, eol);
	}
	if (rc == 0 && openmetrics && !eof)
		rc = bad(c, "no # EOF");
	free(c);
	return rc;
}
