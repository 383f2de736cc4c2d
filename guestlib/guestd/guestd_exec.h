/* SPDX-License-Identifier: MIT */
/* The guestexec interface as vmrpc-guestd serves it: commands, files,
 * identity, under the policy of guestd.conf. */
#ifndef GUESTD_EXEC_H
#define GUESTD_EXEC_H

#include <stdint.h>

#include "guestd_config.h"
#include "guestexec_callee.h"

/* One served channel's context: the ctx of its guestexec service. */
struct gx_chan {
	uint32_t index;
	int cancel_fd; /* eventfd: the channel is being released; calls return */
};

extern const struct guestexec_ops gx_ops;

/* Before serving: the policy (kept, not copied). */
void gx_init(const struct gdconf *conf);
int gx_chan_init(struct gx_chan *gc, uint32_t index);
/* Make a blocked call on this channel return (-ECANCELED) now and later. */
void gx_chan_cancel(struct gx_chan *gc);
/* The channel is released: kill its commands (their handles die with it). */
void gx_chan_release(struct gx_chan *gc);
/* Kill commands whose timeout passed, though nobody waits for them; returns
 * the ms until the next timeout (or -1). */
int gx_enforce_timeouts(void);
/* guestd stops: kill and reap every command. */
void gx_shutdown(void);

#endif /* GUESTD_EXEC_H */
