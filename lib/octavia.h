/*
 * How Octavia names HAProxy objects: a frontend is a listener UUID, a
 * backend is "<pool UUID>:<listener UUID>", a server is a member UUID.
 * UUIDs are canonical: 36 characters, lower-case hex, dashes at 8-4-4-4-12.
 */
#ifndef OCTAVIA_H
#define OCTAVIA_H

#include <stddef.h>

#define OCTAVIA_UUID_LEN	36

int	octavia_is_uuid(const char *, size_t);

/*
 * Splits a backend name into its pool and listener UUIDs. Returns 0 and
 * points *pool and *listener into name (each OCTAVIA_UUID_LEN long), or -1
 * when name is not of Octavia's form.
 */
int	octavia_name_split_backend(const char *name, size_t len,
	    const char **pool, const char **listener);

/*
 * The load balancer a stats socket serves: Octavia names the socket
 * "<loadbalancer UUID>.sock" (the directory does not matter). Copies the
 * UUID and a NUL into id and returns 0, or returns -1 when the file name
 * is not of that form.
 */
int	octavia_socket_loadbalancer_id(const char *path,
	    char id[OCTAVIA_UUID_LEN + 1]);

/*
 * Whether path is a file of Octavia's under root (its base directory,
 * /var/lib/octavia: absolute, no trailing slash), of the two kinds the
 * agent's file opener hands out: <root>/<lb>/haproxy.cfg, or one file
 * directly in <root>/certs/<lb>/ (not hidden). 1 or 0; nothing is
 * resolved, so "..", "." and "//" make a path that is not allowed.
 */
int	octavia_file_allowed(const char *root, const char *path);

#endif
