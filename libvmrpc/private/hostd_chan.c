/* SPDX-License-Identifier: MIT */
/* Channel transitions made by the host side. Each one wakes every sleeper on
 * the channel's words: a caller may sleep on ctl.state (attaching) or on
 * rep_seq (calling), a callee on req_seq. */
#include <errno.h>

#include "region.h"
#include "sync.h"
#include "vmrpc_private.h"

static void host_chan_wake(struct vmrpc_chan_hdr *c)
{
	sync_futex_wake(&c->ctl.state);
	sync_futex_wake(&c->rep.rep_seq);
	sync_futex_wake(&c->req.req_seq);
}

int vmrpc_hostd_claim_check(struct vmrpc_region *r, const struct vmrpc_doorbell *b)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, b->msg.chan_index);

	if (!c)
		return -EINVAL;
	if (b->msg.op != VMRPC_DOORBELL_ATTACH ||
	    vmrpc_ctl_state(&c->ctl) != VMRPC_CHAN_CLAIMED ||
	    vmrpc_ctl_owner(&c->ctl) != b->pid ||
	    vmrpc_ctl_nonce(&c->ctl) != b->msg.nonce)
		return -ESTALE;
	return 0;
}

int vmrpc_hostd_chan_attach(struct vmrpc_region *r, uint32_t i, pid_t callee_pid)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

	if (!c)
		return -EINVAL;
	/* The sequence words are already zero (vmrpc_hostd_chan_free), and the
	 * callee may already be serving, even asleep with callee_waiting set:
	 * hostd starts it before this. Writing any of its words here would
	 * lose the caller's first wake-up, so only ownership changes. A new
	 * owner starts with no handover: the previous owner's stays readable
	 * until now (a forking parent may look late; chan_wait_handover). */
	vmrpc_ctl_set_handover(&c->ctl, 0);
	vmrpc_ctl_set_callee(&c->ctl, callee_pid);
	if (!vmrpc_ctl_move(&c->ctl, VMRPC_CHAN_CLAIMED, VMRPC_CHAN_ATTACHED))
		return -ESTALE; /* the caller gave up its claim */
	host_chan_wake(c);
	return 0;
}

int vmrpc_hostd_chan_refuse(struct vmrpc_region *r, uint32_t i, int err)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

	if (!c)
		return -EINVAL;
	vmrpc_ctl_set_error(&c->ctl, err);
	if (!vmrpc_ctl_move(&c->ctl, VMRPC_CHAN_CLAIMED, VMRPC_CHAN_REFUSED))
		return -ESTALE;
	host_chan_wake(c);
	return 0;
}

int vmrpc_hostd_chan_mark_dead(struct vmrpc_region *r, uint32_t i)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

	if (!c)
		return -EINVAL;
	if (!vmrpc_ctl_move(&c->ctl, VMRPC_CHAN_ATTACHED, VMRPC_CHAN_DEAD))
		return -ESTALE; /* detaching already, or not attached at all */
	host_chan_wake(c);
	return 0;
}

int vmrpc_hostd_chan_handed_over(struct vmrpc_region *r, uint32_t i, pid_t child)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

	if (!c || child <= 0)
		return -EINVAL;
	vmrpc_ctl_set_handover(&c->ctl, child);
	sync_futex_wake(&c->ctl.handover_pid);
	return 0;
}

int vmrpc_hostd_chan_free(struct vmrpc_region *r, uint32_t i)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

	if (!c)
		return -EINVAL;
	__atomic_add_fetch(&c->ctl.generation, 1, __ATOMIC_RELEASE);
	vmrpc_ctl_set_owner(&c->ctl, 0);
	vmrpc_ctl_set_callee(&c->ctl, 0);
	vmrpc_ctl_set_kind(&c->ctl, VMRPC_CHAN_KIND_HOSTCALL);
	vmrpc_ctl_set_claim_parent(&c->ctl, 0);
	/* A free channel has zeroed sequence words, so the next shadow, which
	 * may start before hostd publishes ATTACHED, begins from 0 and neither
	 * replays the last request nor ignores the first one. */
	sync_store(&c->req.req_seq, 0);
	sync_store(&c->req.caller_waiting, 0);
	sync_store(&c->rep.rep_seq, 0);
	sync_store(&c->rep.callee_waiting, 0);
	vmrpc_ctl_set_state(&c->ctl, VMRPC_CHAN_FREE);
	host_chan_wake(c);
	return 0;
}

/* ---- guest-sourced channels: hostd acts for the host caller ------------- */

static void host_ring_guestd(struct vmrpc_region *r)
{
	struct vmrpc_region_hdr *h = vmrpc_region_hdr(r);

	__atomic_add_fetch(&h->guest_bell, 1, __ATOMIC_RELEASE);
	sync_futex_wake(&h->guest_bell);
}

int vmrpc_hostd_chan_offer(struct vmrpc_region *r, uint32_t i, pid_t caller_pid)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

	if (!c)
		return -EINVAL;
	/* A guest caller may be claiming it at this moment: whoever swaps
	 * first has it. The sequence words are zero since the channel was
	 * freed. */
	if (!vmrpc_ctl_move(&c->ctl, VMRPC_CHAN_FREE, VMRPC_CHAN_OFFERED))
		return -EBUSY;
	vmrpc_ctl_set_owner(&c->ctl, caller_pid);
	vmrpc_ctl_set_callee(&c->ctl, 0);
	vmrpc_ctl_set_kind(&c->ctl, VMRPC_CHAN_KIND_GSRC);
	host_ring_guestd(r);
	return 0;
}

int vmrpc_hostd_chan_reclaim(struct vmrpc_region *r, uint32_t i)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);
	uint32_t st;

	if (!c)
		return -EINVAL;
	/* Not taken yet: guestd never accepts a DETACHING channel. */
	if (vmrpc_ctl_move(&c->ctl, VMRPC_CHAN_OFFERED, VMRPC_CHAN_DETACHING)) {
		host_chan_wake(c);
		return 0;
	}
	/* Served, dead, or whatever a guest wrote: tell guestd to let go.
	 * RELEASED may only follow our DETACHING, so a RELEASED seen now is a
	 * guest's scribble and is overwritten too. */
	do
		st = vmrpc_ctl_state(&c->ctl);
	while (!vmrpc_ctl_move(&c->ctl, st, VMRPC_CHAN_DETACHING));
	host_chan_wake(c);
	host_ring_guestd(r);
	return 1;
}
