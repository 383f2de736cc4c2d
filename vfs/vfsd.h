/* SPDX-License-Identifier: MIT */
/*
 * vmrpc_vfs: the serving side of idl/vfs.idl, one library for both daemons:
 * a shadow serves its guest caller's mounts of host trees, vmrpc-guestd a
 * host caller's mounts of guest trees (docs/mount.md).
 *
 * A server holds the exports (a name, a directory opened once, read-only or
 * not) and the sessions mounted on them. A peer is one caller's view of the
 * server: the sessions it mounted or joined; each served channel gets the
 * service of a peer (vfsd_peer_service), and a caller's channels share one
 * peer, or several peers with the same key (guestd: one per channel, keyed
 * by the host caller). A session is never reachable through the peer of
 * another key. Everything is thread-safe: several channels of one caller
 * may call into one session at once.
 *
 * Bounds, each per session unless said: nodes (the client's lookups),
 * O_PATH descriptors kept (an LRU; a node is reopened from its parent and
 * name when needed and checked to be the same file), open handles, POSIX
 * lock owners, directories watched; sessions per server. Nothing a client
 * sends (names, ids, counts, sizes) is trusted.
 */
#ifndef VMRPC_VFSD_H
#define VMRPC_VFSD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmrpc/vmrpc.h"

#define VFSD_EXPORTS_MAX 32

struct vfsd_limits {
	uint32_t sessions; /* per server; 0: 16 */
	uint32_t nodes;    /* 0: 1 << 22 */
	uint32_t fds;      /* O_PATH descriptors kept; 0: 128 */
	uint32_t handles;  /* open files and directories; 0: 512 */
	uint32_t lock_owners; /* 0: 256 */
	uint32_t watches;  /* directories watched for changes; 0: 4096 */
};

struct vfsd_server;
struct vfsd_peer;

/* A server without exports. */
int vfsd_server_new(const struct vfsd_limits *limits, struct vfsd_server **ret_server);
/* Export the directory path as name ([A-Za-z0-9_.-]{1,63}, not starting
 * with '.'): it is opened now (O_PATH), so later changes of the process's
 * root or working directory do not move it. -EEXIST, -E2BIG (too many),
 * -EINVAL (name), -ENOTDIR, or open's error; the reason in err. */
int vfsd_server_export(struct vfsd_server *s, const char *name, const char *path,
		       bool read_only, char *err, size_t err_size);
/* Parse "NAME=PATH" into the export (the form of hostd's --export and the
 * shadow's). */
int vfsd_server_export_arg(struct vfsd_server *s, const char *arg, bool read_only, char *err,
			   size_t err_size);
size_t vfsd_server_n_exports(const struct vfsd_server *s);
/* The descriptors the server keeps for itself so far (its exports'): at
 * most n in ret_fds; returns how many. */
int vfsd_server_fds(const struct vfsd_server *s, int *ret_fds, int n);
/* After every peer was freed. */
void vfsd_server_free(struct vfsd_server *s);

/* A caller's view of the server: key says who the caller is (peers of
 * another key never see its sessions). */
int vfsd_peer_new(struct vfsd_server *s, uint64_t key, struct vfsd_peer **ret_peer);
/* Make a watch call of this peer return now (from another thread), and
 * every later one at once: before stopping the thread that serves it. */
void vfsd_peer_cancel(struct vfsd_peer *p);
/* Drop the peer's sessions (each ends with its last peer). Not while a call
 * of the peer runs. */
void vfsd_peer_free(struct vfsd_peer *p);
/* The service to serve the vfs interface with for this peer. */
struct vmrpc_service vfsd_peer_service(struct vfsd_peer *p);

/* The implementations behind the service (a const struct vfs_ops *), with a
 * struct vfsd_peer * as ctx: for a fuzz target that calls them directly. */
extern const void *const vfsd_ops;

#endif /* VMRPC_VFSD_H */
