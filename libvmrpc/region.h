/* SPDX-License-Identifier: MIT */
#ifndef VMRPC_REGION_H
#define VMRPC_REGION_H

#include <limits.h>
#include <stdint.h>
#include <sys/un.h>

#include "vmrpc/vmrpc.h"

#define REGION_NAME_MAX 64

/* The geometry fields are private copies validated once at map time: the
 * header in shared memory may change under us, these never do. */
struct vmrpc_region {
	int fd;
	uint8_t *base;
	size_t size;
	uint32_t n_channels;
	uint32_t chan_size;
	int host;    /* made by vmrpc_region_create: this side owns the region */
	int bell_fd; /* caller side: unconnected datagram socket, or -1 */
	struct sockaddr_un bell_addr;
	char name[REGION_NAME_MAX + 1];
};

/* Arena of channel i as region offsets: [*ret_start, *ret_end). */
void region_chan_arena(const struct vmrpc_region *r, uint32_t i, uint64_t *ret_start,
		       uint64_t *ret_end);

/* Caller side: make the doorbell socket (vmrpc_region_open does). */
int region_bell_open(struct vmrpc_region *r);

/* Send one doorbell from the caller side, waiting at most timeout_ms for
 * room in hostd's queue: 0, or -VMRPC_ENOHOSTD when nobody takes it. */
int region_ring(struct vmrpc_region *r, uint32_t op, uint32_t chan_index, uint64_t nonce,
		int timeout_ms);

#endif /* VMRPC_REGION_H */
