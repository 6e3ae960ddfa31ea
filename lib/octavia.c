#include "octavia.h"

int
octavia_is_uuid(const char *s, size_t len)
{
	size_t	 i;

	if (len != OCTAVIA_UUID_LEN)
		return 0;
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
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
