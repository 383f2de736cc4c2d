/* SPDX-License-Identifier: MIT */
/* A guest program on an ivshmem device: the region is the device's shared
 * memory (BAR2), and its registers (BAR0) hold the Doorbell that wakes the
 * host (a KVM ioeventfd, no exit to QEMU's main loop). Finding the device
 * is guestlib's job; this maps what it opened. Until a guest driver takes
 * MSI-X interrupts, the guest waits for the host by sleeping and looking
 * again. Both ivshmem transports look the same from here: with
 * ivshmem-plain, the Doorbell rings nobody and hostd scans instead. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "region.h"
#include "transport.h"

/* BAR0 of an ivshmem device (QEMU's ivshmem spec): four 32-bit registers. */
#define IVSHMEM_REG_IVPOSITION 8
#define IVSHMEM_REG_DOORBELL 12
#define IVSHMEM_REGS_MAP 4096 /* BAR0 is 256 bytes; mappings are whole pages */

/* The first sleep of a polling wait, and the longest: bounds the latency a
 * long call adds to its reply, and the wake-ups an idle wait costs. */
#define POLL_FIRST_NS 20000u
#define POLL_MAX_NS (1000u * 1000)

VMRPC_API int vmrpc_region_open_ivshmem(int shm_fd, int regs_fd,
					struct vmrpc_region **ret_region)
{
	struct vmrpc_region *r;
	void *p;
	int err;

	err = vmrpc_region_open_fd(shm_fd, &r);
	if (err < 0)
		return err;
	p = mmap(NULL, IVSHMEM_REGS_MAP, PROT_READ | PROT_WRITE, MAP_SHARED, regs_fd, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		vmrpc_region_close(r);
		return err;
	}
	r->regs = p;
	r->transport = &transport_ivshmem;
	*ret_region = r;
	return 0;
}

VMRPC_API int vmrpc_region_ivshmem_peer(const struct vmrpc_region *r)
{
	if (r->transport == &transport_dev)
		return r->dev_peer;
	if (r->transport != &transport_ivshmem)
		return -EINVAL;
	return (int)__atomic_load_n((const uint32_t *)(r->regs + IVSHMEM_REG_IVPOSITION),
				    __ATOMIC_RELAXED);
}

/* Write (hostd's peer id << 16 | vector) to the Doorbell register, which
 * raises hostd's eventfd for that vector. One 32-bit store to a device
 * register: the write itself is the signal. Everything the other side must
 * see is already published. */
static void ivshmem_ring_vector(struct vmrpc_region *r, uint32_t vector)
{
	uint32_t v = VMRPC_IVSHMEM_HOST_PEER << 16 | (vector & 0xffff);

	__atomic_store_n((uint32_t *)(r->regs + IVSHMEM_REG_DOORBELL), v, __ATOMIC_RELEASE);
}

/* hostd finds what changed in the region: every op is a look at it. A
 * caller that found no free channel has nothing for hostd to find. */
static int ivshmem_ring(struct vmrpc_region *r, uint32_t op, uint32_t i, uint64_t nonce,
			int timeout_ms)
{
	if (op != VMRPC_DOORBELL_NOCHAN)
		ivshmem_ring_vector(r, VMRPC_IVSHMEM_VEC_CONTROL);
	return 0;
}

static void ivshmem_wake_callee(struct vmrpc_region *r, uint32_t i, uint32_t *req_seq)
{
	ivshmem_ring_vector(r, VMRPC_IVSHMEM_VEC_CHAN(i));
}

int transport_poll_wait(uint64_t timeout_ns, uint64_t *backoff_ns)
{
	uint64_t ns = *backoff_ns ? *backoff_ns : POLL_FIRST_NS;
	struct timespec ts;

	if (timeout_ns && ns > timeout_ns)
		ns = timeout_ns;
	*backoff_ns = ns * 2 < POLL_MAX_NS ? ns * 2 : POLL_MAX_NS;
	ts.tv_sec = (time_t)(ns / 1000000000u);
	ts.tv_nsec = (long)(ns % 1000000000u);
	if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
		return -EINTR;
	return timeout_ns && ns == timeout_ns ? -ETIMEDOUT : 0;
}

static int ivshmem_wait(struct vmrpc_region *r, uint32_t *word, uint32_t seen,
			uint64_t timeout_ns, uint64_t *backoff_ns)
{
	return transport_poll_wait(timeout_ns, backoff_ns);
}

/* A guest cannot see host pids (callee_pid is 0 here): it relies on hostd
 * alone, and a restarted hostd resets the channel (-VMRPC_ERESET). */
static int ivshmem_check_callee(struct vmrpc_chan *ch)
{
	return 0;
}

static void ivshmem_close(struct vmrpc_region *r)
{
	munmap(r->regs, IVSHMEM_REGS_MAP);
	r->regs = NULL;
}

const struct region_transport transport_ivshmem = {
	.name = "ivshmem",
	.ring = ivshmem_ring,
	.wake_callee = ivshmem_wake_callee,
	.wait = ivshmem_wait,
	.check_callee = ivshmem_check_callee,
	.close = ivshmem_close,
	.host_pids = false,
};
