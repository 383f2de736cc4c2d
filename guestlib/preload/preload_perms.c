/* SPDX-License-Identifier: MIT */
/*
 * Modes and owners: chmod, fchmod, fchmodat, lchmod, chown, lchown,
 * fchown and fchownat.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostfs_caller.h"
#include "preload.h"

EXPORT int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
{
	const char *hp;
	int hd;

	if (!host_at(dirfd, path, &hd, &hp))
		return REAL(fchmodat)(dirfd, path, mode, flags);
	return (int)ret_errno(HOST_CALL(hostfs_fchmodat(&preload_host->fs, hd, hp, mode, flags)));
}

EXPORT int chmod(const char *path, mode_t mode)
{
	return fchmodat(AT_FDCWD, path, mode, 0);
}

/* glibc's lchmod calls fchmodat internally, where no preload reaches: it
 * would act on the guest's /host/... */
EXPORT int lchmod(const char *path, mode_t mode)
{
	const char *hp;

	if (!host_path(path, &hp))
		return REAL(lchmod)(path, mode);
	return fchmodat(AT_FDCWD, path, mode, AT_SYMLINK_NOFOLLOW);
}

EXPORT int fchmod(int fd, mode_t mode)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(fchmod)(fd, mode);
	return (int)ret_errno(HOST_CALL(hostfs_fchmod(&preload_host->fs, hfd, mode)));
}

EXPORT int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	const char *hp;
	int hd;

	if (!host_at(dirfd, path, &hd, &hp))
		return REAL(fchownat)(dirfd, path, uid, gid, flags);
	return (int)ret_errno(
		HOST_CALL(hostfs_fchownat(&preload_host->fs, hd, hp, uid, gid, flags)));
}

EXPORT int chown(const char *path, uid_t uid, gid_t gid)
{
	return fchownat(AT_FDCWD, path, uid, gid, 0);
}

EXPORT int lchown(const char *path, uid_t uid, gid_t gid)
{
	return fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

EXPORT int fchown(int fd, uid_t uid, gid_t gid)
{
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(fchown)(fd, uid, gid);
	return (int)ret_errno(HOST_CALL(hostfs_fchown(&preload_host->fs, hfd, uid, gid)));
}
