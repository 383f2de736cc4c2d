/* SPDX-License-Identifier: MIT */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "services.h"
#include "vmrpc/module.h"

static int services_add_module(struct services *s, const char *path, char *err,
			       size_t err_size)
{
	const struct vmrpc_module *m;
	void *h;

	if (s->n_handles == SERVICES_MODULES_MAX) {
		snprintf(err, err_size, "%s: too many service modules (at most %d)", path,
			 SERVICES_MODULES_MAX);
		return -E2BIG;
	}
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, err_size, "%s", dlerror());
		return -ENOENT;
	}
	s->handles[s->n_handles++] = h;
	m = dlsym(h, VMRPC_MODULE_SYMBOL);
	if (!m) {
		snprintf(err, err_size, "%s: no '%s' symbol; is it a vmrpc service module?",
			 path, VMRPC_MODULE_SYMBOL);
		return -EINVAL;
	}
	if (m->abi_version != VMRPC_ABI_VERSION) {
		snprintf(err, err_size, "%s: built for vmrpc ABI %u, this is ABI %u; rebuild it",
			 path, m->abi_version, VMRPC_ABI_VERSION);
		return -VMRPC_EABI;
	}
	for (uint32_t i = 0; i < m->n_services; i++) {
		const struct vmrpc_service *svc = &m->services[i];
		if (s->n == SERVICES_MAX) {
			snprintf(err, err_size, "%s: more than %d interfaces in all", path,
				 SERVICES_MAX);
			return -E2BIG;
		}
		for (size_t j = 0; j < s->n; j++) {
			if (!strcmp(s->svc[j].iface->name, svc->iface->name)) {
				snprintf(err, err_size, "%s: interface '%s' is already served",
					 path, svc->iface->name);
				return -EEXIST;
			}
		}
		s->svc[s->n++] = *svc;
	}
	return 0;
}

int services_add_modules(struct services *s, const char *const *modules, size_t n_modules,
			 char *err, size_t err_size)
{
	int r;

	for (size_t i = 0; i < n_modules; i++) {
		r = services_add_module(s, modules[i], err, err_size);
		if (r < 0) {
			services_unload(s);
			return r;
		}
	}
	return 0;
}

int services_load_modules(struct services *s, const char *const *modules, size_t n_modules,
			  char *err, size_t err_size)
{
	memset(s, 0, sizeof(*s));
	return services_add_modules(s, modules, n_modules, err, err_size);
}

void services_unload(struct services *s)
{
	services_ffi_unload(s);
	while (s->n_handles)
		dlclose(s->handles[--s->n_handles]);
	s->n = 0;
}
