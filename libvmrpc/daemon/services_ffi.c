/* SPDX-License-Identifier: MIT */
/*
 * Services from a plain C library and its .idl (--ffi-service
 * FILE.idl:LIBRARY, docs/dynamic.md): the .idl is compiled into type
 * tables when the daemon starts, each method is served by the library's
 * function of the same name through libffi (vmrpc_ffi_service()), with the
 * checks a generated skeleton makes. hostd publishes these interfaces and
 * every shadow loads them the same way, before it drops its privileges.
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services.h"
#include "vmrpc/dynamic.h"

#ifdef VMRPC_DAEMON_IDL
#include "typetab_compile.h"
#endif

/* A symbol's type (STT_FUNC...) in this process's ELF class. */
#if __ELF_NATIVE_CLASS == 64
#define FFI_ST_TYPE(info) ELF64_ST_TYPE(info)
#else
#define FFI_ST_TYPE(info) ELF32_ST_TYPE(info)
#endif

int services_ffi_split(const char *spec, char *idl, size_t idl_size, char *lib, size_t lib_size)
{
	const char *sep = strstr(spec, ".idl:");
	size_t n;

	if (!sep || sep == spec || !sep[5])
		return -EINVAL;
	n = (size_t)(sep - spec) + 4;
	if (n >= idl_size || strlen(sep + 5) >= lib_size)
		return -ENAMETOOLONG;
	memcpy(idl, spec, n);
	idl[n] = '\0';
	strcpy(lib, sep + 5);
	return 0;
}

int services_ffi_pin(const char *spec, char **ret_spec, char *err, size_t err_size)
{
	char idl[PATH_MAX], lib[PATH_MAX], *real_idl, *real_lib = NULL, *out;
	int r = services_ffi_split(spec, idl, sizeof(idl), lib, sizeof(lib));

	if (r < 0) {
		snprintf(err, err_size, "'%s' is not FILE.idl:LIBRARY (a path or a soname "
			 "like libz.so.1)", spec);
		return -EINVAL;
	}
	real_idl = realpath(idl, NULL);
	if (!real_idl) {
		r = -errno;
		snprintf(err, err_size, "%s: %s", idl, strerror(errno));
		return r;
	}
	/* A path is pinned like a module's; a bare soname is left to the
	 * dynamic loader's search, as dlopen(3) does. */
	if (strchr(lib, '/')) {
		real_lib = realpath(lib, NULL);
		if (!real_lib) {
			r = -errno;
			snprintf(err, err_size, "%s: %s", lib, strerror(errno));
			free(real_idl);
			return r;
		}
	}
	if (asprintf(&out, "%s:%s", real_idl, real_lib ? real_lib : lib) < 0) {
		free(real_idl);
		free(real_lib);
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	free(real_idl);
	free(real_lib);
	*ret_spec = out;
	return 0;
}

/* The function that serves method name: LIBRARY's own symbol, not one of a
 * library it depends on (dlsym(3) searches those too, and libc has a
 * function for many a method name). NULL, with why in why, if there is
 * none. */
static void (*ffi_lookup(void *lib, const struct link_map *own, const char *name, char *why,
			 size_t why_size))(void)
{
	struct link_map *from = NULL;
	const ElfW(Sym) *entry = NULL;
	Dl_info info = { 0 };
	void *sym;

	dlerror();
	sym = dlsym(lib, name);
	if (!sym) {
		snprintf(why, why_size, "the library has no function '%s'", name);
		return NULL;
	}
	if (!dladdr1(sym, &info, (void **)&from, RTLD_DL_LINKMAP) || from != own) {
		snprintf(why, why_size, "'%s' is not the library's own (it is %s's)", name,
			 info.dli_fname ? info.dli_fname : "another object");
		return NULL;
	}
	/* Data called as code would crash the serving process: only a
	 * function (or what an IFUNC resolved to, a function too). */
	if (!dladdr1(sym, &info, (void **)&entry, RTLD_DL_SYMENT) || !entry ||
	    (FFI_ST_TYPE(entry->st_info) != STT_FUNC &&
	     FFI_ST_TYPE(entry->st_info) != STT_GNU_IFUNC)) {
		snprintf(why, why_size, "'%s' is not a function", name);
		return NULL;
	}
	return (void (*)(void))sym;
}

/* One interface's table: check it, bind its methods, append its service. */
static int ffi_add_iface(struct services *s, const char *idl, const char *lib_name, void *lib,
			 const struct link_map *own, const void *table, size_t len,
			 services_warn_fn *warn, char *err, size_t err_size)
{
	void (**fns)(void) = NULL;
	struct vmrpc_types *types = NULL;
	struct vmrpc_ffi *ffi = NULL;
	struct vmrpc_service svc;
	char why[512], name[256];
	const char *iface;
	int r;

	r = vmrpc_types_load(table, len, why, sizeof(why), &types);
	if (r < 0) {
		snprintf(err, err_size, "%s: its type table is bad: %s", idl,
			 r == -ENOMEM ? "out of memory" : why);
		return r;
	}
	iface = vmrpc_types_str(types, types->hdr->name);
	if (s->n == SERVICES_MAX) {
		snprintf(err, err_size, "%s: more than %d interfaces in all", idl, SERVICES_MAX);
		r = -E2BIG;
		goto fail;
	}
	for (size_t j = 0; j < s->n; j++) {
		if (!strcmp(s->svc[j].iface->name, iface)) {
			snprintf(err, err_size, "%s: interface '%s' is already served", idl, iface);
			r = -EEXIST;
			goto fail;
		}
	}
	fns = calloc(types->hdr->n_methods ? types->hdr->n_methods : 1, sizeof(*fns));
	if (!fns) {
		snprintf(err, err_size, "out of memory");
		r = -ENOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < types->hdr->n_methods; i++) {
		snprintf(name, sizeof(name), "%s",
			 vmrpc_types_str(types, types->methods[i].name));
		fns[i] = ffi_lookup(lib, own, name, why, sizeof(why));
		if (!fns[i] && warn) {
			char msg[2 * PATH_MAX + 1024];

			snprintf(msg, sizeof(msg), "%s: %s.%s answers -ENOSYS: %s %s", idl, iface,
				 name, lib_name, why);
			warn(msg);
		}
	}
	r = vmrpc_ffi_service(types, fns, &ffi, &svc);
	free(fns);
	if (r < 0) {
		snprintf(err, err_size, "%s: interface '%s' cannot be served through libffi: %s",
			 idl, iface, strerror(-r));
		goto fail;
	}
	s->ffi_types[s->n_ffi] = types;
	s->ffi[s->n_ffi++] = ffi;
	s->svc[s->n++] = svc;
	return 0;
fail:
	vmrpc_types_free(types);
	return r;
}

#ifdef VMRPC_DAEMON_IDL
static int ffi_add_one(struct services *s, const char *spec, services_warn_fn *warn, char *err,
		       size_t err_size)
{
	char idl[PATH_MAX], lib_name[PATH_MAX];
	struct idl_type_tables tables = { 0 };
	struct link_map *own = NULL;
	void *lib;
	int r;

	if (services_ffi_split(spec, idl, sizeof(idl), lib_name, sizeof(lib_name)) < 0) {
		snprintf(err, err_size, "'%s' is not FILE.idl:LIBRARY", spec);
		return -EINVAL;
	}
	if (s->n_ffi_libs == SERVICES_FFI_MAX) {
		snprintf(err, err_size, "%s: too many ffi services (at most %d)", spec,
			 SERVICES_FFI_MAX);
		return -E2BIG;
	}
	/* Its diagnostics go to stderr, the daemon's log, as the compiler's. */
	r = idl_compile_type_tables(idl, NULL, 0, &tables);
	if (r < 0) {
		snprintf(err, err_size, "%s: %s", idl,
			 r == -EINVAL  ? "the .idl has errors (logged above)"
			 : r == -EFBIG ? "an interface's type table is too large"
				       : strerror(-r));
		return r;
	}
	if (tables.n == 0) {
		snprintf(err, err_size, "%s: declares no interface to serve", idl);
		idl_type_tables_free(&tables);
		return -EINVAL;
	}
	lib = dlopen(lib_name, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(err, err_size, "%s", dlerror());
		idl_type_tables_free(&tables);
		return -ENOENT;
	}
	s->ffi_libs[s->n_ffi_libs++] = lib;
	if (dlinfo(lib, RTLD_DI_LINKMAP, &own) < 0 || !own) {
		snprintf(err, err_size, "%s: %s", lib_name, dlerror());
		idl_type_tables_free(&tables);
		return -EINVAL;
	}
	r = 0;
	for (size_t i = 0; i < tables.n && r == 0; i++)
		r = ffi_add_iface(s, idl, lib_name, lib, own, tables.tables[i].data,
				  tables.tables[i].len, warn, err, err_size);
	idl_type_tables_free(&tables);
	return r;
}
#else
static int ffi_add_one(struct services *s, const char *spec, services_warn_fn *warn, char *err,
		       size_t err_size)
{
	(void)s;
	(void)warn;
	(void)ffi_add_iface;
	snprintf(err, err_size, "%s: this vmrpc was built without the IDL compiler "
		 "(-DVMRPC_STUBGEN=OFF): no ffi services", spec);
	return -ENOTSUP;
}
#endif

int services_add_ffi(struct services *s, const char *const *specs, size_t n_specs,
		     services_warn_fn *warn, char *err, size_t err_size)
{
	int r;

	for (size_t i = 0; i < n_specs; i++) {
		r = ffi_add_one(s, specs[i], warn, err, err_size);
		if (r < 0) {
			services_unload(s);
			return r;
		}
	}
	return 0;
}

void services_ffi_unload(struct services *s)
{
	while (s->n_ffi) {
		s->n_ffi--;
		vmrpc_ffi_free(s->ffi[s->n_ffi]);
		vmrpc_types_free(s->ffi_types[s->n_ffi]);
	}
	while (s->n_ffi_libs)
		dlclose(s->ffi_libs[--s->n_ffi_libs]);
}
