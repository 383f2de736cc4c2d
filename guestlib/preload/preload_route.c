/* SPDX-License-Identifier: MIT */
/*
 * Routing: is a path a host path? Paths under the prefix
 * ($VMRPC_HOST_PREFIX, default /host) are, with the prefix stripped;
 * relative paths are while the working directory is a host directory
 * (preload_cwd.c); an *at() call's path is when its dirfd is a host
 * descriptor (host_fd(), preload.h). Everything else is the guest's.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "preload.h"

/* The prefix, without a trailing slash ("/" stays "/"). */
char preload_prefix[PRELOAD_PREFIX_MAX] = "/host";
size_t preload_prefix_len = 5;

/* The prefix from $VMRPC_HOST_PREFIX, if it names an absolute path that
 * fits (start-up). */
void route_init(void)
{
	const char *p = getenv("VMRPC_HOST_PREFIX");

	if (p && p[0] == '/' && strlen(p) < sizeof(preload_prefix)) {
		strcpy(preload_prefix, p);
		preload_prefix_len = strlen(p);
		while (preload_prefix_len > 1 && preload_prefix[preload_prefix_len - 1] == '/')
			preload_prefix[--preload_prefix_len] = '\0';
	}
}

bool host_path(const char *path, const char **ret_path)
{
	preload_init();
	if (!path)
		return false;
	if (path[0] != '/') {
		*ret_path = path;
		if (preload_cwd_host && __atomic_load_n(&preload_cwd_pending, __ATOMIC_ACQUIRE))
			*ret_path = cwd_pending_join(path);
		return preload_cwd_host;
	}
	if (strncmp(path, preload_prefix, preload_prefix_len) != 0)
		return false;
	if (path[preload_prefix_len] == '\0') {
		*ret_path = "/";
		return true;
	}
	if (path[preload_prefix_len] != '/')
		return false;
	*ret_path = path + preload_prefix_len;
	return true;
}

bool host_at(int dirfd, const char *path, int *ret_dirfd, const char **ret_path)
{
	int h;

	if (!path)
		return false;
	if (path[0] == '/' || dirfd == AT_FDCWD) {
		*ret_dirfd = AT_FDCWD;
		return host_path(path, ret_path);
	}
	h = host_fd(dirfd);
	if (h < 0)
		return false;
	*ret_dirfd = h;
	*ret_path = path;
	return true;
}

/* Whether p is NULL, for arguments glibc declares nonnull but the kernel
 * accepts NULL for (utimensat's path): out of line, so the check stays. */
__attribute__((noinline)) bool is_null(const void *p)
{
	return p == NULL;
}
