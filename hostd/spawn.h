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

struct cgroup_group;

struct shadow_spec {
	const char *exe;            /* the vmrpc-shadow binary */
	int region_fd;              /* becomes the shadow's fd 3 */
	uint32_t chan_index;
	uid_t uid;                  /* the shadow drops to them when hostd is root */
	gid_t gid;
	const char *cwd;            /* initial working directory, entered as uid */
	const char *const *modules; /* --service paths, n_modules of them */
	size_t n_modules;
	const struct shadow_limits *limits;
	int verbose;
	int bell_fd;                /* ivshmem-doorbell: the channel's eventfd, the
				     * shadow's fd 4; else -1 */
	const char *wake;           /* the shadow's --wake: NULL (futex), "eventfd", "poll" */
	const char *doorbell;       /* loopback: hostd's doorbell socket, for the
				     * FORK_READY of a forked shadow; else NULL */
	const struct cgroup_group *cgroup; /* joined before anything else; NULL: none */
};

/* What a child that did not reach the exec writes on its report pipe. */
enum { SPAWN_FAIL_SETUP = 1, SPAWN_FAIL_EXEC = 2, SPAWN_FAIL_CGROUP = 3 };
struct spawn_report {
	int what;
	int err;
};

/* fork + exec one shadow. Returns 0 with its pid and a pidfd once the exec
 * happened, or -errno with what failed in why. */
int shadow_spawn(const struct shadow_spec *spec, pid_t *ret_pid, int *ret_pidfd,
		 char *why, size_t why_size);

#endif /* HOSTD_SPAWN_H */
