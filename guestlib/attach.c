/* SPDX-License-Identifier: MIT */
/* Finding and attaching the region from the guest side: a named file on
 * loopback, an ivshmem PCI device ("pci:", pci.c) in a VM. */
#include <stdlib.h>
#include <string.h>

#include "pci.h"
#include "vmrpc/guest.h"

/* Region names cannot hold ':', so this prefix is never a loopback name. */
#define ATTACH_PCI_PREFIX "pci:"

VMRPC_API const char *vmrpc_guest_default_region(void)
{
	const char *name = getenv("VMRPC_REGION");

	return name && *name ? name : "default";
}

VMRPC_API int vmrpc_guest_attach(const char *name, struct vmrpc_guest *ret_guest)
{
	struct vmrpc_region *r;
	struct vmrpc_chan *ch;
	int err;

	if (!name)
		name = vmrpc_guest_default_region();
	if (!strncmp(name, ATTACH_PCI_PREFIX, strlen(ATTACH_PCI_PREFIX))) {
		name += strlen(ATTACH_PCI_PREFIX);
		err = pci_region_open(*name ? name : NULL, &r);
	} else {
		err = vmrpc_region_open(name, &r);
	}
	if (err < 0)
		return err;
	err = vmrpc_chan_open(r, 0, &ch);
	if (err < 0) {
		vmrpc_region_close(r);
		return err;
	}
	ret_guest->region = r;
	ret_guest->chan = ch;
	return 0;
}

VMRPC_API void vmrpc_guest_detach(struct vmrpc_guest *g)
{
	if (!g)
		return;
	vmrpc_chan_close(g->chan);
	vmrpc_region_close(g->region);
	g->chan = NULL;
	g->region = NULL;
}
