/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the unit tests: a private runtime directory per test, a
 * watchdog, doorbell handling, and a host side (in a thread or in a forked
 * child) so channels can be attached without vmrpc-hostd.
 *
 * Includes <cmocka.h> with its prerequisites. Helpers that can fail fail the
 * current test through cmocka's assert_*().
 */
#ifndef VMRPC_TEST_UNIT_H
#define VMRPC_TEST_UNIT_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>

#include "vmrpc/stub.h"
#include "vmrpc_private.h"

#define UNIT_REGION "t"
/* A test that runs longer than this has hung: the process exits with 124. */
#define UNIT_WATCHDOG_S 40

/* cmocka setup/teardown: mkdtemp a runtime directory, point
 * VMRPC_RUNTIME_DIR at it, arm the watchdog; then remove it all. */
int unit_setup(void **state);
int unit_teardown(void **state);
const char *unit_dir(void);

uint64_t unit_now_ns(void);
void unit_sleep_ms(unsigned ms);
void unit_futex_wake(uint32_t *word);

/* Create region UNIT_REGION with n channels of chan_size bytes and, if
 * ret_bell_fd is not NULL, bind its doorbell. */
void unit_region_create(uint32_t n, uint32_t chan_size, struct vmrpc_region **ret_region,
			int *ret_bell_fd);

/* Channel i's arena as region offsets [*ret_start, *ret_end), computed from
 * the ABI alone (what a hostile caller can compute too). */
void unit_chan_arena(struct vmrpc_region *r, uint32_t i, uint64_t *ret_start,
		     uint64_t *ret_end);

/* Wait up to timeout_ms for one doorbell: 0, or -ETIMEDOUT. */
int unit_bell_wait(int fd, int timeout_ms, struct vmrpc_doorbell *ret_bell);

/* ---- a host side in a thread of the test process --------------------- */

enum unit_host_mode {
	UNIT_HOST_ATTACH, /* attach and serve each channel in a callee thread */
	UNIT_HOST_REFUSE, /* refuse each attach with refuse_err */
	UNIT_HOST_IGNORE, /* receive doorbells, never answer */
};

#define UNIT_HOST_MAX_BELLS 64

struct unit_host {
	struct vmrpc_region *region; /* host side handle (created) */
	int bell_fd;
	enum unit_host_mode mode;
	int refuse_err;
	const struct vmrpc_service *svcs;
	size_t n_svcs;
	uint32_t callee_spin_ns; /* UINT32_MAX: leave the default */
	/* filled by the host thread */
	pthread_mutex_t lock;
	struct vmrpc_doorbell bells[UNIT_HOST_MAX_BELLS];
	unsigned n_bells;
	struct vmrpc_callee *callees[VMRPC_CHAN_MAX];
	pthread_t callee_threads[VMRPC_CHAN_MAX];
	/* private */
	pthread_t thread;
	int stop; /* atomic */
};

void unit_host_start(struct unit_host *h);
/* Stops the host thread and every callee thread; closes nothing else. */
void unit_host_stop(struct unit_host *h);
/* Copy of the i-th doorbell received; waits up to 2 s for it. */
void unit_host_bell(struct unit_host *h, unsigned i, struct vmrpc_doorbell *ret_bell);

/* ---- a host side in a forked child (a real separate callee process) --- */

/* Fork a child that waits for one ATTACH doorbell on bell_fd, attaches the
 * channel with its own pid as callee_pid, and serves it until killed. */
pid_t unit_fork_callee(struct vmrpc_region *host_region, int bell_fd,
		       const struct vmrpc_service *svcs, size_t n_svcs, uint32_t spin_ns);
/* SIGKILL and reap a child; returns its wait status. */
int unit_kill_child(pid_t pid);

/* Run fn(arg) after ms milliseconds in a new thread. */
struct unit_later {
	pthread_t thread;
	unsigned ms;
	void (*fn)(void *arg);
	void *arg;
};
void unit_later_start(struct unit_later *l, unsigned ms, void (*fn)(void *), void *arg);
void unit_later_join(struct unit_later *l);

#endif /* VMRPC_TEST_UNIT_H */
