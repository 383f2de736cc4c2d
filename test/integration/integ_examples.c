/* SPDX-License-Identifier: MIT */
/*
 * The example programs against a running hostd, checked by their output:
 * hostcat prints host files exactly, reports a missing one like cat(1), and
 * two concurrent hostcats with different -C directories each print their
 * own "same.txt"; calc-demo prints the expected results.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"

static void start_hostd(struct itest_hostd *h)
{
	itest_hostd_start(h, "--channels", "4", "--service", ITEST_CALC_SERVICE, (char *)NULL);
}

static void assert_exit(int status, int code, const char *what)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
		fail_msg("%s: wait status 0x%x, expected exit %d", what, status, code);
}

static void test_hostcat_file(void **state)
{
	struct itest_hostd h;
	char path[PATH_MAX], out[PATH_MAX], err[PATH_MAX];
	const size_t size = 300000 + 17; /* several reads of hostcat's 128 KiB */
	uint8_t *data = malloc(size);
	char *got, *msg;
	size_t got_len;
	int status;
	pid_t pid;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)itest_rand();
	snprintf(path, sizeof(path), "%s/data.bin", itest_dir());
	snprintf(out, sizeof(out), "%s/hostcat.out", itest_dir());
	snprintf(err, sizeof(err), "%s/hostcat.err", itest_dir());
	itest_write_file(path, data, size);
	start_hostd(&h);

	{
		const char *argv[] = { ITEST_HOSTCAT, path, NULL };
		pid = itest_spawn(argv, out, err);
	}
	assert_int_equal(itest_wait_exit(pid, ITEST_DEADLINE_MS, &status), 0);
	assert_exit(status, 0, "hostcat data.bin");
	got = itest_read_file(out, &got_len);
	assert_int_equal(got_len, size);
	assert_memory_equal(got, data, size);
	free(got);
	msg = itest_read_file(err, NULL);
	assert_string_equal(msg, "");
	free(msg);

	/* an empty file prints nothing */
	snprintf(path, sizeof(path), "%s/empty", itest_dir());
	itest_write_file(path, "", 0);
	{
		const char *argv[] = { ITEST_HOSTCAT, path, NULL };
		assert_exit(itest_run(argv, &got, &msg), 0, "hostcat empty");
	}
	assert_string_equal(got, "");
	assert_string_equal(msg, "");
	free(got);
	free(msg);
	itest_log_wait(&h, 2, "reaped", (char *)NULL);
	itest_hostd_stop(&h);
	free(data);
}

static void test_hostcat_missing(void **state)
{
	struct itest_hostd h;
	char path[PATH_MAX], want[PATH_MAX + 64];
	char *out, *err;

	(void)state;
	snprintf(path, sizeof(path), "%s/no-such-file", itest_dir());
	start_hostd(&h);
	{
		const char *argv[] = { ITEST_HOSTCAT, path, NULL };
		assert_exit(itest_run(argv, &out, &err), 1, "hostcat no-such-file");
	}
	snprintf(want, sizeof(want), "hostcat: host:%s: No such file or directory\n", path);
	assert_string_equal(err, want);
	assert_string_equal(out, "");
	free(out);
	free(err);
	/* a -C directory that does not exist either */
	{
		const char *argv[] = { ITEST_HOSTCAT, "-C", path, "x", NULL };
		assert_exit(itest_run(argv, &out, &err), 1, "hostcat -C no-such-dir");
	}
	assert_non_null(strstr(err, "No such file or directory"));
	free(out);
	free(err);
	itest_hostd_stop(&h);

	/* and no hostd at all */
	{
		const char *argv[] = { ITEST_HOSTCAT, "/etc/hostname", NULL };
		assert_exit(itest_run(argv, &out, &err), 1, "hostcat without hostd");
	}
	assert_non_null(strstr(err, "no vmrpc-hostd serves this region"));
	free(out);
	free(err);
}

static void test_hostcat_per_caller_cwd(void **state)
{
	struct itest_hostd h;
	char dir[2][PATH_MAX], path[PATH_MAX + 16], out[2][PATH_MAX], err[2][PATH_MAX];
	char want[2][64];
	pid_t pid[2];
	int status;

	(void)state;
	for (int k = 0; k < 2; k++) {
		snprintf(dir[k], sizeof(dir[k]), "%s/dir%c", itest_dir(), 'A' + k);
		assert_int_equal(mkdir(dir[k], 0755), 0);
		snprintf(path, sizeof(path), "%s/same.txt", dir[k]);
		snprintf(want[k], sizeof(want[k]), "I am same.txt in dir%c\n", 'A' + k);
		itest_write_file(path, want[k], strlen(want[k]));
		snprintf(out[k], sizeof(out[k]), "%s/out%d", itest_dir(), k);
		snprintf(err[k], sizeof(err[k]), "%s/err%d", itest_dir(), k);
	}
	start_hostd(&h);
	for (int round = 0; round < 3; round++) {
		for (int k = 0; k < 2; k++) {
			const char *argv[] = { ITEST_HOSTCAT, "-C", dir[k], "same.txt", NULL };
			unlink(out[k]);
			unlink(err[k]);
			pid[k] = itest_spawn(argv, out[k], err[k]);
		}
		for (int k = 0; k < 2; k++) {
			char *got;
			assert_int_equal(itest_wait_exit(pid[k], ITEST_DEADLINE_MS, &status), 0);
			assert_exit(status, 0, "hostcat -C");
			got = itest_read_file(out[k], NULL);
			assert_string_equal(got, want[k]);
			free(got);
			got = itest_read_file(err[k], NULL);
			assert_string_equal(got, "");
			free(got);
		}
	}
	itest_log_wait(&h, 6, "reaped", (char *)NULL);
	itest_hostd_stop(&h);
}

static void test_calc_demo(void **state)
{
	struct itest_hostd h;
	const char *argv[] = { ITEST_CALC_DEMO, "integ", NULL };
	char *out, *err, *line;

	(void)state;
	start_hostd(&h);
	assert_exit(itest_run(argv, &out, &err), 0, "calc-demo");
	assert_string_equal(err, "");
	assert_non_null(strstr(out, "add(40, 2) = 42\n"));
	assert_non_null(strstr(out, "add(INT64_MAX, 1) = Value too large for defined data type\n"));
	assert_non_null(strstr(out, "stats({7,3,250,42,1}) = sum 303, min 1, max 250\n"));
	line = strstr(out, "greet(\"integ\") = \"hello, integ, from host pid ");
	assert_non_null(line);
	assert_non_null(strstr(out, "reverse(\"vmrpc\") = \"cprmv\"\n"));
	free(out);
	free(err);
	itest_log_wait(&h, 1, "reaped", (char *)NULL);
	itest_hostd_stop(&h);

	/* without the calc module the demo says what is missing */
	itest_hostd_start(&h, (char *)NULL);
	assert_exit(itest_run(argv, &out, &err), 1, "calc-demo without calc");
	assert_string_equal(out, "");
	assert_string_equal(err, "calc-demo: bind calc: interface not served in this region\n");
	free(out);
	free(err);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hostcat_file, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_hostcat_missing, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_hostcat_per_caller_cwd, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_calc_demo, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_examples", tests, NULL, NULL);
}
