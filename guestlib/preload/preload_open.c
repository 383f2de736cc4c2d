/* SPDX-License-Identifier: MIT */
/*
 * Opening, closing and duplicating descriptors: open and its variants,
 * close, close_range and closefrom, dup, dup2, dup3 and fcntl. A host
 * file's descriptor is a placeholder's number mapped to the shadow's
 * descriptor (preload_fdtable.c); these keep the two in step.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "hostfs_caller.h"
#include "preload.h"

/* libc symbols this file defines that no header declares. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* Open a host file and give it a guest descriptor (lock held, attached):
 * the guest descriptor, or -errno. */
static int64_t host_openat(int hdirfd, const char *hpath, int flags, mode_t mode)
{
	int32_t hfd = hostfs_openat(&preload_host->fs, hdirfd, hpath, flags & ~O_CLOEXEC, mode);
	int gfd, e;

	if (hfd < 0)
		return hfd;
	gfd = reserve_fd(hfd, flags & O_CLOEXEC, 0);
	if (gfd < 0) {
		e = errno;
		hostfs_close(&preload_host->fs, hfd);
		return -e;
	}
	return gfd;
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int)
								    : 0;
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	const char *hp;
	mode_t mode;
	va_list ap;
	int hd;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	if (host_at(dirfd, path, &hd, &hp))
		return (int)ret_errno(HOST_CALL(host_openat(hd, hp, flags, mode)));
	return REAL(openat)(dirfd, path, flags, mode);
}

EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode;
	va_list ap;

	va_start(ap, flags);
	mode = open_mode(flags, ap);
	va_end(ap);
	return openat(AT_FDCWD, path, flags, mode);
}

EXPORT int open64(const char *path, int flags, ...) __attribute__((alias("open")));
EXPORT int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

EXPORT int __open_2(const char *path, int flags)
{
	return openat(AT_FDCWD, path, flags, 0);
}

EXPORT int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

EXPORT int __openat_2(int dirfd, const char *path, int flags)
{
	return openat(dirfd, path, flags, 0);
}

EXPORT int __openat64_2(int dirfd, const char *path, int flags)
	__attribute__((alias("__openat_2")));

EXPORT int creat(const char *path, mode_t mode)
{
	return openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

EXPORT int creat64(const char *path, mode_t mode) __attribute__((alias("creat")));

EXPORT int close(int fd)
{
	int hfd = host_fd(fd);
	int32_t r;

	if (hfd < 0)
		return fd_hidden(fd) ? fd_ebadf() : REAL(close)(fd);
	LOCK();
	r = host_unmap(fd, hfd);
	REAL(close)(fd);
	UNLOCK();
	return (int)ret_errno(r);
}

EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	int r;

	preload_init();
	if (!REAL(close_range)) {
		errno = ENOSYS;
		return -1;
	}
	LOCK();
	r = close_range_visible(first, last, flags);
	UNLOCK();
	return r;
}

EXPORT void closefrom(int low)
{
	if (low < 0)
		low = 0;
	if (close_range((unsigned)low, ~0u, 0) == 0)
		return;
	/* No close_range(2): one by one, up to the descriptor limit. */
	for (long fd = low, max = sysconf(_SC_OPEN_MAX); fd < max; fd++)
		close((int)fd);
}

/* A new guest fd for a dup of host fd hfd (lock held, attached): the
 * lowest free one at or above min, or exact; or -errno. */
static int64_t host_dup(int hfd, bool cloexec, int min, int exact)
{
	int32_t nh = hostfs_dup(&preload_host->fs, hfd);
	int gfd, e;

	if (nh < 0)
		return nh;
	if (exact >= 0) {
		int tmpl = placeholder_template();
		int prev = host_fd(exact);

		if (tmpl < 0 || exact >= PRELOAD_FD_MAX) {
			hostfs_close(&preload_host->fs, nh);
			return tmpl < 0 ? -EMFILE : -EBADF;
		}
		/* exact is not the template: dup3() vacated it. */
		gfd = REAL(dup3)(tmpl, exact, cloexec ? O_CLOEXEC : 0);
		if (gfd < 0) {
			e = errno;
			hostfs_close(&preload_host->fs, nh);
			return -e;
		}
		if (prev >= 0 && prev != PRELOAD_HFD_STALE) /* dup2 onto a host fd closes it */
			hostfs_close(&preload_host->fs, prev);
		map_fd(gfd, nh);
		return gfd;
	}
	gfd = reserve_fd(nh, cloexec, min);
	if (gfd < 0) {
		e = errno;
		hostfs_close(&preload_host->fs, nh);
		return -e;
	}
	return gfd;
}

EXPORT int dup(int fd)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return fd_hidden(fd) ? fd_ebadf() : REAL(dup)(fd);
	return (int)ret_errno(HOST_CALL(host_dup(hfd, false, 0, -1)));
}

EXPORT int dup3(int fd, int newfd, int flags)
{
	int hfd = host_fd(fd), prev = host_fd(newfd), r;

	if (fd_hidden(fd))
		return fd_ebadf();
	if (fd_hidden(newfd) && fd != newfd && (hfd >= 0 || REAL(fcntl)(fd, F_GETFD) >= 0)) {
		LOCK();
		r = fd_vacate(newfd);
		UNLOCK();
		if (r < 0)
			return -1;
	}
	if (hfd < 0 && prev < 0)
		return REAL(dup3)(fd, newfd, flags);
	if (fd == newfd) {
		errno = EINVAL;
		return -1;
	}
	if (hfd >= 0)
		return (int)ret_errno(HOST_CALL(host_dup(hfd, flags & O_CLOEXEC, 0, newfd)));
	/* A guest fd onto a host fd: the host fd goes. */
	LOCK();
	r = REAL(dup3)(fd, newfd, flags);
	if (r >= 0)
		host_unmap(newfd, prev);
	UNLOCK();
	return r;
}

EXPORT int dup2(int fd, int newfd)
{
	if (fd == newfd) /* valid and unchanged, as dup2 says */
		return host_fd(fd) >= 0 ? fd : fd_hidden(fd) ? fd_ebadf() : REAL(dup2)(fd, newfd);
	return dup3(fd, newfd, 0);
}

/* A record lock of host descriptor hfd (lock held, attached): 0 or
 * -errno. */
static int64_t host_fcntl_lock(int hfd, int cmd, struct flock *fl)
{
	struct hostfs_flock hl = { .type = fl->l_type, .whence = fl->l_whence,
				   .start = fl->l_start, .len = fl->l_len, .pid = fl->l_pid };
	int32_t r = hostfs_fcntl_lock(&preload_host->fs, hfd, cmd, &hl);

	if (r == 0) {
		fl->l_type = hl.type;
		fl->l_whence = hl.whence;
		fl->l_start = hl.start;
		fl->l_len = hl.len;
		fl->l_pid = hl.pid;
	}
	return r;
}

/* fcntl cmd of host descriptor hfd (lock held, attached): its result, or
 * -errno. */
static int64_t host_fcntl(int hfd, int cmd, void *argp, long arg)
{
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return host_dup(hfd, cmd == F_DUPFD_CLOEXEC, (int)arg, -1);
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return host_fcntl_lock(hfd, cmd, argp);
	default:
		return hostfs_fcntl(&preload_host->fs, hfd, cmd, arg);
	}
}

EXPORT int fcntl(int fd, int cmd, ...)
{
	int hfd = host_fd(fd), r;
	void *argp;
	va_list ap;

	/* Every fcntl argument is an int, a long or a pointer: read a pointer
	 * (the x86-64 ABI passes all three in one register). */
	va_start(ap, cmd);
	argp = va_arg(ap, void *);
	va_end(ap);
	if (hfd < 0)
		return fd_hidden(fd) ? fd_ebadf() : REAL(fcntl)(fd, cmd, argp);
	if (cmd == F_GETFD || cmd == F_SETFD) {
		/* Close-on-exec is the placeholder's; under the lock, as exec
		 * reads it (preload_state_make()). */
		LOCK();
		r = REAL(fcntl)(fd, cmd, (long)(intptr_t)argp);
		UNLOCK();
		return r;
	}
	return (int)ret_errno(HOST_CALL(host_fcntl(hfd, cmd, argp, (long)(intptr_t)argp)));
}

EXPORT int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));
