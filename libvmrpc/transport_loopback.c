/* SPDX-License-Identifier: MIT */
/* Loopback: a host program and hostd on one kernel. The caller rings hostd
 * on a datagram socket beside the region's socket (the kernel stamps each
 * datagram with the sender's pid, uid and gid), and a futex on the shared
 * word both wakes the callee and puts the caller to sleep. A region mapped
 * from a descriptor (vmrpc_region_open_fd) is on the same kernel but has no
 * doorbell: transport_shared. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "chan.h"
#include "region.h"
#include "sync.h"
#include "transport.h"

int doorbell_addr(struct vmrpc_region *r, struct sockaddr_un *ret_addr)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int err = vmrpc_region_path(r->name, ".sock", a.sun_path, sizeof(a.sun_path));

	if (err < 0)
		return err;
	*ret_addr = a;
	return 0;
}

int transport_loopback_open(struct vmrpc_region *r)
{
	int err = doorbell_addr(r, &r->bell_addr);

	if (err < 0)
		return err;
	r->bell_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->bell_fd < 0)
		return -errno;
	r->transport = &transport_loopback;
	return 0;
}

static int loopback_ring(struct vmrpc_region *r, uint32_t op, uint32_t i, uint64_t nonce,
			 int timeout_ms)
{
	struct vmrpc_doorbell_msg m = { .op = op, .chan_index = i, .nonce = nonce };
	uint64_t deadline = sync_now_ns() + (uint64_t)timeout_ms * 1000000u;

	/* Never block on hostd: its socket queues only a few datagrams
	 * (net.unix.max_dgram_qlen), and a stopped or wedged hostd must cost
	 * a caller a timeout, not its thread. */
	while (sendto(r->bell_fd, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT,
		      (struct sockaddr *)&r->bell_addr, sizeof(r->bell_addr)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			return -VMRPC_ENOHOSTD;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (sync_now_ns() >= deadline)
			return -VMRPC_ENOHOSTD;
		usleep(1000);
	}
	return 0;
}

static void loopback_wake_callee(struct vmrpc_region *r, uint32_t i, uint32_t *req_seq)
{
	sync_futex_wake(req_seq);
}

static int loopback_wait(struct vmrpc_region *r, uint32_t *word, uint32_t seen,
			 uint64_t timeout_ns, uint64_t *backoff_ns)
{
	int err = sync_futex_wait(word, seen, timeout_ns);

	return err == -ETIMEDOUT || err == -EINTR ? err : 0;
}

/* The callee is a host process we can see. Its hostd marks the channel DEAD
 * when it dies, but a hostd killed with SIGKILL cannot, and its shadows die
 * with it. Costs system calls: only after a sleep timed out. */
static int loopback_check_callee(struct vmrpc_chan *ch)
{
	pid_t pid = (pid_t)vmrpc_ctl_callee(&ch->hdr->ctl);
	struct pollfd p = { .events = POLLIN };
	int dead;

	if (!pid)
		return 0;
	p.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p.fd < 0)
		return errno == ESRCH ? -VMRPC_EPEERDIED : 0;
	dead = poll(&p, 1, 0) > 0;
	close(p.fd);
	return dead ? -VMRPC_EPEERDIED : 0;
}

static void loopback_close(struct vmrpc_region *r)
{
	if (r->bell_fd >= 0)
		close(r->bell_fd);
	r->bell_fd = -1;
}

const struct region_transport transport_loopback = {
	.name = "loopback",
	.ring = loopback_ring,
	.wake_callee = loopback_wake_callee,
	.wait = loopback_wait,
	.check_callee = loopback_check_callee,
	.close = loopback_close,
	.host_pids = true,
};

const struct region_transport transport_shared = {
	.name = "shared descriptor",
	.wake_callee = loopback_wake_callee,
	.wait = loopback_wait,
	.check_callee = loopback_check_callee,
	.host_pids = true,
};
