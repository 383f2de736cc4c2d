/* SPDX-License-Identifier: MIT */
/* Private to libvmrpc (not exported): the callee's per-request step, split
 * out of vmrpc_callee_serve() so that the request fuzzer (test/fuzz) runs
 * exactly the code the serve loop runs, one request at a time. */
#ifndef VMRPC_CALLEE_H
#define VMRPC_CALLEE_H

#include <stddef.h>
#include <stdint.h>

#include "vmrpc/vmrpc.h"

/* Answer the request the caller published as req_seq s: read and check the
 * request words, snapshot the args block, dispatch to svcs[iface_slot],
 * write status and res_len, publish rep_seq = s (release) and wake the
 * caller if it sleeps. Returns 1 if it woke the caller, else 0. */
int callee_serve_one(struct vmrpc_callee *c, uint32_t s, const struct vmrpc_service *svcs,
		     size_t n_svcs);

#endif /* VMRPC_CALLEE_H */
