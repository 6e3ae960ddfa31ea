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

/*
 * The agent's own figures for a response about to render r, copied whole
 * (a reload may free the configuration while the response streams). The
 * caller frees the result; NULL when out of memory.
 */
struct figures *
agent_figures(struct agent *a, const struct scrape_result *r)
{
	struct figures		*f;
	struct expo_agent	*ea;
	struct agent_listener	*l;
	const struct expo_cert	*certs;
	struct expo_cert	*cert;
	char			*ids;
	struct timespec		 now;
	size_t			 i = 0, ncerts = 0, n;

	TAILQ_FOREACH(l, &a->listeners, entry)
		if (l->tls != NULL)
			ncerts += tls_ctx_certs(l->tls, &certs);
	/* the listeners, their certificates, then their ids */
	f = calloc(1, sizeof(*f) + a->nlisteners * sizeof(f->listeners[0]) +
	    ncerts * sizeof(*cert) + a->nlisteners * CONFIG_ID_MAX);
	if (f == NULL)
		return NULL;
	cert = (struct expo_cert *)(void *)&f->listeners[a->nlisteners];
	ids = (char *)&cert[ncerts];
	ea = &f->ea;
	ea->socket_queries = a->scraper.queries;
	ea->csv_errors = a->scraper.csv_errors;
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
	return f;
}
