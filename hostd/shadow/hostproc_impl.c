/* SPDX-License-Identifier: MIT */
/*
 * Host programs and pipes (idl/hostproc.idl), run in the caller's shadow.
 * A program is the shadow's child: only the shadow that started it can wait
 * for it or signal it (the table below), and it gets no descriptor but the
 * three it was given. At most HOSTPROC_CHILDREN_MAX run (or wait to be
 * reaped) at once per shadow; the shadow's cgroup bounds them and their
 * descendants together (pids.max), and kills them with the shadow.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostfs_impl.h"
#include "shadow_fds.h"
#include "shadow_fork.h"
#include "shadow_siblings.h"
#include "spawn_exec.h"
#include "vmrpc/vmrpc.h"

#define HOSTPROC_CHILDREN_MAX 64
#define HOSTPROC_ARGS_MAX 4096

/* Each slot: 0 free, -1 taken by a spawn under way, else a child's pid.
 * Atomic: a shadow serving siblings runs calls in several threads. */
static pid_t hostproc_children[HOSTPROC_CHILDREN_MAX];

static int hostproc_child_slot(pid_t pid)
{
	for (int i = 0; i < HOSTPROC_CHILDREN_MAX; i++)
		if (pid > 0 && __atomic_load_n(&hostproc_children[i], __ATOMIC_ACQUIRE) == pid)
			return i;
	return -1;
}

/* Take a free slot for a spawn: its index, or -1. */
static int hostproc_slot_take(void)
{
	for (int i = 0; i < HOSTPROC_CHILDREN_MAX; i++) {
		pid_t free_slot = 0;

		if (__atomic_compare_exchange_n(&hostproc_children[i], &free_slot, -1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return i;
	}
	return -1;
}

static int32_t hostproc_do_pipe(void *ctx, int32_t flags, int32_t *rfd, int32_t *wfd)
{
	int p[2];

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	if (pipe2(p, flags | O_CLOEXEC) < 0)
		return -errno;
	*rfd = p[0];
	*wfd = p[1];
	return 0;
}

/* n strings packed in len bytes, as a NULL-terminated vector (one malloc'd
 * block): vmrpc_strv_unpack() copies them before it checks them, since the
 * guest can rewrite the arena meanwhile. Our limits first: -E2BIG. */
static int hostproc_strings(const void *packed, uint32_t len, uint32_t n, char ***ret_vec)
{
	if (len > HOSTPROC_STRINGS_MAX || n > HOSTPROC_ARGS_MAX || (n == 0) != (len == 0))
		return -E2BIG;
	return vmrpc_strv_unpack(packed, len, n, ret_vec);
}

/* Check a descriptor the program gets as its stdin, stdout or stderr. */
static int hostproc_stdio_ok(int fd)
{
	if (fd == -1)
		return 0;
	return shadow_fd_guest_ok(fd) && fcntl(fd, F_GETFD) >= 0 ? 0 : -EBADF;
}

/* What the child needs: its stdio and directory. */
struct hostproc_child {
	const int32_t *fds; /* stdin, stdout, stderr: the shadow's, or -1 */
	const char *cwd;
};

/* In the child, its signals reset and tied to the shadow (spawn_exec): its
 * own process group; stdio first moved out of the way of 0-2 (any of them
 * may name another's target), then dup2'd into place (which clears
 * close-on-exec); then its directory. */
static int hostproc_child_setup(void *arg)
{
	const struct hostproc_child *c = arg;
	int moved[3];

	setpgid(0, 0);
	for (int i = 0; i < 3; i++) {
		moved[i] = c->fds[i] == -1 ? open("/dev/null", O_RDWR | O_CLOEXEC)
					   : fcntl(c->fds[i], F_DUPFD_CLOEXEC, 10);
		if (moved[i] < 0)
			return 1;
	}
	for (int i = 0; i < 3; i++)
		if (dup2(moved[i], i) < 0)
			return 1;
	if (*c->cwd && chdir(c->cwd) < 0)
		return 1;
	return 0;
}

static int32_t hostproc_do_spawn(void *ctx, const char *path, const void *argv, uint32_t argv_len,
				 uint32_t argc, const void *envp, uint32_t env_len, uint32_t envc,
				 const char *cwd, int32_t stdin_fd, int32_t stdout_fd,
				 int32_t stderr_fd)
{
	const int32_t fds[3] = { stdin_fd, stdout_fd, stderr_fd };
	struct hostproc_child child = { .fds = fds, .cwd = cwd };
	char **av = NULL, **ev = NULL;
	int slot = -1, err;
	pid_t pid;

	if (argc == 0 || !*path)
		return -EINVAL;
	for (int i = 0; i < 3; i++)
		if (hostproc_stdio_ok(fds[i]) < 0)
			return -EBADF;
	slot = hostproc_slot_take();
	if (slot < 0)
		return -EAGAIN;
	err = hostproc_strings(argv, argv_len, argc, &av);
	if (err < 0)
		goto out_slot;
	err = hostproc_strings(envp, env_len, envc, &ev);
	if (err < 0)
		goto out_args;
	/* Die with the shadow, which dies with hostd: the shadow's cgroup is
	 * killed with it anyway, but a hostd killed with SIGKILL kills
	 * nothing, and without cgroups this ends at least the program. Its
	 * descriptors: the three it is given (the shadow's are close-on-exec). */
	pid = spawn_exec(&(struct spawn_exec){ .path = path, .argv = av, .envp = ev,
					       .search = true, .die_with_parent = true,
					       .setup = hostproc_child_setup, .arg = &child,
					       .close_from = -1 },
			 NULL, NULL);
	err = pid < 0 ? pid : 0;
	if (!err)
		__atomic_store_n(&hostproc_children[slot], pid, __ATOMIC_RELEASE);
	free(ev);
out_args:
	free(av);
out_slot:
	if (err < 0)
		__atomic_store_n(&hostproc_children[slot], 0, __ATOMIC_RELEASE);
	return err < 0 ? err : pid;
}

static int32_t hostproc_do_wait(void *ctx, int32_t pid, int32_t options, int32_t *status)
{
	int slot = hostproc_child_slot(pid), st = 0;
	pid_t r;

	if (slot < 0)
		return -ECHILD;
	if (options & ~WNOHANG)
		return -EINVAL;
	/* EINTR goes back: the caller abandoned the call (a signal). */
	r = waitpid(pid, &st, options);
	if (r < 0)
		return -errno;
	if (r > 0)
		__atomic_store_n(&hostproc_children[slot], 0, __ATOMIC_RELEASE);
	*status = st;
	return r;
}

static int32_t hostproc_do_kill(void *ctx, int32_t pid, int32_t sig)
{
	if (hostproc_child_slot(pid) < 0)
		return -ESRCH;
	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	return kill(pid, sig) < 0 ? -errno : 0;
}

static int32_t hostproc_do_fork_shadow(void *ctx, uint32_t child_chan, uint64_t nonce)
{
	/* The copy keeps only the thread that forks: the one that serves the
	 * shadow's own channel, not a sibling's. */
	if (!shadow_serving_own_channel())
		return -EOPNOTSUPP;
	return shadow_fork(child_chan, nonce);
}

const struct hostproc_ops hostproc_impl_ops = {
	.pipe = hostproc_do_pipe,
	.spawn = hostproc_do_spawn,
	.wait = hostproc_do_wait,
	.kill = hostproc_do_kill,
	.fork_shadow = hostproc_do_fork_shadow,
};
