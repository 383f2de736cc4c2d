/* SPDX-License-Identifier: MIT */
/*
 * A stand-in for vmrpc-hostd, for the unit tests and the benchmarks: the
 * few host-side steps of a loopback region (a runtime directory, the region
 * and its doorbell socket, answering attach doorbells, freeing detached
 * channels) without the daemon, its shadows or its configuration.
 *
 * A channel it attaches is served by a vmrpc_callee, in a thread of this
 * process (struct standin_host) or in a process of its own
 * (standin_chan_accept() in a child, standin_callee_fork()). The stand-in
 * only sets channels up: calls then go straight through the channel
 * between the caller and vmrpc_callee_serve(), as they do under hostd.
 *
 * Built on libvmrpc's private API and nothing else. Like the library it
 * never prints: every function returns 0 or -errno, and its caller reports.
 */
#ifndef VMRPC_STANDIN_H
#define VMRPC_STANDIN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmrpc_private.h"

/* A spin budget that leaves libvmrpc's own default alone. */
#define STANDIN_SPIN_DEFAULT UINT32_MAX

/* ---- runtime directory and region ------------------------------------- */

/* mkdtemp(dir_template) (it ends in XXXXXX and is filled in) and point
 * VMRPC_RUNTIME_DIR at it, as hostd's runtime directory. */
int standin_runtime_dir_create(char *dir_template);
/* Remove every file in dir, dir itself, and VMRPC_RUNTIME_DIR. */
void standin_runtime_dir_remove(const char *dir);

/* Create region name (opts as for vmrpc_hostd_region_create()) and, unless
 * ret_bell_fd is NULL, bind its loopback doorbell socket. On failure
 * nothing stays open and the outputs are untouched. */
int standin_region_create(const char *name, const struct vmrpc_region_opts *opts,
			  struct vmrpc_region **ret_region, int *ret_bell_fd);

/* Wait up to timeout_ms for one doorbell on bell_fd: 0, -ETIMEDOUT, or an
 * error of vmrpc_hostd_doorbell_recv() (-EPROTO: a malformed datagram). */
int standin_bell_wait(int bell_fd, int timeout_ms, struct vmrpc_doorbell *ret_bell);

/* ---- attaching a channel ------------------------------------------------ */

/* Attach channel i with callee_pid as its callee, as hostd does for a
 * shadow, and open a callee on it with spin budget spin_ns
 * (STANDIN_SPIN_DEFAULT: libvmrpc's). */
int standin_chan_attach(struct vmrpc_region *region, uint32_t i, pid_t callee_pid,
			uint32_t spin_ns, struct vmrpc_callee **ret_callee);

/* What a callee process does first: wait up to timeout_ms for the next
 * attach doorbell (other doorbells are skipped), check its claim as hostd
 * does (-ESTALE if it does not hold), and attach the channel to this
 * process with standin_chan_attach(). Serve it with vmrpc_callee_serve(). */
int standin_chan_accept(struct vmrpc_region *region, int bell_fd, int timeout_ms,
			uint32_t spin_ns, struct vmrpc_callee **ret_callee);

/* Fork a child that dies with this process, accepts one channel (within
 * 10 s) and serves it with svcs until it is killed. The child exits 2 if
 * this process was already gone, 3 if no channel came, 0 if serving ends. */
int standin_callee_fork(struct vmrpc_region *region, int bell_fd,
			const struct vmrpc_service *svcs, size_t n_svcs, uint32_t spin_ns,
			pid_t *ret_pid);

/* ---- a host side in a thread of this process ---------------------------- */

enum standin_host_mode {
	STANDIN_HOST_ATTACH, /* attach and serve each channel in a callee thread */
	STANDIN_HOST_REFUSE, /* refuse each attach with refuse_err */
	STANDIN_HOST_IGNORE, /* receive doorbells, never answer */
};

#define STANDIN_HOST_MAX_BELLS 64

/* A thread that answers every doorbell of one region until stopped; in
 * every mode a detach doorbell frees its channel (after stopping its
 * callee), and an attach doorbell whose claim does not hold is ignored. */
struct standin_host {
	/* set by the caller before standin_host_start() */
	struct vmrpc_region *region; /* the host side's handle (created) */
	int bell_fd;
	enum standin_host_mode mode;
	int refuse_err;
	const struct vmrpc_service *svcs;
	size_t n_svcs;
	uint32_t callee_spin_ns; /* STANDIN_SPIN_DEFAULT: leave the default */
	/* filled by the host thread */
	pthread_mutex_t lock;
	struct vmrpc_doorbell bells[STANDIN_HOST_MAX_BELLS]; /* the first ones received */
	unsigned n_bells;
	struct vmrpc_callee *callees[VMRPC_CHAN_MAX];
	pthread_t callee_threads[VMRPC_CHAN_MAX];
	/* private */
	pthread_t thread;
	int stop; /* atomic */
};

int standin_host_start(struct standin_host *h);
/* Stop the host thread and every callee thread; closes nothing else. */
void standin_host_stop(struct standin_host *h);
/* Copy of the i-th doorbell received, waiting up to timeout_ms for it:
 * 0 or -ETIMEDOUT. */
int standin_host_bell(struct standin_host *h, unsigned i, int timeout_ms,
		      struct vmrpc_doorbell *ret_bell);

#endif /* VMRPC_STANDIN_H */
