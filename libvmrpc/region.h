/* SPDX-License-Identifier: MIT */
#ifndef VMRPC_REGION_H
#define VMRPC_REGION_H

#include <limits.h>
#include <stdint.h>
#include <sys/un.h>

#include "vmrpc/vmrpc.h"

#define REGION_NAME_MAX 64

/* The geometry fields are private copies validated once at map time: the
 * header in shared memory may change under us, these never do. */
struct vmrpc_region {
	int fd;
	int lock_fd; /* a sealed region's <name>.lock, flock()ed; else -1 */
	int sealed;  /* a memfd whose size cannot change (VMRPC_REGION_SEALED) */
	uint32_t mode; /* host side: the mode for its socket and files */
	uint8_t *base;
	size_t size;
	uint32_t n_channels;
	uint32_t chan_size;
	int host;    /* made by vmrpc_region_create: this side owns the region */
	int bell_fd; /* caller side: unconnected datagram socket, or -1 */
	struct sockaddr_un bell_addr;
	char name[REGION_NAME_MAX + 1];
	/* Guest side of ivshmem: the device's registers (BAR0), or NULL. A
	 * guest cannot be woken by a host futex, so its waits poll instead. */
	uint8_t *regs;
	size_t regs_size;
	/* Host side of a VM's region, mapped by a host caller of guest-sourced
	 * calls: the callee is in the guest, whose kernel cannot wake a host
	 * futex, so waits poll with backoff. */
	int remote;
};

/* The ivshmem peer id hostd takes on its socket, and the Doorbell vectors
 * the guest rings: vector 0 for attach and detach, 1 + i for channel i. */
#define REGION_IVSHMEM_HOST_PEER 0u
#define REGION_IVSHMEM_VEC_CONTROL 0u
#define REGION_IVSHMEM_VEC_CHAN(i) (1u + (i))

/* Arena of channel i as region offsets: [*ret_start, *ret_end). */
void region_chan_arena(const struct vmrpc_region *r, uint32_t i, uint64_t *ret_start,
		       uint64_t *ret_end);

/* Caller side: make the doorbell socket (vmrpc_region_open does). */
int region_bell_open(struct vmrpc_region *r);

/* Send one doorbell from the caller side, waiting at most timeout_ms for
 * room in hostd's queue: 0, or -VMRPC_ENOHOSTD when nobody takes it. */
int region_ring(struct vmrpc_region *r, uint32_t op, uint32_t chan_index, uint64_t nonce,
		int timeout_ms);

/* Guest side of ivshmem: write (hostd's peer id << 16 | vector) to the
 * Doorbell register, which raises hostd's eventfd for that vector. */
void region_ivshmem_ring(struct vmrpc_region *r, uint32_t vector);

/* Wake the callee of channel i, asleep on *req_seq: a futex wake on
 * loopback, the channel's Doorbell vector in an ivshmem guest. */
void region_wake_callee(struct vmrpc_region *r, uint32_t i, uint32_t *req_seq);

/* Caller side: sleep while *word == seen, at most timeout_ns. On loopback a
 * futex wait; in an ivshmem guest, where the host cannot wake a guest
 * futex, a sleep of *backoff_ns that doubles (up to a bound) on each call:
 * the caller looks again when it ends. Returns 0, -ETIMEDOUT, or -EINTR
 * when a signal handler ran. */
int region_wait(struct vmrpc_region *r, uint32_t *word, uint32_t seen, uint64_t timeout_ns,
		uint64_t *backoff_ns);

/* Look up iface in the host registry (guest == 0) or in guestd's
 * (guest == 1); see vmrpc_region_lookup(). */
int registry_lookup(struct vmrpc_region *r, const struct vmrpc_iface *iface, int guest,
		    uint32_t *ret_slot);

/* The first backoff of region_wait() in a guest. */
#define REGION_POLL_FIRST_NS 20000u

#endif /* VMRPC_REGION_H */
