/* SPDX-License-Identifier: MIT */
/* A host program calling into a VM's guest (vmrpc_vm_open): the callee is
 * vmrpc-guestd in the guest, whose kernel can wake nothing here and which
 * no futex of ours reaches. It polls for requests; we poll for replies. */
#include "chan.h"
#include "region.h"
#include "transport.h"

static void vm_wake_callee(struct vmrpc_region *r, uint32_t i, uint32_t *req_seq)
{
	/* guestd looks at req_seq on its own */
}

static int vm_wait(struct vmrpc_region *r, uint32_t *word, uint32_t seen, uint64_t timeout_ns,
		   uint64_t *backoff_ns)
{
	return transport_poll_wait(timeout_ns, backoff_ns);
}

/* The callee's pid means nothing here, but a guest that rebooted took
 * guestd, and this channel's callee, with it. */
static int vm_check_callee(struct vmrpc_chan *ch)
{
	const volatile uint64_t *boot = vmrpc_region_hdr(ch->region)->guest_boot_id;

	return boot[0] != ch->boot_id[0] || boot[1] != ch->boot_id[1] ? -VMRPC_ERESET : 0;
}

const struct region_transport transport_vm = {
	.name = "vm",
	.wake_callee = vm_wake_callee,
	.wait = vm_wait,
	.check_callee = vm_check_callee,
	.host_pids = true,
};
