/* SPDX-License-Identifier: MIT */
/* The interfaces a daemon serves, and loading service modules and ffi
 * services (a plain library and its .idl, services_ffi.c) into them.
 * hostd's list (hostd/shadow/host_services.h) is the built-in host calls,
 * then the modules given with --service, in order, then the ffi services
 * given with --ffi-service, in order; vmrpc-guestd's is its modules, then
 * its ffi services. A publisher and its servers fill the list the same way, so
 * registry slot i is services[i] on both sides. */
#ifndef VMRPC_DAEMON_SERVICES_H
#define VMRPC_DAEMON_SERVICES_H

#include <stddef.h>

#include "vmrpc/vmrpc.h"

#define SERVICES_MAX VMRPC_REG_MAX
#define SERVICES_MODULES_MAX 16
#define SERVICES_FFI_MAX 16 /* ffi services (.idl files and their libraries) */

struct vmrpc_types;
struct vmrpc_ffi;

struct services {
	struct vmrpc_service svc[SERVICES_MAX];
	size_t n;
	void *handles[SERVICES_MODULES_MAX];
	size_t n_handles;
	/* ffi services: the libraries, and each interface's table and service */
	void *ffi_libs[SERVICES_FFI_MAX];
	size_t n_ffi_libs;
	struct vmrpc_types *ffi_types[SERVICES_MAX];
	struct vmrpc_ffi *ffi[SERVICES_MAX];
	size_t n_ffi;
};

/* Told of something wrong that does not stop the daemon (a method the
 * library has no function for), for the daemon to log. */
typedef void services_warn_fn(const char *msg);

/* Fill s with the services of each module path. On error writes a message
 * into err (for the daemon to log). */
int services_load_modules(struct services *s, const char *const *modules, size_t n_modules,
			  char *err, size_t err_size);
/* Append each module's services to s; on error s is unloaded. */
int services_add_modules(struct services *s, const char *const *modules, size_t n_modules,
			 char *err, size_t err_size);
void services_unload(struct services *s);

/* Append the interfaces of each ffi service spec, "FILE.idl:LIBRARY": the
 * .idl compiled into type tables now, LIBRARY dlopen'd (a path, or a soname
 * the dynamic loader finds), each method served by LIBRARY's own function
 * of that name through libffi. A method without one answers -ENOSYS and
 * warn (may be NULL) is told. On error (a bad .idl, no such library, a
 * name already served) writes why into err and s is unloaded. */
int services_add_ffi(struct services *s, const char *const *specs, size_t n_specs,
		     services_warn_fn *warn, char *err, size_t err_size);
/* spec's two halves: FILE.idl (up to and with ".idl") and LIBRARY. 0,
 * -EINVAL (no ".idl:" with text on both sides) or -ENAMETOOLONG. */
int services_ffi_split(const char *spec, char *idl, size_t idl_size, char *lib,
		       size_t lib_size);
/* spec with its .idl made an absolute path and LIBRARY too if it is a path
 * (shadows start elsewhere): malloc'd in *ret_spec; or -errno and why in
 * err. */
int services_ffi_pin(const char *spec, char **ret_spec, char *err, size_t err_size);
/* Free the ffi services (services_unload() does). */
void services_ffi_unload(struct services *s);

#endif /* VMRPC_DAEMON_SERVICES_H */
