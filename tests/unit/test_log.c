/*
 * The daemon's logging (amphora-agent/log.c): levels, errno's reason
 * only when there is one, errno kept, fatal() exits 1. Run in the
 * foreground, so every line goes to stderr, captured here in a file.
 */
#include <sys/wait.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"

static char	 captured[4096];

/* Runs fn with stderr in a file; captured holds what it wrote. */
static int
capture(void (*fn)(void))
{
	FILE	*f = tmpfile();
	int	 saved = dup(2), status;
	pid_t	 pid;
	size_t	 n;

	assert_non_null(f);
	fflush(stderr);
	dup2(fileno(f), 2);
	if ((pid = fork()) == 0) {
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(captured, 1, sizeof(captured) - 1, f);
	captured[n] = '\0';
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
warn_without_errno(void)
{
	log_init(1, LOG_INFO, "t");
	errno = 0;
	log_warn("no errno");
	errno = ENOENT;
	log_warn("with errno");
	if (errno != ENOENT)
		log_warnx("errno not kept");
	log_debug("hidden at info");
	log_info("shown at info");
}

static void
test_reason_only_with_errno(void **state)
{
	(void)state;
	assert_int_equal(capture(warn_without_errno), 0);
	assert_string_equal(captured, "no errno\n"
	    "with errno: No such file or directory\n"
	    "shown at info\n");
}

static void
fatal_without_errno(void)
{
	log_init(1, LOG_WARNING, "t");
	log_info("hidden at warning");
	errno = 0;
	fatal("cannot go on");
}

static void
fatalx_with_errno(void)
{
	log_init(1, LOG_WARNING, "t");
	errno = EACCES;
	fatalx("no reason wanted");
}

static void
test_fatal(void **state)
{
	(void)state;
	assert_int_equal(capture(fatal_without_errno), 1);
	assert_string_equal(captured, "cannot go on\n");
	assert_int_equal(capture(fatalx_with_errno), 1);
	assert_string_equal(captured, "no reason wanted\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_only_with_errno),
		cmocka_unit_test(test_fatal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
