/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

static char unit_dir_path[PATH_MAX];

static void unit_watchdog(int sig)
{
	static const char msg[] = "\nunit: watchdog: the test hung, giving up\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(124);
}

int unit_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct sigaction sa = { .sa_handler = unit_watchdog };

	(void)state;
	snprintf(unit_dir_path, sizeof(unit_dir_path), "%s/vmrpc-unit-XXXXXX",
		 tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (standin_runtime_dir_create(unit_dir_path) < 0)
		return -1;
	sigaction(SIGALRM, &sa, NULL);
	alarm(UNIT_WATCHDOG_S);
	return 0;
}

int unit_teardown(void **state)
{
	(void)state;
	alarm(0);
	standin_runtime_dir_remove(unit_dir_path);
	return 0;
}

const char *unit_dir(void)
{
	return unit_dir_path;
}

uint64_t unit_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void unit_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void unit_futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void unit_region_create(uint32_t n, uint32_t chan_size, struct vmrpc_region **ret_region,
			int *ret_bell_fd)
{
	struct vmrpc_region_opts o = { .n_channels = n, .chan_size = chan_size };

	assert_int_equal(standin_region_create(UNIT_REGION, &o, ret_region, ret_bell_fd), 0);
}

void unit_chan_arena(struct vmrpc_region *r, uint32_t i, uint64_t *ret_start,
		     uint64_t *ret_end)
{
	const struct vmrpc_region_hdr *h = vmrpc_region_hdr(r);
	uint64_t chan = h->chan_off + (uint64_t)i * h->chan_size;

	*ret_start = chan + VMRPC_ARENA_OFF;
	*ret_end = chan + h->chan_size;
}

int unit_kill_child(pid_t pid)
{
	int st = 0;

	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static void *unit_later_main(void *p)
{
	struct unit_later *l = p;

	unit_sleep_ms(l->ms);
	l->fn(l->arg);
	return NULL;
}

void unit_later_start(struct unit_later *l, unsigned ms, void (*fn)(void *), void *arg)
{
	l->ms = ms;
	l->fn = fn;
	l->arg = arg;
	assert_int_equal(pthread_create(&l->thread, NULL, unit_later_main, l), 0);
}

void unit_later_join(struct unit_later *l)
{
	pthread_join(l->thread, NULL);
}
