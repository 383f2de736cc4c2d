/* SPDX-License-Identifier: MIT */
/*
 * A guest fork, the shadow's part (docs/hostcalls.md): the parent's shadow
 * forks a copy of itself (hostproc.fork_shadow) that keeps its descriptors
 * and working directory, becomes hostd's child, offers itself to hostd with
 * a FORK_READY doorbell carrying a control socket and a log pipe of its own
 * and, once hostd answers ADOPT on that socket, serves the child's channel
 * instead of the parent's.
 */
#ifndef HOSTD_SHADOW_FORK_H
#define HOSTD_SHADOW_FORK_H

#include <setjmp.h>
#include <stdint.h>

#include "vmrpc/vmrpc.h"

/* Where a forked copy goes on: shadow_main sigsetjmp()s here and, when it
 * returns non-zero, serves shadow_fork_chan instead. */
extern sigjmp_buf shadow_fork_jmp;
extern volatile uint32_t shadow_fork_chan;

/* Record what a fork needs: the region, the channel served, a datagram
 * socket connected to hostd's doorbell (-1: not loopback, no forks). hostd
 * is our parent. */
void shadow_fork_init(struct vmrpc_region *region, uint32_t chan, int doorbell_fd);

/* The method: fork a copy offered for child_chan; its pid or -errno. */
int32_t shadow_fork(uint32_t child_chan, uint64_t nonce);


#endif /* HOSTD_SHADOW_FORK_H */
