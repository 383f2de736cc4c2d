/* SPDX-License-Identifier: MIT */
/*
 * The checking entry points that programs built with _FORTIFY_SOURCE call
 * instead of read, pread, readlink, readlinkat and getcwd (nm -D of tar,
 * git, python3 and coreutils shows them). glibc's own reach the system
 * call with internal calls no preload can wrap, so a fortified read of a
 * host descriptor read the placeholder. Each checks the buffer as glibc
 * does (__chk_fail() when the count is larger than the object) and calls
 * the shim's function, which routes host paths and descriptors and passes
 * the rest to libc. (__open_2 and friends and __realpath_chk are with
 * their families in preload_open.c and preload_realpath.c; fortified
 * stdio, __fread_chk and the like, reads a host file's stream through the
 * shim's stream functions.)
 */
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

#include "preload.h"

/* glibc's, exported but in no header. */
void __chk_fail(void) __attribute__((noreturn));

ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t count, off_t offset, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t count, off_t offset, size_t buflen);
ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size, size_t buflen);
char *__getcwd_chk(char *buf, size_t size, size_t buflen);

EXPORT ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
	if (count > buflen)
		__chk_fail();
	return read(fd, buf, count);
}

EXPORT ssize_t __pread_chk(int fd, void *buf, size_t count, off_t offset, size_t buflen)
{
	if (count > buflen)
		__chk_fail();
	return pread(fd, buf, count, offset);
}

EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t count, off_t offset, size_t buflen)
	__attribute__((alias("__pread_chk")));

EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		__chk_fail();
	return readlink(path, buf, size);
}

EXPORT ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t size,
				size_t buflen)
{
	if (size > buflen)
		__chk_fail();
	return readlinkat(dirfd, path, buf, size);
}

EXPORT char *__getcwd_chk(char *buf, size_t size, size_t buflen)
{
	if (size > buflen)
		__chk_fail();
	return getcwd(buf, size);
}
