/*
 * The configuration the agent runs: the file (if any) with the command
 * line applied over it. Built the same way at start and on every SIGHUP,
 * so flags keep their meaning across reloads.
 */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "octavia.h"

#define OCTAVIA_SOCKET_GLOB	"/var/lib/octavia/*.sock"

/* Reads a whole file of at most max bytes; NULL with errno on failure. */
static char *
read_file(const char *path, size_t max, size_t *len)
{
	char	*buf;
	ssize_t	 n;
	size_t	 got = 0;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((buf = malloc(max + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + got, max + 1 - got)) > 0)
		if ((got += (size_t)n) > max)
			break;
	close(fd);
	if (n == -1 || got > max) {
		free(buf);
		errno = n == -1 ? errno : EFBIG;
		return NULL;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* The only socket matching OCTAVIA_SOCKET_GLOB. */
static int
default_stats_socket(struct config *c, char *err, size_t errlen)
{
	glob_t	 g;
	int	 rc;

	rc = glob(OCTAVIA_SOCKET_GLOB, 0, NULL, &g);
	if (rc == GLOB_NOMATCH || (rc == 0 && g.gl_pathc == 0)) {
		snprintf(err, errlen, "no HAProxy stats socket matches %s: "
		    "name one with -s or stats-socket", OCTAVIA_SOCKET_GLOB);
		rc = -1;
	} else if (rc != 0) {
		snprintf(err, errlen, "cannot list %s", OCTAVIA_SOCKET_GLOB);
		rc = -1;
	} else if (g.gl_pathc > 1) {
		snprintf(err, errlen, "%zu stats sockets match %s: name one "
		    "with -s or stats-socket", g.gl_pathc, OCTAVIA_SOCKET_GLOB);
		rc = -1;
	} else if (strlcpy(c->stats_socket, g.gl_pathv[0],
	    sizeof(c->stats_socket)) >= sizeof(c->stats_socket)) {
		snprintf(err, errlen, "stats socket path too long: %s",
		    g.gl_pathv[0]);
		rc = -1;
	}
	if (rc != GLOB_NOMATCH)
		globfree(&g);
	return rc == 0 ? 0 : -1;
}

/* Octavia names the socket after the load balancer: <uuid>.sock. */
static void
default_loadbalancer_id(struct config *c)
{
	const char	*base = strrchr(c->stats_socket, '/');
	size_t		 len;

	base = base ? base + 1 : c->stats_socket;
	len = strlen(base);
	if (len > 5 && strcmp(base + len - 5, ".sock") == 0 &&
	    octavia_is_uuid(base, len - 5))
		memcpy(c->loadbalancer_id, base, len - 5);
}

int
agent_config_load(const struct cli_options *o, struct config *c, char *err,
    size_t errlen)
{
	struct config_listener	*l;
	char			*text;
	size_t			 len, i, j;

	config_init(c);
	if ((text = read_file(o->config_file, CONFIG_MAX_FILE, &len)) != NULL) {
		if (config_parse(c, o->config_file, text, len, err,
		    errlen) == -1) {
			free(text);
			return -1;
		}
		free(text);
	} else if (errno != ENOENT || o->config_given) {
		snprintf(err, errlen, "%s: %s", o->config_file,
		    errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		return -1;
	}

	if (o->stats_socket != NULL)
		strlcpy(c->stats_socket, o->stats_socket,
		    sizeof(c->stats_socket));
	if (o->loadbalancer_id != NULL)
		strlcpy(c->loadbalancer_id, o->loadbalancer_id,
		    sizeof(c->loadbalancer_id));
	/* each -l is a listener of its own, named by its address */
	for (i = 0; i < o->nbinds; i++) {
		if (config_listener_find(c, o->binds[i].text) != NULL) {
			snprintf(err, errlen, "-l %s given twice",
			    o->binds[i].text);
			return -1;
		}
		if ((l = config_listener_add(c, o->binds[i].text)) == NULL ||
		    config_listener_add_bind(l, &o->binds[i]) == -1)
			goto nomem;
		for (j = 0; j < o->ncidrs; j++)
			if (config_listener_add_cidr(l, &o->cidrs[j]) == -1)
				goto nomem;
	}
	if (c->stats_socket[0] == '\0' &&
	    default_stats_socket(c, err, errlen) == -1)
		return -1;
	if (c->loadbalancer_id[0] == '\0')
		default_loadbalancer_id(c);
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}
