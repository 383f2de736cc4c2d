/* SPDX-License-Identifier: MIT */
/* ivshmem-plain: a VM's QEMU maps the region's file itself, and nothing
 * rings: hostd looks at the region for claims and detaches on a timer (the
 * price of that transport: an idle hostd still wakes up), and shadows poll. */
#include <stdio.h>

#include "log.h"
#include "transport.h"

/* How often hostd looks at the region. */
#define PLAIN_SCAN_MS 50

static void plain_arm(struct server *s)
{
	struct io_uring_sqe *sqe = server_sqe(s);

	io_uring_prep_timeout(sqe, &s->scan_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, ev_data(EV_SCAN, 0, 0));
}

static void plain_region_opts(struct server *s, struct vmrpc_region_opts *ro)
{
	/* QEMU maps the VM's file itself: it cannot be a sealed memfd */
	ro->flags &= ~VMRPC_REGION_SEALED;
	ro->path = s->opts->shm_path;
}

static int plain_setup(struct server *s)
{
	s->scan_ts.tv_nsec = PLAIN_SCAN_MS * 1000 * 1000;
	return 0;
}

static void plain_start(struct server *s)
{
	server_scan(s); /* claims made while no hostd served the region */
}

static void plain_on_event(struct server *s, enum ev_kind kind, uint32_t epoch, uint32_t i,
			   const struct io_uring_cqe *cqe)
{
	if (kind != EV_SCAN)
		return;
	plain_arm(s);
	server_scan(s);
}

static int plain_shadow_bell(struct server *s, uint32_t i)
{
	return -1; /* a shadow polls */
}

static void plain_describe(struct server *s, char *buf, size_t size)
{
	snprintf(buf, size, "%s", s->opts->shm_path);
}

static void plain_log_serving(struct server *s)
{
	log_info("%s: ivshmem-plain: QEMU maps %s itself; shadows run as uid %u gid %u",
		 s->label, s->opts->shm_path, s->opts->uid, s->opts->gid);
}

static size_t plain_access_paths(struct server *s, char (*paths)[PATH_MAX], size_t max)
{
	if (max < 1)
		return 0;
	snprintf(paths[0], PATH_MAX, "%s", s->opts->shm_path);
	return 1;
}

static void plain_close(struct server *s)
{
}

const struct hostd_transport hostd_transport_ivshmem_plain = {
	.kind = VMRPC_TRANSPORT_IVSHMEM_PLAIN,
	.guest_callers = true,
	.region_opts = plain_region_opts,
	.setup = plain_setup,
	.arm = plain_arm,
	.start = plain_start,
	.on_event = plain_on_event,
	.shadow_bell = plain_shadow_bell,
	.describe = plain_describe,
	.log_serving = plain_log_serving,
	.access_paths = plain_access_paths,
	.close = plain_close,
};
