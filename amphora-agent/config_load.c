/*
 * The configuration the agent runs: the file (if any) with the command
 * line applied over it. Built the same way at start and on every SIGHUP,
 * so flags keep their meaning across reloads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

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
	/* found at each read, so the agent can start before HAProxy does */
	if (c->stats_socket[0] == '\0')
		strlcpy(c->stats_socket, AGENT_DEFAULT_STATS_SOCKET,
		    sizeof(c->stats_socket));
	if (c->keepalived_dir[0] == '\0')
		strlcpy(c->keepalived_dir, AGENT_DEFAULT_KEEPALIVED_DIR,
		    sizeof(c->keepalived_dir));
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}
