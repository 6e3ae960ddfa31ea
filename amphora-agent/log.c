#include <sys/stat.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "decimal.h"
#include "log.h"

enum log_to {
	LOG_TO_STDERR,
	LOG_TO_JOURNAL,		/* stderr, lines prefixed "<priority>" */
	LOG_TO_SYSLOG,
};

static enum log_to	 log_to = LOG_TO_STDERR;	/* until log_init */
static int		 log_level = LOG_DEBUG;	/* the least urgent shown */

/*
 * systemd sets JOURNAL_STREAM to "device:inode" of the stream it connects
 * to the journal; it is ours only if stderr is still that stream.
 */
static int
stderr_is_journal(void)
{
	const char	*js = getenv("JOURNAL_STREAM"), *end, *p;
	struct stat	 st;
	uint64_t	 dev, ino;

	if (js == NULL)
		return 0;
	end = js + strlen(js);
	if ((p = dec_u64(js, end, UINT64_MAX, &dev)) == NULL || *p != ':' ||
	    dec_u64(p + 1, end, UINT64_MAX, &ino) != end ||
	    fstat(fileno(stderr), &st) == -1)
		return 0;
	return (uint64_t)st.st_dev == dev && (uint64_t)st.st_ino == ino;
}

void
log_init(int foreground, int level, const char *ident)
{
	log_level = level;
	if (foreground)
		log_to = LOG_TO_STDERR;
	else if (stderr_is_journal())
		log_to = LOG_TO_JOURNAL;
	else {
		log_to = LOG_TO_SYSLOG;
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	}
}

static void __attribute__((format(printf, 2, 0)))
vlog(int pri, const char *fmt, va_list ap, const char *err)
{
	char	 msg[1024];

	if (pri > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	switch (log_to) {
	case LOG_TO_JOURNAL:
		fprintf(stderr, "<%d>", pri);
		/* FALLTHROUGH */
	case LOG_TO_STDERR:
		if (err != NULL)
			fprintf(stderr, "%s: %s\n", msg, err);
		else
			fprintf(stderr, "%s\n", msg);
		fflush(stderr);
		break;
	case LOG_TO_SYSLOG:
		if (err != NULL)
			syslog(pri, "%s: %s", msg, err);
		else
			syslog(pri, "%s", msg);
		break;
	}
}

/* errno's reason, when there is one (0 is no reason: no ": Success"). */
static const char *
reason(int saved)
{
	return saved != 0 ? strerror(saved) : NULL;
}

void
log_warn(const char *fmt, ...)
{
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, reason(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

int
log_peer_allowed(void)
{
	static time_t	 window;
	static int	 count;
	time_t		 now = time(NULL);

	if (now != window) {
		window = now;
		count = 0;
	}
	return count++ < LOG_PEER_PER_SECOND;
}

/* Like fatalx(), with the reason errno gives, if it gives one. */
void
fatal(const char *fmt, ...)
{
	int	 saved = errno;
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, reason(saved));
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
