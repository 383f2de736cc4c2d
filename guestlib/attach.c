/* SPDX-License-Identifier: MIT */
/* Finding and attaching the region from the guest side: a named file on
 * loopback, an ivshmem PCI device ("pci:", pci.c) in a VM. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pci.h"
#include "vmrpc/guest.h"

/* Region names cannot hold ':', so this prefix is never a loopback name. */
#define ATTACH_PCI_PREFIX "pci:"
#define ATTACH_SYSFS_PREFIX "sysfs:"
#define ATTACH_DEV_PREFIX "dev:"
#define ATTACH_FILE_PREFIX "file:"
#define ATTACH_DEFAULT_DEV "/dev/vmrpc0"

VMRPC_API const char *vmrpc_guest_default_region(void)
{
	const char *name = getenv("VMRPC_REGION");

	if (name && *name)
		return name;
	/* A guest with vmrpc.ko: its first device needs no configuration. */
	if (access(ATTACH_DEFAULT_DEV, F_OK) == 0)
		return ATTACH_DEV_PREFIX ATTACH_DEFAULT_DEV;
	return "default";
}

/* "file:PATH": a VM's region file seen as an ivshmem-plain guest sees its
 * BAR2 (the host side polls; doorbell writes land in a scratch page). Lets
 * a test play a VM's guest on the host. */
static int attach_file_open(const char *path, struct vmrpc_region **ret_region)
{
	int shm, regs, err;

	shm = open(path, O_RDWR | O_CLOEXEC);
	if (shm < 0)
		return errno == ENOENT ? -VMRPC_ENOHOSTD : -errno;
	regs = memfd_create("vmrpc-ivshmem-regs", MFD_CLOEXEC);
	if (regs < 0 || ftruncate(regs, 4096) < 0)
		err = -errno;
	else
		err = vmrpc_region_open_ivshmem(shm, regs, ret_region);
	if (regs >= 0)
		close(regs);
	close(shm);
	return err;
}

VMRPC_API int vmrpc_guest_region_open(const char *name, struct vmrpc_region **ret_region)
{
	if (!name)
		name = vmrpc_guest_default_region();
	if (!strncmp(name, ATTACH_PCI_PREFIX, strlen(ATTACH_PCI_PREFIX))) {
		name += strlen(ATTACH_PCI_PREFIX);
		return pci_region_open(*name ? name : NULL, PCI_AUTO, ret_region);
	}
	if (!strncmp(name, ATTACH_SYSFS_PREFIX, strlen(ATTACH_SYSFS_PREFIX))) {
		name += strlen(ATTACH_SYSFS_PREFIX);
		return pci_region_open(*name ? name : NULL, PCI_SYSFS, ret_region);
	}
	if (!strncmp(name, ATTACH_DEV_PREFIX, strlen(ATTACH_DEV_PREFIX)))
		return vmrpc_region_open_dev(name + strlen(ATTACH_DEV_PREFIX), ret_region);
	if (!strncmp(name, ATTACH_FILE_PREFIX, strlen(ATTACH_FILE_PREFIX)))
		return attach_file_open(name + strlen(ATTACH_FILE_PREFIX), ret_region);
	return vmrpc_region_open(name, ret_region);
}

VMRPC_API int vmrpc_guest_attach(const char *name, struct vmrpc_guest *ret_guest)
{
	struct vmrpc_region *r;
	struct vmrpc_chan *ch;
	int err;

	err = vmrpc_guest_region_open(name, &r);
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
