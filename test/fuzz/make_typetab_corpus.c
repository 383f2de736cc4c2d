/* SPDX-License-Identifier: MIT */
/* Writes the seeds of fuzz_typetab (corpus_typetab/): the type tables
 * vmrpc-stubgen generated for the tree's interfaces, one file each.
 * fuzz_make_typetab_corpus DIR */
#include <stdio.h>

#include "guestexec_common.h"
#include "hostcalls_common.h"
#include "hostfs_common.h"
#include "hostnet_common.h"
#include "hostproc_common.h"
#include "vfs_common.h"

int main(int argc, char **argv)
{
	const struct vmrpc_iface *ifaces[] = { &hostcalls_iface, &hostfs_iface, &hostproc_iface,
					       &hostnet_iface, &guestexec_iface, &vfs_iface };

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(ifaces) / sizeof(ifaces[0]); i++) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.vtt", argv[1], ifaces[i]->name);
		f = fopen(path, "wb");
		if (!f || fwrite(ifaces[i]->type_table, 1, ifaces[i]->type_table_len, f) !=
				  ifaces[i]->type_table_len ||
		    fclose(f)) {
			perror(path);
			return 1;
		}
	}
	return 0;
}
