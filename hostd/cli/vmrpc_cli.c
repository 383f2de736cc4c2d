/* SPDX-License-Identifier: MIT */
/*
 * vmrpc: the host's command line for guest-sourced calls.
 *
 *   vmrpc guest-run [-n] [-e NAME=VALUE]... [-C DIR] [-t SECONDS] VM -- CMD [ARG]...
 *   vmrpc guest-info VM [--json]
 *   vmrpc list [VM] [--json] | status [VM] [--json] | describe VM IFACE [--json]
 *   vmrpc call VM IFACE.METHOD '{json}'      (cli_inspect.c)
 *   NAME [ARG]...          (vmrpc installed as NAME, e.g. a symlink: runs NAME
 *                           in the guest $VMRPC_VM with the same arguments)
 *
 * guest-run mirrors the guest command: its stdout and stderr byte for byte
 * while it runs, our stdin forwarded to it, and its exit status as ours
 * (128 + N for signal N, as a shell reports it). SIGINT, SIGTERM, SIGHUP
 * and SIGQUIT are forwarded to the guest command.
 *
 * Three channels at most, since one channel carries one call at a time: the
 * main thread reads output (a long poll), a stdin thread writes, a signal
 * thread kills. The last two open theirs only when needed.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli.h"
#include "guestexec_caller.h"
#include "vmrpc/vmrpc.h"
#include "vmrpc_cli.h"

#define CLI_BUF_MAX (1u << 20)
#define CLI_STDIN_BUF (64u << 10)
#define CLI_EXIT_FAIL 255 /* vmrpc itself failed, as ssh does */
/* A guest in a VM shows the host no process to watch: a guest that stops
 * answering (hung, paused) would hold a call forever. Output is read in
 * long polls of CLI_POLL_MS, so any call not answered within
 * CLI_GUEST_TIMEOUT_MS means the guest is not answering at all. */
#define CLI_POLL_MS 10000
#define CLI_GUEST_TIMEOUT_MS 30000

struct cli_run {
	const char *vm;
	const char *prog; /* for messages */
	uint64_t handle;
	sigset_t sigs;    /* forwarded to the guest command */
	int stdin_done;   /* the stdin thread saw EOF: it ends without us */
};

static const char *cli_name = "vmrpc";

static void cli_err(const char *vm, const char *what, int err)
{
	fprintf(stderr, "%s: VM '%s': %s: %s\n", cli_name, vm, what, vmrpc_strerror(err));
}

/* timeout_ms: the channel's bound on each call (0: none). */
static int cli_open(const char *vm, uint32_t timeout_ms, struct vmrpc_chan **ret_chan,
		    struct vmrpc_binding *ret_b)
{
	int err = vmrpc_vm_open(vm, 0, ret_chan);

	if (err < 0) {
		cli_err(vm, err == -VMRPC_EDENIED ? "hostd does not let this user call into it"
						  : "cannot reach its guest agent",
			err);
		return err;
	}
	vmrpc_chan_set_timeout(*ret_chan, timeout_ms);
	err = guestexec_bind(*ret_chan, ret_b);
	if (err < 0) {
		cli_err(vm, "guestexec", err);
		vmrpc_chan_close(*ret_chan);
	}
	return err;
}

/* Forward our stdin to the guest command over a channel of its own. */
static void *cli_stdin_thread(void *arg)
{
	struct cli_run *run = arg;
	struct vmrpc_chan *ch;
	struct vmrpc_binding b;
	void *buf;
	int64_t r;
	ssize_t n;

	/* No timeout: a command that does not read its stdin blocks a write
	 * for as long as it likes. The output channel notices a hung guest. */
	if (cli_open(run->vm, 0, &ch, &b) < 0)
		return NULL;
	if (vmrpc_chan_buf_alloc(ch, CLI_STDIN_BUF, &buf) < 0)
		buf = NULL;
	vmrpc_chan_set_spin(ch, 0); /* each write waits on a pipe, or on us */
	for (;;) {
		char local[4096];
		void *p = buf ? buf : local;

		n = read(0, p, buf ? CLI_STDIN_BUF : sizeof(local));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r = guestexec_exec_write(&b, run->handle, p, (uint64_t)n);
		if (r < 0) /* the command closed its stdin, or is gone */
			goto out;
	}
	__atomic_store_n(&run->stdin_done, 1, __ATOMIC_RELEASE);
	guestexec_exec_write(&b, run->handle, NULL, 0); /* EOF */
out:
	__atomic_store_n(&run->stdin_done, 1, __ATOMIC_RELEASE);
	vmrpc_chan_close(ch);
	return NULL;
}

/* Forward the signals we would die of to the guest command. */
static void *cli_signal_thread(void *arg)
{
	struct cli_run *run = arg;
	struct vmrpc_chan *ch = NULL;
	struct vmrpc_binding b;
	int sig;

	while (sigwait(&run->sigs, &sig) == 0) {
		if (!ch && cli_open(run->vm, CLI_GUEST_TIMEOUT_MS, &ch, &b) < 0)
			_exit(128 + sig);
		guestexec_exec_kill(&b, run->handle, sig);
	}
	return NULL;
}

static int cli_stdin_is_null(void)
{
	struct stat a, b;

	return fstat(0, &a) < 0 || (stat("/dev/null", &b) == 0 && S_ISCHR(a.st_mode) &&
				    a.st_rdev == b.st_rdev);
}

static int cli_run_command(const char *vm, char **argv, size_t argc, char **env, size_t n_env,
			   const char *cwd, uint32_t timeout_ms, int no_stdin)
{
	static struct cli_run run; /* threads may outlive this frame */

	struct guestexec_exec_status st;
	struct vmrpc_chan *ch;
	struct vmrpc_binding b;
	char *args = NULL, *envs = NULL;
	size_t args_len = 0, env_len = 0;
	uint32_t flags = 0;
	size_t size;
	pthread_t t, in_thread;
	int have_in = 0, code;
	void *buf = NULL;
	int32_t stream;
	int64_t n;
	int err;

	run.vm = vm;
	run.prog = argv[0];
	sigemptyset(&run.sigs);
	sigaddset(&run.sigs, SIGINT);
	sigaddset(&run.sigs, SIGTERM);
	sigaddset(&run.sigs, SIGHUP);
	sigaddset(&run.sigs, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &run.sigs, NULL);
	err = vmrpc_strv_pack(argv, argc, &args, &args_len);
	if (err == 0)
		err = vmrpc_strv_pack(env, n_env, &envs, &env_len);
	if (err < 0 || args_len > UINT32_MAX || env_len > UINT32_MAX) {
		fprintf(stderr, "%s: arguments too large\n", cli_name);
		return CLI_EXIT_FAIL;
	}
	if (cli_open(vm, CLI_GUEST_TIMEOUT_MS, &ch, &b) < 0)
		return CLI_EXIT_FAIL;
	if (!no_stdin && !cli_stdin_is_null())
		flags |= GUESTEXEC_STDIN_PIPE;
	err = guestexec_exec_start(&b, args, (uint32_t)args_len, (uint32_t)argc, envs,
				   (uint32_t)env_len, cwd, flags, timeout_ms, &run.handle);
	free(args);
	free(envs);
	if (err < 0) {
		if (err == -VMRPC_EDENIED)
			fprintf(stderr, "%s: VM '%s': %s: refused by the guest's policy "
				"(guestd.conf does not allow it)\n", cli_name, vm, argv[0]);
		else if (err == -ENOENT)
			fprintf(stderr, "%s: VM '%s': %s: command not found in the guest\n",
				cli_name, vm, argv[0]);
		else
			cli_err(vm, argv[0], err);
		vmrpc_chan_close(ch);
		return err == -ENOENT ? 127 : err == -VMRPC_EDENIED || err == -EACCES ? 126
										: CLI_EXIT_FAIL;
	}
	if (flags & GUESTEXEC_STDIN_PIPE)
		have_in = pthread_create(&in_thread, NULL, cli_stdin_thread, &run) == 0;
	if (pthread_create(&t, NULL, cli_signal_thread, &run) == 0)
		pthread_detach(t);
	/* Output lands in a buffer kept in the channel: no copy on our side. */
	for (size = CLI_BUF_MAX; size >= 4096; size /= 2)
		if (vmrpc_chan_buf_alloc(ch, size, &buf) == 0)
			break;
	if (!buf) {
		fprintf(stderr, "%s: VM '%s': channel too small\n", cli_name, vm);
		code = CLI_EXIT_FAIL;
		goto out;
	}
	for (;;) {
		n = guestexec_exec_read(&b, run.handle, buf, size, CLI_POLL_MS, &stream, &st);
		if (n == -ETIMEDOUT) /* no output for a while: the guest did answer */
			continue;
		if (n == -VMRPC_ETIMEDOUT) {
			fprintf(stderr, "%s: VM '%s': %s: the guest has not answered for %d s; "
				"giving up (the command may still run there)\n", cli_name, vm,
				argv[0], CLI_GUEST_TIMEOUT_MS / 1000);
			code = CLI_EXIT_FAIL;
			goto out;
		}
		if (n < 0) {
			cli_err(vm, argv[0], (int)n);
			code = CLI_EXIT_FAIL;
			goto out;
		}
		if (n == 0)
			break;
		if ((stream != GUESTEXEC_STREAM_STDOUT && stream != GUESTEXEC_STREAM_STDERR) ||
		    (uint64_t)n > size) {
			cli_err(vm, argv[0], -EPROTO);
			code = CLI_EXIT_FAIL;
			goto out;
		}
		/* A closed stdout kills us with SIGPIPE, like the command would
		 * have died; hostd then reclaims the channel and guestd kills
		 * the command. */
		err = vmrpc_write_all(stream == GUESTEXEC_STREAM_STDOUT ? 1 : 2, buf, (size_t)n);
		if (err < 0) {
			fprintf(stderr, "%s: writing output: %s\n", cli_name, strerror(-err));
			code = CLI_EXIT_FAIL;
			goto out;
		}
	}
	code = st.signal > 0 && st.signal < 128 ? 128 + st.signal
	       : st.code >= 0 && st.code <= 255 ? st.code : CLI_EXIT_FAIL;
	if (st.timed_out)
		fprintf(stderr, "%s: VM '%s': %s: timed out after %u ms; killed\n", cli_name, vm,
			argv[0], timeout_ms);
out:
	vmrpc_chan_close(ch);
	/* A stdin thread still blocked in read(0) ends with the process, and
	 * hostd reclaims its channel as its connection closes. */
	if (have_in && __atomic_load_n(&run.stdin_done, __ATOMIC_ACQUIRE))
		pthread_join(in_thread, NULL);
	return code;
}

static int cli_guest_info(const char *vm, int json)
{
	char os[256], kernel[256], host[256], machine[64];
	struct vmrpc_chan *ch;
	struct vmrpc_binding b;
	int err;

	if (cli_open(vm, CLI_GUEST_TIMEOUT_MS, &ch, &b) < 0)
		return CLI_EXIT_FAIL;
	err = guestexec_identity(&b, os, sizeof(os), kernel, sizeof(kernel), host, sizeof(host),
				 machine, sizeof(machine));
	vmrpc_chan_close(ch);
	if (err < 0) {
		cli_err(vm, "identity", err);
		return CLI_EXIT_FAIL;
	}
	if (json)
		cli_json_print(stdout, json_pack("{s:s, s:s, s:s, s:s}", "os", os, "kernel", kernel,
						 "hostname", host, "machine", machine));
	else
		printf("os: %s\nkernel: %s\nhostname: %s\nmachine: %s\n", os, kernel, host,
		       machine);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vmrpc list [VM] [--json]\n"
		"       vmrpc status [VM] [--json]\n"
		"       vmrpc describe VM IFACE [--json]\n"
		"       vmrpc call VM IFACE.METHOD ['{JSON}']\n"
		"       vmrpc guest-run [OPTION...] VM -- COMMAND [ARG...]\n"
		"       vmrpc guest-info VM [--json]\n"
		"       NAME [ARG...]   (vmrpc installed as NAME: runs NAME in $VMRPC_VM)\n"
		"list: what VM serves, both ways (VM/host/NAME to its guest, VM/guest/NAME\n"
		"in it); every VM a vmrpc-hostd serves without VM. status: its channels,\n"
		"callers and guest agent. describe: an interface's methods and types, as\n"
		"IDL. call: call a method of an interface the guest serves, with a JSON\n"
		"object of its parameters; prints a JSON object of its status and out\n"
		"parameters.\n"
		"guest-run: run COMMAND in the guest of VM through its guest agent,\n"
		"vmrpc-guestd: its output arrives as it is written, stdin is forwarded, and\n"
		"the exit status is the command's (128+N for signal N). VM is a VM's name\n"
		"or its host-caller socket's path.\n"
		"\n"
		"  -n               do not forward stdin (the command reads /dev/null)\n"
		"  -e NAME=VALUE    add to the command's environment (repeatable)\n"
		"  -C DIR           the command's working directory in the guest\n"
		"  -t SECONDS       kill the command after SECONDS\n"
		"  --json           print JSON (list, status, describe, guest-info)\n"
		"  -h, --help       show this help\n"
		"      --version    show the version\n"
		"Exit status: 0 ok; 1 the call or operation failed; 2 bad usage or input\n"
		"(nothing was sent); 255 vmrpc itself failed; guest-run: the command's.\n");
}

static int cli_guest_run(int argc, char **argv)
{
	static const struct option longopts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	char *env[argc + 1];
	const char *cwd = "";
	size_t n_env = 0;
	uint32_t timeout_ms = 0;
	char *end;
	unsigned long v;
	int c, no_stdin = 0;

	while ((c = getopt_long(argc, argv, "+ne:C:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			no_stdin = 1;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				fprintf(stderr, "%s: -e %s: expected NAME=VALUE\n", cli_name, optarg);
				return 2;
			}
			env[n_env++] = optarg;
			break;
		case 'C':
			cwd = optarg;
			break;
		case 't':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v == 0 || v > 4000000) {
				fprintf(stderr, "%s: -t %s: expected seconds, 1 to 4000000\n",
					cli_name, optarg);
				return 2;
			}
			timeout_ms = (uint32_t)v * 1000u;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "--")) /* "-- VM -- cmd" */
		optind++;
	if (argc - optind < 3 || strcmp(argv[optind + 1], "--")) {
		usage(stderr);
		return 2;
	}
	c = cli_run_command(argv[optind], argv + optind + 2, (size_t)(argc - optind - 2), env,
			    n_env, cwd, timeout_ms, no_stdin);
	return c;
}

int main(int argc, char **argv)
{
	char *self = strdup(argv[0] ? argv[0] : "vmrpc");
	const char *base = self ? basename(self) : "vmrpc";
	const char *vm;
	int ret;

	/* The wrapper: installed as another name, run that name in the guest. */
	if (strcmp(base, "vmrpc") && strncmp(base, "vmrpc-", 6) && strncmp(base, "lt-", 3)) {
		cli_name = base;
		vm = getenv("VMRPC_VM");
		if (!vm || !*vm) {
			fprintf(stderr, "%s: runs in a guest through vmrpc, but $VMRPC_VM names no "
				"VM\n", base);
			return CLI_EXIT_FAIL;
		}
		argv[0] = (char *)base;
		ret = cli_run_command(vm, argv, (size_t)argc, NULL, 0, "", 0, 0);
	} else if (argc >= 2 && !strcmp(argv[1], "guest-run")) {
		ret = cli_guest_run(argc - 1, argv + 1);
	} else if (argc == 3 && !strcmp(argv[1], "guest-info")) {
		ret = cli_guest_info(argv[2], 0);
	} else if (argc == 4 && !strcmp(argv[1], "guest-info") &&
		   (!strcmp(argv[2], "--json") || !strcmp(argv[3], "--json"))) {
		ret = cli_guest_info(strcmp(argv[2], "--json") ? argv[2] : argv[3], 1);
	} else if (argc >= 2 && !strcmp(argv[1], "list")) {
		ret = cli_cmd_list(argc - 1, argv + 1);
	} else if (argc >= 2 && !strcmp(argv[1], "status")) {
		ret = cli_cmd_status(argc - 1, argv + 1);
	} else if (argc >= 2 && !strcmp(argv[1], "describe")) {
		ret = cli_cmd_describe(argc - 1, argv + 1);
	} else if (argc >= 2 && !strcmp(argv[1], "call")) {
		ret = cli_cmd_call(argc - 1, argv + 1);
	} else if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		ret = 0;
	} else if (argc >= 2 && !strcmp(argv[1], "--version")) {
		printf("vmrpc %s\n", VMRPC_VERSION);
		ret = 0;
	} else if (argc >= 2 && strcmp(argv[1], "guest-info")) {
		fprintf(stderr, "vmrpc: unknown command '%s' (vmrpc --help lists them)\n", argv[1]);
		ret = 2;
	} else {
		usage(stderr);
		ret = 2;
	}
	free(self);
	return ret;
}
