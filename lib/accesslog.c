#include <stdio.h>
#include <string.h>

#include "accesslog.h"
#include "wbuf.h"

#define LOG_INFO_SEVERITY	6

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/*
 * A quoted field as HAProxy writes one: what is not printable ASCII, the
 * quote and '#' become "#XX", so a field never breaks the line or the
 * quoting, whatever a client sends. At most max bytes of s are read.
 */
static void
put_quoted(struct wbuf *w, const char *s, size_t n, size_t max)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i;
	char			 esc[3];

	wbuf_putc(w, '"');
	for (i = 0; i < n && i < max; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '#') {
			wbuf_putc(w, (char)p[i]);
			continue;
		}
		esc[0] = '#';
		esc[1] = hex[p[i] >> 4];
		esc[2] = hex[p[i] & 0xf];
		wbuf_add(w, esc, 3);
	}
	wbuf_putc(w, '"');
}

/* An unquoted field: a word of [!-~] without '"', else "-". */
static void
put_word(struct wbuf *w, const char *s)
{
	size_t	 i, n = s == NULL ? 0 : strlen(s);

	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"')
			break;
	if (n == 0 || i < n || n > 128)
		wbuf_putc(w, '-');
	else
		wbuf_add(w, s, n);
}

size_t
access_log_format(char *buf, size_t len, int facility, const char *tag,
    long pid, const struct access_entry *e)
{
	const struct tm	*t = &e->accepted;
	struct wbuf	 w;
	char		 num[160];
	int		 mon = t->tm_mon >= 0 && t->tm_mon < 12 ? t->tm_mon : 0;

	if (len == 0)
		return 0;
	wbuf_init_fixed(&w, buf, len - 1);
	snprintf(num, sizeof(num), "<%d>%s %2d %02d:%02d:%02d ",
	    facility * 8 + LOG_INFO_SEVERITY, months[mon], t->tm_mday,
	    t->tm_hour, t->tm_min, t->tm_sec);
	wbuf_add(&w, num, strlen(num));
	put_word(&w, tag);
	snprintf(num, sizeof(num), "[%ld]: ", pid);
	wbuf_add(&w, num, strlen(num));

	put_word(&w, e->project_id);
	wbuf_putc(&w, ' ');
	put_word(&w, e->loadbalancer_id);
	wbuf_putc(&w, ' ');
	put_word(&w, e->listener);
	wbuf_putc(&w, ' ');
	put_word(&w, e->client_ip);
	snprintf(num, sizeof(num), " %u [%02d/%s/%04d:%02d:%02d:%02d.%03u] ",
	    e->client_port, t->tm_mday, months[mon], t->tm_year + 1900,
	    t->tm_hour, t->tm_min, t->tm_sec, e->accepted_ms % 1000);
	wbuf_add(&w, num, strlen(num));
	if (e->request_len == 0)
		wbuf_add(&w, "\"<BADREQ>\"", 10);
	else
		put_quoted(&w, e->request, e->request_len, ACCESS_REQUEST_MAX);
	snprintf(num, sizeof(num), " %d %llu %llu %ld ", e->status,
	    (unsigned long long)e->bytes_out, (unsigned long long)e->bytes_in,
	    e->verify);
	wbuf_add(&w, num, strlen(num));
	put_quoted(&w, e->client_dn ? e->client_dn : "",
	    e->client_dn ? strlen(e->client_dn) : 0, ACCESS_DN_MAX);
	/* the backend and server: the agent answers itself */
	snprintf(num, sizeof(num), " %s - %ld ", "amphora-prometheus-agent",
	    e->total_ms);
	wbuf_add(&w, num, strlen(num));
	put_word(&w, e->term);
	wbuf_putc(&w, ' ');
	put_word(&w, e->tls_version);
	/* ACCESS_LOG_MAX holds the longest line the bounds allow */
	if (wbuf_failed(&w)) {
		buf[0] = '\0';
		return 0;
	}
	buf[w.len] = '\0';
	return w.len;
}
