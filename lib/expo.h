/*
 * The exposition writer: renders the metric table over a snapshot and the
 * agent's own figures into a buffer, in the Prometheus text format 0.0.4.
 * It knows nothing about transport: the HTTP side sends the buffer, --once
 * writes it to stdout.
 */
#ifndef EXPO_H
#define EXPO_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"
#include "wbuf.h"

struct expo_denied {
	const char	*listener;	/* label value; escaped on output */
	uint64_t	 count;
};

/* What the agent knows of itself at render time. Strings are borrowed. */
struct expo_agent {
	int				 haproxy_up;
	double				 scrape_duration;	/* seconds */
	double				 snapshot_age;		/* seconds */
	uint64_t			 socket_queries;
	uint64_t			 csv_errors;
	const struct expo_denied	*denied;
	size_t				 ndenied;
	const char			*version;
	const char			*loadbalancer_id;
	double				 cpu;		/* NaN when unknown */
	double				 memory;	/* NaN when unknown */
};

#define EXPO_SCOPES_ALL		((1u << SCOPE__COUNT) - 1)

enum expo_format {
	EXPO_TEXT,		/* text/plain; version=0.0.4 */
	EXPO_OPENMETRICS,	/* application/openmetrics-text; 1.0.0 */
};

#define EXPO_CONTENT_TYPE_TEXT	"text/plain; version=0.0.4; charset=utf-8"
#define EXPO_CONTENT_TYPE_OPENMETRICS \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

/*
 * Appends the exposition to out. snap is NULL when HAProxy could not be
 * read: then only families that do not come from HAProxy are written.
 * scopes is a bit mask of enum scope. OpenMetrics names counter families
 * without their "_total" and ends with "# EOF". Check wbuf_failed(out)
 * afterwards.
 */
void	expo_render(struct wbuf *out, const struct snapshot *snap,
	    const struct expo_agent *agent, unsigned scopes,
	    enum expo_format format);

/* A label value with \, " and newline escaped. */
void	expo_label_value(struct wbuf *, const char *);

#endif
