/* SPDX-License-Identifier: MIT */
/* The registries: the interfaces a region's callees serve, in its header:
 * hostd's (host calls) and guestd's (guest-sourced calls). */
#include <errno.h>
#include <string.h>

#include "region.h"
#include "sync.h"

static int registry_check(const struct vmrpc_iface *const *ifaces, size_t n, size_t max)
{
	if (n > max)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(ifaces[i]->name);
		if (len == 0 || len >= VMRPC_REG_NAME_MAX)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ifaces[i]->name, ifaces[j]->name))
				return -EEXIST;
	}
	return 0;
}

static void registry_write(struct vmrpc_reg_entry *table, size_t max, uint32_t *count,
			   const struct vmrpc_iface *const *ifaces, size_t n)
{
	sync_store_release(count, 0);
	memset(table, 0, max * sizeof(*table));
	for (size_t i = 0; i < n; i++) {
		struct vmrpc_reg_entry *e = &table[i];
		memcpy(e->name, ifaces[i]->name, strlen(ifaces[i]->name));
		e->version = ifaces[i]->version;
		e->n_methods = ifaces[i]->n_methods;
		e->sig_hash = ifaces[i]->sig_hash;
	}
	sync_store_release(count, (uint32_t)n);
}

VMRPC_API int vmrpc_region_publish(struct vmrpc_region *r,
				   const struct vmrpc_iface *const *ifaces, size_t n)
{
	struct vmrpc_region_hdr *h = vmrpc_region_hdr(r);
	int err = registry_check(ifaces, n, VMRPC_REG_MAX);

	if (err < 0)
		return err;
	registry_write(h->registry, VMRPC_REG_MAX, &h->n_ifaces, ifaces, n);
	return 0;
}

VMRPC_API int vmrpc_region_publish_guest(struct vmrpc_region *r,
					 const struct vmrpc_iface *const *ifaces, size_t n)
{
	struct vmrpc_region_hdr *h = vmrpc_region_hdr(r);
	int err = registry_check(ifaces, n, VMRPC_GREG_MAX);

	if (err < 0)
		return err;
	registry_write(h->guest_registry, VMRPC_GREG_MAX, &h->guest_n_ifaces, ifaces, n);
	return 0;
}

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
