/* SPDX-License-Identifier: MIT */
#ifndef VMRPC_CHAN_H
#define VMRPC_CHAN_H

#include <sys/types.h>

#include "region.h"
#include "spin.h"

/* The caller's handle on one attached channel. Not thread-safe: one call at
 * a time per channel. */
struct vmrpc_chan {
	struct vmrpc_region *region;
	struct vmrpc_chan_hdr *hdr;
	uint32_t index;
	uint32_t generation; /* ctl.generation when claimed */
	pid_t owner;         /* the process that attached; a forked child is not it */
	uint32_t seq;        /* last req_seq published */
	uint64_t nonce;
	uint64_t arena_start, arena_end; /* region offsets */
	int broken; /* the error that ended this channel's usefulness, or 0 */
	struct spin spin;
};

/* Publish a request and wait for its reply; returns rep.status or an error. */
int64_t chan_call(struct vmrpc_chan *ch, uint32_t iface_slot, uint32_t method,
		  uint32_t args_len);

#endif /* VMRPC_CHAN_H */
