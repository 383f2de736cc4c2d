/* SPDX-License-Identifier: MIT */
/*
 * hostd's lifecycle: SIGTERM with callers attached (one of them waiting in a
 * call), SIGKILL, restart on the same region (adopted: generation bumped;
 * or replaced: other geometry), a second hostd on a served region, no hostd
 * at all, and command lines it must refuse.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "calc_caller.h"
#include "harness.h"
#include "hostcalls_caller.h"

static char fifo_path[PATH_MAX];

static int is_reset_or_dead(int64_t err)
{
	return err == -VMRPC_ERESET || err == -VMRPC_EPEERDIED;
}

/* A caller: report channel and shadow; blocked != 0: wait in a read on the
 * FIFO and report its result; else wait for the test's word, then call
 * twice and report both results. */
static int caller_main(int rd, int wr, void *arg)
{
	int blocked = (int)(intptr_t)arg;
	struct vmrpc_guest g;
	struct vmrpc_binding hc, calc;
	int32_t pid, fd = -1;
	int64_t go;
	char buf[16];

	ITEST_CHECK_EQ(vmrpc_guest_attach(NULL, &g), 0);
	ITEST_CHECK_EQ(hostcalls_bind(g.chan, &hc), 0);
	ITEST_CHECK_EQ(calc_bind(g.chan, &calc), 0);
	ITEST_CHECK_EQ(hostcalls_identity(&hc, &pid, NULL, NULL), 0);
	if (blocked) {
		fd = hostcalls_open(&hc, fifo_path, O_RDWR, 0);
		ITEST_CHECK(fd >= 0);
	}
	ITEST_CHECK(itest_send(wr, vmrpc_chan_index(g.chan)) == 0);
	ITEST_CHECK(itest_send(wr, pid) == 0);
	if (blocked) {
		ITEST_CHECK(itest_send(wr, hostcalls_read(&hc, fd, buf, sizeof(buf))) == 0);
	} else {
		ITEST_CHECK(itest_recv(rd, &go, ITEST_DEADLINE_MS) == 0);
		ITEST_CHECK(itest_send(wr, calc_add(&calc, 1, 2)) == 0);
	}
	ITEST_CHECK(itest_send(wr, hostcalls_identity(&hc, NULL, NULL, NULL)) == 0);
	vmrpc_guest_detach(&g);
	return 0;
}

static void test_sigterm_with_callers(void **state)
{
	struct itest_hostd h;
	struct itest_child c[3];
	int64_t shadow[3], v;
	char needle[128];

	(void)state;
	snprintf(fifo_path, sizeof(fifo_path), "%s/fifo", itest_dir());
	assert_int_equal(mkfifo(fifo_path, 0600), 0);
	itest_hostd_start(&h, "--channels", "4", "--service", ITEST_CALC_SERVICE, (char *)NULL);
	for (int k = 0; k < 3; k++) {
		itest_child_start(&c[k], caller_main, (void *)(intptr_t)(k == 2));
		itest_expect(&c[k]);
		shadow[k] = itest_expect(&c[k]);
		assert_int_equal(itest_proc_ppid((pid_t)shadow[k]), h.pid);
	}
	assert_int_equal(itest_wait_blocked_in_read((pid_t)shadow[2], ITEST_DEADLINE_MS), 0);

	/* exits 0, reaps every shadow, removes its socket */
	itest_hostd_stop(&h);
	for (int k = 0; k < 3; k++) {
		assert_int_equal(itest_proc_state((pid_t)shadow[k]), 0);
		snprintf(needle, sizeof(needle), "caller pid %d stopped with hostd, shadow pid",
			 (int)c[k].pid);
		assert_int_equal(itest_log_count(&h, needle, (char *)NULL), 1);
	}
	assert_int_equal(itest_log_count(&h, "Terminated: stopping", (char *)NULL), 1);
	assert_int_equal(itest_log_count(&h, "': stopped", (char *)NULL), 1);

	/* the caller waiting in a call got an error, not a hang */
	v = itest_expect(&c[2]);
	if (!is_reset_or_dead(v))
		fail_msg("blocked caller: %lld (%s)", (long long)v, vmrpc_strerror((int)v));
	/* the idle ones get one on their next call */
	for (int k = 0; k < 2; k++) {
		assert_int_equal(itest_send(c[k].to_child, 1), 0);
		v = itest_expect(&c[k]);
		if (!is_reset_or_dead(v))
			fail_msg("caller %d: %lld (%s)", k, (long long)v, vmrpc_strerror((int)v));
	}
	for (int k = 0; k < 3; k++) {
		v = itest_expect(&c[k]);
		if (!is_reset_or_dead(v))
			fail_msg("caller %d, second call: %lld (%s)", k, (long long)v,
				 vmrpc_strerror((int)v));
		assert_int_equal(itest_child_wait(&c[k]), 0);
	}
}

static void test_restart_same_region(void **state)
{
	struct itest_hostd h;
	struct vmrpc_guest old, fresh;
	struct vmrpc_binding hc_old, hc;
	uint32_t gen;
	int32_t shadow;

	(void)state;
	itest_hostd_start(&h, "--channels", "4", (char *)NULL);
	itest_assert_err(vmrpc_guest_attach(NULL, &old), 0);
	itest_assert_err(hostcalls_bind(old.chan, &hc_old), 0);
	itest_assert_err(hostcalls_identity(&hc_old, &shadow, NULL, NULL), 0);
	gen = vmrpc_region_hdr(old.region)->generation;
	itest_hostd_stop(&h);
	assert_int_equal(itest_proc_state(shadow), 0);

	/* nobody serves it now: a new attach says so */
	{
		struct vmrpc_guest none;
		itest_assert_err(vmrpc_guest_attach(NULL, &none), -VMRPC_ENOHOSTD);
	}

	/* same geometry: the region is adopted with a new generation */
	itest_hostd_start(&h, "--channels", "4", (char *)NULL);
	assert_int_equal(vmrpc_region_hdr(old.region)->generation, gen + 1);
	itest_assert_err(hostcalls_identity(&hc_old, NULL, NULL, NULL), -VMRPC_ERESET);
	itest_assert_err(hostcalls_identity(&hc_old, NULL, NULL, NULL), -VMRPC_ERESET);
	vmrpc_guest_detach(&old); /* not ours any more: rings nothing */

	itest_assert_err(vmrpc_guest_attach(NULL, &fresh), 0);
	itest_assert_err(hostcalls_bind(fresh.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, &shadow, NULL, NULL), 0);
	assert_int_equal(itest_proc_ppid(shadow), h.pid);
	vmrpc_guest_detach(&fresh);
	itest_log_wait(&h, 1, "reaped", (char *)NULL);
	assert_int_equal(itest_log_count(&h, "does not match its owner", (char *)NULL), 0);
	itest_hostd_stop(&h);
}

static void test_restart_other_geometry(void **state)
{
	struct itest_hostd h;
	struct vmrpc_guest old, fresh;
	struct vmrpc_binding hc_old, hc;

	(void)state;
	itest_hostd_start(&h, "--channels", "4", (char *)NULL);
	itest_assert_err(vmrpc_guest_attach(NULL, &old), 0);
	itest_assert_err(hostcalls_bind(old.chan, &hc_old), 0);
	itest_assert_err(hostcalls_identity(&hc_old, NULL, NULL, NULL), 0);
	itest_hostd_stop(&h);

	/* other geometry: a new region file; the old mapping stays valid */
	itest_hostd_start(&h, "--channels", "8", "--channel-size", "128K", (char *)NULL);
	itest_assert_err(hostcalls_identity(&hc_old, NULL, NULL, NULL), -VMRPC_ERESET);
	vmrpc_guest_detach(&old);
	itest_assert_err(vmrpc_guest_attach(NULL, &fresh), 0);
	assert_int_equal(vmrpc_region_hdr(fresh.region)->n_channels, 8);
	itest_assert_err(hostcalls_bind(fresh.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, NULL, NULL, NULL), 0);
	vmrpc_guest_detach(&fresh);
	itest_hostd_stop(&h);
}

static void test_hostd_killed(void **state)
{
	struct itest_hostd h;
	struct vmrpc_guest old, fresh;
	struct vmrpc_binding hc_old, hc;
	int32_t shadow;
	int status;

	(void)state;
	itest_hostd_start(&h, "--channels", "4", (char *)NULL);
	itest_assert_err(vmrpc_guest_attach(NULL, &old), 0);
	itest_assert_err(hostcalls_bind(old.chan, &hc_old), 0);
	itest_assert_err(hostcalls_identity(&hc_old, &shadow, NULL, NULL), 0);

	/* SIGKILL: no cleanup at all; the shadow dies with it (PDEATHSIG) and,
	 * as we are the subreaper, becomes ours to reap */
	assert_int_equal(kill(h.pid, SIGKILL), 0);
	assert_int_equal(itest_wait_exit(h.pid, ITEST_DEADLINE_MS, &status), 0);
	assert_true(WIFSIGNALED(status));
	h.pid = 0;
	assert_int_equal(itest_wait_exit(shadow, ITEST_DEADLINE_MS, &status), 0);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* the caller finds its callee gone */
	itest_assert_err(hostcalls_identity(&hc_old, NULL, NULL, NULL), -VMRPC_EPEERDIED);
	/* a new hostd takes over the region and its stale socket */
	itest_hostd_start(&h, "--channels", "4", (char *)NULL);
	itest_assert_err(hostcalls_identity(&hc_old, NULL, NULL, NULL), -VMRPC_EPEERDIED);
	vmrpc_guest_detach(&old);
	itest_assert_err(vmrpc_guest_attach(NULL, &fresh), 0);
	itest_assert_err(hostcalls_bind(fresh.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, NULL, NULL, NULL), 0);
	vmrpc_guest_detach(&fresh);
	itest_hostd_stop(&h);
}

static void test_second_hostd(void **state)
{
	static const char *const args[] = { "--loopback", ITEST_REGION, "--shadow", ITEST_SHADOW,
					    NULL };
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	char *err;
	int status;

	(void)state;
	itest_hostd_start(&h, (char *)NULL);
	status = itest_hostd_run(args, &err);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	if (!strstr(err, "another vmrpc-hostd serves this name"))
		fail_msg("second hostd said: %s", err);
	free(err);
	/* the first one is unharmed: socket, region, service */
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	itest_assert_err(hostcalls_bind(g.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, NULL, NULL, NULL), 0);
	vmrpc_guest_detach(&g);
	itest_hostd_stop(&h);
}

static void test_no_hostd(void **state)
{
	struct vmrpc_region *r;
	struct vmrpc_chan *ch = NULL;
	struct vmrpc_guest g;
	struct itest_hostd h;

	(void)state;
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &r), -VMRPC_ENOHOSTD);
	itest_assert_err(vmrpc_guest_attach(NULL, &g), -VMRPC_ENOHOSTD);
	assert_string_equal(vmrpc_strerror(-VMRPC_ENOHOSTD), "no vmrpc-hostd serves this region");

	/* a region mapped from a hostd that stopped since: nobody answers */
	itest_hostd_start(&h, "--channels", "2", (char *)NULL);
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &r), 0);
	itest_hostd_stop(&h);
	itest_assert_err(vmrpc_chan_open(r, 0, &ch), -VMRPC_ENOHOSTD);
	assert_int_equal(vmrpc_region_chan(r, 0)->ctl.state, VMRPC_CHAN_FREE);
	vmrpc_region_close(r);
	/* and a stopped hostd leaves nothing to map */
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &r), -VMRPC_ENOHOSTD);
}

/* hostd refuses a command line with exit status want and a message on
 * stderr containing msg, and creates nothing. */
static void refuse(int want, const char *msg, ...)
{
	const char *args[16];
	size_t n = 0;
	char *err;
	int status;
	va_list ap;

	va_start(ap, msg);
	while (n < 15 && (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	args[n] = NULL;
	status = itest_hostd_run(args, &err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != want || !strstr(err, msg))
		fail_msg("vmrpc-hostd %s %s %s: wait status 0x%x, stderr \"%s\"; expected exit %d "
			 "and \"%s\"", n > 0 ? args[0] : "", n > 1 ? args[1] : "",
			 n > 2 ? args[2] : "", status, err, want, msg);
	free(err);
	{
		char sock[PATH_MAX];
		assert_int_equal(vmrpc_region_path(ITEST_REGION, ".sock", sock, sizeof(sock)), 0);
		assert_int_not_equal(access(sock, F_OK), 0);
	}
}

/* Regression: a caller rang the doorbell with a blocking send, and hostd's
 * socket queues only net.unix.max_dgram_qlen (often 10) datagrams: with
 * hostd stopped, the 11th attach blocked its caller for good. Now each
 * attach gives up with -VMRPC_ENOHOSTD at its timeout, and once hostd runs
 * again it ignores the stale doorbells and serves new callers. */
static void test_hostd_stopped(void **state)
{
	struct vmrpc_region *r;
	struct vmrpc_chan *ch = NULL;
	struct itest_hostd h;
	struct vmrpc_binding hc;
	int32_t pid;

	(void)state;
	itest_hostd_start(&h, "--channels", "4", (char *)NULL);
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &r), 0);
	assert_int_equal(kill(h.pid, SIGSTOP), 0);
	for (int i = 0; i < 40; i++) {
		itest_assert_err(vmrpc_chan_open(r, 50, &ch), -VMRPC_ENOHOSTD);
		assert_int_equal(vmrpc_region_chan(r, 0)->ctl.state, VMRPC_CHAN_FREE);
	}
	assert_int_equal(kill(h.pid, SIGCONT), 0);
	itest_assert_err(vmrpc_chan_open(r, 0, &ch), 0);
	itest_assert_err(hostcalls_bind(ch, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, &pid, NULL, NULL), 0);
	vmrpc_chan_close(ch);
	vmrpc_region_close(r);
	itest_hostd_stop(&h);
}

static void test_bad_command_lines(void **state)
{
	char bad_so[PATH_MAX];

	(void)state;
	snprintf(bad_so, sizeof(bad_so), "%s/bad.so", itest_dir());
	itest_write_file(bad_so, "not an ELF file\n", 16);

	refuse(2, "--loopback NAME or --config FILE is required", (char *)NULL);
	refuse(2, "--loopback NAME or --config FILE is required", "--channels", "2",
	       (char *)NULL);
	refuse(2, "--channels", "--loopback", ITEST_REGION, "--channels", "0", (char *)NULL);
	refuse(2, "--channels", "--loopback", ITEST_REGION, "--channels", "1025", (char *)NULL);
	refuse(2, "--channels", "--loopback", ITEST_REGION, "--channels", "two", (char *)NULL);
	refuse(2, "--channel-size", "--loopback", ITEST_REGION, "--channel-size", "1000",
	       (char *)NULL);
	refuse(2, "--channel-size", "--loopback", ITEST_REGION, "--channel-size", "4K",
	       (char *)NULL);
	refuse(2, "--max-shadows", "--loopback", ITEST_REGION, "--max-shadows", "0", (char *)NULL);
	refuse(2, "--mode", "--loopback", ITEST_REGION, "--mode", "999", (char *)NULL);
	refuse(2, "not a region name", "--loopback", "../etc", (char *)NULL);
	refuse(2, "Usage", "--loopback", ITEST_REGION, "--no-such-option", (char *)NULL);
	refuse(2, "unexpected argument", "--loopback", ITEST_REGION, "extra", (char *)NULL);
	refuse(2, "No such file or directory", "--loopback", ITEST_REGION, "--service",
	       "nonexistent.so", (char *)NULL);
	refuse(1, "cannot load service: ", "--loopback", ITEST_REGION, "--shadow",
	       ITEST_SHADOW, "--service", bad_so, (char *)NULL);
	refuse(1, "shadow binary", "--loopback", ITEST_REGION, "--shadow", "/nonexistent/shadow",
	       (char *)NULL);
}

/* A configuration file with a mistake: hostd names the file, the line and
 * the mistake, exits 2, and serves nothing. */
static void refuse_config(const char *text, const char *msg)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/hostd.conf", itest_dir());
	itest_write_file(path, text, strlen(text));
	refuse(2, msg, "--config", path, (char *)NULL);
}

static void test_bad_config(void **state)
{
	(void)state;
	refuse(2, "No such file", "--config", "/nonexistent/hostd.conf", (char *)NULL);
	refuse_config("# nothing\n", "no '[vm NAME]' section");
	refuse_config("shm-size = 4M\n", ":1: 'shm-size' before the first '[vm NAME]'");
	refuse_config("[vm a]\nbogus = 1\n", ":2: unknown key 'bogus'");
	refuse_config("[vm a]\nshm-size 4M\n", ":2: expected 'key = value'");
	refuse_config("[vm ../x]\n", ":1: '../x' is not a VM name");
	refuse_config("[host a]\n", ":1: unknown section");
	refuse_config("[vm a]\n[vm a]\n", ":2: VM 'a' is configured twice");
	refuse_config("[vm a]\ntransport = tcp\n", ":2: transport: 'tcp' is neither");
	refuse_config("[vm a]\nshm-size = 3M\n", ":2: shm-size: 3M is not a power of two");
	refuse_config("[vm a]\nshm-file = relative\n", ":2: shm-file: 'relative' is not an "
		      "absolute path");
	refuse_config("[vm a]\nchannels = 0\n", ":2: channels: '0' is not a number");
	refuse_config("[vm a]\nuser = no-such-user-here\n", ":2: user: no user");
	refuse_config("[vm a]\nshm-size = 4M\nuser = 65534\n", "VM 'a': socket is missing");
	refuse_config("[vm a]\nshm-file = /dev/shm/x\nshm-size = 4M\nsocket = /tmp/a.sock\n"
		      "user = 65534\n",
		      "VM 'a': shm-file is only for transport ivshmem-plain");
	refuse_config("[vm a]\ntransport = ivshmem-plain\nshm-size = 4M\nuser = 65534\n",
		      "VM 'a': shm-file is missing (transport ivshmem-plain)");
	refuse_config("[vm a]\ntransport = ivshmem-plain\nshm-file = /dev/shm/x\n"
		      "shm-size = 64K\nchannels = 2\nuser = 65534\n",
		      "VM 'a': shm-size 65536 cannot hold 2 channels");
	refuse_config("[vm a]\ntransport = ivshmem-plain\nshm-file = /dev/shm/x\n"
		      "shm-size = 4M\nuser = 65534\n"
		      "[vm b]\ntransport = ivshmem-plain\nshm-file = /dev/shm/x\n"
		      "shm-size = 4M\nuser = 65534\n",
		      "VMs 'a' and 'b' share shm-file /dev/shm/x");
	refuse(2, "--vm needs --config FILE", "--vm", "a", (char *)NULL);
	refuse(2, "exclude each other", "--loopback", ITEST_REGION, "--config", "/x",
	       (char *)NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sigterm_with_callers, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_restart_same_region, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_restart_other_geometry, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_hostd_killed, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_second_hostd, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_no_hostd, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_hostd_stopped, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_bad_command_lines, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_lifecycle", tests, NULL, NULL);
}
