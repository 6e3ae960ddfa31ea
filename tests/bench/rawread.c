/*
 * The floor: the least any exporter must do per scrape. Reads
 * "show info;show stat" from a HAProxy stats socket to EOF, n times, and
 * prints each read's duration in milliseconds, one per line.
 *
 *   bench_rawread SOCKET N
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	static char		 buf[1 << 16];
	static const char	 cmd[] = "show info;show stat\n";
	struct sockaddr_un	 sun;
	size_t			 total;
	ssize_t			 n;
	double			 t0;
	int			 fd, i, count;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_rawread SOCKET N\n");
		return 1;
	}
	count = atoi(argv[2]);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, argv[1], sizeof(sun.sun_path) - 1);
	for (i = 0; i < count; i++) {
		t0 = now_ms();
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
		    write(fd, cmd, sizeof(cmd) - 1) != sizeof(cmd) - 1) {
			perror(argv[1]);
			return 1;
		}
		total = 0;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			total += (size_t)n;
		close(fd);
		printf("%.3f %zu\n", now_ms() - t0, total);
	}
	return 0;
}
