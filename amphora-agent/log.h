/*
 * One logging module: stderr in the foreground (-d); else the journal when
 * systemd connected stderr to it ($JOURNAL_STREAM), else syslog.
 */
#ifndef LOG_H
#define LOG_H

/* level: the least urgent priority logged (LOG_WARNING, LOG_DEBUG...) */
void	log_init(int foreground, int level, const char *ident);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * Whether a line about one peer (refused, closed as a stalled reader) may
 * be logged: at most LOG_PEER_PER_SECOND a second, agent-wide, so that a
 * crowd of them cannot flood the journal. Counters keep the full count.
 */
#define LOG_PEER_PER_SECOND	5
int	log_peer_allowed(void);
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
