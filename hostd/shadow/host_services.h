/* SPDX-License-Identifier: MIT */
/* The interfaces a region serves: the built-in host calls, the file system
 * (vfs: the shadow's exports), then the service modules given with
 * --service, in order, then the ffi services given with --ffi-service, in
 * order. hostd publishes them in this order and every shadow
 * serves them in this order. */
#ifndef HOSTD_HOST_SERVICES_H
#define HOSTD_HOST_SERVICES_H

#include "services.h"

struct vfsd_peer;

/* Fill s with the built-in host calls, the services of each module path
 * and those of each ffi service spec ("FILE.idl:LIBRARY"). vfs is the
 * caller's view of the shadow's exports (NULL in hostd, which publishes
 * the list and serves none of it). warn (may be NULL) is told of methods
 * an ffi service's library lacks. On error writes a message into err (for
 * the daemon to log). */
int host_services_load(struct services *s, const char *const *modules, size_t n_modules,
		       const char *const *ffi_services, size_t n_ffi_services,
		       services_warn_fn *warn, struct vfsd_peer *vfs, char *err, size_t err_size);

#endif /* HOSTD_HOST_SERVICES_H */
