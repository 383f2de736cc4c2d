/* SPDX-License-Identifier: MIT */
/* Channel transitions only the guest agent (vmrpc-guestd) makes: it accepts
 * the guest-sourced channels hostd offers, lets go of them when their host
 * caller is gone, and detaches the channels of guest callers that died. */
#include <errno.h>
#include <unistd.h>

#include "region.h"
#include "sync.h"
#include "vmrpc_private.h"

static int guestside_move(struct vmrpc_region *r, uint32_t i, uint32_t from, uint32_t to)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

	if (!c)
		return -EINVAL;
	if (!vmrpc_ctl_move(&c->ctl, from, to))
		return -ESTALE;
	sync_futex_wake(&c->ctl.state);
	sync_futex_wake(&c->rep.rep_seq);
	return 0;
}

int vmrpc_guestd_chan_accept(struct vmrpc_region *r, uint32_t i)
{
	struct vmrpc_chan_hdr *c = vmrpc_region_chan(r, i);

	if (!c)
		return -EINVAL;
	/* Before SERVED: a loopback host caller checks this pid once served. */
	vmrpc_ctl_set_callee(&c->ctl, getpid());
	return guestside_move(r, i, VMRPC_CHAN_OFFERED, VMRPC_CHAN_SERVED);
}

int vmrpc_guestd_chan_release(struct vmrpc_region *r, uint32_t i)
{
	return guestside_move(r, i, VMRPC_CHAN_DETACHING, VMRPC_CHAN_RELEASED);
}

int vmrpc_guestd_chan_mark_dead(struct vmrpc_region *r, uint32_t i)
{
	return guestside_move(r, i, VMRPC_CHAN_SERVED, VMRPC_CHAN_DEAD);
}

int vmrpc_guestd_chan_detach(struct vmrpc_region *r, uint32_t i)
{
	if (guestside_move(r, i, VMRPC_CHAN_ATTACHED, VMRPC_CHAN_DETACHING) == 0)
		return 0;
	return guestside_move(r, i, VMRPC_CHAN_DEAD, VMRPC_CHAN_DETACHING);
}

int vmrpc_guestd_ring_host(struct vmrpc_region *r)
{
	return region_ring(r, VMRPC_DOORBELL_GUESTD, 0, 0, 1000);
}
