/* SPDX-License-Identifier: MIT */
/*
 * fork and vfork: the child gets a fork of the shadow (vmrpc_host_fork_*),
 * or, where there can be none, starts without host state; in the child
 * the shim's locks start free.
 */
#include <limits.h>
#include <unistd.h>

#include "hostfs_caller.h"
#include "preload.h"
#include "vmrpc/hostcall.h"

/* The child gets a fork of the shadow, with the host descriptors and the
 * working directory as they were. If that cannot be prepared (a VM, no
 * room), the child starts without host state: its host descriptors are
 * gone (EBADF) and its first host call attaches a new shadow, which takes
 * up the host working directory by path. */
EXPORT pid_t fork(void)
{
	struct vmrpc_host_fork f = { 0 };
	char cwd[PATH_MAX];
	int prep = -1;
	int32_t cwd_r = -ENOENT;
	pid_t pid;

	preload_init();
	LOCK();
	/* An exec'd image takes its channel up lazily; it must be ours before
	 * the fork, or the child would take up the parent's channel. */
	if (!preload_host && preload_adopt)
		host_get();
	if (preload_host)
		prep = vmrpc_host_fork_prepare(preload_host, &f);
	if (prep < 0 && preload_host && cwd_in_shadow())
		cwd_r = hostfs_getcwd(&preload_host->fs, cwd, sizeof(cwd));
	pid = REAL(fork)();
	if (pid == 0) {
		pthread_mutex_init(&preload_lock, NULL);
		stdio_fork_child();
		if (prep == 0) {
			vmrpc_host_fork_child(preload_host, &f);
		} else if (preload_host) {
			/* The parent's handle: vmrpc_host_detach only frees a copy. */
			host_drop();
			if (cwd_in_shadow())
				cwd_leave_shadow(cwd_r, cwd);
		}
		return 0;
	}
	if (prep == 0) {
		if (pid > 0)
			vmrpc_host_fork_parent(preload_host, &f, pid);
		else
			vmrpc_host_fork_abort(preload_host, &f);
	}
	UNLOCK();
	return pid;
}

/* vfork() as fork(): a vfork child that execs would otherwise leave its
 * parent's channel behind. fork() is always a valid vfork(). */
EXPORT pid_t vfork(void)
{
	return fork();
}
