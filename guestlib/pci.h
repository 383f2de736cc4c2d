/* SPDX-License-Identifier: MIT */
/* Finding vmrpc's ivshmem device from inside a guest. */
#ifndef GUESTLIB_PCI_H
#define GUESTLIB_PCI_H

#include "vmrpc/vmrpc.h"

/* Open the region of an ivshmem PCI device (vendor 0x1af4, device 0x1110):
 * the one at bdf ("0000:00:04.0"), or with bdf NULL the first, in address
 * order, whose shared memory holds a vmrpc region; devices that carry
 * anything else are left alone, so several ivshmem devices can coexist.
 * -ENODEV: no ivshmem device (or none at bdf); -VMRPC_EMAGIC: none is
 * vmrpc's; -EACCES: not allowed to open the device's resource files (see
 * docs/qemu.md for a udev rule). With how PCI_AUTO, a device that vmrpc.ko
 * bound is opened through its /dev/vmrpcN (vmrpc_region_open_dev); with
 * PCI_SYSFS always through its sysfs resource files (root: the whole
 * region, read-write, as vmrpc-guestd needs it). */
enum { PCI_AUTO, PCI_SYSFS };
int pci_region_open(const char *bdf, int how, struct vmrpc_region **ret_region);

#endif /* GUESTLIB_PCI_H */
