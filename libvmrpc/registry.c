/* SPDX-License-Identifier: MIT */
/* The registry: the interfaces a region's callee side serves, in its header. */
#include <errno.h>
#include <string.h>

#include "region.h"
#include "sync.h"

VMRPC_API int vmrpc_region_publish(struct vmrpc_region *r,
				   const struct vmrpc_iface *const *ifaces, size_t n)
{
	struct vmrpc_region_hdr *h = vmrpc_region_hdr(r);

	if (n > VMRPC_REG_MAX)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(ifaces[i]->name);
		if (len == 0 || len >= VMRPC_REG_NAME_MAX)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ifaces[i]->name, ifaces[j]->name))
				return -EEXIST;
	}
	sync_store_release(&h->n_ifaces, 0);
	memset(h->registry, 0, sizeof(h->registry));
	for (size_t i = 0; i < n; i++) {
		struct vmrpc_reg_entry *e = &h->registry[i];
		memcpy(e->name, ifaces[i]->name, strlen(ifaces[i]->name));
		e->version = ifaces[i]->version;
		e->n_methods = ifaces[i]->n_methods;
		e->sig_hash = ifaces[i]->sig_hash;
	}
	sync_store_release(&h->n_ifaces, (uint32_t)n);
	return 0;
}

VMRPC_API int vmrpc_region_lookup(struct vmrpc_region *r, const struct vmrpc_iface *iface,
				  uint32_t *ret_slot)
{
	const struct vmrpc_region_hdr *h = vmrpc_region_hdr(r);
	uint32_t n = sync_load_acquire(&h->n_ifaces);
	size_t len = strlen(iface->name);

	if (n > VMRPC_REG_MAX)
		n = VMRPC_REG_MAX;
	if (len >= VMRPC_REG_NAME_MAX)
		return -VMRPC_ENOIFACE;
	for (uint32_t i = 0; i < n; i++) {
		const struct vmrpc_reg_entry *e = &h->registry[i];
		if (memcmp(e->name, iface->name, len + 1))
			continue;
		if (e->version != iface->version || e->sig_hash != iface->sig_hash ||
		    e->n_methods != iface->n_methods)
			return -VMRPC_ESIGNATURE;
		*ret_slot = i;
		return 0;
	}
	return -VMRPC_ENOIFACE;
}
