/*
 * The configuration the agent runs: the file (if any) with the command
 * line applied over it. Built the same way at start and on every SIGHUP,
 * so flags keep their meaning across reloads.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

/*
 * Reads a whole file of at most max bytes, from the event loop too (SIGHUP
 * reloads the configuration and the certificates): opened without
 * blocking, and refused unless fstat says a regular file or a character
 * device (/dev/null, the empty configuration; O_NONBLOCK keeps any other
 * from waiting), so a FIFO in its place cannot stop the loop. NULL on
 * failure, with *why.
 */
char *
agent_read_file(const char *path, size_t max, size_t *len, const char **why)
{
	struct stat	 st;
	char		*buf = NULL;
	ssize_t		 n = 0;
	size_t		 got = 0;
	int		 fd, saved;

	*why = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1 ||
	    fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
		*why = "not a regular file";
		errno = EINVAL;
		goto fail;
	}
	if ((buf = malloc(max + 1)) == NULL)
		goto fail;
	while ((n = read(fd, buf + got, max + 1 - got)) > 0)
		if ((got += (size_t)n) > max)
			break;
	if (n == -1)
		goto fail;
	if (got > max) {
		*why = "too large";
		errno = EFBIG;
		goto fail;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
fail:
	saved = errno;
	if (*why == NULL)
		*why = strerror(saved);
	free(buf);
	if (fd != -1)
		close(fd);
	errno = saved;
	return NULL;
}

int
agent_config_load(const struct cli_options *o, struct config *c, char *err,
    size_t errlen)
{
	struct config_listener	*l;
	const char		*why;
	char			*text;
	size_t			 len, i, j;

	config_init(c);
	if ((text = agent_read_file(o->config_file, CONFIG_MAX_FILE, &len,
	    &why)) != NULL) {
		if (config_parse(c, o->config_file, text, len, err,
		    errlen) == -1) {
			free(text);
			return -1;
		}
		free(text);
	} else if (errno != ENOENT || o->config_given) {
		snprintf(err, errlen, "%s: %s", o->config_file,
		    errno == EFBIG ? "larger than 1 MiB" : why);
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
