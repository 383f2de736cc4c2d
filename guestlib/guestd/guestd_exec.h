/* SPDX-License-Identifier: MIT */
/*
 * The guestexec interface as vmrpc-guestd serves it: commands, files,
 * identity, under the policy of guestd.conf.
 *
 * Everything a call brings comes from the region: argv and env are copied
 * into private memory before they are parsed, and what guestd reads from a
 * command goes straight into the caller's arena slot.
 */
#ifndef GUESTD_EXEC_H
#define GUESTD_EXEC_H

#include <stdint.h>

#include "guestd_config.h"
#include "guestd_session.h"
#include "guestexec_callee.h"

/* guestexec in this guestd: the policy and the commands running. */
struct gx_server {
	const struct gdconf *conf; /* kept, not copied */
	struct gx_sessions sessions;
};

/* One served channel's context: the ctx of its guestexec service. */
struct gx_chan {
	struct gx_server *gx;
	uint32_t index;
	int cancel_fd; /* eventfd: the channel is being released; calls return */
};

extern const struct guestexec_ops gx_ops;

/* Before serving. */
void gx_init(struct gx_server *gx, const struct gdconf *conf);
int gx_chan_init(struct gx_chan *gc, struct gx_server *gx, uint32_t index);
/* Make a blocked call on this channel return (-ECANCELED) now and later. */
void gx_chan_cancel(struct gx_chan *gc);
/* The channel is released: kill its commands (their handles die with it). */
void gx_chan_release(struct gx_chan *gc);
/* Kill commands whose timeout passed, though nobody waits for them; returns
 * the ms until the next timeout (or -1). */
int gx_enforce_timeouts(struct gx_server *gx);
/* guestd stops: kill and reap every command. */
void gx_shutdown(struct gx_server *gx);

/* gx_ops, by file; ctx is a struct gx_chan. */
/* guestd_command.c: starting and signalling commands */
int32_t gx_exec_start(void *ctx, const void *argv_wire, uint32_t argv_len, uint32_t argc,
		      const void *env_wire, uint32_t env_len, const char *cwd, uint32_t flags,
		      uint32_t timeout_ms, uint64_t *handle);
int32_t gx_exec_kill(void *ctx, uint64_t handle, int32_t sig);
/* guestd_pump.c: their output to the caller, the caller's input to them */
int64_t gx_exec_read(void *ctx, uint64_t handle, void *buf, uint64_t count, int32_t wait_ms,
		     int32_t *stream, struct guestexec_exec_status *st);
int32_t gx_exec_wait(void *ctx, uint64_t handle, int32_t wait_ms,
		     struct guestexec_exec_status *st);
int64_t gx_exec_write(void *ctx, uint64_t handle, const void *buf, uint64_t count);
/* guestd_files.c: files beneath the policy's directories */
int64_t gx_file_read(void *ctx, const char *path, uint64_t offset, void *buf, uint64_t count);
int64_t gx_file_write(void *ctx, const char *path, uint64_t offset, const void *buf,
		      uint64_t count, uint32_t flags, uint32_t mode);
/* guestd_identity.c: who the guest is */
int32_t gx_identity(void *ctx, char *os, size_t os_size, char *kernel, size_t kernel_size,
		    char *hostname, size_t hostname_size, char *machine, size_t machine_size);

#endif /* GUESTD_EXEC_H */
