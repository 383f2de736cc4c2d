/* SPDX-License-Identifier: MIT */
/*
 * The request fuzzer's input format, shared by the fuzz target
 * (fuzz_request.c), its plain replay driver (replay.c) and the seed corpus
 * generator (make_corpus.c). All fields little-endian.
 *
 * One input is one hostile guest's write of one channel, then one request:
 *
 *   struct fuzz_req_hdr                 32 bytes (a shorter input is zero-padded)
 *   args block bytes                    min(n_args, 1024, what is left)
 *   arena bytes                         the rest, written at arena offset
 *                                       arena_at % FUZZ_ARENA_SIZE (cut at the
 *                                       arena's end)
 *
 * The region has FUZZ_N_CHANNELS channels of FUZZ_CHAN_SIZE bytes; the
 * request is served on the middle one, FUZZ_CHAN, so that the region header
 * and a neighbouring channel lie on both sides of it.
 */
#ifndef VMRPC_FUZZ_REQUEST_H
#define VMRPC_FUZZ_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "vmrpc/abi.h"

#define FUZZ_N_CHANNELS 3u
#define FUZZ_CHAN 1u
#define FUZZ_CHAN_SIZE VMRPC_CHAN_MIN_SIZE /* small arena: its edges are near */
#define FUZZ_CHAN_OFF ((uint64_t)VMRPC_HDR_SIZE + (uint64_t)FUZZ_CHAN * FUZZ_CHAN_SIZE)
/* Region offsets of the served channel's arena: what a caller puts on the wire. */
#define FUZZ_ARENA_START (FUZZ_CHAN_OFF + VMRPC_ARENA_OFF)
#define FUZZ_ARENA_SIZE (FUZZ_CHAN_SIZE - VMRPC_ARENA_OFF)

/* Registry slots, as published: the shadow's interfaces in the shadow's
 * order (hostd/services_builtin.c), then calc where a module's would be. */
#define FUZZ_SLOT_HOSTCALLS 0u
#define FUZZ_SLOT_HOSTFS 1u
#define FUZZ_SLOT_HOSTPROC 2u
#define FUZZ_SLOT_HOSTNET 3u
#define FUZZ_SLOT_CALC 4u
#define FUZZ_N_SLOTS 5u

#define FUZZ_F_NO_OPS 0x01u  /* serve with empty ops tables: every method -ENOSYS */
#define FUZZ_F_WAITING 0x02u /* caller_waiting = 1: the callee wakes rep_seq */

struct fuzz_req_hdr {
	uint32_t iface_slot;  /* request line, as the guest writes it */
	uint32_t method;
	uint32_t args_len;
	uint16_t n_args;      /* bytes of input that go into the args block */
	uint8_t flags;        /* FUZZ_F_* */
	uint8_t results_fill; /* the guest's garbage in the results block */
	int64_t op_ret;       /* what each method implementation returns
	                       * (int32 methods truncate; calc.add computes a + b) */
	uint32_t op_val;      /* seed of the out scalars implementations write */
	uint16_t out_strlen;  /* length of out strings the implementations make;
	                       * >= the buffer's size: left unterminated */
	uint16_t arena_at;    /* arena offset where the arena bytes go */
};
_Static_assert(sizeof(struct fuzz_req_hdr) == 32, "fuzz input header");

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* VMRPC_FUZZ_REQUEST_H */
