/* SPDX-License-Identifier: MIT */
/* Spawning shadows: fork, set the caller's limits, and exec a dedicated
 * binary, so that no daemon state (memory, descriptors) reaches code that
 * serves a guest. The binary starts with hostd's credentials and drops to
 * the caller's itself (vmrpc-shadow --uid/--gid) once it has loaded its
 * libraries and service modules: those need not be reachable by the
 * caller's user (a tree built in root's 0700 home), and nothing from the
 * guest is read before the drop. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "spawn.h"

#define SPAWN_ARGV_MAX (20 + 2 * 16)

static int spawn_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void spawn_limit(int resource, uint64_t value)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

	if (value)
		setrlimit(resource, &rl);
}

/* In the child: a failure before the exec is reported on report_fd (what
 * failed and its errno) and ends the child with status 127. */
static void __attribute__((noreturn)) spawn_fail(int report_fd, int what)
{
	struct spawn_report rep = { .what = what, .err = errno };

	if (write(report_fd, &rep, sizeof(rep)) < 0)
		_exit(127);
	_exit(127);
}

static void __attribute__((noreturn)) spawn_child(const struct shadow_spec *spec, pid_t parent,
						  int report_fd)
{
	char chan[32], fdarg[] = "3", bellarg[] = "4", uid[16], gid[16];
	const char *argv[SPAWN_ARGV_MAX];
	const char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", NULL, NULL };
	char spin_env[64];
	const char *spin = getenv("VMRPC_SPIN_NS");
	sigset_t all;
	size_t n = 0;
	int devnull, fd, bell = -1;

	/* First, so that whatever the shadow does is its caller's. */
	if (cgroup_group_enter(spec->cgroup) < 0)
		spawn_fail(report_fd, SPAWN_FAIL_CGROUP);
	/* Die with hostd: a shadow outliving it would serve nobody. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		spawn_fail(report_fd, SPAWN_FAIL_SETUP);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setsid();

	/* Out of the way of fds 0 to 4 first: they are set up below. */
	if ((report_fd = fcntl(report_fd, F_DUPFD_CLOEXEC, 10)) < 0)
		_exit(127);
	if (spec->bell_fd >= 0 && (bell = fcntl(spec->bell_fd, F_DUPFD, 10)) < 0)
		spawn_fail(report_fd, SPAWN_FAIL_SETUP);
	/* A fresh open file description: the region fd carries hostd's flock,
	 * which must not outlive hostd in a shadow. */
	snprintf(chan, sizeof(chan), "/proc/self/fd/%d", spec->region_fd);
	fd = open(chan, O_RDWR); /* not close-on-exec: it may already be fd 3 */
	if (fd < 0 || (fd != 3 && dup2(fd, 3) < 0))
		spawn_fail(report_fd, SPAWN_FAIL_SETUP);
	devnull = open("/dev/null", O_RDWR);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
		spawn_fail(report_fd, SPAWN_FAIL_SETUP);
	if (bell >= 0 && dup2(bell, 4) < 0)
		spawn_fail(report_fd, SPAWN_FAIL_SETUP);
	/* stderr stays: a shadow's last words belong in hostd's log. Only
	 * report_fd (close-on-exec, at 10 or above) survives above 4. */
	close_range(bell >= 0 ? 5 : 4, (unsigned)report_fd - 1, 0);
	close_range((unsigned)report_fd + 1, ~0u, 0);

	spawn_limit(RLIMIT_NOFILE, spec->limits->nofile);
	spawn_limit(RLIMIT_AS, spec->limits->as_bytes);
	spawn_limit(RLIMIT_NPROC, spec->limits->nproc);
	spawn_limit(RLIMIT_CORE, 0);

	snprintf(chan, sizeof(chan), "%u", spec->chan_index);
	argv[n++] = "vmrpc-shadow";
	argv[n++] = "--region-fd";
	argv[n++] = fdarg;
	argv[n++] = "--channel";
	argv[n++] = chan;
	if (geteuid() == 0) { /* the shadow drops to them once it is loaded */
		snprintf(uid, sizeof(uid), "%u", (unsigned)spec->uid);
		snprintf(gid, sizeof(gid), "%u", (unsigned)spec->gid);
		argv[n++] = "--uid";
		argv[n++] = uid;
		argv[n++] = "--gid";
		argv[n++] = gid;
	}
	if (spec->cwd) {
		argv[n++] = "--cwd";
		argv[n++] = spec->cwd;
	}
	if (spec->verbose)
		argv[n++] = "--verbose";
	if (spec->wake) {
		argv[n++] = "--wake";
		argv[n++] = spec->wake;
	}
	if (bell >= 0) {
		argv[n++] = "--bell-fd";
		argv[n++] = bellarg;
	}
	if (spec->doorbell) {
		argv[n++] = "--doorbell";
		argv[n++] = spec->doorbell;
	}
	for (size_t i = 0; i < spec->n_modules && n + 3 < SPAWN_ARGV_MAX; i++) {
		argv[n++] = "--service";
		argv[n++] = spec->modules[i];
	}
	argv[n] = NULL;
	if (spin && strlen(spin) < 32) {
		snprintf(spin_env, sizeof(spin_env), "VMRPC_SPIN_NS=%s", spin);
		envp[1] = spin_env;
	}
	execve(spec->exe, (char *const *)argv, (char *const *)envp);
	spawn_fail(report_fd, SPAWN_FAIL_EXEC);
}

int shadow_spawn(const struct shadow_spec *spec, pid_t *ret_pid, int *ret_pidfd,
		 char *why, size_t why_size)
{
	struct spawn_report rep;
	pid_t parent = getpid(), pid;
	int pidfd, err, p[2];
	char limit[PATH_MAX];
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(p[0]);
		close(p[1]);
		if (err == -EAGAIN) /* a process limit, most likely: say which */
			cgroup_explain_eagain(limit, sizeof(limit));
		snprintf(why, why_size, "fork: %s%s%s", strerror(-err), err == -EAGAIN ? ": " : "",
			 err == -EAGAIN ? limit : "");
		return err;
	}
	if (pid == 0) {
		close(p[0]);
		spawn_child(spec, parent, p[1]);
	}
	close(p[1]);
	/* End of file: the exec happened (the pipe was close-on-exec). */
	do
		n = read(p[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == (ssize_t)sizeof(rep)) {
		waitpid(pid, NULL, 0);
		if (rep.what == SPAWN_FAIL_EXEC)
			snprintf(why, why_size, "cannot execute %s: %s", spec->exe,
				 strerror(rep.err));
		else if (rep.what == SPAWN_FAIL_CGROUP)
			snprintf(why, why_size, "cannot join its cgroup: %s", strerror(rep.err));
		else
			snprintf(why, why_size, "cannot set up its process: %s",
				 strerror(rep.err));
		return -rep.err;
	}
	pidfd = spawn_pidfd_open(pid);
	if (pidfd < 0) {
		err = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		snprintf(why, why_size, "pidfd_open: %s", strerror(-err));
		return err;
	}
	*ret_pid = pid;
	*ret_pidfd = pidfd;
	return 0;
}
