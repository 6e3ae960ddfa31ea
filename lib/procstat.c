#include <math.h>
#include <string.h>

#include "decimal.h"
#include "procstat.h"

/* An unsigned decimal after optional blanks; returns the end or NULL. */
static const char *
read_u64(const char *p, const char *end, uint64_t *v)
{
	while (p < end && *p == ' ')
		p++;
	return dec_u64(p, end, UINT64_MAX, v);
}

int
procstat_cpu_parse(const char *buf, size_t len, struct cpu_times *t)
{
	const char	*p = buf, *end = buf + len;
	uint64_t	 v[8] = { 0 };
	int		 i;

	if (len < 4 || memcmp(buf, "cpu ", 4) != 0)
		return -1;
	p += 4;
	/* user nice system idle iowait irq softirq steal (guest is in user) */
	for (i = 0; i < 8; i++) {
		if ((p = read_u64(p, end, &v[i])) == NULL) {
			if (i < 4)
				return -1;
			break;
		}
	}
	t->total = 0;
	for (i = 0; i < 8; i++) {
		if (v[i] > UINT64_MAX - t->total)
			return -1;
		t->total += v[i];
	}
	t->busy = t->total - v[3] - v[4];
	return 0;
}

double
procstat_cpu_busy(const struct cpu_times *prev, const struct cpu_times *cur)
{
	/*
	 * Idle and iowait are not monotonic (Linux documents iowait as
	 * unreliable and it can go back): busy time growing more than all
	 * time did is not a share of anything.
	 */
	if (cur->total <= prev->total || cur->busy < prev->busy ||
	    cur->busy - prev->busy > cur->total - prev->total)
		return NAN;
	/* the ratio first: 100 * busy could round up past 100 * total */
	return 100.0 * ((double)(cur->busy - prev->busy) /
	    (double)(cur->total - prev->total));
}

static int
meminfo_field(const char *buf, size_t len, const char *name, uint64_t *v)
{
	const char	*p = buf, *end = buf + len, *nl;
	size_t		 n = strlen(name);

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if ((size_t)(nl - p) > n && memcmp(p, name, n) == 0 &&
		    p[n] == ':')
			return read_u64(p + n + 1, nl, v) == NULL ? -1 : 0;
		p = nl + 1;
	}
	return -1;
}

double
procstat_mem_used(const char *buf, size_t len)
{
	uint64_t	 total, avail;

	if (meminfo_field(buf, len, "MemTotal", &total) == -1 ||
	    meminfo_field(buf, len, "MemAvailable", &avail) == -1 ||
	    total == 0 || avail > total)
		return NAN;
	return 100.0 * ((double)(total - avail) / (double)total);
}
