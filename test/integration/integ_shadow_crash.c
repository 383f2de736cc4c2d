/* SPDX-License-Identifier: MIT */
/*
 * A shadow that crashes (SIGSEGV), while its caller is idle and while its
 * caller waits in a call: the caller's next or current call returns
 * -VMRPC_EPEERDIED instead of hanging, hostd logs the signal, and closing
 * the channel frees it for a new attach.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "harness.h"
#include "hostcalls_caller.h"

/* How hostd describes a shadow killed by SIGSEGV. A sanitized shadow
 * catches it, reports it and exits with status 1 instead. */
#ifdef ITEST_SANITIZE
#define SEGV_EXIT "exited with status 1"
#else
#define SEGV_EXIT "exited with signal 11"
#endif

static char fifo_path[PATH_MAX];

/* Wait until pid sleeps in futex_waitv(2) (or futex(2) on kernels before
 * 5.16): an idle shadow waiting for requests. */
static int wait_idle(pid_t pid)
{
	static const long nrs[] = { SYS_futex, SYS_futex_waitv };

	return itest_wait_in_syscall(pid, nrs, 2, ITEST_DEADLINE_MS);
}

static void test_crash_while_idle(void **state)
{
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	char needle[128];
	int32_t shadow, shadow2;
	uint32_t index;

	(void)state;
	itest_hostd_start(&h, "--channels", "2", (char *)NULL);
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	index = vmrpc_chan_index(g.chan);
	itest_assert_err(hostcalls_bind(g.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, &shadow, NULL, NULL), 0);

	/* Asleep in the kernel, the shadow cannot answer once the signal is
	 * pending: the very next call must see it die. */
	assert_int_equal(wait_idle(shadow), 0);
	assert_int_equal(kill(shadow, SIGSEGV), 0);
	itest_assert_err(hostcalls_identity(&hc, NULL, NULL, NULL), -VMRPC_EPEERDIED);
	itest_assert_err(hostcalls_getcwd(&hc, needle, sizeof(needle)), -VMRPC_EPEERDIED);
	snprintf(needle, sizeof(needle), "channel %u: shadow pid %d for caller pid %d " SEGV_EXIT,
		 index, shadow, (int)getpid());
	itest_log_wait(&h, 1, needle, (char *)NULL);
	assert_int_equal(itest_wait_gone(shadow, ITEST_DEADLINE_MS), 0);
	assert_int_equal(vmrpc_region_chan(g.region, index)->ctl.state, VMRPC_CHAN_DEAD);

	/* closing returns the channel */
	vmrpc_guest_detach(&g);
	snprintf(needle, sizeof(needle), "channel %u: caller pid %d detached; channel free", index,
		 (int)getpid());
	itest_log_wait(&h, 1, needle, (char *)NULL);

	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	assert_int_equal(vmrpc_chan_index(g.chan), index);
	itest_assert_err(hostcalls_bind(g.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, &shadow2, NULL, NULL), 0);
	assert_int_not_equal(shadow2, shadow);
	vmrpc_guest_detach(&g);
	itest_hostd_stop(&h);
}

static int blocked_main(int rd, int wr, void *arg)
{
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	char buf[64];
	int32_t pid, fd;

	(void)rd;
	(void)arg;
	fd = itest_caller_open_fifo(fifo_path, wr, &g, &hc);
	ITEST_CHECK(itest_send(wr, hostcalls_read(&hc, fd, buf, sizeof(buf))) == 0);
	/* the channel is dead for good */
	ITEST_CHECK(itest_send(wr, hostcalls_identity(&hc, NULL, NULL, NULL)) == 0);
	vmrpc_guest_detach(&g);
	/* and a new one works */
	ITEST_CHECK_EQ(vmrpc_guest_attach(NULL, &g), 0);
	ITEST_CHECK_EQ(hostcalls_bind(g.chan, &hc), 0);
	ITEST_CHECK(itest_send(wr, hostcalls_identity(&hc, &pid, NULL, NULL)) == 0);
	ITEST_CHECK(itest_send(wr, pid) == 0);
	vmrpc_guest_detach(&g);
	return 0;
}

static void test_crash_during_call(void **state)
{
	struct itest_hostd h;
	struct itest_child c;
	char needle[128];
	int64_t index, shadow, v;

	(void)state;
	snprintf(fifo_path, sizeof(fifo_path), "%s/fifo", itest_dir());
	assert_int_equal(mkfifo(fifo_path, 0600), 0);
	itest_hostd_start(&h, "--channels", "2", (char *)NULL);
	itest_child_start(&c, blocked_main, NULL);
	index = itest_expect(&c);
	shadow = itest_expect(&c);
	assert_int_equal(itest_wait_blocked_in_read((pid_t)shadow, ITEST_DEADLINE_MS), 0);
	assert_int_equal(itest_recv(c.from_child, &v, 0), -ETIMEDOUT);

	assert_int_equal(kill((pid_t)shadow, SIGSEGV), 0);
	itest_assert_err(itest_expect(&c), -VMRPC_EPEERDIED); /* the call in progress */
	itest_assert_err(itest_expect(&c), -VMRPC_EPEERDIED); /* the next one */
	snprintf(needle, sizeof(needle), "channel %d: shadow pid %d for caller pid %d " SEGV_EXIT,
		 (int)index, (int)shadow, (int)c.pid);
	itest_log_wait(&h, 1, needle, (char *)NULL);

	itest_assert_err(itest_expect(&c), 0); /* reattached */
	v = itest_expect(&c);
	assert_int_not_equal(v, shadow);
	assert_int_equal(itest_child_wait(&c), 0);
	snprintf(needle, sizeof(needle), "channel %d: caller pid %d detached; channel free",
		 (int)index, (int)c.pid);
	itest_log_wait(&h, 1, needle, (char *)NULL);
	itest_log_wait(&h, 1, "reaped", (char *)NULL);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crash_while_idle, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_crash_during_call, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_shadow_crash", tests, NULL, NULL);
}
