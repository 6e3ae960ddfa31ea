#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static int	 log_debug_mode = 1;	/* stderr until log_init says */
static int	 log_verbose = 1;

void
log_init(int foreground, int verbose, const char *ident)
{
	log_debug_mode = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static void __attribute__((format(printf, 2, 0)))
vlog(int pri, const char *fmt, va_list ap, const char *err)
{
	char	 msg[1024];

	if (pri == LOG_DEBUG && !log_verbose)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_debug_mode) {
		if (err != NULL)
			fprintf(stderr, "%s: %s\n", msg, err);
		else
			fprintf(stderr, "%s\n", msg);
		fflush(stderr);
	} else if (err != NULL)
		syslog(pri, "%s: %s", msg, err);
	else
		syslog(pri, "%s", msg);
}

#define LOGFN(name, pri, witherr)				\
void								\
name(const char *fmt, ...)					\
{								\
	int	 saved = errno;					\
	va_list	 ap;						\
								\
	va_start(ap, fmt);					\
	vlog(pri, fmt, ap, witherr ? strerror(saved) : NULL);	\
	va_end(ap);						\
	errno = saved;						\
}

LOGFN(log_warn, LOG_WARNING, 1)
LOGFN(log_warnx, LOG_WARNING, 0)
LOGFN(log_info, LOG_INFO, 0)
LOGFN(log_debug, LOG_DEBUG, 0)

void
fatal(const char *fmt, ...)
{
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, strerror(saved));
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
