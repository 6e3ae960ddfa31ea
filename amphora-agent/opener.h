/*
 * opener.c: Octavia's files (haproxy.cfg, the certificates) opened by a
 * process that alone keeps CAP_DAC_READ_SEARCH (see there).
 */
#ifndef OPENER_H
#define OPENER_H

#include <sys/types.h>
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>

struct opener {
	int	 fd;		/* -1: none, or gone */
	pid_t	 pid;
	int	 started;	/* files are opened by it, or not at all */
};

/* Forks the opener, as user with only CAP_DAC_READ_SEARCH, for the files
 * of Octavia's under root and the file extra; before dropping privileges. */
int	opener_start(struct opener *, const char *user, const char *root,
	    const char *extra);
/* A descriptor of path (open for reading, non-blocking), or -1 with why
 * (valid until the next call); waits at most 200 ms. */
int	opener_open(struct opener *, const char *path, const char **why);
/* A number that changes with the file st is of (its device, inode, size,
 * time); never 0, which callers keep for "no file". */
uint64_t opener_file_mark(const struct stat *st);
/* The file read whole, through the opener when it started (opener.c). */
char	*opener_read(struct opener *, const char *path, size_t max,
	    size_t *len, struct stat *, const char **why);
void	opener_free(struct opener *);

#endif
