/* SPDX-License-Identifier: MIT */
/*
 * The stat family (stat, lstat, fstat, fstatat, statx, the 64 and the
 * old __xstat names), statfs and statvfs, access and faccessat: one host
 * call each, its answer converted to the caller's struct.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "hostfs_caller.h"
#include "preload.h"

/* libc symbols this file defines that no header declares. */
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);

static void stat_to(struct stat *d, const struct hostfs_stat *s)
{
	memset(d, 0, sizeof(*d));
	d->st_dev = s->dev;
	d->st_ino = s->ino;
	d->st_nlink = s->nlink;
	d->st_mode = s->mode;
	d->st_uid = s->uid;
	d->st_gid = s->gid;
	d->st_rdev = s->rdev;
	d->st_size = s->size;
	d->st_blksize = s->blksize;
	d->st_blocks = s->blocks;
	d->st_atim.tv_sec = s->atime_sec;
	d->st_atim.tv_nsec = s->atime_nsec;
	d->st_mtim.tv_sec = s->mtime_sec;
	d->st_mtim.tv_nsec = s->mtime_nsec;
	d->st_ctim.tv_sec = s->ctime_sec;
	d->st_ctim.tv_nsec = s->ctime_nsec;
}

EXPORT int fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
	struct hostfs_stat hs;
	const char *hp;
	int hd, hfd = host_fd(dirfd);
	int64_t r;

	/* fstatat(fd, "", st, AT_EMPTY_PATH) is fstat(fd). */
	if (hfd >= 0 && !is_null(path) && !*path && (flags & AT_EMPTY_PATH)) {
		hd = hfd;
		hp = "";
	} else if (!host_at(dirfd, path, &hd, &hp)) {
		return REAL(fstatat)(dirfd, path, st, flags);
	}
	r = HOST_CALL(hostfs_fstatat(&preload_host->fs, hd, hp, flags, &hs));
	if (r == 0)
		stat_to(st, &hs);
	return (int)ret_errno(r);
}

EXPORT int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags)
{
	return fstatat(dirfd, path, (struct stat *)st, flags);
}

EXPORT int stat(const char *path, struct stat *st)
{
	return fstatat(AT_FDCWD, path, st, 0);
}

EXPORT int stat64(const char *path, struct stat64 *st)
{
	return fstatat(AT_FDCWD, path, (struct stat *)st, 0);
}

EXPORT int lstat(const char *path, struct stat *st)
{
	return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW);
}

EXPORT int lstat64(const char *path, struct stat64 *st)
{
	return fstatat(AT_FDCWD, path, (struct stat *)st, AT_SYMLINK_NOFOLLOW);
}

EXPORT int fstat(int fd, struct stat *st)
{
	if (host_fd(fd) < 0)
		return REAL(fstat)(fd, st);
	return fstatat(fd, "", st, AT_EMPTY_PATH);
}

EXPORT int fstat64(int fd, struct stat64 *st)
{
	return fstat(fd, (struct stat *)st);
}

/* Binaries built against glibc before 2.33 call these. */
EXPORT int __xstat(int ver, const char *path, struct stat *st)
{
	return stat(path, st);
}

EXPORT int __xstat64(int ver, const char *path, struct stat64 *st)
{
	return stat64(path, st);
}

EXPORT int __lxstat(int ver, const char *path, struct stat *st)
{
	return lstat(path, st);
}

EXPORT int __lxstat64(int ver, const char *path, struct stat64 *st)
{
	return lstat64(path, st);
}

EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	return fstat(fd, st);
}

EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
	return fstat64(fd, st);
}

EXPORT int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags)
{
	return fstatat(dirfd, path, st, flags);
}

EXPORT int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags)
{
	return fstatat64(dirfd, path, st, flags);
}

/* ---- the statfs family ------------------------------------------------- */

/* ST_VALID of linux/statfs.h, which clashes with sys/statvfs.h: the kernel
 * sets it in f_flags when the other ST_* bits are meaningful. */
#define PRELOAD_ST_VALID 0x0020

static void statfs_to(struct statfs *d, const struct hostfs_statfs *s)
{
	memset(d, 0, sizeof(*d));
	d->f_type = s->type;
	d->f_bsize = s->bsize;
	d->f_blocks = s->blocks;
	d->f_bfree = s->bfree;
	d->f_bavail = s->bavail;
	d->f_files = s->files;
	d->f_ffree = s->ffree;
	memcpy(&d->f_fsid, s->fsid, sizeof(d->f_fsid));
	d->f_namelen = s->namelen;
	d->f_frsize = s->frsize;
	d->f_flags = s->flags;
}

/* As glibc makes a struct statvfs of a struct statfs. */
static void statvfs_to(struct statvfs *d, const struct hostfs_statfs *s)
{
	memset(d, 0, sizeof(*d));
	d->f_bsize = s->bsize;
	d->f_frsize = s->frsize ? s->frsize : s->bsize;
	d->f_blocks = s->blocks;
	d->f_bfree = s->bfree;
	d->f_bavail = s->bavail;
	d->f_files = s->files;
	d->f_ffree = s->ffree;
	d->f_favail = s->ffree;
	d->f_fsid = (uint32_t)s->fsid[0] | (unsigned long)(uint32_t)s->fsid[1] << 32;
	d->f_flag = (unsigned long)(s->flags & ~PRELOAD_ST_VALID);
	d->f_namemax = s->namelen;
}

/* hostfs.statfs of host path hp against hd or, with hp "", of host
 * descriptor hd, into sfs or svfs (the other is NULL): 0, or -1 with errno. */
static int host_statfs(int hd, const char *hp, struct statfs *sfs, struct statvfs *svfs)
{
	struct hostfs_statfs hs;
	int64_t r;

	r = HOST_CALL(hostfs_statfs(&preload_host->fs, hd, hp, &hs));
	if (r == 0 && sfs)
		statfs_to(sfs, &hs);
	if (r == 0 && svfs)
		statvfs_to(svfs, &hs);
	return (int)ret_errno(r);
}

EXPORT int statfs(const char *path, struct statfs *st)
{
	const char *hp;
	int hd;

	if (!host_at(AT_FDCWD, path, &hd, &hp))
		return REAL(statfs)(path, st);
	return host_statfs(hd, hp, st, NULL);
}

EXPORT int fstatfs(int fd, struct statfs *st)
{
	int hfd = host_fd(fd);

	return hfd < 0 ? REAL(fstatfs)(fd, st) : host_statfs(hfd, "", st, NULL);
}

EXPORT int statvfs(const char *path, struct statvfs *st)
{
	const char *hp;
	int hd;

	if (!host_at(AT_FDCWD, path, &hd, &hp))
		return REAL(statvfs)(path, st);
	return host_statfs(hd, hp, NULL, st);
}

EXPORT int fstatvfs(int fd, struct statvfs *st)
{
	int hfd = host_fd(fd);

	return hfd < 0 ? REAL(fstatvfs)(fd, st) : host_statfs(hfd, "", NULL, st);
}

/* Programs built with _FILE_OFFSET_BITS=64 (df, stat) call these; on
 * x86-64 the structs are the same. */
_Static_assert(sizeof(struct statfs64) == sizeof(struct statfs), "statfs64 is statfs");
_Static_assert(sizeof(struct statvfs64) == sizeof(struct statvfs), "statvfs64 is statvfs");

EXPORT int statfs64(const char *path, struct statfs64 *st)
{
	return statfs(path, (struct statfs *)st);
}

EXPORT int fstatfs64(int fd, struct statfs64 *st)
{
	return fstatfs(fd, (struct statfs *)st);
}

EXPORT int statvfs64(const char *path, struct statvfs64 *st)
{
	return statvfs(path, (struct statvfs *)st);
}

EXPORT int fstatvfs64(int fd, struct statvfs64 *st)
{
	return fstatvfs(fd, (struct statvfs *)st);
}

static void statx_ts_to(struct statx_timestamp *d, const struct hostfs_timestamp *s)
{
	d->tv_sec = s->sec;
	d->tv_nsec = s->nsec;
}

EXPORT int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *stx)
{
	struct hostfs_statx hs;
	const char *hp;
	int hd, hfd = host_fd(dirfd);
	int64_t r;

	if (hfd >= 0 && !is_null(path) && !*path && (flags & AT_EMPTY_PATH)) {
		hd = hfd;
		hp = "";
	} else if (!host_at(dirfd, path, &hd, &hp)) {
		return REAL(statx)(dirfd, path, flags, mask, stx);
	}
	r = HOST_CALL(hostfs_statx(&preload_host->fs, hd, hp, flags, mask, &hs));
	if (r == 0) {
		memset(stx, 0, sizeof(*stx));
		stx->stx_mask = hs.mask;
		stx->stx_blksize = hs.blksize;
		stx->stx_attributes = hs.attributes;
		stx->stx_nlink = hs.nlink;
		stx->stx_uid = hs.uid;
		stx->stx_gid = hs.gid;
		stx->stx_mode = hs.mode;
		stx->stx_ino = hs.ino;
		stx->stx_size = hs.size;
		stx->stx_blocks = hs.blocks;
		stx->stx_attributes_mask = hs.attributes_mask;
		statx_ts_to(&stx->stx_atime, &hs.atime);
		statx_ts_to(&stx->stx_btime, &hs.btime);
		statx_ts_to(&stx->stx_ctime, &hs.ctime);
		statx_ts_to(&stx->stx_mtime, &hs.mtime);
		stx->stx_rdev_major = hs.rdev_major;
		stx->stx_rdev_minor = hs.rdev_minor;
		stx->stx_dev_major = hs.dev_major;
		stx->stx_dev_minor = hs.dev_minor;
	}
	return (int)ret_errno(r);
}

EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	const char *hp;
	int hd;

	if (!host_at(dirfd, path, &hd, &hp))
		return REAL(faccessat)(dirfd, path, mode, flags);
	return (int)ret_errno(HOST_CALL(hostfs_faccessat(&preload_host->fs, hd, hp, mode, flags)));
}

EXPORT int access(const char *path, int mode)
{
	return faccessat(AT_FDCWD, path, mode, 0);
}

EXPORT int euidaccess(const char *path, int mode)
{
	return faccessat(AT_FDCWD, path, mode, AT_EACCESS);
}

EXPORT int eaccess(const char *path, int mode) __attribute__((alias("euidaccess")));
