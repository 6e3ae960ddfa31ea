/*
 * amphora-prometheus-agent: serves an Octavia load balancer's HAProxy
 * statistics as Prometheus metrics labelled with Octavia UUIDs.
 */
#include <sys/resource.h>
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "log.h"
#include "octavia.h"

#define OCTAVIA_SOCKET_GLOB	"/var/lib/octavia/*.sock"
#define NSIGS			(sizeof(sigs) / sizeof(sigs[0]))
#define FD_RESERVE		32	/* for the stats socket, logs, /proc */

enum {
	OPT_LOADBALANCER_ID = 256,
	OPT_ONCE,
};

static const struct option longopts[] = {
	{ "stats-socket",	required_argument,	NULL, 's' },
	{ "listen",		required_argument,	NULL, 'l' },
	{ "allowed-cidr",	required_argument,	NULL, 'a' },
	{ "loadbalancer-id",	required_argument,	NULL, OPT_LOADBALANCER_ID },
	{ "once",		no_argument,		NULL, OPT_ONCE },
	{ "debug",		no_argument,		NULL, 'd' },
	{ "version",		no_argument,		NULL, 'V' },
	{ "help",		no_argument,		NULL, 'h' },
	{ NULL,			0,			NULL, 0 }
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [-dV] [-s socket] [-l addr:port]... [-a cidr]...\n"
	    "       [--loadbalancer-id id] [--once]\n"
	    "  -s, --stats-socket PATH  HAProxy stats socket (default: the "
	    "single\n"
	    "                           " OCTAVIA_SOCKET_GLOB ")\n"
	    "  -l, --listen ADDR:PORT   serve metrics here; repeatable; "
	    "IPv6 as [addr]:port\n"
	    "  -a, --allowed-cidr CIDR  allow only these peers; repeatable\n"
	    "      --loadbalancer-id ID default: the socket's name when a "
	    "UUID\n"
	    "      --once               print one scrape to stdout and exit\n"
	    "  -d, --debug              log to stderr at debug level\n"
	    "  -V, --version            print the version and exit\n",
	    AGENT_NAME);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", AGENT_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	exit(1);
}

/* The only socket matching OCTAVIA_SOCKET_GLOB, or a clear error. */
static void
default_stats_socket(struct config *conf)
{
	glob_t	 g;
	int	 rc;

	rc = glob(OCTAVIA_SOCKET_GLOB, 0, NULL, &g);
	if (rc == GLOB_NOMATCH || (rc == 0 && g.gl_pathc == 0))
		fatalx("no HAProxy stats socket matches %s: name one with -s",
		    OCTAVIA_SOCKET_GLOB);
	if (rc != 0)
		fatalx("cannot list %s", OCTAVIA_SOCKET_GLOB);
	if (g.gl_pathc > 1)
		fatalx("%zu stats sockets match %s: name one with -s",
		    g.gl_pathc, OCTAVIA_SOCKET_GLOB);
	if (strlcpy(conf->stats_socket, g.gl_pathv[0],
	    sizeof(conf->stats_socket)) >= sizeof(conf->stats_socket))
		fatalx("stats socket path too long: %s", g.gl_pathv[0]);
	globfree(&g);
}

/* Octavia names the socket after the load balancer: <uuid>.sock. */
static void
default_loadbalancer_id(struct config *conf)
{
	const char	*base = strrchr(conf->stats_socket, '/');
	size_t		 len;

	base = base ? base + 1 : conf->stats_socket;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".sock") == 0 &&
	    octavia_is_uuid(base, len - 5))
		memcpy(conf->loadbalancer_id, base, len - 5);
}

static void
parse_args(int argc, char **argv, struct config *conf, int *once, int *debug)
{
	struct config_bind	 b;
	struct cidr		*cidrs = NULL, *p;
	size_t			 ncidrs = 0, i, j;
	int			 ch;

	while ((ch = getopt_long(argc, argv, "s:l:a:dVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			if (strlcpy(conf->stats_socket, optarg,
			    sizeof(conf->stats_socket)) >=
			    sizeof(conf->stats_socket))
				bad_usage("-s: path too long: %s", optarg);
			break;
		case 'l':
			if (config_parse_bind(optarg, &b) == -1)
				bad_usage("-l: not ADDR:PORT or [ADDR]:PORT: "
				    "%s", optarg);
			if (config_listener_add(conf, b.text) == NULL ||
			    config_listener_add_bind(&conf->listeners[
			    conf->nlisteners - 1], &b) == -1)
				fatal("listener");
			break;
		case 'a':
			p = reallocarray(cidrs, ncidrs + 1, sizeof(*p));
			if (p == NULL)
				fatal("cidr");
			cidrs = p;
			if (cidr_parse(optarg, &cidrs[ncidrs]) == -1)
				bad_usage("-a: not a CIDR: %s", optarg);
			ncidrs++;
			break;
		case OPT_LOADBALANCER_ID:
			if (strlcpy(conf->loadbalancer_id, optarg,
			    sizeof(conf->loadbalancer_id)) >=
			    sizeof(conf->loadbalancer_id))
				bad_usage("--loadbalancer-id: too long: %s",
				    optarg);
			break;
		case OPT_ONCE:
			*once = 1;
			break;
		case 'd':
			*debug = 1;
			break;
		case 'V':
			printf("%s %s\n", AGENT_NAME, AGENT_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(1);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument: %s", argv[optind]);
	/* -a applies to every -l, wherever it stands on the line */
	for (i = 0; i < conf->nlisteners; i++)
		for (j = 0; j < ncidrs; j++)
			if (config_listener_add_cidr(&conf->listeners[i],
			    &cidrs[j]) == -1)
				fatal("cidr");
	free(cidrs);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct agent	*a = arg;

	(void)ev;
	switch (sig) {
	case SIGHUP:
		log_info("SIGHUP: nothing to reload without a config file");
		break;
	default:
		log_info("signal %d: exiting", (int)sig);
		event_base_loopexit(a->base, NULL);
	}
}

static void
once_done(const struct scrape_result *r, void *arg)
{
	struct agent	*a = arg;

	if (r->snap == NULL) {
		log_warnx("HAProxy not read: %s", r->error);
		a->once_status = 1;
	} else {
		wbuf_reset(&a->body);
		agent_render(a, r, EXPO_SCOPES_ALL, &a->body);
		if (wbuf_failed(&a->body) ||
		    fwrite(a->body.data, 1, a->body.len, stdout) !=
		    a->body.len || fflush(stdout) != 0) {
			log_warn("writing the metrics");
			a->once_status = 1;
		}
	}
	event_base_loopbreak(a->base);
}

static void
set_max_conns(struct agent *a)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 20)
		rl.rlim_cur = 1u << 20;
	a->max_conns = rl.rlim_cur > 2 * FD_RESERVE ?
	    (size_t)rl.rlim_cur - FD_RESERVE : FD_RESERVE;
}

int
main(int argc, char **argv)
{
	static struct agent	 agent;
	struct agent		*a = &agent;
	struct scrape_waiter	 once_waiter;
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP };
	size_t			 i;
	int			 debug = 0;

	config_init(&a->conf);
	parse_args(argc, argv, &a->conf, &a->once, &debug);
	log_init(debug || a->once, debug, AGENT_NAME);

	if (a->conf.stats_socket[0] == '\0')
		default_stats_socket(&a->conf);
	if (a->conf.loadbalancer_id[0] == '\0')
		default_loadbalancer_id(&a->conf);
	if (!a->once && a->conf.nlisteners == 0)
		bad_usage("%s", "nothing to serve: give -l ADDR:PORT "
		    "(or --once)");

	signal(SIGPIPE, SIG_IGN);
	if ((a->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	wbuf_init(&a->body, BODY_MAX);
	scrape_init(&a->scraper, a);
	set_max_conns(a);

	if (a->once) {
		once_waiter.cb = once_done;
		once_waiter.arg = a;
		scrape_request(&a->scraper, &once_waiter);
		event_base_dispatch(a->base);
		return a->once_status;
	}

	if ((a->listeners = calloc(a->conf.nlisteners,
	    sizeof(*a->listeners))) == NULL)
		fatal("listeners");
	for (i = 0; i < a->conf.nlisteners; i++) {
		a->listeners[i].conf = a->conf.listeners[i];
		if (listener_open(a, &a->listeners[i]) == -1)
			fatalx("cannot serve on %s", a->conf.listeners[i].id);
		a->nlisteners++;
	}
	for (i = 0; i < NSIGS; i++) {
		a->sigev[i] = evsignal_new(a->base, sigs[i], on_signal, a);
		if (a->sigev[i] == NULL || evsignal_add(a->sigev[i], NULL) == -1)
			fatalx("cannot handle signal %d", sigs[i]);
	}
	log_info("%s %s started: stats socket %s, load balancer %s",
	    AGENT_NAME, AGENT_VERSION, a->conf.stats_socket,
	    a->conf.loadbalancer_id[0] ? a->conf.loadbalancer_id : "unknown");

	event_base_dispatch(a->base);

	for (i = 0; i < a->nlisteners; i++)
		listener_close(&a->listeners[i]);
	for (i = 0; i < NSIGS; i++)
		event_free(a->sigev[i]);
	free(a->listeners);
	scrape_free(&a->scraper);
	wbuf_free(&a->body);
	config_free(&a->conf);
	event_base_free(a->base);
	return 0;
}
