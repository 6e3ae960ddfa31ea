/*
 * The access log line of one response, as a syslog message in the format
 * of Octavia's tenant flow logs (its default user_log_format, which HAProxy
 * fills in for every other listener):
 *
 *   PROJECT LB LISTENER CLIENT_IP CLIENT_PORT [DATE] "REQUEST" STATUS
 *   BYTES_OUT BYTES_IN VERIFY "CLIENT_DN" BACKEND SERVER TOTAL_MS TERM
 *
 * then one field of ours, the TLS version or "-". Pure formatting: the
 * caller gives the times and sends the datagram.
 */
#ifndef ACCESSLOG_H
#define ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A datagram, at most: the longest line the bounds below allow (every
 * byte of the request and subject escaped, words of 128) fits. */
#define ACCESS_LOG_MAX		4096
#define ACCESS_REQUEST_MAX	512	/* request line bytes logged */
#define ACCESS_DN_MAX		256	/* client certificate subject bytes */

struct access_entry {
	const char	*project_id;	/* NULL or "": "-" */
	const char	*loadbalancer_id;
	const char	*listener;
	const char	*client_ip;
	unsigned	 client_port;
	struct tm	 accepted;	/* local time the request began */
	unsigned	 accepted_ms;
	const char	*request;	/* the request line, as sent */
	size_t		 request_len;	/* 0: "<BADREQ>", as HAProxy says */
	int		 status;	/* -1: none sent */
	uint64_t	 bytes_out;	/* the response, head and body */
	uint64_t	 bytes_in;	/* the request head */
	long		 verify;	/* the client certificate's, 0: fine */
	const char	*client_dn;	/* "" or NULL: none */
	long		 total_ms;
	const char	*term;		/* HAProxy's termination state */
	const char	*tls_version;	/* NULL: clear text */
};

/*
 * "<PRI>Mmm dd hh:mm:ss TAG[PID]: " and the entry into buf (RFC 3164, as
 * HAProxy logs to a local socket). Returns the length, no NUL counted, or
 * 0 when it does not fit len (ACCESS_LOG_MAX always does).
 */
size_t	access_log_format(char *buf, size_t len, int facility,
	    const char *tag, long pid, const struct access_entry *);

#endif
