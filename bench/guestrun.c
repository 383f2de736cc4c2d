/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-bench-guestrun: what a guest-sourced command costs against running
 * it locally, in one run. Starts its own vmrpc-hostd and vmrpc-guestd (the
 * guest, on loopback) in a private runtime directory, then measures:
 *   - round trip of `true`: local fork+exec+wait, against guestexec through
 *     the host API (open a channel, exec_start, exec_read to the exit,
 *     close), and against the `vmrpc guest-run` command (a process each);
 *   - output throughput: 100 MB from `head -c` read through a local pipe,
 *     against the same command's output through exec_read.
 * --quick: few iterations (a smoke test; asserts statuses, not timings).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guestexec_caller.h"
#include "vmrpc/vmrpc.h"

#define GR_REGION "benchgr"
#define GR_BYTES (100ull << 20)

static char gr_dir[64] = "/tmp/vmrpc-bench-gr-XXXXXX";

static double gr_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static pid_t gr_spawn(char *const *argv, const char *log, int out_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out_fd >= 0 ? out_fd : null, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int gr_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double gr_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* One guest command through the API, output discarded; its exit code. */
static int gr_api_run(const char *const *argv, uint32_t argc, uint64_t *ret_bytes)
{
	char args[256];
	size_t len = 0, size;
	struct guestexec_exec_status st;
	struct vmrpc_binding b;
	struct vmrpc_chan *ch;
	uint64_t handle, bytes = 0;
	void *buf = NULL;
	int32_t stream;
	int64_t n;
	int err;

	for (uint32_t i = 0; i < argc; i++) {
		memcpy(args + len, argv[i], strlen(argv[i]) + 1);
		len += strlen(argv[i]) + 1;
	}
	err = vmrpc_vm_open(GR_REGION, 0, &ch);
	if (err < 0)
		return err;
	err = guestexec_bind(ch, &b);
	if (err == 0)
		err = guestexec_exec_start(&b, args, (uint32_t)len, argc, NULL, 0, "", 0, 0, &handle);
	for (size = 1u << 20; err == 0 && size >= 4096; size /= 2)
		if (vmrpc_chan_buf_alloc(ch, size, &buf) == 0)
			break;
	while (err == 0 && (n = guestexec_exec_read(&b, handle, buf, size, -1, &stream, &st)) > 0)
		bytes += (uint64_t)n;
	if (err == 0 && n < 0)
		err = (int)n;
	vmrpc_chan_close(ch);
	if (ret_bytes)
		*ret_bytes = bytes;
	return err < 0 ? err : st.code;
}

int main(int argc, char **argv)
{
	int quick = argc > 1 && !strcmp(argv[1], "--quick");
	int n_true = quick ? 5 : 300, n_cli = quick ? 3 : 100, n_tput = quick ? 1 : 3;
	char rt[128], log[160], conf[160], bytes_arg[32];
	double t[300], med_local, med_api, med_cli, tp_local = 0, tp_guest = 0;
	char *hostd_argv[] = { VMRPC_HOSTD, "--loopback", GR_REGION, NULL };
	char *guestd_argv[] = { VMRPC_GUESTD, "--region", GR_REGION, "--config", conf, NULL };
	char *true_argv[] = { "/bin/true", NULL };
	char *cli_argv[] = { VMRPC_CLI, "guest-run", "-n", GR_REGION, "--", "true", NULL };
	const char *guest_true[] = { "true" };
	const char *guest_head[] = { "head", "-c", bytes_arg, "/dev/zero" };
	char *head_argv[] = { "/usr/bin/head", "-c", bytes_arg, "/dev/zero", NULL };
	pid_t hostd, guestd;
	uint64_t bytes;
	int fails = 0, rc;
	FILE *f;

	snprintf(bytes_arg, sizeof(bytes_arg), "%llu", quick ? 1ull << 20 : GR_BYTES);
	if (!mkdtemp(gr_dir))
		return 1;
	snprintf(rt, sizeof(rt), "%s/rt", gr_dir);
	mkdir(rt, 0755);
	setenv("VMRPC_RUNTIME_DIR", rt, 1);
	snprintf(log, sizeof(log), "%s/daemons.log", gr_dir);
	snprintf(conf, sizeof(conf), "%s/guestd.conf", gr_dir);
	f = fopen(conf, "w");
	if (!f)
		return 1;
	fputs("exec = true\nexec = head\n", f);
	fclose(f);
	hostd = gr_spawn(hostd_argv, log, -1);
	for (int i = 0; i < 500 && access(strcat(strcpy(conf + 0, rt), "/" GR_REGION ".host.sock"),
					     F_OK); i++)
		usleep(10000);
	snprintf(conf, sizeof(conf), "%s/guestd.conf", gr_dir);
	guestd = gr_spawn(guestd_argv, log, -1);
	for (int i = 0; i < 500 && gr_api_run(guest_true, 1, NULL) != 0; i++)
		usleep(10000);

	for (int i = 0; i < n_true; i++) {
		double t0 = gr_now_us();

		fails += gr_wait(gr_spawn(true_argv, NULL, -1)) != 0;
		t[i] = gr_now_us() - t0;
	}
	med_local = gr_median(t, n_true);
	for (int i = 0; i < n_true; i++) {
		double t0 = gr_now_us();

		fails += gr_api_run(guest_true, 1, NULL) != 0;
		t[i] = gr_now_us() - t0;
	}
	med_api = gr_median(t, n_true);
	for (int i = 0; i < n_cli; i++) {
		double t0 = gr_now_us();

		fails += gr_wait(gr_spawn(cli_argv, log, -1)) != 0;
		t[i] = gr_now_us() - t0;
	}
	med_cli = gr_median(t, n_cli);

	for (int r = 0; r < n_tput; r++) {
		int p[2];
		char buf[1 << 16];
		double t0 = gr_now_us(), dt;
		ssize_t n;
		pid_t pid;

		bytes = 0;
		if (pipe(p) < 0)
			return 1;
		pid = gr_spawn(head_argv, NULL, p[1]);
		close(p[1]);
		while ((n = read(p[0], buf, sizeof(buf))) > 0)
			bytes += (uint64_t)n;
		close(p[0]);
		fails += gr_wait(pid) != 0 || bytes != strtoull(bytes_arg, NULL, 10);
		dt = gr_now_us() - t0;
		tp_local = tp_local > bytes / dt ? tp_local : bytes / dt;
		t0 = gr_now_us();
		rc = gr_api_run(guest_head, 4, &bytes);
		dt = gr_now_us() - t0;
		fails += rc != 0 || bytes != strtoull(bytes_arg, NULL, 10);
		tp_guest = tp_guest > bytes / dt ? tp_guest : bytes / dt;
	}

	printf("%-48s %8s %12s\n", "case", "runs", "median us");
	printf("%-48s %8d %12.1f\n", "true: local fork+exec+wait", n_true, med_local);
	printf("%-48s %8d %12.1f\n", "true: guestexec via vmrpc_vm_open (loopback)", n_true,
	       med_api);
	printf("%-48s %8d %12.1f\n", "true: vmrpc guest-run process (loopback)", n_cli, med_cli);
	printf("%-48s %8s %12s\n", "output throughput", "runs", "best MB/s");
	printf("%-48s %8d %12.0f\n", "head -c: local pipe", n_tput, tp_local);
	printf("%-48s %8d %12.0f\n", "head -c: guestexec exec_read (loopback)", n_tput, tp_guest);

	kill(guestd, SIGTERM);
	gr_wait(guestd);
	kill(hostd, SIGTERM);
	gr_wait(hostd);
	if (fails)
		fprintf(stderr, "vmrpc-bench-guestrun: %d runs failed (see %s)\n", fails, log);
	else
		system((snprintf(log, sizeof(log), "rm -rf %s", gr_dir), log));
	return fails ? 1 : 0;
}
