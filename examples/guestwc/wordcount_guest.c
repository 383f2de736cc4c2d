/* SPDX-License-Identifier: MIT */
/* The guest side of wordcount.idl: a service module for vmrpc-guestd
 * (guestd.conf: service = /path/to/wordcount_guest.so). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "vmrpc/module.h"
#include "wordcount_callee.h"

static int32_t wc_count(void *ctx, const char *path, uint64_t *lines, uint64_t *words,
			uint64_t *bytes)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC), in_word = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	*lines = *words = *bytes = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		*bytes += (uint64_t)n;
		for (ssize_t i = 0; i < n; i++) {
			*lines += buf[i] == '\n';
			if (isspace((unsigned char)buf[i]))
				in_word = 0;
			else if (!in_word)
				in_word = 1, ++*words;
		}
	}
	close(fd);
	return n < 0 ? -errno : 0;
}

static const struct wordcount_ops wc_ops = { .count = wc_count };

static const struct vmrpc_service wc_services[] = {
	{ &wordcount_iface, wordcount_dispatch, &wc_ops, NULL },
};

VMRPC_MODULE_EXPORT const struct vmrpc_module vmrpc_module = {
	.abi_version = VMRPC_ABI_VERSION,
	.n_services = 1,
	.services = wc_services,
};
