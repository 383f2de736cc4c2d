/* SPDX-License-Identifier: MIT */
/*
 * String lists as calls carry them (an argv, an environment): n strings
 * back to back, each with its NUL. The unpacking side reads bytes a peer
 * wrote, and may be a daemon reading a hostile guest's or host's: it takes
 * a private copy before it looks, and accepts exactly n NULs with the last
 * byte one of them, nothing more lenient.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmrpc/vmrpc.h"

VMRPC_API int vmrpc_strv_pack(char *const *v, size_t n, char **ret_buf, size_t *ret_len)
{
	size_t len = 0, at = 0;
	char *buf;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]) + 1;

		if (l > SIZE_MAX - len)
			return -EOVERFLOW;
		len += l;
	}
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]) + 1;

		memcpy(buf + at, v[i], l);
		at += l;
	}
	*ret_buf = buf;
	*ret_len = len;
	return 0;
}

VMRPC_API int vmrpc_strv_unpack(const void *buf, size_t len, size_t n, char ***ret_v)
{
	char **v, *copy, *p;
	size_t k = 0;

	/* Every string needs its NUL: n above len is a lie, and checking it
	 * first bounds the allocation by what the peer actually sent. */
	if (n > len || (len && n == 0))
		return -EINVAL;
	if (len > (SIZE_MAX - sizeof(*v)) / (sizeof(*v) + 1))
		return -ENOMEM;
	/* One allocation: the n + 1 pointers, then the copy they point into. */
	v = malloc((n + 1) * sizeof(*v) + len);
	if (!v)
		return -ENOMEM;
	copy = (char *)(v + n + 1);
	memcpy(copy, buf, len);
	/* From here on only the copy is read: the peer may rewrite buf. */
	if (len && copy[len - 1] != '\0') {
		free(v);
		return -EINVAL;
	}
	for (p = copy; p < copy + len; p += strlen(p) + 1) {
		if (k == n) {
			free(v);
			return -EINVAL;
		}
		v[k++] = p;
	}
	if (k != n) {
		free(v);
		return -EINVAL;
	}
	v[n] = NULL;
	*ret_v = v;
	return 0;
}
