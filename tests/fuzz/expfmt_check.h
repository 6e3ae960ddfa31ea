#ifndef EXPFMT_CHECK_H
#define EXPFMT_CHECK_H

#include <stddef.h>

/*
 * 0 when text is a valid exposition, in the text format 0.0.4 or (with
 * openmetrics) OpenMetrics 1.0; -1 with the first fault in why.
 */
int	expfmt_check(const char *text, size_t len, int openmetrics, char *why,
	    size_t whylen);

#endif
