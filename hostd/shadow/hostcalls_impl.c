/* SPDX-License-Identifier: MIT */
/* Host calls run in the caller's shadow: plain system calls on the shadow's
 * own context. Every result is the host's value or -errno. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "hostcalls_impl.h"
#include "shadow_fds.h"

static int32_t hostcalls_do_identity(void *ctx, int32_t *pid, uint32_t *uid, uint32_t *gid)
{
	*pid = getpid();
	*uid = getuid();
	*gid = getgid();
	return 0;
}

static int32_t hostcalls_do_getcwd(void *ctx, char *path, size_t path_size)
{
	return getcwd(path, path_size) ? 0 : -errno;
}

static int32_t hostcalls_do_chdir(void *ctx, const char *path)
{
	return chdir(path) < 0 ? -errno : 0;
}

static int32_t hostcalls_do_open(void *ctx, const char *path, int32_t flags, uint32_t mode)
{
	/* Descriptors are the shadow's; never leak them into its children. */
	int fd = openat(AT_FDCWD, path, flags | O_CLOEXEC, (mode_t)mode);

	return fd < 0 ? -errno : fd;
}

static int64_t hostcalls_do_read(void *ctx, int32_t fd, void *buf, uint64_t count)
{
	ssize_t n;

	/* Not the shadow's own descriptors: fd 2 is hostd's log. */
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	n = read(fd, buf, count > SSIZE_MAX ? SSIZE_MAX : (size_t)count);

	return n < 0 ? -errno : n;
}

static int64_t hostcalls_do_write(void *ctx, int32_t fd, const void *buf, uint64_t count)
{
	ssize_t n;

	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	n = write(fd, buf, count > SSIZE_MAX ? SSIZE_MAX : (size_t)count);

	return n < 0 ? -errno : n;
}

static int32_t hostcalls_do_close(void *ctx, int32_t fd)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return close(fd) < 0 ? -errno : 0;
}

const struct hostcalls_ops hostcalls_impl_ops = {
	.identity = hostcalls_do_identity,
	.getcwd = hostcalls_do_getcwd,
	.chdir = hostcalls_do_chdir,
	.open = hostcalls_do_open,
	.read = hostcalls_do_read,
	.write = hostcalls_do_write,
	.close = hostcalls_do_close,
};
