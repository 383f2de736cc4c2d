/* SPDX-License-Identifier: MIT */
/*
 * An idle system uses no CPU: with a caller attached and no calls, hostd
 * and the shadow sleep in the kernel without timers. Counted in context
 * switches, not time: a process that polls (a timed futex sleep, a periodic
 * check) switches at every wake-up, one that only waits does not at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/syscall.h>

#include "harness.h"
#include "hostcalls_caller.h"

#define IDLE_MS 3000

/* Voluntary plus involuntary context switches of pid, from /proc. */
static long ctxt_switches(pid_t pid)
{
	char path[64], line[256];
	long total = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		long v;
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
		    sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
			total += v;
	}
	fclose(f);
	return total;
}

static void test_idle_uses_no_cpu(void **state)
{
	/* The shadow sleeps in futex_waitv, or in futex on a kernel without
	 * it: only its sleep counts, not the futex wake it makes on its way. */
	static const long sleeping[] = { SYS_futex_waitv, SYS_futex };
	size_t n_sleeping = syscall(SYS_futex_waitv, NULL, 0, 0, NULL, 0) < 0 && errno == ENOSYS
				    ? 2 : 1;
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	int32_t shadow;
	long h0, s0, h1, s1;

	(void)state;
	itest_hostd_start(&h, "--channels", "2", (char *)NULL);
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	itest_assert_err(hostcalls_bind(g.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, &shadow, NULL, NULL), 0);
	/* past its spin: asleep, waiting for the next request */
	assert_int_equal(itest_wait_in_syscall(shadow, sleeping, n_sleeping, ITEST_DEADLINE_MS), 0);
	/* and hostd done with the attach, asleep in its io_uring: on a busy
	 * machine it may still be logging it, which is not polling */
	{
		static const long waiting[] = { SYS_io_uring_enter };
		assert_int_equal(itest_wait_in_syscall(h.pid, waiting, 1, ITEST_DEADLINE_MS), 0);
	}

	h0 = ctxt_switches(h.pid);
	s0 = ctxt_switches(shadow);
	usleep(IDLE_MS * 1000);
	h1 = ctxt_switches(h.pid);
	s1 = ctxt_switches(shadow);
	/* A stray wake-up (a signal, the machine's noise) is not polling; a
	 * one-second poll would already switch three times. */
	if (h1 - h0 > 1 || s1 - s0 > 1)
		fail_msg("idle for %d ms: hostd switched %ld times, the shadow %ld times",
			 IDLE_MS, h1 - h0, s1 - s0);

	/* and it still answers at once */
	itest_assert_err(hostcalls_identity(&hc, NULL, NULL, NULL), 0);
	vmrpc_guest_detach(&g);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idle_uses_no_cpu, itest_setup,
						itest_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
