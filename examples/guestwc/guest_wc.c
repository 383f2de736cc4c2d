/* SPDX-License-Identifier: MIT */
/* guest-wc VM FILE...: wc(1) of guest files, counted in the guest of VM by
 * the wordcount interface its guestd serves. A host program calling a
 * guest-sourced interface: vmrpc_vm_open(), bind, call. */
#include <stdio.h>

#include "vmrpc/vmrpc.h"
#include "wordcount_caller.h"

int main(int argc, char **argv)
{
	struct vmrpc_binding b;
	struct vmrpc_chan *ch;
	int err, status = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: guest-wc VM FILE...\n");
		return 2;
	}
	err = vmrpc_vm_open(argv[1], 0, &ch);
	if (err < 0) {
		fprintf(stderr, "guest-wc: VM '%s': %s\n", argv[1], vmrpc_strerror(err));
		return 1;
	}
	err = wordcount_bind(ch, &b);
	if (err < 0) {
		fprintf(stderr, "guest-wc: VM '%s': wordcount: %s\n", argv[1], vmrpc_strerror(err));
		vmrpc_chan_close(ch);
		return 1;
	}
	for (int i = 2; i < argc; i++) {
		uint64_t lines, words, bytes;

		err = wordcount_count(&b, argv[i], &lines, &words, &bytes);
		if (err < 0) {
			fprintf(stderr, "guest-wc: guest:%s: %s\n", argv[i], vmrpc_strerror(err));
			status = 1;
			continue;
		}
		printf("%llu %llu %llu %s\n", (unsigned long long)lines, (unsigned long long)words,
		       (unsigned long long)bytes, argv[i]);
	}
	vmrpc_chan_close(ch);
	return status;
}
