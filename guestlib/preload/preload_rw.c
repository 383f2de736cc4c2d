/* SPDX-License-Identifier: MIT */
/*
 * The data of host descriptors: read, write, their positioned and vector
 * forms, lseek, fsync, fdatasync, ftruncate and truncate; and what cannot
 * reach a host file (copy_file_range, sendfile) or need not
 * (posix_fadvise).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hostfs_caller.h"
#include "preload.h"
#include "vmrpc/hostcall.h"

/* libc symbols this file defines that no header declares. */
ssize_t sendfile(int out, int in, off_t *off, size_t count);
ssize_t sendfile64(int out, int in, off_t *off, size_t count);

EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(read)(fd, buf, count);
	return ret_errno(HOST_CALL(vmrpc_host_read(preload_host, hfd, buf, count)));
}

EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(write)(fd, buf, count);
	return ret_errno(HOST_CALL(vmrpc_host_write(preload_host, hfd, buf, count)));
}

EXPORT ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(pread)(fd, buf, count, off);
	return ret_errno(HOST_CALL(vmrpc_host_pread(preload_host, hfd, buf, count, off)));
}

EXPORT ssize_t pread64(int fd, void *buf, size_t count, off_t off) __attribute__((alias("pread")));

EXPORT ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(pwrite)(fd, buf, count, off);
	return ret_errno(HOST_CALL(vmrpc_host_pwrite(preload_host, hfd, buf, count, off)));
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off)
	__attribute__((alias("pwrite")));

EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(readv)(fd, iov, iovcnt);
	return ret_errno(HOST_CALL(vmrpc_host_readv(preload_host, hfd, iov, iovcnt)));
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(writev)(fd, iov, iovcnt);
	return ret_errno(HOST_CALL(vmrpc_host_writev(preload_host, hfd, iov, iovcnt)));
}

EXPORT off_t lseek(int fd, off_t off, int whence)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(lseek)(fd, off, whence);
	return ret_errno(HOST_CALL(hostfs_lseek(&preload_host->fs, hfd, off, whence)));
}

EXPORT off_t lseek64(int fd, off_t off, int whence) __attribute__((alias("lseek")));

/* Copying between descriptors in the kernel cannot reach a host file:
 * ENOSYS makes cp and friends fall back to read and write. */
EXPORT ssize_t copy_file_range(int in, off_t *in_off, int out, off_t *out_off, size_t len,
			       unsigned flags)
{
	if (host_fd(in) >= 0 || host_fd(out) >= 0) {
		errno = ENOSYS;
		return -1;
	}
	return REAL(copy_file_range)(in, in_off, out, out_off, len, flags);
}

EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	if (host_fd(in) >= 0 || host_fd(out) >= 0) {
		errno = EINVAL;
		return -1;
	}
	return REAL(sendfile)(out, in, off, count);
}

EXPORT ssize_t sendfile64(int out, int in, off_t *off, size_t count)
	__attribute__((alias("sendfile")));

EXPORT int posix_fadvise(int fd, off_t off, off_t len, int advice)
{
	if (host_fd(fd) >= 0)
		return 0; /* advice only */
	return REAL(posix_fadvise)(fd, off, len, advice);
}

EXPORT int posix_fadvise64(int fd, off_t off, off_t len, int advice)
	__attribute__((alias("posix_fadvise")));

EXPORT int fsync(int fd)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(fsync)(fd);
	return (int)ret_errno(HOST_CALL(hostfs_fsync(&preload_host->fs, hfd, false)));
}

EXPORT int fdatasync(int fd)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(fdatasync)(fd);
	return (int)ret_errno(HOST_CALL(hostfs_fsync(&preload_host->fs, hfd, true)));
}

EXPORT int ftruncate(int fd, off_t len)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(ftruncate)(fd, len);
	return (int)ret_errno(HOST_CALL(hostfs_ftruncate(&preload_host->fs, hfd, len)));
}

EXPORT int ftruncate64(int fd, off_t len) __attribute__((alias("ftruncate")));

EXPORT int truncate(const char *path, off_t len)
{
	const char *hp;

	if (!host_path(path, &hp))
		return REAL(truncate)(path, len);
	return (int)ret_errno(HOST_CALL(hostfs_truncate(&preload_host->fs, hp, len)));
}

EXPORT int truncate64(const char *path, off_t len) __attribute__((alias("truncate")));
