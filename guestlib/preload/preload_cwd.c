/* SPDX-License-Identifier: MIT */
/*
 * The working directory: whether it is a host directory (then relative
 * paths are host paths, preload_route.c), taking it up again by path in a
 * new shadow after the old one went, and chdir, fchdir and getcwd.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostfs_caller.h"
#include "preload.h"

bool preload_cwd_host; /* the working directory is a host directory */
/* The host working directory by path, while the shadow is not in it
 * (pending): the host context went (an id change, a fork without a
 * shadow) while the working directory was a host directory. A new shadow
 * starts elsewhere, and relative paths must not silently mean that: they
 * are resolved as preload_cwd_want/PATH, which fails as a lookup from that
 * directory would (EACCES, ENOENT), and the next attach takes the
 * directory up (chdir). If the new ids cannot enter it, it stays pending
 * (lost: not tried again). "" if the old shadow could not even name it (it
 * was removed): relative paths are ENAMETOOLONG. Changed with the lock
 * held. */
bool preload_cwd_pending, preload_cwd_lost;
char preload_cwd_want[PATH_MAX];
/* A string longer than any host path (PATH_MAX + 1 bytes, filled in by
 * cwd_init()): a stub refuses it with ENAMETOOLONG before any call. */
static char preload_too_long[PATH_MAX + 2];

void cwd_init(void)
{
	memset(preload_too_long, 'x', sizeof(preload_too_long) - 1);
}

/* A relative host path while the shadow is not in the working directory
 * (preload_cwd_pending): preload_cwd_want/PATH instead, in one of two
 * buffers of the calling thread (rename and link take two paths). One too
 * long to be a path stays too long (truncated past PATH_MAX). */
const char *cwd_pending_join(const char *path)
{
	static __thread char *bufs[2];
	static __thread unsigned turn;
	char **b = &bufs[turn++ & 1];

	if (!preload_cwd_want[0])
		return preload_too_long; /* a directory nobody can name */
	if (!*b && !(*b = malloc(sizeof(preload_too_long))))
		return preload_too_long;
	snprintf(*b, sizeof(preload_too_long), "%s/%s", preload_cwd_want, path);
	return *b;
}

/* The working directory is a host directory the shadow is in (lock held):
 * a shadow that goes must name it for the next. */
bool cwd_in_shadow(void)
{
	return preload_cwd_host && !preload_cwd_pending;
}

/* The shadow that was in the working directory goes (lock held): the next
 * takes it up by the path the old one gave (r == 0), or it has no name
 * (it was removed). */
void cwd_leave_shadow(int32_t r, const char *path)
{
	snprintf(preload_cwd_want, sizeof(preload_cwd_want), "%s", r == 0 ? path : "");
	preload_cwd_pending = true;
}

/* Take the pending host working directory up in a new shadow (lock held,
 * attached). */
void cwd_take_up(void)
{
	int32_t r;

	if (!preload_cwd_pending || preload_cwd_lost)
		return;
	r = preload_cwd_want[0] ? hostfs_chdir(&preload_host->fs, preload_cwd_want) : -ENOENT;
	if (r == 0)
		__atomic_store_n(&preload_cwd_pending, false, __ATOMIC_RELEASE);
	else
		preload_cwd_lost = true;
}

/* The shadow is in the working directory (host is true), or it is a guest
 * directory: nothing to take up any more (lock held). */
static void cwd_settle(bool host)
{
	preload_cwd_host = host;
	__atomic_store_n(&preload_cwd_pending, false, __ATOMIC_RELEASE);
	preload_cwd_lost = false;
}

static void cwd_set_guest(void)
{
	LOCK();
	cwd_settle(false);
	UNLOCK();
}

EXPORT int chdir(const char *path)
{
	bool pending = false, lost = false;
	const char *hp;
	int64_t r;

	if (!host_path(path, &hp)) {
		int g = REAL(chdir)(path);
		if (g == 0)
			cwd_set_guest();
		return g;
	}
	LOCK();
	/* An absolute path leaves a working directory still to be taken up
	 * (and attaching to go there need not take it up first); a relative
	 * one starts from it. */
	if (hp[0] == '/') {
		pending = preload_cwd_pending;
		lost = preload_cwd_lost;
		cwd_settle(preload_cwd_host);
	}
	r = HOST_CALL_LOCKED(hostfs_chdir(&preload_host->fs, hp));
	if (r == 0) {
		cwd_settle(true);
	} else if (hp[0] == '/') {
		/* Still where it was: if that is to be taken up, it still is. */
		preload_cwd_pending = pending;
		preload_cwd_lost = lost;
		if (preload_host)
			cwd_take_up();
	}
	UNLOCK();
	return (int)ret_errno(r);
}

/* Into host directory hfd (lock held, attached): 0 or -errno. */
static int64_t host_fchdir(int hfd)
{
	int32_t r = hostfs_fchdir(&preload_host->fs, hfd);

	if (r == 0)
		cwd_settle(true);
	return r;
}

EXPORT int fchdir(int fd)
{
	int hfd = host_fd(fd);

	if (hfd < 0) {
		int g = REAL(fchdir)(fd);
		if (g == 0)
			cwd_set_guest();
		return g;
	}
	return (int)ret_errno(HOST_CALL(host_fchdir(hfd)));
}

/* In a host directory: the prefix and the shadow's working directory. */
EXPORT char *getcwd(char *buf, size_t size)
{
	char path[PATH_MAX];
	size_t need;
	int64_t r;

	if (!preload_cwd_host)
		return REAL(getcwd)(buf, size);
	LOCK();
	if (preload_cwd_pending) {
		/* Not taken up (yet) after an id change: where it was, as a
		 * process whose ids cannot enter its working directory still
		 * learns its name. "": the old shadow could not name it. */
		r = preload_cwd_want[0] ? 0 : -ENOENT;
		snprintf(path, sizeof(path), "%s", preload_cwd_want);
	} else {
		r = HOST_CALL_LOCKED(hostfs_getcwd(&preload_host->fs, path, sizeof(path)));
	}
	UNLOCK();
	if (ret_errno(r) < 0)
		return NULL;
	need = preload_prefix_len + (strcmp(path, "/") ? strlen(path) : 0) + 1;
	if (!buf) {
		size = size > need ? size : need;
		buf = malloc(size);
		if (!buf)
			return NULL;
	}
	if (size < need) {
		errno = ERANGE;
		return NULL;
	}
	snprintf(buf, size, "%s%s", preload_prefix, strcmp(path, "/") ? path : "");
	return buf;
}

EXPORT char *get_current_dir_name(void)
{
	return getcwd(NULL, 0);
}
