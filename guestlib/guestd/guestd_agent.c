/* SPDX-License-Identifier: MIT */
/* vmrpc-guestd on vmrpc.ko: the agent's file of the region's /dev/vmrpcN.
 * guestd keeps mapping the whole region through sysfs (it writes the boot
 * id and the guest registry, and looks at every channel), and uses the
 * device only to sleep: until hostd raises vector 0 (guest_bell moved),
 * and, per served channel, until its host caller raises the channel's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "guestd_agent.h"
#include "vmrpc/dev.h"

#define AGENT_PCI_DEVICES "/sys/bus/pci/devices"

/* The vmrpcN that vmrpc.ko made for PCI function dev (its class device is
 * a child of the PCI device in sysfs). */
static int agent_node(const char *dev, char *buf, size_t size)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int err = -ENODEV;

	snprintf(path, sizeof(path), AGENT_PCI_DEVICES "/%s/vmrpc", dev);
	dir = opendir(path);
	if (!dir)
		return -ENODEV;
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, "vmrpc", 5) && strlen(d->d_name) < 16) {
			snprintf(buf, size, "/dev/%.15s", d->d_name);
			err = 0;
			break;
		}
	closedir(dir);
	return err;
}

/* The first PCI function, in address order, that vmrpc.ko drives: the
 * same device "sysfs:" picks, since the driver binds exactly the ivshmem
 * devices whose memory holds a vmrpc region. */
static int agent_first(char *buf, size_t size)
{
	struct dirent **list;
	int n, err = -ENODEV;

	n = scandir(AGENT_PCI_DEVICES, &list, NULL, alphasort);
	if (n < 0)
		return -ENODEV;
	for (int i = 0; i < n; i++) {
		if (err < 0 && list[i]->d_name[0] != '.')
			err = agent_node(list[i]->d_name, buf, size);
		free(list[i]);
	}
	free(list);
	return err;
}

int guestd_agent_open(const char *bdf)
{
	struct vmrpc_dev_info info;
	char node[64];
	int fd, err;

	err = bdf && *bdf ? agent_node(bdf, node, sizeof(node)) : agent_first(node, sizeof(node));
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
