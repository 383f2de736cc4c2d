/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-vm-foreign BDF: an ivshmem device that carries someone else's data
 * must be refused, not used: attaching "pci:BDF" fails with
 * -VMRPC_EMAGIC, and "pci:" (the first vmrpc device) skips it. Exits 0
 * when both hold.
 */
#include <stdio.h>
#include <string.h>

#include "vmrpc/guest.h"

int main(int argc, char **argv)
{
	struct vmrpc_guest g;
	char name[64];
	int err, status = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: vmrpc-vm-foreign BDF\n");
		return 2;
	}
	snprintf(name, sizeof(name), "pci:%s", argv[1]);
	err = vmrpc_guest_attach(name, &g);
	printf("%sok - %s is refused: %s\n", err == -VMRPC_EMAGIC ? "" : "not ", name,
	       vmrpc_strerror(err));
	if (err != -VMRPC_EMAGIC) {
		status = 1;
		if (err == 0)
			vmrpc_guest_detach(&g);
	}
	err = vmrpc_guest_attach("pci:", &g);
	printf("%sok - pci: finds a vmrpc device beside it: %s\n", err == 0 ? "" : "not ",
	       vmrpc_strerror(err));
	if (err == 0)
		vmrpc_guest_detach(&g);
	else
		status = 1;
	return status;
}
