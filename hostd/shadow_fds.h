/* SPDX-License-Identifier: MIT */
/* Descriptors a shadow keeps for itself, which no host call may touch:
 * 0 and 1 (/dev/null), 2 (hostd's log: a guest writing there could forge
 * log lines) and the doorbell eventfd of the ivshmem-doorbell transport. */
#ifndef HOSTD_SHADOW_FDS_H
#define HOSTD_SHADOW_FDS_H

#include <stdbool.h>

/* Mark fd as the shadow's own (fds 0-2 always are). */
void shadow_fd_reserve(int fd);
/* Is fd one a guest may name? (Not negative, not reserved.) */
bool shadow_fd_guest_ok(int fd);

#endif /* HOSTD_SHADOW_FDS_H */
