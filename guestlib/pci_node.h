/* SPDX-License-Identifier: MIT */
/* The vmrpc.ko device of a PCI function: its class device is a child of
 * the PCI device in sysfs (.../<dev>/vmrpc/vmrpcN). Shared by
 * libvmrpc-guest (pci.c) and vmrpc-guestd's agent (a static library of its
 * own: libvmrpc-guest does not export it). */
#ifndef GUESTLIB_PCI_NODE_H
#define GUESTLIB_PCI_NODE_H

#include <stddef.h>

#define PCI_NODE_DEVICES "/sys/bus/pci/devices"

/* "/dev/vmrpcN" for PCI function dev ("0000:00:10.0"), or -ENODEV. */
int pci_node_of(const char *dev, char *buf, size_t size);
/* The same for the first function in address order that vmrpc.ko drives:
 * the device "sysfs:" picks, since the driver binds exactly the ivshmem
 * devices whose memory holds a vmrpc region. */
int pci_node_first(char *buf, size_t size);

#endif /* GUESTLIB_PCI_NODE_H */
