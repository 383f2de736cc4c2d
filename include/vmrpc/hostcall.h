/* SPDX-License-Identifier: MIT */
/*
 * The host-call library: a guest process's host context (its channel and
 * the shadow behind it) with the shipped interfaces bound, and the calls
 * that need more than one stub call: transfers larger than the channel's
 * arena are split, vectors are gathered, and a fork gives the child a shadow
 * that is a fork of its parent's (docs/hostcalls.md).
 *
 * Results are the host's: >= 0, or -errno (host errno values: guest and host
 * share Linux's), or -VMRPC_E* from the transport. Not thread-safe: one call
 * at a time per struct vmrpc_host (the LD_PRELOAD shim serialises with a
 * lock).
 */
#ifndef VMRPC_HOSTCALL_H
#define VMRPC_HOSTCALL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "vmrpc/guest.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vmrpc_host {
	struct vmrpc_guest guest;
	/* Bound to idl/hostcalls.idl, hostfs.idl, hostproc.idl, hostnet.idl:
	 * pass them to the generated stubs (hostfs_openat(&h->fs, ...)). */
	struct vmrpc_binding calls, fs, proc, net;
	uint64_t chunk; /* largest single transfer: the arena, less room for the rest */
};

/* Attach to region name (NULL: $VMRPC_REGION) as vmrpc_guest_attach()
 * does and bind the four interfaces. */
VMRPC_API int vmrpc_host_attach(const char *name, struct vmrpc_host **ret_host);
/* After execve(): the host context this process had before, on channel
 * index with attach nonce nonce (vmrpc_chan_adopt) of region name (NULL:
 * the default). Loopback only. */
VMRPC_API int vmrpc_host_adopt(const char *name, uint32_t index, uint64_t nonce,
			       struct vmrpc_host **ret_host);
/* Detach (the shadow goes, with every host descriptor) and free. NULL is
 * ignored. In a forked child that did not get its own channel, only frees. */
VMRPC_API void vmrpc_host_detach(struct vmrpc_host *host);

/* vmrpc_chan_buf_alloc() on the host context's channel: a buffer in the
 * shared region that read and write below use in place (no copy at all). */
VMRPC_API int vmrpc_host_buf_alloc(struct vmrpc_host *host, size_t len, void **ret_ptr);
VMRPC_API void vmrpc_host_buf_free(struct vmrpc_host *host, void *ptr);

/* read(2), write(2), pread(2), pwrite(2) on host descriptor fd, of any
 * size: split into arena-sized calls until count is done, the host returns
 * less than asked (end of file, a pipe), or fails. A failure after some
 * bytes moved returns those bytes (as the kernel does). */
VMRPC_API int64_t vmrpc_host_read(struct vmrpc_host *host, int fd, void *buf, size_t count);
VMRPC_API int64_t vmrpc_host_write(struct vmrpc_host *host, int fd, const void *buf,
				   size_t count);
VMRPC_API int64_t vmrpc_host_pread(struct vmrpc_host *host, int fd, void *buf, size_t count,
				   int64_t offset);
VMRPC_API int64_t vmrpc_host_pwrite(struct vmrpc_host *host, int fd, const void *buf,
				    size_t count, int64_t offset);
/* readv(2), writev(2): one host call per arena-full, gathered or
 * scattered on the guest side. */
VMRPC_API int64_t vmrpc_host_readv(struct vmrpc_host *host, int fd, const struct iovec *iov,
				   int iovcnt);
VMRPC_API int64_t vmrpc_host_writev(struct vmrpc_host *host, int fd, const struct iovec *iov,
				    int iovcnt);

/* A guest fork with host state: the child's channel, prepared before
 * fork() and served by a fork of the parent's shadow. */
struct vmrpc_host_fork {
	struct vmrpc_chan *child_chan;
};

/* Before fork(): claim a channel for the child and have the parent's shadow
 * fork into its shadow. Loopback only: -EOPNOTSUPP elsewhere. */
VMRPC_API int vmrpc_host_fork_prepare(struct vmrpc_host *host, struct vmrpc_host_fork *f);
/* After fork(), in the parent: hand the channel to child (its pid). */
VMRPC_API int vmrpc_host_fork_parent(struct vmrpc_host *host, struct vmrpc_host_fork *f,
				     pid_t child);
/* After fork(), in the child: host becomes the child's own host context,
 * on the prepared channel (the parent's channel is left to the parent). */
VMRPC_API int vmrpc_host_fork_child(struct vmrpc_host *host, struct vmrpc_host_fork *f);
/* fork() failed: give the prepared channel back (its shadow goes). */
VMRPC_API void vmrpc_host_fork_abort(struct vmrpc_host *host, struct vmrpc_host_fork *f);

#ifdef __cplusplus
}
#endif

#endif /* VMRPC_HOSTCALL_H */
