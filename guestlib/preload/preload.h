/* SPDX-License-Identifier: MIT */
/*
 * The LD_PRELOAD shim's private interface between its files. preload.c
 * keeps the shim's state (the host context, the descriptor table, the
 * working directory) and the helpers every wrapper needs; preload_*.c are
 * families of wrappers built on them, each of the shape "is it a host path
 * or descriptor? then, under the lock, one host call; its -errno to errno".
 * Nothing here is exported from the library.
 */
#ifndef GUESTLIB_PRELOAD_H
#define GUESTLIB_PRELOAD_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "preload_libc.h"
#include "vmrpc/hostcall.h"

/* A libc function the shim replaces for every program. */
#define EXPORT __attribute__((visibility("default")))

/* One host call at a time per process: its threads share one channel. */
extern pthread_mutex_t preload_lock;
#define LOCK() pthread_mutex_lock(&preload_lock)
#define UNLOCK() pthread_mutex_unlock(&preload_lock)

/* The host context while attached (read with the lock held, after
 * host_get()). */
extern struct vmrpc_host *preload_host;

/* The host descriptor behind guest descriptor gfd, or -1 for a guest
 * descriptor. A host descriptor whose host context went (a uid change, a
 * fork without a shadow) maps to a number no shadow has, so every routed
 * call on it fails with EBADF. */
int host_fd(int gfd);
/* Is path a host path? Then *ret_path is the host's path (the prefix
 * stripped; relative paths stay relative to the shadow's cwd). */
bool host_path(const char *path, const char **ret_path);
/* The same for an *at() call: true with the host's dirfd and path. */
bool host_at(int dirfd, const char *path, int *ret_dirfd, const char **ret_path);
/* The host context, attached on first use (lock held). NULL with errno
 * set if there is none: EIO for a transport failure, EACCES while the
 * process's real and effective ids differ (preload_ids.c). */
struct vmrpc_host *host_get(void);
/* A host call's result to libc's convention: r, or -1 with errno -r. */
long ret_errno(int64_t r);

/* One host call: call, an expression on preload_host, evaluated with the
 * lock held and the host context attached (host_get()). Its value, which
 * is -errno on failure, or -errno from host_get() if there is no host
 * context; ret_errno() makes it libc's convention. Every routed wrapper
 * makes its host call through this, so none can forget the lock or the
 * attach. HOST_CALL_LOCKED: the same for a caller that holds the lock. */
#define HOST_CALL_LOCKED(call) (host_get() ? (call) : -errno)
#define HOST_CALL(call) host_call_unlock((LOCK(), HOST_CALL_LOCKED(call)))

static inline int64_t host_call_unlock(int64_t r)
{
	UNLOCK();
	return r;
}

/* The process's uids or gids changed (lock held): its shadow serves the
 * old ones. Detach: the channel and the shadow go, every host descriptor
 * fails with EBADF from now on, and the next host call attaches afresh
 * (as the new ids) and takes up the host working directory again by path
 * (relative host paths meanwhile resolve against that path). */
void host_ids_changed(void);
/* 0 if the process's real, effective and file-system ids agree (a new
 * shadow would run as them), else -EACCES (preload_ids.c). */
int preload_ids_ok(void);

#endif /* GUESTLIB_PRELOAD_H */
