/* SPDX-License-Identifier: MIT */
#ifndef HOSTD_SPAWN_H
#define HOSTD_SPAWN_H

#include <stdint.h>
#include <sys/types.h>

/* Limits a shadow runs under (0: leave the inherited one). */
struct shadow_limits {
	uint64_t nofile;
	uint64_t as_bytes;
	uint64_t nproc;
};

struct shadow_spec {
	const char *exe;            /* the vmrpc-shadow binary */
	int region_fd;              /* becomes the shadow's fd 3 */
	uint32_t chan_index;
	uid_t uid;                  /* switched to when hostd is root */
	gid_t gid;
	const char *cwd;            /* initial working directory */
	const char *const *modules; /* --service paths, n_modules of them */
	size_t n_modules;
	const struct shadow_limits *limits;
	int verbose;
	int bell_fd;                /* ivshmem-doorbell: the channel's eventfd, the
				     * shadow's fd 4; else -1 */
	const char *wake;           /* the shadow's --wake: NULL (futex), "eventfd", "poll" */
	const char *doorbell;       /* loopback: hostd's doorbell socket, for the
				     * FORK_READY of a forked shadow; else NULL */
};

/* fork + exec one shadow. Returns 0 with its pid and a pidfd. */
int shadow_spawn(const struct shadow_spec *spec, pid_t *ret_pid, int *ret_pidfd);

#endif /* HOSTD_SPAWN_H */
