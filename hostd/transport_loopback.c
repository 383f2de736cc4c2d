/* SPDX-License-Identifier: MIT */
/* Loopback: host programs on hostd's kernel. They get the sealed region on
 * <runtime dir>/NAME.region and ring a datagram socket beside it,
 * NAME.sock, whose datagrams the kernel stamps with the sender's pid, uid
 * and gid: every attach is checked against who really rang. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "transport.h"

static void loopback_on_bell(struct server *s)
{
	struct vmrpc_doorbell b;
	int err;

	/* Bounded per wake-up; the multishot poll fires again if more wait. */
	for (int n = 0; n < 256; n++) {
		err = vmrpc_hostd_doorbell_recv(s->bell_fd, &b);
		if (err == -EAGAIN)
			return;
		if (err < 0) {
			log_warn("%s: malformed doorbell: %s", s->label,
				 vmrpc_strerror(err));
			continue;
		}
		server_on_doorbell(s, &b);
		for (int k = 0; k < 2; k++) /* only an adopted fork copy's are kept */
			if (b.fds[k] >= 0)
				close(b.fds[k]);
	}
}

/* Callers asking for the sealed region: bounded per wake-up, like doorbells. */
static void loopback_on_map(struct server *s)
{
	for (int n = 0; n < 64; n++) {
		int err = vmrpc_hostd_region_serve(s->region, s->map_fd);

		if (err == -EAGAIN)
			return;
		if (err < 0)
			log_debug("%s: handing the region to a caller: %s", s->label,
				  strerror(-err));
	}
}

static void loopback_region_opts(struct server *s, struct vmrpc_region_opts *ro)
{
}

static int loopback_setup(struct server *s)
{
	const struct server_opts *o = s->opts;
	int err;

	/* The region's socket first: callers wait for the doorbell's
	 * (.sock) to appear, and must find the region's there too. */
	err = vmrpc_hostd_region_listen(s->region, &s->map_fd);
	if (err < 0) {
		log_err("%s: cannot listen for callers on the region's socket: %s",
			s->label, vmrpc_strerror(err));
		return err;
	}
	vmrpc_region_path(o->name, ".sock", s->bell_path, sizeof(s->bell_path));
	err = vmrpc_hostd_doorbell_listen(s->region, &s->bell_fd);
	if (err < 0)
		log_err("%s: cannot bind the doorbell socket: %s", s->label,
			vmrpc_strerror(err));
	return err;
}

static void loopback_arm(struct server *s)
{
	server_poll(s, s->bell_fd, ev_data(EV_BELL, 0, 0), true);
	server_poll(s, s->map_fd, ev_data(EV_MAP, 0, 0), true);
}

static void loopback_start(struct server *s)
{
	/* hostd watches every caller's pid: nothing happened unseen */
}

static void loopback_on_event(struct server *s, enum ev_kind kind, uint32_t epoch,
			      uint32_t index, const struct io_uring_cqe *cqe)
{
	switch (kind) {
	case EV_BELL:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, s->bell_fd, ev_data(EV_BELL, 0, 0), true);
		loopback_on_bell(s);
		break;
	case EV_MAP:
		if (!(cqe->flags & IORING_CQE_F_MORE))
			server_poll(s, s->map_fd, ev_data(EV_MAP, 0, 0), true);
		loopback_on_map(s);
		break;
	default:
		break;
	}
}

static int loopback_shadow_bell(struct server *s, uint32_t i)
{
	return -1; /* a shadow sleeps on a futex */
}

static void loopback_describe(struct server *s, char *buf, size_t size)
{
	vmrpc_region_path(s->opts->name, ".region", buf, size);
}

static size_t loopback_access_paths(struct server *s, char (*paths)[PATH_MAX], size_t max)
{
	if (max < 2)
		return 0;
	vmrpc_region_path(s->opts->name, ".region", paths[0], PATH_MAX);
	vmrpc_region_path(s->opts->name, ".sock", paths[1], PATH_MAX);
	return 2;
}

static void loopback_close(struct server *s)
{
	char path[256];

	if (s->bell_fd >= 0) {
		vmrpc_region_path(s->opts->name, ".sock", path, sizeof(path));
		unlink(path);
		close(s->bell_fd);
		s->bell_fd = -1;
	}
	if (s->map_fd >= 0) {
		vmrpc_region_path(s->opts->name, ".region", path, sizeof(path));
		unlink(path);
		close(s->map_fd);
		s->map_fd = -1;
	}
}

const struct hostd_transport hostd_transport_loopback = {
	.kind = VMRPC_TRANSPORT_LOOPBACK,
	.guest_callers = false,
	.region_opts = loopback_region_opts,
	.setup = loopback_setup,
	.arm = loopback_arm,
	.start = loopback_start,
	.on_event = loopback_on_event,
	.shadow_bell = loopback_shadow_bell,
	.describe = loopback_describe,
	.access_paths = loopback_access_paths,
	.close = loopback_close,
};

const struct hostd_transport *hostd_transport_of(enum vmrpc_transport kind)
{
	switch (kind) {
	case VMRPC_TRANSPORT_LOOPBACK:
		return &hostd_transport_loopback;
	case VMRPC_TRANSPORT_IVSHMEM_DOORBELL:
		return &hostd_transport_ivshmem_doorbell;
	case VMRPC_TRANSPORT_IVSHMEM_PLAIN:
		return &hostd_transport_ivshmem_plain;
	case VMRPC_TRANSPORT_GUEST_DEV: /* a guest's side only */
		break;
	}
	return NULL;
}
