/* SPDX-License-Identifier: MIT */
/* The host caller of guest-sourced calls: ask hostd for a channel that the
 * guest agent serves. hostd checks who we are (SO_PEERCRED on its socket)
 * against the VM's policy, offers a channel to the guest and hands us the
 * region; the connection then stands for our hold on the channel. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "chan.h"
#include "sync.h"

#define VM_OPEN_TIMEOUT_MS 5000

static int vm_connect(const char *vm, int *ret_fd)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, err;

	if (strchr(vm, '/')) {
		if (strlen(vm) >= sizeof(a.sun_path))
			return -ENAMETOOLONG;
		strcpy(a.sun_path, vm);
	} else {
		err = vmrpc_region_path(vm, ".host.sock", a.sun_path, sizeof(a.sun_path));
		if (err < 0)
			return err;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		err = errno == ENOENT || errno == ECONNREFUSED ? -VMRPC_ENOHOSTD : -errno;
		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

/* hostd's one message: the reply, and the region's fd when err is 0 (and
 * with VMRPC_GSRC_WAKE, the guest's wake-up eventfd after it). */
static int vm_recv_reply(int fd, int timeout_ms, struct vmrpc_gsrc_reply *ret_reply,
			 int *ret_region_fd, int *ret_wake_fd)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	int fds[2] = { -1, -1 };
	struct vmrpc_gsrc_reply rep = { 0 };
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct cmsghdr *c;
	int region_fd = -1, wake_fd = -1;
	ssize_t n;

	n = poll(&p, 1, timeout_ms);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -VMRPC_ENOHOSTD;
	n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int)) && c->cmsg_len <= CMSG_LEN(sizeof(fds)))
			memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0));
	region_fd = fds[0];
	wake_fd = fds[1];
	if (n == 0) /* hostd hung up: it is stopping */
		goto fail_hostd;
	if (n != (ssize_t)sizeof(rep) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (rep.err == 0) != (region_fd >= 0) ||
	    (rep.err == 0 && !!(rep.flags & VMRPC_GSRC_WAKE) != (wake_fd >= 0))) {
		n = -1;
		goto fail_hostd;
	}
	*ret_reply = rep;
	*ret_region_fd = region_fd;
	*ret_wake_fd = wake_fd;
	return 0;
fail_hostd:
	if (region_fd >= 0)
		close(region_fd);
	if (wake_fd >= 0)
		close(wake_fd);
	return n == 0 ? -VMRPC_ENOHOSTD : -EPROTO;
}

/* Wait until guestd serves the channel. Everything here is the guest's
 * word: only SERVED with the generation hostd offered counts. */
static int vm_wait_served(struct vmrpc_chan *ch, int timeout_ms)
{
	struct vmrpc_chan_ctl *ctl = &ch->hdr->ctl;
	uint64_t deadline = sync_now_ns() + (uint64_t)timeout_ms * 1000000u, backoff = 0;

	for (;;) {
		uint32_t st = vmrpc_ctl_state(ctl);
		uint64_t now;

		if (vmrpc_ctl_generation(ctl) != ch->generation)
			return -VMRPC_ERESET;
		if (st == VMRPC_CHAN_SERVED)
			return 0;
		if (st != VMRPC_CHAN_OFFERED)
			return st == VMRPC_CHAN_DEAD ? -VMRPC_EPEERDIED : -VMRPC_ERESET;
		now = sync_now_ns();
		if (now >= deadline)
			return -VMRPC_ENOGUESTD;
		region_wait(ch->region, &ctl->state, st, deadline - now, &backoff);
	}
}

VMRPC_API int vmrpc_vm_open(const char *vm, int timeout_ms, struct vmrpc_chan **ret_chan)
{
	struct vmrpc_gsrc_reply rep = { 0 };
	struct vmrpc_region *r = NULL;
	struct vmrpc_chan *ch;
	int fd = -1, region_fd = -1, wake_fd = -1, err;

	if (!vm || !*vm)
		return -EINVAL;
	timeout_ms = timeout_ms > 0 ? timeout_ms : VM_OPEN_TIMEOUT_MS;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return -ENOMEM;
	err = vm_connect(vm, &fd);
	if (err < 0)
		goto fail_free;
	err = vm_recv_reply(fd, timeout_ms, &rep, &region_fd, &wake_fd);
	if (err < 0)
		goto fail_close;
	if (rep.err < 0) {
		err = rep.err > -VMRPC_ELAST ? rep.err : -EPROTO;
		goto fail_close;
	}
	err = vmrpc_region_open_fd(region_fd, &r);
	close(region_fd);
	if (err < 0) {
		if (wake_fd >= 0)
			close(wake_fd);
		goto fail_close;
	}
	if (rep.chan_index >= r->n_channels) {
		err = -EPROTO;
		goto fail_region;
	}
	if (rep.flags & VMRPC_GSRC_VM)
		r->transport = &transport_vm;
	if (r->transport == &transport_vm)
		r->vm_wake_fd = wake_fd;
	else if (wake_fd >= 0)
		close(wake_fd);
	ch->region = r;
	ch->index = rep.chan_index;
	ch->hdr = vmrpc_region_chan(r, ch->index);
	ch->generation = rep.generation;
	ch->owner = getpid();
	ch->gsrc = 1;
	ch->conn_fd = fd;
	ch->live_state = VMRPC_CHAN_SERVED;
	ch->vm = strdup(vm);
	if (!ch->vm) {
		err = -ENOMEM;
		goto fail_region;
	}
	err = vm_wait_served(ch, timeout_ms);
	if (err < 0)
		goto fail_region;
	/* guestd wrote its boot's id before it served anything. */
	memcpy(ch->boot_id, (const void *)vmrpc_region_hdr(r)->guest_boot_id,
	       sizeof(ch->boot_id));
	chan_ready(ch);
	*ret_chan = ch;
	return 0;
fail_region:
	free(ch->vm);
	vmrpc_region_close(r);
fail_close:
	close(fd);
fail_free:
	free(ch);
	return err;
}

/* guestd serves every channel a host program holds in one process: a
 * sibling is one more channel from the same VM, whose callee shares what
 * the first one's does through the interface's own sessions. */
int vm_open_sibling(struct vmrpc_chan *ch, int timeout_ms, struct vmrpc_chan **ret_chan)
{
	return vmrpc_vm_open(ch->vm, timeout_ms, ret_chan);
}
