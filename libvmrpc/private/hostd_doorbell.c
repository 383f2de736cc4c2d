/* SPDX-License-Identifier: MIT */
/* The loopback doorbell, hostd's side: the socket callers ring, and the
 * datagrams with the kernel's word on who sent them. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "region.h"
#include "vmrpc_private.h"

int vmrpc_hostd_doorbell_listen(struct vmrpc_region *r, int *ret_fd)
{
	struct sockaddr_un a;
	struct stat st;
	int one = 1, fd, err;

	/* Only the region's owner may take the socket over (below). */
	if (!r->host)
		return -EPERM;
	err = doorbell_addr(r, &a);
	if (err < 0)
		return err;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		goto fail_errno;
	/* We hold the region lock, so a socket left here is a dead hostd's. */
	if (lstat(a.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(a.sun_path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || chmod(a.sun_path, r->mode) < 0)
		goto fail_errno;
	*ret_fd = fd;
	return 0;
fail_errno:
	err = -errno;
	close(fd);
	return err;
}

/* The descriptors of one SCM_RIGHTS message: up to 2 kept, the rest closed. */
static int doorbell_take_fds(const struct cmsghdr *c, int fds[2])
{
	size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	int fd, extra = 0;

	for (size_t i = 0; i < n; i++) {
		memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		if (i < 2 && fds[i] < 0) {
			fds[i] = fd;
		} else {
			close(fd);
			extra = 1;
		}
	}
	return extra;
}

int vmrpc_hostd_doorbell_recv(int fd, struct vmrpc_doorbell *ret_bell)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct vmrpc_doorbell_msg m;
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	struct ucred uc;
	int fds[2] = { -1, -1 }, creds = 0, bad = 0;
	ssize_t n;

	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	/* Whatever descriptors came are ours now: keep two, close the rest. */
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			bad |= doorbell_take_fds(c, fds);
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
			   c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			creds = 1;
		}
	}
	if (bad || !creds || n != (ssize_t)sizeof(m) ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		return -EPROTO;
	}
	ret_bell->msg = m;
	ret_bell->pid = uc.pid;
	ret_bell->uid = uc.uid;
	ret_bell->gid = uc.gid;
	ret_bell->fds[0] = fds[0];
	ret_bell->fds[1] = fds[1];
	return 0;
}

