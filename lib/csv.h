/*
 * A reader for the CSV that HAProxy's "show stat" prints: comma separated,
 * '\n' line ends (a '\r' before it is dropped), fields holding ',', '"',
 * CR or LF quoted with '"' and inner quotes doubled; a quoted field may
 * span lines.
 *
 * The reader works in place on a mutable buffer: each field is unquoted
 * where it lies and NUL-terminated, so fields point into the caller's
 * buffer and live as long as it does. The buffer must be writable and have
 * one byte more past its length (a C string: buf[len] == '\0').
 */
#ifndef CSV_H
#define CSV_H

#include <stddef.h>

struct csv_field {
	char	*s;		/* NUL-terminated, inside the input buffer */
	size_t	 len;
};

struct csv {
	char	*p;		/* next unread byte */
	char	*end;
	size_t	 max_record;	/* bytes one record may span */
	size_t	 lineno;	/* line the last record started on, from 1 */
	size_t	 nextline;
};

enum csv_status {
	CSV_END = 0,		/* no more input */
	CSV_RECORD = 1,		/* fields filled in */
	CSV_MALFORMED = -1,	/* record skipped; reading may go on */
};

void	csv_init(struct csv *, char *buf, size_t len, size_t max_record);

/*
 * Reads the next record into at most maxf fields. A record that is longer
 * than max_record, has more than maxf fields, an unterminated quote or
 * garbage after a closing quote is skipped up to the end of its line and
 * reported as CSV_MALFORMED.
 */
enum csv_status csv_next(struct csv *, struct csv_field *f, size_t maxf,
	    size_t *nf);

/*
 * The '\n' that ends the record starting at p (a newline inside a quoted
 * field does not), or NULL when [p, end) holds no complete record yet.
 * *has_quote tells whether the record holds a '"' at all (a plain record
 * needs no unquoting). Reads only: for input that arrives in pieces.
 */
const char	*csv_record_end(const char *p, const char *end,
		    int *has_quote);

#endif
