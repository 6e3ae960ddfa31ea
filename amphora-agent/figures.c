/*
 * The agent's own figures, as a response renders them: its counters, the
 * listeners' refusals and the load balancer it serves, copied at the start
 * of the response so that a reload cannot pull them from under it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

const char *
agent_loadbalancer_id(const struct agent *a)
{
	if (a->conf.loadbalancer_id[0] != '\0')
		return a->conf.loadbalancer_id;
	if (a->scraper.loadbalancer_id[0] != '\0')
		return a->scraper.loadbalancer_id;
	return NULL;
}

/* Whether one of the agent's own listeners is called id. */
static int
own_listener(const struct agent *a, const char *id)
{
	const struct agent_listener	*l;

	TAILQ_FOREACH(l, &a->listeners, entry)
		if (strcmp(l->conf.id, id) == 0)
			return 1;
	return 0;
}

/*
 * The certificates of HAProxy's TLS listeners into lc, and cert and ids
 * on, after the agent's own (one listener is never both: the agent's
 * wins). Returns how many listeners.
 */
static size_t
haproxy_certs(const struct agent *a, struct expo_listener_certs *lc,
    struct expo_cert *cert, char *ids)
{
	const struct hcerts_listener	*hl;
	size_t				 i, n = 0;

	for (i = 0; i < a->scraper.hcerts.nl; i++) {
		hl = &a->scraper.hcerts.l[i];
		if (hl->ncerts == 0 || own_listener(a, hl->listener))
			continue;
		memcpy(cert, hl->certs, hl->ncerts * sizeof(*cert));
		memcpy(ids, hl->listener, sizeof(hl->listener));
		lc[n++] = (struct expo_listener_certs){ ids, cert,
		    hl->ncerts };
		cert += hl->ncerts;
		ids += sizeof(hl->listener);
	}
	return n;
}

/*
 * The agent's own figures for a response about to render r, copied whole
 * (a reload may free the configuration, a scrape HAProxy's certificates,
 * while the response streams). The caller frees the result; NULL when out
 * of memory.
 */
struct figures *
agent_figures(struct agent *a, const struct scrape_result *r)
{
	struct figures		*f;
	struct expo_agent	*ea;
	struct agent_listener	*l;
	const struct expo_cert	*certs;
	const struct hcerts	*h = &a->scraper.hcerts;
	struct expo_listener_certs *lc;
	struct expo_cert	*cert;
	char			*ids;
	struct timespec		 now;
	size_t			 i = 0, ncerts = 0, n;

	TAILQ_FOREACH(l, &a->listeners, entry)
		if (l->tls != NULL)
			ncerts += tls_ctx_certs(l->tls, &certs);
	for (i = 0; i < h->nl; i++)
		ncerts += h->l[i].ncerts;
	/* the listeners, HAProxy's, all their certificates, their ids */
	f = calloc(1, sizeof(*f) + a->nlisteners * sizeof(f->listeners[0]) +
	    h->nl * sizeof(*lc) + ncerts * sizeof(*cert) +
	    a->nlisteners * CONFIG_ID_MAX + h->nl * sizeof(h->l[0].listener));
	if (f == NULL)
		return NULL;
	lc = (struct expo_listener_certs *)(void *)&f->listeners[a->nlisteners];
	cert = (struct expo_cert *)(void *)&lc[h->nl];
	ids = (char *)&cert[ncerts];
	i = 0;
	ea = &f->ea;
	ea->socket_queries = a->scraper.queries;
	ea->csv_errors = a->scraper.csv_errors;
	ea->coded_pieces = a->pieces.bytes;
	ea->version = AGENT_VERSION;
	if (agent_loadbalancer_id(a) != NULL) {
		strlcpy(f->loadbalancer_id, agent_loadbalancer_id(a),
		    sizeof(f->loadbalancer_id));
		ea->loadbalancer_id = f->loadbalancer_id;
	}
	/* no snapshot served, no age: NaN, which never looks fresh */
	ea->cpu = ea->memory = ea->scrape_duration = ea->snapshot_age = NAN;
	if (r->ref != NULL) {
		ea->cpu = r->ref->cpu;
		ea->memory = r->ref->memory;
	}
	ea->ipvs_up = a->scraper.ipvs_up;
	if (r->ref != NULL && r->ref->ok) {
		ea->haproxy_up = r->ref->haproxy_ok;
		clock_now(&now);
		ea->scrape_duration = r->ref->duration;
		ea->snapshot_age = timespec_elapsed(&r->ref->taken, &now);
	}
	TAILQ_FOREACH(l, &a->listeners, entry) {
		char *id = ids + i * CONFIG_ID_MAX;

		strlcpy(id, l->conf.id, CONFIG_ID_MAX);
		if (l->tls != NULL) {
			n = tls_ctx_certs(l->tls, &certs);
			memcpy(cert, certs, n * sizeof(*cert));
			f->listeners[i].certs = cert;
			f->listeners[i].ncerts = n;
			cert += n;
		}
		f->listeners[i].listener = id;
		f->listeners[i].denied = l->denied;
		memcpy(f->listeners[i].rejected, l->rejected,
		    sizeof(l->rejected));
		if (l->tls != NULL)
			f->listeners[i].tls_allowed = l->conf.tls.versions;
		memcpy(f->listeners[i].tls_failures, l->tls_failures,
		    sizeof(l->tls_failures));
		memcpy(f->listeners[i++].tls_versions, l->tls_versions,
		    sizeof(l->tls_versions));
	}
	ea->listeners = f->listeners;
	ea->nlisteners = i;
	ea->haproxy_certs = lc;
	ea->nhaproxy_certs = haproxy_certs(a, lc, cert,
	    ids + a->nlisteners * CONFIG_ID_MAX);
	ea->cert_file_errors = h->errors;
	return f;
}
