/* SPDX-License-Identifier: MIT */
/*
 * realpath, __realpath_chk and canonicalize_file_name of host paths.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostfs_caller.h"
#include "preload.h"

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
