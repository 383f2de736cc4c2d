/* SPDX-License-Identifier: MIT */
/* What generated caller stubs call: arena allocation, strings, invoke. */
#include <errno.h>
#include <string.h>

#include "chan.h"
#include "vmrpc/stub.h"

#define OUTCALL_ALIGN 16u

VMRPC_API int vmrpc_outcall_begin(const struct vmrpc_binding *b, struct vmrpc_outcall *ret_call)
{
	struct vmrpc_chan *ch = b->chan;
	int err = chan_drain(ch);

	if (err < 0)
		return err;
	ret_call->args = ch->hdr->args;
	ret_call->results = ch->hdr->results;
	ret_call->res_len = 0;
	ret_call->chan = ch;
	ret_call->iface_slot = b->iface_slot;
	ret_call->n_methods = b->n_methods;
	ret_call->arena_used = 0;
	return 0;
}

VMRPC_API int vmrpc_outcall_alloc(struct vmrpc_outcall *call, uint64_t len, uint64_t *ret_off,
				  void **ret_ptr)
{
	struct vmrpc_chan *ch = call->chan;
	uint64_t room = ch->user_lo - ch->arena.start; /* kept buffers sit above */
	uint64_t off = call->arena_used;

	if (len > room - off)
		return -VMRPC_E2BIG;
	call->arena_used = (off + len + OUTCALL_ALIGN - 1) & ~(uint64_t)(OUTCALL_ALIGN - 1);
	if (call->arena_used > room)
		call->arena_used = room;
	*ret_off = ch->arena.start + off;
	*ret_ptr = region_off_to_ptr(&ch->arena, ch->arena.start + off);
	return 0;
}

VMRPC_API int vmrpc_outcall_buf(struct vmrpc_outcall *call, const void *buf, uint64_t len,
				bool copy_in, uint64_t *ret_off, void **ret_slot)
{
	uint64_t off = chan_buf_off(call->chan, buf, len);
	void *slot;
	int err;

	if (off) {
		*ret_off = off;
		*ret_slot = (void *)buf;
		return 0;
	}
	err = vmrpc_outcall_alloc(call, len, &off, &slot);
	if (err < 0)
		return err;
	if (copy_in && len > 0)
		memcpy(slot, buf, (size_t)len);
	*ret_off = off;
	*ret_slot = slot;
	return 0;
}

VMRPC_API int vmrpc_outcall_put_str(struct vmrpc_outcall *call, const char *s, uint32_t max_len,
				    uint32_t room, struct vmrpc_wire_str *ret_wire)
{
	size_t len = strnlen(s, (size_t)max_len + 1);
	uint64_t off;
	void *p;
	int err;

	if (len > max_len)
		return -ENAMETOOLONG;
	err = vmrpc_outcall_alloc(call, room > len ? room : len + 1, &off, &p);
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
	int64_t status;

	if (method >= call->n_methods)
		return -EINVAL;
	if (args_len > VMRPC_ARGS_SIZE)
		return -VMRPC_E2BIG;
	status = chan_call(call->chan, call->iface_slot, method, args_len);
	call->res_len = __atomic_load_n(&call->chan->hdr->rep.res_len, __ATOMIC_RELAXED);
	return status;
}

VMRPC_API int vmrpc_outcall_send(struct vmrpc_outcall *call, uint32_t method,
				 uint32_t args_len)
{
	if (method >= call->n_methods)
		return -EINVAL;
	if (args_len > VMRPC_ARGS_SIZE)
		return -VMRPC_E2BIG;
	return chan_send(call->chan, call->iface_slot, method, args_len);
}

VMRPC_API int vmrpc_outcall_start(struct vmrpc_outcall *call, uint32_t method,
				  uint32_t args_len)
{
	if (method >= call->n_methods)
		return -EINVAL;
	if (args_len > VMRPC_ARGS_SIZE)
		return -VMRPC_E2BIG;
	return chan_start(call->chan, call->iface_slot, method, args_len);
}

VMRPC_API int vmrpc_outcall_ready(struct vmrpc_outcall *call)
{
	return chan_reply_ready(call->chan);
}

VMRPC_API int64_t vmrpc_outcall_finish(struct vmrpc_outcall *call)
{
	int64_t status = chan_finish(call->chan);

	call->res_len = __atomic_load_n(&call->chan->hdr->rep.res_len, __ATOMIC_RELAXED);
	return status;
}

VMRPC_API int vmrpc_outcall_get_str(struct vmrpc_outcall *call, uint64_t off, uint32_t room,
				    char *buf, size_t size)
{
	struct vmrpc_chan *ch = call->chan;
	const char *src, *nul;
	size_t len;

	if (!arena_holds(&ch->arena, off, room) || room == 0)
		return -EPROTO;
	src = region_off_to_ptr(&ch->arena, off);
	/* Check before writing buf, which stays untouched on failure. The
	 * callee may still rewrite the slot: copy len bytes and write the NUL
	 * ourselves, so buf holds a terminated string whatever it does. */
	nul = memchr(src, '\0', room);
	if (!nul)
		return -EPROTO;
	len = (size_t)(nul - src);
	if (len >= size)
		return -ERANGE;
	memcpy(buf, src, len);
	buf[len] = '\0';
	return 0;
}
