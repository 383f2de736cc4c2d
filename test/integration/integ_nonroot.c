/* SPDX-License-Identifier: MIT */
/*
 * A caller running as an unprivileged user (nobody, 65534) attaches to a
 * hostd running as root: its shadow runs as that user, not as root, so the
 * host's permission checks apply to the caller's host calls. Wherever the
 * shadow binary is (a build tree in root's 0700 home), it starts and drops
 * to the caller's user; a shadow-cwd the VM's user cannot enter is refused
 * when hostd starts, naming the directory in the way. Needs root to set up;
 * skipped otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "hostcalls_caller.h"

#define NOBODY 65534

static char secret_path[PATH_MAX], public_path[PATH_MAX], private_dir[PATH_MAX];

static int nobody_main(int rd, int wr, void *arg)
{
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	uint32_t uid, gid;
	int32_t pid, fd;
	char buf[64];
	int64_t go;

	(void)arg;
	ITEST_CHECK(setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 && setuid(NOBODY) == 0);
	prctl(PR_SET_PDEATHSIG, 9); /* cleared by the credential change */
	ITEST_CHECK(getuid() == NOBODY && geteuid() == NOBODY);
	ITEST_CHECK_EQ(vmrpc_guest_attach(NULL, &g), 0);
	ITEST_CHECK_EQ(hostcalls_bind(g.chan, &hc), 0);
	ITEST_CHECK_EQ(hostcalls_identity(&hc, &pid, &uid, &gid), 0);
	ITEST_CHECK(itest_send(wr, pid) == 0);
	ITEST_CHECK(itest_send(wr, uid) == 0);
	ITEST_CHECK(itest_send(wr, gid) == 0);
	/* root's file: the host says no */
	ITEST_CHECK(itest_send(wr, hostcalls_open(&hc, secret_path, O_RDONLY, 0)) == 0);
	ITEST_CHECK(itest_send(wr, hostcalls_open(&hc, secret_path, O_WRONLY | O_TRUNC, 0)) == 0);
	ITEST_CHECK(itest_send(wr, hostcalls_chdir(&hc, private_dir)) == 0);
	/* a world-readable one is fine */
	fd = hostcalls_open(&hc, public_path, O_RDONLY, 0);
	ITEST_CHECK(fd >= 0);
	memset(buf, 0, sizeof(buf));
	ITEST_CHECK_EQ(hostcalls_read(&hc, fd, buf, sizeof(buf) - 1), 7);
	ITEST_CHECK(strcmp(buf, "public\n") == 0);
	ITEST_CHECK_EQ(hostcalls_close(&hc, fd), 0);
	ITEST_CHECK(itest_send(wr, 0) == 0);
	ITEST_CHECK(itest_recv(rd, &go, ITEST_DEADLINE_MS) == 0);
	vmrpc_guest_detach(&g);
	return 0;
}

static void test_nonroot_caller(void **state)
{
	struct itest_hostd h;
	struct itest_child c;
	char proc[64], *status, want[128], *secret;
	int64_t shadow;

	(void)state;
	if (geteuid() != 0) {
		print_message("not root: cannot run a caller as another user\n");
		skip();
	}
	snprintf(secret_path, sizeof(secret_path), "%s/secret", itest_dir());
	snprintf(public_path, sizeof(public_path), "%s/public", itest_dir());
	snprintf(private_dir, sizeof(private_dir), "%s/private", itest_dir());
	itest_write_file(secret_path, "secret\n", 7);
	assert_int_equal(chmod(secret_path, 0600), 0);
	itest_write_file(public_path, "public\n", 7);
	assert_int_equal(mkdir(private_dir, 0700), 0);

	itest_hostd_start(&h, "--channels", "2", "--mode", "0666", (char *)NULL);
	itest_child_start(&c, nobody_main, NULL);
	shadow = itest_expect(&c);
	assert_int_equal(itest_expect(&c), NOBODY); /* uid */
	assert_int_equal(itest_expect(&c), NOBODY); /* gid */
	itest_assert_err(itest_expect(&c), -EACCES);
	itest_assert_err(itest_expect(&c), -EACCES);
	itest_assert_err(itest_expect(&c), -EACCES);
	assert_int_equal(itest_expect(&c), 0);

	/* every uid of the shadow is nobody's: nothing to regain */
	snprintf(proc, sizeof(proc), "/proc/%d/status", (int)shadow);
	status = itest_read_file(proc, NULL);
	snprintf(want, sizeof(want), "\nUid:\t%d\t%d\t%d\t%d\n", NOBODY, NOBODY, NOBODY, NOBODY);
	assert_non_null(strstr(status, want));
	snprintf(want, sizeof(want), "\nGid:\t%d\t%d\t%d\t%d\n", NOBODY, NOBODY, NOBODY, NOBODY);
	assert_non_null(strstr(status, want));
	/* and no supplementary groups (root's would be a way back) */
	{
		const char *g = strstr(status, "\nGroups:");
		assert_non_null(g);
		g += strlen("\nGroups:");
		while (*g == ' ' || *g == '\t')
			g++;
		assert_int_equal(*g, '\n');
	}
	free(status);
	assert_int_equal(itest_proc_ppid((pid_t)shadow), h.pid);
	snprintf(want, sizeof(want), "caller pid %d uid %d, shadow pid %d", (int)c.pid, NOBODY,
		 (int)shadow);
	itest_log_wait(&h, 1, " attached: ", want, (char *)NULL); /* written after the wake-up */
	assert_int_equal(itest_log_count(&h, " attached: ", want, (char *)NULL), 1);

	assert_int_equal(itest_send(c.to_child, 1), 0);
	assert_int_equal(itest_child_wait(&c), 0);
	/* the secret is untouched */
	secret = itest_read_file(secret_path, NULL);
	assert_string_equal(secret, "secret\n");
	free(secret);
	itest_log_wait(&h, 1, "reaped", (char *)NULL);
	itest_hostd_stop(&h);
}

/* The identity a nobody caller's shadow reports, on wr: pid, uid, gid. */
static int identity_main(int rd, int wr, void *arg)
{
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	uint32_t uid, gid;
	int32_t pid;

	(void)rd;
	(void)arg;
	ITEST_CHECK(setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 && setuid(NOBODY) == 0);
	ITEST_CHECK_EQ(vmrpc_guest_attach(NULL, &g), 0);
	ITEST_CHECK_EQ(hostcalls_bind(g.chan, &hc), 0);
	ITEST_CHECK_EQ(hostcalls_identity(&hc, &pid, &uid, &gid), 0);
	ITEST_CHECK(itest_send(wr, pid) == 0 && itest_send(wr, uid) == 0 &&
		    itest_send(wr, gid) == 0);
	vmrpc_guest_detach(&g);
	return 0;
}

/* A project cloned where other users cannot go: the shadow binary sits in
 * a directory only root may enter, and a nobody caller still gets a shadow
 * running as nobody. */
static void test_shadow_in_private_dir(void **state)
{
	struct itest_hostd h;
	struct itest_child c;
	char dir[PATH_MAX], exe[PATH_MAX + 16];
	char *bin;
	size_t len;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(dir, sizeof(dir), "%s/root-only", itest_dir());
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(exe, sizeof(exe), "%s/vmrpc-shadow", dir);
	bin = itest_read_file(ITEST_SHADOW, &len);
	itest_write_file(exe, bin, len);
	free(bin);
	assert_int_equal(chmod(exe, 0755), 0);

	itest_hostd_start(&h, "--channels", "2", "--mode", "0666", "--shadow", exe, (char *)NULL);
	itest_child_start(&c, identity_main, NULL);
	assert_true(itest_expect(&c) > 0);
	assert_int_equal(itest_expect(&c), NOBODY); /* uid */
	assert_int_equal(itest_expect(&c), NOBODY); /* gid */
	assert_int_equal(itest_child_wait(&c), 0);
	itest_log_wait(&h, 1, "reaped", (char *)NULL);
	itest_hostd_stop(&h);
}

/* A VM whose shadows could not enter their shadow-cwd: hostd says so when
 * it starts, naming the user and the directory that stops them. */
static void test_unreachable_shadow_cwd(void **state)
{
	char dir[PATH_MAX], conf[PATH_MAX], text[3 * PATH_MAX], want[PATH_MAX + 64];
	const char *args[3] = { "--config", conf, NULL };
	char *err;
	int status;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(dir, sizeof(dir), "%s/closed", itest_dir());
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(conf, sizeof(conf), "%s/hostd.conf", itest_dir());
	snprintf(text, sizeof(text),
		 "[vm a]\ntransport = ivshmem-plain\nshm-file = %s/a.shm\nshm-size = 4M\n"
		 "user = %d\nshadow-cwd = %s/inner\n",
		 itest_dir(), NOBODY, dir);
	itest_write_file(conf, text, strlen(text));
	status = itest_hostd_run(args, &err);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	snprintf(want, sizeof(want), "cannot enter %s/inner as uid %d gid %d", dir, NOBODY, NOBODY);
	if (!strstr(err, want))
		fail_msg("stderr lacks \"%s\": %s", want, err);
	snprintf(want, sizeof(want), "%s is mode 0700, owner 0:0", dir);
	if (!strstr(err, want))
		fail_msg("stderr lacks \"%s\": %s", want, err);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nonroot_caller, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_shadow_in_private_dir, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_shadow_cwd, itest_setup,
						itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_nonroot", tests, NULL, NULL);
}
