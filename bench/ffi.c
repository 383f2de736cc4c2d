/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-bench-ffi: what serving a method through libffi costs against a
 * generated skeleton (docs/dynamic.md, "ffi callee"), in one run.
 *
 * The same two plain C functions, benchffi.idl's null() and add(), are
 * served by a callee process of a stand-in region (libvmrpc/standin, as
 * bench/peer_vmrpc.c does) in three ways: through benchffi's generated
 * skeleton, whose ops call the functions, and through vmrpc_ffi_service()
 * with the table vmrpc-stubgen put in benchffi_iface, as the daemons serve
 * a library (both methods qualify for a direct call, libvmrpc/ffi.c) and
 * with every call through ffi_call() (VMRPC_FFI_DIRECT=0). This process calls both
 * with the generated caller stubs, spinning, caller and callee on two CPUs;
 * the cases take turns in rounds so that drift on the machine shifts them
 * alike. The callee counts what it served, and the run checks it.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "benchffi_callee.h"
#include "benchffi_caller.h"
#include "standin.h"
#include "vmrpc/dynamic.h"

#define PROG "vmrpc-bench-ffi"

/* ---- the functions both callees serve ------------------------------------ */

/* Where the serving process counts (shared memory). */
static struct bench_report *bf_report;

void bf_null(void);
int64_t bf_add(int64_t a, int32_t b, uint16_t c, bool negate);

void bf_null(void)
{
	bf_report->served++;
}

int64_t bf_add(int64_t a, int32_t b, uint16_t c, bool negate)
{
	int64_t sum = a + b + c;

	bf_report->served++;
	return negate ? -sum : sum;
}

/* The generated skeleton's ops: the functions, with the ctx they ignore. */
static int bf_skel_null(void *ctx)
{
	(void)ctx;
	bf_null();
	return 0;
}

static int64_t bf_skel_add(void *ctx, int64_t a, int32_t b, uint16_t c, bool negate)
{
	(void)ctx;
	return bf_add(a, b, c, negate);
}

static const struct benchffi_ops bf_ops = { .null = bf_skel_null, .add = bf_skel_add };

/* ---- the cases --------------------------------------------------------------- */

/*
 * One callee process serves one channel with the service in *bf_serving, a
 * struct in memory shared with this process: each case puts its own there
 * before its turn, while no call is in flight (the next request's release
 * publishes it). So every case runs in the same process, on the same
 * channel, with the same cache lines; only the dispatch differs.
 */
struct bf_case {
	const char *name;
	const struct vmrpc_service *svc;
	bench_call_fn call;
	struct bench_samples samples;
	struct bench_stats stats;
};

static struct vmrpc_binding bf_binding;

static int bf_call_null(void *arg)
{
	(void)arg;
	return benchffi_null(&bf_binding);
}

static int bf_call_add(void *arg)
{
	int64_t r = benchffi_add(&bf_binding, 1000000007, -5, 65535, false);

	(void)arg;
	return r == 1000000007 - 5 + 65535 ? 0 : r < 0 ? (int)r : -EPROTO;
}

static void bf_usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--quick] [-n N] [-r ROUNDS]\n"
		"  A null call and a small-arguments call, each served by a generated\n"
		"  skeleton and through libffi (vmrpc_ffi_service), in one run.\n"
		"  -n N        measured calls per case (default 200000)\n"
		"  -r ROUNDS   turns the cases take (default 100)\n"
		"  --quick     smoke run: 2000 calls in 2 rounds\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct vmrpc_region_opts opts = { .n_channels = 2, .chan_size = 64u << 10 };
	size_t n = 200000, warm = 10000;
	unsigned rounds = 100;
	struct vmrpc_service svc_skel, svc_ffi, svc_ffi_call;
	struct bf_case cases[] = {
		{ .name = "null call, generated skeleton", .svc = &svc_skel, .call = bf_call_null },
		{ .name = "null call, libffi", .svc = &svc_ffi, .call = bf_call_null },
		{ .name = "4 small args, generated skeleton", .svc = &svc_skel,
		  .call = bf_call_add },
		{ .name = "4 small args, libffi", .svc = &svc_ffi, .call = bf_call_add },
		{ .name = "null call, all ffi_call()", .svc = &svc_ffi_call, .call = bf_call_null },
		{ .name = "4 small args, all ffi_call()", .svc = &svc_ffi_call,
		  .call = bf_call_add },
	};
	const size_t n_cases = sizeof(cases) / sizeof(cases[0]);
	char dir[64];
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	struct vmrpc_region *host = NULL, *guest = NULL;
	struct vmrpc_chan *ch = NULL;
	struct vmrpc_service *serving;
	struct vmrpc_types *types = NULL;
	struct vmrpc_ffi *ffi_handle = NULL, *ffi_call_handle = NULL;
	void (*fns[2])(void);
	int bell_fd = -1, caller_cpu, callee_cpu, ncpu, opt, err, failed = 0, status;
	pid_t callee = 0;
	uint64_t calls = 0;
	unsigned long long v;

	while ((opt = getopt_long(argc, argv, "n:r:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			n = 2000;
			warm = 500;
			rounds = 2;
			break;
		case 'n':
			if (bench_parse_count(optarg, 100000000ull, &v) < 0) {
				fprintf(stderr, PROG ": -n wants a count from 1 to 100000000\n");
				return 2;
			}
			n = (size_t)v;
			break;
		case 'r':
			if (bench_parse_count(optarg, 1000, &v) < 0) {
				fprintf(stderr, PROG ": -r wants a count from 1 to 1000\n");
				return 2;
			}
			rounds = (unsigned)v;
			break;
		case 'h':
			bf_usage(stdout);
			return 0;
		default:
			bf_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		bf_usage(stderr);
		return 2;
	}
	if (rounds > n)
		rounds = (unsigned)n;

	/* The libffi services, from the table the generator put in the iface:
	 * as the daemons make it, and with every call through ffi_call(). */
	err = vmrpc_types_load(benchffi_iface.type_table, benchffi_iface.type_table_len, NULL, 0,
			       &types);
	if (err < 0) {
		fprintf(stderr, PROG ": benchffi's type table: %s\n", vmrpc_strerror(err));
		return 1;
	}
	for (uint32_t i = 0; i < types->hdr->n_methods; i++) {
		const char *name = vmrpc_types_str(types, types->methods[i].name);

		fns[i] = !strcmp(name, "null") ? (void (*)(void))bf_null
						: (void (*)(void))bf_add;
	}
	err = vmrpc_ffi_service(types, fns, &ffi_handle, &svc_ffi);
	if (err == 0) {
		setenv("VMRPC_FFI_DIRECT", "0", 1);
		err = vmrpc_ffi_service(types, fns, &ffi_call_handle, &svc_ffi_call);
		unsetenv("VMRPC_FFI_DIRECT");
	}
	if (err < 0) {
		fprintf(stderr, PROG ": vmrpc_ffi_service: %s\n", vmrpc_strerror(err));
		return 1;
	}
	svc_skel = benchffi_service(&bf_ops, NULL);

	ncpu = bench_pick_cpus(&caller_cpu, &callee_cpu);
	if (ncpu < 0 || bench_pin(caller_cpu) < 0) {
		fprintf(stderr, PROG ": cannot pin to a CPU\n");
		return 1;
	}
	bf_report = bench_shared_alloc(sizeof(*bf_report));
	serving = bench_shared_alloc(sizeof(*serving));
	if (!bf_report || !serving) {
		fprintf(stderr, PROG ": shared memory: %s\n", strerror(errno));
		return 1;
	}
	*serving = svc_skel;
	snprintf(dir, sizeof(dir), "%s/vmrpc-bench-ffi.XXXXXX", base);
	err = standin_runtime_dir_create(dir);
	if (err == 0)
		err = standin_region_create("benchffi", &opts, &host, &bell_fd);
	if (err == 0) {
		const struct vmrpc_iface *ifaces[] = { &benchffi_iface };

		err = vmrpc_hostd_region_publish(host, ifaces, 1);
	}
	if (err == 0)
		err = vmrpc_region_open("benchffi", &guest);
	if (err == 0)
		err = standin_callee_fork(host, bell_fd, serving, 1, STANDIN_SPIN_DEFAULT, &callee);
	if (err == 0 && ncpu > 1)
		(void)bench_pin_pid(callee, callee_cpu);
	if (err == 0)
		err = vmrpc_chan_open(guest, 0, &ch);
	if (err == 0)
		err = benchffi_bind(ch, &bf_binding);
	for (size_t i = 0; err == 0 && i < n_cases; i++)
		err = bench_samples_init(&cases[i].samples, n);
	if (err < 0) {
		fprintf(stderr, PROG ": setting up: %s\n", vmrpc_strerror(err));
		return 1;
	}

	printf(PROG ": the same functions behind a generated skeleton and behind libffi\n");
	printf("cpus:    caller on CPU %d, callee on CPU %d%s; one callee process and\n"
	       "         channel for every case, its service swapped between turns\n",
	       caller_cpu, callee_cpu, ncpu < 2 ? " (the same: one CPU)" : "");
	printf("calls:   %zu measured per case after %zu warm-up, in %u rounds; spinning\n\n", n,
	       warm, rounds);
	for (unsigned r = 0; err == 0 && r < rounds; r++) {
		/* Each round starts with the next case: none always goes first. */
		for (size_t j = 0; err == 0 && j < n_cases; j++) {
			struct bf_case *k = &cases[(r + j) % n_cases];
			size_t m = n / rounds + (r < n % rounds ? 1 : 0);
			size_t w = warm / rounds + (r < warm % rounds ? 1 : 0);

			*serving = *k->svc; /* no call in flight */
			err = bench_run(k->call, k, w, m, &k->samples);
			if (err < 0)
				fprintf(stderr, PROG ": %s: call failed: %s\n", k->name,
					vmrpc_strerror(err));
			calls += w + m;
		}
	}
	failed = err < 0;
	if (ch)
		vmrpc_chan_close(ch);
	if (callee > 0) {
		kill(callee, SIGTERM);
		waitpid(callee, &status, 0);
	}
	if (!failed && bf_report->served != calls) {
		fprintf(stderr, PROG ": the callee served %llu calls, the caller made %llu\n",
			(unsigned long long)bf_report->served, (unsigned long long)calls);
		failed = 1;
	}
	if (!failed) {
		bench_table_header(stdout);
		for (size_t i = 0; i < n_cases; i++) {
			bench_samples_stats(&cases[i].samples, &cases[i].stats);
			bench_table_row(stdout, cases[i].name, &cases[i].stats, NULL);
		}
		printf("\nratio libffi p50 / skeleton p50: null call %.2fx, 4 small args %.2fx "
		       "(target <= 1.2x)\n", cases[1].stats.p50_us / cases[0].stats.p50_us,
		       cases[3].stats.p50_us / cases[2].stats.p50_us);
		printf("ratio all ffi_call() p50 / skeleton p50: null call %.2fx, 4 small args "
		       "%.2fx\n", cases[4].stats.p50_us / cases[0].stats.p50_us,
		       cases[5].stats.p50_us / cases[2].stats.p50_us);
	}
	for (size_t i = 0; i < n_cases; i++)
		bench_samples_free(&cases[i].samples);
	vmrpc_region_close(guest);
	if (bell_fd >= 0)
		close(bell_fd);
	vmrpc_region_close(host);
	standin_runtime_dir_remove(dir);
	bench_shared_free(serving, sizeof(*serving));
	bench_shared_free(bf_report, sizeof(*bf_report));
	vmrpc_ffi_free(ffi_handle);
	vmrpc_ffi_free(ffi_call_handle);
	vmrpc_types_free(types);
	return failed ? 1 : 0;
}
