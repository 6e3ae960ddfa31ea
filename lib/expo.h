/*
 * The exposition writer: renders the metric table over a snapshot and the
 * agent's own figures, in the Prometheus text format 0.0.4 or OpenMetrics
 * 1.0. It knows nothing about transport: a cursor renders the exposition
 * piece by piece into whatever buffer the caller hands it, so the HTTP side
 * can stream a large one as the socket drains and --once can write it whole.
 */
#ifndef EXPO_H
#define EXPO_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "snapshot.h"
#include "wbuf.h"

/* Why the agent closed or refused a connection itself. */
enum expo_reject {
	EXPO_REJECT_CONNECTION_LIMIT,	/* its listener's connection-limit */
	EXPO_REJECT_AGENT_LIMIT,	/* the agent's descriptor cap */
	EXPO_REJECT_EVICTED,		/* idle or slow, closed for a new one */
	EXPO_REJECT_REQUEST_TIMEOUT,	/* no whole request head in time */
	EXPO_REJECT_STALLED_READER,	/* held output memory, read nothing */
	EXPO_REJECT_HANDSHAKE_LIMIT,	/* its listener's tls-handshake-limit */
	EXPO_REJECT_AGENT_HANDSHAKE_LIMIT,	/* the agent's handshake cap */
	EXPO_REJECT__COUNT		/* must be last */
};

extern const char *const expo_reject_names[EXPO_REJECT__COUNT];

/* Why a TLS handshake failed, as far as the server can tell. */
enum expo_tls_failure {
	EXPO_TLS_TIMEOUT,		/* not done within timeout-http-request */
	EXPO_TLS_CLOSED,		/* the peer closed or reset mid-way */
	EXPO_TLS_PLAIN_HTTP,		/* HTTP spoken to a TLS port */
	EXPO_TLS_PROTOCOL_VERSION,	/* no version tls-versions allows */
	EXPO_TLS_NO_SHARED_CIPHER,
	EXPO_TLS_NO_CLIENT_CERTIFICATE,	/* tls-verify required, none given */
	EXPO_TLS_BAD_CLIENT_CERTIFICATE,	/* not signed by tls-client-ca */
	EXPO_TLS_REVOKED_CLIENT_CERTIFICATE,	/* in tls-crl */
	EXPO_TLS_CLIENT_ALERT,		/* the client refused us (our cert?) */
	EXPO_TLS_OVERSIZED_HELLO,	/* a ClientHello over TLS_HELLO_MAX */
	EXPO_TLS_OTHER,
	EXPO_TLS__COUNT			/* must be last */
};

extern const char *const expo_tls_failure_names[EXPO_TLS__COUNT];

/*
 * A certificate a TLS listener serves (server), trusts for its clients
 * (client_ca), or a CRL it checks them with (crl), and until when: its
 * notAfter, or the CRL's nextUpdate. Named by who it is: a certificate's
 * first DNS name or its common name, a CRL's issuer's.
 */
enum expo_cert_usage {
	EXPO_CERT_SERVER,
	EXPO_CERT_CLIENT_CA,
	EXPO_CERT_CRL,
	EXPO_CERT__COUNT		/* must be last */
};

extern const char *const expo_cert_usage_names[EXPO_CERT__COUNT];

#define EXPO_CERT_NAME_MAX	128

struct expo_cert {
	char			 name[EXPO_CERT_NAME_MAX];
	enum expo_cert_usage	 usage;
	int64_t			 until;		/* seconds since the epoch */
};

/* A listener's own counters. */
struct expo_listener {
	const char	*listener;	/* label value; escaped on output */
	uint64_t	 denied;	/* not in allowed_cidrs */
	uint64_t	 rejected[EXPO_REJECT__COUNT];
	/* TLS: 1 << CONFIG_TLS_* allowed; 0 (no TLS): no TLS series */
	unsigned	 tls_allowed;
	uint64_t	 tls_failures[EXPO_TLS__COUNT];
	uint64_t	 tls_versions[CONFIG_TLS__COUNT];	/* completed */
	const struct expo_cert	*certs;		/* TLS: what it serves */
	size_t		 ncerts;
};

/*
 * What one of HAProxy's TLS listeners serves and trusts, from the files
 * its configuration names: served in the same families as the agent's
 * own listeners' (a listener is one or the other).
 */
struct expo_listener_certs {
	const char		*listener;	/* label value */
	const struct expo_cert	*certs;
	size_t			 ncerts;
};

/* What the agent knows of itself at render time. Strings are borrowed. */
struct expo_agent {
	int				 haproxy_up;
	int				 ipvs_up;	/* -1: nothing to read */
	double				 scrape_duration;	/* seconds */
	double				 snapshot_age;		/* seconds */
	uint64_t			 socket_queries;
	uint64_t			 csv_errors;
	uint64_t			 coded_pieces;	/* bytes kept */
	const struct expo_listener	*listeners;
	size_t				 nlisteners;
	const struct expo_listener_certs *haproxy_certs;
	size_t				 nhaproxy_certs;
	uint64_t			 cert_file_errors;
	const char			*version;
	const char			*loadbalancer_id;	/* NULL: unknown */
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

/* No line the writer produces is longer. */
#define EXPO_LINE_MAX		((size_t)1024)
/* The writer stops when less room than this is left (a family's header
 * and a member's five status lines must fit). */
#define EXPO_ROOM_MIN		(8 * EXPO_LINE_MAX)

/* Where an exposition in progress stands. */
struct expo_cursor {
	const struct snapshot	*snap;		/* NULL: HAProxy was not read */
	struct expo_agent	 agent;
	unsigned		 scopes;	/* bit mask of enum scope */
	enum expo_format	 format;
	unsigned		 fam;		/* family being written */
	unsigned		 sub;		/* hrsp code being written */
	size_t			 row;		/* next row of the family */
	size_t			 row_stop;	/* a piece's end, SIZE_MAX */
	int			 started;	/* its HELP and TYPE are out */
	int			 done;
	unsigned		 end;		/* family to stop before */
	int			 piece;		/* expo_render_piece's */
	int			 keying;	/* expo_piece_key's */
	const uint64_t		*ids[SCOPE__COUNT];	/* its rows' */
	size_t			 name_len;
	char			 name[96];	/* "octavia_<family>" */
};

/*
 * Starts an exposition. The snapshot and the strings of agent must stay
 * valid until the cursor is done or dropped; agent itself is copied.
 */
void	expo_cursor_init(struct expo_cursor *, const struct snapshot *,
	    const struct expo_agent *, unsigned scopes, enum expo_format);

/*
 * Limits the cursor to families [first, end) of metric_families[] and
 * starts it at first, done or not; the OpenMetrics "# EOF" comes only with
 * the last family. For a part shared
 * by many responses: the families from HAProxy are the same for every
 * response rendering one snapshot, the agent's own are not.
 */
void	expo_cursor_range(struct expo_cursor *, unsigned first, unsigned end);

/*
 * Appends the next part of the exposition to out: at least want bytes
 * (whole lines), or less when out's room runs under EXPO_ROOM_MIN or the
 * exposition ends. Returns 1 when it has ended (OpenMetrics with "# EOF").
 */
int	expo_render_some(struct expo_cursor *, struct wbuf *out, size_t want);

/*
 * Pieces: the exposition cut where no value can move the cut, so that a
 * piece whose rows did not change between two snapshots has the same text
 * (and its coding can be kept). A piece is rows rows of families, in
 * order (EXPO_PIECE_ROWS; a family without rows counts one, an HTTP code
 * or an extra column is a run of rows): the cuts move only with the
 * snapshot's shape. Appends the next piece to out, which must have room
 * for EXPO_PIECE_MAX(rows) (a header and six status lines a row at most);
 * returns 1 when the exposition has ended, 0 when more is to come, -1
 * when out could not hold it.
 */
#define EXPO_PIECE_ROWS		256
#define EXPO_PIECE_MAX(rows) \
	(((rows) * 7 + 1) * EXPO_LINE_MAX + EXPO_ROOM_MIN)
int	expo_render_piece(struct expo_cursor *, struct wbuf *out, size_t rows);

/*
 * A piece's key, without its text: the piece expo_render_piece() would
 * render next, written as what its lines say (each series' family by
 * index and labels by their hash, ids; a row's value, state or count
 * unformatted, a record a row for the families of rows), then hashed
 * with seed: an eighth of the text or less, and two pieces with the
 * same key have the same text (but for a collision of 64-bit keyed
 * hashes). The cursor moves past the
 * piece as expo_render_piece() would move it; out is scratch, with room
 * for EXPO_PIECE_MAX(rows). Returns as expo_render_piece() does.
 *
 * ids: each row's labels hashed with seed, scope after scope in the
 * snapshot's order (expo_piece_ids(), expo_piece_ids_count() of them),
 * made once a snapshot.
 */
int	expo_piece_key(struct expo_cursor *, struct wbuf *out, size_t rows,
	    const uint64_t *ids, uint64_t seed, uint64_t *key);
size_t	expo_piece_ids_count(const struct snapshot *);
void	expo_piece_ids(const struct snapshot *, uint64_t seed, uint64_t *ids);

/* The whole exposition at once. Check wbuf_failed(out) afterwards. */
void	expo_render(struct wbuf *out, const struct snapshot *snap,
	    const struct expo_agent *agent, unsigned scopes,
	    enum expo_format format);

#endif
