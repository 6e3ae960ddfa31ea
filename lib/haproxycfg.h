/*
 * What the agent reads of HAProxy's configuration (Octavia renders it as
 * /var/lib/octavia/<lb>/haproxy.cfg): which proxies speak HTTP, which
 * listeners terminate TLS and with which files, which members are reached
 * over TLS or HTTP/2. "show stat" says none of it, yet it decides which
 * of HAProxy's extra counters are a listener's, a pool's, a member's.
 *
 * Read as HAProxy reads it: words split on blanks, '#' comments, "..."
 * and '...' quotes, backslash escapes; a section starts at its keyword.
 * Everything else in the file is passed over, never refused: the agent
 * serves what it understood.
 */
#ifndef HAPROXYCFG_H
#define HAPROXYCFG_H

#include <stddef.h>
#include <stdint.h>

#define HCFG_TEXT_MAX		(64u << 20)	/* the file, bytes */
#define HCFG_WORDS_MAX		64		/* on a line; HAProxy's too */
#define HCFG_PROXIES_MAX	65536
#define HCFG_SERVERS_MAX	(1u << 20)
#define HCFG_CRT_LIST_MAX	(1u << 20)	/* a crt-list, bytes */

enum hcfg_side {
	HCFG_FRONTEND = 1 << 0,
	HCFG_BACKEND = 1 << 1,		/* a "listen" section is both */
};

struct hcfg_server {
	const char	*name;
	uint8_t		 tls;		/* "ssl" */
	uint8_t		 h2;		/* "proto h2" or an alpn with h2 */
};

struct hcfg_proxy {
	const char	*name;
	uint8_t		 sides;		/* enum hcfg_side */
	uint8_t		 http;		/* mode http */
	uint8_t		 tls;		/* a bind with "ssl"; a server with */
	uint8_t		 h2;		/* a server speaking HTTP/2 */
	/* the first TLS bind's files, NULL when it names none */
	const char	*crt_list;
	const char	*crt;
	const char	*ca_file;
	const char	*crl_file;
	uint32_t	 first;		/* its servers in hcfg.server, sorted */
	uint32_t	 nservers;	/* by name */
};

struct hcfg {
	char			*text;		/* owned: names point into it */
	struct hcfg_proxy	*proxy;		/* sorted by name */
	size_t			 nproxies;
	struct hcfg_server	*server;
	size_t			 nservers;
	size_t			 skipped;	/* servers past the caps */
	/* global's bases of relative certificate and CA paths, or NULL */
	const char		*crt_base;
	const char		*ca_base;
};

/*
 * Parses text (len bytes, malloc'd), which the hcfg owns from then on,
 * successful or not, and modifies in place. Returns 0, or -1 when memory
 * ran out or len is over HCFG_TEXT_MAX (the hcfg is then empty).
 */
int	hcfg_parse(struct hcfg *, char *text, size_t len);
void	hcfg_free(struct hcfg *);

/* The proxy named name (len bytes) with side among its sides, or NULL. */
const struct hcfg_proxy	*hcfg_proxy(const struct hcfg *, const char *name,
	    size_t len, enum hcfg_side side);
const struct hcfg_server *hcfg_server(const struct hcfg *,
	    const struct hcfg_proxy *, const char *name, size_t len);

/*
 * The certificate files a crt-list names, as HAProxy reads one: a line
 * that starts with '#' is a comment, words are split on blanks and '['
 * (the line's options follow), and the first word names the file. text
 * holds len bytes and one more that may be written; the words are
 * NUL-terminated in place. Points at most max of them into text, in
 * order, and returns how many lines named one: more than max when some
 * did not fit. A relative name is relative to the global crt_base.
 */
size_t	hcfg_crt_list(char *text, size_t len, const char **paths,
	    size_t max);

#endif
