/* SPDX-License-Identifier: MIT */
/*
 * guestexec in the guest: run commands for host callers and stream their
 * output back, read and write files, say who the guest is. The interface's
 * state is a struct gx_server (the policy, the commands' sessions) that every
 * channel's context points to; its operations live by job in
 * guestd_command.c, guestd_pump.c, guestd_files.c and guestd_identity.c, the
 * sessions in guestd_session.c.
 */
#include <errno.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "guestd_exec.h"

void gx_init(struct gx_server *gx, const struct gdconf *conf)
{
	gx->conf = conf;
	gx_sessions_init(&gx->sessions);
	signal(SIGPIPE, SIG_IGN); /* a command that closed its stdin: EPIPE */
}

int gx_chan_init(struct gx_chan *gc, struct gx_server *gx, uint32_t index)
{
	gc->gx = gx;
	gc->index = index;
	gc->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return gc->cancel_fd < 0 ? -errno : 0;
}

void gx_chan_cancel(struct gx_chan *gc)
{
	uint64_t one = 1;

	if (write(gc->cancel_fd, &one, sizeof(one)) < 0) {
		/* already signalled */
	}
}

void gx_chan_release(struct gx_chan *gc)
{
	uint64_t n;

	gx_sessions_kill(&gc->gx->sessions, false, gc->index);
	if (read(gc->cancel_fd, &n, sizeof(n)) < 0) {
		/* not signalled: nothing to drain */
	}
}

int gx_enforce_timeouts(struct gx_server *gx)
{
	return gx_sessions_enforce_timeouts(&gx->sessions);
}

void gx_shutdown(struct gx_server *gx)
{
	gx_sessions_kill(&gx->sessions, true, 0);
}

const struct guestexec_ops gx_ops = {
	.identity = gx_identity,
	.exec_start = gx_exec_start,
	.exec_read = gx_exec_read,
	.exec_write = gx_exec_write,
	.exec_kill = gx_exec_kill,
	.exec_wait = gx_exec_wait,
	.file_read = gx_file_read,
	.file_write = gx_file_write,
};
