/* SPDX-License-Identifier: MIT */
/* What generated caller stubs call: arena allocation, strings, invoke. */
#include <errno.h>
#include <string.h>

#include "chan.h"
#include "vmrpc/stub.h"

#define OUTCALL_ALIGN 16u

VMRPC_API void vmrpc_outcall_begin(const struct vmrpc_binding *b, struct vmrpc_outcall *ret_call)
{
	struct vmrpc_chan *ch = b->chan;

	ret_call->args = ch->hdr->args;
	ret_call->results = ch->hdr->results;
	ret_call->chan = ch;
	ret_call->iface_slot = b->iface_slot;
	ret_call->n_methods = b->n_methods;
	ret_call->arena_used = 0;
}

VMRPC_API int vmrpc_outcall_alloc(struct vmrpc_outcall *call, uint64_t len, uint64_t *ret_off,
				  void **ret_ptr)
{
	struct vmrpc_chan *ch = call->chan;
	uint64_t room = ch->arena_end - ch->arena_start;
	uint64_t off = call->arena_used;

	if (len > room - off)
		return -VMRPC_E2BIG;
	call->arena_used = (off + len + OUTCALL_ALIGN - 1) & ~(uint64_t)(OUTCALL_ALIGN - 1);
	if (call->arena_used > room)
		call->arena_used = room;
	*ret_off = ch->arena_start + off;
	*ret_ptr = ch->region->base + ch->arena_start + off;
	return 0;
}

VMRPC_API int vmrpc_outcall_put_str(struct vmrpc_outcall *call, const char *s, uint32_t max_len,
				    struct vmrpc_wire_str *ret_wire)
{
	size_t len = strnlen(s, (size_t)max_len + 1);
	uint64_t off;
	void *p;
	int err;

	if (len > max_len)
		return -ENAMETOOLONG;
	err = vmrpc_outcall_alloc(call, len + 1, &off, &p);
	if (err < 0)
		return err;
	memcpy(p, s, len + 1);
	ret_wire->off = off;
	ret_wire->len = (uint32_t)len;
	ret_wire->reserved = 0;
	return 0;
}

VMRPC_API int64_t vmrpc_outcall_invoke(struct vmrpc_outcall *call, uint32_t method,
				       uint32_t args_len)
{
	if (method >= call->n_methods)
		return -EINVAL;
	if (args_len > VMRPC_ARGS_SIZE)
		return -VMRPC_E2BIG;
	return chan_call(call->chan, call->iface_slot, method, args_len);
}

VMRPC_API int vmrpc_outcall_get_str(struct vmrpc_outcall *call, const struct vmrpc_wire_str *wire,
				    char *buf, size_t size)
{
	struct vmrpc_chan *ch = call->chan;
	const char *src;
	size_t n;

	/* The wire slot is our own (the stub wrote it), but its bytes were
	 * written by the callee: copy first, then look for the terminator. */
	if (wire->off < ch->arena_start || wire->off > ch->arena_end ||
	    wire->len > ch->arena_end - wire->off || wire->len == 0)
		return -EPROTO;
	src = (const char *)ch->region->base + wire->off;
	n = wire->len < size ? wire->len : size;
	if (n == 0)
		return -ERANGE;
	memcpy(buf, src, n);
	if (!memchr(buf, '\0', n)) {
		buf[0] = '\0'; /* never leave an unterminated string behind */
		return n < wire->len ? -ERANGE : -EPROTO;
	}
	return 0;
}
