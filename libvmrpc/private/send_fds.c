/* SPDX-License-Identifier: MIT */
/* One message with descriptors over a unix socket (vmrpc_private.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "vmrpc_private.h"

int vmrpc_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds,
		   int flags)
{
	union {
		char buf[CMSG_SPACE(VMRPC_SEND_FDS_MAX * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (n_fds > VMRPC_SEND_FDS_MAX)
		return -EINVAL;
	if (n_fds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), fds, n_fds * sizeof(int));
	}
	do
		n = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EPIPE;
}
