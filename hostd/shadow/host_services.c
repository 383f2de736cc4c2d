/* SPDX-License-Identifier: MIT */
/* hostd's and the shadow's list: the built-in host calls, the file system
 * (vfs), then the modules, then the ffi services. */
#include <string.h>

#include "hostcalls_callee.h"
#include "hostcalls_impl.h"
#include "hostfs_impl.h"
#include "host_services.h"
#include "vfsd.h"

int host_services_load(struct services *s, const char *const *modules, size_t n_modules,
		       const char *const *ffi_services, size_t n_ffi_services,
		       services_warn_fn *warn, struct vfsd_peer *vfs, char *err, size_t err_size)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->svc[s->n++] = hostcalls_service(&hostcalls_impl_ops, NULL);
	s->svc[s->n++] = hostfs_service(&hostfs_impl_ops, NULL);
	s->svc[s->n++] = hostproc_service(&hostproc_impl_ops, NULL);
	s->svc[s->n++] = hostnet_service(&hostnet_impl_ops, NULL);
	/* Served for the caller's exports only; hostd only publishes it. */
	s->svc[s->n++] = vfsd_peer_service(vfs);
	r = services_add_modules(s, modules, n_modules, err, err_size);
	if (r < 0)
		return r;
	return services_add_ffi(s, ffi_services, n_ffi_services, warn, err, err_size);
}
