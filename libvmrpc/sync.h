/* SPDX-License-Identifier: MIT */
/* Atomics and futexes on shared-memory words. The words live in a MAP_SHARED
 * file mapping used by several processes, so futexes are never PRIVATE. */
#ifndef VMRPC_SYNC_H
#define VMRPC_SYNC_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline uint32_t sync_load_acquire(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline uint32_t sync_load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void sync_store_release(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline void sync_store(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline int sync_cas(uint32_t *p, uint32_t expected, uint32_t desired)
{
	return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/* Orders a store before a later load (Dekker): the request/sleep handshake. */
static inline void sync_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void sync_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* Sleep while *p == expected, at most timeout_ns (0: forever). Returns 0 on
 * wake-up or value change, -ETIMEDOUT, or -EINTR. */
/* Both futex calls leave errno as they found it: a call that succeeds must
 * not leak the EAGAIN of a word that changed before the wait into the
 * caller's errno (the LD_PRELOAD shim's readdir() reports its end with
 * errno untouched, and a program reading errno there saw EAGAIN). */
static inline int sync_futex_wait(uint32_t *p, uint32_t expected, uint64_t timeout_ns)
{
	struct timespec ts, *tsp = NULL;
	int saved = errno, err = 0;

	if (timeout_ns) {
		ts.tv_sec = (time_t)(timeout_ns / 1000000000u);
		ts.tv_nsec = (long)(timeout_ns % 1000000000u);
		tsp = &ts;
	}
	if (syscall(SYS_futex, p, FUTEX_WAIT, expected, tsp, NULL, 0) < 0 && errno != EAGAIN)
		err = -errno;
	errno = saved;
	return err;
}

static inline void sync_futex_wake(uint32_t *p)
{
	int saved = errno;

	syscall(SYS_futex, p, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	errno = saved;
}

static inline uint64_t sync_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* VMRPC_SYNC_H */
