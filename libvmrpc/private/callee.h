/* SPDX-License-Identifier: MIT */
/* The callee's state, and its per-request step, split out of
 * vmrpc_callee_serve() so that the request fuzzer (test/fuzz) runs exactly
 * the code the serve loop runs, one request at a time. */
#ifndef VMRPC_CALLEE_H
#define VMRPC_CALLEE_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#include "region.h"
#include "spin.h"
#include "vmrpc_private.h"

struct vmrpc_callee {
	struct vmrpc_region *region;
	struct vmrpc_chan_hdr *hdr;
	uint32_t index;
	uint32_t last_seq;
	struct vmrpc_arena arena;
	struct spin spin;
	uint32_t stop; /* a private futex word: vmrpc_callee_stop() sets and wakes it */
	const struct callee_transport *transport;
	bool unwoken; /* the last reply went without a wake-up (caller_waiting was 0) */
	int bell_fd; /* ivshmem-doorbell: the channel's eventfd (not owned) */
	int stop_fd; /* ivshmem-doorbell: an eventfd vmrpc_callee_stop() writes */
	int wake_fd; /* ivshmem-doorbell: raises the guest caller's interrupt (not owned) */
	/* the private snapshot of the args block */
	_Alignas(16) uint8_t args[VMRPC_ARGS_SIZE];
};

/* How a callee sleeps once its spin runs out and wakes its caller, per
 * transport (callee_transport.c). */
struct callee_transport {
	/* Sleep until req_seq may have moved from seen, or a stop; a polling
	 * transport sleeps *backoff_ns (0 at first), which grows per call. */
	void (*sleep)(struct vmrpc_callee *c, uint32_t seen, uint64_t *backoff_ns);
	/* Wake a caller asleep on rep_seq; NULL: the caller polls. */
	void (*wake_caller)(struct vmrpc_callee *c);
	/* vmrpc_callee_stop(): end a sleep that no futex or stop_fd ends;
	 * async-signal-safe. NULL: nothing more to do. */
	void (*stop)(struct vmrpc_callee *c);
	bool needs_bell; /* sleeps on the channel's doorbell eventfd */
};

/* The callee side of transport t, or NULL. */
const struct callee_transport *callee_transport_of(enum vmrpc_transport t);

static inline bool callee_stopping(const struct vmrpc_callee *c)
{
	return __atomic_load_n(&c->stop, __ATOMIC_RELAXED) != 0;
}

/* Answer the request the caller published as req_seq s: read and check the
 * request words, snapshot the args block, dispatch to svcs[iface_slot],
 * write status and res_len, publish rep_seq = s (release) and wake the
 * caller if it sleeps. Returns 1 if it woke the caller, else 0. */
int callee_serve_one(struct vmrpc_callee *c, uint32_t s, const struct vmrpc_service *svcs,
		     size_t n_svcs);

#endif /* VMRPC_CALLEE_H */
