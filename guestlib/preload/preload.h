/* SPDX-License-Identifier: MIT */
/*
 * The LD_PRELOAD shim's internal header: what its files share. Nothing
 * here is exported from the library (hidden, so the files reach each
 * other's variables directly, not through the GOT).
 *
 * Every routed wrapper has one shape: route (host_fd(), host_path() or
 * host_at(): a host descriptor or path?), else libc's own (REAL()); a
 * host one makes its host call through HOST_CALL() (lock, attach, call,
 * unlock) and gives the result to libc's convention with ret_errno():
 *
 *	int hfd = host_fd(fd);
 *
 *	if (hfd < 0)
 *		return REAL(fsync)(fd);
 *	return (int)ret_errno(HOST_CALL(hostfs_fsync(&preload_host->fs, hfd, false)));
 */
#ifndef GUESTLIB_PRELOAD_H
#define GUESTLIB_PRELOAD_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "preload_libc.h"
#include "vmrpc/hostcall.h"

/* A libc function the shim replaces for every program. */
#define EXPORT __attribute__((visibility("default")))

#pragma GCC visibility push(hidden)

/* ---- preload.c: start-up ------------------------------------------------- */

extern bool preload_ready;
__attribute__((cold)) void preload_setup(void);

/* Before anything routes: other libraries' constructors (libselinux's, in
 * ls) may run before ours and already call open(). */
static inline void preload_init(void)
{
	if (!__atomic_load_n(&preload_ready, __ATOMIC_ACQUIRE))
		preload_setup();
}

/* ---- preload_host.c: the host context ------------------------------------ */

/* One host call at a time per process: its threads share one channel. */
extern pthread_mutex_t preload_lock;
#define LOCK() pthread_mutex_lock(&preload_lock)
#define UNLOCK() pthread_mutex_unlock(&preload_lock)

/* The host context while attached (read with the lock held, after
 * host_get()). */
extern struct vmrpc_host *preload_host;
/* An exec'd image's channel to take up, from $VMRPC_HOST_STATE
 * (preload_exec.c), and the real ids it was attached with. */
extern bool preload_adopt;
extern uint32_t preload_adopt_chan;
extern uint64_t preload_adopt_nonce;
extern uid_t preload_host_uid;
extern gid_t preload_host_gid;

__attribute__((cold)) struct vmrpc_host *host_get_attach(void);

/* The host context, attached on first use (lock held). NULL with errno
 * set if there is none: EIO for a transport failure, EACCES while the
 * process's real and effective ids differ (preload_ids.c). Inline: once
 * attached, a host call pays no call for it. */
static inline struct vmrpc_host *host_get(void)
{
	return preload_host ? preload_host : host_get_attach();
}

/* A host call's result to libc's convention: r, or -1 with errno -r (EIO
 * for what is no errno). */
static inline long ret_errno(int64_t r)
{
	if (r >= 0)
		return (long)r;
	errno = r < -4095 ? EIO : (int)-r;
	return -1;
}

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

/* Let the host context go (lock held): every host descriptor turns
 * stale. */
void host_drop(void);
/* The process's uids or gids changed (lock held): its shadow serves the
 * old ones. Detach: the channel and the shadow go, every host descriptor
 * fails with EBADF from now on, and the next host call attaches afresh
 * (as the new ids) and takes up the host working directory again by path
 * (relative host paths meanwhile resolve against that path). */
void host_ids_changed(void);

/* ---- preload_fdtable.c: the descriptor table ----------------------------- */

#define PRELOAD_FD_MAX 65536
/* The host fd of a host descriptor whose host context went: larger than
 * any descriptor a kernel hands out (fs.nr_open is at most 2^30), so the
 * shadow answers every call on it with EBADF. */
#define PRELOAD_HFD_STALE (INT32_MAX - 1)

/* Guest fd -> host fd + 1 (0: a guest fd). */
extern int preload_fds[PRELOAD_FD_MAX];

/* The host descriptor behind guest descriptor gfd, or -1 for a guest
 * descriptor. A host descriptor whose host context went (a uid change, a
 * fork without a shadow) maps to a number no shadow has, so every routed
 * call on it fails with EBADF. Inline: every descriptor wrapper asks. */
static inline int host_fd(int gfd)
{
	preload_init();
	if (gfd < 0 || gfd >= PRELOAD_FD_MAX)
		return -1;
	return __atomic_load_n(&preload_fds[gfd], __ATOMIC_ACQUIRE) - 1;
}

/* Where the shim's own descriptors go (start-up). */
void fds_init(void);
/* Map guest fd gfd to host fd hfd (-1: a guest fd again). */
void map_fd(int gfd, int hfd);
/* The host context went: every host descriptor turns stale. */
void fds_make_stale(void);
/* The shim's own descriptors, -1 where there is none. */
#define PRELOAD_HIDDEN_MAX 4
extern int preload_hidden[PRELOAD_HIDDEN_MAX];

/* Is fd one of the shim's own? The program's calls on it are EBADF
 * (fd_ebadf(): -1 with errno EBADF). Inline: close, dup and fcntl of
 * every guest descriptor ask. */
static inline bool fd_hidden(int fd)
{
	if (fd < 0)
		return false;
	for (int i = 0; i < PRELOAD_HIDDEN_MAX; i++)
		if (__atomic_load_n(&preload_hidden[i], __ATOMIC_RELAXED) == fd)
			return true;
	return false;
}

int fd_ebadf(void);
/* Move the region's descriptors out of the way and hide them, or show
 * them again before the region goes (lock held). */
void fds_hide_region(struct vmrpc_host *h, bool hide);
/* A dup2 onto hidden fd's number: move ours away (lock held). */
int fd_vacate(int fd);
/* The placeholder template, -1 if there is none (lock held). */
int placeholder_template(void);
/* A guest number for host fd hfd, at or above min (lock held). */
int reserve_fd(int hfd, bool cloexec, int min);
/* Forget gfd and close host fd hfd behind it (lock held): 0 or -errno. */
int host_unmap(int gfd, int hfd);
/* close_range(2) of what the program can see (lock held). */
int close_range_visible(unsigned first, unsigned last, int flags);

/* ---- preload_route.c: host path or guest path? --------------------------- */

#define PRELOAD_PREFIX_MAX 256
/* The host prefix (/host), its length without a trailing slash. */
extern char preload_prefix[PRELOAD_PREFIX_MAX];
extern size_t preload_prefix_len;

/* The prefix from the environment (start-up). */
void route_init(void);
/* Is path a host path? Then *ret_path is the host's path (the prefix
 * stripped; relative paths stay relative to the shadow's cwd). */
bool host_path(const char *path, const char **ret_path);
/* The same for an *at() call: true with the host's dirfd and path. */
bool host_at(int dirfd, const char *path, int *ret_dirfd, const char **ret_path);
/* Whether p is NULL, for arguments glibc declares nonnull but the kernel
 * accepts NULL for (utimensat's path): out of line, so the check stays. */
bool is_null(const void *p);

/* ---- preload_cwd.c: the working directory -------------------------------- */

/* The working directory is a host directory. */
extern bool preload_cwd_host;
/* It is, by path, still to be taken up by a new shadow (pending), which
 * could not (lost); want is that path (preload_cwd.c says more). Changed
 * with the lock held. */
extern bool preload_cwd_pending, preload_cwd_lost;
extern char preload_cwd_want[PATH_MAX];

/* Fill in the path, too long for any host call, that relative paths
 * become while the working directory has no name (start-up). */
void cwd_init(void);
/* Take the pending working directory up in a new shadow (lock held,
 * attached). */
void cwd_take_up(void);
/* Relative host path while the working directory is pending: want/path. */
const char *cwd_pending_join(const char *path);
/* The shadow is in the host working directory, and one that goes must
 * name it (hostfs_getcwd()) for cwd_leave_shadow(): the next shadow takes
 * it up by that path (lock held). */
bool cwd_in_shadow(void);
void cwd_leave_shadow(int32_t r, const char *path);

/* ---- preload_exec.c: what survives an exec ------------------------------- */

/* Take up what the previous image left in $VMRPC_HOST_STATE (start-up). */
void exec_state_load(void);

/* ---- preload_stdio.c: stdio streams of host files ------------------------ */

/* stdin, stdout and stderr over host calls where they are host files
 * (the constructor of an exec'd image). */
void stdio_on_host_files(void);
/* A fork's child: the streams' lock starts free. */
void stdio_fork_child(void);

/* ---- preload_ids.c: uid and gid changes ---------------------------------- */

/* 0 if the process's real, effective and file-system ids agree (a new
 * shadow would run as them), else -EACCES. */
int preload_ids_ok(void);

#pragma GCC visibility pop

#endif /* GUESTLIB_PRELOAD_H */
