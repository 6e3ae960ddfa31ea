#include <string.h>

#include "octavia.h"

/* 1 for the lower-case hex digits. */
static const unsigned char hexdigit[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1,
	['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
};

int
octavia_is_uuid(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	unsigned		 bad = 0;
	size_t			 i;

	if (len != OCTAVIA_UUID_LEN || s[8] != '-' || s[13] != '-' ||
	    s[18] != '-' || s[23] != '-')
		return 0;
	for (i = 0; i < 8; i++)
		bad |= hexdigit[u[i]] ^ 1;
	for (i = 9; i < 13; i++)
		bad |= hexdigit[u[i]] ^ 1;
	for (i = 14; i < 18; i++)
		bad |= hexdigit[u[i]] ^ 1;
	for (i = 19; i < 23; i++)
		bad |= hexdigit[u[i]] ^ 1;
	for (i = 24; i < 36; i++)
		bad |= hexdigit[u[i]] ^ 1;
	return bad == 0;
}

int
octavia_name_split_backend(const char *name, size_t len, const char **pool,
    const char **listener)
{
	if (len != 2 * OCTAVIA_UUID_LEN + 1 || name[OCTAVIA_UUID_LEN] != ':')
		return -1;
	if (!octavia_is_uuid(name, OCTAVIA_UUID_LEN) ||
	    !octavia_is_uuid(name + OCTAVIA_UUID_LEN + 1, OCTAVIA_UUID_LEN))
		return -1;
	*pool = name;
	*listener = name + OCTAVIA_UUID_LEN + 1;
	return 0;
}

int
octavia_socket_loadbalancer_id(const char *path, char id[OCTAVIA_UUID_LEN + 1])
{
	const char	*base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	if (strcmp(base + strnlen(base, OCTAVIA_UUID_LEN), ".sock") != 0 ||
	    !octavia_is_uuid(base, strnlen(base, OCTAVIA_UUID_LEN)))
		return -1;
	memcpy(id, base, OCTAVIA_UUID_LEN);
	id[OCTAVIA_UUID_LEN] = '\0';
	return 0;
}

/* A file name of one component: not empty, ".", ".." nor hidden. */
static int
one_component(const char *s)
{
	size_t	 n = strcspn(s, "/");

	return n > 0 && n < 256 && s[n] == '\0' && s[0] != '.';
}

int
octavia_file_allowed(const char *root, const char *path)
{
	size_t	 n = strlen(root);

	if (n < 2 || root[0] != '/' || root[n - 1] == '/' ||
	    strncmp(path, root, n) != 0 || path[n] != '/')
		return 0;
	path += n + 1;
	if (strncmp(path, "certs/", 6) == 0)
		path += 6;
	else if (!(octavia_is_uuid(path, strnlen(path, OCTAVIA_UUID_LEN)) &&
	    strcmp(path + OCTAVIA_UUID_LEN, "/haproxy.cfg") == 0))
		return 0;
	else
		return 1;
	return octavia_is_uuid(path, strnlen(path, OCTAVIA_UUID_LEN)) &&
	    path[OCTAVIA_UUID_LEN] == '/' &&
	    one_component(path + OCTAVIA_UUID_LEN + 1);
}
