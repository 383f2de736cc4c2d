/* SPDX-License-Identifier: MIT */
/* Writing the registries: hostd's (the interfaces its shadows serve) and
 * guestd's (those it serves to host callers). */
#include <errno.h>
#include <string.h>

#include "region.h"
#include "sync.h"
#include "vmrpc_private.h"

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

int vmrpc_hostd_region_publish(struct vmrpc_region *r,
				   const struct vmrpc_iface *const *ifaces, size_t n)
{
	struct vmrpc_region_hdr *h = vmrpc_region_hdr(r);
	int err = registry_check(ifaces, n, VMRPC_REG_MAX);

	if (err < 0)
		return err;
	registry_write(h->registry, VMRPC_REG_MAX, &h->n_ifaces, ifaces, n);
	return 0;
}

int vmrpc_guestd_publish(struct vmrpc_region *r,
					 const struct vmrpc_iface *const *ifaces, size_t n)
{
	struct vmrpc_region_hdr *h = vmrpc_region_hdr(r);
	int err = registry_check(ifaces, n, VMRPC_GREG_MAX);

	if (err < 0)
		return err;
	registry_write(h->guest_registry, VMRPC_GREG_MAX, &h->guest_n_ifaces, ifaces, n);
	return 0;
}

