/* SPDX-License-Identifier: MIT */
/* The guest side of the ivshmem transports: a region that is the device's
 * shared memory (BAR2), and its registers (BAR0), whose Doorbell wakes the
 * host. Finding the device is guestlib's job; this maps what it opened. */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "region.h"

/* BAR0 of an ivshmem device (QEMU's ivshmem spec): four 32-bit registers. */
#define IVSHMEM_REG_IVPOSITION 8
#define IVSHMEM_REG_DOORBELL 12
#define IVSHMEM_REGS_MAP 4096 /* BAR0 is 256 bytes; mappings are whole pages */

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
	r->regs_size = IVSHMEM_REGS_MAP;
	*ret_region = r;
	return 0;
}

VMRPC_API int vmrpc_region_ivshmem_peer(const struct vmrpc_region *r)
{
	if (!r->regs)
		return -EINVAL;
	return (int)__atomic_load_n((const uint32_t *)(r->regs + IVSHMEM_REG_IVPOSITION),
				    __ATOMIC_RELAXED);
}

void region_ivshmem_ring(struct vmrpc_region *r, uint32_t vector)
{
	uint32_t v = REGION_IVSHMEM_HOST_PEER << 16 | (vector & 0xffff);

	/* One 32-bit store to a device register: the write itself is the
	 * signal. Everything the callee must see is already published. */
	__atomic_store_n((uint32_t *)(r->regs + IVSHMEM_REG_DOORBELL), v, __ATOMIC_RELEASE);
}
