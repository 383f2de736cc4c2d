/* SPDX-License-Identifier: MIT */
/*
 * /dev/vmrpcN: the interface of vmrpc.ko, the guest kernel driver
 * (guestlib/driver/, vmrpc(4)). One device per vmrpc region (an ivshmem PCI
 * device whose shared memory holds vmrpc's magic and ABI version).
 *
 * A caller opens the device once per channel: VMRPC_DEV_CLAIM takes a FREE
 * channel for this open file (compare-and-swap FREE -> CLAIMED, or CLAIMING
 * for a sibling, as a caller on the sysfs mapping would), and from then on
 * the file is that channel's:
 *
 *   mmap offset 0, at most VMRPC_HDR_SIZE bytes, read-only: the header and
 *     the registry;
 *   mmap offset VMRPC_HDR_SIZE + i * chan_size, chan_size bytes, read-write:
 *     channel i, only by the process that claimed it (not inherited by a
 *     fork: the mapping is VM_DONTCOPY);
 *   nothing else (-EACCES);
 *   VMRPC_DEV_WAIT sleeps on a 32-bit word of the channel until it differs
 *     from an expected value (futex semantics: the word is compared after
 *     the sleeper is queued, so a wake between a check and the sleep is
 *     never lost), woken by the channel's MSI-X vector;
 *   poll/read: readable when the channel's vector fired since the last read
 *     (a read returns the count as a uint64_t and clears it);
 *   VMRPC_DEV_RING writes the Doorbell: vector 0 (hostd) or the channel's;
 *   release (the last close), or the exit of the process that claimed it,
 *     gives the channel back: ATTACHED or DEAD -> DETACHING (CLAIMING,
 *     CLAIMED or REFUSED -> FREE, claim_parent cleared first) and a ring of
 *     vector 0.
 *
 * VMRPC_DEV_AGENT (CAP_SYS_ADMIN; vmrpc-guestd) makes a file the agent's: it
 * may map the whole region read-write, wait on any word, ring any vector
 * and kick (VMRPC_DEV_KICK) a channel's sleepers; it claims nothing.
 */
#ifndef VMRPC_DEV_H
#define VMRPC_DEV_H

#ifdef __KERNEL__
#include <linux/ioctl.h>
#include <linux/types.h>
#else
#include <stdint.h>
#include <sys/ioctl.h>
#endif

#define VMRPC_DEV_VERSION 1u

/* VMRPC_DEV_INFO: what the driver checked at probe (its private copies). */
struct vmrpc_dev_info {
	uint32_t version;     /* VMRPC_DEV_VERSION */
	uint32_t abi_version; /* the region's VMRPC_ABI_VERSION */
	uint64_t region_size; /* bytes of the region (BAR2) */
	uint32_t n_channels;
	uint32_t chan_size;
	uint32_t flags;       /* VMRPC_DEV_F_* */
	int32_t peer;         /* IVPosition: this guest's ivshmem peer id */
};

#define VMRPC_DEV_F_IRQ 0x1u /* MSI-X vectors: VMRPC_DEV_WAIT sleeps; without
			      * it (ivshmem-plain) the wait is -EOPNOTSUPP and
			      * callers poll */

/* VMRPC_DEV_CLAIM: in, the state to claim into: VMRPC_CHAN_CLAIMED (or
 * 0), or VMRPC_CHAN_CLAIMING for a sibling, whose claimant writes
 * claim_parent and then CLAIMED itself (abi.h); out, the channel this file
 * now holds. */
struct vmrpc_dev_claim {
	uint32_t index;
	uint32_t state;
};

/* VMRPC_DEV_WAIT: sleep while the 32-bit word at region offset `offset` is
 * `expected`, at most timeout_ns (0: no bound). 0 when the word differs, a
 * wake-up came (look again) or the agent kicked; -1 with errno ETIMEDOUT,
 * EINTR (a signal: never restarted), ENODEV (the device went away),
 * EOPNOTSUPP (no interrupts), EINVAL (not a word of this file's channel). */
struct vmrpc_dev_wait {
	uint64_t offset;
	uint32_t expected;
	uint32_t reserved;
	uint64_t timeout_ns;
};

/* VMRPC_DEV_RING: write vector to the Doorbell (hostd is peer 0). */
struct vmrpc_dev_ring {
	uint32_t vector;
	uint32_t reserved;
};

#define VMRPC_DEV_KICK_CONTROL 0xffffffffu /* VMRPC_DEV_KICK: the header's sleepers */

#define VMRPC_DEV_IOC 0xb6
#define VMRPC_DEV_INFO _IOR(VMRPC_DEV_IOC, 0, struct vmrpc_dev_info)
#define VMRPC_DEV_CLAIM _IOWR(VMRPC_DEV_IOC, 1, struct vmrpc_dev_claim)
#define VMRPC_DEV_WAIT _IOW(VMRPC_DEV_IOC, 2, struct vmrpc_dev_wait)
#define VMRPC_DEV_RING _IOW(VMRPC_DEV_IOC, 3, struct vmrpc_dev_ring)
#define VMRPC_DEV_AGENT _IO(VMRPC_DEV_IOC, 4)
#define VMRPC_DEV_KICK _IOW(VMRPC_DEV_IOC, 5, uint32_t) /* a channel index */

#endif /* VMRPC_DEV_H */
