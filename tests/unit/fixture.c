#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fixture.h"

const char *
fixture_dir(void)
{
	const char	*d = getenv("FIXTURE_DIR");

	return d != NULL && d[0] != '\0' ? d : FIXTURE_DIR;
}

char *
fixture_load(const char *name, size_t *len)
{
	char	 path[1024];
	FILE	*f;
	long	 n;
	char	*buf;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		abort();
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

size_t
fixture_gunzip(const char *in, size_t len, char *out, size_t cap)
{
	z_stream	 z;
	int		 rc;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		abort();
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)cap;
	rc = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (rc != Z_STREAM_END) {
		fprintf(stderr, "not a whole gzip member: inflate %d\n", rc);
		abort();
	}
	if (z.avail_in != 0) {
		fprintf(stderr, "%u bytes after the gzip member\n", z.avail_in);
		abort();
	}
	return cap - z.avail_out;
}
