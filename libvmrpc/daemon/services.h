/* SPDX-License-Identifier: MIT */
/* The interfaces a daemon serves, and loading service modules into them.
 * hostd's list (hostd/shadow/host_services.h) is the built-in host calls,
 * then the modules given with --service, in order; vmrpc-guestd's is its
 * modules only. A publisher and its servers fill the list the same way, so
 * registry slot i is services[i] on both sides. */
#ifndef VMRPC_DAEMON_SERVICES_H
#define VMRPC_DAEMON_SERVICES_H

#include <stddef.h>

#include "vmrpc/vmrpc.h"

#define SERVICES_MAX VMRPC_REG_MAX
#define SERVICES_MODULES_MAX 16

struct services {
	struct vmrpc_service svc[SERVICES_MAX];
	size_t n;
	void *handles[SERVICES_MODULES_MAX];
	size_t n_handles;
};

/* Fill s with the services of each module path. On error writes a message
 * into err (for the daemon to log). */
int services_load_modules(struct services *s, const char *const *modules, size_t n_modules,
			  char *err, size_t err_size);
/* Append each module's services to s; on error s is unloaded. */
int services_add_modules(struct services *s, const char *const *modules, size_t n_modules,
			 char *err, size_t err_size);
void services_unload(struct services *s);

#endif /* VMRPC_DAEMON_SERVICES_H */
