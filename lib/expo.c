#include <math.h>
#include <string.h>

#include "expo.h"
#include "metrics.h"

static const char *const hrsp_codes[] = {
	"1xx", "2xx", "3xx", "4xx", "5xx", "other"
};

/* States each scope's status family lists, in HAProxy's order. */
static const uint8_t listener_states[] = { STATE_DOWN, STATE_UP };
static const uint8_t member_states[] = {
	STATE_DOWN, STATE_UP, STATE_MAINT, STATE_DRAIN, STATE_NOLB
};

struct family_out {
	struct wbuf			*b;
	const struct metric_family	*fam;
	enum expo_format		 format;
	int				 started;
};

void
expo_label_value(struct wbuf *b, const char *s)
{
	const char	*run = s;

	for (; *s != '\0'; s++) {
		const char *esc;

		switch (*s) {
		case '\\':
			esc = "\\\\";
			break;
		case '"':
			esc = "\\\"";
			break;
		case '\n':
			esc = "\\n";
			break;
		default:
			continue;
		}
		wbuf_add(b, run, (size_t)(s - run));
		wbuf_add(b, esc, 2);
		run = s + 1;
	}
	wbuf_add(b, run, (size_t)(s - run));
}

/* HELP and TYPE, written before the first sample of a family only. */
static void
family_begin(struct family_out *fo)
{
	struct wbuf	*b = fo->b;
	const char	*name = fo->fam->name;
	size_t		 len = strlen(name);

	if (fo->started)
		return;
	fo->started = 1;
	/* OpenMetrics names a counter family without its _total suffix */
	if (fo->format == EXPO_OPENMETRICS && fo->fam->type == MT_COUNTER)
		len -= sizeof("_total") - 1;
	wbuf_puts(b, "# HELP " METRIC_PREFIX);
	wbuf_add(b, name, len);
	wbuf_putc(b, ' ');
	wbuf_puts(b, fo->fam->help);
	wbuf_puts(b, ".\n# TYPE " METRIC_PREFIX);
	wbuf_add(b, name, len);
	wbuf_putc(b, ' ');
	wbuf_puts(b, metric_type_name(fo->fam->type));
	wbuf_putc(b, '\n');
}

/*
 * "octavia_<name>{<labels>,<k1>="<v1>",...} ": everything up to the value.
 * labels is label text ready to print (may be empty); kv holds nkv pairs of
 * label names and values, the values escaped here.
 */
static void
sample_begin(struct family_out *fo, const char *labels, size_t llen,
    const char *const *kv, size_t nkv)
{
	struct wbuf	*b = fo->b;
	size_t		 i;

	family_begin(fo);
	wbuf_puts(b, METRIC_PREFIX);
	wbuf_puts(b, fo->fam->name);
	if (llen > 0 || nkv > 0) {
		wbuf_putc(b, '{');
		wbuf_add(b, labels, llen);
		for (i = 0; i < nkv; i++) {
			if (llen > 0 || i > 0)
				wbuf_putc(b, ',');
			wbuf_puts(b, kv[2 * i]);
			wbuf_puts(b, "=\"");
			expo_label_value(b, kv[2 * i + 1]);
			wbuf_putc(b, '"');
		}
		wbuf_putc(b, '}');
	}
	wbuf_putc(b, ' ');
}

/* A sample with at most one extra label (key NULL: none). */
static void
sample_begin1(struct family_out *fo, const char *labels, size_t llen,
    const char *key, const char *val)
{
	const char	*kv[2] = { key, val };

	sample_begin(fo, labels, llen, kv, key != NULL);
}

static void
put_double(struct wbuf *b, double v)
{
	if (isnan(v))
		wbuf_puts(b, "NaN");
	else
		wbuf_printf(b, "%.9g", v);
}

/* Milliseconds as seconds with six decimals, as HAProxy's exporter does. */
static void
put_ms(struct wbuf *b, uint64_t v, int neg)
{
	char	 frac[7];
	uint64_t us;
	int	 i;

	if (neg) {
		wbuf_putc(b, '-');
		v = (uint64_t)0 - v;
	}
	wbuf_u64(b, v / 1000);
	us = (v % 1000) * 1000;
	frac[0] = '.';
	for (i = 6; i >= 1; i--) {
		frac[i] = '0' + (char)(us % 10);
		us /= 10;
	}
	wbuf_add(b, frac, sizeof(frac));
}

static void
put_value(struct wbuf *b, const struct snap_row *r, int col,
    enum metric_conv conv)
{
	int	 neg = (r->neg >> col) & 1;

	if (!snap_row_has(r, col))
		wbuf_puts(b, "NaN");
	else if (conv == CONV_MS)
		put_ms(b, r->v[col], neg);
	else if (neg)
		wbuf_s64(b, (int64_t)r->v[col]);
	else
		wbuf_u64(b, r->v[col]);
	wbuf_putc(b, '\n');
}

static int
row_wanted(const struct metric_family *fam, const struct snap_row *r)
{
	return !(fam->flags & MF_HTTP) || r->http;
}

static void
render_rows(struct family_out *fo, const struct snapshot *snap)
{
	const struct metric_family	*fam = fo->fam;
	const struct snap_rows		*rs = &snap->rows[fam->scope];
	const struct snap_row		*r;
	const uint8_t			*states;
	size_t				 i, k, nstates;

	switch (fam->conv) {
	case CONV_STATUS:
		if (!snap->have_status)
			return;
		if (fam->scope == SCOPE_MEMBER) {
			states = member_states;
			nstates = sizeof(member_states);
		} else {
			states = listener_states;
			nstates = sizeof(listener_states);
		}
		for (i = 0; i < rs->n; i++) {
			r = &rs->row[i];
			for (k = 0; k < nstates; k++) {
				sample_begin1(fo, r->labels, r->labels_len,
				    "state", snap_state_names[states[k]]);
				wbuf_puts(fo->b, r->state == states[k] ?
				    "1\n" : "0\n");
			}
		}
		return;
	case CONV_HRSP:
		for (k = 0; k < 6; k++) {
			if (!snapshot_has_col(snap, fam->src + (int)k))
				continue;
			for (i = 0; i < rs->n; i++) {
				r = &rs->row[i];
				if (!row_wanted(fam, r))
					continue;
				sample_begin1(fo, r->labels, r->labels_len,
				    "code", hrsp_codes[k]);
				put_value(fo->b, r, fam->src + (int)k, CONV_INT);
			}
		}
		return;
	default:
		if (!snapshot_has_col(snap, fam->src))
			return;
		for (i = 0; i < rs->n; i++) {
			r = &rs->row[i];
			if (!row_wanted(fam, r))
				continue;
			sample_begin1(fo, r->labels, r->labels_len, NULL, NULL);
			put_value(fo->b, r, fam->src, fam->conv);
		}
	}
}

static void
render_agent(struct family_out *fo, const struct snapshot *snap,
    const struct expo_agent *a)
{
	struct wbuf	*b = fo->b;
	size_t		 i;

	switch (fo->fam->src) {
	case AGENT_HAPROXY_UP:
		sample_begin1(fo, "", 0, NULL, NULL);
		wbuf_puts(b, a->haproxy_up ? "1\n" : "0\n");
		break;
	case AGENT_SCRAPE_DURATION:
		sample_begin1(fo, "", 0, NULL, NULL);
		put_double(b, a->scrape_duration);
		wbuf_putc(b, '\n');
		break;
	case AGENT_SNAPSHOT_AGE:
		sample_begin1(fo, "", 0, NULL, NULL);
		put_double(b, a->snapshot_age);
		wbuf_putc(b, '\n');
		break;
	case AGENT_SOCKET_QUERIES:
		sample_begin1(fo, "", 0, NULL, NULL);
		wbuf_u64(b, a->socket_queries);
		wbuf_putc(b, '\n');
		break;
	case AGENT_CSV_ERRORS:
		sample_begin1(fo, "", 0, NULL, NULL);
		wbuf_u64(b, a->csv_errors);
		wbuf_putc(b, '\n');
		break;
	case AGENT_DENIED_CONNECTIONS:
		for (i = 0; i < a->ndenied; i++) {
			sample_begin1(fo, "", 0, "listener",
			    a->denied[i].listener);
			wbuf_u64(b, a->denied[i].count);
			wbuf_putc(b, '\n');
		}
		break;
	case AGENT_BUILD_INFO:
		sample_begin1(fo, "", 0, "version", a->version);
		wbuf_puts(b, "1\n");
		break;
	case AGENT_LOADBALANCER_INFO: {
		const char *kv[4] = {
			"loadbalancer", a->loadbalancer_id ? a->loadbalancer_id : "",
			"haproxy_version", snap ? snap->haproxy_version : "",
		};

		sample_begin(fo, "", 0, kv, 2);
		wbuf_puts(b, "1\n");
		break;
	}
	}
}

void
expo_render(struct wbuf *out, const struct snapshot *snap,
    const struct expo_agent *agent, unsigned scopes, enum expo_format format)
{
	const struct metric_family	*fam;
	struct family_out		 fo;
	unsigned			 i;

	for (i = 0; i < metric_family_count; i++) {
		fam = &metric_families[i];
		if (!(scopes & (1u << fam->scope)))
			continue;
		fo.b = out;
		fo.fam = fam;
		fo.format = format;
		fo.started = 0;
		switch (fam->conv) {
		case CONV_AGENT:
			render_agent(&fo, snap, agent);
			break;
		case CONV_COMPUTED_CPU:
		case CONV_COMPUTED_MEMORY:
			sample_begin1(&fo, "", 0, NULL, NULL);
			put_double(out, fam->conv == CONV_COMPUTED_CPU ?
			    agent->cpu : agent->memory);
			wbuf_putc(out, '\n');
			break;
		default:
			if (snap == NULL)
				break;
			if (fam->scope == SCOPE_LOADBALANCER) {
				if (!((snap->info_have >> fam->src) & 1))
					break;
				sample_begin1(&fo, "", 0, NULL, NULL);
				wbuf_u64(out, snap->info[fam->src]);
				wbuf_putc(out, '\n');
			} else
				render_rows(&fo, snap);
		}
	}
	if (format == EXPO_OPENMETRICS)
		wbuf_puts(out, "# EOF\n");
}
