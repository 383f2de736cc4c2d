/* SPDX-License-Identifier: MIT */
/* The callee side of a channel: wait for a request, snapshot it, validate
 * it, dispatch it, publish the reply. Everything read from the channel is
 * untrusted: it is read once, into private memory, and checked there. */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "callee.h"
#include "region.h"
#include "spin.h"
#include "sync.h"
#include "vmrpc/stub.h"
#include "vmrpc_private.h"

int vmrpc_callee_open(struct vmrpc_region *r, uint32_t chan_index,
				struct vmrpc_callee **ret_callee)
{
	struct vmrpc_callee *c;

	if (chan_index >= r->n_channels)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->region = r;
	c->index = chan_index;
	c->hdr = vmrpc_region_chan(r, chan_index);
	c->last_seq = sync_load_acquire(&c->hdr->rep.rep_seq);
	c->transport = callee_transport_of(VMRPC_TRANSPORT_LOOPBACK);
	c->bell_fd = -1;
	c->stop_fd = -1;
	c->wake_fd = -1;
	region_chan_arena(r, chan_index, &c->arena);
	spin_init(&c->spin);
	*ret_callee = c;
	return 0;
}

void vmrpc_callee_close(struct vmrpc_callee *c)
{
	if (!c)
		return;
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	free(c);
}

int vmrpc_callee_set_transport(struct vmrpc_callee *c, enum vmrpc_transport t, int bell_fd)
{
	const struct callee_transport *ct = callee_transport_of(t);

	if (!ct)
		return -EINVAL;
	if (ct->needs_bell && bell_fd < 0)
		return -EBADF;
	if (ct->needs_bell && c->stop_fd < 0) {
		/* vmrpc_callee_stop() writes it: the sleeper polls both */
		c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (c->stop_fd < 0)
			return -errno;
	}
	c->transport = ct;
	c->bell_fd = ct->needs_bell ? bell_fd : -1;
	return 0;
}

int vmrpc_callee_set_guest_bell(struct vmrpc_callee *c, int fd)
{
	if (fd < 0 || c->transport != callee_transport_of(VMRPC_TRANSPORT_IVSHMEM_DOORBELL))
		return -EINVAL;
	c->wake_fd = fd;
	return 0;
}

void vmrpc_callee_set_spin(struct vmrpc_callee *c, uint32_t max_ns)
{
	spin_set_max(&c->spin, max_ns);
}

void vmrpc_callee_stop(struct vmrpc_callee *c)
{
	uint64_t one = 1;

	__atomic_store_n(&c->stop, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &c->stop, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	if (c->stop_fd >= 0 && write(c->stop_fd, &one, sizeof(one)) < 0) {
		/* the counter is already non-zero: the sleeper wakes anyway */
	}
	if (c->transport->stop)
		c->transport->stop(c);
}

/* Wait until req_seq moves past the last answered request. Returns the new
 * sequence number, or 0 when asked to stop. */
static uint32_t callee_wait_request(struct vmrpc_callee *c, int woke_caller)
{
	struct vmrpc_chan_hdr *h = c->hdr;
	/* As in chan_call: after waking the caller, cover its wake-up. */
	uint64_t budget = woke_caller ? c->spin.max_ns : c->spin.cur_ns, start;
	uint64_t backoff = 0;
	uint32_t s;

	if (budget) {
		start = sync_now_ns();
		for (unsigned n = 1;; n++) {
			s = sync_load_acquire(&h->req.req_seq);
			if (s != c->last_seq) {
				spin_hit(&c->spin);
				return s;
			}
			sync_cpu_relax();
			if (n % 64 == 0 && (callee_stopping(c) || sync_now_ns() - start > budget))
				break;
		}
		if (!woke_caller)
			spin_miss(&c->spin);
	}
	/* The last reply skipped the caller's wake-up because caller_waiting
	 * said it spins; a shared word anybody could have held at 0. Wake it
	 * once on our way to sleep (the caller-side twin is in chan.c). */
	if (c->unwoken && c->transport->wake_caller)
		c->transport->wake_caller(c);
	c->unwoken = false;
	sync_store(&h->rep.callee_waiting, 1);
	for (;;) {
		sync_fence();
		s = sync_load_acquire(&h->req.req_seq);
		if (s != c->last_seq || callee_stopping(c))
			break;
		c->transport->sleep(c, s, &backoff);
	}
	sync_store(&h->rep.callee_waiting, 0);
	return callee_stopping(c) ? 0 : s;
}

/* The meta call (abi.h): a piece of the type table of the interface in
 * slot a.slot, into the caller's arena slot; answers the table's length. */
static int64_t callee_meta_types(struct vmrpc_callee *c, const struct vmrpc_service *svcs,
				 size_t n_svcs, uint32_t method, uint32_t args_len)
{
	struct vmrpc_meta_types_args a;
	const struct vmrpc_iface *iface;
	struct vmrpc_incall call = { .arena = &c->arena };
	uint32_t n;
	void *dst;
	int err;

	if (method != VMRPC_META_TYPES || args_len != sizeof(a))
		return -EPROTO;
	memcpy(&a, c->hdr->args, sizeof(a));
	if (a.slot >= n_svcs)
		return -ENOENT;
	iface = svcs[a.slot].iface;
	if (!iface->type_table || iface->type_table_len == 0)
		return -ENOENT;
	if (a.from > iface->type_table_len)
		return -EINVAL;
	n = iface->type_table_len - a.from;
	if (n > a.room)
		n = a.room;
	if (n) {
		err = vmrpc_incall_out_buf(&call, a.off, n, &dst);
		if (err < 0)
			return err;
		memcpy(dst, (const uint8_t *)iface->type_table + a.from, n);
	}
	return iface->type_table_len;
}

static int64_t callee_dispatch(struct vmrpc_callee *c, const struct vmrpc_service *svcs,
			       size_t n_svcs)
{
	struct vmrpc_chan_req *rq = &c->hdr->req;
	/* One read of each request word; from here on only the copies count. */
	uint32_t slot = sync_load(&rq->iface_slot);
	uint32_t method = sync_load(&rq->method);
	uint32_t args_len = sync_load(&rq->args_len);
	const struct vmrpc_service *svc;
	struct vmrpc_incall call;
	int64_t status;

	if (slot == VMRPC_META_SLOT) {
		__atomic_store_n(&c->hdr->rep.res_len, 0, __ATOMIC_RELAXED);
		return callee_meta_types(c, svcs, n_svcs, method, args_len);
	}
	if (slot >= n_svcs || args_len > VMRPC_ARGS_SIZE || method >= svcs[slot].iface->n_methods) {
		/* No results: not even the previous reply's res_len. */
		__atomic_store_n(&c->hdr->rep.res_len, 0, __ATOMIC_RELAXED);
		return -EPROTO;
	}
	svc = &svcs[slot];
	memcpy(c->args, c->hdr->args, args_len);
	call = (struct vmrpc_incall){
		.method = method,
		.args_len = args_len,
		.args = c->args,
		.results = c->hdr->results,
		.arena = &c->arena,
	};
	status = svc->dispatch(svc->ops, svc->ctx, &call);
	__atomic_store_n(&c->hdr->rep.res_len,
			 call.res_len <= VMRPC_RESULTS_SIZE ? call.res_len : 0, __ATOMIC_RELAXED);
	return status;
}

int callee_serve_one(struct vmrpc_callee *c, uint32_t s, const struct vmrpc_service *svcs,
		     size_t n_svcs)
{
	struct vmrpc_chan_hdr *h = c->hdr;
	int64_t status = callee_dispatch(c, svcs, n_svcs);
	int woke_caller;

	__atomic_store_n(&h->rep.status, status, __ATOMIC_RELAXED);
	sync_store_release(&h->rep.rep_seq, s);
	c->last_seq = s;
	sync_fence();
	woke_caller = sync_load(&h->req.caller_waiting) != 0;
	/* A guest caller cannot sleep on a host futex: it polls (and, with a
	 * guest MSI-X driver, would be woken through its own vector). */
	if (woke_caller && c->transport->wake_caller)
		c->transport->wake_caller(c);
	c->unwoken = !woke_caller;
	return woke_caller;
}

int vmrpc_callee_serve(struct vmrpc_callee *c, const struct vmrpc_service *svcs,
				 size_t n_svcs)
{
	int woke_caller = 0;

	while (!callee_stopping(c)) {
		uint32_t s = callee_wait_request(c, woke_caller);

		if (s == 0 && callee_stopping(c))
			break;
		woke_caller = callee_serve_one(c, s, svcs, n_svcs);
	}
	return 0;
}

int vmrpc_callee_region_open(int fd, uint32_t n_channels, uint32_t chan_size,
					    struct vmrpc_region **ret_region)
{
	if (n_channels == 0)
		return -EINVAL;
	return region_open_fd(fd, n_channels, chan_size, ret_region);
}

