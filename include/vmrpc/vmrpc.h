/* SPDX-License-Identifier: MIT */
/*
 * libvmrpc: typed calls between a KVM guest and its host through shared memory.
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * error on failure: -errno, or -VMRPC_E* for vmrpc's own errors; see
 * vmrpc_strerror(). Output parameters are named ret_*, come last and are left
 * untouched on failure. Destructors accept NULL. The library never prints.
 */
#ifndef VMRPC_VMRPC_H
#define VMRPC_VMRPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmrpc/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VMRPC_BUILDING_LIB)
#define VMRPC_API __attribute__((visibility("default")))
#else
#define VMRPC_API
#endif

/* vmrpc's own errors, returned negated. Above the errno range. */
enum vmrpc_error {
	VMRPC_EBASE = 1000,
	VMRPC_EMAGIC,     /* the region is not a vmrpc region */
	VMRPC_EABI,       /* the region's ABI version differs from ours */
	VMRPC_ENOIFACE,   /* the interface is not in the region's registry */
	VMRPC_ESIGNATURE, /* same interface name, different version or signature */
	VMRPC_ENOCHAN,    /* every channel of the region is in use */
	VMRPC_EREFUSED,   /* hostd refused the attach (limits or credentials) */
	VMRPC_ENOHOSTD,   /* nobody serves the region (no doorbell, no reply) */
	VMRPC_EPEERDIED,  /* the callee died during or before the call; reattach */
	VMRPC_ERESET,     /* the channel was reset (hostd restarted); reattach */
	VMRPC_ECORRUPT,   /* the channel's words changed under the caller; reattach */
	VMRPC_E2BIG,      /* arguments do not fit the args block or the arena */
	VMRPC_EDENIED,    /* the callee's policy refuses this call or this caller */
	VMRPC_ENOGUESTD,  /* no guest agent took the guest-sourced channel */
	VMRPC_ETIMEDOUT,  /* no reply within the channel's timeout; reopen */
	VMRPC_ESHADOW,    /* hostd could not start a shadow for this caller (its log
			   * says why: a limit, the configuration, the host) */
	VMRPC_ELAST
};

/* Text for any value vmrpc returns, negative or positive: vmrpc errors and
 * errno values alike. Never NULL; the string is static. */
VMRPC_API const char *vmrpc_strerror(int err);

/* ---- regions ----------------------------------------------------------- */

struct vmrpc_region;


/* Resolve "<runtime dir>/<name><suffix>". The runtime dir is
 * $VMRPC_RUNTIME_DIR if set; else the first of $XDG_RUNTIME_DIR/vmrpc,
 * /run/vmrpc (the systemd units') and /dev/shm/vmrpc that holds a socket
 * of name (a hostd serving it); else $XDG_RUNTIME_DIR/vmrpc, else
 * /dev/shm/vmrpc.
 * Names are [A-Za-z0-9_.-]{1,64} and do not start with '.'. */
VMRPC_API int vmrpc_region_path(const char *name, const char *suffix, char *buf,
				size_t size);

/* Why opening region name failed with err (vmrpc_region_open(),
 * vmrpc_guest_attach()), as a sentence saying what to do: the directories
 * looked in for -VMRPC_ENOHOSTD; for -EACCES the file, its mode, owner and
 * group, and the group or mode the caller lacks; else vmrpc_strerror(err).
 * Into buf (truncated to size). 0, or -EINVAL without a buffer. */
VMRPC_API int vmrpc_region_explain(const char *name, int err, char *buf, size_t size);


/* Guest side, loopback transport: map the region NAME served by hostd and
 * check its magic, ABI version and geometry. <runtime dir>/NAME.region is
 * the region's file, or the socket a sealed region is served on.
 * -VMRPC_ENOHOSTD when neither is there or nobody answers. */
VMRPC_API int vmrpc_region_open(const char *name, struct vmrpc_region **ret_region);

/* Map an already open region file descriptor (a shadow gets one from
 * hostd). Checks like vmrpc_region_open(). Does not take ownership of fd. */
VMRPC_API int vmrpc_region_open_fd(int fd, struct vmrpc_region **ret_region);



/* Guest side, ivshmem transports: map the region in an ivshmem device's
 * shared memory (shm_fd: its BAR2, e.g. sysfs resource2) and its registers
 * (regs_fd: BAR0, resource0). Checks like vmrpc_region_open(). Channels
 * opened on it attach and wake their callees through the Doorbell register,
 * and wait for replies by polling with backoff. Does not take ownership of
 * either fd. guestlib's vmrpc_guest_attach() finds the device. */
VMRPC_API int vmrpc_region_open_ivshmem(int shm_fd, int regs_fd,
					struct vmrpc_region **ret_region);

/* Guest side, vmrpc.ko: map the region of the vmrpc device at path
 * (/dev/vmrpc0): the header read-only, and a private channel per
 * vmrpc_chan_open(), each on an open file of its own that the kernel gives
 * back to hostd if this process dies (vmrpc(4)). Waits for the host sleep
 * on the channel's MSI-X vector. -ENODEV: no such device; -EACCES: not in
 * the device's group (udev rule, docs/qemu.md). */
VMRPC_API int vmrpc_region_open_dev(const char *path, struct vmrpc_region **ret_region);

/* The guest's ivshmem peer id (the IVPosition register), or -EINVAL for a
 * region that is not an ivshmem device's. */
VMRPC_API int vmrpc_region_ivshmem_peer(const struct vmrpc_region *region);

VMRPC_API void vmrpc_region_close(struct vmrpc_region *region);

VMRPC_API struct vmrpc_region_hdr *vmrpc_region_hdr(struct vmrpc_region *region);
/* The region's descriptor (its file, or a sealed region's memfd), owned by
 * the region. */
VMRPC_API int vmrpc_region_fd(const struct vmrpc_region *region);
/* The descriptors region keeps open (its file or memfd, its doorbell socket): at
 * most n of them in ret_fds; returns how many it keeps. For a library that
 * hides them from the program it runs in (the LD_PRELOAD shim). */
VMRPC_API int vmrpc_region_fds(const struct vmrpc_region *region, int *ret_fds, int n);
/* Renumber region's descriptor fd to the lowest free number >= min,
 * close-on-exec. Returns the new number, or -errno (-EBADF: fd is not one
 * of region's; the old number then stays). */
VMRPC_API int vmrpc_region_fd_move(struct vmrpc_region *region, int fd, int min);
VMRPC_API size_t vmrpc_region_size(const struct vmrpc_region *region);
/* The region's channels and their size as checked when it was mapped (or
 * made): private copies, which no later write to the header changes. */
VMRPC_API void vmrpc_region_geometry(const struct vmrpc_region *region, uint32_t *ret_n_channels,
				     uint32_t *ret_chan_size);
/* Channel i's header, or NULL if i is out of range. */
VMRPC_API struct vmrpc_chan_hdr *vmrpc_region_chan(struct vmrpc_region *region,
						   uint32_t i);

/* ---- interfaces and the registry ------------------------------------- */

/* Describes one interface; generated by vmrpc-stubgen. */
struct vmrpc_iface {
	const char *name;
	uint32_t version;
	uint32_t n_methods;
	uint64_t sig_hash;
	const char *const *method_names; /* n_methods entries */
	/* Its type table (vmrpc/typetab.h), which callees give to anyone who
	 * asks (the meta call): generated by vmrpc-stubgen; NULL, 0 for none. */
	const void *type_table;
	uint32_t type_table_len;
};


/* Find iface by name; -VMRPC_ENOIFACE if absent, -VMRPC_ESIGNATURE if the
 * version, the number of methods or the signature hash differs. */
VMRPC_API int vmrpc_region_lookup(struct vmrpc_region *region,
				  const struct vmrpc_iface *iface, uint32_t *ret_slot);

/* ---- the caller side ------------------------------------------------- */

struct vmrpc_chan;

/* Claim a free channel, ring the doorbell and wait (up to timeout_ms; 0 or
 * less for the default 5000) until the host attaches a callee to it. The
 * region must come from vmrpc_region_open() (one from an fd has no doorbell:
 * -EINVAL). Thread-safe against other opens on the same region. */
VMRPC_API int vmrpc_chan_open(struct vmrpc_region *region, int timeout_ms,
			      struct vmrpc_chan **ret_chan);

/* Another channel served by chan's callee: for a host call, by the same
 * shadow (one host context: working directory, descriptors, children),
 * in a thread of its own, so that calls on the two run in parallel; for a
 * guest-sourced channel (vmrpc_vm_open), another channel into the same
 * VM's guestd. Close it like any channel; closing chan first leaves it
 * -VMRPC_EPEERDIED, as the shadow goes with chan. -VMRPC_EREFUSED when
 * hostd allows chan no more siblings (16) or does not know them. */
VMRPC_API int vmrpc_chan_open_sibling(struct vmrpc_chan *chan, int timeout_ms,
				      struct vmrpc_chan **ret_chan);

/* Detach (hostd reaps the shadow) and free the handle. In a forked child,
 * whose handle is a copy of its parent's, this only frees the copy: the
 * channel stays its parent's. */
VMRPC_API void vmrpc_chan_close(struct vmrpc_chan *chan);

VMRPC_API uint32_t vmrpc_chan_index(const struct vmrpc_chan *chan);
VMRPC_API struct vmrpc_region *vmrpc_chan_region(struct vmrpc_chan *chan);

/* Upper bound of the adaptive spin before sleeping, in ns (0: never spin).
 * The default is 50000, or $VMRPC_SPIN_NS. */
VMRPC_API void vmrpc_chan_set_spin(struct vmrpc_chan *chan, uint32_t max_ns);

/* Bound each call's wait for its reply to timeout_ms (0: no bound, the
 * default). A call that is not answered in time returns -VMRPC_ETIMEDOUT
 * and breaks the channel (its callee may still answer later): every later
 * call returns the same error; close it and open another. For a callee
 * whose liveness the caller cannot see, such as a guest in a VM. */
VMRPC_API void vmrpc_chan_set_timeout(struct vmrpc_chan *chan, uint32_t timeout_ms);

/* A descriptor for event loops (poll(2), epoll(7)) that polls readable
 * when chan's callee may have answered a call started with
 * vmrpc_outcall_start() and found not ready by vmrpc_outcall_ready(). It
 * stays chan's: do not close or read it. -EOPNOTSUPP on transports with
 * no such descriptor (loopback, the sysfs mapping; vmrpc.ko without
 * interrupts): there, poll vmrpc_outcall_ready() or finish the call. */
VMRPC_API int vmrpc_chan_poll_fd(struct vmrpc_chan *chan);

/* Allocate len bytes in chan's arena that stay there across calls, 64-byte
 * aligned. A generated stub passes a buffer parameter that lies in such a
 * buffer by its offset, without copying it: the callee reads and writes it
 * in place. Calls have that much less arena for their own data until
 * vmrpc_chan_buf_free(). -EINVAL for 0 or more than the arena,
 * -VMRPC_E2BIG when no room is left. */
VMRPC_API int vmrpc_chan_buf_alloc(struct vmrpc_chan *chan, size_t len, void **ret_ptr);
/* Give back a buffer from vmrpc_chan_buf_alloc(); NULL is ignored. */
VMRPC_API void vmrpc_chan_buf_free(struct vmrpc_chan *chan, void *ptr);

/* A guest fork with host state (loopback only; docs/hostcalls.md), in the
 * parent before fork(): claim a channel for the child, tell hostd the
 * parent's shadow will fork to serve it (ATTACH_FORK doorbell), and return
 * its handle (not yet attached) and attach nonce. The parent's shadow is
 * then asked to fork (hostproc.fork_shadow) and vmrpc_chan_fork_wait()
 * waits until hostd attached its copy. After fork(), the parent calls
 * vmrpc_chan_fork_handover() with the child's pid (which frees the parent's
 * handle of it, and waits, at most 1 s, until hostd watches the child: the
 * parent may exit at once) and the child vmrpc_chan_fork_adopt(). Without fork(),
 * vmrpc_chan_close() gives the channel back. -EOPNOTSUPP in a VM and for a
 * guest-sourced parent (vmrpc_vm_open: its callee is guestd, no shadow).
 * The child's handle starts with the parent's vmrpc_chan_set_timeout(). */
VMRPC_API int vmrpc_chan_fork_claim(struct vmrpc_chan *parent, struct vmrpc_chan **ret_child,
				    uint64_t *ret_nonce);
VMRPC_API int vmrpc_chan_fork_wait(struct vmrpc_chan *child, int timeout_ms);
VMRPC_API int vmrpc_chan_fork_handover(struct vmrpc_chan *child, pid_t pid);
VMRPC_API void vmrpc_chan_fork_adopt(struct vmrpc_chan *child);

/* After execve(): take up channel index again, which this process (same
 * pid) attached before it exec'd, with attach nonce nonce. -ESTALE if the
 * channel is not ATTACHED to this process with that nonce, -EBUSY if a call
 * is in flight on it. Loopback regions only. */
VMRPC_API int vmrpc_chan_adopt(struct vmrpc_region *region, uint32_t index, uint64_t nonce,
			       struct vmrpc_chan **ret_chan);

/* The attach nonce of an open channel (to hand to vmrpc_chan_adopt). */
VMRPC_API uint64_t vmrpc_chan_nonce(const struct vmrpc_chan *chan);

/* A channel bound to one interface: what generated caller stubs take. */
struct vmrpc_binding {
	struct vmrpc_chan *chan;
	uint32_t iface_slot;
	uint32_t n_methods;
};

VMRPC_API int vmrpc_bind(struct vmrpc_chan *chan, const struct vmrpc_iface *iface,
			 struct vmrpc_binding *ret_binding);

/* ---- the callee side ------------------------------------------------- */

struct vmrpc_incall;

/* Generated skeletons provide one per interface: switch on call->method. */
typedef int64_t (*vmrpc_dispatch_fn)(const void *ops, void *ctx,
				     struct vmrpc_incall *call);

struct vmrpc_service {
	const struct vmrpc_iface *iface;
	vmrpc_dispatch_fn dispatch;
	const void *ops;
	void *ctx;
};



/* ---- guest-sourced calls: the host caller ------------------------------ */

/* Open a channel to the guest agent of VM vm: connect to hostd's
 * host-caller socket (vm is a VM or loopback region name, whose socket is
 * <runtime dir>/<vm>.host.sock, or a socket's path if it holds a '/'),
 * where hostd checks this user against the VM's policy, receive the region
 * and the channel hostd offers, and wait (up to timeout_ms; 0 or less: 5000)
 * until vmrpc-guestd serves it. Bind interfaces the guest serves with
 * vmrpc_bind(); vmrpc_chan_close() gives the channel back and unmaps the
 * region. One call at a time per channel. */
VMRPC_API int vmrpc_vm_open(const char *vm, int timeout_ms, struct vmrpc_chan **ret_chan);

/* ---- string lists and writes: what programs on both sides repeat ------- */

/* A list of strings in a call (an argv, an environment): the n strings back
 * to back, each with its NUL; no count inside, no padding; no list is zero
 * bytes. The count travels beside it. */

/* Pack the n strings of v (NULL when n is 0) into one buffer: *ret_buf
 * (malloc'd; free() it) and its length, *ret_len. -ENOMEM; -EOVERFLOW if
 * the length does not fit a size_t. */
VMRPC_API int vmrpc_strv_pack(char *const *v, size_t n, char **ret_buf, size_t *ret_len);

/* Check and split the len bytes at buf, which a peer says hold n strings.
 * A private copy is made first (the peer may rewrite shared memory
 * meanwhile); it must hold exactly n NULs, the last byte one of them (no
 * bytes for n 0). *ret_v: n pointers into the copy and a NULL, all in one
 * allocation (free() it). -EINVAL when the bytes are not n strings,
 * -ENOMEM. */
VMRPC_API int vmrpc_strv_unpack(const void *buf, size_t len, size_t n, char ***ret_v);

/* write() all len bytes of buf to fd, again after EINTR and short writes.
 * 0, or -errno of the write that failed (-EPIPE for a closed pipe, with
 * SIGPIPE ignored); some bytes may have been written. */
VMRPC_API int vmrpc_write_all(int fd, const void *buf, size_t len);


#ifdef __cplusplus
}
#endif

#endif /* VMRPC_VMRPC_H */
