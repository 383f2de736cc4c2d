/* SPDX-License-Identifier: MIT */
/* Finding and attaching the region from the guest side. On loopback the
 * region is a named file; the ivshmem transports plug in here. */
#include <stdlib.h>

#include "vmrpc/guest.h"

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

	err = vmrpc_region_open(name ? name : vmrpc_guest_default_region(), &r);
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
