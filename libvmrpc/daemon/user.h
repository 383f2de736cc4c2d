/* SPDX-License-Identifier: MIT */
/* Users named in configuration files, for hostd and guestd alike. */
#ifndef VMRPC_DAEMON_USER_H
#define VMRPC_DAEMON_USER_H

#include <sys/types.h>

/* v is a user name or a numeric uid (one with no passwd entry is allowed:
 * a VM's own user need not exist in /etc/passwd). *ret_uid, and if ret_gid
 * is not NULL the user's primary group, or a gid equal to the uid when the
 * user has no entry. 0, or -EINVAL (outputs untouched). */
int user_parse(const char *v, uid_t *ret_uid, gid_t *ret_gid);

#endif /* VMRPC_DAEMON_USER_H */
