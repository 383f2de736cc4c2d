/* SPDX-License-Identifier: MIT */
/* Writing to descriptors, as programs built on vmrpc pump data. */
#include <errno.h>
#include <unistd.h>

#include "vmrpc/vmrpc.h"

VMRPC_API int vmrpc_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0) /* not for len > 0 on anything but odd devices: no spinning */
			return -EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}
