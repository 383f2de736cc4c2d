/* SPDX-License-Identifier: MIT */
/* A guest program on vmrpc.ko's /dev/vmrpcN (vmrpc(4), include/vmrpc/dev.h):
 * the kernel claims a channel for each open of the device, lets us map the
 * header read-only and that channel read-write, and puts us to sleep until
 * the host raises the channel's MSI-X vector. The mapping keeps the
 * region's layout: the whole region's address range is reserved
 * (PROT_NONE) and the header and our channels are mapped into it, so every
 * pointer libvmrpc forms is where it would be, and a stray one into
 * another channel faults here rather than touching that channel. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "region.h"
#include "transport.h"
#include "vmrpc/dev.h"

static int dev_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static int dev_errno(int err)
{
	return err == -ENOENT || err == -ENXIO ? -ENODEV : err;
}

VMRPC_API int vmrpc_region_open_dev(const char *path, struct vmrpc_region **ret_region)
{
	struct vmrpc_dev_info info;
	struct vmrpc_region *r = region_alloc(NULL);
	void *p;
	int err;

	if (!r)
		return -ENOMEM;
	r->transport = &transport_dev;
	r->fd = open(path, O_RDWR | O_CLOEXEC);
	if (r->fd < 0) {
		err = dev_errno(-errno);
		goto fail;
	}
	err = dev_ioctl(r->fd, VMRPC_DEV_INFO, &info);
	if (err < 0)
		goto fail;
	if (info.version != VMRPC_DEV_VERSION || info.abi_version != VMRPC_ABI_VERSION) {
		err = -VMRPC_EABI;
		goto fail;
	}
	if (info.region_size > SIZE_MAX ||
	    !region_geometry_ok(info.n_channels, info.chan_size, info.region_size)) {
		err = -VMRPC_EMAGIC;
		goto fail;
	}
	r->size = (size_t)info.region_size;
	p = mmap(NULL, r->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	r->base = p;
	if (mmap(r->base, VMRPC_HDR_SIZE, PROT_READ, MAP_SHARED | MAP_FIXED, r->fd, 0) ==
	    MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	/* The header's own words, as any mapper checks them; the driver's
	 * copies, checked at its probe, must agree. */
	err = region_validate(r);
	if (err == 0 && (r->n_channels != info.n_channels || r->chan_size != info.chan_size))
		err = -VMRPC_EMAGIC;
	if (err < 0)
		goto fail;
	r->dev_chan_fd = malloc(r->n_channels * sizeof(int));
	r->dev_path = strdup(path);
	if (!r->dev_chan_fd || !r->dev_path) {
		err = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < r->n_channels; i++)
		r->dev_chan_fd[i] = -1;
	r->dev_irq = info.flags & VMRPC_DEV_F_IRQ;
	r->dev_peer = info.peer;
	*ret_region = r;
	return 0;
fail:
	vmrpc_region_close(r);
	return err;
}

static uint64_t dev_chan_off(const struct vmrpc_region *r, uint32_t i)
{
	return (uint64_t)VMRPC_HDR_SIZE + (uint64_t)i * r->chan_size;
}

/* One open file per channel: the kernel claims a free one for it. */
static int dev_claim(struct vmrpc_region *r, enum vmrpc_chan_state how, uint32_t *ret_index)
{
	struct vmrpc_dev_claim c = { .state = (uint32_t)how };
	/* Non-blocking: draining the poll count (dev_poll_drain) must not
	 * wait; the wait ioctl sleeps whatever the flag. */
	int fd = open(r->dev_path, O_RDWR | O_CLOEXEC | O_NONBLOCK), err;
	uint64_t off;

	if (fd < 0)
		return dev_errno(-errno);
	err = dev_ioctl(fd, VMRPC_DEV_CLAIM, &c);
	if (err < 0) {
		close(fd);
		return err == -ENOSPC ? -VMRPC_ENOCHAN : err;
	}
	if (c.index >= r->n_channels || r->dev_chan_fd[c.index] >= 0) {
		close(fd); /* the kernel gives the claim back */
		return -EPROTO;
	}
	off = dev_chan_off(r, c.index);
	if (mmap(r->base + off, r->chan_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
		 (off_t)off) == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	r->dev_chan_fd[c.index] = fd;
	*ret_index = c.index;
	return 0;
}

/* Let go of channel i: its words say so already (DETACHING, or FREE for a
 * claim taken back); closing its file tells the kernel, which would have
 * done both had we died instead. */
static void dev_release(struct vmrpc_region *r, uint32_t i)
{
	int fd = i < r->n_channels ? r->dev_chan_fd[i] : -1;

	if (fd < 0)
		return;
	mmap(r->base + dev_chan_off(r, i), r->chan_size, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	r->dev_chan_fd[i] = -1;
	close(fd);
}

static int dev_ring_vector(struct vmrpc_region *r, int fd, uint32_t vector)
{
	struct vmrpc_dev_ring ring = { .vector = vector };

	return dev_ioctl(fd, VMRPC_DEV_RING, &ring);
}

static int dev_ring(struct vmrpc_region *r, uint32_t op, uint32_t i, uint64_t nonce,
		    int timeout_ms)
{
	if (op == VMRPC_DOORBELL_NOCHAN)
		return 0;
	return dev_ring_vector(r, r->fd, VMRPC_IVSHMEM_VEC_CONTROL) == -ENODEV ? -VMRPC_ENOHOSTD
									      : 0;
}

static void dev_wake_callee(struct vmrpc_region *r, uint32_t i, uint32_t *req_seq)
{
	if (i < r->n_channels && r->dev_chan_fd[i] >= 0)
		dev_ring_vector(r, r->dev_chan_fd[i], VMRPC_IVSHMEM_VEC_CHAN(i));
}

/* The kernel compares the word after queueing us, and the host stores it
 * before it raises the vector: nothing is lost between our look and the
 * sleep. Without interrupts (ivshmem-plain), poll like transport_ivshmem. */
static int dev_wait(struct vmrpc_region *r, uint32_t *word, uint32_t seen, uint64_t timeout_ns,
		    uint64_t *backoff_ns)
{
	uint64_t off = (uint64_t)((uint8_t *)word - r->base);
	struct vmrpc_dev_wait w = { .offset = off, .expected = seen, .timeout_ns = timeout_ns };
	int fd = -1, err;

	if (r->dev_irq && off >= VMRPC_HDR_SIZE &&
	    (off - VMRPC_HDR_SIZE) / r->chan_size < r->n_channels)
		fd = r->dev_chan_fd[(off - VMRPC_HDR_SIZE) / r->chan_size];
	if (fd < 0)
		return transport_poll_wait(timeout_ns, backoff_ns);
	err = dev_ioctl(fd, VMRPC_DEV_WAIT, &w);
	if (err == -ETIMEDOUT || err == -EINTR)
		return err;
	if (err < 0) /* the device went away: do not spin on it */
		return transport_poll_wait(timeout_ns, backoff_ns);
	return 0;
}

/* The channel's file polls readable once its vector fired since the last
 * read; without interrupts nothing would ever fire it. */
static int dev_poll_fd(struct vmrpc_region *r, uint32_t i)
{
	if (!r->dev_irq)
		return -EOPNOTSUPP;
	return i < r->n_channels && r->dev_chan_fd[i] >= 0 ? r->dev_chan_fd[i] : -EBADF;
}

static void dev_poll_drain(struct vmrpc_region *r, uint32_t i)
{
	uint64_t n;

	if (r->dev_irq && i < r->n_channels && r->dev_chan_fd[i] >= 0)
		(void)!read(r->dev_chan_fd[i], &n, sizeof(n)); /* EAGAIN: nothing fired */
}

static int dev_check_callee(struct vmrpc_chan *ch)
{
	return 0; /* as on transport_ivshmem: hostd resets what it cannot serve */
}

static void dev_close(struct vmrpc_region *r)
{
	for (uint32_t i = 0; r->dev_chan_fd && i < r->n_channels; i++)
		if (r->dev_chan_fd[i] >= 0)
			close(r->dev_chan_fd[i]);
	free(r->dev_chan_fd);
	free(r->dev_path);
	r->dev_chan_fd = NULL;
	r->dev_path = NULL;
}

const struct region_transport transport_dev = {
	.name = "vmrpc device",
	.claim = dev_claim,
	.release = dev_release,
	.ring = dev_ring,
	.wake_callee = dev_wake_callee,
	.wait = dev_wait,
	.check_callee = dev_check_callee,
	.poll_fd = dev_poll_fd,
	.poll_drain = dev_poll_drain,
	.close = dev_close,
	.host_pids = false,
};
