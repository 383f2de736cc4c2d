/* SPDX-License-Identifier: MIT */
#ifndef VMRPC_CHAN_H
#define VMRPC_CHAN_H

#include <stdbool.h>
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
	struct vmrpc_arena arena;
	int broken; /* the error that ended this channel's usefulness, or 0 */
	uint64_t timeout_ns; /* bound on one call's wait for its reply; 0: none */
	bool woke_callee;    /* the last publish had to wake the callee */
	bool oneway_pending; /* a oneway request whose reply we have not seen */
	bool started;        /* a split-phase call not yet finished (vmrpc_outcall_start) */
	bool forking;        /* claimed for a fork child, not yet attached */
	struct spin spin;
	/* Buffers the caller keeps in the arena (vmrpc_chan_buf_alloc), by
	 * offset, at the top of the arena; calls allocate below user_lo. */
	struct chan_buf *bufs;
	size_t n_bufs, cap_bufs;
	uint64_t user_lo; /* region offset: lowest kept buffer, or arena.end */
	/* The state in which calls flow: ATTACHED for a host call, SERVED for
	 * a guest-sourced call (vmrpc_vm_open). */
	uint32_t live_state;
	/* Guest-sourced (vmrpc_vm_open): the connection to hostd that holds
	 * the channel, and the region this handle mapped and owns. */
	int gsrc;
	int conn_fd;
	char *vm;              /* the name vmrpc_vm_open() was given: its siblings' */
	uint64_t boot_id[2];   /* guest_boot_id when opened */
};

struct chan_buf {
	uint64_t off; /* region offset */
	uint64_t len; /* rounded up to CHAN_BUF_ALIGN */
};

/* After a claim or an offer was answered: ready the handle for calls. */
void chan_ready(struct vmrpc_chan *ch);

/* Publish a request and wait for its reply; returns rep.status or an error. */
int64_t chan_call(struct vmrpc_chan *ch, uint32_t iface_slot, uint32_t method,
		  uint32_t args_len);

/* Publish a oneway request: no waiting; the next call waits for it. */
int chan_send(struct vmrpc_chan *ch, uint32_t iface_slot, uint32_t method,
	      uint32_t args_len);

/* Split-phase calls (vmrpc_outcall_start): publish; then is the reply
 * there (1, 0 with the callee told to wake us, or the channel's error);
 * then wait for it and return rep.status as chan_call() does. */
int chan_start(struct vmrpc_chan *ch, uint32_t iface_slot, uint32_t method, uint32_t args_len);
int chan_reply_ready(struct vmrpc_chan *ch);
int64_t chan_finish(struct vmrpc_chan *ch);

/* Before the args block or arena is written again: wait until the callee
 * has finished a pending oneway request. 0, or the channel's error. */
int chan_drain(struct vmrpc_chan *ch);

/* Another guest-sourced channel into the VM that served ch (vm.c). */
int vm_open_sibling(struct vmrpc_chan *ch, int timeout_ms, struct vmrpc_chan **ret_chan);

/* Is [p, p + len) inside a buffer the caller kept in the arena? Its region
 * offset, or 0. */
uint64_t chan_buf_off(const struct vmrpc_chan *ch, const void *p, uint64_t len);

#endif /* VMRPC_CHAN_H */
