/*
 * Octavia's names: a UUID is 36 canonical characters; a backend name
 * splits into two of them or not at all; a socket's name gives one; a
 * file the opener may open is under Octavia's directory.
 */
#include "fuzz.h"
#include "octavia.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*buf = exact_copy(data, size), *path;
	const char	*pool, *lst;
	char		 id[OCTAVIA_UUID_LEN + 1];

	if (octavia_is_uuid(buf, size))
		FUZZ_ASSERT(size == OCTAVIA_UUID_LEN);
	if (octavia_name_split_backend(buf, size, &pool, &lst) == 0) {
		FUZZ_ASSERT(octavia_is_uuid(pool, OCTAVIA_UUID_LEN));
		FUZZ_ASSERT(octavia_is_uuid(lst, OCTAVIA_UUID_LEN));
		FUZZ_ASSERT(pool == buf && lst == buf + OCTAVIA_UUID_LEN + 1);
	}
	path = string_copy(data, size);
	if (octavia_socket_loadbalancer_id(path, id) == 0)
		FUZZ_ASSERT(octavia_is_uuid(id, OCTAVIA_UUID_LEN) &&
		    id[OCTAVIA_UUID_LEN] == '\0');
	/* an allowed file never climbs out of the root */
	if (octavia_file_allowed("/var/lib/octavia", path)) {
		FUZZ_ASSERT(strncmp(path, "/var/lib/octavia/", 17) == 0);
		FUZZ_ASSERT(strstr(path, "/..") == NULL &&
		    strstr(path, "//") == NULL && strstr(path, "/./") == NULL);
	}
	free(path);
	free(buf);
	return 0;
}
