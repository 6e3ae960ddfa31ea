/*
 * IPVS through a reader that alone holds CAP_NET_ADMIN. Every IPVS
 * netlink command, even a dump, needs it, checked at each message, and
 * the HTTP parser facing the internet must not hold it: before the agent
 * drops its privileges it forks a supervisor that keeps only
 * CAP_NET_ADMIN, as the agent's user, and forks a worker that does
 * nothing but dumps (the "IPVS" family's services, then each one's
 * destinations) on request; when the worker dies the supervisor says so
 * and forks another. Both die with the agent.
 *
 * Over a SOCK_SEQPACKET pair: the agent sends one byte, the reader
 * answers with records of fixed size (a service, one of its
 * destinations, ..., and the end, with an error or none).
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "ipvs_reader.h"
#include "log.h"

#define MAX_SERVICES	4096
#define MAX_DESTS	65536	/* in one dump, all services together */

static int
send_record(int fd, const struct ipvs_record *r)
{
	ssize_t	 n;

	do
		n = send(fd, r, sizeof(*r), MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof(*r) ? 0 : -1;
}

static int
send_end(int fd, uint32_t seq, const char *err)
{
	struct ipvs_record	 r;

	memset(&r, 0, sizeof(r));
	r.type = IPVS_REC_END;
	r.seq = seq;
	if (err != NULL)
		strlcpy(r.u.error, err, sizeof(r.u.error));
	return send_record(fd, &r);
}

/*
 * One request's answer: runs req, hands each message to the parser; the
 * kernel's error, or NULL. The buffer is the socket's whole answer.
 */
typedef int (*answer_cb)(const struct nlmsghdr *, void *);

static const char *
dump(struct mnl_socket *nl, struct nlmsghdr *req, answer_cb cb, void *arg)
{
	static char		 buf[1 << 16];
	static char		 why[96];
	const struct nlmsghdr	*m;
	ssize_t			 n;
	size_t			 off;
	uint32_t		 seq = req->nlmsg_seq;

	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0)
		return strerror(errno);
	for (;;) {
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) <= 0)
			return n == 0 ? "netlink closed" : strerror(errno);
		for (off = 0; (m = ipvs_next_message(buf, (size_t)n, &off));) {
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_DONE)
				return NULL;
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
				    mnl_nlmsg_get_payload(m);

				if (e->error == 0)
					return NULL;	/* an ACK */
				snprintf(why, sizeof(why), "%s",
				    strerror(-e->error));
				return why;
			}
			if (cb(m, arg) == -1)
				return "too much to dump";
			if (!(m->nlmsg_flags & NLM_F_MULTI))
				return NULL;
		}
	}
}

struct dump_state {
	int			 fd;
	uint32_t		 seq;		/* the request's */
	uint16_t		 family;
	struct ipvs_service	*services;
	size_t			 nservices;
	size_t			 ndests;
};

static int
on_family(const struct nlmsghdr *m, void *arg)
{
	struct dump_state	*st = arg;

	(void)ipvs_parse_family(m, &st->family);
	return 0;
}

static int
on_service(const struct nlmsghdr *m, void *arg)
{
	struct dump_state	*st = arg;

	if (st->nservices == MAX_SERVICES)
		return -1;
	if (ipvs_parse_service(m, &st->services[st->nservices]) == 0)
		st->nservices++;
	return 0;
}

static int
on_dest(const struct nlmsghdr *m, void *arg)
{
	struct dump_state	*st = arg;
	struct ipvs_record	 r;

	memset(&r, 0, sizeof(r));
	r.type = IPVS_REC_DEST;
	r.seq = st->seq;
	if (ipvs_parse_dest(m, &r.u.dest) == -1)
		return 0;
	if (++st->ndests > MAX_DESTS || send_record(st->fd, &r) == -1)
		return -1;
	return 0;
}

/* One whole dump, its records sent on fd as it goes. */
static void
reader_dump(struct mnl_socket *nl, int fd, struct dump_state *st)
{
	char			 req[IPVS_REQUEST_MAX];
	const char		*err = NULL;
	struct ipvs_record	 r;
	size_t			 i;
	uint32_t		 seq = (uint32_t)time(NULL);

	st->fd = fd;
	st->nservices = st->ndests = 0;
	if (st->family == 0 &&
	    (dump(nl, ipvs_request_family(req, seq++), on_family, st) != NULL ||
	    st->family == 0)) {
		/* the controller knows no "IPVS": ENOENT */
		send_end(fd, st->seq, "the kernel has no IPVS (is ip_vs "
		    "loaded? keepalived loads it)");
		return;
	}
	if ((err = dump(nl, ipvs_request_services(req, st->family, seq++),
	    on_service, st)) != NULL) {
		st->family = 0;		/* the module may come back */
		send_end(fd, st->seq, err);
		return;
	}
	for (i = 0; i < st->nservices && err == NULL; i++) {
		memset(&r, 0, sizeof(r));
		r.type = IPVS_REC_SERVICE;
		r.seq = st->seq;
		r.u.service = st->services[i];
		if (send_record(fd, &r) == -1)
			return;
		err = dump(nl, ipvs_request_dests(req, st->family, seq++,
		    &st->services[i]), on_dest, st);
	}
	send_end(fd, st->seq, err);
}

/* The worker: a dump for every byte the agent sends, until it goes. */
static void __attribute__((noreturn))
reader_worker(int fd)
{
	static struct ipvs_service	 services[MAX_SERVICES];
	struct dump_state		 st = { .services = services };
	struct mnl_socket		*nl;
	uint32_t			 seq;
	ssize_t				 n;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (nl != NULL && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		nl = NULL;
	}
	while ((n = recv(fd, &seq, sizeof(seq), 0)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(seq))
			break;
		st.seq = seq;
		if (nl == NULL)	/* say why at each request, not die in a loop */
			send_end(fd, seq, "netlink: cannot open a socket");
		else
			reader_dump(nl, fd, &st);
	}
	if (nl != NULL)
		mnl_socket_close(nl);
	_exit(0);	/* the agent went */
}

/* The supervisor: a worker, again after each death, until the agent goes. */
static void __attribute__((noreturn))
reader_supervise(int fd, const char *user)
{
	pid_t	 worker;
	int	 status;
	char	 why[96];

	fd = priv_helper_begin(fd, "ipvs-reader");
	if (priv_become_keeping(user, CAP_NET_ADMIN) == -1) {
		/* answer each request with why */
		uint32_t seq;

		while (recv(fd, &seq, sizeof(seq), 0) == (ssize_t)sizeof(seq))
			send_end(fd, seq, "the IPVS reader cannot keep "
			    "CAP_NET_ADMIN");
		_exit(0);
	}
	for (;;) {
		if ((worker = fork()) == -1)
			_exit(1);
		if (worker == 0) {
			(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
			reader_worker(fd);
		}
		while (waitpid(worker, &status, 0) == -1 && errno == EINTR)
			;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			_exit(0);	/* the agent closed its end */
		snprintf(why, sizeof(why), "worker died (%s %d), started "
		    "again", WIFSIGNALED(status) ? "signal" : "status",
		    WIFSIGNALED(status) ? WTERMSIG(status) :
		    WEXITSTATUS(status));
		send_end(fd, 0, why);	/* 0: whatever was asked */
		sleep(1);
	}
}

int
ipvs_reader_start(struct ipvs_reader *rd, const char *user)
{
	int	 sv[2];
	pid_t	 pid;

	memset(rd, 0, sizeof(*rd));
	rd->fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		reader_supervise(sv[1], user);
	}
	close(sv[1]);
	rd->fd = sv[0];
	rd->pid = pid;
	return 0;
}

/* The agent's side. */

static void
entries_clear(struct ipvs_reader *rd)
{
	size_t	 i;

	for (i = 0; i < rd->nentries; i++)
		free(rd->entries[i].dests);
	rd->nentries = 0;
	rd->ndests = 0;
}

static void
query_end(struct ipvs_reader *rd, const char *err)
{
	ipvs_done_cb	 done = rd->done;

	rd->busy = 0;
	rd->done = NULL;
	if (rd->timer != NULL)
		evtimer_del(rd->timer);
	if (err != NULL)
		entries_clear(rd);
	if (done != NULL)
		done(err, rd->arg);
}

/* One record into the dump being gathered; -1 when it cannot be kept. */
static int
gather(struct ipvs_reader *rd, const struct ipvs_record *r)
{
	struct ipvs_entry	*e;
	struct ipvs_dest	*d;

	if (r->type == IPVS_REC_SERVICE) {
		if (rd->nentries == MAX_SERVICES)
			return -1;
		if (rd->nentries == rd->cap) {
			size_t cap = rd->cap ? 2 * rd->cap : 16;

			if ((e = reallocarray(rd->entries, cap,
			    sizeof(*e))) == NULL)
				return -1;
			rd->entries = e;
			rd->cap = cap;
		}
		e = &rd->entries[rd->nentries++];
		memset(e, 0, sizeof(*e));
		e->sv = r->u.service;
		return 0;
	}
	/* a destination, of the last service */
	if (rd->nentries == 0 || rd->ndests == MAX_DESTS)
		return -1;
	e = &rd->entries[rd->nentries - 1];
	if ((e->ndests & (e->ndests - 1)) == 0) {	/* 0, 1, 2, 4, ... */
		if ((d = reallocarray(e->dests, e->ndests ? 2 * e->ndests : 1,
		    sizeof(*d))) == NULL)
			return -1;
		e->dests = d;
	}
	e->dests[e->ndests++] = r->u.dest;
	rd->ndests++;
	return 0;
}

static void
on_records(evutil_socket_t fd, short ev, void *arg)
{
	struct ipvs_reader	*rd = arg;
	struct ipvs_record	 r;
	ssize_t			 n;

	(void)ev;
	for (;;) {
		n = recv(fd, &r, sizeof(r), MSG_DONTWAIT | MSG_TRUNC);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {	/* the reader is gone for good */
			log_warnx("IPVS reader: %s", n == 0 ? "gone" :
			    strerror(errno));
			event_del(rd->ev);
			close(rd->fd);
			rd->fd = -1;
			(void)waitpid(rd->pid, NULL, WNOHANG);
			if (rd->busy)
				query_end(rd, "the IPVS reader is gone");
			return;
		}
		if (n != (ssize_t)sizeof(r))
			continue;
		r.u.error[sizeof(r.u.error) - 1] = '\0';
		if (r.type == IPVS_REC_END && r.seq == 0) {
			/* the supervisor: its worker died */
			log_warnx("IPVS reader: %s", r.u.error);
			if (rd->busy)
				query_end(rd, r.u.error);
			continue;
		}
		if (!rd->busy || r.seq != rd->seq)
			continue;	/* late, for a query given up */
		if (r.type == IPVS_REC_END) {
			query_end(rd, r.u.error[0] ? r.u.error : NULL);
			continue;
		}
		if (gather(rd, &r) == -1)
			query_end(rd, "IPVS: more than the agent keeps");
	}
}

static void
on_timeout(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	query_end(arg, "IPVS: the reader did not answer in time");
}

int
ipvs_query(struct ipvs_reader *rd, struct event_base *base, int timeout_ms,
    ipvs_done_cb done, void *arg)
{
	struct timeval	 tv = timeval_from_ms(timeout_ms);

	if (rd->busy)
		return -1;
	entries_clear(rd);
	rd->done = done;
	rd->arg = arg;
	rd->busy = 1;
	if (rd->fd == -1) {
		query_end(rd, "no IPVS reader");
		return 0;
	}
	if (rd->ev == NULL &&
	    ((rd->ev = event_new(base, rd->fd, EV_READ | EV_PERSIST,
	    on_records, rd)) == NULL || event_add(rd->ev, NULL) == -1)) {
		query_end(rd, "out of memory");
		return 0;
	}
	if (rd->timer == NULL &&
	    (rd->timer = evtimer_new(base, on_timeout, rd)) == NULL) {
		query_end(rd, "out of memory");
		return 0;
	}
	rd->seq = rd->seq + 1 ? rd->seq + 1 : 1;	/* 0 is the supervisor's */
	if (send(rd->fd, &rd->seq, sizeof(rd->seq), MSG_NOSIGNAL |
	    MSG_DONTWAIT) != (ssize_t)sizeof(rd->seq)) {
		query_end(rd, "IPVS reader: cannot ask");
		return 0;
	}
	evtimer_add(rd->timer, &tv);
	return 0;
}

/*
 * The reader's end, at the agent's: its worker sees the socket close and
 * exits, the supervisor then; both reaped, none left behind (a unit's stop
 * expects an empty cgroup). Five seconds (memcheck's leak check takes
 * some), then SIGKILL.
 */
static void
reader_reap(pid_t pid)
{
	struct timespec	 tick = { 0, 10000000L };	/* 10 ms */
	int		 i;

	for (i = 0; i < 500; i++) {
		if (waitpid(pid, NULL, WNOHANG) != 0)
			return;		/* reaped, or not ours any more */
		nanosleep(&tick, NULL);
	}
	(void)kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
}

void
ipvs_reader_free(struct ipvs_reader *rd)
{
	rd->done = NULL;
	if (rd->ev != NULL)
		event_free(rd->ev);
	if (rd->timer != NULL)
		event_free(rd->timer);
	if (rd->fd != -1)
		close(rd->fd);	/* the reader sees it and exits */
	if (rd->pid > 0)
		reader_reap(rd->pid);
	entries_clear(rd);
	free(rd->entries);
	memset(rd, 0, sizeof(*rd));
	rd->fd = -1;
}
