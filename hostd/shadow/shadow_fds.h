/* SPDX-License-Identifier: MIT */
/* Descriptors a shadow keeps for itself, which no host call may name: every
 * descriptor open when it starts serving (its stdio, its log, the control
 * socket, eventfds, the fork doorbell) and those it opens for itself later.
 * A guest that could name them could forge hostd's log lines, write the
 * control socket, or reach the region. */
#ifndef HOSTD_SHADOW_FDS_H
#define HOSTD_SHADOW_FDS_H

#include <stdbool.h>

/* Mark every descriptor open now as the shadow's own, as listed by proc_fd
 * (/proc/self/fd, opened before a chroot hid it; consumed), or -1 to open
 * it now. 0, or -errno. */
int shadow_fd_reserve_open(int proc_fd);
/* Mark fd as the shadow's own (fds 0-2 always are). Thread-safe. */
void shadow_fd_reserve(int fd);
/* fd, the shadow's own, was closed: a guest may name the number again. */
void shadow_fd_release(int fd);
/* Is fd one a guest may name? (Not negative, not reserved.) */
bool shadow_fd_guest_ok(int fd);

#endif /* HOSTD_SHADOW_FDS_H */
