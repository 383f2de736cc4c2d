/* SPDX-License-Identifier: MIT */
/* What a generated skeleton calls to reach a request's strings and buffers:
 * every offset from the caller goes through one bounds check against this
 * channel's arena, and strings are copied before they are checked. */
#include <errno.h>
#include <string.h>

#include "region.h"
#include "vmrpc/stub.h"

/* The one bounds check every pointer from the channel goes through. */
static int callee_arena_ptr(struct vmrpc_incall *call, uint64_t off, uint64_t len,
			    void **ret_ptr)
{
	if (!arena_holds(call->arena, off, len))
		return -EFAULT;
	if (ret_ptr)
		*ret_ptr = region_off_to_ptr(call->arena, off);
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

VMRPC_API int vmrpc_incall_put_str(struct vmrpc_incall *call, uint64_t off, uint32_t room,
				   const char *s)
{
	size_t len = strlen(s);
	void *p;
	int err;

	err = callee_arena_ptr(call, off, room, &p);
	if (err < 0)
		return err;
	if (len + 1 > room)
		return -ERANGE;
	memcpy(p, s, len + 1);
	return 0;
}
