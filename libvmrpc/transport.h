/* SPDX-License-Identifier: MIT */
/*
 * The caller side's transports: how a program that calls through a region
 * rings hostd, wakes its callee, waits for the answer and tells whether the
 * callee is still there. Each transport is one ops table in its own file
 * (kvmtool's virtio transports are the model); nothing outside them asks
 * which one a region has.
 *
 *   transport_loopback  a host program and hostd on one kernel: datagram
 *                       doorbell, futexes (transport_loopback.c)
 *   transport_shared    a region mapped from a descriptor on that kernel,
 *                       with no doorbell (transport_loopback.c)
 *   transport_ivshmem   a guest program on an ivshmem device: the Doorbell
 *                       register, and polling (transport_ivshmem.c)
 *   transport_vm        a host program calling into a VM's guest: the
 *                       guest's kernel can wake nothing here (transport_vm.c)
 *   transport_dev       a guest program on vmrpc.ko's /dev/vmrpcN: a
 *                       private channel per open, MSI-X wake-ups
 *                       (transport_dev.c)
 */
#ifndef VMRPC_TRANSPORT_H
#define VMRPC_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "vmrpc/abi.h"

struct vmrpc_region;
struct vmrpc_chan;

struct region_transport {
	const char *name;
	/* Claim a FREE channel (FREE -> how: CLAIMED, or CLAIMING for a
	 * sibling) for this process. NULL: scan the region's state words (the
	 * whole region is mapped). */
	int (*claim)(struct vmrpc_region *r, enum vmrpc_chan_state how, uint32_t *ret_index);
	/* This process lets go of channel i, whose words already say so (a
	 * detach rung, a claim taken back). NULL: nothing to undo. */
	void (*release)(struct vmrpc_region *r, uint32_t i);
	/* Tell hostd about channel i (a VMRPC_DOORBELL_* op), waiting at most
	 * timeout_ms for room: 0, or -VMRPC_ENOHOSTD when nobody takes it.
	 * NULL: this side has no doorbell. */
	int (*ring)(struct vmrpc_region *r, uint32_t op, uint32_t i, uint64_t nonce,
		    int timeout_ms);
	/* Wake the callee of channel i, asleep on *req_seq. */
	void (*wake_callee)(struct vmrpc_region *r, uint32_t i, uint32_t *req_seq);
	/* Sleep while *word == seen, at most timeout_ns (0: no bound); a
	 * polling transport sleeps *backoff_ns, which grows on each call.
	 * 0 (look again), -ETIMEDOUT, or -EINTR when a signal handler ran. */
	int (*wait)(struct vmrpc_region *r, uint32_t *word, uint32_t seen, uint64_t timeout_ns,
		    uint64_t *backoff_ns);
	/* After a sleep timed out: an error if the callee of ch is gone
	 * although the channel's words do not say so yet, else 0. */
	int (*check_callee)(struct vmrpc_chan *ch);
	/* A descriptor that polls readable when channel i's callee woke its
	 * caller (vmrpc_chan_poll_fd), and clearing it (drain). NULL: this
	 * transport has none. */
	int (*poll_fd)(struct vmrpc_region *r, uint32_t i);
	void (*poll_drain)(struct vmrpc_region *r, uint32_t i);
	/* Undo what opening the transport set up in r. */
	void (*close)(struct vmrpc_region *r);
	/* hostd sees this side's processes: it can hand a caller's channel to
	 * its forked child and let an exec'd image adopt it. */
	bool host_pids;
};

extern const struct region_transport transport_loopback;
extern const struct region_transport transport_shared;
extern const struct region_transport transport_ivshmem;
extern const struct region_transport transport_vm;
extern const struct region_transport transport_dev;

/* The loopback transport for r: bind its doorbell socket. */
int transport_loopback_open(struct vmrpc_region *r);

/* Sleep *backoff_ns (doubling, bounded) for a transport whose peer cannot
 * wake us, the way transport.wait does; see there. */
int transport_poll_wait(uint64_t timeout_ns, uint64_t *backoff_ns);

#endif /* VMRPC_TRANSPORT_H */
