/* SPDX-License-Identifier: MIT */
/*
 * libvmrpc-preload.so: host files for unmodified guest programs.
 *
 *	LD_PRELOAD=libvmrpc-preload.so cat /host/etc/hostname
 *
 * Paths under a prefix ($VMRPC_HOST_PREFIX, default /host) are host paths:
 * /host/etc/hostname is the host's /etc/hostname, opened by this process's
 * shadow. A host file's descriptor is a real guest descriptor (a
 * placeholder reserves the number, so nothing else gets it and dup2 or
 * close-on-exec work on it) mapped to the shadow's descriptor; calls on it
 * go to the host. The placeholder is an O_PATH descriptor of a private
 * inode (placeholder_open()): whatever the shim does not route (ioctl,
 * mmap, poll, a libc internal call) fails on it with EBADF and touches
 * nothing another process sees. Relative paths are host paths while the
 * working directory is (after chdir into /host). Everything else is
 * passed to libc untouched: guest paths behave exactly as before.
 *
 * One host context per process, attached on first use, one call at a time
 * (a lock): a process's threads share its shadow as they share its
 * descriptors. fork() gives the child a fork of the shadow
 * (vmrpc_host_fork_*). A uid or gid change detaches the host context
 * (preload_ids.c). Errors are the host's errno values; a transport failure
 * is EIO. See docs/hostcalls.md for what is covered; the wrapper families
 * in preload_*.c share this file's state through preload.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hostcalls_caller.h"
#include "hostfs_caller.h"
#include "preload.h"
#include "vmrpc/hostcall.h"

#define PRELOAD_DIRBUF 32768

bool preload_ready;

/* preload_init()'s first time. Idempotent, so a race only repeats it. */
void preload_setup(void)
{
	cwd_init();
	fds_init();
	exec_state_load();
	route_init();
	__atomic_store_n(&preload_ready, true, __ATOMIC_RELEASE);
}

static FILE *host_fdopen(int fd, const char *mode);

/* libc's stdio reads and writes with its internal read and write, which no
 * preload reaches: an exec'd program whose stdin, stdout or stderr is a
 * host file (sh -c 'sha256sum < /host/f', 'ls > /host/f') gets stdio
 * streams over the host calls instead. */
static void preload_stdio(void)
{
	FILE *f;

	if (host_fd(0) >= 0 && (f = host_fdopen(0, "r")))
		stdin = f;
	if (host_fd(1) >= 0 && (f = host_fdopen(1, "w")))
		stdout = f;
	if (host_fd(2) >= 0 && (f = host_fdopen(2, "w"))) {
		setvbuf(f, NULL, _IONBF, 0);
		stderr = f;
	}
}

/* An exec'd image takes up its channel at once, before the program runs:
 * its first act may be to pass an inherited host descriptor on (a shell's
 * "cat <&5") or to fork, and that must find the channel ours. */
__attribute__((constructor)) static void preload_ctor(void)
{
	preload_init();
	if (preload_adopt) {
		pthread_mutex_lock(&preload_lock);
		host_get();
		pthread_mutex_unlock(&preload_lock);
	}
	preload_stdio();
}

/* libc symbols this file defines that no header declares. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
ssize_t sendfile(int out, int in, off_t *off, size_t count);
ssize_t sendfile64(int out, int in, off_t *off, size_t count);
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);

/* ---- open and close ----------------------------------------------------- */

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

/* ---- data ------------------------------------------------------------------ */

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

/* ---- the stat family ---------------------------------------------------- */

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

/* ---- descriptors ---------------------------------------------------------- */

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

/* ---- paths ---------------------------------------------------------------- */

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

/* glibc's lchmod and remove call fchmodat, unlinkat internally, where no
 * preload reaches: they would act on the guest's /host/... */
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

static void times_to(struct hostfs_timespec t[2], const struct timespec *ts)
{
	for (int i = 0; i < 2; i++) {
		t[i].sec = ts ? ts[i].tv_sec : 0;
		t[i].nsec = ts ? ts[i].tv_nsec : UTIME_NOW;
	}
}

EXPORT int utimensat(int dirfd, const char *path, const struct timespec ts[2], int flags)
{
	struct hostfs_timespec t[2];
	const char *hp;
	int hd, hfd = host_fd(dirfd);

	times_to(t, ts);
	if (is_null(path) && hfd >= 0) /* futimens() is utimensat(fd, NULL, ...) */
		return (int)ret_errno(HOST_CALL(hostfs_futimens(&preload_host->fs, hfd, t)));
	if (!host_at(dirfd, path, &hd, &hp))
		return REAL(utimensat)(dirfd, path, ts, flags);
	return (int)ret_errno(HOST_CALL(hostfs_utimensat(&preload_host->fs, hd, hp, t, flags)));
}

EXPORT int futimens(int fd, const struct timespec ts[2])
{
	struct hostfs_timespec t[2];
	int hfd = host_fd(fd);

	if (hfd < 0)
		return REAL(futimens)(fd, ts);
	times_to(t, ts);
	return (int)ret_errno(HOST_CALL(hostfs_futimens(&preload_host->fs, hfd, t)));
}

/* ---- directories ---------------------------------------------------------- */

/* A host directory stream: a DIR * that libc never sees. Registered, so
 * readdir() and friends know it from libc's own. Records come from
 * hostfs.getdents as struct linux_dirent64, which is glibc's struct
 * dirent64 (and struct dirent) on x86-64; each is checked before use. */
struct host_dir {
	struct host_dir *next;
	int gfd;
	size_t pos, len;
	unsigned char buf[PRELOAD_DIRBUF];
};

static struct host_dir *preload_dirs;

static struct host_dir *host_dir_find(DIR *d)
{
	struct host_dir *p;

	preload_init();
	LOCK();
	for (p = preload_dirs; p && (DIR *)p != d; p = p->next)
		;
	UNLOCK();
	return p;
}

static DIR *host_dir_new(int gfd)
{
	struct host_dir *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->gfd = gfd;
	LOCK();
	d->next = preload_dirs;
	preload_dirs = d;
	UNLOCK();
	return (DIR *)d;
}

EXPORT DIR *fdopendir(int fd)
{
	struct stat st;

	if (host_fd(fd) < 0)
		return REAL(fdopendir)(fd);
	if (fstat(fd, &st) < 0)
		return NULL;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return NULL;
	}
	return host_dir_new(fd);
}

EXPORT DIR *opendir(const char *path)
{
	const char *hp;
	DIR *d;
	int fd;

	if (!host_path(path, &hp))
		return REAL(opendir)(path);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	d = host_dir_new(fd);
	if (!d)
		close(fd);
	return d;
}

static struct dirent64 *host_readdir(struct host_dir *d)
{
	struct dirent64 *e;
	int hfd = host_fd(d->gfd);
	size_t min = offsetof(struct dirent64, d_name) + 1;
	int64_t r;

	if (d->pos >= d->len) {
		int saved = errno;

		r = HOST_CALL(hostfs_getdents(&preload_host->fs, hfd, d->buf, sizeof(d->buf)));
		if (r <= 0) {
			if (r < 0)
				ret_errno(r);
			else
				errno = saved; /* the end: errno as the program left it */
			return NULL;
		}
		d->pos = 0;
		d->len = (size_t)r;
	}
	e = (struct dirent64 *)(d->buf + d->pos);
	if (d->len - d->pos < min || e->d_reclen < min || e->d_reclen > d->len - d->pos ||
	    !memchr(e->d_name, '\0', e->d_reclen - offsetof(struct dirent64, d_name))) {
		d->pos = d->len;
		errno = EIO;
		return NULL;
	}
	d->pos += e->d_reclen;
	return e;
}

EXPORT struct dirent64 *readdir64(DIR *dir)
{
	struct host_dir *d = host_dir_find(dir);

	return d ? host_readdir(d) : REAL(readdir64)(dir);
}

EXPORT struct dirent *readdir(DIR *dir)
{
	struct host_dir *d = host_dir_find(dir);

	return d ? (struct dirent *)host_readdir(d) : REAL(readdir)(dir);
}

EXPORT int closedir(DIR *dir)
{
	struct host_dir **pp, *d = NULL;
	int fd;

	preload_init();
	LOCK();
	for (pp = &preload_dirs; *pp; pp = &(*pp)->next) {
		if ((DIR *)*pp == dir) {
			d = *pp;
			*pp = d->next;
			break;
		}
	}
	UNLOCK();
	if (!d)
		return REAL(closedir)(dir);
	fd = d->gfd;
	free(d);
	return close(fd);
}

EXPORT int dirfd(DIR *dir)
{
	struct host_dir *d = host_dir_find(dir);

	return d ? d->gfd : REAL(dirfd)(dir);
}

EXPORT void rewinddir(DIR *dir)
{
	struct host_dir *d = host_dir_find(dir);

	if (!d) {
		REAL(rewinddir)(dir);
		return;
	}
	lseek(d->gfd, 0, SEEK_SET);
	d->pos = d->len = 0;
}

/* ---- stdio ------------------------------------------------------------------ */

/* libc's fopen opens with its internal open, which no preload can reach:
 * a host file gets a FILE of fopencookie() over the descriptor calls above.
 * Such a stream has no descriptor of its own as far as libc knows, so the
 * streams are registered and fileno() answers for them: programs fstat,
 * fchmod or futimens what fileno() gives. */
struct host_stream {
	struct host_stream *next;
	FILE *f;
	int fd;
};

/* Its own lock: fileno() must not wait for a host call in progress. */
static pthread_mutex_t preload_streams_lock = PTHREAD_MUTEX_INITIALIZER;

/* A fork's child: the lock is free (no other thread of it holds it). */
void stdio_fork_child(void)
{
	pthread_mutex_init(&preload_streams_lock, NULL);
}
static struct host_stream *preload_streams;

static ssize_t cookie_read(void *c, char *buf, size_t n)
{
	return read(((struct host_stream *)c)->fd, buf, n);
}

static ssize_t cookie_write(void *c, const char *buf, size_t n)
{
	ssize_t w = write(((struct host_stream *)c)->fd, buf, n);

	return w < 0 ? 0 : w; /* fopencookie: 0 is the error */
}

static int cookie_seek(void *c, off64_t *off, int whence)
{
	off_t r = lseek(((struct host_stream *)c)->fd, *off, whence);

	if (r < 0)
		return -1;
	*off = r;
	return 0;
}

static int cookie_close(void *c)
{
	struct host_stream *hs = c, **pp;
	int fd = hs->fd;

	pthread_mutex_lock(&preload_streams_lock);
	for (pp = &preload_streams; *pp; pp = &(*pp)->next) {
		if (*pp == hs) {
			*pp = hs->next;
			break;
		}
	}
	pthread_mutex_unlock(&preload_streams_lock);
	free(hs);
	return close(fd);
}

static FILE *host_fdopen(int fd, const char *mode)
{
	cookie_io_functions_t io = { cookie_read, cookie_write, cookie_seek, cookie_close };
	struct host_stream *hs = calloc(1, sizeof(*hs));

	if (!hs)
		return NULL;
	hs->fd = fd;
	hs->f = fopencookie(hs, mode, io);
	if (!hs->f) {
		free(hs);
		return NULL;
	}
	pthread_mutex_lock(&preload_streams_lock);
	hs->next = preload_streams;
	__atomic_store_n(&preload_streams, hs, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&preload_streams_lock);
	return hs->f;
}

/* The descriptor of a host stream, or -1 for any other FILE. */
static int host_stream_fd(FILE *f)
{
	struct host_stream *hs;
	int fd = -1;

	if (!__atomic_load_n(&preload_streams, __ATOMIC_ACQUIRE))
		return -1; /* the usual case: no host stream at all */
	pthread_mutex_lock(&preload_streams_lock);
	for (hs = preload_streams; hs; hs = hs->next) {
		if (hs->f == f) {
			fd = hs->fd;
			break;
		}
	}
	pthread_mutex_unlock(&preload_streams_lock);
	return fd;
}

EXPORT int fileno(FILE *f)
{
	int fd = host_stream_fd(f);

	preload_init();
	return fd >= 0 ? fd : REAL(fileno)(f);
}

EXPORT int fileno_unlocked(FILE *f)
{
	int fd = host_stream_fd(f);

	preload_init();
	return fd >= 0 ? fd : REAL(fileno_unlocked)(f);
}

static int fopen_flags(const char *mode)
{
	int flags;

	switch (mode[0]) {
	case 'r':
		flags = 0;
		break;
	case 'w':
		flags = O_CREAT | O_TRUNC;
		break;
	case 'a':
		flags = O_CREAT | O_APPEND;
		break;
	default:
		return -1;
	}
	flags |= strchr(mode, '+') ? O_RDWR : mode[0] == 'r' ? O_RDONLY : O_WRONLY;
	if (strchr(mode, 'e'))
		flags |= O_CLOEXEC;
	if (strchr(mode, 'x'))
		flags |= O_EXCL;
	return flags;
}

EXPORT FILE *fopen(const char *path, const char *mode)
{
	const char *hp;
	FILE *f;
	int flags, fd;

	if (!host_path(path, &hp))
		return REAL(fopen)(path, mode);
	flags = fopen_flags(mode);
	if (flags < 0) {
		errno = EINVAL;
		return NULL;
	}
	fd = open(path, flags, 0666);
	if (fd < 0)
		return NULL;
	f = host_fdopen(fd, mode);
	if (!f)
		close(fd);
	return f;
}

EXPORT FILE *fopen64(const char *path, const char *mode) __attribute__((alias("fopen")));

EXPORT FILE *fdopen(int fd, const char *mode)
{
	if (host_fd(fd) < 0)
		return REAL(fdopen)(fd, mode);
	return host_fdopen(fd, mode);
}

/* ---- realpath ------------------------------------------------------------ */

/* glibc's realpath resolves with internal calls no preload reaches. A host
 * path is resolved by the host's kernel instead: the shadow opens it
 * O_PATH and reads its own /proc/self/fd link, three host calls (lock
 * held, attached): the name's length in buf, or -errno. */
static int64_t host_resolve(const char *hpath, char buf[PATH_MAX])
{
	char link[64];
	int32_t fd = hostfs_openat(&preload_host->fs, AT_FDCWD, hpath, O_PATH, 0);
	int64_t n;

	if (fd < 0)
		return fd;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = hostfs_readlinkat(&preload_host->fs, AT_FDCWD, link, buf, PATH_MAX - 1);
	hostfs_close(&preload_host->fs, fd);
	return n;
}

static char *host_realpath(const char *hpath, char *resolved)
{
	char buf[PATH_MAX];
	size_t plen = preload_prefix_len;
	int64_t n = HOST_CALL(host_resolve(hpath, buf));

	if (n < 0) {
		ret_errno(n);
		return NULL;
	}
	buf[n] = '\0';
	if (buf[0] != '/') { /* not a path the guest can name ("anon_inode:...") */
		errno = ENOENT;
		return NULL;
	}
	if (!strcmp(buf, "/"))
		n = 0; /* the host's root is the prefix itself */
	if (plen + (size_t)n + 1 > PATH_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (!resolved && !(resolved = malloc(PATH_MAX)))
		return NULL;
	memcpy(resolved, preload_prefix, plen);
	memcpy(resolved + plen, buf, (size_t)n + 1);
	return resolved;
}

EXPORT char *realpath(const char *path, char *resolved)
{
	const char *hp;

	if (!is_null(path) && *path && host_path(path, &hp))
		return host_realpath(hp, resolved);
	return REAL(realpath)(path, resolved);
}

char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);

EXPORT char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	const char *hp;

	if (!is_null(path) && *path && host_path(path, &hp)) {
		if (resolvedlen < PATH_MAX)
			abort(); /* what glibc's fortify check does */
		return host_realpath(hp, resolved);
	}
	return REAL(__realpath_chk)(path, resolved, resolvedlen);
}

EXPORT char *canonicalize_file_name(const char *path)
{
	return realpath(path, NULL);
}
