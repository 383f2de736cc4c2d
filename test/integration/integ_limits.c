/* SPDX-License-Identifier: MIT */
/*
 * Limits: hostd refuses an attach beyond --max-shadows (-VMRPC_EREFUSED,
 * the channel comes back FREE, the refusal is logged), and a region whose
 * channels are all taken answers -VMRPC_ENOCHAN.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "harness.h"
#include "hostcalls_caller.h"

static int32_t shadow_of(struct vmrpc_chan *ch)
{
	struct vmrpc_binding hc;
	int32_t pid = 0;

	itest_assert_err(hostcalls_bind(ch, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, &pid, NULL, NULL), 0);
	return pid;
}

static void test_max_shadows(void **state)
{
	struct itest_hostd h;
	struct vmrpc_region *r;
	struct vmrpc_chan *c0, *c1, *c2 = NULL;
	char needle[128];
	int32_t s0;

	(void)state;
	itest_hostd_start(&h, "--channels", "4", "--max-shadows", "2", (char *)NULL);
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &r), 0);
	itest_assert_err(vmrpc_chan_open(r, 0, &c0), 0);
	itest_assert_err(vmrpc_chan_open(r, 0, &c1), 0);
	assert_int_equal(vmrpc_chan_index(c0), 0);
	assert_int_equal(vmrpc_chan_index(c1), 1);
	s0 = shadow_of(c0);
	shadow_of(c1);

	/* the third is refused, every time, and its channel is FREE again */
	for (int i = 1; i <= 3; i++) {
		itest_assert_err(vmrpc_chan_open(r, 0, &c2), -VMRPC_EREFUSED);
		assert_int_equal(vmrpc_region_chan(r, 2)->ctl.state, VMRPC_CHAN_FREE);
		snprintf(needle, sizeof(needle),
			 "channel 2: attach by pid %d refused: shadow limit 2 reached",
			 (int)getpid());
		itest_log_wait(&h, i, needle, (char *)NULL);
	}
	assert_int_equal(itest_log_count(&h, " attached: ", (char *)NULL), 2);
	assert_string_equal(vmrpc_strerror(-VMRPC_EREFUSED),
			    "hostd refused the attach (limit reached or not allowed)");

	/* A shadow slot frees while channels 0 and 1 stay taken (0 is DEAD):
	 * the next claim lands on the refused channel 2 and must attach. */
	assert_int_equal(kill(s0, SIGKILL), 0);
	snprintf(needle, sizeof(needle), "shadow pid %d for caller pid %d exited with signal 9",
		 s0, (int)getpid());
	itest_log_wait(&h, 1, needle, (char *)NULL);
	itest_assert_err(vmrpc_chan_open(r, 0, &c2), 0);
	assert_int_equal(vmrpc_chan_index(c2), 2);
	shadow_of(c2);
	/* and the limit holds again */
	{
		struct vmrpc_chan *c3 = NULL;
		itest_assert_err(vmrpc_chan_open(r, 0, &c3), -VMRPC_EREFUSED);
		assert_int_equal(vmrpc_region_chan(r, 3)->ctl.state, VMRPC_CHAN_FREE);
	}

	vmrpc_chan_close(c0);
	vmrpc_chan_close(c1);
	vmrpc_chan_close(c2);
	itest_log_wait(&h, 2, "reaped", (char *)NULL);
	itest_log_wait(&h, 1, "detached; channel free", (char *)NULL);
	vmrpc_region_close(r);
	itest_hostd_stop(&h);
}

/* A caller that claims channel 2 by hand, rings, sees the refusal and dies
 * without handing the channel back (what a killed caller leaves). */
static int refused_dies_main(int rd, int wr, void *arg)
{
	struct vmrpc_doorbell_msg m = { VMRPC_DOORBELL_ATTACH, 2, 0x1234567890abcdefull };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct vmrpc_region *r;
	struct vmrpc_chan_hdr *c;
	uint32_t st = VMRPC_CHAN_FREE;
	uint64_t deadline = itest_now_ms() + ITEST_DEADLINE_MS;
	int fd;

	(void)rd;
	(void)arg;
	ITEST_CHECK_EQ(vmrpc_region_open(ITEST_REGION, &r), 0);
	c = vmrpc_region_chan(r, 2);
	ITEST_CHECK(__atomic_compare_exchange_n(&c->ctl.state, &st, VMRPC_CHAN_CLAIMED, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	__atomic_store_n(&c->ctl.owner_pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&c->ctl.attach_nonce, m.nonce, __ATOMIC_RELEASE);
	ITEST_CHECK(vmrpc_region_path(ITEST_REGION, ".sock", a.sun_path, sizeof(a.sun_path)) == 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ITEST_CHECK(fd >= 0);
	ITEST_CHECK(sendto(fd, &m, sizeof(m), 0, (struct sockaddr *)&a, sizeof(a)) ==
		    (ssize_t)sizeof(m));
	while (__atomic_load_n(&c->ctl.state, __ATOMIC_ACQUIRE) != VMRPC_CHAN_REFUSED) {
		ITEST_CHECK(itest_now_ms() < deadline);
		usleep(1000);
	}
	ITEST_CHECK(itest_send(wr, c->ctl.attach_error) == 0);
	return 0; /* leaving the channel REFUSED */
}

static void test_refused_caller_dies(void **state)
{
	struct itest_hostd h;
	struct vmrpc_region *r;
	struct vmrpc_chan *c0, *c1, *c2 = NULL;
	struct itest_child k;
	uint64_t deadline;

	(void)state;
	itest_hostd_start(&h, "--channels", "4", "--max-shadows", "2", (char *)NULL);
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &r), 0);
	itest_assert_err(vmrpc_chan_open(r, 0, &c0), 0);
	itest_assert_err(vmrpc_chan_open(r, 0, &c1), 0);
	shadow_of(c0);
	shadow_of(c1);

	itest_child_start(&k, refused_dies_main, NULL);
	itest_assert_err(itest_expect(&k), -VMRPC_EREFUSED);
	assert_int_equal(itest_child_wait(&k), 0);
	/* hostd sees it die and gives the channel back */
	deadline = itest_now_ms() + ITEST_DEADLINE_MS;
	while (vmrpc_region_chan(r, 2)->ctl.state != VMRPC_CHAN_FREE && itest_now_ms() < deadline)
		usleep(2000);
	assert_int_equal(vmrpc_region_chan(r, 2)->ctl.state, VMRPC_CHAN_FREE);
	/* and a new claim on it gets a proper answer, not silence */
	itest_assert_err(vmrpc_chan_open(r, 0, &c2), -VMRPC_EREFUSED);
	assert_int_equal(vmrpc_region_chan(r, 2)->ctl.state, VMRPC_CHAN_FREE);
	vmrpc_chan_close(c1);
	itest_log_wait(&h, 1, "channel 1 ", "reaped", (char *)NULL);
	itest_assert_err(vmrpc_chan_open(r, 0, &c2), 0);
	shadow_of(c2);

	vmrpc_chan_close(c0);
	vmrpc_chan_close(c2);
	itest_log_wait(&h, 3, "reaped", (char *)NULL);
	vmrpc_region_close(r);
	itest_hostd_stop(&h);
}

static void test_no_free_channel(void **state)
{
	struct itest_hostd h;
	struct vmrpc_region *r;
	struct vmrpc_chan *c0, *c1, *c2 = NULL;

	(void)state;
	itest_hostd_start(&h, "--channels", "2", (char *)NULL);
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &r), 0);
	itest_assert_err(vmrpc_chan_open(r, 0, &c0), 0);
	itest_assert_err(vmrpc_chan_open(r, 0, &c1), 0);
	itest_assert_err(vmrpc_chan_open(r, 0, &c2), -VMRPC_ENOCHAN);
	assert_string_equal(vmrpc_strerror(-VMRPC_ENOCHAN), "no free channel in the region");
	/* no doorbell was rung for it: nothing in the log */
	assert_int_equal(itest_log_count(&h, "refused", (char *)NULL), 0);
	shadow_of(c0);
	shadow_of(c1);

	vmrpc_chan_close(c1);
	itest_log_wait(&h, 1, "channel 1 ", "reaped", (char *)NULL);
	itest_assert_err(vmrpc_chan_open(r, 0, &c2), 0);
	assert_int_equal(vmrpc_chan_index(c2), 1);
	shadow_of(c2);
	vmrpc_chan_close(c0);
	vmrpc_chan_close(c2);
	itest_log_wait(&h, 3, "reaped", (char *)NULL);
	vmrpc_region_close(r);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_max_shadows, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_refused_caller_dies, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_no_free_channel, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_limits", tests, NULL, NULL);
}
