/* SPDX-License-Identifier: MIT */
/* The registries: the interfaces a region's callees serve, in its header:
 * hostd's (host calls) and guestd's (guest-sourced calls). */
#include <errno.h>
#include <string.h>

#include "region.h"
#include "sync.h"

/* The guest registry is written by the guest: each entry is copied before
 * it is compared, and the count is bounded, so a guest rewriting it under
 * us can make a bind fail but not read outside the table. */
int registry_lookup(struct vmrpc_region *r, const struct vmrpc_iface *iface, int guest,
		    uint32_t *ret_slot)
{
	const struct vmrpc_region_hdr *h = vmrpc_region_hdr(r);
	const struct vmrpc_reg_entry *table = guest ? h->guest_registry : h->registry;
	uint32_t max = guest ? VMRPC_GREG_MAX : VMRPC_REG_MAX;
	uint32_t n = sync_load_acquire(guest ? &h->guest_n_ifaces : &h->n_ifaces);
	size_t len = strlen(iface->name);

	if (n > max)
		n = max;
	if (len >= VMRPC_REG_NAME_MAX)
		return -VMRPC_ENOIFACE;
	for (uint32_t i = 0; i < n; i++) {
		struct vmrpc_reg_entry e;

		memcpy(&e, &table[i], sizeof(e));
		if (memcmp(e.name, iface->name, len + 1))
			continue;
		if (e.version != iface->version || e.sig_hash != iface->sig_hash ||
		    e.n_methods != iface->n_methods)
			return -VMRPC_ESIGNATURE;
		*ret_slot = i;
		return 0;
	}
	return -VMRPC_ENOIFACE;
}

VMRPC_API int vmrpc_region_lookup(struct vmrpc_region *r, const struct vmrpc_iface *iface,
				  uint32_t *ret_slot)
{
	return registry_lookup(r, iface, 0, ret_slot);
}
