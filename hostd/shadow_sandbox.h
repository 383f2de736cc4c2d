/* SPDX-License-Identifier: MIT */
/* A shadow's confinement, with Landlock: it needs no privilege, and it binds
 * the shadow and every program it starts (docs/security.md). */
#ifndef HOSTD_SHADOW_SANDBOX_H
#define HOSTD_SHADOW_SANDBOX_H

#include <stddef.h>

/* The Landlock ABI this kernel offers: 0 when it has none (or it is off). */
int sandbox_abi(void);

/* Confine this process and its future children for good. With root (a
 * directory), every file system access (open, exec, create, remove,
 * rename, link, truncate) must be to something beneath root, however the
 * path got there: "..", absolute and relative symlinks, /proc/self/root,
 * a rename racing the lookup. Where the kernel can (Landlock ABI 6), also
 * keep its programs from signalling any process outside this shadow: other
 * callers' shadows, hostd. Sets no_new_privs: programs started from here
 * gain no privilege from set-user-ID bits or file capabilities.
 * 0, or -errno with the reason in why (-EOPNOTSUPP: root needs Landlock). */
int sandbox_apply(const char *root, char *why, size_t why_size);

/* hostd at start: can shadows be confined beneath root (an absolute path
 * to a directory with no symbolic link on the way, on a kernel with
 * Landlock), and is cwd beneath it? 0, or -errno with the reason in why. */
int sandbox_check_root(const char *root, const char *cwd, char *why, size_t why_size);

#endif /* HOSTD_SHADOW_SANDBOX_H */
