/* SPDX-License-Identifier: MIT */
/* Spawning shadows: fork, drop to the caller's credentials and limits, and
 * exec a dedicated binary, so that no daemon state (memory, descriptors,
 * privileges) reaches code that serves a guest. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

#define SPAWN_ARGV_MAX (12 + 2 * 16)

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

/* In the child: anything failing here ends it with status 127, which hostd
 * reports as the shadow's exit. */
static void __attribute__((noreturn)) spawn_child(const struct shadow_spec *spec, pid_t parent)
{
	char chan[32], fdarg[] = "3", bellarg[] = "4";
	const char *argv[SPAWN_ARGV_MAX];
	const char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", NULL, NULL };
	char spin_env[64];
	const char *spin = getenv("VMRPC_SPIN_NS");
	sigset_t all;
	size_t n = 0;
	int devnull, fd, bell = -1;

	/* Die with hostd: a shadow outliving it would serve nobody. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setsid();

	/* Out of the way of fds 3 and 4 first: it becomes fd 4 below. */
	if (spec->bell_fd >= 0 && (bell = fcntl(spec->bell_fd, F_DUPFD, 10)) < 0)
		_exit(127);
	/* A fresh open file description: the region fd carries hostd's flock,
	 * which must not outlive hostd in a shadow. */
	snprintf(chan, sizeof(chan), "/proc/self/fd/%d", spec->region_fd);
	fd = open(chan, O_RDWR); /* not close-on-exec: it may already be fd 3 */
	if (fd < 0 || (fd != 3 && dup2(fd, 3) < 0))
		_exit(127);
	devnull = open("/dev/null", O_RDWR);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0)
		_exit(127);
	if (bell >= 0 && dup2(bell, 4) < 0)
		_exit(127);
	/* stderr stays: a shadow's last words belong in hostd's log. */
	close_range(bell >= 0 ? 5 : 4, ~0u, 0);

	spawn_limit(RLIMIT_NOFILE, spec->limits->nofile);
	spawn_limit(RLIMIT_AS, spec->limits->as_bytes);
	spawn_limit(RLIMIT_NPROC, spec->limits->nproc);
	spawn_limit(RLIMIT_CORE, 0);

	if (geteuid() == 0) {
		if (setgroups(0, NULL) < 0 || setgid(spec->gid) < 0 || setuid(spec->uid) < 0)
			_exit(127);
	}
	if (spec->cwd && chdir(spec->cwd) < 0)
		_exit(127);

	snprintf(chan, sizeof(chan), "%u", spec->chan_index);
	argv[n++] = "vmrpc-shadow";
	argv[n++] = "--region-fd";
	argv[n++] = fdarg;
	argv[n++] = "--channel";
	argv[n++] = chan;
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
	_exit(127);
}

int shadow_spawn(const struct shadow_spec *spec, pid_t *ret_pid, int *ret_pidfd)
{
	pid_t parent = getpid(), pid;
	int pidfd, err;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		spawn_child(spec, parent);
	pidfd = spawn_pidfd_open(pid);
	if (pidfd < 0) {
		err = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err;
	}
	*ret_pid = pid;
	*ret_pidfd = pidfd;
	return 0;
}
