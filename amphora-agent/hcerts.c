/*
 * The certificates of HAProxy's TLS listeners, and until when each is
 * valid. Octavia's haproxy.cfg names them on each TERMINATED_HTTPS
 * listener's bind: a crt-list (the default certificate, then the SNI
 * ones), a ca-file of client CAs, a crl-file; all under
 * /var/lib/octavia/certs/<lb>/, written for root alone. The file opener
 * opens them (opener.c), the agent reads and parses them (tls.c).
 *
 * They are read again when the configuration is, or when one of the files
 * read last time changed (lstat: its inode, size and time), so a scrape
 * costs one lstat a file; a certificate rotated in place shows at the
 * next scrape. A file that cannot be opened or parsed is counted and
 * said, at most once a minute.
 */
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "octavia.h"

#define HCERTS_FILES_MAX	2048	/* read in one go, all listeners */
#define HCERTS_CRT_LIST_MAX	1024	/* certificates of one crt-list */
#define HCERTS_FILE_MAX		((size_t)4 << 20)	/* as tls-certificate */
#define HCERTS_LOG_SECONDS	60

struct hcerts_read {
	struct hcerts		*h;
	struct opener		*o;
	struct hcerts_listener	*l;	/* the listener being read */
	size_t			 failed;
	char			 first[640];	/* the first failure, said */
};

/* The mark of the entry at path, a link not followed (0: none there). */
static uint64_t
path_mark(const char *path)
{
	struct stat	 st;

	return lstat(path, &st) == 0 ? opener_file_mark(&st) : 0;
}

static void
listeners_clear(struct hcerts *h)
{
	size_t	 i;

	for (i = 0; i < h->nl; i++)
		free(h->l[i].certs);
	free(h->l);
	h->l = NULL;
	h->nl = 0;
	for (i = 0; i < h->npaths; i++)
		free(h->paths[i].path);
	free(h->paths);
	h->paths = NULL;
	h->npaths = 0;
}

void
hcerts_free(struct hcerts *h)
{
	listeners_clear(h);
	memset(h, 0, sizeof(*h));
}

static void
failure(struct hcerts_read *r, const char *path, const char *why)
{
	r->h->errors++;
	if (r->failed++ == 0)
		(void)snprintf(r->first, sizeof(r->first), "%s: %s", path,
		    why);
}

/*
 * The file at path (relative: to base), remembered with its mark as it
 * was read, whatever comes of it; its text (NULL on failure, said).
 */
static char *
file_read(struct hcerts_read *r, const char *base, const char *path,
    size_t *len, char *full, size_t size)
{
	struct hcerts		*h = r->h;
	struct hcerts_path	*p;
	struct stat		 st;
	const char		*why;
	char			*text;
	int			 n;

	if (path[0] == '/' || base == NULL)
		n = snprintf(full, size, "%s", path);
	else
		n = snprintf(full, size, "%s/%s", base, path);
	if (n < 0 || (size_t)n >= size) {
		failure(r, path, "path too long");
		return NULL;
	}
	if (h->npaths == HCERTS_FILES_MAX) {
		failure(r, full, "more files than the agent reads");
		return NULL;
	}
	if ((p = reallocarray(h->paths, h->npaths + 1, sizeof(*p))) == NULL ||
	    (p[h->npaths].path = strdup(full)) == NULL) {
		if (p != NULL)
			h->paths = p;
		failure(r, full, "out of memory");
		return NULL;
	}
	h->paths = p;
	p = &h->paths[h->npaths++];
	text = opener_read(r->o, full, HCERTS_FILE_MAX, len, &st, &why);
	/* as read; else as it is there, so one that fails is not tried
	 * again until it changes */
	p->mark = text != NULL ? opener_file_mark(&st) : path_mark(full);
	if (text == NULL)
		failure(r, full, why);
	return text;
}

/* The certificates, CAs or CRLs of one file, into the listener's. */
static void
pem_read(struct hcerts_read *r, const char *base, const char *path,
    enum expo_cert_usage usage)
{
	struct hcerts_listener	*l = r->l;
	const char		*why;
	char			 full[512], *text;
	size_t			 len;

	if ((text = file_read(r, base, path, &len, full, sizeof(full))) ==
	    NULL)
		return;
	if (tls_pem_expiry(text, len, usage, &l->certs, &l->ncerts,
	    &why) == -1)
		failure(r, full, why);
	explicit_bzero(text, len);	/* a private key may be in it */
	free(text);
}

/* A crt-list's certificates: the default, then the SNI ones. */
static void
crt_list_read(struct hcerts_read *r, const struct hcfg *cfg,
    const char *path)
{
	const char	*paths[HCERTS_CRT_LIST_MAX];
	char		 full[512], *text;
	size_t		 len, n, i;

	if ((text = file_read(r, NULL, path, &len, full, sizeof(full))) ==
	    NULL)
		return;
	n = hcfg_crt_list(text, len, paths, HCERTS_CRT_LIST_MAX);
	if (n > HCERTS_CRT_LIST_MAX)
		failure(r, full, "more certificates than the agent reads");
	for (i = 0; i < n && i < HCERTS_CRT_LIST_MAX; i++)
		pem_read(r, cfg->crt_base, paths[i], EXPO_CERT_SERVER);
	free(text);
}

/* Every TLS listener's files, read anew. */
static void
read_all(struct hcerts *h, const struct hcfg *cfg, struct opener *o)
{
	const struct hcfg_proxy	*p;
	struct hcerts_read	 r = { .h = h, .o = o };
	struct hcerts_listener	*l;
	struct timespec		 now;
	size_t			 i, files = 0;

	for (i = 0; i < cfg->nproxies; i++) {
		p = &cfg->proxy[i];
		if ((p->sides & HCFG_FRONTEND) && p->tls &&
		    octavia_is_uuid(p->name, strlen(p->name)))
			h->nl++;
	}
	if (h->nl == 0 || (h->l = calloc(h->nl, sizeof(*h->l))) == NULL) {
		h->nl = 0;
		return;
	}
	for (i = 0, l = h->l; i < cfg->nproxies; i++) {
		p = &cfg->proxy[i];
		if (!(p->sides & HCFG_FRONTEND) || !p->tls ||
		    !octavia_is_uuid(p->name, strlen(p->name)))
			continue;
		r.l = l;
		strlcpy(l->listener, p->name, sizeof(l->listener));
		if (p->crt_list != NULL)
			crt_list_read(&r, cfg, p->crt_list);
		if (p->crt != NULL)
			pem_read(&r, cfg->crt_base, p->crt, EXPO_CERT_SERVER);
		if (p->ca_file != NULL)
			pem_read(&r, cfg->ca_base, p->ca_file,
			    EXPO_CERT_CLIENT_CA);
		if (p->crl_file != NULL)
			pem_read(&r, cfg->ca_base, p->crl_file, EXPO_CERT_CRL);
		l++;
	}
	files = h->npaths;
	clock_now(&now);
	if (r.failed == 0)
		log_info("HAProxy's certificates: %zu files of %zu TLS "
		    "listeners read", files, h->nl);
	else if (!h->logged_once ||
	    timespec_elapsed(&h->logged, &now) >= HCERTS_LOG_SECONDS) {
		log_warnx("HAProxy's certificates: %zu files of %zu TLS "
		    "listeners, %zu not read: %s%s", files, h->nl, r.failed,
		    r.first, r.failed > 1 ? ", and others" : "");
		h->logged = now;
		h->logged_once = 1;
	}
}

void
hcerts_refresh(struct hcerts *h, const struct hcfg *cfg, int cfg_read,
    struct opener *o)
{
	size_t	 i;

	if (cfg == NULL) {
		listeners_clear(h);
		return;
	}
	for (i = 0; !cfg_read && i < h->npaths; i++)
		if (path_mark(h->paths[i].path) != h->paths[i].mark)
			break;
	if (!cfg_read && i == h->npaths)
		return;
	listeners_clear(h);
	read_all(h, cfg, o);
}

size_t
hcerts_export(const struct hcerts *h, struct expo_listener_certs *out)
{
	size_t	 i, n = 0;

	for (i = 0; i < h->nl; i++)
		if (h->l[i].ncerts > 0)
			out[n++] = (struct expo_listener_certs){
			    h->l[i].listener, h->l[i].certs, h->l[i].ncerts };
	return n;
}
