/* SPDX-License-Identifier: MIT */
/* Spawning shadows: fork, set the caller's limits, and exec a dedicated
 * binary, so that no daemon state (memory, descriptors) reaches code that
 * serves a guest. The binary starts with hostd's credentials and drops to
 * the caller's itself (vmrpc-shadow --uid/--gid) once it has loaded its
 * libraries and service modules: those need not be reachable by the
 * caller's user (a tree built in root's 0700 home), and nothing from the
 * guest is read before the drop. It gets the descriptors of shadow_proto.h
 * and a log pipe as stderr, whose other ends hostd keeps. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "shadow_proto.h"
#include "spawn.h"

#define SPAWN_ARGV_MAX (24 + 2 * 16)

/* What a child that did not reach the exec writes on its report pipe. */
enum { SPAWN_FAIL_SETUP = 1, SPAWN_FAIL_EXEC, SPAWN_FAIL_LIMITS, SPAWN_FAIL_CGROUP };
struct spawn_report {
	int what;
	int err;
};

static int spawn_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* hostd checked at start that each limit can be set (server_check_limits):
 * one that cannot now fails the spawn, rather than go unapplied. */
static int spawn_limit(int resource, uint64_t value)
{
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };

	return value ? setrlimit(resource, &rl) : 0;
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

/* Move fd to 10 or above (close-on-exec unless keep): out of the way of
 * the numbers the shadow gets. */
static int spawn_high(int fd, int keep)
{
	return fd < 0 ? -1 : fcntl(fd, keep ? F_DUPFD : F_DUPFD_CLOEXEC, 10);
}

static void __attribute__((noreturn)) spawn_child(const struct shadow_spec *spec, pid_t parent,
						  int report_fd, int ctl_fd, int log_fd)
{
	char chan[32], geometry[32], uid[16], gid[16];
	const char *argv[SPAWN_ARGV_MAX];
	const char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", NULL, NULL };
	char spin_env[64];
	const char *spin = getenv("VMRPC_SPIN_NS");
	sigset_t all;
	size_t n = 0;
	int devnull, fd, bell;

	/* First, so that whatever the shadow does is its caller's. */
	if (cgroup_group_enter(spec->cgroup) < 0)
		spawn_fail(report_fd, SPAWN_FAIL_CGROUP);
	/* Die with hostd: a shadow outliving it would serve nobody. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		spawn_fail(report_fd, SPAWN_FAIL_SETUP);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setsid();

	if ((report_fd = spawn_high(report_fd, 0)) < 0)
		_exit(127);
	ctl_fd = spawn_high(ctl_fd, 1);
	log_fd = spawn_high(log_fd, 1);
	bell = spawn_high(spec->bell_fd, 1);
	if (ctl_fd < 0 || log_fd < 0 || (spec->bell_fd >= 0 && bell < 0))
		spawn_fail(report_fd, SPAWN_FAIL_SETUP);
	/* A fresh open file description: the region fd may carry hostd's
	 * flock, which must not outlive hostd in a shadow. */
	snprintf(chan, sizeof(chan), "/proc/self/fd/%d", spec->region_fd);
	fd = open(chan, O_RDWR); /* not close-on-exec: it may already be fd 3 */
	if (fd < 0 || (fd != SHADOW_FD_REGION && dup2(fd, SHADOW_FD_REGION) < 0))
		spawn_fail(report_fd, SPAWN_FAIL_SETUP);
	devnull = open("/dev/null", O_RDWR);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
	    dup2(log_fd, 2) < 0 || dup2(ctl_fd, SHADOW_FD_CONTROL) < 0 ||
	    (bell >= 0 && dup2(bell, SHADOW_FD_BELL) < 0))
		spawn_fail(report_fd, SPAWN_FAIL_SETUP);
	/* Only report_fd (close-on-exec, at 10 or above) survives above. */
	close_range(bell >= 0 ? SHADOW_FD_BELL + 1 : SHADOW_FD_CONTROL + 1,
		    (unsigned)report_fd - 1, 0);
	close_range((unsigned)report_fd + 1, ~0u, 0);

	if (spawn_limit(RLIMIT_NOFILE, spec->limits->nofile) < 0 ||
	    spawn_limit(RLIMIT_AS, spec->limits->as_bytes) < 0 ||
	    spawn_limit(RLIMIT_NPROC, spec->limits->nproc) < 0)
		spawn_fail(report_fd, SPAWN_FAIL_LIMITS);
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });

	snprintf(chan, sizeof(chan), "%u", spec->chan_index);
	snprintf(geometry, sizeof(geometry), "%u,%u", spec->n_channels, spec->chan_size);
	argv[n++] = "vmrpc-shadow";
	argv[n++] = "--channel";
	argv[n++] = chan;
	argv[n++] = "--geometry";
	argv[n++] = geometry;
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
	if (spec->root) {
		argv[n++] = "--root";
		argv[n++] = spec->root;
	}
	if (spec->verbose)
		argv[n++] = "--verbose";
	argv[n++] = "--transport";
	argv[n++] = vmrpc_transport_name(spec->transport);
	if (bell >= 0)
		argv[n++] = "--bell";
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

static void spawn_close(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int shadow_spawn(const struct shadow_spec *spec, struct shadow_proc *ret_proc, char *why,
		 size_t why_size)
{
	struct spawn_report rep;
	pid_t parent = getpid(), pid;
	/* report pipe, control socketpair, log pipe: hostd's ends first */
	int rp[2] = { -1, -1 }, sv[2] = { -1, -1 }, lp[2] = { -1, -1 };
	int pidfd, err;
	char limit[PATH_MAX];
	ssize_t n;

	/* The log is non-blocking at both ends: a shadow whose lines hostd
	 * does not read in time loses them rather than stalling its caller. */
	if (pipe2(rp, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0 ||
	    pipe2(lp, O_CLOEXEC | O_NONBLOCK) < 0) {
		err = -errno;
		snprintf(why, why_size, "pipes: %s", strerror(-err));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		if (err == -EAGAIN) /* a process limit, most likely: say which */
			cgroup_explain_eagain(limit, sizeof(limit));
		snprintf(why, why_size, "fork: %s%s%s", strerror(-err), err == -EAGAIN ? ": " : "",
			 err == -EAGAIN ? limit : "");
		goto fail;
	}
	if (pid == 0) {
		close(rp[0]);
		spawn_child(spec, parent, rp[1], sv[1], lp[1]);
	}
	close(rp[1]);
	close(sv[1]);
	close(lp[1]);
	rp[1] = sv[1] = lp[1] = -1;
	/* End of file: the exec happened (the pipe was close-on-exec). */
	do
		n = read(rp[0], &rep, sizeof(rep));
	while (n < 0 && errno == EINTR);
	close(rp[0]);
	rp[0] = -1;
	if (n == (ssize_t)sizeof(rep)) {
		waitpid(pid, NULL, 0);
		if (rep.what == SPAWN_FAIL_EXEC)
			snprintf(why, why_size, "cannot execute %s: %s", spec->exe,
				 strerror(rep.err));
		else if (rep.what == SPAWN_FAIL_LIMITS)
			snprintf(why, why_size, "cannot give it its limits (limit-nofile, "
				 "limit-as, limit-nproc): %s", strerror(rep.err));
		else if (rep.what == SPAWN_FAIL_CGROUP)
			snprintf(why, why_size, "cannot join its cgroup: %s", strerror(rep.err));
		else
			snprintf(why, why_size, "cannot set up its process: %s",
				 strerror(rep.err));
		err = -rep.err;
		goto fail;
	}
	pidfd = spawn_pidfd_open(pid);
	if (pidfd < 0) {
		err = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		snprintf(why, why_size, "pidfd_open: %s", strerror(-err));
		goto fail;
	}
	*ret_proc = (struct shadow_proc){
		.pid = pid, .pidfd = pidfd, .ctl_fd = sv[0], .log_fd = lp[0],
	};
	return 0;
fail:
	spawn_close(rp, 2);
	spawn_close(sv, 2);
	spawn_close(lp, 2);
	return err;
}
