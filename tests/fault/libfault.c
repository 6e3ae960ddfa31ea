/*
 * Fault injection for the integration tests, preloaded into the real
 * agent: LD_PRELOAD=libfault.so APA_FAULTS=/path/to/control. System calls
 * and allocations fail as the control file says, so a test can show what
 * the agent does when they do. The file is read again whenever it
 * changes, and a change re-arms the one-shot faults. One per line:
 *
 *   short-write N       the next write() to a UNIX stream socket writes at
 *                       most N bytes (once)
 *   socket-unix ERRNO   socket(AF_UNIX, ...) fails with ERRNO
 *   open PATH ERRNO     open() of PATH fails with ERRNO (up to four)
 *   alloc N             the Nth allocation from now returns NULL (once)
 *
 * ERRNO is a name: EMFILE, EACCES, ENOMEM, ENOENT. Each fault that fires
 * says so on standard error ("libfault: ..."), which is the agent's log
 * in the tests. Not for sanitized builds: it interposes malloc.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void	*__libc_malloc(size_t);
void	*__libc_calloc(size_t, size_t);
void	*__libc_realloc(void *, size_t);

static struct {
	struct timespec	 mtime;
	off_t		 size;
	ino_t		 ino;
	long		 short_write;	/* -1: none */
	int		 socket_errno;
	struct {
		char	 path[128];
		int	 errnum;
	}		 open[4];
	int		 nopen;
	long		 alloc_nth;	/* -1: none */
	long		 allocs;	/* since armed */
} f = { .short_write = -1, .alloc_nth = -1 };

static int	busy;		/* inside the shim: no faults, no rereads */

static void
say(const char *fmt, ...)
{
	char	 msg[256];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)syscall(SYS_write, 2, msg, (size_t)n < sizeof(msg) ?
		    (size_t)n : sizeof(msg) - 1);
}

static int
errno_named(const char *s)
{
	static const struct { const char *name; int value; } names[] = {
		{ "EMFILE", EMFILE }, { "ENFILE", ENFILE },
		{ "EACCES", EACCES }, { "ENOMEM", ENOMEM },
		{ "ENOENT", ENOENT }, { "EPERM", EPERM },
	};
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].value;
	return EIO;
}

/* Reads the control file again if it changed; raw syscalls only. */
static void
refresh(void)
{
	const char	*path = getenv("APA_FAULTS");
	struct stat	 st;
	char		 buf[1024], *line, *save, *ws, *w, *a, *b;
	long		 fd, n;

	if (path == NULL || stat(path, &st) == -1)
		return;
	if (st.st_mtim.tv_sec == f.mtime.tv_sec &&
	    st.st_mtim.tv_nsec == f.mtime.tv_nsec && st.st_size == f.size &&
	    st.st_ino == f.ino)
		return;
	f.mtime = st.st_mtim;
	f.size = st.st_size;
	f.ino = st.st_ino;
	f.short_write = f.alloc_nth = -1;
	f.socket_errno = 0;
	f.nopen = 0;
	f.allocs = 0;
	if ((fd = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY)) < 0)
		return;
	n = syscall(SYS_read, fd, buf, sizeof(buf) - 1);
	(void)syscall(SYS_close, fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		w = strtok_r(line, " ", &ws);
		a = strtok_r(NULL, " ", &ws);
		b = strtok_r(NULL, " ", &ws);
		if (w == NULL || a == NULL)
			continue;
		if (strcmp(w, "short-write") == 0)
			f.short_write = atol(a);
		else if (strcmp(w, "socket-unix") == 0)
			f.socket_errno = errno_named(a);
		else if (strcmp(w, "open") == 0 && b != NULL &&
		    f.nopen < (int)(sizeof(f.open) / sizeof(f.open[0]))) {
			snprintf(f.open[f.nopen].path,
			    sizeof(f.open[f.nopen].path), "%s", a);
			f.open[f.nopen++].errnum = errno_named(b);
		} else if (strcmp(w, "alloc") == 0)
			f.alloc_nth = atol(a);
	}
}

/* The allocation to fail, if this is it. */
static int
alloc_fails(void)
{
	int	 fail = 0;

	if (busy)
		return 0;
	busy = 1;
	refresh();
	if (f.alloc_nth > 0 && ++f.allocs == f.alloc_nth) {
		f.alloc_nth = -1;
		say("libfault: allocation %ld failed\n", f.allocs);
		fail = 1;
	}
	busy = 0;
	return fail;
}

void *
malloc(size_t n)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t size)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, size);
}

void *
realloc(void *p, size_t n)
{
	if (alloc_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}

void *
reallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, n * size);
}

ssize_t
write(int fd, const void *buf, size_t n)
{
	static ssize_t	(*real)(int, const void *, size_t);
	int		 domain = 0, type = 0;
	socklen_t	 len = sizeof(int);

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT,
		    "write");
	if (!busy) {
		busy = 1;
		refresh();
		if (f.short_write >= 0 && (size_t)f.short_write < n &&
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
		    domain == AF_UNIX && type == SOCK_STREAM) {
			say("libfault: write of %zu cut to %ld\n", n,
			    f.short_write);
			n = (size_t)f.short_write;
			f.short_write = -1;
		}
		busy = 0;
	}
	return real(fd, buf, n);
}

int
socket(int domain, int type, int protocol)
{
	static int	(*real)(int, int, int);

	if (real == NULL)
		real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	if (domain == AF_UNIX && !busy) {
		busy = 1;
		refresh();
		busy = 0;
		if (f.socket_errno != 0) {
			say("libfault: socket(AF_UNIX) failed\n");
			errno = f.socket_errno;
			return -1;
		}
	}
	return real(domain, type, protocol);
}

int
open(const char *path, int flags, ...)
{
	static int	(*real)(const char *, int, ...);
	mode_t		 mode = 0;
	va_list		 ap;

	if (real == NULL)
		real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (!busy) {
		int	 i;

		busy = 1;
		refresh();
		busy = 0;
		for (i = 0; i < f.nopen; i++)
			if (strcmp(path, f.open[i].path) == 0) {
				say("libfault: open(%s) failed\n", path);
				errno = f.open[i].errnum;
				return -1;
			}
	}
	return real(path, flags, mode);
}
