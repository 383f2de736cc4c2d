/* SPDX-License-Identifier: MIT */
/*
 * Locks and space of host descriptors: flock, fallocate, posix_fallocate
 * (and their 64 names), each a hostfs call on the shadow's descriptor. On
 * the placeholder they would fail with EBADF; a program locking or
 * preallocating a host file means the host file (flock(1), sqlite, cp,
 * fallocate(1)).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>

#include "hostfs_caller.h"
#include "preload.h"

/* A blocking flock polls, from 1 ms doubling to this, between tries. */
#define FLOCK_POLL_MAX_NS 50000000L

/* A blocking flock in the shadow would hold the channel (every other
 * thread's host calls) until the lock is free, and no signal of the guest
 * could interrupt it: flock -w, or a program's SIGALRM, would wait
 * forever. So the shim asks with LOCK_NB and waits here, where a caught
 * signal ends the wait with EINTR (as flock(2) does for a handler without
 * SA_RESTART). */
EXPORT int flock(int fd, int op)
{
	struct timespec wait = { 0, 1000000L };
	int hfd = host_fd(fd);
	int64_t r;

	if (hfd < 0)
		return REAL(flock)(fd, op);
	for (;;) {
		r = HOST_CALL(hostfs_flock(&preload_host->fs, hfd, op | LOCK_NB));
		if (r != -EWOULDBLOCK || (op & LOCK_NB))
			return (int)ret_errno(r);
		if (nanosleep(&wait, NULL) < 0 && errno == EINTR)
			return (int)ret_errno(-EINTR);
		wait.tv_nsec = wait.tv_nsec * 2 > FLOCK_POLL_MAX_NS ? FLOCK_POLL_MAX_NS
								    : wait.tv_nsec * 2;
	}
}

EXPORT int fallocate(int fd, int mode, off_t offset, off_t len)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(fallocate)(fd, mode, offset, len);
	return (int)ret_errno(
		HOST_CALL(hostfs_fallocate(&preload_host->fs, hfd, mode, offset, len)));
}

EXPORT int fallocate64(int fd, int mode, off_t offset, off_t len)
	__attribute__((alias("fallocate")));

/* posix_fallocate returns the error number and leaves errno alone. The
 * shadow runs the C library's own (with its fallback for file systems
 * without fallocate), on the host file. */
EXPORT int posix_fallocate(int fd, off_t offset, off_t len)
{
	int hfd = host_fd(fd), saved = errno;
	int64_t r;

	if (hfd < 0)
		return REAL(posix_fallocate)(fd, offset, len);
	r = HOST_CALL(hostfs_posix_fallocate(&preload_host->fs, hfd, offset, len));
	errno = saved;
	return r >= 0 ? 0 : r >= -4095 ? (int)-r : EIO;
}

EXPORT int posix_fallocate64(int fd, off_t offset, off_t len)
	__attribute__((alias("posix_fallocate")));
