/* SPDX-License-Identifier: MIT */
/* vmrpc-guestd on vmrpc.ko: the agent's file of the region's /dev/vmrpcN.
 * guestd keeps mapping the whole region through sysfs (it writes the boot
 * id and the guest registry, and looks at every channel), and uses the
 * device only to sleep: until hostd raises vector 0 (guest_bell moved),
 * and, per served channel, until its host caller raises the channel's. */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guestd_agent.h"
#include "pci_node.h"
#include "vmrpc/dev.h"

int guestd_agent_open(const char *bdf)
{
	struct vmrpc_dev_info info;
	char node[64];
	int fd, err;

	err = bdf && *bdf ? pci_node_of(bdf, node, sizeof(node)) : pci_node_first(node, sizeof(node));
	if (err < 0)
		return err;
	fd = open(node, O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, VMRPC_DEV_AGENT) < 0 || ioctl(fd, VMRPC_DEV_INFO, &info) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!(info.flags & VMRPC_DEV_F_IRQ)) { /* ivshmem-plain: nothing to sleep on */
		close(fd);
		return -EOPNOTSUPP;
	}
	return fd;
}

void guestd_agent_drain(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: no interrupt since the last look */
	}
}
