/* SPDX-License-Identifier: MIT */
/* Channel transitions made by the host side. Each one wakes every sleeper on
 * the channel's words: a caller may sleep on ctl.state (attaching) or on
 * rep_seq (calling), a callee on req_seq. */
#include <errno.h>

#include "region.h"
#include "sync.h"

static void host_chan_wake(struct vmrpc_chan_hdr *c)
{
	sync_futex_wake(&c->ctl.state);
	sync_futex_wake(&c->rep.rep_seq);
	sync_futex_wake(&c->req.req_seq);
}

VMRPC_API int vmrpc_host_claim_check(struct vmrpc_region *r, const struct vmrpc_doorbell *b)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, b->msg.chan_index);

	if (!c)
		return -EINVAL;
	if (b->msg.op != VMRPC_DOORBELL_ATTACH ||
	    sync_load_acquire(&c->ctl.state) != VMRPC_CHAN_CLAIMED ||
	    sync_load(&c->ctl.owner_pid) != (uint32_t)b->pid ||
	    __atomic_load_n(&c->ctl.attach_nonce, __ATOMIC_RELAXED) != b->msg.nonce)
		return -ESTALE;
	return 0;
}

VMRPC_API int vmrpc_host_chan_attach(struct vmrpc_region *r, uint32_t i, pid_t callee_pid)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

	if (!c)
		return -EINVAL;
	/* The sequence words are already zero (vmrpc_host_chan_free), and the
	 * callee may already be serving, even asleep with callee_waiting set:
	 * hostd starts it before this. Writing any of its words here would
	 * lose the caller's first wake-up, so only ownership changes. */
	sync_store(&c->ctl.callee_pid, (uint32_t)callee_pid);
	if (!sync_cas(&c->ctl.state, VMRPC_CHAN_CLAIMED, VMRPC_CHAN_ATTACHED))
		return -ESTALE; /* the caller gave up its claim */
	host_chan_wake(c);
	return 0;
}

VMRPC_API int vmrpc_host_chan_refuse(struct vmrpc_region *r, uint32_t i, int err)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

	if (!c)
		return -EINVAL;
	__atomic_store_n(&c->ctl.attach_error, err, __ATOMIC_RELAXED);
	if (!sync_cas(&c->ctl.state, VMRPC_CHAN_CLAIMED, VMRPC_CHAN_REFUSED))
		return -ESTALE;
	host_chan_wake(c);
	return 0;
}

VMRPC_API int vmrpc_host_chan_mark_dead(struct vmrpc_region *r, uint32_t i)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

	if (!c)
		return -EINVAL;
	if (!sync_cas(&c->ctl.state, VMRPC_CHAN_ATTACHED, VMRPC_CHAN_DEAD))
		return -ESTALE; /* detaching already, or not attached at all */
	host_chan_wake(c);
	return 0;
}

VMRPC_API int vmrpc_host_chan_free(struct vmrpc_region *r, uint32_t i)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

	if (!c)
		return -EINVAL;
	__atomic_add_fetch(&c->ctl.generation, 1, __ATOMIC_RELEASE);
	sync_store(&c->ctl.owner_pid, 0);
	sync_store(&c->ctl.callee_pid, 0);
	/* A free channel has zeroed sequence words, so the next shadow, which
	 * may start before hostd publishes ATTACHED, begins from 0 and neither
	 * replays the last request nor ignores the first one. */
	sync_store(&c->req.req_seq, 0);
	sync_store(&c->req.caller_waiting, 0);
	sync_store(&c->rep.rep_seq, 0);
	sync_store(&c->rep.callee_waiting, 0);
	sync_store_release(&c->ctl.state, VMRPC_CHAN_FREE);
	host_chan_wake(c);
	return 0;
}
