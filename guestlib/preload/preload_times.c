/* SPDX-License-Identifier: MIT */
/*
 * The timeval and utimbuf forms of setting file times: utime, utimes,
 * lutimes, futimes, futimesat. glibc implements each with an internal
 * utimensat no preload reaches, so on a host path they acted on the
 * guest's /host/..., and on a host descriptor on its placeholder. Here
 * each converts its times exactly as glibc does (no range check of its
 * own: the kernel's of the nanoseconds decides) and calls the shim's
 * utimensat or futimens, which route host paths and descriptors and pass
 * everything else to libc's.
 */
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <utime.h>

#include "preload.h"

/* NULL (the current time for both) stays NULL. */
static const struct timespec *times_from_timeval(struct timespec ts[2],
						 const struct timeval tv[2])
{
	if (!tv)
		return NULL;
	for (int i = 0; i < 2; i++) {
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return ts;
}

EXPORT int utimes(const char *path, const struct timeval tv[2])
{
	struct timespec ts[2];

	return utimensat(AT_FDCWD, path, times_from_timeval(ts, tv), 0);
}

EXPORT int lutimes(const char *path, const struct timeval tv[2])
{
	struct timespec ts[2];

	return utimensat(AT_FDCWD, path, times_from_timeval(ts, tv), AT_SYMLINK_NOFOLLOW);
}

EXPORT int futimes(int fd, const struct timeval tv[2])
{
	struct timespec ts[2];

	return futimens(fd, times_from_timeval(ts, tv));
}

/* A NULL path is futimes(fd): libc's utimensat would refuse it. */
EXPORT int futimesat(int dirfd, const char *path, const struct timeval tv[2])
{
	struct timespec ts[2];

	if (!path)
		return futimens(dirfd, times_from_timeval(ts, tv));
	return utimensat(dirfd, path, times_from_timeval(ts, tv), 0);
}

EXPORT int utime(const char *path, const struct utimbuf *times)
{
	struct timespec ts[2];

	if (!times)
		return utimensat(AT_FDCWD, path, NULL, 0);
	ts[0] = (struct timespec){ .tv_sec = times->actime };
	ts[1] = (struct timespec){ .tv_sec = times->modtime };
	return utimensat(AT_FDCWD, path, ts, 0);
}
