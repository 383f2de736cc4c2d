/* SPDX-License-Identifier: MIT */
/*
 * What vmrpc's null call is measured against when nothing but the two
 * processes' shared memory carries it: a raw spin ping-pong on two sequence
 * words (the floor for vmrpc's spinning phase) and a futex ping-pong on the
 * same words (the floor for its sleeping phase).
 */
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "nullcall.h"

/* What libvmrpc's spin loops do between loads (sync_cpu_relax()). */
static inline void nc_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static inline void nc_cpu_relax(const struct nc_cfg *cfg)
{
	/* On one CPU the peer cannot run while we spin: hand it the CPU. */
	if (cfg->one_cpu)
		sched_yield();
	else
		nc_pause();
}

static int nc_futex_wait(uint32_t *p, uint32_t expected, uint64_t timeout_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(timeout_ns / 1000000000u),
		.tv_nsec = (long)(timeout_ns % 1000000000u),
	};

	/* Not FUTEX_PRIVATE_FLAG: the word is shared with another process. */
	if (syscall(SYS_futex, p, FUTEX_WAIT, expected, &ts, NULL, 0) == 0)
		return 0;
	return errno == EAGAIN || errno == EINTR ? 0 : -errno;
}

static void nc_futex_wake(uint32_t *p)
{
	syscall(SYS_futex, p, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/* Two sequence words on their own 128-byte line pairs, like req_seq and
 * rep_seq in a vmrpc channel. */
struct nc_words {
	_Alignas(128) uint32_t ping; /* caller writes */
	uint8_t pad0[124];
	_Alignas(128) uint32_t pong; /* callee writes */
	uint8_t pad1[124];
};

/* ping value that parks the spin callee on a futex until ping changes. */
#define NC_PARK UINT32_MAX

struct nc_words_ctx {
	struct nc_words *w;
	uint32_t seq; /* caller: last ping */
};

static struct nc_words_ctx nc_spin_words, nc_futex_words;

static int nc_spin_callee(void *arg)
{
	struct nc_case *k = arg;
	struct nc_words *w = ((struct nc_words_ctx *)k->priv)->w;
	uint32_t last = 0, s;

	for (;;) {
		while ((s = __atomic_load_n(&w->ping, __ATOMIC_ACQUIRE)) == last)
			nc_cpu_relax(k->cfg);
		if (s == NC_PARK) {
			while (__atomic_load_n(&w->ping, __ATOMIC_ACQUIRE) == NC_PARK)
				nc_futex_wait(&w->ping, NC_PARK, 1000000000u);
			continue;
		}
		k->report->served++;
		__atomic_store_n(&w->pong, s, __ATOMIC_RELEASE);
		last = s;
	}
	return 0;
}

static int nc_spin_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_words_ctx *x = k->priv;
	struct nc_words *w = x->w;
	uint32_t seq = ++x->seq;

	__atomic_store_n(&w->ping, seq, __ATOMIC_RELEASE);
	for (unsigned n = 1; __atomic_load_n(&w->pong, __ATOMIC_ACQUIRE) != seq; n++) {
		nc_cpu_relax(k->cfg);
		if (n % (1u << 20) == 0 && !bench_child_alive(&k->child)) {
			fprintf(stderr, "%s: callee died\n", k->peer->key);
			return -ECHILD;
		}
	}
	return 0;
}

static void nc_spin_park(struct nc_case *k)
{
	struct nc_words_ctx *x = k->priv;

	__atomic_store_n(&x->w->ping, NC_PARK, __ATOMIC_RELEASE);
}

static void nc_spin_resume(struct nc_case *k)
{
	struct nc_words_ctx *x = k->priv;

	/* Back to the last answered value: the callee spins for the next. */
	__atomic_store_n(&x->w->ping, x->seq, __ATOMIC_RELEASE);
	nc_futex_wake(&x->w->ping);
}

static int nc_futex_callee(void *arg)
{
	struct nc_case *k = arg;
	struct nc_words *w = ((struct nc_words_ctx *)k->priv)->w;
	uint32_t last = 0, s;
	int err;

	for (;;) {
		while ((s = __atomic_load_n(&w->ping, __ATOMIC_ACQUIRE)) == last) {
			err = nc_futex_wait(&w->ping, last, 1000000000u);
			if (err < 0 && err != -ETIMEDOUT) {
				fprintf(stderr, "%s callee: FUTEX_WAIT: %s\n", k->peer->key,
					strerror(-err));
				return err;
			}
		}
		k->report->served++;
		__atomic_store_n(&w->pong, s, __ATOMIC_RELEASE);
		nc_futex_wake(&w->pong);
		last = s;
	}
	return 0;
}

/* No spinning on either side: every call is a FUTEX_WAKE each way, and a
 * FUTEX_WAIT unless the answer is already there. */
static int nc_futex_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_words_ctx *x = k->priv;
	struct nc_words *w = x->w;
	uint32_t seq = ++x->seq, s;
	int err;

	__atomic_store_n(&w->ping, seq, __ATOMIC_RELEASE);
	nc_futex_wake(&w->ping);
	while ((s = __atomic_load_n(&w->pong, __ATOMIC_ACQUIRE)) != seq) {
		err = nc_futex_wait(&w->pong, s, 1000000000u);
		if (err == -ETIMEDOUT && !bench_child_alive(&k->child)) {
			fprintf(stderr, "%s: callee died\n", k->peer->key);
			return -ECHILD;
		}
		if (err < 0 && err != -ETIMEDOUT)
			return err;
	}
	return 0;
}

static int nc_words_open(struct nc_case *k, struct nc_words_ctx *x, int (*callee)(void *))
{
	int err;

	k->priv = x;

	x->w = bench_shared_alloc(sizeof(*x->w));
	if (!x->w)
		return -errno;
	err = bench_child_start(&k->child, k->cfg->callee_cpu, callee, k);
	if (err < 0)
		fprintf(stderr, "%s: fork: %s\n", k->peer->key, strerror(-err));
	return err;
}

static int nc_spin_open(struct nc_case *k)
{
	return nc_words_open(k, &nc_spin_words, nc_spin_callee);
}

static int nc_futex_open(struct nc_case *k)
{
	return nc_words_open(k, &nc_futex_words, nc_futex_callee);
}

static void nc_words_close(struct nc_case *k)
{
	struct nc_words_ctx *x = k->priv;

	if (!x)
		return;
	/* The child keeps its own mapping until it is stopped. */
	bench_shared_free(x->w, sizeof(*x->w));
	x->w = NULL;
}

const struct nc_peer nc_peer_shm_spin = {
	.key = "raw-spin",
	.name = "raw shared-memory spin ping-pong",
	.spinning = true,
	.open = nc_spin_open,
	.call = nc_spin_call,
	.park = nc_spin_park,
	.resume = nc_spin_resume,
	.close = nc_words_close,
};

const struct nc_peer nc_peer_shm_futex = {
	.key = "futex",
	.name = "futex ping-pong",
	.spinning = false,
	.open = nc_futex_open,
	.call = nc_futex_call,
	.close = nc_words_close,
};
