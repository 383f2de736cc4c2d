/* SPDX-License-Identifier: MIT */
/* The loopback doorbell: a datagram socket beside the region's socket (or
 * file). The kernel stamps each datagram with the sender's pid, uid and gid. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "region.h"
#include "sync.h"

int doorbell_addr(struct vmrpc_region *r, struct sockaddr_un *ret_addr)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int err = vmrpc_region_path(r->name, ".sock", a.sun_path, sizeof(a.sun_path));

	if (err < 0)
		return err;
	*ret_addr = a;
	return 0;
}

int region_bell_open(struct vmrpc_region *r)
{
	int err = doorbell_addr(r, &r->bell_addr);

	if (err < 0)
		return err;
	r->bell_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return r->bell_fd < 0 ? -errno : 0;
}

int region_ring(struct vmrpc_region *r, uint32_t op, uint32_t chan_index, uint64_t nonce,
		int timeout_ms)
{
	struct vmrpc_doorbell_msg m = { .op = op, .chan_index = chan_index, .nonce = nonce };
	uint64_t deadline = sync_now_ns() + (uint64_t)timeout_ms * 1000000u;

	if (r->regs) { /* an ivshmem guest: hostd finds the claim in the region */
		region_ivshmem_ring(r, REGION_IVSHMEM_VEC_CONTROL);
		return 0;
	}
	if (r->bell_fd < 0)
		return -EINVAL; /* a region mapped from an fd has no doorbell */
	/* Never block on hostd: its socket queues only a few datagrams
	 * (net.unix.max_dgram_qlen), and a stopped or wedged hostd must cost
	 * a caller a timeout, not its thread. */
	while (sendto(r->bell_fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT,
		      (struct sockaddr *)&r->bell_addr, sizeof(r->bell_addr)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			return -VMRPC_ENOHOSTD;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (sync_now_ns() >= deadline)
			return -VMRPC_ENOHOSTD;
		usleep(1000);
	}
	return 0;
}
