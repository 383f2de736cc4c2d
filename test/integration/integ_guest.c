/* SPDX-License-Identifier: MIT */
/*
 * Guest-sourced calls on loopback: the real vmrpc-hostd, the real
 * vmrpc-guestd playing the guest, and host callers: the vmrpc command line
 * (guest-run, guest-info, the wrapper) and programs using vmrpc_vm_open().
 * Behaviour, not timings: "output arrives before the command exits" is a
 * command that prints, then waits for a FIFO only this test writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "guestexec_caller.h"
#include "harness.h"


static void assert_exit(int status, int code, const char *what)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
		fail_msg("%s: wait status 0x%x, expected exit %d", what, status, code);
}

static const char *const everything = "exec = *\n";

/* Output arrives while the command runs; it ends when the test says so. */
static void test_streaming(void **state)
{
	struct itest_hostd h;
	struct itest_guestd g;
	char fifo[PATH_MAX], script[PATH_MAX + 64], out[PATH_MAX];
	int status, fd;
	pid_t pid;

	itest_hostd_start(&h, NULL);
	itest_guestd_start(&g, everything);
	snprintf(fifo, sizeof(fifo), "%s/go", itest_dir());
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(script, sizeof(script), "echo first; echo warn >&2; read x < %s; echo second",
		 fifo);
	snprintf(out, sizeof(out), "%s/stream.out", itest_dir());
	{
		const char *argv[] = { ITEST_VMRPC, "guest-run", ITEST_REGION, "--", "sh", "-c",
				       script, NULL };
		char err[PATH_MAX];

		snprintf(err, sizeof(err), "%s/stream.err", itest_dir());
		pid = itest_spawn(argv, out, err);
		itest_wait_file_has(out, "first\n");
		itest_wait_file_has(err, "warn\n");
	}
	/* The command still runs: it waits for us. */
	assert_int_equal(itest_wait_exit(pid, 0, &status), -ETIMEDOUT);
	assert_false(itest_file_has(out, "second"));
	fd = open(fifo, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	close(fd);
	assert_int_equal(itest_wait_exit(pid, ITEST_DEADLINE_MS, &status), 0);
	assert_exit(status, 0, "guest-run");
	assert_true(itest_file_has(out, "first\nsecond\n"));
	itest_guestd_stop(&g);
	itest_hostd_stop(&h);
}

/* 100 MB through one host caller, every byte checked, in seconds. */
static void test_output_100mb(void **state)
{
	const uint64_t total = 100ull << 20;
	char script[128], buf[1 << 16];
	struct itest_hostd h;
	struct itest_guestd g;
	uint64_t got = 0;
	int p[2], status;
	pid_t pid;

	itest_hostd_start(&h, NULL);
	itest_guestd_start(&g, everything);
	snprintf(script, sizeof(script), "yes abcdefghi | head -c %llu",
		 (unsigned long long)total);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[] = { ITEST_VMRPC, "guest-run", "-n", ITEST_REGION, "--", "sh",
				       "-c", script, NULL };

		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != "abcdefghi\n"[(got + (uint64_t)i) % 10])
				fail_msg("byte %llu is 0x%02x", (unsigned long long)(got + i),
					 (unsigned char)buf[i]);
		got += (uint64_t)n;
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_exit(status, 0, "guest-run of 100 MB");
	assert_int_equal(got, total);
	itest_guestd_stop(&g);
	itest_hostd_stop(&h);
}

/* stdin reaches the command, byte for byte, and its EOF too. */
static void test_stdin(void **state)
{
	const size_t size = 3 * 65536 + 123;
	char in[PATH_MAX], out[PATH_MAX], cmd[3 * PATH_MAX];
	uint8_t *data = malloc(size);
	struct itest_hostd h;
	struct itest_guestd g;
	size_t len;
	char *got;

	for (size_t i = 0; i < size; i++)
		data[i] = (uint8_t)itest_rand();
	snprintf(in, sizeof(in), "%s/in.bin", itest_dir());
	snprintf(out, sizeof(out), "%s/out.bin", itest_dir());
	itest_write_file(in, data, size);
	itest_hostd_start(&h, NULL);
	itest_guestd_start(&g, everything);
	snprintf(cmd, sizeof(cmd), "exec %s guest-run %s -- cat < %s > %s", ITEST_VMRPC,
		 ITEST_REGION, in, out);
	{
		const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		assert_exit(itest_run(argv, NULL, NULL), 0, "guest-run cat");
	}
	got = itest_read_file(out, &len);
	assert_int_equal(len, size);
	assert_memory_equal(got, data, size);
	free(got);
	free(data);
	itest_guestd_stop(&g);
	itest_hostd_stop(&h);
}

static void test_status(void **state)
{
	struct itest_hostd h;
	struct itest_guestd g;
	char *out, *err;

	itest_hostd_start(&h, NULL);
	itest_guestd_start(&g, everything);
	{
		const char *argv[] = { ITEST_VMRPC, "guest-run", ITEST_REGION, "--", "sh", "-c",
				       "echo o; echo e >&2; exit 42", NULL };

		assert_exit(itest_run(argv, &out, &err), 42, "exit 42");
		assert_string_equal(out, "o\n");
		assert_string_equal(err, "e\n");
		free(out);
		free(err);
	}
	{
		const char *argv[] = { ITEST_VMRPC, "guest-run", ITEST_REGION, "--", "sh", "-c",
				       "kill -TERM $$", NULL };

		assert_exit(itest_run(argv, NULL, NULL), 128 + SIGTERM, "killed by SIGTERM");
	}
	{
		const char *argv[] = { ITEST_VMRPC, "guest-run", "-t", "1", ITEST_REGION, "--",
				       "sleep", "60", NULL };
		uint64_t t0 = itest_now_ms();

		assert_exit(itest_run(argv, NULL, &err), 128 + SIGKILL, "timeout");
		assert_non_null(strstr(err, "timed out"));
		assert_true(itest_now_ms() - t0 < ITEST_DEADLINE_MS);
		free(err);
	}
	{
		const char *argv[] = { ITEST_VMRPC, "guest-run", ITEST_REGION, "--",
				       "no-such-command-here", NULL };

		assert_exit(itest_run(argv, NULL, &err), 127, "command not found");
		assert_non_null(strstr(err, "command not found"));
		free(err);
	}
	{
		const char *argv[] = { ITEST_VMRPC, "guest-info", ITEST_REGION, NULL };

		assert_exit(itest_run(argv, &out, NULL), 0, "guest-info");
		assert_non_null(strstr(out, "kernel: Linux"));
		free(out);
	}
	itest_guestd_stop(&g);
	itest_hostd_stop(&h);
}

/* The guest decides: nothing but identity by default, else its list. */
static void test_policy(void **state)
{
	struct itest_hostd h;
	struct itest_guestd g;
	char *err;

	itest_hostd_start(&h, NULL);
	itest_guestd_start(&g, NULL);
	{
		const char *argv[] = { ITEST_VMRPC, "guest-run", ITEST_REGION, "--", "true", NULL };

		assert_exit(itest_run(argv, NULL, &err), 126, "exec without a policy");
		assert_non_null(strstr(err, "refused by the guest's policy"));
		free(err);
	}
	{
		const char *argv[] = { ITEST_VMRPC, "guest-info", ITEST_REGION, NULL };

		assert_exit(itest_run(argv, NULL, NULL), 0, "identity without a policy");
	}
	assert_true(itest_file_has(g.log, "exec refused"));
	itest_guestd_stop(&g);
	itest_guestd_start(&g, "exec = true\n");
	{
		const char *ok[] = { ITEST_VMRPC, "guest-run", ITEST_REGION, "--", "true", NULL };
		const char *no[] = { ITEST_VMRPC, "guest-run", ITEST_REGION, "--", "false", NULL };
		const char *nx[] = { ITEST_VMRPC, "guest-run", ITEST_REGION, "--", "nonexistent-x",
				     NULL };

		assert_exit(itest_run(ok, NULL, NULL), 0, "allowed true");
		assert_exit(itest_run(no, NULL, NULL), 126, "refused false");
		/* refused, not "not found": a caller learns nothing it may not run */
		assert_exit(itest_run(nx, NULL, NULL), 126, "refused nonexistent");
	}
	assert_true(itest_file_has(g.log, "exec of 'false' refused"));
	itest_guestd_stop(&g);
	itest_hostd_stop(&h);
}

/* The host API: files, handles, a second channel, refusals. */
static void test_api(void **state)
{
	char conf[2 * PATH_MAX], path[PATH_MAX], buf[64];
	struct vmrpc_binding a, b;
	struct vmrpc_chan *ca, *cb;
	struct guestexec_exec_status st;
	struct itest_hostd h;
	struct itest_guestd g;
	uint64_t handle;
	int32_t stream;

	snprintf(conf, sizeof(conf), "exec = sleep\nfile-read = %s\nfile-write = %s\n",
		 itest_dir(), itest_dir());
	itest_hostd_start(&h, NULL);
	itest_guestd_start(&g, conf);
	assert_int_equal(vmrpc_vm_open(ITEST_REGION, 0, &ca), 0);
	assert_int_equal(vmrpc_vm_open(ITEST_REGION, 0, &cb), 0);
	assert_int_equal(guestexec_bind(ca, &a), 0);
	assert_int_equal(guestexec_bind(cb, &b), 0);

	snprintf(path, sizeof(path), "%s/f.txt", itest_dir());
	itest_assert_err(guestexec_file_write(&a, path, 0, "hello", 5,
					      GUESTEXEC_FILE_CREATE | GUESTEXEC_FILE_TRUNCATE,
					      0600), 5);
	itest_assert_err(guestexec_file_read(&b, path, 1, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "ello", 4);
	snprintf(path, sizeof(path), "%s/../etc-passwd-escape", itest_dir());
	itest_assert_err(guestexec_file_read(&a, path, 0, buf, sizeof(buf)), -VMRPC_EDENIED);
	itest_assert_err(guestexec_file_read(&a, "/etc/passwd", 0, buf, sizeof(buf)),
			 -VMRPC_EDENIED);

	/* Started on one channel, killed from the other, read on the first. */
	{
		const char args[] = "sleep\0" "60";

		itest_assert_err(guestexec_exec_start(&a, args, sizeof(args), 2, NULL, 0, "", 0, 0,
						      &handle), 0);
	}
	itest_assert_err(guestexec_exec_read(&a, handle, buf, sizeof(buf), 0, &stream, &st),
			 -ETIMEDOUT);
	itest_assert_err(guestexec_exec_kill(&b, handle, SIGUSR1), 0);
	itest_assert_err(guestexec_exec_read(&a, handle, buf, sizeof(buf), -1, &stream, &st), 0);
	assert_true(st.exited);
	assert_int_equal(st.signal, SIGUSR1);
	itest_assert_err(guestexec_exec_kill(&b, handle, SIGKILL), -ESRCH);
	itest_assert_err(guestexec_exec_read(&a, 12345, buf, sizeof(buf), 0, &stream, &st),
			 -ESRCH);
	/* Malformed argv: counts that do not match, no terminator. */
	itest_assert_err(guestexec_exec_start(&a, "sleep", 5, 1, NULL, 0, "", 0, 0, &handle),
			 -EINVAL);
	itest_assert_err(guestexec_exec_start(&a, "sleep\0001\0", 8, 1, NULL, 0, "", 0, 0,
					      &handle), -EINVAL);
	vmrpc_chan_close(ca);
	vmrpc_chan_close(cb);
	itest_guestd_stop(&g);
	itest_hostd_stop(&h);
}

/* In a child: become nobody and ask for a channel into the guest. */
static int nobody_open(int rd, int wr, void *arg)
{
	struct vmrpc_chan *ch;
	int err;

	ITEST_CHECK(setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0);
	err = vmrpc_vm_open(ITEST_REGION, 0, &ch);
	if (err == 0)
		vmrpc_chan_close(ch);
	return err == 0 ? 0 : err == -VMRPC_EDENIED ? 3 : 4;
}

/* hostd's policy: a host user not listed is refused with a clear error. */
static void test_host_policy(void **state)
{
	struct itest_hostd h;
	struct itest_child c;
	struct itest_guestd g;

	if (geteuid() != 0)
		skip();
	itest_hostd_start(&h, NULL);
	itest_guestd_start(&g, NULL);
	itest_child_start(&c, nobody_open, NULL);
	assert_int_equal(itest_child_wait(&c), 3);
	itest_log_wait(&h, 1, "uid 65534 refused: not in guest-callers", NULL);
	itest_hostd_stop(&h);
	itest_guestd_stop(&g);
	itest_hostd_start(&h, "--guest-caller", "65534", NULL);
	itest_guestd_start(&g, NULL);
	itest_child_start(&c, nobody_open, NULL);
	assert_int_equal(itest_child_wait(&c), 0);
	itest_guestd_stop(&g);
	itest_hostd_stop(&h);
}

/* A host caller killed mid-call: guestd kills its command, hostd frees its
 * channel. guestd killed mid-call: the host caller gets an error, and a
 * new guestd serves again. */
static void test_killed(void **state)
{
	char out[PATH_MAX], script[PATH_MAX + 64];
	struct itest_hostd h;
	struct itest_guestd g;
	int64_t cmd_pid;
	char *pid_text;
	int status;
	pid_t pid;

	itest_hostd_start(&h, NULL);
	itest_guestd_start(&g, everything);
	snprintf(out, sizeof(out), "%s/pid", itest_dir());
	snprintf(script, sizeof(script), "echo $$ > %s; exec sleep 60", out);
	{
		const char *argv[] = { ITEST_VMRPC, "guest-run", ITEST_REGION, "--", "sh", "-c",
				       script, NULL };

		pid = itest_spawn(argv, NULL, NULL);
	}
	itest_wait_file_has(out, "\n");
	pid_text = itest_read_file(out, NULL);
	cmd_pid = strtoll(pid_text, NULL, 10);
	free(pid_text);
	assert_true(cmd_pid > 0);
	kill(pid, SIGKILL);
	assert_int_equal(itest_wait_exit(pid, ITEST_DEADLINE_MS, &status), 0);
	assert_int_equal(itest_wait_gone((pid_t)cmd_pid, ITEST_DEADLINE_MS), 0);
	itest_log_wait(&h, 1, "guestd released it; channel free", NULL);

	/* Now guestd dies under a host caller waiting for output. */
	unlink(out);
	{
		const char *argv[] = { ITEST_VMRPC, "guest-run", ITEST_REGION, "--", "sh", "-c",
				       script, NULL };
		char err[PATH_MAX];
		char *msg;

		snprintf(err, sizeof(err), "%s/killed.err", itest_dir());
		pid = itest_spawn(argv, NULL, err);
		itest_wait_file_has(out, "\n");
		kill(g.pid, SIGKILL);
		assert_int_equal(itest_wait_exit(g.pid, ITEST_DEADLINE_MS, &status), 0);
		assert_int_equal(itest_wait_exit(pid, ITEST_DEADLINE_MS, &status), 0);
		assert_exit(status, 255, "guest-run when guestd died");
		msg = itest_read_file(err, NULL);
		assert_non_null(strstr(msg, "the callee died"));
		free(msg);
	}
	/* Its command died with it (we are the orphan's subreaper). */
	pid_text = itest_read_file(out, NULL);
	cmd_pid = strtoll(pid_text, NULL, 10);
	free(pid_text);
	assert_int_equal(itest_wait_exit((pid_t)cmd_pid, ITEST_DEADLINE_MS, &status), 0);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	/* A new guestd: the dead one's channel is released, and it serves. */
	itest_guestd_start(&g, everything);
	itest_log_wait(&h, 2, "guestd released it; channel free", NULL);
	{
		const char *argv[] = { ITEST_VMRPC, "guest-run", ITEST_REGION, "--", "echo", "again",
				       NULL };
		char *o;

		assert_exit(itest_run(argv, &o, NULL), 0, "guest-run after a guestd restart");
		assert_string_equal(o, "again\n");
		free(o);
	}
	itest_guestd_stop(&g);
	itest_hostd_stop(&h);
}

/* A guest that stops answering (guestd stopped, not gone: its pid lives on,
 * so nothing else would end the wait): a caller that bounded its calls with
 * vmrpc_chan_set_timeout() gets -VMRPC_ETIMEDOUT, its channel stays broken,
 * and once it closes the channel the guest takes it back and serves again. */
static void test_timeout(void **state)
{
	char os[256], kernel[256], host[256], machine[64];
	struct vmrpc_binding b;
	struct vmrpc_chan *ch;
	struct itest_hostd h;
	struct itest_guestd g;
	int status;

	itest_hostd_start(&h, NULL);
	itest_guestd_start(&g, NULL);
	assert_int_equal(vmrpc_vm_open(ITEST_REGION, 0, &ch), 0);
	assert_int_equal(guestexec_bind(ch, &b), 0);
	vmrpc_chan_set_timeout(ch, 200);
	itest_assert_err(guestexec_identity(&b, os, sizeof(os), kernel, sizeof(kernel), host,
					    sizeof(host), machine, sizeof(machine)), 0);
	assert_int_equal(kill(g.pid, SIGSTOP), 0);
	assert_int_equal(waitpid(g.pid, &status, WUNTRACED), g.pid); /* every thread stopped */
	assert_true(WIFSTOPPED(status));
	itest_assert_err(guestexec_identity(&b, os, sizeof(os), kernel, sizeof(kernel), host,
					    sizeof(host), machine, sizeof(machine)),
			 -VMRPC_ETIMEDOUT);
	assert_int_equal(kill(g.pid, SIGCONT), 0);
	/* Broken for good, even with the guest answering again. */
	itest_assert_err(guestexec_identity(&b, os, sizeof(os), kernel, sizeof(kernel), host,
					    sizeof(host), machine, sizeof(machine)),
			 -VMRPC_ETIMEDOUT);
	vmrpc_chan_close(ch);
	itest_log_wait(&h, 1, "guestd released it; channel free", NULL);
	assert_int_equal(vmrpc_vm_open(ITEST_REGION, 0, &ch), 0);
	assert_int_equal(guestexec_bind(ch, &b), 0);
	itest_assert_err(guestexec_identity(&b, os, sizeof(os), kernel, sizeof(kernel), host,
					    sizeof(host), machine, sizeof(machine)), 0);
	vmrpc_chan_close(ch);
	itest_guestd_stop(&g);
	itest_hostd_stop(&h);
}

/* The wrapper: a host command name that runs the same-named guest command. */
static void test_wrapper(void **state)
{
	char link[PATH_MAX], cmd[2 * PATH_MAX];
	struct itest_hostd h;
	struct itest_guestd g;
	char *out;

	snprintf(link, sizeof(link), "%s/echo", itest_dir());
	assert_int_equal(symlink(ITEST_VMRPC, link), 0);
	itest_hostd_start(&h, NULL);
	itest_guestd_start(&g, "exec = echo\n");
	snprintf(cmd, sizeof(cmd), "VMRPC_VM=%s exec %s hello 'two words'", ITEST_REGION, link);
	{
		const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		assert_exit(itest_run(argv, &out, NULL), 0, "wrapper echo");
	}
	assert_string_equal(out, "hello two words\n");
	free(out);
	itest_guestd_stop(&g);
	itest_hostd_stop(&h);
}

/* A user's own interface: a module guestd serves, a host program calls. */
static void test_user_idl(void **state)
{
	char path[PATH_MAX], want[PATH_MAX + 32];
	struct itest_hostd h;
	struct itest_guestd g;
	char *out, *err;

	snprintf(path, sizeof(path), "%s/words.txt", itest_dir());
	itest_write_file(path, "one two\nthree\n", 14);
	itest_hostd_start(&h, NULL);
	itest_guestd_start(&g, NULL);
	{
		const char *argv[] = { ITEST_GUEST_WC, ITEST_REGION, path, NULL };

		assert_exit(itest_run(argv, NULL, &err), 1, "guest-wc, not served");
		assert_non_null(strstr(err, "interface not served"));
		free(err);
	}
	itest_guestd_stop(&g);
	itest_guestd_start(&g, "service = " ITEST_WC_GUEST "\n");
	{
		const char *argv[] = { ITEST_GUEST_WC, ITEST_REGION, path, NULL };

		assert_exit(itest_run(argv, &out, NULL), 0, "guest-wc");
	}
	snprintf(want, sizeof(want), "2 3 14 %s\n", path);
	assert_string_equal(out, want);
	free(out);
	itest_guestd_stop(&g);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_streaming, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_output_100mb, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_stdin, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_status, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_policy, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_api, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_host_policy, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_killed, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_timeout, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_wrapper, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_user_idl, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
