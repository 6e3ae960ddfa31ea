/* The parsers' errors (config.c, lvsconf.c): "FILE:LINE: message". */
#ifndef ERRAT_H
#define ERRAT_H

#include <stdarg.h>
#include <stdio.h>

/* Writes the message into err; returns -1, what a parser returns. */
static inline int __attribute__((format(printf, 5, 0)))
verr_at(char *err, size_t errlen, const char *file, unsigned line,
    const char *fmt, va_list ap)
{
	char	 msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(err, errlen, "%s:%u: %s", file, line, msg);
	return -1;
}

#endif
