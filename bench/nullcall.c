/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-bench-nullcall: round-trip latency of a call that does nothing,
 * through vmrpc and through the mechanisms it is measured against, all in
 * one run, caller and callee in two processes pinned to two CPUs.
 *
 * This file is the run: it opens every peer (nullcall.h lists them, each in
 * its own peer_*.c), has them take turns, checks that each callee served
 * every call made, and prints the table.
 *
 * Every case's callee is started first and stays up; the cases then take
 * turns in rounds, so a change of the VM's vCPU placement during the run
 * shifts all of them alike instead of skewing one comparison. An idle
 * callee sleeps (the raw spin callee is parked on a futex between turns).
 *
 * docs/benchmarks.md says how to read the table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "nullcall.h"
#include "standin.h"
#include "vmrpc/vmrpc.h"

enum { NC_VMRPC_SPIN, NC_VMRPC_DYN, NC_VMRPC_SLEEP, NC_VMRPC_HOSTD, NC_RAW_SPIN, NC_FUTEX, NC_PIPE, NC_UNIX,
       NC_ONCRPC, NC_N_CASES };

/* In table order. */
static struct nc_case nc_cases[NC_N_CASES] = {
	[NC_VMRPC_SPIN] = { .peer = &nc_peer_vmrpc_spin },
	[NC_VMRPC_DYN] = { .peer = &nc_peer_vmrpc_dyn },
	[NC_VMRPC_SLEEP] = { .peer = &nc_peer_vmrpc_sleep },
	[NC_VMRPC_HOSTD] = { .peer = &nc_peer_hostd },
	[NC_RAW_SPIN] = { .peer = &nc_peer_shm_spin },
	[NC_FUTEX] = { .peer = &nc_peer_shm_futex },
	[NC_PIPE] = { .peer = &nc_peer_pipe },
	[NC_UNIX] = { .peer = &nc_peer_unix },
	[NC_ONCRPC] = { .peer = &nc_peer_oncrpc },
};

/* The runtime directory of the vmrpc peers and of vmrpc-hostd. */
static struct {
	char path[64];
	bool made, failed;
} nc_run_dir;

int nc_runtime_dir(const char **ret_dir)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	int err;

	if (nc_run_dir.failed)
		return -ENODEV; /* the first peer to ask said why */
	if (!nc_run_dir.made) {
		snprintf(nc_run_dir.path, sizeof(nc_run_dir.path), "%s/vmrpc-bench.XXXXXX", base);
		err = standin_runtime_dir_create(nc_run_dir.path);
		if (err < 0) {
			fprintf(stderr, PROG ": runtime directory %s: %s\n", nc_run_dir.path,
				strerror(-err));
			nc_run_dir.failed = true;
			return err;
		}
		nc_run_dir.made = true;
	}
	*ret_dir = nc_run_dir.path;
	return 0;
}

/* Disconnect, stop the child, check it served every call we made. */
static void nc_case_finish(struct nc_case *k)
{
	int err;

	k->peer->close(k);
	if (!k->child.pid)
		return;
	err = bench_child_stop(&k->child, k->peer->key);
	if (err < 0) {
		k->failed = true;
		return;
	}
	if (!k->failed && k->report->served != k->calls) {
		fprintf(stderr, "%s: callee served %llu calls, caller made %llu\n", k->peer->key,
			(unsigned long long)k->report->served, (unsigned long long)k->calls);
		k->failed = true;
	}
}

static void nc_usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--quick] [-n N] [-r ROUNDS] [--only CASE[,CASE...]]\n"
		"  Round-trip latency of a null call: vmrpc (spinning and sleeping phases)\n"
		"  against raw shared-memory spin, futex, pipe, unix socket and ONC RPC\n"
		"  ping-pongs, caller and callee in two processes on two CPUs.\n"
		"  -n N         measure N calls in spinning cases, N/10 (at least 100) in\n"
		"               sleeping ones (default 200000 / 20000)\n"
		"  -r ROUNDS    split each case's calls into ROUNDS turns, the cases taking\n"
		"               turns (default 100)\n"
		"  --quick      smoke run: 2000 / 500 calls in 2 rounds, short warm-up\n"
		"  --only LIST  run only these cases: vmrpc-spin vmrpc-dyn vmrpc-sleep vmrpc-hostd raw-spin futex\n"
		"               pipe unix oncrpc\n");
}

static void nc_print_machine(const struct nc_cfg *cfg, uint64_t timer_ns)
{
	char model[128] = "unknown", line[256];
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');
			if (!strncmp(line, "model name", 10) && colon) {
				snprintf(model, sizeof(model), "%s", colon + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	printf(PROG ": null-call round trip, caller and callee in two processes\n");
	printf("machine: %s, %ld online CPUs, kernel %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
	       u.release);
	if (cfg->one_cpu)
		printf("cpus:    NOTE: only one CPU available (CPU %d): caller and callee share it;\n"
		       "         spinning cases yield the CPU, so they measure the scheduler, not\n"
		       "         cache-line transfers\n",
		       cfg->caller_cpu);
	else
		printf("cpus:    caller pinned to CPU %d, callee pinned to CPU %d\n",
		       cfg->caller_cpu, cfg->callee_cpu);
	printf("calls:   %zu measured after %zu warm-up (spinning cases), %zu after %zu (sleeping);\n"
	       "         cases take turns in %u rounds\n",
	       cfg->n_spin, cfg->warm_spin, cfg->n_sleep, cfg->warm_sleep, cfg->rounds);
	printf("timing:  CLOCK_MONOTONIC around each call; a reading costs ~%llu ns (not subtracted)\n",
	       (unsigned long long)timer_ns);
	if (getenv("VMRPC_SPIN_NS"))
		printf("NOTE:    VMRPC_SPIN_NS=%s overrides vmrpc's default spin budget\n",
		       getenv("VMRPC_SPIN_NS"));
	printf("\n");
}

static int nc_parse_only(const char *list, int *want)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (int i = 0; i < NC_N_CASES; i++)
		want[i] = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int i;
		for (i = 0; i < NC_N_CASES; i++)
			if (!strcmp(tok, nc_cases[i].peer->key))
				break;
		if (i == NC_N_CASES) {
			fprintf(stderr, PROG ": unknown case '%s'\n", tok);
			err = -EINVAL;
			break;
		}
		want[i] = 1;
	}
	free(copy);
	return err;
}

/* Share part r of total among rounds: the first rounds take the remainder. */
static size_t nc_share(size_t total, unsigned rounds, unsigned r)
{
	return total / rounds + (r < total % rounds ? 1 : 0);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nc_cfg cfg = {
		.n_spin = 200000, .n_sleep = 20000, .warm_spin = 10000, .warm_sleep = 2000,
		.rounds = 100,
	};
	int want[NC_N_CASES], failed = 0, ncpu, opt, err;
	unsigned long long v;

	for (int i = 0; i < NC_N_CASES; i++)
		want[i] = 1;
	while ((opt = getopt_long(argc, argv, "n:r:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			cfg.n_spin = 2000;
			cfg.n_sleep = 500;
			cfg.warm_spin = 500;
			cfg.warm_sleep = 100;
			cfg.rounds = 2;
			break;
		case 'n':
			if (bench_parse_count(optarg, 100000000ull, &v) < 0) {
				fprintf(stderr, PROG ": -n wants a count from 1 to 100000000\n");
				return 2;
			}
			cfg.n_spin = (size_t)v;
			cfg.n_sleep = v / 10 > 100 ? (size_t)(v / 10) : 100;
			break;
		case 'r':
			if (bench_parse_count(optarg, 1000, &v) < 0) {
				fprintf(stderr, PROG ": -r wants a count from 1 to 1000\n");
				return 2;
			}
			cfg.rounds = (unsigned)v;
			break;
		case 'o':
			if (nc_parse_only(optarg, want) < 0)
				return 2;
			break;
		case 'h':
			nc_usage(stdout);
			return 0;
		default:
			nc_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		nc_usage(stderr);
		return 2;
	}
	if (cfg.rounds > cfg.n_sleep)
		cfg.rounds = (unsigned)cfg.n_sleep;

	ncpu = bench_pick_cpus(&cfg.caller_cpu, &cfg.callee_cpu);
	if (ncpu < 0) {
		fprintf(stderr, PROG ": sched_getaffinity: %s\n", strerror(-ncpu));
		return 1;
	}
	cfg.one_cpu = ncpu < 2;
	err = bench_pin(cfg.caller_cpu);
	if (err < 0) {
		fprintf(stderr, PROG ": cannot pin to CPU %d: %s\n", cfg.caller_cpu,
			strerror(-err));
		return 1;
	}
	nc_print_machine(&cfg, bench_timer_cost_ns());

	/* Start every callee; vmrpc's in order, one ATTACH at a time. */
	for (int i = 0; i < NC_N_CASES; i++) {
		struct nc_case *k = &nc_cases[i];

		if (!want[i])
			continue;
		k->cfg = &cfg;
		k->report = bench_shared_alloc(sizeof(*k->report));
		err = k->report ? bench_samples_init(&k->samples,
						     k->peer->spinning ? cfg.n_spin : cfg.n_sleep) :
				  -errno;
		if (err == 0)
			err = k->peer->open(k);
		if (err == -ENOSYS) {
			want[i] = 0; /* n/a, with k->note saying why */
			continue;
		}
		if (err < 0) {
			fprintf(stderr, "%s: cannot start: %s\n", k->peer->key, vmrpc_strerror(err));
			k->failed = true;
			continue;
		}
		k->opened = true;
		if (k->peer->park)
			k->peer->park(k);
	}

	for (unsigned r = 0; r < cfg.rounds; r++) {
		for (int i = 0; i < NC_N_CASES; i++) {
			struct nc_case *k = &nc_cases[i];
			size_t n, warm;

			if (!want[i] || !k->opened || k->failed)
				continue;
			n = nc_share(k->peer->spinning ? cfg.n_spin : cfg.n_sleep, cfg.rounds, r);
			warm = nc_share(k->peer->spinning ? cfg.warm_spin : cfg.warm_sleep,
					cfg.rounds, r);
			if (k->peer->resume)
				k->peer->resume(k);
			err = bench_run(k->peer->call, k, warm, n, &k->samples);
			if (err < 0) {
				fprintf(stderr, "%s: call failed: %s\n", k->peer->key,
					vmrpc_strerror(err));
				k->failed = true;
				continue;
			}
			k->calls += warm + n;
			if (k->peer->park)
				k->peer->park(k);
		}
	}

	bench_table_header(stdout);
	for (int i = 0; i < NC_N_CASES; i++) {
		struct nc_case *k = &nc_cases[i];

		if (k->cfg)
			nc_case_finish(k);
		if (k->cfg && !want[i] && !k->failed) {
			bench_table_row(stdout, k->peer->name, NULL, k->note);
		} else if (k->failed) {
			bench_table_row(stdout, k->peer->name, NULL, "FAILED (see stderr)");
			failed = 1;
		} else if (want[i]) {
			bench_samples_stats(&k->samples, &k->stats);
			bench_table_row(stdout, k->peer->name, &k->stats, k->note);
		}
		bench_samples_free(&k->samples);
		bench_shared_free(k->report, sizeof(*k->report));
	}
	if (nc_run_dir.made)
		standin_runtime_dir_remove(nc_run_dir.path);

	printf("\n");
	if (want[NC_VMRPC_SPIN] && want[NC_RAW_SPIN] && !nc_cases[NC_VMRPC_SPIN].failed &&
	    !nc_cases[NC_RAW_SPIN].failed)
		printf("ratio vmrpc-spin p50 / raw-spin p50: %.2fx (target <= 1.5x)\n",
		       nc_cases[NC_VMRPC_SPIN].stats.p50_us / nc_cases[NC_RAW_SPIN].stats.p50_us);
	else
		printf("ratio vmrpc-spin p50 / raw-spin p50: n/a (a case did not run)\n");
	if (want[NC_VMRPC_DYN] && want[NC_VMRPC_SPIN] && !nc_cases[NC_VMRPC_DYN].failed &&
	    !nc_cases[NC_VMRPC_SPIN].failed)
		printf("ratio vmrpc-dyn p50 / vmrpc-spin p50: %.2fx (target <= 2x)\n",
		       nc_cases[NC_VMRPC_DYN].stats.p50_us / nc_cases[NC_VMRPC_SPIN].stats.p50_us);
	if (want[NC_VMRPC_HOSTD] && want[NC_RAW_SPIN] && !nc_cases[NC_VMRPC_HOSTD].failed &&
	    !nc_cases[NC_RAW_SPIN].failed)
		printf("ratio vmrpc-hostd p50 / raw-spin p50: %.2fx\n",
		       nc_cases[NC_VMRPC_HOSTD].stats.p50_us / nc_cases[NC_RAW_SPIN].stats.p50_us);
	return failed ? 1 : 0;
}
