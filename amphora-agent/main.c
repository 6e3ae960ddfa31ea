/*
 * amphora-prometheus-agent: serves an Octavia load balancer's HAProxy
 * statistics as Prometheus metrics labelled with Octavia UUIDs.
 */
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <linux/capability.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "gzip.h"
#include "log.h"

#define NSIGS			(sizeof(sigs) / sizeof(sigs[0]))
#define FD_RESERVE		((rlim_t)32)	/* stats socket, logs, /proc */
#define FD_RECORDS_MAX		65536		/* reserve_fd_records() */
/*
 * What a connection holds, as tests/load/load.py measures it: a clear one,
 * or a TLS one until its ClientHello is whole, about 3 KiB; an idle TLS
 * one, its session, about 15; a handshake in OpenSSL, 13 more.
 */
#define CONN_KIB		3
#define CONN_TLS_KIB		15
#define HANDSHAKE_KIB		13

enum {
	OPT_LOADBALANCER_ID = 256,
	OPT_ONCE,
};

static const struct option longopts[] = {
	{ "config",		required_argument,	NULL, 'f' },
	{ "stats-socket",	required_argument,	NULL, 's' },
	{ "listen",		required_argument,	NULL, 'l' },
	{ "allowed-cidr",	required_argument,	NULL, 'a' },
	{ "loadbalancer-id",	required_argument,	NULL, OPT_LOADBALANCER_ID },
	{ "once",		no_argument,		NULL, OPT_ONCE },
	{ "check-config",	no_argument,		NULL, 'n' },
	{ "debug",		no_argument,		NULL, 'd' },
	{ "version",		no_argument,		NULL, 'V' },
	{ "help",		no_argument,		NULL, 'h' },
	{ NULL,			0,			NULL, 0 }
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [-dnV] [-f file] [-s socket] [-l addr:port]... "
	    "[-a cidr]...\n"
	    "       [--loadbalancer-id id] [--once]\n"
	    "  -f, --config FILE        config file (default "
	    AGENT_DEFAULT_CONFIG ")\n"
	    "  -s, --stats-socket PATH  HAProxy stats socket, or a pattern "
	    "one socket matches,\n"
	    "                           looked for at each read (default "
	    AGENT_DEFAULT_STATS_SOCKET ")\n"
	    "  -l, --listen ADDR:PORT   serve metrics here; repeatable; "
	    "IPv6 as [addr]:port\n"
	    "  -a, --allowed-cidr CIDR  allow only these peers on the -l "
	    "listeners; repeatable\n"
	    "      --loadbalancer-id ID default: the socket's name when a "
	    "UUID\n"
	    "      --once               print one scrape to stdout and exit\n"
	    "  -n, --check-config       check the configuration and exit\n"
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

static void
parse_args(int argc, char **argv, struct cli_options *o)
{
	struct config_bind	*b;
	struct cidr		*c;
	int			 ch;

	o->config_file = AGENT_DEFAULT_CONFIG;
	while ((ch = getopt_long(argc, argv, "f:s:l:a:ndVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'f':
			o->config_file = optarg;
			o->config_given = 1;
			break;
		case 's':
			if (strlen(optarg) >= sizeof(((struct config *)0)->
			    stats_socket))
				bad_usage("-s: path too long: %s", optarg);
			o->stats_socket = optarg;
			break;
		case 'l':
			b = reallocarray(o->binds, o->nbinds + 1, sizeof(*b));
			if (b == NULL)
				fatal("-l");
			o->binds = b;
			if (config_parse_bind(optarg, &b[o->nbinds]) == -1)
				bad_usage("-l: not ADDR:PORT or [ADDR]:PORT: "
				    "%s", optarg);
			o->nbinds++;
			break;
		case 'a':
			c = reallocarray(o->cidrs, o->ncidrs + 1, sizeof(*c));
			if (c == NULL)
				fatal("-a");
			o->cidrs = c;
			if (cidr_parse(optarg, &c[o->ncidrs]) == -1)
				bad_usage("-a: not a CIDR: %s", optarg);
			o->ncidrs++;
			break;
		case OPT_LOADBALANCER_ID:
			if (strlen(optarg) >= CONFIG_ID_MAX)
				bad_usage("--loadbalancer-id: too long: %s",
				    optarg);
			o->loadbalancer_id = optarg;
			break;
		case OPT_ONCE:
			o->once = 1;
			break;
		case 'n':
			o->check = 1;
			break;
		case 'd':
			o->debug = 1;
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
}

/*
 * What clients can make the agent hold at most, beside its idle size and
 * the snapshots responses read, from the configuration and the descriptor
 * limit: said at start and at each reload.
 */
static void
log_bounds(const struct agent *a)
{
	const struct agent_listener	*l;
	size_t				 hs = 0, kib;
	int				 tls = 0;

	TAILQ_FOREACH(l, &a->listeners, entry)
		if (l->tls != NULL) {
			tls = 1;
			hs += l->conf.tls.handshake_limit;
		}
	if (hs > HANDSHAKES_MAX)
		hs = HANDSHAKES_MAX;
	kib = a->max_conns * (tls ? CONN_TLS_KIB : CONN_KIB) +
	    hs * HANDSHAKE_KIB + (OUTPUT_BUDGET + PIECE_CACHE_MAX) / 1024;
	log_info("bounds: %zu connections of about %d KiB, %zu TLS handshakes "
	    "of %d KiB, %u MiB of output, %u MiB of coded pieces: %zu MiB at "
	    "most beside the snapshots", a->max_conns,
	    tls ? CONN_TLS_KIB : CONN_KIB, hs, HANDSHAKE_KIB,
	    OUTPUT_BUDGET >> 20, PIECE_CACHE_MAX >> 20, (kib + 1023) / 1024);
}

static void
reload(struct agent *a)
{
	struct config	 nc, old;
	struct tls_ctx	**tls;
	char		 err[512];

	if (agent_config_load(&a->cli, &nc, err, sizeof(err)) == -1) {
		log_warnx("reload: %s: keeping the running configuration",
		    err);
		config_free(&nc);
		return;
	}
	if (nc.nlisteners == 0) {
		log_warnx("reload: no listener left: keeping the running "
		    "configuration");
		config_free(&nc);
		return;
	}
	/* entered and dropped once, at start: these need a restart */
	if (strcmp(nc.netns, a->conf.netns) != 0 ||
	    strcmp(nc.user, a->conf.user) != 0)
		log_warnx("reload: netns and user change on restart only");
	strlcpy(nc.netns, a->conf.netns, sizeof(nc.netns));
	strlcpy(nc.user, a->conf.user, sizeof(nc.user));

	/* certificates and CRLs are read again: rotation is a reload */
	if (tls_ctxs_new(&nc, &tls, err, sizeof(err)) == -1) {
		log_warnx("reload: %s: keeping the running configuration",
		    err);
		config_free(&nc);
		return;
	}
	if (listeners_apply(a, &nc, tls, 0) == -1) {
		log_warnx("reload: out of memory: keeping the running "
		    "configuration");
		tls_ctxs_free(tls, nc.nlisteners);
		config_free(&nc);
		return;
	}
	tls_ctxs_free(tls, nc.nlisteners);
	old = a->conf;
	a->conf = nc;
	config_free(&old);
	log_info("reloaded: %zu listeners, stats socket %s", a->nlisteners,
	    a->conf.stats_socket);
	log_bounds(a);
}

static void
drain_expired(evutil_socket_t fd, short ev, void *arg)
{
	struct agent	*a = arg;

	(void)fd;
	(void)ev;
	log_warnx("stopping: %zu connections still open after %d s",
	    a->nconns, DRAIN_SECONDS);
	event_base_loopexit(a->base, NULL);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct agent	*a = arg;
	struct timeval	 tv = { DRAIN_SECONDS, 0 };

	(void)ev;
	if (sig == SIGHUP) {
		if (!a->stopping) {
			notify_reloading();
			reload(a);
			notify_ready("serving %zu listeners", a->nlisteners);
		}
		return;
	}
	if (a->stopping) {
		event_base_loopexit(a->base, NULL);
		return;
	}
	log_info("signal %d: stopping, %zu connections to finish", (int)sig,
	    a->nconns);
	notify_stopping();
	a->stopping = 1;
	listeners_stop(a);
	if (a->nconns == 0)
		event_base_loopexit(a->base, NULL);
	else if ((a->drain_timer = evtimer_new(a->base, drain_expired,
	    a)) != NULL)
		evtimer_add(a->drain_timer, &tv);
}

static void
once_done(const struct scrape_result *r, void *arg)
{
	struct agent	*a = arg;

	struct figures		*f;
	struct expo_cursor	 cur;
	struct wbuf		 piece;
	int			 done = 0;

	event_base_loopbreak(a->base);
	if (r->ref == NULL || !r->ref->ok) {
		if (r->ref == NULL)	/* else the scraper said why */
			log_warnx("HAProxy not read: %s", r->error);
		a->once_status = 1;
		return;
	}
	if ((f = agent_figures(a, r)) == NULL)
		fatal("figures");
	expo_cursor_init(&cur, &r->ref->snap, &f->ea, EXPO_SCOPES_ALL,
	    EXPO_TEXT);
	while (!done) {
		wbuf_init_fixed(&piece, a->scratch, CHUNK_SIZE);
		done = expo_render_some(&cur, &piece, CHUNK_SIZE);
		if (fwrite(piece.data, 1, piece.len, stdout) != piece.len) {
			log_warn("writing the metrics");
			a->once_status = 1;
			break;
		}
	}
	if (fflush(stdout) != 0) {
		log_warn("writing the metrics");
		a->once_status = 1;
	}
	free(f);
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

static void
fd_record_made(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
}

/*
 * libevent keeps a small record for each descriptor number it has ever
 * watched, as long as the event base lives, made the first time. Made
 * during a flood of connections, one lands between each connection's
 * memory and the next: when they close, no page of theirs is wholly free
 * and none goes back to the system (RSS stayed up by all of it). Made
 * here for every number the agent may use, they lie together, apart.
 */
static void
reserve_fd_records(struct agent *a)
{
	struct event	*ev;
	int		 probe, fd, last;

	last = (int)(a->max_conns + FD_RESERVE);
	if (last > FD_RECORDS_MAX)
		last = FD_RECORDS_MAX;
	if ((probe = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		return;
	if ((ev = event_new(a->base, probe, EV_READ, fd_record_made,
	    NULL)) == NULL) {
		close(probe);
		return;
	}
	for (fd = probe + 1; fd < last; fd++) {
		if (fcntl(fd, F_GETFD) != -1)		/* in use */
			continue;
		if (dup3(probe, fd, O_CLOEXEC) == -1)
			break;
		if (event_assign(ev, a->base, fd, EV_READ, fd_record_made,
		    NULL) == 0 && event_add(ev, NULL) == 0)
			event_del(ev);
		close(fd);
	}
	event_free(ev);
	close(probe);
}

/* Octavia's directory: the stats socket's (/var/lib/octavia). */
static void
opener_root(const char *socket, char *root, size_t size)
{
	const char	*slash = strrchr(socket, '/');
	size_t		 n = slash != NULL ? (size_t)(slash - socket) : 0;

	if (n == 0 || n >= size)
		n = 0;		/* "": no file is under it */
	memcpy(root, socket, n);
	root[n] = '\0';
}

int
main(int argc, char **argv)
{
	static struct agent	 agent;
	struct agent		*a = &agent;
	struct agent_listener	*l;
	struct scrape_waiter	 once_waiter;
	struct tls_ctx		**tls = NULL;
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP };
	sigset_t		 held, unheld;
	char			 root[256];
	char			 err[512];
	size_t			 i;
	uint64_t		 seed;

	parse_args(argc, argv, &a->cli);
	/* --once and -n say only what went wrong, unless -d */
	log_init(a->cli.debug || a->cli.once || a->cli.check, a->cli.debug ?
	    LOG_DEBUG : a->cli.once || a->cli.check ? LOG_WARNING : LOG_INFO,
	    AGENT_NAME);
	if (agent_config_load(&a->cli, &a->conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", AGENT_NAME, err);
		return 1;
	}
	if (!a->cli.once && a->conf.nlisteners == 0) {
		fprintf(stderr, "%s: nothing to serve: no listener in %s and "
		    "no -l\n", AGENT_NAME, a->cli.config_file);
		usage(stderr);
		return 1;
	}
	/* at start, as root: a file the dropped user cannot read fails on
	 * reload, and says so then; -n reads them as whoever runs it */
	if (!a->cli.once && tls_ctxs_new(&a->conf, &tls, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", AGENT_NAME, err);
		return 1;
	}
	if (a->cli.check) {
		tls_ctxs_free(tls, a->conf.nlisteners);
		config_free(&a->conf);
		printf("configuration OK\n");
		return 0;
	}

	signal(SIGPIPE, SIG_IGN);
	TAILQ_INIT(&a->listeners);
	if (!a->cli.once)
		notify_open();
	if (!a->cli.once && a->conf.netns[0] != '\0')
		priv_enter_netns(a->conf.netns);
	if ((a->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if ((a->scratch = malloc(CHUNK_SIZE)) == NULL ||
	    (a->zscratch = malloc(CHUNK_SIZE)) == NULL)
		fatal("scratch");
	wbuf_init(&a->piece_text, EXPO_PIECE_MAX(EXPO_PIECE_ROWS));
	wbuf_init(&a->piece_code, 2 * EXPO_PIECE_MAX(EXPO_PIECE_ROWS));
	arc4random_buf(&seed, sizeof(seed));
	pieces_init(&a->pieces, seed);
	scrape_init(&a->scraper, a);
	a->ipvs.fd = -1;
	a->opener.fd = a->opener.pid = -1;
	a->access.fd = -1;
	if (http_budget_init(a) == -1)
		fatalx("cannot set up the output budget");
	set_max_conns(a);
	reserve_fd_records(a);

	if (a->cli.once) {
		once_waiter.cb = once_done;
		once_waiter.arg = a;
		once_waiter.deadline = NULL;
		scrape_request(&a->scraper, &once_waiter, 0);
		event_base_dispatch(a->base);
		scrape_free(&a->scraper);
		free(a->scratch);
		free(a->zscratch);
		wbuf_free(&a->piece_text);
		wbuf_free(&a->piece_code);
		config_free(&a->conf);
		event_base_free(a->base);
		return a->once_status;
	}

	/*
	 * Held until their handlers are in: the listeners are bound first,
	 * and a SIGHUP sent as soon as the port answers must reload, not
	 * end the agent by its default action.
	 */
	sigemptyset(&held);
	for (i = 0; i < NSIGS; i++)
		sigaddset(&held, sigs[i]);
	sigprocmask(SIG_BLOCK, &held, &unheld);

	/* IPVS's reader keeps CAP_NET_ADMIN; the rest of the agent does not */
	if (ipvs_reader_start(&a->ipvs, a->conf.user) == -1)
		log_warn("IPVS reader");
	/* and Octavia's files, those beside the stats socket, CAP_DAC_READ_SEARCH */
	opener_root(a->conf.stats_socket, root, sizeof(root));
	if (opener_start(&a->opener, a->conf.user, root,
	    a->conf.haproxy_config) == -1)
		log_warn("file opener");
	a->privileged = priv_can_bind_low_ports();
	if (listeners_apply(a, &a->conf, tls, 1) == -1)
		fatalx("cannot serve all listeners");
	tls_ctxs_free(tls, a->conf.nlisteners);
	if (a->conf.user[0] != '\0') {
		priv_drop(a->conf.user);
		a->privileged = priv_can_bind_low_ports();
	}
	priv_drop_cap(CAP_NET_ADMIN);	/* the IPVS reader has its own */
	priv_drop_cap(CAP_DAC_READ_SEARCH);	/* the opener has its own */
	for (i = 0; i < NSIGS; i++) {
		a->sigev[i] = evsignal_new(a->base, sigs[i], on_signal, a);
		if (a->sigev[i] == NULL || evsignal_add(a->sigev[i], NULL) == -1)
			fatalx("cannot handle signal %d", sigs[i]);
	}
	sigprocmask(SIG_SETMASK, &unheld, NULL);
	log_info("%s %s started: stats socket %s, load balancer %s, gzip by "
	    "%s", AGENT_NAME, AGENT_VERSION, a->conf.stats_socket,
	    a->conf.loadbalancer_id[0] ? a->conf.loadbalancer_id :
	    "named by the socket", gzip_backend());
	log_bounds(a);
	notify_watchdog_start(a->base);
	notify_ready("serving %zu listeners", a->nlisteners);

	event_base_dispatch(a->base);

	while ((l = TAILQ_FIRST(&a->listeners)) != NULL) {
		TAILQ_REMOVE(&a->listeners, l, entry);
		listener_free(l);
	}
	for (i = 0; i < NSIGS; i++)
		event_free(a->sigev[i]);
	if (a->drain_timer != NULL)
		event_free(a->drain_timer);
	scrape_free(&a->scraper);
	ipvs_reader_free(&a->ipvs);
	opener_free(&a->opener);
	access_sink_close(&a->access);
	pieces_free(&a->pieces);
	http_budget_free(a);
	free(a->scratch);
	free(a->zscratch);
	wbuf_free(&a->piece_text);
	wbuf_free(&a->piece_code);
	config_free(&a->conf);
	free(a->cli.binds);
	free(a->cli.cidrs);
	notify_close();
	event_base_free(a->base);
	log_info("stopped");
	return 0;
}
