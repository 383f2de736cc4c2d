/* SPDX-License-Identifier: MIT */
/*
 * Per-caller containment (docs/security.md, "Containment"): each shadow and
 * everything it starts live in a cgroup of their own, under a subtree this
 * hostd owns, with a pids and a memory limit, and the whole group is killed
 * when the shadow, its caller or hostd goes.
 *
 * Where cgroups cannot be used (no cgroup2 hierarchy, hostd neither root
 * nor delegated, or VMRPC_HOSTD_CGROUP=off), hostd falls back, and says so
 * once at start: a group is then the shadow's session, killed by scanning
 * /proc, and only the rlimits bound a caller.
 */
#ifndef HOSTD_CGROUP_H
#define HOSTD_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spawn.h"

/* "max": no limit. */
#define CGROUP_LIMIT_MAX UINT64_MAX
/* Defaults (docs/hostd-config.md says why these). */
#define CGROUP_DEFAULT_PIDS 512u
#define CGROUP_DEFAULT_MEMORY (1ull << 30)
/* Below this a shadow cannot even map its channel. */
#define CGROUP_MEMORY_MIN (16ull << 20)
#define CGROUP_PIDS_MAX_VALUE (1u << 22)

struct cgroup_limits {
	uint64_t pids;   /* tasks of one caller (pids.max); 0: default; CGROUP_LIMIT_MAX: none */
	uint64_t memory; /* bytes of one caller, swap included (memory.max); likewise */
};

struct cgroup_tree;
struct cgroup_group;

/* At start, once the region is ours: find the cgroup layout, clean up
 * after a hostd of the past killed with SIGKILL, and make this server's
 * subtree. label names the server in the log ("region 'vm1'"), dir_name
 * its subtree ("region-vm1"). Lack of cgroups is no error: the tree then
 * falls back, which the log says. -ENOMEM only. */
int cgroup_tree_open(const char *label, const char *dir_name, const struct cgroup_limits *limits,
		     uint64_t nproc, struct cgroup_tree **ret_tree);
/* A reload: the limits of groups made from now on. */
void cgroup_tree_set_limits(struct cgroup_tree *t, const struct cgroup_limits *limits,
			    uint64_t nproc);
/* 1 if shadows get cgroups, 0 in the fallback. */
int cgroup_tree_contained(const struct cgroup_tree *t);
/* The rlimits a shadow gets: in; but RLIMIT_NPROC, which counts every
 * process of the user, is left out when pids.max bounds the caller. */
void cgroup_tree_rlimits(const struct cgroup_tree *t, const struct shadow_limits *in,
			 struct shadow_limits *ret_rlimits);
/* Kill everything in the subtree (hostd stops). */
void cgroup_tree_kill_all(struct cgroup_tree *t);
/* Remove the groups released while they still had members; returns how
 * many are still waiting (their processes have not exited yet). */
unsigned cgroup_tree_sweep(struct cgroup_tree *t);
/* Kill what is left, remove every group and the subtree, free t. NULL ok. */
void cgroup_tree_close(struct cgroup_tree *t);

/* A group for the shadow of channel chan, limits set, nobody in it yet.
 * On failure -errno and what failed in why. */
int cgroup_group_new(struct cgroup_tree *t, uint32_t chan, struct cgroup_group **ret_group,
		     char *why, size_t why_size);
/* In the forked child, before the exec: join g. Only open/write/close, so
 * it is safe after fork(). 0 or -errno (errno set too). */
int cgroup_group_enter(const struct cgroup_group *g);
/* Move pid into g: a forked shadow, born in its parent's group. */
int cgroup_group_adopt(const struct cgroup_group *g, pid_t pid);
/* Kill every process of g: cgroup.kill, or in the fallback the session
 * that leader (the shadow, a session leader) began. NULL ok. */
void cgroup_group_kill(const struct cgroup_group *g, pid_t leader);
/* The shadow was reaped: log which limits its group hit, and remove it
 * now or, while its processes are still exiting, at a later sweep. NULL ok. */
void cgroup_group_release(struct cgroup_tree *t, struct cgroup_group *g);

/* A fork by hostd failed with EAGAIN: which process limit is full, into
 * buf (e.g. "pids.max 64 of cgroup /system.slice/x.service is reached"). */
void cgroup_explain_eagain(char *buf, size_t size);

#endif /* HOSTD_CGROUP_H */
