/* SPDX-License-Identifier: MIT */
/*
 * A caller killed with SIGKILL in the middle of a host call (its shadow
 * blocked in read(2) on a FIFO): hostd reaps the shadow, logs the exit and
 * frees the channel, which the next caller gets; another caller using the
 * region all along never notices.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "calc_caller.h"
#include "harness.h"
#include "hostcalls_caller.h"

static char fifo_path[PATH_MAX];

/* B: call in a loop, checking every result, until told to stop; then report
 * the number of calls and of failures. */
static int busy_main(int rd, int wr, void *arg)
{
	struct vmrpc_guest g;
	struct vmrpc_binding hc, calc;
	int64_t calls = 0, failures = 0;
	int32_t pid, first_pid;

	(void)arg;
	ITEST_CHECK_EQ(vmrpc_guest_attach(NULL, &g), 0);
	ITEST_CHECK_EQ(hostcalls_bind(g.chan, &hc), 0);
	ITEST_CHECK_EQ(calc_bind(g.chan, &calc), 0);
	ITEST_CHECK_EQ(hostcalls_identity(&hc, &first_pid, NULL, NULL), 0);
	ITEST_CHECK(itest_send(wr, vmrpc_chan_index(g.chan)) == 0);
	for (;;) {
		struct pollfd p = { .fd = rd, .events = POLLIN };
		int64_t a = (int64_t)(calls * 7919 % 1000003), r;

		if (poll(&p, 1, 0) > 0)
			break;
		r = calc_add(&calc, a, calls);
		if (r != a + calls) {
			fprintf(stderr, "B: add(%lld, %lld) = %lld (%s)\n", (long long)a,
				(long long)calls, (long long)r, vmrpc_strerror((int)r));
			failures++;
		}
		if (hostcalls_identity(&hc, &pid, NULL, NULL) != 0 || pid != first_pid) {
			fprintf(stderr, "B: identity failed or changed\n");
			failures++;
		}
		calls++;
		if (failures)
			break;
	}
	ITEST_CHECK(itest_send(wr, calls) == 0);
	ITEST_CHECK(itest_send(wr, failures) == 0);
	vmrpc_guest_detach(&g);
	return 0;
}

/* A: report channel and shadow, open the FIFO through the host, announce the
 * read and block in it. It must never come back. */
static int blocked_main(int rd, int wr, void *arg)
{
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	char buf[64];
	int32_t fd;
	int64_t n;

	(void)rd;
	(void)arg;
	fd = itest_caller_open_fifo(fifo_path, wr, &g, &hc);
	n = hostcalls_read(&hc, fd, buf, sizeof(buf));
	itest_send(wr, n); /* the test fails if this ever arrives */
	return 3;
}

static void test_caller_killed_mid_call(void **state)
{
	struct itest_hostd h;
	struct itest_child a, b;
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	char needle[128], chan[32];
	int64_t a_index, b_index, shadow, v;
	int32_t c_shadow;

	(void)state;
	snprintf(fifo_path, sizeof(fifo_path), "%s/fifo", itest_dir());
	assert_int_equal(mkfifo(fifo_path, 0600), 0);
	itest_hostd_start(&h, "--channels", "2", "--service", ITEST_CALC_SERVICE, (char *)NULL);

	itest_child_start(&b, busy_main, NULL);
	b_index = itest_expect(&b);
	itest_child_start(&a, blocked_main, NULL);
	a_index = itest_expect(&a);
	shadow = itest_expect(&a);
	assert_int_not_equal(a_index, b_index);
	assert_int_equal(itest_proc_ppid((pid_t)shadow), h.pid);

	/* A's shadow sleeps in read(2), and A has not returned */
	assert_int_equal(itest_wait_blocked_in_read((pid_t)shadow, ITEST_DEADLINE_MS), 0);
	assert_int_equal(itest_recv(a.from_child, &v, 0), -ETIMEDOUT);

	itest_child_kill(&a);
	assert_true(WIFSIGNALED(a.status) && WTERMSIG(a.status) == SIGKILL);

	/* the shadow is reaped: gone, not a zombie */
	if (itest_wait_gone((pid_t)shadow, ITEST_DEADLINE_MS) < 0)
		fail_msg("shadow pid %d still there (state %c) after its caller was killed",
			 (int)shadow, itest_proc_state((pid_t)shadow));
	snprintf(needle, sizeof(needle), "caller pid %d exited, shadow pid %d reaped", (int)a.pid,
		 (int)shadow);
	snprintf(chan, sizeof(chan), "channel %d ", (int)a_index);
	itest_log_wait(&h, 1, chan, needle, (char *)NULL);

	/* C gets the freed channel and works */
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	assert_int_equal(vmrpc_chan_index(g.chan), a_index);
	itest_assert_err(hostcalls_bind(g.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, &c_shadow, NULL, NULL), 0);
	assert_int_not_equal(c_shadow, shadow);
	assert_int_equal(itest_proc_ppid(c_shadow), h.pid);
	itest_assert_err(hostcalls_chdir(&hc, itest_dir()), 0);

	/* B called throughout without a single failure */
	assert_int_equal(itest_send(b.to_child, 1), 0);
	v = itest_expect(&b);
	assert_true(v > 0);
	assert_int_equal(itest_expect(&b), 0);
	assert_int_equal(itest_child_wait(&b), 0);

	vmrpc_guest_detach(&g);
	itest_log_wait(&h, 3, "reaped", (char *)NULL);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_caller_killed_mid_call, itest_setup,
						itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_caller_killed", tests, NULL, NULL);
}
