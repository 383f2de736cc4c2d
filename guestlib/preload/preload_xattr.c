/* SPDX-License-Identifier: MIT */
/*
 * Extended attributes of host files: the path, l and f variants of get,
 * set, list and remove, each one hostfs call (the IDL folds the three
 * variants into one method). cp -p, cp -a and install set POSIX ACLs with
 * fsetxattr on the file they created, tar and rsync copy user attributes,
 * ls asks for ACLs with getxattr. A name or size the kernel would refuse
 * is refused here the same way, before any host call.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include "hostfs_caller.h"
#include "preload.h"

/* A host path for the path variants: not "" (which the IDL reads as "the
 * descriptor"; the kernel says ENOENT, and so does libc's call). */
static bool xattr_host_path(const char *path, const char **ret_path)
{
	return path && *path && host_path(path, ret_path);
}

/* As the kernel checks a name: empty or longer than XATTR_NAME_MAX is
 * ERANGE. */
static int64_t xattr_name_check(const char *name)
{
	size_t n;

	if (!name)
		return -EFAULT;
	n = strnlen(name, HOSTFS_XATTR_NAME_MAX + 1);
	return n == 0 || n > HOSTFS_XATTR_NAME_MAX ? -ERANGE : 0;
}

/* hostfs.getxattr of host descriptor hfd (hp "") or host path hp. */
static ssize_t host_getxattr(int hfd, const char *hp, int flags, const char *name, void *value,
			     size_t size)
{
	int64_t r = xattr_name_check(name);
	uint64_t len;

	if (r == 0 && !value && size)
		r = -EFAULT;
	if (size > HOSTFS_XATTR_SIZE_MAX)
		size = HOSTFS_XATTR_SIZE_MAX; /* as the kernel does */
	if (r == 0) {
		r = HOST_CALL(hostfs_getxattr(&preload_host->fs, hfd, hp, flags, name, value, size,
					      &len));
	}
	return ret_errno(r);
}

static int host_setxattr(int hfd, const char *hp, int flags, const char *name,
			 const void *value, size_t size, int xflags)
{
	int64_t r = xattr_name_check(name);

	if (r == 0 && !value && size)
		r = -EFAULT;
	if (r == 0 && size > HOSTFS_XATTR_SIZE_MAX)
		r = -E2BIG;
	if (r == 0) {
		r = HOST_CALL(hostfs_setxattr(&preload_host->fs, hfd, hp, flags, name, value, size,
					      xflags));
	}
	return (int)ret_errno(r);
}

static ssize_t host_listxattr(int hfd, const char *hp, int flags, char *list, size_t size)
{
	uint64_t len;
	int64_t r = !list && size ? -EFAULT : 0;

	if (size > HOSTFS_XATTR_LIST_MAX)
		size = HOSTFS_XATTR_LIST_MAX;
	if (r == 0) {
		r = HOST_CALL(hostfs_listxattr(&preload_host->fs, hfd, hp, flags, list, size,
					       &len));
	}
	return ret_errno(r);
}

static int host_removexattr(int hfd, const char *hp, int flags, const char *name)
{
	int64_t r = xattr_name_check(name);

	if (r == 0) {
		r = HOST_CALL(hostfs_removexattr(&preload_host->fs, hfd, hp, flags, name));
	}
	return (int)ret_errno(r);
}

EXPORT ssize_t getxattr(const char *path, const char *name, void *value, size_t size)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return REAL(getxattr)(path, name, value, size);
	return host_getxattr(AT_FDCWD, hp, 0, name, value, size);
}

EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return REAL(lgetxattr)(path, name, value, size);
	return host_getxattr(AT_FDCWD, hp, AT_SYMLINK_NOFOLLOW, name, value, size);
}

EXPORT ssize_t fgetxattr(int fd, const char *name, void *value, size_t size)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(fgetxattr)(fd, name, value, size);
	return host_getxattr(hfd, "", 0, name, value, size);
}

EXPORT int setxattr(const char *path, const char *name, const void *value, size_t size,
		    int flags)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return REAL(setxattr)(path, name, value, size, flags);
	return host_setxattr(AT_FDCWD, hp, 0, name, value, size, flags);
}

EXPORT int lsetxattr(const char *path, const char *name, const void *value, size_t size,
		     int flags)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return REAL(lsetxattr)(path, name, value, size, flags);
	return host_setxattr(AT_FDCWD, hp, AT_SYMLINK_NOFOLLOW, name, value, size, flags);
}

EXPORT int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(fsetxattr)(fd, name, value, size, flags);
	return host_setxattr(hfd, "", 0, name, value, size, flags);
}

EXPORT ssize_t listxattr(const char *path, char *list, size_t size)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return REAL(listxattr)(path, list, size);
	return host_listxattr(AT_FDCWD, hp, 0, list, size);
}

EXPORT ssize_t llistxattr(const char *path, char *list, size_t size)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return REAL(llistxattr)(path, list, size);
	return host_listxattr(AT_FDCWD, hp, AT_SYMLINK_NOFOLLOW, list, size);
}

EXPORT ssize_t flistxattr(int fd, char *list, size_t size)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(flistxattr)(fd, list, size);
	return host_listxattr(hfd, "", 0, list, size);
}

EXPORT int removexattr(const char *path, const char *name)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return REAL(removexattr)(path, name);
	return host_removexattr(AT_FDCWD, hp, 0, name);
}

EXPORT int lremovexattr(const char *path, const char *name)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return REAL(lremovexattr)(path, name);
	return host_removexattr(AT_FDCWD, hp, AT_SYMLINK_NOFOLLOW, name);
}

EXPORT int fremovexattr(int fd, const char *name)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(fremovexattr)(fd, name);
	return host_removexattr(hfd, "", 0, name);
}
