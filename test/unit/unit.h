/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the unit tests: a private runtime directory per test, a
 * watchdog, regions and their arenas. A host side that attaches channels
 * without vmrpc-hostd (in a thread or in a forked child) is the stand-in's,
 * shared with the benchmarks: standin.h.
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

#include "standin.h"
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
