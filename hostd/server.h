/* SPDX-License-Identifier: MIT */
/* One served region: its channels as hostd sees them, the doorbell, and the
 * shadows. hostd's private channel state is the truth; the state words in
 * the region are only a guest's claim, checked against it. */
#ifndef HOSTD_SERVER_H
#define HOSTD_SERVER_H

#include <stdint.h>
#include <sys/types.h>

#include "spawn.h"

#define SERVER_MODULES_MAX 16

struct server_opts {
	const char *name;           /* region name (loopback) */
	uint32_t n_channels;        /* 0: libvmrpc's default */
	uint32_t chan_size;         /* 0: libvmrpc's default */
	uint32_t mode;              /* region and socket file mode, 0: 0600 */
	uint32_t max_shadows;       /* 0: one per channel */
	const char *shadow_exe;
	const char *shadow_cwd;
	const char *modules[SERVER_MODULES_MAX];
	size_t n_modules;
	struct shadow_limits limits;
	int verbose;
};

/* Serve until SIGTERM or SIGINT. Returns a process exit status. */
int server_run(const struct server_opts *opts);

#endif /* HOSTD_SERVER_H */
