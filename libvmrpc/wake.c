/* SPDX-License-Identifier: MIT */
/* How the caller side wakes its callee and waits for an answer, per
 * transport. On loopback both sides share one kernel, so a futex on the
 * shared word does both. In an ivshmem guest the host's kernel is another
 * kernel: the guest wakes the host by ringing the device's Doorbell (a KVM
 * ioeventfd, no exit to QEMU's main loop), and, until a guest driver takes
 * MSI-X interrupts, waits for the host by sleeping and looking again. */
#include <errno.h>
#include <time.h>

#include "region.h"
#include "sync.h"

/* The longest sleep between two looks in a guest: bounds the latency a
 * long call adds to its reply, and the wake-ups an idle wait costs. */
#define WAKE_POLL_MAX_NS (1000u * 1000)

void region_wake_callee(struct vmrpc_region *r, uint32_t i, uint32_t *req_seq)
{
	if (r->regs)
		region_ivshmem_ring(r, REGION_IVSHMEM_VEC_CHAN(i));
	else if (!r->remote) /* a guest callee polls: no host wake reaches it */
		sync_futex_wake(req_seq);
}

int region_wait(struct vmrpc_region *r, uint32_t *word, uint32_t seen, uint64_t timeout_ns,
		uint64_t *backoff_ns)
{
	struct timespec ts;
	uint64_t ns;

	if (!r->regs && !r->remote) {
		int err = sync_futex_wait(word, seen, timeout_ns);

		return err == -ETIMEDOUT || err == -EINTR ? err : 0;
	}
	ns = *backoff_ns ? *backoff_ns : REGION_POLL_FIRST_NS;
	if (timeout_ns && ns > timeout_ns)
		ns = timeout_ns;
	*backoff_ns = ns * 2 < WAKE_POLL_MAX_NS ? ns * 2 : WAKE_POLL_MAX_NS;
	ts.tv_sec = (time_t)(ns / 1000000000u);
	ts.tv_nsec = (long)(ns % 1000000000u);
	if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
		return -EINTR;
	return timeout_ns && ns == timeout_ns ? -ETIMEDOUT : 0;
}
