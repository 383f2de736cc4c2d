/* SPDX-License-Identifier: MIT */
/* A shadow's confinement (docs/security.md): with root = DIR it changes its
 * root to DIR, so that every path it and its programs resolve, for any
 * call, is inside; and Landlock, which binds the shadow and every program
 * it starts, refuses access to anything not beneath it however it got
 * there (a rename by another host process racing a lookup). */
#ifndef HOSTD_SHADOW_SANDBOX_H
#define HOSTD_SHADOW_SANDBOX_H

#include <stddef.h>

/* The Landlock ABI this kernel offers: 0 when it has none (or it is off). */
int sandbox_abi(void);

/* With hostd's privileges, before dropping them: make root this process's
 * root directory and enter it. 0, or -errno with the reason in why. */
int sandbox_enter_root(const char *root, char *why, size_t why_size);

/* Confine this process and its future children for good, as its final
 * user. With confined (after sandbox_enter_root), every file system access
 * (open, exec, create, remove, rename, link, truncate) must be to something
 * beneath its root, however the path got there (Landlock ABI 2 and later).
 * Where the kernel can (Landlock ABI 6), also keep its programs from
 * signalling any process outside this shadow: other callers' shadows,
 * hostd. Either way sets no_new_privs: programs started from here gain no
 * privilege from set-user-ID bits or file capabilities. 0, or -errno with
 * the reason in why. The n_trees directory descriptors in trees (the
 * exports, opened before the root changed) stay reachable beneath
 * themselves when confined. */
int sandbox_apply(int confined, const int *trees, int n_trees, char *why, size_t why_size);

/* hostd at start: can shadows be confined beneath root (hostd is root, root
 * is an absolute path to a directory with no symbolic link on the way, the
 * kernel has Landlock), and is cwd beneath it? 0, or -errno with the reason
 * in why. */
int sandbox_check_root(const char *root, const char *cwd, char *why, size_t why_size);

#endif /* HOSTD_SHADOW_SANDBOX_H */
