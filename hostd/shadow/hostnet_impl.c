/* SPDX-License-Identifier: MIT */
/*
 * Host sockets (idl/hostnet.idl), run in the caller's shadow: socket
 * outsourcing. A socket is one of the shadow's descriptors. Address and
 * option buffers are copied into private memory before the kernel reads
 * them, since the guest can rewrite the arena at any moment.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostfs_impl.h"
#include "hostnet_types.h"
#include "shadow_fds.h"

#define HOSTNET_OPT_MAX 256

static int32_t hostnet_do_socket(void *ctx, int32_t domain, int32_t type, int32_t protocol)
{
	int fd = socket(domain, type | SOCK_CLOEXEC, protocol);

	return fd < 0 ? -errno : fd;
}

static int hostnet_addr_copy(const void *addr, uint32_t len, struct sockaddr_storage *ss)
{
	if (len > sizeof(*ss))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, addr, len);
	return 0;
}

static int32_t hostnet_do_bind(void *ctx, int32_t fd, const void *addr, uint32_t addrlen)
{
	struct sockaddr_storage ss;
	int err;

	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	err = hostnet_addr_copy(addr, addrlen, &ss);
	if (err < 0)
		return err;
	return bind(fd, (struct sockaddr *)&ss, addrlen) < 0 ? -errno : 0;
}

static int32_t hostnet_do_listen(void *ctx, int32_t fd, int32_t backlog)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return listen(fd, backlog) < 0 ? -errno : 0;
}

static int32_t hostnet_do_accept(void *ctx, int32_t fd, void *addr, uint32_t addr_size,
				 uint32_t *addrlen, int32_t flags)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int c;

	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	c = accept4(fd, (struct sockaddr *)&ss, &len, flags | SOCK_CLOEXEC);
	if (c < 0)
		return -errno;
	if (len > addr_size)
		len = addr_size; /* truncated, as accept(2) does */
	memcpy(addr, &ss, len);
	*addrlen = len;
	return c;
}

static int32_t hostnet_do_connect(void *ctx, int32_t fd, const void *addr, uint32_t addrlen)
{
	struct sockaddr_storage ss;
	int err;

	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	err = hostnet_addr_copy(addr, addrlen, &ss);
	if (err < 0)
		return err;
	return connect(fd, (struct sockaddr *)&ss, addrlen) < 0 ? -errno : 0;
}

static int64_t hostnet_do_send(void *ctx, int32_t fd, const void *buf, uint64_t count,
			       int32_t flags)
{
	ssize_t n;

	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	n = send(fd, buf, count > SSIZE_MAX ? SSIZE_MAX : count, flags | MSG_NOSIGNAL);
	return n < 0 ? -errno : n;
}

static int64_t hostnet_do_recv(void *ctx, int32_t fd, void *buf, uint64_t count, int32_t flags)
{
	ssize_t n;

	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	n = recv(fd, buf, count > SSIZE_MAX ? SSIZE_MAX : count, flags);
	return n < 0 ? -errno : n;
}

static int32_t hostnet_do_shutdown(void *ctx, int32_t fd, int32_t how)
{
	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	return shutdown(fd, how) < 0 ? -errno : 0;
}

static int32_t hostnet_do_getsockopt(void *ctx, int32_t fd, int32_t level, int32_t name,
				     void *val, uint32_t size, uint32_t *len)
{
	unsigned char opt[HOSTNET_OPT_MAX];
	socklen_t n = size < sizeof(opt) ? size : sizeof(opt);

	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	if (getsockopt(fd, level, name, opt, &n) < 0)
		return -errno;
	if (n > size)
		n = size;
	memcpy(val, opt, n);
	*len = n;
	return 0;
}

static int32_t hostnet_do_setsockopt(void *ctx, int32_t fd, int32_t level, int32_t name,
				     const void *val, uint32_t len)
{
	unsigned char opt[HOSTNET_OPT_MAX];

	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	if (len > sizeof(opt))
		return -EINVAL;
	memcpy(opt, val, len);
	return setsockopt(fd, level, name, opt, len) < 0 ? -errno : 0;
}

static int32_t hostnet_name(int fd, int peer, void *addr, uint32_t addr_size, uint32_t *addrlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int r;

	if (!shadow_fd_guest_ok(fd))
		return -EBADF;
	r = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		 : getsockname(fd, (struct sockaddr *)&ss, &len);
	if (r < 0)
		return -errno;
	if (len > addr_size)
		len = addr_size; /* truncated, as getsockname(2) does */
	memcpy(addr, &ss, len);
	*addrlen = len;
	return 0;
}

static int32_t hostnet_do_getsockname(void *ctx, int32_t fd, void *addr, uint32_t addr_size,
				      uint32_t *addrlen)
{
	return hostnet_name(fd, 0, addr, addr_size, addrlen);
}

static int32_t hostnet_do_getpeername(void *ctx, int32_t fd, void *addr, uint32_t addr_size,
				      uint32_t *addrlen)
{
	return hostnet_name(fd, 1, addr, addr_size, addrlen);
}

static int32_t hostnet_do_resolve(void *ctx, const char *node, const char *service,
				  int32_t family, int32_t socktype, int32_t flags, void *answers,
				  uint32_t answers_size)
{
	struct addrinfo hints = { .ai_family = family, .ai_socktype = socktype,
				  .ai_flags = flags & ~AI_CANONNAME };
	struct addrinfo *res, *ai;
	struct hostnet_addrinfo rec;
	uint32_t used = 0;
	int r;

	r = getaddrinfo(*node ? node : NULL, *service ? service : NULL, &hints, &res);
	if (r != 0)
		return r == EAI_SYSTEM ? -errno : -(HOSTNET_EAI_BASE - r);
	for (ai = res; ai && used + sizeof(rec) <= answers_size; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(rec.addr))
			continue;
		memset(&rec, 0, sizeof(rec));
		rec.family = ai->ai_family;
		rec.socktype = ai->ai_socktype;
		rec.protocol = ai->ai_protocol;
		rec.addrlen = ai->ai_addrlen;
		memcpy(rec.addr, ai->ai_addr, ai->ai_addrlen);
		memcpy((unsigned char *)answers + used, &rec, sizeof(rec));
		used += sizeof(rec);
	}
	freeaddrinfo(res);
	return (int32_t)used;
}

const struct hostnet_ops hostnet_impl_ops = {
	.socket = hostnet_do_socket,
	.bind_addr = hostnet_do_bind,
	.listen = hostnet_do_listen,
	.accept = hostnet_do_accept,
	.connect = hostnet_do_connect,
	.send = hostnet_do_send,
	.recv = hostnet_do_recv,
	.shutdown = hostnet_do_shutdown,
	.getsockopt = hostnet_do_getsockopt,
	.setsockopt = hostnet_do_setsockopt,
	.getsockname = hostnet_do_getsockname,
	.getpeername = hostnet_do_getpeername,
	.resolve = hostnet_do_resolve,
};
