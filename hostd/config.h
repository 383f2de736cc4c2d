/* SPDX-License-Identifier: MIT */
/* hostd's configuration file: the VMs it serves (docs/hostd-config.md). */
#ifndef HOSTD_CONFIG_H
#define HOSTD_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#include "server.h"

#define CONFIG_VMS_MAX 64

struct config {
	struct server_opts vm[CONFIG_VMS_MAX];
	size_t n_vms;
};

/* Read path into cfg: every VM with every default filled in. On error
 * returns -errno or -EINVAL with "path:line: what is wrong" in err (the
 * first error; the file is not applied at all). */
int config_load(const char *path, struct config *cfg, char *err, size_t err_size);
/* Drop every VM but name (which becomes the only one): -ENOENT if none
 * is called that. */
int config_keep_only(struct config *cfg, const char *name);
/* Frees the strings config_load() allocated. */
void config_free(struct config *cfg);

/* An export: "NAME=PATH" in ret (malloc'ed) with PATH resolved, once
 * NAME is an export name and PATH a directory hostd can open; else -errno
 * with the reason in err. Shared with the options. */
int config_export(const char *name, const char *path, char **ret, char *err, size_t err_size);

/* A user name or a numeric uid; -EINVAL if it is neither. */
int config_parse_uid(const char *s, uid_t *ret_uid);

/* "123", "64K", "1M", "2G" -> bytes, at most max. Shared with the options. */
int config_parse_size(const char *s, uint64_t max, uint64_t *ret);

/* A cgroup limit: a size or count from min to max, or "max" for none
 * (CGROUP_LIMIT_MAX). Shared with the options. */
int config_parse_limit(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* "USER", "USER:GROUP" or ":GROUP" (names or numbers): the owner of the
 * files callers open; (uid_t)-1 and (gid_t)-1 for what is not named. On
 * error -EINVAL and what is wrong in err. Shared with --owner. */
int config_parse_owner(const char *s, uid_t *ret_uid, gid_t *ret_gid, char *err,
		       size_t err_size);

/* A reload: what differs between the running options of a VM and its new
 * section, as "key old -> new" items: in what the keys a running hostd
 * applies (to new shadows, new host callers, its files), in restart the
 * keys that shape the region, which only a restart applies. Empty strings
 * when nothing differs. */
void config_diff(const struct server_opts *old, const struct server_opts *new, char *what,
		 size_t what_size, char *restart, size_t restart_size);

#endif /* HOSTD_CONFIG_H */
