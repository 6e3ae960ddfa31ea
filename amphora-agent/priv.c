/*
 * Where the agent lives: the amphora's network namespace, entered before
 * binding, and an unprivileged user, taken on after binding.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <linux/capability.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

void
priv_enter_netns(const char *name)
{
	char	 path[128];
	int	 fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		fatal("netns %s: %s", name, path);
	if (setns(fd, CLONE_NEWNET) == -1)
		fatal("netns %s: setns (needs CAP_SYS_ADMIN)", name);
	close(fd);
	log_info("entered network namespace %s", name);
}

void
priv_drop(const char *user)
{
	struct passwd	*pw;
	uid_t		 r, e, s;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		fatalx("user %s: %s", user, errno ? strerror(errno) :
		    "no such user");
	/* systemd's User= got here first: nothing to drop */
	if (pw->pw_uid != 0 && getuid() == pw->pw_uid &&
	    geteuid() == pw->pw_uid && getgid() == pw->pw_gid) {
		log_debug("already running as %s", user);
		return;
	}
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s", user);
	/* there must be no way back */
	if (pw->pw_uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		fatalx("dropped to %s but could regain root", user);
	if (getresuid(&r, &e, &s) == -1 || r != pw->pw_uid ||
	    e != pw->pw_uid || s != pw->pw_uid)
		fatalx("dropping to %s did not stick", user);
	log_info("running as %s (uid %u, gid %u)", user,
	    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
}

/*
 * Whether bind(2) may take a port below 1024: root, or a user given
 * CAP_NET_BIND_SERVICE (the systemd unit's AmbientCapabilities=).
 */
int
priv_can_bind_low_ports(void)
{
	struct __user_cap_header_struct	 hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct	 data[_LINUX_CAPABILITY_U32S_3];

	if (geteuid() == 0)
		return 1;
	if (syscall(SYS_capget, &hdr, data) == -1)
		return 0;
	return (data[CAP_TO_INDEX(CAP_NET_BIND_SERVICE)].effective &
	    CAP_TO_MASK(CAP_NET_BIND_SERVICE)) != 0;
}

/* Effective and permitted: cap alone (-1: none at all). */
static int
caps_only(int cap)
{
	struct __user_cap_header_struct	 hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct	 d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (cap >= 0)
		d[CAP_TO_INDEX(cap)].effective =
		    d[CAP_TO_INDEX(cap)].permitted = CAP_TO_MASK(cap);
	return (int)syscall(SYS_capset, &hdr, d);
}

/*
 * For a helper process forked before the agent drops its privileges: runs
 * as user (kept when "" or not root) with cap and no other capability.
 * -1 when it cannot keep cap.
 */
int
priv_become_keeping(const char *user, int cap)
{
	struct passwd	*pw;

	if (user[0] != '\0' && getuid() == 0) {
		if ((pw = getpwnam(user)) == NULL)
			return -1;
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
		    setgroups(1, &pw->pw_gid) == -1 ||
		    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
		    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
			return -1;
		(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	return caps_only(cap);
}

/* The agent's side: cap out of every set, for good (its helper has it). */
void
priv_drop_cap(int cap)
{
	struct __user_cap_header_struct	 hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct	 d[_LINUX_CAPABILITY_U32S_3];
	int				 i = CAP_TO_INDEX(cap);
	uint32_t			 m = CAP_TO_MASK(cap);

	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap, 0, 0);
	if (syscall(SYS_capget, &hdr, d) == -1)
		fatal("capget");
	d[i].effective &= ~m;
	d[i].permitted &= ~m;
	d[i].inheritable &= ~m;
	if (syscall(SYS_capset, &hdr, d) == -1)
		fatal("capset");
}

/*
 * The start of a helper the agent forked (the IPVS reader, the file
 * opener): the agent's held signals unblocked, killed with the agent,
 * named, and its socket at 3 with nothing of the agent's beyond it and
 * stdio. Returns 3; exits when it cannot.
 */
int
priv_helper_begin(int fd, const char *name)
{
	sigset_t	 none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	(void)prctl(PR_SET_NAME, name, 0, 0, 0);
	if (fd != 3 && dup2(fd, 3) == -1)
		_exit(1);
	(void)close_range(4, ~0U, 0);
	return 3;
}
