/* SPDX-License-Identifier: MIT */
/* The callee side of a channel: wait for a request, snapshot it, validate
 * it, dispatch it, publish the reply. Everything read from the channel is
 * untrusted: it is read once, into private memory, and checked there. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"
#include "spin.h"
#include "sync.h"
#include "vmrpc/stub.h"

/* A stop request from a signal handler cannot be ordered with our futex
 * sleep, so sleeps end at least this often to look at the stop flag. */
#define CALLEE_STOP_POLL_NS (1000u * 1000 * 1000)

struct vmrpc_callee {
	struct vmrpc_region *region;
	struct vmrpc_chan_hdr *hdr;
	uint32_t index;
	uint32_t last_seq;
	uint64_t arena_start, arena_end; /* region offsets */
	struct spin spin;
	volatile int stop;
	/* the private snapshot of the args block */
	_Alignas(16) uint8_t args[VMRPC_ARGS_SIZE];
};

VMRPC_API int vmrpc_callee_open(struct vmrpc_region *r, uint32_t chan_index,
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
	region_chan_arena(r, chan_index, &c->arena_start, &c->arena_end);
	spin_init(&c->spin);
	*ret_callee = c;
	return 0;
}

VMRPC_API void vmrpc_callee_close(struct vmrpc_callee *c)
{
	free(c);
}

VMRPC_API void vmrpc_callee_set_spin(struct vmrpc_callee *c, uint32_t max_ns)
{
	spin_set_max(&c->spin, max_ns);
}

VMRPC_API void vmrpc_callee_stop(struct vmrpc_callee *c)
{
	c->stop = 1;
	sync_futex_wake(&c->hdr->req.req_seq);
}

/* Wait until req_seq moves past the last answered request. Returns the new
 * sequence number, or 0 when asked to stop. */
static uint32_t callee_wait_request(struct vmrpc_callee *c, int woke_caller)
{
	struct vmrpc_chan_hdr *h = c->hdr;
	/* As in chan_call: after waking the caller, cover its wake-up. */
	uint64_t budget = woke_caller ? c->spin.max_ns : c->spin.cur_ns, start;
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
			if (n % 64 == 0 && (c->stop || sync_now_ns() - start > budget))
				break;
		}
		if (!woke_caller)
			spin_miss(&c->spin);
	}
	sync_store(&h->rep.callee_waiting, 1);
	for (;;) {
		sync_fence();
		s = sync_load_acquire(&h->req.req_seq);
		if (s != c->last_seq || c->stop)
			break;
		sync_futex_wait(&h->req.req_seq, s, CALLEE_STOP_POLL_NS);
	}
	sync_store(&h->rep.callee_waiting, 0);
	return c->stop ? 0 : s;
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

	if (slot >= n_svcs || args_len > VMRPC_ARGS_SIZE)
		return -EPROTO;
	svc = &svcs[slot];
	if (method >= svc->iface->n_methods)
		return -EPROTO;
	memcpy(c->args, c->hdr->args, args_len);
	call = (struct vmrpc_incall){
		.method = method,
		.args_len = args_len,
		.args = c->args,
		.results = c->hdr->results,
		.callee = c,
	};
	status = svc->dispatch(svc->ops, svc->ctx, &call);
	__atomic_store_n(&c->hdr->rep.res_len,
			 call.res_len <= VMRPC_RESULTS_SIZE ? call.res_len : 0, __ATOMIC_RELAXED);
	return status;
}

VMRPC_API int vmrpc_callee_serve(struct vmrpc_callee *c, const struct vmrpc_service *svcs,
				 size_t n_svcs)
{
	struct vmrpc_chan_hdr *h = c->hdr;
	int woke_caller = 0;

	while (!c->stop) {
		uint32_t s = callee_wait_request(c, woke_caller);
		int64_t status;

		if (s == 0 && c->stop)
			break;
		status = callee_dispatch(c, svcs, n_svcs);
		__atomic_store_n(&h->rep.status, status, __ATOMIC_RELAXED);
		sync_store_release(&h->rep.rep_seq, s);
		c->last_seq = s;
		sync_fence();
		woke_caller = sync_load(&h->req.caller_waiting) != 0;
		if (woke_caller)
			sync_futex_wake(&h->rep.rep_seq);
	}
	return 0;
}

/* The one bounds check every pointer from the channel goes through. */
static int callee_arena_ptr(struct vmrpc_incall *call, uint64_t off, uint64_t len,
			    void **ret_ptr)
{
	struct vmrpc_callee *c = call->callee;

	if (off < c->arena_start || off > c->arena_end || len > c->arena_end - off)
		return -EFAULT;
	*ret_ptr = c->region->base + off;
	return 0;
}

VMRPC_API int vmrpc_incall_in_buf(struct vmrpc_incall *call, uint64_t off, uint64_t len,
				  const void **ret_ptr)
{
	void *p;
	int err = callee_arena_ptr(call, off, len, &p);

	if (err < 0)
		return err;
	*ret_ptr = p;
	return 0;
}

VMRPC_API int vmrpc_incall_out_buf(struct vmrpc_incall *call, uint64_t off, uint64_t len,
				   void **ret_ptr)
{
	return callee_arena_ptr(call, off, len, ret_ptr);
}

VMRPC_API int vmrpc_incall_get_str(struct vmrpc_incall *call, const struct vmrpc_wire_str *wire,
				   uint32_t max_len, char *buf)
{
	uint32_t len = wire->len;
	void *p;
	int err;

	if (len > max_len)
		return -EINVAL;
	err = callee_arena_ptr(call, wire->off, (uint64_t)len + 1, &p);
	if (err < 0)
		return err;
	memcpy(buf, p, (size_t)len + 1);
	if (buf[len] != '\0' || memchr(buf, '\0', len))
		return -EINVAL;
	return 0;
}

VMRPC_API int vmrpc_incall_put_str(struct vmrpc_incall *call, const struct vmrpc_wire_str *wire,
				   const char *s)
{
	size_t len = strlen(s);
	void *p;
	int err;

	err = callee_arena_ptr(call, wire->off, wire->len, &p);
	if (err < 0)
		return err;
	if (len + 1 > wire->len)
		return -ERANGE;
	memcpy(p, s, len + 1);
	return 0;
}
