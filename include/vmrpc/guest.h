/* SPDX-License-Identifier: MIT */
/*
 * The guest side's entry point: find the region and attach one channel,
 * which makes the calling process a guest caller with its own shadow.
 */
#ifndef VMRPC_GUEST_H
#define VMRPC_GUEST_H

#include "vmrpc/vmrpc.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vmrpc_guest {
	struct vmrpc_region *region;
	struct vmrpc_chan *chan;
};

/* The region used when none is named: $VMRPC_REGION, else
 * "dev:/dev/vmrpc0" when that device exists (vmrpc.ko), else "default". */
VMRPC_API const char *vmrpc_guest_default_region(void);

/* Map region name (NULL: the default) and attach a channel. A name
 * "pci:" is the first ivshmem PCI device of this guest that holds a vmrpc
 * region, "pci:0000:00:04.0" that device: through its /dev/vmrpcN when
 * vmrpc.ko drives it (a private channel, MSI-X wake-ups), else through its
 * sysfs resource files (root, polling); "sysfs:" and "sysfs:ADDR" always
 * the latter; "dev:/dev/vmrpc0" that device of vmrpc.ko (vmrpc(4)); any
 * other name is a loopback region. */
VMRPC_API int vmrpc_guest_attach(const char *name, struct vmrpc_guest *ret_guest);

/* Map region name (NULL: the default) without attaching a channel: "pci:",
 * "pci:ADDR", "sysfs:ADDR" and "dev:PATH" as above, "file:PATH" a VM's
 * region file mapped the way an ivshmem-plain guest maps its device (for
 * tests playing a VM's guest on the host), any other name a loopback
 * region. vmrpc-guestd uses it. */
VMRPC_API int vmrpc_guest_region_open(const char *name, struct vmrpc_region **ret_region);

/* Detach the channel and unmap the region. Accepts a zeroed struct. */
VMRPC_API void vmrpc_guest_detach(struct vmrpc_guest *guest);

#ifdef __cplusplus
}
#endif

#endif /* VMRPC_GUEST_H */
