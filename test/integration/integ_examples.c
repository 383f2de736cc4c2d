/* SPDX-License-Identifier: MIT */
/*
 * The example programs against a running hostd, checked by their output:
 * hostcat prints host files exactly, reports a missing one like cat(1), and
 * two concurrent hostcats with different -C directories each print their
 * own "same.txt"; calc-demo prints the expected results; hostrun streams a
 * host program's stdout, stderr and stdin, interactively and in guest|host
 * pipelines, and ends as the program did (exit code, signal, SIGPIPE), and
 * signals sent to it reach the program.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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

/* ---- hostrun ---------------------------------------------------------- */

/* sh -c script with @R@ standing for the hostrun binary; the status. */
static int sh_run(const char *script, char **ret_out, char **ret_err)
{
	char cmd[4096];
	const char *at = strstr(script, "@R@");
	size_t n = 0;

	cmd[0] = '\0';
	while (at) { /* every @R@ */
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%.*s%s", (int)(at - script),
				      script, ITEST_HOSTRUN);
		script = at + 3;
		at = strstr(script, "@R@");
	}
	snprintf(cmd + n, sizeof(cmd) - n, "%s", script);
	{
		const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
		return itest_run(argv, ret_out, ret_err);
	}
}

static void test_hostrun_output_and_status(void **state)
{
	struct itest_hostd h;
	char *out, *err, script[PATH_MAX + 256];
	int status;

	(void)state;
	start_hostd(&h);
	/* stdout and stderr apart, the exit code */
	status = sh_run("@R@ sh -c 'echo out; echo err >&2; echo out2; exit 3'", &out, &err);
	assert_exit(status, 3, "hostrun exit 3");
	assert_string_equal(out, "out\nout2\n");
	assert_string_equal(err, "err\n");
	free(out);
	free(err);
	/* a signal that ended the program ends hostrun */
	status = sh_run("@R@ sh -c 'kill -USR1 $$'; echo $?", &out, &err);
	assert_exit(status, 0, "sh");
	assert_string_equal(out, "138\n"); /* 128 + SIGUSR1 */
	free(out);
	free(err);
	/* -C and -e; the default environment is PATH only */
	snprintf(script, sizeof(script),
		 "X=guest @R@ -C %s -e Y=1 sh -c 'pwd; echo \"$X|$Y\"'; "
		 "X=guest @R@ -E sh -c 'echo \"$X\"'", itest_dir());
	status = sh_run(script, &out, &err);
	assert_exit(status, 0, "hostrun -C -e -E");
	snprintf(script, sizeof(script), "%s\n|1\nguest\n", itest_dir());
	assert_string_equal(out, script);
	assert_string_equal(err, "");
	free(out);
	free(err);
	/* a program that does not exist: 127 and why */
	status = sh_run("@R@ no-such-program-here", &out, &err);
	assert_exit(status, 127, "hostrun no-such-program");
	assert_string_equal(out, "");
	assert_string_equal(err, "hostrun: host:no-such-program-here: No such file or directory\n");
	free(out);
	free(err);
	itest_hostd_stop(&h);
	/* no hostd */
	status = sh_run("@R@ true", &out, &err);
	assert_exit(status, 125, "hostrun without hostd");
	assert_non_null(strstr(err, "no vmrpc-hostd serves this region"));
	free(out);
	free(err);
}

static void test_hostrun_pipes(void **state)
{
	struct itest_hostd h;
	char in[PATH_MAX], copy[PATH_MAX + 16], script[3 * PATH_MAX];
	const size_t size = 3 << 20; /* many pipe-fulls, many arena-fulls */
	uint8_t *data = malloc(size);
	char *out, *err, *got;
	size_t got_len;
	int status;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)itest_rand();
	snprintf(in, sizeof(in), "%s/in.bin", itest_dir());
	snprintf(copy, sizeof(copy), "%s/copy.bin", itest_dir());
	itest_write_file(in, data, size);
	start_hostd(&h);
	/* guest stdin -> host program -> guest stdout, byte for byte */
	snprintf(script, sizeof(script), "@R@ cat < %s > %s", in, copy);
	assert_exit(sh_run(script, NULL, NULL), 0, "hostrun cat");
	got = itest_read_file(copy, &got_len);
	assert_int_equal(got_len, size);
	assert_memory_equal(got, data, size);
	free(got);
	/* guest | host | guest */
	status = sh_run("printf 'pear\\napple\\nfig\\n' | @R@ sort | tr a-z A-Z", &out, &err);
	assert_exit(status, 0, "guest | hostrun sort | guest");
	assert_string_equal(out, "APPLE\nFIG\nPEAR\n");
	assert_string_equal(err, "");
	free(out);
	free(err);
	/* a host program that stops reading: the rest is dropped, no hang */
	snprintf(script, sizeof(script), "@R@ head -c 5 < %s | wc -c", in);
	assert_exit(sh_run(script, &out, NULL), 0, "hostrun head -c 5");
	assert_string_equal(out, "5\n");
	free(out);
	/* a guest reader that stops: the host program gets SIGPIPE */
	status = sh_run("{ @R@ yes; echo $? >&2; } | head -n 2", &out, &err);
	assert_exit(status, 0, "hostrun yes | head");
	assert_string_equal(out, "y\ny\n");
	assert_string_equal(err, "141\n"); /* 128 + SIGPIPE, mirrored */
	free(out);
	free(err);
	itest_hostd_stop(&h);
	free(data);
}

/* Read from fd until buf ends with want (or the deadline): what was read. */
static void read_until(int fd, char *buf, size_t size, const char *want)
{
	size_t n = 0;
	uint64_t end = itest_now_ms() + ITEST_DEADLINE_MS;

	buf[0] = '\0';
	while (!(n >= strlen(want) && !strcmp(buf + n - strlen(want), want))) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;
		if (itest_now_ms() > end || n + 1 >= size)
			fail_msg("waited for \"%s\", got \"%s\"", want, buf);
		if (poll(&p, 1, 100) != 1)
			continue;
		r = read(fd, buf + n, size - 1 - n);
		if (r <= 0)
			fail_msg("end of output waiting for \"%s\", got \"%s\"", want, buf);
		n += (size_t)r;
		buf[n] = '\0';
	}
}

/* hostrun on two FIFOs it reads and writes, as a terminal user would. */
static pid_t hostrun_interactive(const char *prog, int *ret_in, int *ret_out)
{
	char fin[PATH_MAX], fout[PATH_MAX], cmd[3 * PATH_MAX + 256];
	pid_t pid;

	snprintf(fin, sizeof(fin), "%s/stdin.fifo", itest_dir());
	snprintf(fout, sizeof(fout), "%s/stdout.fifo", itest_dir());
	unlink(fin);
	unlink(fout);
	assert_int_equal(mkfifo(fin, 0600), 0);
	assert_int_equal(mkfifo(fout, 0600), 0);
	snprintf(cmd, sizeof(cmd), "exec %s sh -c '%s' < %s > %s", ITEST_HOSTRUN, prog, fin, fout);
	{
		const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
		pid = itest_spawn(argv, NULL, NULL);
	}
	/* the shell opens stdin, then stdout: the same order here */
	*ret_in = open(fin, O_WRONLY | O_CLOEXEC);
	assert_true(*ret_in >= 0);
	*ret_out = open(fout, O_RDONLY | O_CLOEXEC);
	assert_true(*ret_out >= 0);
	return pid;
}

static void test_hostrun_interactive(void **state)
{
	struct itest_hostd h;
	char buf[4096];
	int in, out, status;
	pid_t pid;

	(void)state;
	start_hostd(&h);
	/* Output arrives while the program still runs and waits for input;
	 * input typed later reaches it. */
	pid = hostrun_interactive("echo first; read x; echo \"got $x\"; read y; exit 5", &in, &out);
	read_until(out, buf, sizeof(buf), "first\n");
	assert_int_equal(write(in, "hello\n", 6), 6);
	read_until(out, buf, sizeof(buf), "got hello\n");
	close(in); /* end of input: the second read fails, the program exits */
	assert_int_equal(itest_wait_exit(pid, ITEST_DEADLINE_MS, &status), 0);
	assert_exit(status, 5, "hostrun interactive");
	assert_int_equal(read(out, buf, sizeof(buf)), 0);
	close(out);

	/* A signal sent to hostrun is sent to the program, which dies of it;
	 * hostrun then dies of it too. */
	pid = hostrun_interactive("echo ready; exec sleep 60", &in, &out);
	read_until(out, buf, sizeof(buf), "ready\n");
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(itest_wait_exit(pid, ITEST_DEADLINE_MS, &status), 0);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
		fail_msg("hostrun after SIGTERM: wait status 0x%x, expected SIGTERM", status);
	close(in);
	close(out);
	itest_log_wait(&h, 2, "reaped", (char *)NULL);
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
		cmocka_unit_test_setup_teardown(test_hostrun_output_and_status, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_hostrun_pipes, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_hostrun_interactive, itest_setup,
						itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_examples", tests, NULL, NULL);
}
