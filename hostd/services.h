/* SPDX-License-Identifier: MIT */
/* The interfaces a region serves: the built-in host calls, then the service
 * modules given with --service, in order. hostd publishes them in this order
 * and every shadow serves them in this order, so registry slot i is
 * services[i] on both sides. */
#ifndef HOSTD_SERVICES_H
#define HOSTD_SERVICES_H

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

/* Fill s with the built-in services and those of each module path. On error
 * writes a message into err (for the daemon to log). */
int services_load(struct services *s, const char *const *modules, size_t n_modules,
		  char *err, size_t err_size);
/* Only the modules' services (vmrpc-guestd, which has no host calls). */
int services_load_modules(struct services *s, const char *const *modules, size_t n_modules,
			  char *err, size_t err_size);
/* Append each module's services to s; on error s is unloaded. */
int services_add_modules(struct services *s, const char *const *modules, size_t n_modules,
			 char *err, size_t err_size);
void services_unload(struct services *s);

#endif /* HOSTD_SERVICES_H */
