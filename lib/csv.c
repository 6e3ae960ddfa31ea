#include <string.h>

#include "csv.h"

void
csv_init(struct csv *c, char *buf, size_t len, size_t max_record)
{
	c->p = buf;
	c->end = buf + len;
	c->max_record = max_record;
	c->lineno = 0;
	c->nextline = 1;
}

/* Skip the rest of a broken record: to just past the next '\n'. */
static enum csv_status
csv_skip(struct csv *c, char *from)
{
	char	*nl;

	nl = memchr(from, '\n', (size_t)(c->end - from));
	if (nl == NULL)
		c->p = c->end;
	else {
		c->p = nl + 1;
		c->nextline++;
	}
	return CSV_MALFORMED;
}

enum csv_status
csv_next(struct csv *c, struct csv_field *f, size_t maxf, size_t *nf)
{
	char	*r = c->p, *w, *start, *limit;
	size_t	 n = 0;
	int	 quoted;

	*nf = 0;
	if (r >= c->end)
		return CSV_END;
	c->lineno = c->nextline;
	limit = (size_t)(c->end - r) > c->max_record ? r + c->max_record :
	    c->end;

	for (;;) {
		if (n == maxf)
			return csv_skip(c, r);
		start = w = r;
		quoted = r < limit && *r == '"';
		if (quoted) {
			for (r++;; ) {
				if (r >= limit)
					return csv_skip(c, r);
				if (*r == '"') {
					if (r + 1 < limit && r[1] == '"') {
						*w++ = '"';
						r += 2;
						continue;
					}
					r++;
					break;
				}
				if (*r == '\n')
					c->nextline++;
				*w++ = *r++;
			}
		} else {
			while (r < limit && *r != ',' && *r != '\n')
				r++;
			w = r;
		}

		if (r < limit && *r == ',') {
			*w = '\0';
			f[n].s = start;
			f[n].len = (size_t)(w - start);
			n++;
			r++;
			continue;
		}

		/* end of the record: '\n' (maybe after '\r'), or of input */
		if (quoted && r + 1 < limit && r[0] == '\r' && r[1] == '\n')
			r++;
		else if (!quoted && w > start && w[-1] == '\r' &&
		    r < limit && *r == '\n')
			w--;
		if (r < limit && *r == '\n') {
			r++;
			c->nextline++;
		} else if (r < c->end)	/* garbage after a quote, or too long */
			return csv_skip(c, r);
		*w = '\0';
		f[n].s = start;
		f[n].len = (size_t)(w - start);
		n++;
		break;
	}
	c->p = r;
	*nf = n;
	return CSV_RECORD;
}

const char *
csv_record_end(const char *p, const char *end, int *has_quote)
{
	const char	*nl, *q;
	int		 quoted = 0;

	*has_quote = 0;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		/* quotes toggle; "" inside a quoted field toggles twice */
		for (q = p; (q = memchr(q, '"', (size_t)(nl - q))) != NULL;
		    q++) {
			quoted = !quoted;
			*has_quote = 1;
		}
		if (!quoted)
			return nl;
		p = nl + 1;
	}
	return NULL;
}
