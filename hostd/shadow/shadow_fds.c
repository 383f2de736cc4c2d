/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "shadow_fds.h"

#define SHADOW_FDS_MAX 32

static int shadow_reserved[SHADOW_FDS_MAX];
static int shadow_n_reserved;

void shadow_fd_reserve(int fd)
{
	if (fd <= 2 || !shadow_fd_guest_ok(fd))
		return;
	if (shadow_n_reserved == SHADOW_FDS_MAX)
		abort(); /* a descriptor we could not protect: never serve with it */
	shadow_reserved[shadow_n_reserved++] = fd;
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
	if (fd <= 2)
		return false;
	for (int i = 0; i < shadow_n_reserved; i++)
		if (shadow_reserved[i] == fd)
			return false;
	return true;
}
