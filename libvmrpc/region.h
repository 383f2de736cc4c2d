/* SPDX-License-Identifier: MIT */
#ifndef VMRPC_REGION_H
#define VMRPC_REGION_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>

#include "transport.h"
#include "vmrpc/vmrpc.h"

#define REGION_NAME_MAX 64

/* The geometry fields are private copies validated once at map time: the
 * header in shared memory may change under us, these never do. */
struct vmrpc_region {
	int fd;
	int lock_fd; /* a sealed region's <name>.lock, flock()ed; else -1 */
	bool sealed; /* a memfd whose size cannot change (VMRPC_REGION_SEALED) */
	uint32_t mode; /* host side: the mode for its socket and files */
	uint8_t *base;
	size_t size;
	uint32_t n_channels;
	uint32_t chan_size;
	bool host;   /* made by vmrpc_hostd_region_create: this side owns the region */
	int bell_fd; /* transport_loopback: unconnected datagram socket, or -1 */
	struct sockaddr_un bell_addr;
	char name[REGION_NAME_MAX + 1];
	/* How this side reaches the other (transport.h); the transport's state: */
	const struct region_transport *transport;
	uint8_t *regs; /* transport_ivshmem: the device's registers (BAR0) */
	/* transport_dev: the device node, and the open file of each channel
	 * this process holds (-1 for the others) */
	char *dev_path;
	int *dev_chan_fd;
	bool dev_irq; /* the device has MSI-X vectors: waits sleep */
	int dev_peer;
	int vm_wake_fd; /* transport_vm: raises the channel's vector in the guest, or -1 */
};

/* What a sealed region's seals must include: nobody may change its size. */
#define REGION_SEALS (F_SEAL_SHRINK | F_SEAL_GROW)

/* hostd's answer on a sealed region's socket, with the region's descriptor
 * (SCM_RIGHTS) when err is 0. Host-local: never in the region. */
struct region_reply {
	int32_t err;
	uint32_t reserved;
};

/* Shared by the caller side (region.c) and hostd's (private/hostd_region.c). */
int region_name_valid(const char *name);
/* Where a hostd makes its files when nothing says otherwise:
 * $VMRPC_RUNTIME_DIR, else $XDG_RUNTIME_DIR/vmrpc, else /dev/shm/vmrpc. */
int region_runtime_dir(char *buf, size_t size);
/* Where callers look for a region, in order: $VMRPC_RUNTIME_DIR alone if
 * set; else $XDG_RUNTIME_DIR/vmrpc (if set), /run/vmrpc (the units'), and
 * /dev/shm/vmrpc. Returns how many, or -errno; max at least
 * REGION_RUNTIME_DIRS_MAX. */
#define REGION_RUNTIME_DIR_RUN "/run/vmrpc"
#define REGION_RUNTIME_DIR_SHM "/dev/shm/vmrpc"
#define REGION_RUNTIME_DIRS_MAX 3
int region_runtime_dirs(char (*dirs)[PATH_MAX], size_t max);
/* Geometry that fits a mapping of size bytes. */
int region_geometry_ok(uint32_t n, uint32_t cs, uint64_t size);
/* Check a mapped header against the file size and copy the geometry. */
int region_validate(struct vmrpc_region *r);
struct vmrpc_region *region_alloc(const char *name);
/* Map r->fd whole: r->base and r->size. */
int region_map(struct vmrpc_region *r);
/* Map fd (duplicated). With n == 0, the geometry is the header's (checked);
 * else it must be exactly n channels of cs bytes, and the header is not
 * read for it. */
int region_open_fd(int fd, uint32_t n, uint32_t cs, struct vmrpc_region **ret_region);

/* ---- offsets and pointers: the one translation ---------------------------
 * Offsets travel between the sides; pointers never do. Every offset that
 * comes from the other side becomes a pointer here, after the one bounds
 * check, and every pointer into the region becomes an offset here. */

/* A channel's arena: [start, end) as region offsets. */
struct vmrpc_arena {
	uint8_t *base; /* the region's mapping */
	uint64_t start, end;
};

/* Arena of channel i of r. */
void region_chan_arena(const struct vmrpc_region *r, uint32_t i, struct vmrpc_arena *ret_arena);

/* Does [off, off + len) lie inside the arena? Checked without overflow:
 * any off and len the other side writes are safe to pass. */
static inline bool arena_holds(const struct vmrpc_arena *a, uint64_t off, uint64_t len)
{
	return off >= a->start && off <= a->end && len <= a->end - off;
}

/* The pointer for region offset off (checked by the caller). */
static inline void *region_off_to_ptr(const struct vmrpc_arena *a, uint64_t off)
{
	return a->base + off;
}

/* The region offset of p, a pointer into the region. */
static inline uint64_t region_ptr_to_off(const struct vmrpc_arena *a, const void *p)
{
	return (uint64_t)((const uint8_t *)p - a->base);
}

/* <runtime dir>/<name>.sock of region r. */
int doorbell_addr(struct vmrpc_region *r, struct sockaddr_un *ret_addr);

/* The caller side's transport calls (transport.h): */
static inline int region_ring(struct vmrpc_region *r, uint32_t op, uint32_t i, uint64_t nonce,
			      int timeout_ms)
{
	/* a region mapped from a descriptor has no doorbell */
	return r->transport->ring ? r->transport->ring(r, op, i, nonce, timeout_ms) : -EINVAL;
}

/* Claim a FREE channel for this process, and let go of one. */
int region_claim(struct vmrpc_region *r, enum vmrpc_chan_state how, uint32_t *ret_index);

static inline void region_release(struct vmrpc_region *r, uint32_t i)
{
	if (r->transport->release)
		r->transport->release(r, i);
}

static inline void region_wake_callee(struct vmrpc_region *r, uint32_t i, uint32_t *req_seq)
{
	r->transport->wake_callee(r, i, req_seq);
}

static inline int region_wait(struct vmrpc_region *r, uint32_t *word, uint32_t seen,
			      uint64_t timeout_ns, uint64_t *backoff_ns)
{
	return r->transport->wait(r, word, seen, timeout_ns, backoff_ns);
}

/* Look up iface in the host registry (guest == 0) or in guestd's
 * (guest == 1); see vmrpc_region_lookup(). */
int registry_lookup(struct vmrpc_region *r, const struct vmrpc_iface *iface, int guest,
		    uint32_t *ret_slot);

#endif /* VMRPC_REGION_H */
