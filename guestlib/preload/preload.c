/* SPDX-License-Identifier: MIT */
/*
 * libvmrpc-preload.so: host files for unmodified guest programs.
 *
 *	LD_PRELOAD=libvmrpc-preload.so cat /host/etc/hostname
 *
 * Paths under a prefix ($VMRPC_HOST_PREFIX, default /host) are host paths:
 * /host/etc/hostname is the host's /etc/hostname, opened by this process's
 * shadow. A host file's descriptor is a real guest descriptor (a
 * placeholder reserves the number, so nothing else gets it and dup2 or
 * close-on-exec work on it) mapped to the shadow's descriptor; calls on it
 * go to the host. The placeholder is an O_PATH descriptor of a private
 * inode (placeholder_open()): whatever the shim does not route (ioctl,
 * mmap, poll, a libc internal call) fails on it with EBADF and touches
 * nothing another process sees. Relative paths are host paths while the
 * working directory is (after chdir into /host). Everything else is
 * passed to libc untouched: guest paths behave exactly as before.
 *
 * One host context per process, attached on first use, one call at a time
 * (a lock): a process's threads share its shadow as they share its
 * descriptors. fork() gives the child a fork of the shadow
 * (vmrpc_host_fork_*). A uid or gid change detaches the host context
 * (preload_ids.c). Errors are the host's errno values; a transport failure
 * is EIO. See docs/hostcalls.md for what is covered.
 *
 * This file starts the shim; the rest is one job a file, sharing
 * preload.h:
 *	preload_libc.c		libc's own functions (REAL())
 *	preload_host.c		the host context and the lock (HOST_CALL())
 *	preload_fdtable.c	the descriptor table, placeholders, hidden fds
 *	preload_route.c		host path or guest path
 *	preload_cwd.c		the working directory; chdir, fchdir, getcwd
 *	preload_exec.c		what survives exec; the exec family
 *	preload_fork.c		fork, vfork
 *	preload_ids.c		uid and gid changes
 * and the wrappers by family: preload_open.c (open, close, dup, fcntl),
 * preload_rw.c (read, write, seek, sync, truncate), preload_stat.c,
 * preload_path.c (rename, link, unlink, mkdir, symlink, readlink),
 * preload_perms.c (chmod, chown), preload_times.c, preload_xattr.c,
 * preload_fdops.c (flock, fallocate), preload_dir.c, preload_stdio.c,
 * preload_realpath.c, preload_fortify.c.
 */

#include <pthread.h>
#include <stdbool.h>

#include "preload.h"

bool preload_ready;

/* preload_init()'s first time: each part's start-up. Idempotent, so a
 * race only repeats it. */
void preload_setup(void)
{
	cwd_init();
	fds_init();
	exec_state_load();
	route_init();
	__atomic_store_n(&preload_ready, true, __ATOMIC_RELEASE);
}

/* An exec'd image takes up its channel at once, before the program runs:
 * its first act may be to pass an inherited host descriptor on (a shell's
 * "cat <&5") or to fork, and that must find the channel ours. */
__attribute__((constructor)) static void preload_ctor(void)
{
	preload_init();
	if (preload_adopt) {
		pthread_mutex_lock(&preload_lock);
		host_get();
		pthread_mutex_unlock(&preload_lock);
	}
	stdio_on_host_files();
}
