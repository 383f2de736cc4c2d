/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "shadow_fds.h"

/* Descriptors it starts with, and one eventfd per sibling it serves. */
#define SHADOW_FDS_MAX 64

/* -1: a slot a released descriptor left. Written under shadow_fds_lock,
 * read without it by calls in any thread (siblings). */
static int shadow_reserved[SHADOW_FDS_MAX];
static int shadow_n_reserved;
static pthread_mutex_t shadow_fds_lock = PTHREAD_MUTEX_INITIALIZER;

/* A sibling's thread may hold the lock when the channel's thread forks a
 * copy (shadow_fork): hold it across fork, so that the copy, which has
 * only the forking thread, never inherits it held. */
static void shadow_fds_lock_take(void)
{
	pthread_mutex_lock(&shadow_fds_lock);
}

static void shadow_fds_lock_drop(void)
{
	pthread_mutex_unlock(&shadow_fds_lock);
}

__attribute__((constructor)) static void shadow_fds_init(void)
{
	if (pthread_atfork(shadow_fds_lock_take, shadow_fds_lock_drop, shadow_fds_lock_drop))
		abort();
}

void shadow_fd_reserve(int fd)
{
	int slot = -1;

	if (fd <= 2)
		return;
	pthread_mutex_lock(&shadow_fds_lock);
	if (!shadow_fd_guest_ok(fd)) {
		pthread_mutex_unlock(&shadow_fds_lock);
		return;
	}
	for (int i = 0; i < shadow_n_reserved && slot < 0; i++)
		if (__atomic_load_n(&shadow_reserved[i], __ATOMIC_RELAXED) == -1)
			slot = i;
	if (slot < 0) {
		if (shadow_n_reserved == SHADOW_FDS_MAX)
			abort(); /* a descriptor we could not protect: never serve with it */
		slot = shadow_n_reserved;
		__atomic_store_n(&shadow_reserved[slot], fd, __ATOMIC_RELAXED);
		__atomic_store_n(&shadow_n_reserved, slot + 1, __ATOMIC_RELEASE);
	} else {
		__atomic_store_n(&shadow_reserved[slot], fd, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&shadow_fds_lock);
}

void shadow_fd_release(int fd)
{
	pthread_mutex_lock(&shadow_fds_lock);
	for (int i = 0; i < shadow_n_reserved; i++)
		if (__atomic_load_n(&shadow_reserved[i], __ATOMIC_RELAXED) == fd)
			__atomic_store_n(&shadow_reserved[i], -1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&shadow_fds_lock);
}

int shadow_fd_reserve_open(int proc_fd)
{
	DIR *d;
	struct dirent *e;
	int self;

	if (proc_fd < 0)
		proc_fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0)
		return -errno;
	d = fdopendir(proc_fd);
	if (!d) {
		int err = -errno;

		close(proc_fd);
		return err;
	}
	self = dirfd(d);
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);

		if (*end == '\0' && e->d_name[0] != '\0' && fd != self)
			shadow_fd_reserve((int)fd);
	}
	closedir(d);
	return 0;
}

bool shadow_fd_guest_ok(int fd)
{
	int n = __atomic_load_n(&shadow_n_reserved, __ATOMIC_ACQUIRE);

	if (fd <= 2)
		return false;
	for (int i = 0; i < n; i++)
		if (__atomic_load_n(&shadow_reserved[i], __ATOMIC_ACQUIRE) == fd)
			return false;
	return true;
}
