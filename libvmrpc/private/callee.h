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
	enum vmrpc_wake wake;
	bool unwoken; /* the last reply went without a wake-up (caller_waiting was 0) */
	int bell_fd; /* VMRPC_WAKE_EVENTFD: the doorbell's eventfd (not owned) */
	int stop_fd; /* VMRPC_WAKE_EVENTFD: an eventfd vmrpc_callee_stop() writes */
	/* the private snapshot of the args block */
	_Alignas(16) uint8_t args[VMRPC_ARGS_SIZE];
};


/* Answer the request the caller published as req_seq s: read and check the
 * request words, snapshot the args block, dispatch to svcs[iface_slot],
 * write status and res_len, publish rep_seq = s (release) and wake the
 * caller if it sleeps. Returns 1 if it woke the caller, else 0. */
int callee_serve_one(struct vmrpc_callee *c, uint32_t s, const struct vmrpc_service *svcs,
		     size_t n_svcs);

#endif /* VMRPC_CALLEE_H */
