/* SPDX-License-Identifier: MIT */
/*
 * Names: rename, link, unlink, rmdir, remove, mkdir, symlink and
 * readlink, and their *at forms. A call whose two paths are on different
 * sides is EXDEV.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostfs_caller.h"
#include "preload.h"

/* Both paths must be on the same side: a rename across is EXDEV. */
EXPORT int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
		     unsigned flags)
{
	const char *hold, *hnew;
	int hod, hnd;
	bool ho = host_at(olddirfd, oldpath, &hod, &hold);
	bool hn = host_at(newdirfd, newpath, &hnd, &hnew);

	if (!ho && !hn)
		return REAL(renameat2)(olddirfd, oldpath, newdirfd, newpath, flags);
	if (ho != hn) {
		errno = EXDEV;
		return -1;
	}
	return (int)ret_errno(
		HOST_CALL(hostfs_renameat(&preload_host->fs, hod, hold, hnd, hnew, flags)));
}

EXPORT int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
	return renameat2(olddirfd, oldpath, newdirfd, newpath, 0);
}

EXPORT int rename(const char *oldpath, const char *newpath)
{
	return renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

EXPORT int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	const char *hold, *hnew;
	int hod, hnd;
	bool ho = host_at(olddirfd, oldpath, &hod, &hold);
	bool hn = host_at(newdirfd, newpath, &hnd, &hnew);

	if (!ho && !hn)
		return REAL(linkat)(olddirfd, oldpath, newdirfd, newpath, flags);
	if (ho != hn) {
		errno = EXDEV;
		return -1;
	}
	return (int)ret_errno(
		HOST_CALL(hostfs_linkat(&preload_host->fs, hod, hold, hnd, hnew, flags)));
}

EXPORT int link(const char *oldpath, const char *newpath)
{
	return linkat(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

EXPORT int unlinkat(int dirfd, const char *path, int flags)
{
	const char *hp;
	int hd;

	if (!host_at(dirfd, path, &hd, &hp))
		return REAL(unlinkat)(dirfd, path, flags);
	return (int)ret_errno(HOST_CALL(hostfs_unlinkat(&preload_host->fs, hd, hp, flags)));
}

EXPORT int unlink(const char *path)
{
	return unlinkat(AT_FDCWD, path, 0);
}

EXPORT int rmdir(const char *path)
{
	return unlinkat(AT_FDCWD, path, AT_REMOVEDIR);
}

/* glibc's remove calls unlinkat internally, where no preload reaches: it
 * would act on the guest's /host/... */
EXPORT int remove(const char *path)
{
	const char *hp;

	if (!host_path(path, &hp))
		return REAL(remove)(path);
	if (unlink(path) == 0)
		return 0;
	return errno == EISDIR ? rmdir(path) : -1;
}

EXPORT int mkdirat(int dirfd, const char *path, mode_t mode)
{
	const char *hp;
	int hd;

	if (!host_at(dirfd, path, &hd, &hp))
		return REAL(mkdirat)(dirfd, path, mode);
	return (int)ret_errno(HOST_CALL(hostfs_mkdirat(&preload_host->fs, hd, hp, mode)));
}

EXPORT int mkdir(const char *path, mode_t mode)
{
	return mkdirat(AT_FDCWD, path, mode);
}

/* The link's target is stored as given: it is the host that follows it. */
EXPORT int symlinkat(const char *target, int dirfd, const char *path)
{
	const char *hp;
	int hd;

	if (!host_at(dirfd, path, &hd, &hp))
		return REAL(symlinkat)(target, dirfd, path);
	return (int)ret_errno(HOST_CALL(hostfs_symlinkat(&preload_host->fs, target, hd, hp)));
}

EXPORT int symlink(const char *target, const char *path)
{
	return symlinkat(target, AT_FDCWD, path);
}

EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
{
	const char *hp;
	int hd;

	if (!host_at(dirfd, path, &hd, &hp))
		return REAL(readlinkat)(dirfd, path, buf, size);
	return ret_errno(HOST_CALL(hostfs_readlinkat(&preload_host->fs, hd, hp, buf, size)));
}

EXPORT ssize_t readlink(const char *path, char *buf, size_t size)
{
	return readlinkat(AT_FDCWD, path, buf, size);
}
