/* SPDX-License-Identifier: MIT */
/*
 * libvmrpc's private API: what only vmrpc's own daemons (vmrpc-hostd, its
 * shadows, vmrpc-guestd) and the in-tree tests and benchmarks that stand in
 * for them use. It is not in libvmrpc.so: it comes with the static library
 * vmrpc_private, which holds all of libvmrpc. The names say the side:
 * vmrpc_hostd_* is what hostd does to a region and its channels,
 * vmrpc_guestd_* what the guest agent does, vmrpc_callee_* how a shadow or
 * guestd serves a channel. Public: include/vmrpc/vmrpc.h.
 */
#ifndef VMRPC_PRIVATE_H
#define VMRPC_PRIVATE_H

#include "vmrpc/vmrpc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- hostd: regions ------------------------------------------------------ */

struct vmrpc_region_opts {
	uint32_t n_channels; /* 0: default 32 */
	uint32_t chan_size;  /* 0: default 256 KiB; multiple of 4096 */
	uint32_t mode;       /* 0: default 0600; mode of the region file (of the
			      * socket a sealed region is served on) and of the
			      * doorbell socket */
	uint32_t flags;      /* VMRPC_REGION_* */
	uint64_t size;       /* 0: what the channels need; else the region's size, at
			      * least that (an ivshmem BAR is a power of two) */
	const char *path;    /* NULL: <runtime dir>/<name>.region; else this file
			      * (a VM's shared-memory file). Not with SEALED. */
	int adopt_fd;        /* with VMRPC_REGION_ADOPT: a sealed region an earlier
			      * host side made (systemd's fd store); taken over */
};

/* A sealed region: anonymous memory (a memfd) whose size nobody can change,
 * not even a caller holding its descriptor, so no mapper can be made to
 * fault. It has no file: vmrpc_hostd_region_listen() serves it on a socket at
 * <runtime dir>/<name>.region, where vmrpc_region_open() asks for it. A lock
 * file <name>.lock keeps a second host side off the name. */
#define VMRPC_REGION_SEALED 0x1u
/* With SEALED: take over opts->adopt_fd if it is a sealed vmrpc region of
 * the same geometry (generation + 1, every channel reset, as for a file);
 * else it is closed and a new region made. The descriptor is consumed. */
#define VMRPC_REGION_ADOPT 0x2u

/* Host side: create the region file NAME.region, or opts->path (or adopt an
 * existing one with the same geometry, bumping its generation and resetting
 * every channel), give it opts->mode, map it, and lock it: a second create
 * on the same file gets -EBUSY while this region is open. With
 * VMRPC_REGION_SEALED, a sealed memfd instead (see above). */
int vmrpc_hostd_region_create(const char *name,
				  const struct vmrpc_region_opts *opts,
				  struct vmrpc_region **ret_region);


/* Host side of a sealed region: listen on <runtime dir>/NAME.region
 * (SOCK_SEQPACKET, non-blocking, close-on-exec; its mode is the region's),
 * replacing a stale socket there. -EINVAL for a region that is not sealed. */
int vmrpc_hostd_region_listen(struct vmrpc_region *region, int *ret_fd);
/* Accept one connection on listen_fd and send it the region: 0, -EAGAIN
 * when none is pending. Never blocks on the peer. */
int vmrpc_hostd_region_serve(struct vmrpc_region *region, int listen_fd);

/* Host side: write the registry; slot i serves ifaces[i]. */
int vmrpc_hostd_region_publish(struct vmrpc_region *region,
				   const struct vmrpc_iface *const *ifaces, size_t n);


/* ---- serving a channel: a shadow, guestd ---------------------------------- */

struct vmrpc_callee;

/* Like vmrpc_region_open_fd(), for a callee that was told the region's
 * geometry by its host side (a shadow, by hostd): the mapping must have
 * exactly n_channels channels of chan_size bytes, and the header's own
 * geometry words, which a guest can rewrite, are never used. */
int vmrpc_callee_region_open(int fd, uint32_t n_channels, uint32_t chan_size,
					    struct vmrpc_region **ret_region);

/* Serve channel chan_index of region. The caller of this function is trusted
 * to have attached the channel (hostd did). */
int vmrpc_callee_open(struct vmrpc_region *region, uint32_t chan_index,
				struct vmrpc_callee **ret_callee);
void vmrpc_callee_close(struct vmrpc_callee *callee);
void vmrpc_callee_set_spin(struct vmrpc_callee *callee, uint32_t max_ns);

/* How a region's two sides reach each other: hostd serves each region on
 * one transport, and a callee sleeps and wakes its caller by it. */
enum vmrpc_transport {
	VMRPC_TRANSPORT_LOOPBACK = 0,  /* host programs on hostd's kernel (the
					* default): futexes both ways */
	VMRPC_TRANSPORT_IVSHMEM_DOORBELL, /* a VM's guest rings channel i's vector,
					   * which makes an eventfd hostd passes on
					   * readable; the guest polls for replies */
	VMRPC_TRANSPORT_IVSHMEM_PLAIN, /* a VM with no doorbell: nothing wakes
					* either side; both sleep with backoff
					* and look again. guestd in a guest
					* without vmrpc.ko serves this way too */
	VMRPC_TRANSPORT_GUEST_DEV,     /* guestd in a guest with vmrpc.ko: it
					* sleeps in the driver on the channel's
					* MSI-X vector (bell_fd: its agent file
					* of /dev/vmrpcN) and rings the caller's */
};

/* "loopback", "ivshmem-doorbell", "ivshmem-plain"; and back (-EINVAL). */
const char *vmrpc_transport_name(enum vmrpc_transport t);
int vmrpc_transport_parse(const char *name, enum vmrpc_transport *ret_transport);

/* Choose how the callee sleeps and wakes its caller; bell_fd is used only
 * by VMRPC_TRANSPORT_IVSHMEM_DOORBELL (the channel's eventfd) and stays the
 * caller's to close, after vmrpc_callee_close(). */
int vmrpc_callee_set_transport(struct vmrpc_callee *callee, enum vmrpc_transport t,
			       int bell_fd);
/* ivshmem-doorbell: fd raises the channel's vector in the guest, where a
 * caller sleeping in vmrpc.ko waits for it; written only when the caller
 * announced its sleep. Stays the caller's to close. */
int vmrpc_callee_set_guest_bell(struct vmrpc_callee *callee, int fd);

/* Serve calls until vmrpc_callee_stop() (from a signal handler or another
 * thread). svcs[i] answers registry slot i. A bad request gets an error
 * reply and serving goes on. Returns 0 after a stop. */
int vmrpc_callee_serve(struct vmrpc_callee *callee,
				 const struct vmrpc_service *svcs, size_t n_svcs);
/* Async-signal-safe. */
void vmrpc_callee_stop(struct vmrpc_callee *callee);

/* ---- hostd: doorbells and channel transitions ---------------------------- */

/* Bind the region's loopback doorbell socket <runtime dir>/<name>.sock
 * (SOCK_DGRAM, SO_PASSCRED, non-blocking, close-on-exec), replacing a stale
 * socket file. Only for a region from vmrpc_hostd_region_create() (else -EPERM). */
int vmrpc_hostd_doorbell_listen(struct vmrpc_region *region, int *ret_fd);

/* One received doorbell with the sender's kernel-verified credentials. */
struct vmrpc_doorbell {
	struct vmrpc_doorbell_msg msg;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int fds[2]; /* descriptors that came with it (a forked shadow's FORK_READY
		     * brings two), else -1: the receiver's to close */
};

/* Receive one doorbell: 0, -EAGAIN when none is queued, -EPROTO for a
 * malformed datagram (it is consumed, and anything it carried closed). */
int vmrpc_hostd_doorbell_recv(int fd, struct vmrpc_doorbell *ret_bell);

/* 0 if bell is an attach doorbell whose channel is CLAIMED by exactly the
 * sender the kernel names (owner_pid) with the same nonce; -ESTALE if not
 * (an old or forged doorbell: ignore it), -EINVAL for a bad index. */
int vmrpc_hostd_claim_check(struct vmrpc_region *region,
				     const struct vmrpc_doorbell *bell);

/* Channel transitions only the host side makes. attach: CLAIMED -> ATTACHED
 * (the callee may start serving before it: the sequence words are zero since
 * the channel was freed, and attach leaves them alone); refuse: CLAIMED -> REFUSED with err; mark_dead:
 * ATTACHED -> DEAD; free: any -> FREE with generation + 1 and zeroed
 * sequence words. Each wakes every sleeper. attach, refuse and mark_dead
 * return -ESTALE when the channel is not in the state they move it from
 * (the caller gave up its claim, or is detaching). */
int vmrpc_hostd_chan_attach(struct vmrpc_region *region, uint32_t i,
				     pid_t callee_pid);
int vmrpc_hostd_chan_refuse(struct vmrpc_region *region, uint32_t i, int err);
int vmrpc_hostd_chan_mark_dead(struct vmrpc_region *region, uint32_t i);
int vmrpc_hostd_chan_free(struct vmrpc_region *region, uint32_t i);
/* Tell the parent of a fork that channel i's handover to child is done
 * (ctl.handover_pid): vmrpc_chan_fork_handover() waits for it. */
int vmrpc_hostd_chan_handed_over(struct vmrpc_region *region, uint32_t i, pid_t child);

/* Guest-sourced channels, on behalf of a host caller. offer: FREE ->
 * OFFERED (-EBUSY if the channel is not FREE: a guest caller claimed it),
 * with the host caller's pid in owner_pid, and rings guestd (guest_bell).
 * reclaim: the host caller is gone: -> DETACHING and rings guestd; returns 0
 * when guestd had not taken the channel yet (free it now), 1 when it must
 * first see guestd's RELEASED. */
int vmrpc_hostd_chan_offer(struct vmrpc_region *region, uint32_t i,
				    pid_t caller_pid);
int vmrpc_hostd_chan_reclaim(struct vmrpc_region *region, uint32_t i);

/* ---- guestd: the guest agent's side ------------------------------------ */

/* guestd: write the guest registry (the interfaces it serves to host
 * callers); slot i serves ifaces[i]. -E2BIG above VMRPC_GREG_MAX. */
int vmrpc_guestd_publish(struct vmrpc_region *region,
					 const struct vmrpc_iface *const *ifaces, size_t n);

/* Channel transitions only the guest agent makes. accept: OFFERED ->
 * SERVED, with callee_pid = getpid(), waking the host caller; release:
 * DETACHING -> RELEASED (it stopped serving; ring hostd afterwards);
 * mark_dead: SERVED -> DEAD (a channel a previous guestd served); detach:
 * ATTACHED or DEAD -> DETACHING for a guest caller that died, as its own
 * library would have done (ring hostd afterwards). -ESTALE when the channel
 * is not in a state they move it from. */
int vmrpc_guestd_chan_accept(struct vmrpc_region *region, uint32_t i);
int vmrpc_guestd_chan_release(struct vmrpc_region *region, uint32_t i);
int vmrpc_guestd_chan_mark_dead(struct vmrpc_region *region, uint32_t i);
int vmrpc_guestd_chan_detach(struct vmrpc_region *region, uint32_t i);

/* guestd: tell hostd to look at the region (released channels, detached
 * ones, a new boot id): a doorbell datagram on loopback, vector 0 in a VM.
 * 0, or -VMRPC_ENOHOSTD. */
int vmrpc_guestd_ring_host(struct vmrpc_region *region);


/* ---- descriptors between the daemons ------------------------------------ */

#define VMRPC_SEND_FDS_MAX 2

/* Send len bytes of buf as one message on a unix socket with n_fds (at
 * most VMRPC_SEND_FDS_MAX) descriptors attached, flags | MSG_NOSIGNAL,
 * again on EINTR: 0, or -errno (-EPIPE when the message went short). */
int vmrpc_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds,
		   int flags);

#ifdef __cplusplus
}
#endif

#endif /* VMRPC_PRIVATE_H */
