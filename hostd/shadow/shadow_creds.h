/* SPDX-License-Identifier: MIT */
/* A shadow's identity: dropping to the caller's user, and entering its
 * starting directory, with errors that say what stands in the way. */
#ifndef HOSTD_SHADOW_CREDS_H
#define HOSTD_SHADOW_CREDS_H

#include <stddef.h>
#include <sys/types.h>

/* Become uid:gid for good, with no supplementary groups: 0 or -errno. */
int creds_drop(uid_t uid, gid_t gid);

/* chdir(dir) with the present credentials. On failure, -errno and a
 * message in why naming the directory on the way that stops us. */
int creds_enter(const char *dir, char *why, size_t size);

/* hostd at start: could a shadow of uid:gid enter dir? Tried in a child
 * process that drops to them; 0, or -EACCES with the reason in why. */
int creds_check_dir(uid_t uid, gid_t gid, const char *dir, char *why, size_t size);

#endif /* HOSTD_SHADOW_CREDS_H */
