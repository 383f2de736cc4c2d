/* SPDX-License-Identifier: MIT */
/*
 * Host files and directories (idl/hostfs.idl), run in the caller's shadow:
 * each method is one system call on the shadow's own context. The skeleton
 * has already checked every string and buffer against the arena; what is
 * left to check here is what the kernel would take as a pointer or what
 * would reach the shadow's own descriptors: fcntl commands are a fixed list
 * of integer-argument ones, no descriptor the shadow keeps for itself
 * (shadow_fds.h) can be named, and extended attribute sizes are bounded as
 * the kernel bounds them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "hostfs_impl.h"
#include "shadow_fds.h"

static int32_t ret32(long r)
{
	return r < 0 ? -errno : (int32_t)r;
}

static int64_t ret64(long long r)
{
	return r < 0 ? -errno : r;
}

static size_t count_clamp(uint64_t count)
{
	return count > SSIZE_MAX ? SSIZE_MAX : (size_t)count;
}

int hostfs_dirfd_ok(int dirfd)
{
	return dirfd == AT_FDCWD || shadow_fd_guest_ok(dirfd);
}

static int32_t hostfs_do_openat(void *ctx, int32_t dirfd, const char *path, int32_t flags,
				uint32_t mode)
{
	if (!hostfs_dirfd_ok(dirfd))
		return -EBADF;
	/* Descriptors are the shadow's; never leak them into its children. */
	return ret32(openat(dirfd, path, flags | O_CLOEXEC, (mode_t)mode));
}

static int32_t hostfs_do_close(void *ctx, int32_t fd)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret32(close(fd));
}

static int64_t hostfs_do_read(void *ctx, int32_t fd, void *buf, uint64_t count)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret64(read(fd, buf, count_clamp(count)));
}

static int64_t hostfs_do_write(void *ctx, int32_t fd, const void *buf, uint64_t count)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret64(write(fd, buf, count_clamp(count)));
}

static int64_t hostfs_do_pread(void *ctx, int32_t fd, void *buf, uint64_t count,
			       int64_t offset)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret64(pread(fd, buf, count_clamp(count), offset));
}

static int64_t hostfs_do_pwrite(void *ctx, int32_t fd, const void *buf, uint64_t count,
				int64_t offset)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret64(pwrite(fd, buf, count_clamp(count), offset));
}

static int64_t hostfs_do_lseek(void *ctx, int32_t fd, int64_t offset, int32_t whence)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret64(lseek(fd, offset, whence));
}

static void hostfs_stat_from(struct hostfs_stat *d, const struct stat *s)
{
	memset(d, 0, sizeof(*d));
	d->dev = s->st_dev;
	d->ino = s->st_ino;
	d->nlink = s->st_nlink;
	d->mode = s->st_mode;
	d->uid = s->st_uid;
	d->gid = s->st_gid;
	d->rdev = s->st_rdev;
	d->size = s->st_size;
	d->blksize = s->st_blksize;
	d->blocks = s->st_blocks;
	d->atime_sec = s->st_atim.tv_sec;
	d->atime_nsec = s->st_atim.tv_nsec;
	d->mtime_sec = s->st_mtim.tv_sec;
	d->mtime_nsec = s->st_mtim.tv_nsec;
	d->ctime_sec = s->st_ctim.tv_sec;
	d->ctime_nsec = s->st_ctim.tv_nsec;
}

static int32_t hostfs_do_fstat(void *ctx, int32_t fd, struct hostfs_stat *st)
{
	struct stat s;

	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	if (fstat(fd, &s) < 0)
		return -errno;
	hostfs_stat_from(st, &s);
	return 0;
}

static int32_t hostfs_do_fstatat(void *ctx, int32_t dirfd, const char *path, int32_t flags,
				 struct hostfs_stat *st)
{
	struct stat s;

	if (!hostfs_dirfd_ok(dirfd))
		return -EBADF;
	/* AT_EMPTY_PATH with "" would stat dirfd: fine, it is checked. */
	if (fstatat(dirfd, path, &s, flags) < 0)
		return -errno;
	hostfs_stat_from(st, &s);
	return 0;
}

static void hostfs_ts_from(struct hostfs_timestamp *d, const struct statx_timestamp *s)
{
	d->sec = s->tv_sec;
	d->nsec = s->tv_nsec;
	d->reserved = 0;
}

static int32_t hostfs_do_statx(void *ctx, int32_t dirfd, const char *path, int32_t flags,
			       uint32_t mask, struct hostfs_statx *stx)
{
	struct statx s;

	if (!hostfs_dirfd_ok(dirfd))
		return -EBADF;
	if (statx(dirfd, path, flags, mask, &s) < 0)
		return -errno;
	memset(stx, 0, sizeof(*stx));
	stx->mask = s.stx_mask;
	stx->blksize = s.stx_blksize;
	stx->attributes = s.stx_attributes;
	stx->nlink = s.stx_nlink;
	stx->uid = s.stx_uid;
	stx->gid = s.stx_gid;
	stx->mode = s.stx_mode;
	stx->ino = s.stx_ino;
	stx->size = s.stx_size;
	stx->blocks = s.stx_blocks;
	stx->attributes_mask = s.stx_attributes_mask;
	hostfs_ts_from(&stx->atime, &s.stx_atime);
	hostfs_ts_from(&stx->btime, &s.stx_btime);
	hostfs_ts_from(&stx->ctime, &s.stx_ctime);
	hostfs_ts_from(&stx->mtime, &s.stx_mtime);
	stx->rdev_major = s.stx_rdev_major;
	stx->rdev_minor = s.stx_rdev_minor;
	stx->dev_major = s.stx_dev_major;
	stx->dev_minor = s.stx_dev_minor;
	return 0;
}

static int32_t hostfs_do_fsync(void *ctx, int32_t fd, bool datasync)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret32(datasync ? fdatasync(fd) : fsync(fd));
}

static int32_t hostfs_do_ftruncate(void *ctx, int32_t fd, int64_t length)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret32(ftruncate(fd, length));
}

static int32_t hostfs_do_truncate(void *ctx, const char *path, int64_t length)
{
	return ret32(truncate(path, length));
}

static int32_t hostfs_do_fcntl(void *ctx, int32_t fd, int32_t cmd, int64_t arg)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		/* The shadow's descriptors stay close-on-exec. */
		if (arg < 0 || arg > INT_MAX)
			return -EINVAL;
		return ret32(fcntl(fd, F_DUPFD_CLOEXEC, (int)arg));
	case F_GETFD:
	case F_GETFL:
	case F_GETPIPE_SZ:
	case F_GET_SEALS:
	case F_GETLEASE:
		return ret32(fcntl(fd, cmd));
	case F_SETFD:
		/* Close-on-exec is the guest's business: keep the host's. */
		return fcntl(fd, F_GETFD) < 0 ? -errno : 0;
	case F_SETFL:
	case F_SETPIPE_SZ:
	case F_ADD_SEALS:
	case F_SETLEASE:
		if (arg < INT_MIN || arg > INT_MAX)
			return -EINVAL;
		return ret32(fcntl(fd, cmd, (int)arg));
	default:
		/* Anything else takes a pointer, or acts on processes. */
		return -EINVAL;
	}
}

static int32_t hostfs_do_fcntl_lock(void *ctx, int32_t fd, int32_t cmd, struct hostfs_flock *lk)
{
	struct flock fl = { 0 };

	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	switch (cmd) {
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		break;
	default:
		return -EINVAL;
	}
	fl.l_type = lk->type;
	fl.l_whence = lk->whence;
	fl.l_start = lk->start;
	fl.l_len = lk->len;
	fl.l_pid = lk->pid;
	if (fcntl(fd, cmd, &fl) < 0)
		return -errno;
	lk->type = fl.l_type;
	lk->whence = fl.l_whence;
	lk->start = fl.l_start;
	lk->len = fl.l_len;
	lk->pid = fl.l_pid;
	return 0;
}

static int32_t hostfs_do_dup(void *ctx, int32_t fd)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret32(fcntl(fd, F_DUPFD_CLOEXEC, 3));
}

static int32_t hostfs_do_dup3(void *ctx, int32_t oldfd, int32_t newfd, int32_t flags)
{
	if (!shadow_fd_guest_ok(oldfd) || !shadow_fd_guest_ok(newfd))
		return -EBADF;
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	return ret32(dup3(oldfd, newfd, O_CLOEXEC));
}

static int32_t hostfs_do_renameat(void *ctx, int32_t olddirfd, const char *oldpath,
				  int32_t newdirfd, const char *newpath, uint32_t flags)
{
	if (!hostfs_dirfd_ok(olddirfd) || !hostfs_dirfd_ok(newdirfd))
		return -EBADF;
	return ret32(renameat2(olddirfd, oldpath, newdirfd, newpath, flags));
}

static int32_t hostfs_do_unlinkat(void *ctx, int32_t dirfd, const char *path, int32_t flags)
{
	if (!hostfs_dirfd_ok(dirfd))
		return -EBADF;
	return ret32(unlinkat(dirfd, path, flags));
}

static int32_t hostfs_do_mkdirat(void *ctx, int32_t dirfd, const char *path, uint32_t mode)
{
	if (!hostfs_dirfd_ok(dirfd))
		return -EBADF;
	return ret32(mkdirat(dirfd, path, (mode_t)mode));
}

static int32_t hostfs_do_linkat(void *ctx, int32_t olddirfd, const char *oldpath,
				int32_t newdirfd, const char *newpath, int32_t flags)
{
	if (!hostfs_dirfd_ok(olddirfd) || !hostfs_dirfd_ok(newdirfd))
		return -EBADF;
	return ret32(linkat(olddirfd, oldpath, newdirfd, newpath, flags));
}

static int32_t hostfs_do_symlinkat(void *ctx, const char *target, int32_t newdirfd,
				   const char *linkpath)
{
	if (!hostfs_dirfd_ok(newdirfd))
		return -EBADF;
	return ret32(symlinkat(target, newdirfd, linkpath));
}

static int64_t hostfs_do_readlinkat(void *ctx, int32_t dirfd, const char *path, void *buf,
				    uint64_t size)
{
	if (!hostfs_dirfd_ok(dirfd))
		return -EBADF;
	return ret64(readlinkat(dirfd, path, buf, count_clamp(size)));
}

static int32_t hostfs_do_fchmodat(void *ctx, int32_t dirfd, const char *path, uint32_t mode,
				  int32_t flags)
{
	if (!hostfs_dirfd_ok(dirfd))
		return -EBADF;
	return ret32(fchmodat(dirfd, path, (mode_t)mode, flags));
}

static int32_t hostfs_do_fchmod(void *ctx, int32_t fd, uint32_t mode)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret32(fchmod(fd, (mode_t)mode));
}

static int32_t hostfs_do_fchownat(void *ctx, int32_t dirfd, const char *path, uint32_t owner,
				  uint32_t group, int32_t flags)
{
	if (!hostfs_dirfd_ok(dirfd))
		return -EBADF;
	return ret32(fchownat(dirfd, path, owner, group, flags));
}

static int32_t hostfs_do_fchown(void *ctx, int32_t fd, uint32_t owner, uint32_t group)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret32(fchown(fd, owner, group));
}

static void hostfs_times_to(struct timespec ts[2], const struct hostfs_timespec t[2])
{
	for (int i = 0; i < 2; i++) {
		ts[i].tv_sec = t[i].sec;
		ts[i].tv_nsec = t[i].nsec;
	}
}

static int32_t hostfs_do_utimensat(void *ctx, int32_t dirfd, const char *path,
				   const struct hostfs_timespec times[2], int32_t flags)
{
	struct timespec ts[2];

	if (!hostfs_dirfd_ok(dirfd))
		return -EBADF;
	hostfs_times_to(ts, times);
	return ret32(utimensat(dirfd, path, ts, flags));
}

static int32_t hostfs_do_futimens(void *ctx, int32_t fd, const struct hostfs_timespec times[2])
{
	struct timespec ts[2];

	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	hostfs_times_to(ts, times);
	return ret32(futimens(fd, ts));
}

static int32_t hostfs_do_faccessat(void *ctx, int32_t dirfd, const char *path, int32_t mode,
				   int32_t flags)
{
	if (!hostfs_dirfd_ok(dirfd))
		return -EBADF;
	return ret32(faccessat(dirfd, path, mode, flags));
}

static int64_t hostfs_do_getdents(void *ctx, int32_t fd, void *buf, uint64_t size)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret64(syscall(SYS_getdents64, fd, buf, size > INT_MAX ? INT_MAX : size));
}

static int32_t hostfs_do_fchdir(void *ctx, int32_t fd)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret32(fchdir(fd));
}

static int32_t hostfs_do_getcwd(void *ctx, char *path, size_t path_size)
{
	return getcwd(path, path_size) ? 0 : -errno;
}

static int32_t hostfs_do_chdir(void *ctx, const char *path)
{
	return ret32(chdir(path));
}

static int32_t hostfs_do_statfs(void *ctx, int32_t dirfd, const char *path,
				struct hostfs_statfs *buf)
{
	struct statfs s;
	int fd, r;

	if (!hostfs_dirfd_ok(dirfd))
		return -EBADF;
	if (!*path && dirfd == AT_FDCWD)
		return -ENOENT; /* as statfs("") */
	if (!*path) {
		if (fstatfs(dirfd, &s) < 0)
			return -errno;
	} else {
		/* There is no statfsat(): resolve as openat() would. */
		fd = openat(dirfd, path, O_PATH | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		r = fstatfs(fd, &s) < 0 ? -errno : 0;
		close(fd);
		if (r < 0)
			return r;
	}
	memset(buf, 0, sizeof(*buf));
	buf->type = s.f_type;
	buf->bsize = s.f_bsize;
	buf->blocks = s.f_blocks;
	buf->bfree = s.f_bfree;
	buf->bavail = s.f_bavail;
	buf->files = s.f_files;
	buf->ffree = s.f_ffree;
	memcpy(buf->fsid, &s.f_fsid, sizeof(buf->fsid));
	buf->namelen = s.f_namelen;
	buf->frsize = s.f_frsize;
	buf->flags = s.f_flags;
	return 0;
}

/* The extended-attribute methods' target: descriptor fd when path is "",
 * else path against the working directory (there is no *xattrat(2) before
 * Linux 6.13, so a dirfd cannot be honoured). 0, or -errno. */
static int hostfs_xattr_target(int32_t fd, const char *path, int32_t flags)
{
	if (flags & ~AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	if (!*path)
		return shadow_fd_guest_ok(fd) ? 0 : -EBADF;
	return fd == AT_FDCWD ? 0 : -EINVAL;
}

static int64_t hostfs_do_getxattr(void *ctx, int32_t fd, const char *path, int32_t flags,
				  const char *name, void *value, uint64_t size, uint64_t *len)
{
	int err = hostfs_xattr_target(fd, path, flags);
	ssize_t r;

	if (err < 0)
		return err;
	if (size > HOSTFS_XATTR_SIZE_MAX)
		size = HOSTFS_XATTR_SIZE_MAX;
	if (!*path)
		r = fgetxattr(fd, name, value, size);
	else if (flags & AT_SYMLINK_NOFOLLOW)
		r = lgetxattr(path, name, value, size);
	else
		r = getxattr(path, name, value, size);
	if (r < 0)
		return -errno;
	/* With size 0 the kernel only measured: nothing was copied. */
	*len = size && (uint64_t)r <= size ? (uint64_t)r : 0;
	return r;
}

/* The value stays where the guest put it: the kernel copies it once before
 * it looks at it (an ACL is parsed from that copy), and nothing here reads
 * it. */
static int32_t hostfs_do_setxattr(void *ctx, int32_t fd, const char *path, int32_t flags,
				  const char *name, const void *value, uint64_t size,
				  int32_t xflags)
{
	int err = hostfs_xattr_target(fd, path, flags);

	if (err < 0)
		return err;
	if (size > HOSTFS_XATTR_SIZE_MAX)
		return -E2BIG;
	if (!*path)
		return ret32(fsetxattr(fd, name, value, size, xflags));
	if (flags & AT_SYMLINK_NOFOLLOW)
		return ret32(lsetxattr(path, name, value, size, xflags));
	return ret32(setxattr(path, name, value, size, xflags));
}

static int64_t hostfs_do_listxattr(void *ctx, int32_t fd, const char *path, int32_t flags,
				   void *list, uint64_t size, uint64_t *len)
{
	int err = hostfs_xattr_target(fd, path, flags);
	ssize_t r;

	if (err < 0)
		return err;
	if (size > HOSTFS_XATTR_LIST_MAX)
		size = HOSTFS_XATTR_LIST_MAX;
	if (!*path)
		r = flistxattr(fd, list, size);
	else if (flags & AT_SYMLINK_NOFOLLOW)
		r = llistxattr(path, list, size);
	else
		r = listxattr(path, list, size);
	if (r < 0)
		return -errno;
	*len = size && (uint64_t)r <= size ? (uint64_t)r : 0;
	return r;
}

static int32_t hostfs_do_removexattr(void *ctx, int32_t fd, const char *path, int32_t flags,
				     const char *name)
{
	int err = hostfs_xattr_target(fd, path, flags);

	if (err < 0)
		return err;
	if (!*path)
		return ret32(fremovexattr(fd, name));
	if (flags & AT_SYMLINK_NOFOLLOW)
		return ret32(lremovexattr(path, name));
	return ret32(removexattr(path, name));
}

static int32_t hostfs_do_flock(void *ctx, int32_t fd, int32_t op)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret32(flock(fd, op));
}

static int32_t hostfs_do_fallocate(void *ctx, int32_t fd, int32_t mode, int64_t offset,
				   int64_t len)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return ret32(fallocate(fd, mode, offset, len));
}

static int32_t hostfs_do_posix_fallocate(void *ctx, int32_t fd, int64_t offset, int64_t len)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return -posix_fallocate(fd, offset, len); /* the errno itself, not -1 */
}

const struct hostfs_ops hostfs_impl_ops = {
	.openat = hostfs_do_openat,
	.close = hostfs_do_close,
	.read = hostfs_do_read,
	.write = hostfs_do_write,
	.pread = hostfs_do_pread,
	.pwrite = hostfs_do_pwrite,
	.lseek = hostfs_do_lseek,
	.fstat = hostfs_do_fstat,
	.fstatat = hostfs_do_fstatat,
	.statx = hostfs_do_statx,
	.fsync = hostfs_do_fsync,
	.ftruncate = hostfs_do_ftruncate,
	.truncate = hostfs_do_truncate,
	.fcntl = hostfs_do_fcntl,
	.fcntl_lock = hostfs_do_fcntl_lock,
	.dup = hostfs_do_dup,
	.dup3 = hostfs_do_dup3,
	.renameat = hostfs_do_renameat,
	.unlinkat = hostfs_do_unlinkat,
	.mkdirat = hostfs_do_mkdirat,
	.linkat = hostfs_do_linkat,
	.symlinkat = hostfs_do_symlinkat,
	.readlinkat = hostfs_do_readlinkat,
	.fchmodat = hostfs_do_fchmodat,
	.fchmod = hostfs_do_fchmod,
	.fchownat = hostfs_do_fchownat,
	.fchown = hostfs_do_fchown,
	.utimensat = hostfs_do_utimensat,
	.futimens = hostfs_do_futimens,
	.faccessat = hostfs_do_faccessat,
	.getdents = hostfs_do_getdents,
	.fchdir = hostfs_do_fchdir,
	.getcwd = hostfs_do_getcwd,
	.chdir = hostfs_do_chdir,
	.statfs = hostfs_do_statfs,
	.getxattr = hostfs_do_getxattr,
	.setxattr = hostfs_do_setxattr,
	.listxattr = hostfs_do_listxattr,
	.removexattr = hostfs_do_removexattr,
	.flock = hostfs_do_flock,
	.fallocate = hostfs_do_fallocate,
	.posix_fallocate = hostfs_do_posix_fallocate,
};
