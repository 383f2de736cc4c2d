/* SPDX-License-Identifier: MIT */
/*
 * Per-caller host context, the case the design exists for: eight caller
 * processes each chdir (a host call) into a different directory holding a
 * "same.txt" of its own, are released at once, and each opens "same.txt"
 * relatively: each must read its own directory's file. Several rounds, the
 * directories rotating between callers.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "hostcalls_caller.h"

#define N_CALLERS 8
#define N_ROUNDS 4

static char dirs[N_CALLERS][PATH_MAX];

static void content(char *buf, size_t size, int dir, int round)
{
	snprintf(buf, size, "directory %d, round %d: %0*d\n", dir, round, 8 + dir * 7, dir);
}

/* Caller k: per round, chdir to dirs[(k + round) % N], say ready, wait for
 * the barrier, read same.txt, report 1 if it was that directory's content. */
static int caller_main(int rd, int wr, void *arg)
{
	int k = (int)(intptr_t)arg;
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	char want[256], got[256];
	int32_t pid;

	ITEST_CHECK_EQ(vmrpc_guest_attach(NULL, &g), 0);
	ITEST_CHECK_EQ(hostcalls_bind(g.chan, &hc), 0);
	ITEST_CHECK_EQ(hostcalls_identity(&hc, &pid, NULL, NULL), 0);
	ITEST_CHECK(itest_send(wr, pid) == 0);
	for (int round = 0; round < N_ROUNDS; round++) {
		int d = (k + round) % N_CALLERS;
		int64_t go;
		int64_t n;
		int32_t fd;

		ITEST_CHECK_EQ(hostcalls_chdir(&hc, dirs[d]), 0);
		ITEST_CHECK(itest_send(wr, 0) == 0); /* ready */
		ITEST_CHECK(itest_recv(rd, &go, ITEST_DEADLINE_MS) == 0);
		ITEST_CHECK_EQ(go, round);
		fd = hostcalls_open(&hc, "same.txt", O_RDONLY, 0);
		ITEST_CHECK(fd >= 0);
		memset(got, 0, sizeof(got));
		n = hostcalls_read(&hc, fd, got, sizeof(got) - 1);
		ITEST_CHECK(n > 0);
		ITEST_CHECK_EQ(hostcalls_close(&hc, fd), 0);
		content(want, sizeof(want), d, round);
		if (strcmp(got, want) != 0)
			fprintf(stderr, "caller %d round %d: read \"%s\", expected \"%s\"\n", k,
				round, got, want);
		ITEST_CHECK(itest_send(wr, strcmp(got, want) == 0) == 0);
	}
	vmrpc_guest_detach(&g);
	return 0;
}

static void test_per_caller_cwd(void **state)
{
	struct itest_hostd h;
	struct itest_child c[N_CALLERS];
	int32_t shadow[N_CALLERS];
	char path[PATH_MAX + 16], buf[256];

	(void)state;
	for (int d = 0; d < N_CALLERS; d++) {
		snprintf(dirs[d], sizeof(dirs[d]), "%s/dir%d", itest_dir(), d);
		assert_int_equal(mkdir(dirs[d], 0755), 0);
	}
	itest_hostd_start(&h, "--channels", "12", (char *)NULL);
	for (int k = 0; k < N_CALLERS; k++)
		itest_child_start(&c[k], caller_main, (void *)(intptr_t)k);
	for (int k = 0; k < N_CALLERS; k++) {
		shadow[k] = (int32_t)itest_expect(&c[k]);
		assert_int_equal(itest_proc_ppid(shadow[k]), h.pid);
		for (int j = 0; j < k; j++)
			assert_int_not_equal(shadow[j], shadow[k]); /* one shadow each */
	}

	for (int round = 0; round < N_ROUNDS; round++) {
		for (int d = 0; d < N_CALLERS; d++) {
			snprintf(path, sizeof(path), "%s/same.txt", dirs[d]);
			content(buf, sizeof(buf), d, round);
			itest_write_file(path, buf, strlen(buf));
		}
		/* everyone has chdir'd: the shadows' cwds are theirs */
		for (int k = 0; k < N_CALLERS; k++) {
			char proc[64], link[PATH_MAX], real[PATH_MAX];
			ssize_t n;

			assert_int_equal(itest_expect(&c[k]), 0);
			snprintf(proc, sizeof(proc), "/proc/%d/cwd", shadow[k]);
			n = readlink(proc, link, sizeof(link) - 1);
			assert_true(n > 0);
			link[n] = '\0';
			assert_non_null(realpath(dirs[(k + round) % N_CALLERS], real));
			assert_string_equal(link, real);
		}
		/* the barrier: release all of them at once */
		for (int k = 0; k < N_CALLERS; k++)
			assert_int_equal(itest_send(c[k].to_child, round), 0);
		for (int k = 0; k < N_CALLERS; k++)
			if (itest_expect(&c[k]) != 1)
				fail_msg("round %d: caller %d read another caller's file", round, k);
	}
	for (int k = 0; k < N_CALLERS; k++)
		assert_int_equal(itest_child_wait(&c[k]), 0);
	itest_log_wait(&h, N_CALLERS, "reaped", (char *)NULL);
	for (int k = 0; k < N_CALLERS; k++)
		assert_int_equal(itest_wait_gone(shadow[k], ITEST_DEADLINE_MS), 0);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_per_caller_cwd, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_context", tests, NULL, NULL);
}
