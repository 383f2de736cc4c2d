/* SPDX-License-Identifier: MIT */
/* vmrpc-guestd's policy: what the guest exposes to host callers
 * (docs/guest-sourced.md, "Policy"). Without a file: identity only. */
#ifndef GUESTD_CONFIG_H
#define GUESTD_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#define GDCONF_LIST_MAX 64
#define GDCONF_MODULES_MAX 14 /* + guestexec + vfs: VMRPC_GREG_MAX interfaces */
#define GDCONF_EXPORTS_MAX 16

struct gdconf {
	int exec_any;                      /* exec = * */
	char *exec[GDCONF_LIST_MAX];       /* names, or absolute paths (canonical) */
	size_t n_exec;
	char *file_read[GDCONF_LIST_MAX];  /* directories (canonical) */
	size_t n_file_read;
	char *file_write[GDCONF_LIST_MAX];
	size_t n_file_write;
	char *modules[GDCONF_MODULES_MAX]; /* service modules (canonical paths) */
	size_t n_modules;
	/* plain libraries served through libffi: "FILE.idl:LIBRARY", pinned */
	char *ffi_services[GDCONF_MODULES_MAX];
	size_t n_ffi_services;
	char *env[GDCONF_LIST_MAX];        /* NAME=VALUE added to every command's */
	size_t n_env;
	char *path;                        /* PATH commands are looked up in and get */
	int have_user;                     /* commands run as uid:gid */
	uid_t uid;
	gid_t gid;
	unsigned max_commands;             /* commands running at once */
	/* trees a host caller may mount (vmrpc-mount VM:NAME), served by vfs/ */
	char *export_name[GDCONF_EXPORTS_MAX];
	char *export_path[GDCONF_EXPORTS_MAX]; /* canonical */
	int export_ro[GDCONF_EXPORTS_MAX];
	size_t n_exports;
};

/* Defaults, then path (NULL: defaults only). On error: -errno or -EINVAL
 * and "path:line: what is wrong" in err. */
int gdconf_load(const char *path, struct gdconf *conf, char *err, size_t err_size);
void gdconf_free(struct gdconf *conf);

#endif /* GUESTD_CONFIG_H */
