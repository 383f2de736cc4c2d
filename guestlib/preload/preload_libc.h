/* SPDX-License-Identifier: MIT */
/*
 * libc's own functions behind the shim's: every one the shim calls, looked
 * up once (dlsym(RTLD_NEXT)) into one table, reached with REAL(name).
 * A wrapper calls REAL(name) for what it does not route, and never dlsym
 * itself.
 */
#ifndef GUESTLIB_PRELOAD_LIBC_H
#define GUESTLIB_PRELOAD_LIBC_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/uio.h>

#pragma GCC visibility push(hidden)

struct preload_libc {
	/* descriptors */
	int (*open)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*close)(int);
	int (*close_range)(unsigned, unsigned, int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*flock)(int, int);
	/* data */
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*pread)(int, void *, size_t, off_t);
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*writev)(int, const struct iovec *, int);
	off_t (*lseek)(int, off_t, int);
	ssize_t (*copy_file_range)(int, off_t *, int, off_t *, size_t, unsigned);
	ssize_t (*sendfile)(int, int, off_t *, size_t);
	int (*posix_fadvise)(int, off_t, off_t, int);
	int (*fsync)(int);
	int (*fdatasync)(int);
	int (*ftruncate)(int, off_t);
	int (*truncate)(const char *, off_t);
	int (*fallocate)(int, int, off_t, off_t);
	int (*posix_fallocate)(int, off_t, off_t);
	/* status */
	int (*fstat)(int, struct stat *);
	int (*fstatat)(int, const char *, struct stat *, int);
	int (*statx)(int, const char *, int, unsigned, struct statx *);
	int (*statfs)(const char *, struct statfs *);
	int (*fstatfs)(int, struct statfs *);
	int (*statvfs)(const char *, struct statvfs *);
	int (*fstatvfs)(int, struct statvfs *);
	int (*faccessat)(int, const char *, int, int);
	/* names */
	int (*renameat2)(int, const char *, int, const char *, unsigned);
	int (*unlinkat)(int, const char *, int);
	int (*remove)(const char *);
	int (*mkdirat)(int, const char *, mode_t);
	int (*linkat)(int, const char *, int, const char *, int);
	int (*symlinkat)(const char *, int, const char *);
	ssize_t (*readlinkat)(int, const char *, char *, size_t);
	char *(*realpath)(const char *, char *);
	char *(*__realpath_chk)(const char *, char *, size_t);
	/* modes, owners, times */
	int (*fchmodat)(int, const char *, mode_t, int);
	int (*fchmod)(int, mode_t);
	int (*lchmod)(const char *, mode_t);
	int (*fchownat)(int, const char *, uid_t, gid_t, int);
	int (*fchown)(int, uid_t, gid_t);
	int (*utimensat)(int, const char *, const struct timespec *, int);
	int (*futimens)(int, const struct timespec *);
	/* extended attributes */
	ssize_t (*getxattr)(const char *, const char *, void *, size_t);
	ssize_t (*lgetxattr)(const char *, const char *, void *, size_t);
	ssize_t (*fgetxattr)(int, const char *, void *, size_t);
	int (*setxattr)(const char *, const char *, const void *, size_t, int);
	int (*lsetxattr)(const char *, const char *, const void *, size_t, int);
	int (*fsetxattr)(int, const char *, const void *, size_t, int);
	ssize_t (*listxattr)(const char *, char *, size_t);
	ssize_t (*llistxattr)(const char *, char *, size_t);
	ssize_t (*flistxattr)(int, char *, size_t);
	int (*removexattr)(const char *, const char *);
	int (*lremovexattr)(const char *, const char *);
	int (*fremovexattr)(int, const char *);
	/* directories */
	DIR *(*opendir)(const char *);
	DIR *(*fdopendir)(int);
	struct dirent *(*readdir)(DIR *);
	struct dirent64 *(*readdir64)(DIR *);
	int (*closedir)(DIR *);
	int (*dirfd)(DIR *);
	void (*rewinddir)(DIR *);
	int (*chdir)(const char *);
	int (*fchdir)(int);
	char *(*getcwd)(char *, size_t);
	/* stdio */
	FILE *(*fopen)(const char *, const char *);
	FILE *(*fdopen)(int, const char *);
	int (*fileno)(FILE *);
	int (*fileno_unlocked)(FILE *);
	/* processes */
	pid_t (*fork)(void);
	int (*execve)(const char *, char *const[], char *const[]);
	int (*execvpe)(const char *, char *const[], char *const[]);
	/* ids */
	int (*setuid)(uid_t);
	int (*seteuid)(uid_t);
	int (*setreuid)(uid_t, uid_t);
	int (*setresuid)(uid_t, uid_t, uid_t);
	int (*setgid)(gid_t);
	int (*setegid)(gid_t);
	int (*setregid)(gid_t, gid_t);
	int (*setresgid)(gid_t, gid_t, gid_t);
	int (*setgroups)(size_t, const gid_t *);
	int (*setfsuid)(uid_t);
	int (*setfsgid)(gid_t);
};

extern struct preload_libc preload_libc;
extern bool preload_libc_ready;

/* Fill preload_libc. Idempotent: two threads that race only look the
 * same names up twice. */
__attribute__((cold)) void preload_libc_resolve(void);

/* The table, resolved on first use: other libraries' constructors (libselinux's, in ls) may
 * call a wrapper before the shim's constructor ran. */
static inline const struct preload_libc *preload_libc_get(void)
{
	if (!__atomic_load_n(&preload_libc_ready, __ATOMIC_ACQUIRE))
		preload_libc_resolve();
	return &preload_libc;
}

/* libc's definition of name, the one after the shim's. */
#define REAL(name) (preload_libc_get()->name)

#pragma GCC visibility pop

#endif /* GUESTLIB_PRELOAD_LIBC_H */
