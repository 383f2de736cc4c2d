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

static void *next_getxattr, *next_lgetxattr, *next_fgetxattr;
static void *next_setxattr, *next_lsetxattr, *next_fsetxattr;
static void *next_listxattr, *next_llistxattr, *next_flistxattr;
static void *next_removexattr, *next_lremovexattr, *next_fremovexattr;

typedef ssize_t (*getxattr_fn)(const char *, const char *, void *, size_t);
typedef ssize_t (*fgetxattr_fn)(int, const char *, void *, size_t);
typedef int (*setxattr_fn)(const char *, const char *, const void *, size_t, int);
typedef int (*fsetxattr_fn)(int, const char *, const void *, size_t, int);
typedef ssize_t (*listxattr_fn)(const char *, char *, size_t);
typedef ssize_t (*flistxattr_fn)(int, char *, size_t);
typedef int (*removexattr_fn)(const char *, const char *);
typedef int (*fremovexattr_fn)(int, const char *);

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
		LOCK();
		r = host_get() ? hostfs_getxattr(&preload_host->fs, hfd, hp, flags, name, value,
						 size, &len)
			       : -errno;
		UNLOCK();
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
		LOCK();
		r = host_get() ? hostfs_setxattr(&preload_host->fs, hfd, hp, flags, name, value,
						 size, xflags)
			       : -errno;
		UNLOCK();
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
		LOCK();
		r = host_get() ? hostfs_listxattr(&preload_host->fs, hfd, hp, flags, list, size,
						  &len)
			       : -errno;
		UNLOCK();
	}
	return ret_errno(r);
}

static int host_removexattr(int hfd, const char *hp, int flags, const char *name)
{
	int64_t r = xattr_name_check(name);

	if (r == 0) {
		LOCK();
		r = host_get() ? hostfs_removexattr(&preload_host->fs, hfd, hp, flags, name)
			       : -errno;
		UNLOCK();
	}
	return (int)ret_errno(r);
}

EXPORT ssize_t getxattr(const char *path, const char *name, void *value, size_t size)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return ((getxattr_fn)preload_next(&next_getxattr, "getxattr"))(path, name, value,
									       size);
	return host_getxattr(AT_FDCWD, hp, 0, name, value, size);
}

EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return ((getxattr_fn)preload_next(&next_lgetxattr, "lgetxattr"))(path, name, value,
										 size);
	return host_getxattr(AT_FDCWD, hp, AT_SYMLINK_NOFOLLOW, name, value, size);
}

EXPORT ssize_t fgetxattr(int fd, const char *name, void *value, size_t size)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return ((fgetxattr_fn)preload_next(&next_fgetxattr, "fgetxattr"))(fd, name, value,
										  size);
	return host_getxattr(hfd, "", 0, name, value, size);
}

EXPORT int setxattr(const char *path, const char *name, const void *value, size_t size,
		    int flags)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return ((setxattr_fn)preload_next(&next_setxattr, "setxattr"))(path, name, value,
									       size, flags);
	return host_setxattr(AT_FDCWD, hp, 0, name, value, size, flags);
}

EXPORT int lsetxattr(const char *path, const char *name, const void *value, size_t size,
		     int flags)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return ((setxattr_fn)preload_next(&next_lsetxattr, "lsetxattr"))(path, name, value,
										 size, flags);
	return host_setxattr(AT_FDCWD, hp, AT_SYMLINK_NOFOLLOW, name, value, size, flags);
}

EXPORT int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return ((fsetxattr_fn)preload_next(&next_fsetxattr, "fsetxattr"))(fd, name, value,
										  size, flags);
	return host_setxattr(hfd, "", 0, name, value, size, flags);
}

EXPORT ssize_t listxattr(const char *path, char *list, size_t size)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return ((listxattr_fn)preload_next(&next_listxattr, "listxattr"))(path, list,
										  size);
	return host_listxattr(AT_FDCWD, hp, 0, list, size);
}

EXPORT ssize_t llistxattr(const char *path, char *list, size_t size)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return ((listxattr_fn)preload_next(&next_llistxattr, "llistxattr"))(path, list,
										    size);
	return host_listxattr(AT_FDCWD, hp, AT_SYMLINK_NOFOLLOW, list, size);
}

EXPORT ssize_t flistxattr(int fd, char *list, size_t size)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return ((flistxattr_fn)preload_next(&next_flistxattr, "flistxattr"))(fd, list,
										     size);
	return host_listxattr(hfd, "", 0, list, size);
}

EXPORT int removexattr(const char *path, const char *name)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return ((removexattr_fn)preload_next(&next_removexattr, "removexattr"))(path,
											name);
	return host_removexattr(AT_FDCWD, hp, 0, name);
}

EXPORT int lremovexattr(const char *path, const char *name)
{
	const char *hp;

	if (!xattr_host_path(path, &hp))
		return ((removexattr_fn)preload_next(&next_lremovexattr, "lremovexattr"))(path,
											  name);
	return host_removexattr(AT_FDCWD, hp, AT_SYMLINK_NOFOLLOW, name);
}

EXPORT int fremovexattr(int fd, const char *name)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return ((fremovexattr_fn)preload_next(&next_fremovexattr, "fremovexattr"))(fd,
											   name);
	return host_removexattr(hfd, "", 0, name);
}
