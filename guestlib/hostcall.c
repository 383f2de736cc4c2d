/* SPDX-License-Identifier: MIT */
/*
 * The host-call library (include/vmrpc/hostcall.h): a host context with the
 * shipped interfaces bound, transfers of any size, and forks.
 *
 * Splitting: a generated stub puts a buffer in the arena (or passes it in
 * place when it lies in a buffer kept there), so one call moves at most an
 * arena's worth. host->chunk starts at the arena less 8 KiB (room for the
 * call's other arena data) and halves whenever a call still does not fit
 * (the caller keeps buffers in the arena too).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostcalls_caller.h"
#include "hostfs_caller.h"
#include "hostnet_caller.h"
#include "hostproc_caller.h"
#include "vmrpc/hostcall.h"

#define HOST_CHUNK_SLACK 8192u
#define HOST_CHUNK_MIN 4096u
#define HOST_IOV_MAX 1024

/* Bind the four interfaces on h->guest.chan and size the transfers. */
static int host_bind_all(struct vmrpc_host *h)
{
	struct vmrpc_region_hdr *hdr;
	int err;

	err = hostcalls_bind(h->guest.chan, &h->calls);
	if (err == 0)
		err = hostfs_bind(h->guest.chan, &h->fs);
	if (err == 0)
		err = hostproc_bind(h->guest.chan, &h->proc);
	if (err == 0)
		err = hostnet_bind(h->guest.chan, &h->net);
	if (err < 0)
		return err;
	hdr = vmrpc_region_hdr(h->guest.region);
	h->chunk = hdr->chan_size - VMRPC_ARENA_OFF - HOST_CHUNK_SLACK;
	h->chunk &= ~(uint64_t)(HOST_CHUNK_MIN - 1);
	return 0;
}

/* Finish a host context whose region (and, when adopting, channel) is
 * set up: attach or adopt, bind, hand it out; undo everything on failure. */
static int host_finish(struct vmrpc_host *h, int err, struct vmrpc_host **ret_host)
{
	if (err == 0)
		err = host_bind_all(h);
	if (err < 0) {
		vmrpc_guest_detach(&h->guest);
		free(h);
		return err;
	}
	*ret_host = h;
	return 0;
}

VMRPC_API int vmrpc_host_attach(const char *name, struct vmrpc_host **ret_host)
{
	struct vmrpc_host *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	return host_finish(h, vmrpc_guest_attach(name, &h->guest), ret_host);
}

VMRPC_API int vmrpc_host_adopt(const char *name, uint32_t index, uint64_t nonce,
			       struct vmrpc_host **ret_host)
{
	struct vmrpc_host *h = calloc(1, sizeof(*h));
	int err;

	if (!h)
		return -ENOMEM;
	err = vmrpc_region_open(name ? name : vmrpc_guest_default_region(), &h->guest.region);
	if (err == 0)
		err = vmrpc_chan_adopt(h->guest.region, index, nonce, &h->guest.chan);
	return host_finish(h, err, ret_host);
}

VMRPC_API void vmrpc_host_detach(struct vmrpc_host *h)
{
	if (!h)
		return;
	vmrpc_guest_detach(&h->guest);
	free(h);
}

VMRPC_API int vmrpc_host_buf_alloc(struct vmrpc_host *h, size_t len, void **ret_ptr)
{
	return vmrpc_chan_buf_alloc(h->guest.chan, len, ret_ptr);
}

VMRPC_API void vmrpc_host_buf_free(struct vmrpc_host *h, void *ptr)
{
	vmrpc_chan_buf_free(h->guest.chan, ptr);
}

enum host_dir { HOST_READ, HOST_WRITE };

/* One stub call of at most *n bytes; offset < 0: the file position. *n
 * becomes what was asked for in the end (less, if the arena was short). */
static int64_t host_xfer_once(struct vmrpc_host *h, enum host_dir dir, int fd, void *buf,
			      uint64_t *np, int64_t offset)
{
	uint64_t n = *np;

	for (;;) {
		int64_t r;

		if (dir == HOST_READ)
			r = offset < 0 ? hostfs_read(&h->fs, fd, buf, n)
				       : hostfs_pread(&h->fs, fd, buf, n, offset);
		else
			r = offset < 0 ? hostfs_write(&h->fs, fd, buf, n)
				       : hostfs_pwrite(&h->fs, fd, buf, n, offset);
		if (r != -VMRPC_E2BIG || n <= HOST_CHUNK_MIN)
			return r;
		/* Kept buffers took part of the arena: smaller pieces. */
		n /= 2;
		*np = n;
		if (h->chunk > n)
			h->chunk = n;
	}
}

static int64_t host_xfer(struct vmrpc_host *h, enum host_dir dir, int fd, void *buf,
			 size_t count, int64_t offset)
{
	uint64_t done = 0;

	do {
		uint64_t n = count - done < h->chunk ? count - done : h->chunk;
		/* n may shrink: a short transfer is one shorter than asked */
		int64_t r = host_xfer_once(h, dir, fd, (char *)buf + done, &n,
					   offset < 0 ? -1 : offset + (int64_t)done);

		if (r < 0)
			return done ? (int64_t)done : r;
		if ((uint64_t)r > n)
			return -EPROTO;
		done += (uint64_t)r;
		if ((uint64_t)r < n)
			break; /* end of file, a pipe, a full disk: as the host said */
	} while (done < count);
	return (int64_t)done;
}

VMRPC_API int64_t vmrpc_host_read(struct vmrpc_host *h, int fd, void *buf, size_t count)
{
	return host_xfer(h, HOST_READ, fd, buf, count, -1);
}

VMRPC_API int64_t vmrpc_host_write(struct vmrpc_host *h, int fd, const void *buf, size_t count)
{
	return host_xfer(h, HOST_WRITE, fd, (void *)buf, count, -1);
}

VMRPC_API int64_t vmrpc_host_pread(struct vmrpc_host *h, int fd, void *buf, size_t count,
				   int64_t offset)
{
	if (offset < 0)
		return -EINVAL;
	return host_xfer(h, HOST_READ, fd, buf, count, offset);
}

VMRPC_API int64_t vmrpc_host_pwrite(struct vmrpc_host *h, int fd, const void *buf, size_t count,
				    int64_t offset)
{
	if (offset < 0)
		return -EINVAL;
	return host_xfer(h, HOST_WRITE, fd, (void *)buf, count, offset);
}

static int64_t host_iov_total(const struct iovec *iov, int iovcnt)
{
	uint64_t total = 0;

	if (iovcnt < 0 || iovcnt > HOST_IOV_MAX)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > (uint64_t)INT64_MAX - total)
			return -EINVAL;
		total += iov[i].iov_len;
	}
	return (int64_t)total;
}

/* Vectors go through one bounce buffer of at most a chunk, so each
 * arena-full is one host call, as for a plain read or write. */
static int64_t host_xferv(struct vmrpc_host *h, enum host_dir dir, int fd,
			  const struct iovec *iov, int iovcnt)
{
	int64_t total = host_iov_total(iov, iovcnt), r;
	uint64_t done = 0, size;
	unsigned char *bounce;
	int i = 0;
	size_t at = 0;

	if (total <= 0)
		return total;
	if (iovcnt == 1)
		return host_xfer(h, dir, fd, iov[0].iov_base, iov[0].iov_len, -1);
	size = (uint64_t)total < h->chunk ? (uint64_t)total : h->chunk;
	bounce = malloc(size);
	if (!bounce)
		return -ENOMEM;
	while (done < (uint64_t)total) {
		uint64_t n = (uint64_t)total - done < size ? (uint64_t)total - done : size;
		uint64_t k = 0;
		int j = i;
		size_t a = at;

		if (dir == HOST_WRITE) /* gather */
			for (; k < n; j++, a = 0) {
				size_t m = iov[j].iov_len - a < n - k ? iov[j].iov_len - a : n - k;
				memcpy(bounce + k, (char *)iov[j].iov_base + a, m);
				k += m;
				if (a + m < iov[j].iov_len) {
					a += m;
					break;
				}
			}
		r = host_xfer_once(h, dir, fd, bounce, &n, -1);
		if (r < 0 || (uint64_t)r > n) {
			free(bounce);
			return done ? (int64_t)done : (r < 0 ? r : -EPROTO);
		}
		/* scatter (read) or advance (write) over r bytes */
		for (k = 0; k < (uint64_t)r;) {
			size_t m = iov[i].iov_len - at < (uint64_t)r - k ? iov[i].iov_len - at
									  : (size_t)((uint64_t)r - k);
			if (dir == HOST_READ)
				memcpy((char *)iov[i].iov_base + at, bounce + k, m);
			k += m;
			at += m;
			if (at == iov[i].iov_len) {
				i++;
				at = 0;
			}
		}
		done += (uint64_t)r;
		if ((uint64_t)r < n)
			break;
	}
	free(bounce);
	return (int64_t)done;
}

VMRPC_API int64_t vmrpc_host_readv(struct vmrpc_host *h, int fd, const struct iovec *iov,
				   int iovcnt)
{
	return host_xferv(h, HOST_READ, fd, iov, iovcnt);
}

VMRPC_API int64_t vmrpc_host_writev(struct vmrpc_host *h, int fd, const struct iovec *iov,
				    int iovcnt)
{
	return host_xferv(h, HOST_WRITE, fd, iov, iovcnt);
}

/* ---- fork -------------------------------------------------------------- */

VMRPC_API int vmrpc_host_fork_prepare(struct vmrpc_host *h, struct vmrpc_host_fork *f)
{
	uint64_t nonce;
	int32_t r;
	int err;

	err = vmrpc_chan_fork_claim(h->guest.chan, &f->child_chan, &nonce);
	if (err < 0)
		return err;
	r = hostproc_fork_shadow(&h->proc, vmrpc_chan_index(f->child_chan), nonce);
	err = r < 0 ? r : vmrpc_chan_fork_wait(f->child_chan, 0);
	if (err < 0) {
		vmrpc_chan_close(f->child_chan);
		f->child_chan = NULL;
	}
	return err;
}

VMRPC_API int vmrpc_host_fork_parent(struct vmrpc_host *h, struct vmrpc_host_fork *f,
				     pid_t child)
{
	int err = vmrpc_chan_fork_handover(f->child_chan, child);

	f->child_chan = NULL;
	return err;
}

VMRPC_API int vmrpc_host_fork_child(struct vmrpc_host *h, struct vmrpc_host_fork *f)
{
	struct vmrpc_chan *parent = h->guest.chan;

	vmrpc_chan_fork_adopt(f->child_chan);
	h->guest.chan = f->child_chan;
	f->child_chan = NULL;
	/* A copy of the parent's handle: closing it only frees the copy. */
	vmrpc_chan_close(parent);
	h->calls.chan = h->fs.chan = h->proc.chan = h->net.chan = h->guest.chan;
	return 0;
}

VMRPC_API void vmrpc_host_fork_abort(struct vmrpc_host *h, struct vmrpc_host_fork *f)
{
	vmrpc_chan_close(f->child_chan);
	f->child_chan = NULL;
}
