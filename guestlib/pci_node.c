/* SPDX-License-Identifier: MIT */
/* Which /dev/vmrpcN vmrpc.ko made for a PCI function (pci_node.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci_node.h"

int pci_node_of(const char *dev, char *buf, size_t size)
{
	char path[PATH_MAX];
	struct dirent *d;
	DIR *dir;
	int err = -ENODEV;

	snprintf(path, sizeof(path), PCI_NODE_DEVICES "/%s/vmrpc", dev);
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

int pci_node_first(char *buf, size_t size)
{
	struct dirent **list;
	int n, err = -ENODEV;

	n = scandir(PCI_NODE_DEVICES, &list, NULL, alphasort);
	if (n < 0)
		return -ENODEV;
	for (int i = 0; i < n; i++) {
		if (err < 0 && list[i]->d_name[0] != '.')
			err = pci_node_of(list[i]->d_name, buf, size);
		free(list[i]);
	}
	free(list);
	return err;
}
