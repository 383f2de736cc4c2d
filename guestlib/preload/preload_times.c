/* SPDX-License-Identifier: MIT */
/*
 * Setting file times: utimensat and futimens, one host call each; and the
 * timeval and utimbuf forms, utime, utimes, lutimes, futimes, futimesat.
 * glibc implements each of those with an internal utimensat no preload
 * reaches, so on a host path they acted on the guest's /host/..., and on
 * a host descriptor on its placeholder. Here each converts its times
 * exactly as glibc does (no range check of its own: the kernel's of the
 * nanoseconds decides) and calls the shim's utimensat or futimens, which
 * route host paths and descriptors and pass everything else to libc's.
 */
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <utime.h>

#include "hostfs_caller.h"
#include "preload.h"

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
