/* SPDX-License-Identifier: MIT */
/* Finding vmrpc's ivshmem device: sysfs lists every PCI function with its
 * ids, and its BARs as resource files a process can mmap. That is all this
 * needs, so no libpci. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pci.h"
#include "pci_node.h"

#define PCI_DEVICES "/sys/bus/pci/devices"
#define PCI_VENDOR_REDHAT 0x1af4
#define PCI_DEVICE_IVSHMEM 0x1110

/* The hex id in a sysfs file like "vendor" ("0x1af4\n"), or -1. */
static long pci_read_id(const char *dev, const char *file)
{
	char path[PATH_MAX], buf[16];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", dev, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 16);
}

static int pci_is_ivshmem(const char *dev)
{
	return pci_read_id(dev, "vendor") == PCI_VENDOR_REDHAT &&
	       pci_read_id(dev, "device") == PCI_DEVICE_IVSHMEM;
}

static int pci_open_resource(const char *dev, int bar)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource%d", dev, bar);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int pci_open_device(const char *dev, int how, struct vmrpc_region **ret_region)
{
	char node[64];
	int shm, regs, err;

	/* vmrpc.ko bound it (it did so only for a vmrpc region): its device,
	 * whose channels are private and which anyone in its group may open. */
	if (how == PCI_AUTO && pci_node_of(dev, node, sizeof(node)) == 0)
		return vmrpc_region_open_dev(node, ret_region);

	shm = pci_open_resource(dev, 2);
	if (shm < 0)
		return shm;
	regs = pci_open_resource(dev, 0);
	if (regs < 0) {
		close(shm);
		return regs;
	}
	err = vmrpc_region_open_ivshmem(shm, regs, ret_region);
	close(regs);
	close(shm);
	return err;
}

static int pci_skip_dots(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int pci_region_open(const char *bdf, int how, struct vmrpc_region **ret_region)
{
	struct dirent **list;
	int n, err = -ENODEV;

	n = scandir(PCI_DEVICES, &list, pci_skip_dots, alphasort);
	if (n < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	for (int i = 0; i < n; i++) {
		const char *dev = list[i]->d_name;
		int r;

		if ((bdf && strcmp(dev, bdf)) || !pci_is_ivshmem(dev))
			continue;
		r = pci_open_device(dev, how, ret_region);
		if (r == 0) {
			err = 0;
			break;
		}
		/* Another application's device: look further. Any other error
		 * is worth more than "not vmrpc's". */
		if (err == -ENODEV || r != -VMRPC_EMAGIC)
			err = r;
		if (bdf)
			break;
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return err;
}
