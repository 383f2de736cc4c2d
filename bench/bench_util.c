/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t bench_timer_cost_ns(void)
{
	enum { ROUNDS = 101, READS = 1000 };
	uint64_t cost[ROUNDS];

	for (int i = 0; i < ROUNDS; i++) {
		uint64_t t0 = bench_now_ns(), t1 = t0;
		for (int j = 0; j < READS; j++)
			t1 = bench_now_ns();
		cost[i] = (t1 - t0) / READS;
	}
	qsort(cost, ROUNDS, sizeof(cost[0]), bench_cmp_u64);
	return cost[ROUNDS / 2];
}

int bench_pick_cpus(int *ret_caller_cpu, int *ret_callee_cpu)
{
	cpu_set_t set;
	int found[2] = { -1, -1 }, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	for (int cpu = 0; cpu < CPU_SETSIZE && n < 2; cpu++)
		if (CPU_ISSET(cpu, &set))
			found[n++] = cpu;
	if (n == 0)
		return -ENODEV;
	*ret_caller_cpu = found[0];
	*ret_callee_cpu = n > 1 ? found[1] : found[0];
	return n;
}

int bench_pin_pid(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(pid, sizeof(set), &set) < 0)
		return -errno;
	return 0;
}

int bench_pin(int cpu)
{
	return bench_pin_pid(0, cpu);
}

int bench_parse_count(const char *s, unsigned long long max, unsigned long long *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

int bench_child_start(struct bench_child *ret_child, int cpu, int (*fn)(void *arg), void *arg)
{
	pid_t parent = getpid(), pid;

	fflush(NULL); /* no buffered output printed twice */
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int err;

		/* A benchmark killed midway must not leave spinning children. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		if (cpu >= 0) {
			err = bench_pin(cpu);
			if (err < 0) {
				fprintf(stderr, "child: cannot pin to CPU %d: %s\n", cpu,
					strerror(-err));
				_exit(1);
			}
		}
		_exit(fn(arg) == 0 ? 0 : 1);
	}
	*ret_child = (struct bench_child){ .pid = pid };
	return 0;
}

int bench_child_alive(struct bench_child *c)
{
	if (c->reaped)
		return 0;
	switch (waitpid(c->pid, &c->status, WNOHANG)) {
	case 0:
		return 1;
	case -1:
		if (errno == EINTR)
			return 1;
		/* not our child any more (reaped elsewhere): it is gone */
		break;
	default:
		break;
	}
	c->reaped = 1;
	return 0;
}

int bench_child_stop(struct bench_child *c, const char *what)
{
	int by_us = 0;

	if (!c->reaped) {
		by_us = kill(c->pid, SIGTERM) == 0;
		while (waitpid(c->pid, &c->status, 0) < 0) {
			if (errno != EINTR) {
				fprintf(stderr, "%s: waitpid: %s\n", what, strerror(errno));
				return -ECHILD;
			}
		}
		c->reaped = 1;
	}
	if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0)
		return 0;
	if (by_us && WIFSIGNALED(c->status) && WTERMSIG(c->status) == SIGTERM)
		return 0;
	if (WIFEXITED(c->status))
		fprintf(stderr, "%s: child %d exited with status %d\n", what, (int)c->pid,
			WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		fprintf(stderr, "%s: child %d was killed by signal %d (%s)\n", what,
			(int)c->pid, WTERMSIG(c->status), strsignal(WTERMSIG(c->status)));
	return -ECHILD;
}

struct bench_daemon {
	const char *exe, *log_path;
	char *const *argv;
};

static int bench_daemon_main(void *arg)
{
	const struct bench_daemon *d = arg;
	int fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	/* Daemons log every attach and detach: keep that out of the table. */
	if (fd >= 0)
		dup2(fd, STDERR_FILENO);
	execv(d->exe, d->argv);
	fprintf(stderr, "exec %s: %s\n", d->exe, strerror(errno));
	return -1;
}

int bench_daemon_start(struct bench_child *ret_child, int cpu, const char *exe,
		       char *const argv[], const char *log_path, const char *ready_path,
		       const char *what)
{
	struct bench_daemon d = { .exe = exe, .log_path = log_path, .argv = argv };
	int err = bench_child_start(ret_child, cpu, bench_daemon_main, &d);

	if (err < 0) {
		fprintf(stderr, "%s: fork: %s\n", what, strerror(-err));
		return err;
	}
	for (int i = 0; access(ready_path, F_OK) < 0; i++) {
		if (i == 500 || !bench_child_alive(ret_child)) {
			fprintf(stderr, "%s: %s did not start (its log: %s)\n", what, exe,
				log_path);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
	return 0;
}

/* Nearest-rank percentile of sorted samples. */
static uint64_t bench_percentile(const uint64_t *sorted, size_t n, unsigned pct)
{
	size_t rank = (n * pct + 99) / 100;

	return sorted[rank ? rank - 1 : 0];
}

int bench_samples_init(struct bench_samples *s, size_t cap)
{
	*s = (struct bench_samples){ 0 };
	if (cap == 0)
		return 0;
	s->ns = malloc(cap * sizeof(*s->ns));
	if (!s->ns)
		return -ENOMEM;
	memset(s->ns, 0, cap * sizeof(*s->ns));
	s->cap = cap;
	return 0;
}

void bench_samples_free(struct bench_samples *s)
{
	free(s->ns);
	*s = (struct bench_samples){ 0 };
}

int bench_run(bench_call_fn fn, void *arg, size_t warmup, size_t n, struct bench_samples *s)
{
	uint64_t *out, t_begin, prev;
	int err = 0;

	if (n > s->cap - s->n)
		return -ENOSPC;
	for (size_t i = 0; i < warmup; i++) {
		err = fn(arg);
		if (err < 0)
			return err;
	}
	out = s->ns + s->n;
	/* One clock reading per call: each call's end is the next one's start,
	 * so calls/s is not diluted by a second reading per call. */
	prev = t_begin = bench_now_ns();
	for (size_t i = 0; i < n; i++) {
		uint64_t now;

		err = fn(arg);
		now = bench_now_ns();
		out[i] = now - prev;
		prev = now;
		if (err < 0)
			break;
	}
	s->wall_ns += prev - t_begin;
	if (err < 0)
		return err;
	s->n += n;
	return 0;
}

void bench_samples_stats(struct bench_samples *s, struct bench_stats *ret_stats)
{
	uint64_t sum = 0;
	size_t n = s->n;

	if (n == 0) {
		*ret_stats = (struct bench_stats){ 0 };
		return;
	}
	for (size_t i = 0; i < n; i++)
		sum += s->ns[i];
	qsort(s->ns, n, sizeof(*s->ns), bench_cmp_u64);
	*ret_stats = (struct bench_stats){
		.n = n,
		.p50_us = (double)bench_percentile(s->ns, n, 50) / 1000.0,
		.p99_us = (double)bench_percentile(s->ns, n, 99) / 1000.0,
		.mean_us = (double)sum / (double)n / 1000.0,
		.calls_per_s = s->wall_ns ? (double)n * 1e9 / (double)s->wall_ns : 0.0,
	};
}

void bench_table_header(FILE *f)
{
	fprintf(f, "%-34s %8s %9s %9s %9s %11s\n", "case", "calls", "p50 us", "p99 us",
		"mean us", "calls/s");
	fprintf(f, "%-34s %8s %9s %9s %9s %11s\n", "----------------------------------",
		"--------", "---------", "---------", "---------", "-----------");
}

void bench_table_row(FILE *f, const char *name, const struct bench_stats *s, const char *note)
{
	if (!s) {
		fprintf(f, "%-34s %8s %9s %9s %9s %11s%s%s\n", name, "-", "n/a", "n/a", "n/a",
			"n/a", note ? "  " : "", note ? note : "");
		return;
	}
	fprintf(f, "%-34s %8zu %9.2f %9.2f %9.2f %11.0f%s%s\n", name, s->n, s->p50_us,
		s->p99_us, s->mean_us, s->calls_per_s, note ? "  " : "", note ? note : "");
}

void *bench_shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void bench_shared_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}
