/*
 * TLS for the listeners of the direct deployment, as Octavia configures a
 * listener's: certificates (the first the default, the others chosen by
 * SNI from the names they carry), client certificates checked against a
 * CA and a CRL, versions, ciphers, and ALPN that selects HTTP/1.x only.
 *
 * A context is built whole from the files, or not at all: a reload with a
 * bad file keeps the running contexts, as a bad configuration does.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "agent.h"

#define TLS_FILE_MAX	((size_t)4 << 20)	/* a PEM file, at most */
#define TLS_EXPIRY_PER_FILE	256		/* CAs or CRLs read of a file */
#define TLS_SESSIONS_MAX	256		/* per listener, for resumption */
/*
 * A client's certificate chain: its message at most 16 KiB (OpenSSL's
 * default, 100 KiB, took 150 junk certificates, each parsed and tried in
 * the chain: 40 ms of CPU a handshake), refused at its header past it;
 * and at most 5 CAs between it and tls-client-ca's.
 */
#define TLS_CERT_LIST_MAX	(16u << 10)
#define TLS_VERIFY_DEPTH	5

struct tls_cert {
	X509		*x509;
	EVP_PKEY	*key;
	STACK_OF(X509)	*chain;
};

struct tls_ctx {
	int		 refs;
	SSL_CTX		*ctx;
	struct tls_cert	*certs;		/* the first is the default */
	size_t		 ncerts;
	unsigned	 alpn;		/* CONFIG_ALPN_* */
	struct expo_cert *expiry;	/* what it serves and trusts, until */
	size_t		 nexpiry;
};

static void
cert_clear(struct tls_cert *c)
{
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	sk_X509_pop_free(c->chain, X509_free);
}

void
tls_ctx_hold(struct tls_ctx *t)
{
	t->refs++;
}

void
tls_ctx_drop(struct tls_ctx *t)
{
	size_t	 i;

	if (t == NULL || --t->refs > 0)
		return;
	SSL_CTX_free(t->ctx);
	for (i = 0; i < t->ncerts; i++)
		cert_clear(&t->certs[i]);
	free(t->certs);
	free(t->expiry);
	free(t);
}

/* OpenSSL's last error, as text, after what. -1. */
static int
fail(char *err, size_t errlen, const char *what)
{
	unsigned long	 e = ERR_peek_last_error();
	char		 why[160];

	if (e != 0) {
		ERR_error_string_n(e, why, sizeof(why));
		(void)snprintf(err, errlen, "%s: %s", what, why);
	} else
		(void)snprintf(err, errlen, "%s", what);
	ERR_clear_error();
	return -1;
}

/* A PEM file's objects, any order; encrypted keys are refused. */
static STACK_OF(X509_INFO) *
read_pem(const char *path, char *err, size_t errlen)
{
	STACK_OF(X509_INFO)	*infos = NULL;
	BIO			*bio;
	const char		*why;
	char			 what[CONFIG_PATH_MAX + 32], *text;
	size_t			 len;

	/* read here, not by OpenSSL: a FIFO must not block the loop */
	if ((text = agent_read_file(path, TLS_FILE_MAX, &len, &why)) == NULL) {
		if (errno == EFBIG)
			(void)snprintf(err, errlen, "%s: larger than %zu MiB",
			    path, TLS_FILE_MAX >> 20);
		else
			(void)snprintf(err, errlen, "%s: %s", path, why);
		return NULL;
	}
	/* no passphrase callback answers: an encrypted key fails to read */
	if ((bio = BIO_new_mem_buf(text, (int)len)) != NULL)
		infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, (void *)"");
	BIO_free(bio);
	OPENSSL_cleanse(text, len);	/* it held a private key */
	free(text);
	if (infos == NULL) {
		(void)snprintf(what, sizeof(what), "%s: not PEM", path);
		fail(err, errlen, what);
	}
	return infos;
}

/*
 * Octavia's certificate file: the certificate, its key and the chain, in
 * whatever order; the first certificate is the server's.
 */
static int
load_cert(const char *path, struct tls_cert *c, char *err, size_t errlen)
{
	STACK_OF(X509_INFO)	*infos;
	X509_INFO		*xi;
	int			 i, rc = -1;

	memset(c, 0, sizeof(*c));
	if ((infos = read_pem(path, err, errlen)) == NULL)
		return -1;
	if ((c->chain = sk_X509_new_null()) == NULL)
		goto out;
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		xi = sk_X509_INFO_value(infos, i);
		if (xi->x_pkey != NULL && xi->x_pkey->dec_pkey != NULL &&
		    c->key == NULL) {
			c->key = xi->x_pkey->dec_pkey;
			xi->x_pkey->dec_pkey = NULL;
		}
		if (xi->x509 == NULL)
			continue;
		if (c->x509 == NULL)
			c->x509 = xi->x509;
		else if (!sk_X509_push(c->chain, xi->x509))
			goto out;
		xi->x509 = NULL;
	}
	if (c->x509 == NULL)
		(void)snprintf(err, errlen, "%s: no certificate", path);
	else if (c->key == NULL)
		(void)snprintf(err, errlen, "%s: no private key (or an "
		    "encrypted one)", path);
	else if (X509_check_private_key(c->x509, c->key) != 1) {
		ERR_clear_error();
		(void)snprintf(err, errlen, "%s: the private key is not the "
		    "certificate's", path);
	} else
		rc = 0;
out:
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	if (rc == -1)
		cert_clear(c);
	return rc;
}

/*
 * The CAs a client certificate must chain to: into the store, and named to
 * the client in the handshake.
 */
static int
load_client_ca(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	STACK_OF(X509_INFO)	*infos;
	X509_STORE		*store = SSL_CTX_get_cert_store(ctx);
	X509_INFO		*xi;
	char			 what[CONFIG_PATH_MAX + 32];
	int			 i, n = 0;

	if ((infos = read_pem(path, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		xi = sk_X509_INFO_value(infos, i);
		if (xi->x509 == NULL)
			continue;
		if (X509_STORE_add_cert(store, xi->x509) != 1 ||
		    SSL_CTX_add_client_CA(ctx, xi->x509) != 1) {
			sk_X509_INFO_pop_free(infos, X509_INFO_free);
			(void)snprintf(what, sizeof(what), "tls-client-ca %s",
			    path);
			return fail(err, errlen, what);
		}
		n++;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	if (n == 0) {
		(void)snprintf(err, errlen, "tls-client-ca %s: no certificate",
		    path);
		return -1;
	}
	return 0;
}

/* Every CRL of the file into the store, which then checks the chain. */
static int
load_crl(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	STACK_OF(X509_INFO)	*infos;
	X509_STORE		*store = SSL_CTX_get_cert_store(ctx);
	X509_INFO		*xi;
	int			 i, n = 0;

	if ((infos = read_pem(path, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < sk_X509_INFO_num(infos); i++) {
		xi = sk_X509_INFO_value(infos, i);
		if (xi->crl != NULL && X509_STORE_add_crl(store, xi->crl) == 1)
			n++;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	if (n == 0) {
		(void)snprintf(err, errlen, "%s: no CRL", path);
		return -1;
	}
	/* as HAProxy's crl-file: every certificate of the chain */
	X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK |
	    X509_V_FLAG_CRL_CHECK_ALL);
	return 0;
}

/* SNI: the certificate whose names match, else the default. */
static int
select_cert(SSL *ssl, void *arg)
{
	struct tls_ctx		*t = arg;
	const struct tls_cert	*c = &t->certs[0];
	const char		*name;
	size_t			 i;

	name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	for (i = 1; name != NULL && i < t->ncerts; i++)
		if (X509_check_host(t->certs[i].x509, name, 0, 0, NULL) == 1) {
			c = &t->certs[i];
			break;
		}
	return SSL_use_cert_and_key(ssl, c->x509, c->key, c->chain, 1) == 1;
}

/* ALPN: http/1.1, or http/1.0, when both sides have it; never h2. */
static int
select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} ours[] = {
		{ CONFIG_ALPN_HTTP11, "http/1.1" },
		{ CONFIG_ALPN_HTTP10, "http/1.0" },
	};
	struct tls_ctx	*t = arg;
	unsigned int	 i, n;
	size_t		 k;

	(void)ssl;
	for (k = 0; k < sizeof(ours) / sizeof(ours[0]); k++) {
		if (!(t->alpn & ours[k].bit))
			continue;
		for (i = 0; i < inlen; i += 1 + n) {
			n = in[i];
			if (i + 1 + n > inlen)
				break;
			if (n == strlen(ours[k].name) &&
			    memcmp(in + i + 1, ours[k].name, n) == 0) {
				*out = in + i + 1;
				*outlen = (unsigned char)n;
				return SSL_TLSEXT_ERR_OK;
			}
		}
	}
	return SSL_TLSEXT_ERR_NOACK;
}

/* Octavia's version names, CONFIG_TLS_*, as OpenSSL knows them. */
static const struct {
	int		 version;
	uint64_t	 no;		/* the option that switches it off */
} versions_ssl[CONFIG_TLS__COUNT] = {
	[CONFIG_TLS_SSLV3] = { SSL3_VERSION, SSL_OP_NO_SSLv3 },
	[CONFIG_TLS_V1_0] = { TLS1_VERSION, SSL_OP_NO_TLSv1 },
	[CONFIG_TLS_V1_1] = { TLS1_1_VERSION, SSL_OP_NO_TLSv1_1 },
	[CONFIG_TLS_V1_2] = { TLS1_2_VERSION, SSL_OP_NO_TLSv1_2 },
	[CONFIG_TLS_V1_3] = { TLS1_3_VERSION, SSL_OP_NO_TLSv1_3 },
};

/* tls-versions: the lowest to the highest, and the gaps switched off. */
static int
set_versions(SSL_CTX *ctx, unsigned versions, char *err, size_t errlen)
{
	int	 i, lo = -1, hi = -1;

	for (i = 0; i < CONFIG_TLS__COUNT; i++)
		if (versions & (1u << i)) {
			if (lo == -1)
				lo = i;
			hi = i;
		}
	if (lo == -1 || SSL_CTX_set_min_proto_version(ctx,
	    versions_ssl[lo].version) != 1 || SSL_CTX_set_max_proto_version(ctx,
	    versions_ssl[hi].version) != 1)
		return fail(err, errlen, "tls-versions: not supported by "
		    "OpenSSL");
	for (i = lo; i <= hi; i++)
		if (!(versions & (1u << i)))
			SSL_CTX_set_options(ctx, versions_ssl[i].no);
	return 0;
}

static int
setup(struct tls_ctx *t, const struct config_listener *l, char *err,
    size_t errlen)
{
	const struct config_tls	*c = &l->tls;
	SSL_CTX			*ctx = t->ctx;
	int			 mode = SSL_VERIFY_NONE;

	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	/* an idle keep-alive connection holds no TLS buffers */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/*
	 * Sessions kept for resumption by id (TLS 1.2; tickets cost the
	 * server nothing): OpenSSL's default of 20,480, a few MB, is more
	 * than the scrapers of a listener ever resume.
	 */
	SSL_CTX_sess_set_cache_size(ctx, TLS_SESSIONS_MAX);
	if (set_versions(ctx, c->versions, err, errlen) == -1)
		return -1;
	if (c->ciphers[0] != '\0' &&
	    SSL_CTX_set_cipher_list(ctx, c->ciphers) != 1)
		return fail(err, errlen, "tls-ciphers: none OpenSSL knows");
	if (c->ciphersuites[0] != '\0' &&
	    SSL_CTX_set_ciphersuites(ctx, c->ciphersuites) != 1)
		return fail(err, errlen, "tls-ciphersuites: none OpenSSL "
		    "knows");
	/* the default certificate; select_cert() may switch by SNI */
	if (SSL_CTX_use_cert_and_key(ctx, t->certs[0].x509, t->certs[0].key,
	    t->certs[0].chain, 1) != 1)
		return fail(err, errlen, "tls-certificate: refused by OpenSSL");
	SSL_CTX_set_cert_cb(ctx, select_cert, t);
	SSL_CTX_set_alpn_select_cb(ctx, select_alpn, t);
	/* sessions resumed only on the listener that made them */
	if (SSL_CTX_set_session_id_context(ctx, (const unsigned char *)l->id,
	    (unsigned)strnlen(l->id, SSL_MAX_SID_CTX_LENGTH)) != 1)
		return fail(err, errlen, "session id context");

	if (c->client_ca[0] != '\0' &&
	    load_client_ca(ctx, c->client_ca, err, errlen) == -1)
		return -1;
	if (c->crl[0] != '\0' && load_crl(ctx, c->crl, err, errlen) == -1)
		return -1;
	if (c->verify == CONFIG_VERIFY_OPTIONAL)
		mode = SSL_VERIFY_PEER;
	else if (c->verify == CONFIG_VERIFY_REQUIRED)
		mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
	SSL_CTX_set_verify(ctx, mode, NULL);
	SSL_CTX_set_verify_depth(ctx, TLS_VERIFY_DEPTH);
	SSL_CTX_set_max_cert_list(ctx, TLS_CERT_LIST_MAX);
	return 0;
}

/* Seconds since the epoch of an ASN.1 time, or -1. */
static int64_t
asn1_seconds(const ASN1_TIME *t)
{
	struct tm	 tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	return (int64_t)timegm(&tm);
}

/* Who a name is: its common name, else the whole name, as text. */
static void
name_text(const X509_NAME *n, char *dst, size_t len)
{
	if (X509_NAME_get_text_by_NID((X509_NAME *)n, NID_commonName, dst,
	    (int)len) <= 0)
		(void)X509_NAME_oneline(n, dst, (int)len);
}

/* Who a certificate is for: its first DNS name, else its subject's. */
static void
cert_name(X509 *x, char *dst, size_t len)
{
	GENERAL_NAMES	*sans;
	GENERAL_NAME	*gn;
	int		 i;

	dst[0] = '\0';
	sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
		gn = sk_GENERAL_NAME_value(sans, i);
		if (gn->type == GEN_DNS) {
			(void)snprintf(dst, len, "%.*s",
			    ASN1_STRING_length(gn->d.dNSName),
			    (const char *)ASN1_STRING_get0_data(
			    gn->d.dNSName));
			break;
		}
	}
	GENERAL_NAMES_free(sans);
	if (dst[0] == '\0')
		name_text(X509_get_subject_name(x), dst, len);
}

/*
 * One certificate or CRL more in *certs (*n of them), or the one of the
 * same name and usage made to end sooner: two of one name (a renewal
 * configured beside the certificate it replaces) are one series, the one
 * that needs renewing.
 */
static int
expiry_add(struct expo_cert **certs, size_t *n, const char *name,
    enum expo_cert_usage usage, int64_t until)
{
	struct expo_cert	*x;
	size_t			 i;

	if (until < 0)
		return 0;
	for (i = 0; i < *n; i++) {
		x = &(*certs)[i];
		if (x->usage == usage && strcmp(x->name, name) == 0) {
			if (until < x->until)
				x->until = until;
			return 0;
		}
	}
	if ((x = reallocarray(*certs, *n + 1, sizeof(*x))) == NULL)
		return -1;
	*certs = x;
	x = &x[(*n)++];
	strlcpy(x->name, name, sizeof(x->name));
	x->usage = usage;
	x->until = until;
	return 0;
}

/* A certificate's expiry, by who it is for (server) or who it is (CA). */
static int
expiry_add_x509(struct expo_cert **certs, size_t *n, X509 *x,
    enum expo_cert_usage usage)
{
	char	 name[EXPO_CERT_NAME_MAX];

	if (usage == EXPO_CERT_SERVER)
		cert_name(x, name, sizeof(name));
	else
		name_text(X509_get_subject_name(x), name, sizeof(name));
	return expiry_add(certs, n, name, usage,
	    asn1_seconds(X509_get0_notAfter(x)));
}

static int
expiry_add_crl(struct expo_cert **certs, size_t *n, X509_CRL *crl)
{
	char	 name[EXPO_CERT_NAME_MAX];

	name_text(X509_CRL_get_issuer(crl), name, sizeof(name));
	return expiry_add(certs, n, name, EXPO_CERT_CRL,
	    asn1_seconds(X509_CRL_get0_nextUpdate(crl)));
}

/*
 * When what the context serves and trusts stops being valid: the
 * certificates it serves (not their chains), the client CAs and the CRLs
 * in its store, for octavia_listener_certificate_expiry_timestamp_seconds
 * and _crl_next_update_timestamp_seconds.
 */
static int
expiry_collect(struct tls_ctx *t)
{
	STACK_OF(X509_OBJECT)	*objs;
	X509_OBJECT		*o;
	X509_CRL		*crl;
	X509			*x;
	size_t			 i;
	int			 j, r = 0;

	for (i = 0; r == 0 && i < t->ncerts; i++)
		r = expiry_add_x509(&t->expiry, &t->nexpiry, t->certs[i].x509,
		    EXPO_CERT_SERVER);
	objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(t->ctx));
	for (j = 0; r == 0 && objs != NULL && j < sk_X509_OBJECT_num(objs);
	    j++) {
		o = sk_X509_OBJECT_value(objs, j);
		if ((x = X509_OBJECT_get0_X509(o)) != NULL)
			r = expiry_add_x509(&t->expiry, &t->nexpiry, x,
			    EXPO_CERT_CLIENT_CA);
		else if ((crl = X509_OBJECT_get0_X509_CRL(o)) != NULL)
			r = expiry_add_crl(&t->expiry, &t->nexpiry, crl);
	}
	return r;
}

/*
 * The expiry of what a PEM text holds, for HAProxy's TLS listeners: the
 * first certificate of a file it serves (the others are its chain), every
 * certificate of a CA file, every CRL of a CRL file; appended to *certs,
 * at most TLS_EXPIRY_PER_FILE. Only those blocks are decoded: a private
 * key beside the certificate is passed over. 0, or -1 with why when the
 * text holds none or memory ran out.
 */
int
tls_pem_expiry(const char *text, size_t len, enum expo_cert_usage usage,
    struct expo_cert **certs, size_t *n, const char **why)
{
	BIO		*bio;
	X509		*x;
	X509_CRL	*crl;
	size_t		 found = 0, max = usage == EXPO_CERT_SERVER ? 1 :
			    TLS_EXPIRY_PER_FILE;
	int		 r = 0;

	*why = "out of memory";
	if (len > INT_MAX || (bio = BIO_new_mem_buf(text, (int)len)) == NULL)
		return -1;
	while (r == 0 && found < max) {
		if (usage == EXPO_CERT_CRL) {
			if ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL,
			    NULL)) == NULL)
				break;
			r = expiry_add_crl(certs, n, crl);
			X509_CRL_free(crl);
		} else {
			if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) ==
			    NULL)
				break;
			r = expiry_add_x509(certs, n, x, usage);
			X509_free(x);
		}
		found++;
	}
	BIO_free(bio);
	ERR_clear_error();	/* the end of the text, or what was not PEM */
	if (r == 0 && found == 0)
		*why = usage == EXPO_CERT_CRL ? "no CRL in it" :
		    "no certificate in it";
	return r == 0 && found > 0 ? 0 : -1;
}

struct tls_ctx *
tls_ctx_new(const struct config_listener *l, char *err, size_t errlen)
{
	struct tls_ctx	*t;
	size_t		 i;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->certs = calloc(l->tls.ncerts, sizeof(*t->certs))) == NULL) {
		free(t);
		(void)snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->refs = 1;
	t->alpn = l->tls.alpn;
	for (i = 0; i < l->tls.ncerts; i++, t->ncerts++)
		if (load_cert(l->tls.certs[i].path, &t->certs[i], err,
		    errlen) == -1)
			goto bad;
	if ((t->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		fail(err, errlen, "SSL_CTX_new");
		goto bad;
	}
	if (setup(t, l, err, errlen) == 0) {
		if (expiry_collect(t) == 0)
			return t;
		(void)snprintf(err, errlen, "out of memory");
	}
bad:
	tls_ctx_drop(t);
	return NULL;
}

size_t
tls_ctx_certs(const struct tls_ctx *t, const struct expo_cert **certs)
{
	*certs = t->expiry;
	return t->nexpiry;
}

int
tls_ctxs_new(const struct config *conf, struct tls_ctx ***out, char *err,
    size_t errlen)
{
	struct tls_ctx	**t;
	char		  why[384];
	size_t		  i;

	if ((t = calloc(conf->nlisteners + 1, sizeof(struct tls_ctx *))) ==
	    NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < conf->nlisteners; i++) {
		if (conf->listeners[i].tls.ncerts == 0)
			continue;
		t[i] = tls_ctx_new(&conf->listeners[i], why, sizeof(why));
		if (t[i] == NULL) {
			(void)snprintf(err, errlen, "listener %s: %s",
			    conf->listeners[i].id, why);
			tls_ctxs_free(t, i);
			return -1;
		}
	}
	*out = t;
	return 0;
}

void
tls_ctxs_free(struct tls_ctx **t, size_t n)
{
	size_t	 i;

	for (i = 0; t != NULL && i < n; i++)
		tls_ctx_drop(t[i]);
	free(t);
}

SSL *
tls_ssl_new(struct tls_ctx *t)
{
	return SSL_new(t->ctx);
}

enum expo_tls_failure
tls_failure(SSL *ssl, unsigned long e)
{
	long	 verify = SSL_get_verify_result(ssl);

	if (e == 0)
		return EXPO_TLS_CLOSED;
	switch (ERR_GET_REASON(e)) {
	case SSL_R_HTTP_REQUEST:
	case SSL_R_HTTPS_PROXY_REQUEST:
		return EXPO_TLS_PLAIN_HTTP;
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_WRONG_VERSION_NUMBER:
	case SSL_R_VERSION_TOO_LOW:
	case SSL_R_VERSION_TOO_HIGH:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
		return EXPO_TLS_PROTOCOL_VERSION;
	case SSL_R_NO_SHARED_CIPHER:
	case SSL_R_NO_SHARED_GROUPS:
	case SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM:
		return EXPO_TLS_NO_SHARED_CIPHER;
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		return EXPO_TLS_NO_CLIENT_CERTIFICATE;
	case SSL_R_EXCESSIVE_MESSAGE_SIZE:	/* a chain over 16 KiB */
		return EXPO_TLS_BAD_CLIENT_CERTIFICATE;
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
		return verify == X509_V_ERR_CERT_REVOKED ?
		    EXPO_TLS_REVOKED_CLIENT_CERTIFICATE :
		    EXPO_TLS_BAD_CLIENT_CERTIFICATE;
	default:
		/* alerts the client sent: SSL_AD_REASON_OFFSET + alert */
		if (ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET &&
		    ERR_GET_REASON(e) < SSL_AD_REASON_OFFSET + 256)
			return EXPO_TLS_CLIENT_ALERT;
		return EXPO_TLS_OTHER;
	}
}

int
tls_version(const SSL *ssl)
{
	int	 i, version = SSL_version(ssl);

	for (i = 0; i < CONFIG_TLS__COUNT; i++)
		if (versions_ssl[i].version == version)
			return i;
	return -1;
}

void
tls_client_dn(const SSL *ssl, char *dst, size_t len)
{
	X509	*peer = SSL_get0_peer_certificate(ssl);

	dst[0] = '\0';
	if (peer != NULL && len > 0)
		X509_NAME_oneline(X509_get_subject_name(peer), dst, (int)len);
}
