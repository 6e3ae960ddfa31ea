/*
 * Octavia's files through an opener that alone may read them. Octavia's
 * amphora agent writes haproxy.cfg and the listeners' certificates for
 * root alone (mode 0600); the agent runs as its own user and parses what
 * the internet sends it, so it must not read every file. Before it drops
 * its privileges it forks this opener, which keeps only
 * CAP_DAC_READ_SEARCH, as the agent's user, and does one thing: given a
 * path, it opens it if it is one of Octavia's files (lib/octavia.c's
 * octavia_file_allowed(), or the haproxy-config given at start), a
 * regular file reached without a symbolic link, and passes the
 * descriptor back. It never reads a byte of the files: the agent does.
 *
 * Over a SOCK_SEQPACKET pair: the agent sends a path, the opener answers
 * with a struct opener_answer and, when it opened the file, its
 * descriptor (SCM_RIGHTS). It dies with the agent.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "octavia.h"

#define OPENER_WAIT_MS	200	/* an answer later than this: it is gone */

struct opener_answer {
	int32_t		 err;		/* 0: the descriptor comes with it */
	char		 why[96];
};

/* The file at path, no link followed on the way; -1 with errno. */
static int
open_no_links(const char *path)
{
	struct open_how	 how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int		 fd;

	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd == -1 && (errno == ENOSYS || errno == EPERM))
		fd = open(path, (int)how.flags);	/* the last one, then */
	return fd;
}

static void
answer(int sock, int fd, int err, const char *why)
{
	struct opener_answer	 a;
	struct msghdr		 m;
	struct iovec		 iov = { &a, sizeof(a) };
	union {
		struct cmsghdr	 h;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}			 c;

	memset(&a, 0, sizeof(a));
	memset(&m, 0, sizeof(m));
	a.err = err;
	strlcpy(a.why, why != NULL ? why : strerror(err), sizeof(a.why));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (fd != -1) {
		memset(&c, 0, sizeof(c));
		m.msg_control = c.buf;
		m.msg_controllen = sizeof(c.buf);
		c.h.cmsg_level = SOL_SOCKET;
		c.h.cmsg_type = SCM_RIGHTS;
		c.h.cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(&c.h), &fd, sizeof(int));
	}
	while (sendmsg(sock, &m, MSG_NOSIGNAL) == -1 && errno == EINTR)
		;
}

static void __attribute__((noreturn))
opener_main(int sock, const char *user, const char *root, const char *extra)
{
	char		 path[PATH_MAX];
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	sock = priv_helper_begin(sock, "file-opener");
	/* without the capability it opens what the user may: no more */
	if (priv_become_keeping(user, CAP_DAC_READ_SEARCH) == -1 &&
	    priv_become_keeping(user, -1) == -1)
		_exit(1);
	for (;;) {
		while ((n = recv(sock, path, sizeof(path) - 1, 0)) == -1 &&
		    errno == EINTR)
			;
		if (n <= 0)
			_exit(0);	/* the agent closed its end */
		path[n] = '\0';
		if ((size_t)n != strlen(path) ||
		    (strcmp(path, extra) != 0 &&
		    !octavia_file_allowed(root, path))) {
			answer(sock, -1, EACCES, "not a file of Octavia's");
			continue;
		}
		if ((fd = open_no_links(path)) == -1 || fstat(fd, &st) == -1) {
			answer(sock, -1, errno, NULL);
			if (fd != -1)
				close(fd);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			answer(sock, -1, EINVAL, "not a regular file");
		else
			answer(sock, fd, 0, "");
		close(fd);
	}
}

int
opener_start(struct opener *o, const char *user, const char *root,
    const char *extra)
{
	int	 sv[2];

	o->fd = -1;
	o->pid = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return -1;
	if ((o->pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (o->pid == 0) {
		close(sv[0]);
		opener_main(sv[1], user, root, extra);
	}
	close(sv[1]);
	o->fd = sv[0];
	o->started = 1;
	return 0;
}

/* The opener did not answer as it should: it is not asked again. */
static int
gone(struct opener *o, const char **why, const char *what)
{
	*why = what;
	close(o->fd);
	o->fd = -1;
	if (o->pid > 0) {
		(void)kill(o->pid, SIGKILL);
		(void)waitpid(o->pid, NULL, 0);
		o->pid = -1;
	}
	return -1;
}

int
opener_open(struct opener *o, const char *path, const char **why)
{
	static char		 said[sizeof(((struct opener_answer *)0)->why)];
	struct opener_answer	 a;
	struct msghdr		 m;
	struct cmsghdr		*h;
	struct iovec		 iov = { &a, sizeof(a) };
	struct pollfd		 p;
	union {
		struct cmsghdr	 h;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}			 c;
	int			 fd = -1;

	if (o->fd == -1) {
		*why = "the file opener is gone";
		return -1;
	}
	if (send(o->fd, path, strlen(path), MSG_NOSIGNAL) == -1)
		return gone(o, why, "the file opener is gone");
	p.fd = o->fd;
	p.events = POLLIN;
	/* it answers from the file system at once: never wait long */
	if (poll(&p, 1, OPENER_WAIT_MS) != 1)
		return gone(o, why, "the file opener did not answer");
	memset(&m, 0, sizeof(m));
	memset(&c, 0, sizeof(c));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = c.buf;
	m.msg_controllen = sizeof(c.buf);
	if (recvmsg(o->fd, &m, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(a))
		return gone(o, why, "the file opener is gone");
	if ((h = CMSG_FIRSTHDR(&m)) != NULL && h->cmsg_level == SOL_SOCKET &&
	    h->cmsg_type == SCM_RIGHTS && h->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(h), sizeof(int));
	if (a.err == 0 && fd != -1)
		return fd;
	if (fd != -1)
		close(fd);
	a.why[sizeof(a.why) - 1] = '\0';
	strlcpy(said, a.err != 0 ? a.why : "no descriptor", sizeof(said));
	*why = said;
	errno = a.err != 0 ? a.err : EIO;
	return -1;
}

uint64_t
opener_file_mark(const struct stat *st)
{
	return (((uint64_t)st->st_dev * 0x9e3779b97f4a7c15ULL) ^
	    (uint64_t)st->st_ino * 1099511628211ULL ^
	    (uint64_t)st->st_size * 31 ^ (uint64_t)st->st_mtim.tv_sec *
	    1000000007ULL ^ (uint64_t)st->st_mtim.tv_nsec) | 1;
}

/*
 * A file read whole: opened by the opener when there is one, else as the
 * opener would (a regular file, no link followed, never waited on). At
 * most max bytes, and one more allocated, for a parser that writes one;
 * *st is what it read. A file rewritten meanwhile reads short: what is
 * there now. NULL with *why.
 */
char *
opener_read(struct opener *o, const char *path, size_t max, size_t *len,
    struct stat *st, const char **why)
{
	char		*text = NULL;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	*why = NULL;
	if (o->started)
		fd = opener_open(o, path, why);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
		    O_NOFOLLOW);
	if (fd == -1 || fstat(fd, st) == -1)
		goto fail;
	if (!S_ISREG(st->st_mode) || (uintmax_t)st->st_size > max) {
		*why = S_ISREG(st->st_mode) ? "too large" :
		    "not a regular file";
		goto fail;
	}
	if ((text = malloc((size_t)st->st_size + 1)) == NULL)
		goto fail;
	while (got < (size_t)st->st_size && (n = read(fd, text + got,
	    (size_t)st->st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*len = got;
	return text;
fail:
	if (*why == NULL)
		*why = strerror(errno);
	if (fd != -1)
		close(fd);
	free(text);
	return NULL;
}

void
opener_free(struct opener *o)
{
	if (o->fd != -1)
		close(o->fd);	/* the opener ends at EOF */
	o->fd = -1;
	if (o->pid > 0)
		(void)waitpid(o->pid, NULL, 0);
	o->pid = -1;
}
