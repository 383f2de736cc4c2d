/* SPDX-License-Identifier: MIT */
#include "shadow_fds.h"

#define SHADOW_FDS_MAX 4

static int shadow_reserved[SHADOW_FDS_MAX];
static int shadow_n_reserved;

void shadow_fd_reserve(int fd)
{
	if (fd > 2 && shadow_n_reserved < SHADOW_FDS_MAX)
		shadow_reserved[shadow_n_reserved++] = fd;
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
