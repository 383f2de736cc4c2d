/* SPDX-License-Identifier: MIT */
/* What every benchmark program needs: a clock, CPU pinning, child processes
 * that serve one side of a ping-pong, per-call samples turned into
 * percentiles, and a table. Benchmarks are tools: they print, and they fail
 * loudly. */
#ifndef VMRPC_BENCH_UTIL_H
#define VMRPC_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC in ns (vDSO: no system call with the tsc clocksource). */
uint64_t bench_now_ns(void);

/* Median cost of one bench_now_ns() reading, in ns. */
uint64_t bench_timer_cost_ns(void);

/* The first two CPUs this process may run on. Returns how many it may run
 * on (1 means *ret_callee_cpu == *ret_caller_cpu), or -errno. */
int bench_pick_cpus(int *ret_caller_cpu, int *ret_callee_cpu);

/* Pin the calling process (bench_pin) or process pid to one CPU: 0 or
 * -errno. */
int bench_pin(int cpu);
int bench_pin_pid(pid_t pid, int cpu);

/* A command-line count: a decimal from 1 to max, or -EINVAL. */
int bench_parse_count(const char *s, unsigned long long max, unsigned long long *ret);

/* A child process serving the other side of a ping-pong. */
struct bench_child {
	pid_t pid;
	int reaped; /* waitpid() done, status valid */
	int status;
};

/* Fork a child pinned to cpu (cpu < 0: not pinned) that dies with its
 * parent and runs fn(arg); the child exits 0 if fn returns 0, else 1 (fn
 * reports its own error on stderr). Returns 0 or -errno. */
int bench_child_start(struct bench_child *ret_child, int cpu, int (*fn)(void *arg),
		      void *arg);

/* 1 while the child runs; 0 once it has exited (and is reaped). */
int bench_child_alive(struct bench_child *child);

/* SIGTERM the child and reap it. 0 if it ended by that SIGTERM or exited 0,
 * -ECHILD (after printing why, prefixed with what) otherwise. */
int bench_child_stop(struct bench_child *child, const char *what);

/* exec exe with argv (vmrpc-hostd, say) in a child pinned to cpu (< 0: not
 * pinned) that dies with its parent, its stderr to log_path, and wait up to
 * 5 s until ready_path (its socket) exists. Returns 0 or -errno, after
 * printing why, prefixed with what. */
int bench_daemon_start(struct bench_child *ret_child, int cpu, const char *exe,
		       char *const argv[], const char *log_path, const char *ready_path,
		       const char *what);

/* One call of the case being measured: 0, or a negative error. */
typedef int (*bench_call_fn)(void *arg);

struct bench_stats {
	size_t n;           /* calls measured */
	double p50_us;
	double p99_us;
	double mean_us;
	double calls_per_s; /* n / wall time of the measured loops */
};

/* Per-call round-trip times of one case, gathered over one or more runs. */
struct bench_samples {
	uint64_t *ns;
	size_t n, cap;
	uint64_t wall_ns; /* time spent in the measured loops */
};

/* Room for cap samples, touched now so no page fault lands in a timed
 * loop. 0 or -ENOMEM. */
int bench_samples_init(struct bench_samples *s, size_t cap);
void bench_samples_free(struct bench_samples *s);

/* Run warmup calls, then n calls each timed on its own, appended to s (n
 * must fit). Stops at the first failing call and returns its error. */
int bench_run(bench_call_fn fn, void *arg, size_t warmup, size_t n, struct bench_samples *s);

/* Percentiles and mean of everything gathered (sorts s->ns). */
void bench_samples_stats(struct bench_samples *s, struct bench_stats *ret_stats);

void bench_table_header(FILE *f);
/* A row; stats NULL prints n/a and the note. */
void bench_table_row(FILE *f, const char *name, const struct bench_stats *stats,
		     const char *note);

/* A 128-byte cache-line pair of its own (the same false-sharing guard as
 * VMRPC_CACHELINE) in MAP_SHARED memory, where a child counts the calls it
 * served so the parent can check them after the child is gone. */
struct bench_report {
	_Alignas(128) volatile uint64_t served;
	uint8_t pad[120];
};

/* size bytes of zeroed MAP_SHARED anonymous memory, shared with children
 * forked later; NULL on failure (errno set). */
void *bench_shared_alloc(size_t size);
void bench_shared_free(void *p, size_t size);

#endif /* VMRPC_BENCH_UTIL_H */
