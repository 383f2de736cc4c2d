/* SPDX-License-Identifier: MIT */
/* A host program calling into a VM's guest (vmrpc_vm_open): the callee is
 * vmrpc-guestd in the guest, whose kernel can wake nothing here. We poll for
 * replies. guestd polls for requests too, unless the guest has vmrpc.ko:
 * then hostd gave us the eventfd that raises the channel's vector in the
 * guest (VMRPC_GSRC_WAKE), and guestd sleeps until we write it. */
#include <unistd.h>

#include "chan.h"
#include "region.h"
#include "transport.h"

static void vm_wake_callee(struct vmrpc_region *r, uint32_t i, uint32_t *req_seq)
{
	uint64_t one = 1;

	if (r->vm_wake_fd >= 0 && write(r->vm_wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the guest has an interrupt pending */
	}
}

static void vm_close(struct vmrpc_region *r)
{
	if (r->vm_wake_fd >= 0)
		close(r->vm_wake_fd);
	r->vm_wake_fd = -1;
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
	.close = vm_close,
	.host_pids = true,
};
