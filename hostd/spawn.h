/* SPDX-License-Identifier: MIT */
#ifndef HOSTD_SPAWN_H
#define HOSTD_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmrpc_private.h"

/* Limits a shadow runs under (0: leave the inherited one). */
struct shadow_limits {
	uint64_t nofile;
	uint64_t as_bytes;
	uint64_t nproc;
};

struct cgroup_group;

struct shadow_spec {
	const char *exe;            /* the vmrpc-shadow binary */
	int region_fd;              /* becomes the shadow's SHADOW_FD_REGION */
	uint32_t chan_index;
	uint32_t n_channels;        /* the region's geometry, from hostd */
	uint32_t chan_size;
	uid_t uid;                  /* the shadow drops to them when hostd is root */
	gid_t gid;
	const char *cwd;            /* initial working directory, entered as uid */
	const char *root;           /* confine it beneath this directory, or NULL */
	const char *const *modules; /* --service paths, n_modules of them */
	size_t n_modules;
	const char *const *ffi_services; /* --ffi-service specs, n_ffi_services */
	size_t n_ffi_services;
	const char *const *exports; /* "NAME=PATH", n_exports of them */
	const bool *export_ro;
	size_t n_exports;
	const struct shadow_limits *limits;
	int verbose;
	int bell_fd;                /* ivshmem-doorbell: the channel's eventfd, the
				     * shadow's SHADOW_FD_BELL; else -1 */
	int guest_bell_fd;          /* ivshmem-doorbell: the eventfd that raises the
				     * channel's vector in the guest, the shadow's
				     * SHADOW_FD_GUEST_BELL; else -1 */
	enum vmrpc_transport transport; /* how the shadow sleeps and wakes its caller */
	const char *doorbell;       /* loopback: hostd's doorbell socket, for the
				     * FORK_READY of a forked shadow; else NULL */
	const struct cgroup_group *cgroup; /* joined before anything else; NULL: none */
};

/* A started shadow, and hostd's ends of its control socket and its log. */
struct shadow_proc {
	pid_t pid;
	int pidfd;
	int ctl_fd; /* SOCK_SEQPACKET, non-blocking */
	int log_fd; /* the read end of its stderr, non-blocking */
};

/* fork + exec one shadow. Returns 0 once the exec happened, or -errno with
 * what failed in why. */
int shadow_spawn(const struct shadow_spec *spec, struct shadow_proc *ret_proc, char *why,
		 size_t why_size);

#endif /* HOSTD_SPAWN_H */
