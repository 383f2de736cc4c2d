/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"

static char unit_dir_path[PATH_MAX];

static void unit_watchdog(int sig)
{
	static const char msg[] = "\nunit: watchdog: the test hung, giving up\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(124);
}

int unit_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct sigaction sa = { .sa_handler = unit_watchdog };

	(void)state;
	snprintf(unit_dir_path, sizeof(unit_dir_path), "%s/vmrpc-unit-XXXXXX",
		 tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(unit_dir_path))
		return -1;
	if (setenv("VMRPC_RUNTIME_DIR", unit_dir_path, 1) < 0)
		return -1;
	sigaction(SIGALRM, &sa, NULL);
	alarm(UNIT_WATCHDOG_S);
	return 0;
}

int unit_teardown(void **state)
{
	DIR *d;
	struct dirent *e;
	char p[PATH_MAX + 300];

	(void)state;
	alarm(0);
	d = opendir(unit_dir_path);
	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(p, sizeof(p), "%s/%s", unit_dir_path, e->d_name);
			unlink(p);
		}
		closedir(d);
	}
	rmdir(unit_dir_path);
	unsetenv("VMRPC_RUNTIME_DIR");
	return 0;
}

const char *unit_dir(void)
{
	return unit_dir_path;
}

uint64_t unit_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void unit_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void unit_futex_wake(uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void unit_region_create(uint32_t n, uint32_t chan_size, struct vmrpc_region **ret_region,
			int *ret_bell_fd)
{
	struct vmrpc_region_opts o = { .n_channels = n, .chan_size = chan_size };

	assert_int_equal(vmrpc_hostd_region_create(UNIT_REGION, &o, ret_region), 0);
	if (ret_bell_fd)
		assert_int_equal(vmrpc_hostd_doorbell_listen(*ret_region, ret_bell_fd), 0);
}

void unit_chan_arena(struct vmrpc_region *r, uint32_t i, uint64_t *ret_start,
		     uint64_t *ret_end)
{
	const struct vmrpc_region_hdr *h = vmrpc_region_hdr(r);
	uint64_t chan = h->chan_off + (uint64_t)i * h->chan_size;

	*ret_start = chan + VMRPC_ARENA_OFF;
	*ret_end = chan + h->chan_size;
}

int unit_bell_wait(int fd, int timeout_ms, struct vmrpc_doorbell *ret_bell)
{
	uint64_t deadline = unit_now_ns() + (uint64_t)timeout_ms * 1000000u;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = unit_now_ns();
		int err = vmrpc_hostd_doorbell_recv(fd, ret_bell);

		if (err != -EAGAIN)
			return err;
		if (now >= deadline)
			return -ETIMEDOUT;
		poll(&p, 1, (int)((deadline - now) / 1000000u) + 1);
	}
}

/* ---- host thread ---------------------------------------------------- */

struct unit_callee_arg {
	struct vmrpc_callee *callee;
	const struct vmrpc_service *svcs;
	size_t n_svcs;
};

static void *unit_callee_main(void *p)
{
	struct unit_callee_arg *a = p;

	vmrpc_callee_serve(a->callee, a->svcs, a->n_svcs);
	free(a);
	return NULL;
}

static void unit_host_reap(struct unit_host *h, uint32_t i)
{
	struct vmrpc_callee *c;

	pthread_mutex_lock(&h->lock);
	c = h->callees[i];
	h->callees[i] = NULL;
	pthread_mutex_unlock(&h->lock);
	if (c) {
		vmrpc_callee_stop(c);
		pthread_join(h->callee_threads[i], NULL);
		vmrpc_callee_close(c);
	}
}

static void unit_host_serve(struct unit_host *h, const struct vmrpc_doorbell *b)
{
	uint32_t i = b->msg.chan_index;
	struct unit_callee_arg *a;
	struct vmrpc_callee *c;

	unit_host_reap(h, i); /* a callee left from an earlier attach of i */
	if (vmrpc_hostd_chan_attach(h->region, i, getpid()) < 0)
		return;
	if (vmrpc_callee_open(h->region, i, &c) < 0)
		return;
	if (h->callee_spin_ns != UINT32_MAX)
		vmrpc_callee_set_spin(c, h->callee_spin_ns);
	a = calloc(1, sizeof(*a));
	if (!a) {
		vmrpc_callee_close(c);
		return;
	}
	a->callee = c;
	a->svcs = h->svcs;
	a->n_svcs = h->n_svcs;
	pthread_mutex_lock(&h->lock);
	if (pthread_create(&h->callee_threads[i], NULL, unit_callee_main, a) == 0) {
		h->callees[i] = c;
	} else {
		free(a);
		vmrpc_callee_close(c);
	}
	pthread_mutex_unlock(&h->lock);
}


static void *unit_host_main(void *p)
{
	struct unit_host *h = p;

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		struct vmrpc_doorbell b;
		struct vmrpc_chan_hdr *c;

		if (unit_bell_wait(h->bell_fd, 20, &b) < 0)
			continue;
		pthread_mutex_lock(&h->lock);
		if (h->n_bells < UNIT_HOST_MAX_BELLS)
			h->bells[h->n_bells++] = b;
		pthread_mutex_unlock(&h->lock);
		c = vmrpc_region_chan(h->region, b.msg.chan_index);
		if (!c)
			continue;
		if (b.msg.op == VMRPC_DOORBELL_DETACH) {
			unit_host_reap(h, b.msg.chan_index);
			vmrpc_hostd_chan_free(h->region, b.msg.chan_index);
			continue;
		}
		if (vmrpc_hostd_claim_check(h->region, &b) < 0)
			continue;
		switch (h->mode) {
		case UNIT_HOST_ATTACH:
			unit_host_serve(h, &b);
			break;
		case UNIT_HOST_REFUSE:
			vmrpc_hostd_chan_refuse(h->region, b.msg.chan_index, h->refuse_err);
			break;
		case UNIT_HOST_IGNORE:
			break;
		}
	}
	return NULL;
}

void unit_host_start(struct unit_host *h)
{
	pthread_mutex_init(&h->lock, NULL);
	__atomic_store_n(&h->stop, 0, __ATOMIC_RELEASE);
	h->n_bells = 0;
	memset(h->callees, 0, sizeof(h->callees));
	assert_int_equal(pthread_create(&h->thread, NULL, unit_host_main, h), 0);
}

void unit_host_stop(struct unit_host *h)
{
	__atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
	pthread_join(h->thread, NULL);
	for (uint32_t i = 0; i < VMRPC_CHAN_MAX; i++)
		unit_host_reap(h, i);
	pthread_mutex_destroy(&h->lock);
}

void unit_host_bell(struct unit_host *h, unsigned i, struct vmrpc_doorbell *ret_bell)
{
	for (int tries = 0; tries < 200; tries++) {
		int have;

		pthread_mutex_lock(&h->lock);
		have = h->n_bells > i;
		if (have)
			*ret_bell = h->bells[i];
		pthread_mutex_unlock(&h->lock);
		if (have)
			return;
		unit_sleep_ms(10);
	}
	fail_msg("doorbell %u never arrived", i);
}

/* ---- forked callee ---------------------------------------------------- */

pid_t unit_fork_callee(struct vmrpc_region *host_region, int bell_fd,
		       const struct vmrpc_service *svcs, size_t n_svcs, uint32_t spin_ns)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct vmrpc_doorbell b;
		struct vmrpc_callee *c;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(0);
		if (getppid() == 1)
			_exit(2);
		if (unit_bell_wait(bell_fd, 10000, &b) < 0 || b.msg.op != VMRPC_DOORBELL_ATTACH)
			_exit(3);
		if (vmrpc_hostd_chan_attach(host_region, b.msg.chan_index, getpid()) < 0 ||
		    vmrpc_callee_open(host_region, b.msg.chan_index, &c) < 0)
			_exit(4);
		if (spin_ns != UINT32_MAX)
			vmrpc_callee_set_spin(c, spin_ns);
		vmrpc_callee_serve(c, svcs, n_svcs);
		_exit(0);
	}
	return pid;
}

int unit_kill_child(pid_t pid)
{
	int st = 0;

	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static void *unit_later_main(void *p)
{
	struct unit_later *l = p;

	unit_sleep_ms(l->ms);
	l->fn(l->arg);
	return NULL;
}

void unit_later_start(struct unit_later *l, unsigned ms, void (*fn)(void *), void *arg)
{
	l->ms = ms;
	l->fn = fn;
	l->arg = arg;
	assert_int_equal(pthread_create(&l->thread, NULL, unit_later_main, l), 0);
}

void unit_later_join(struct unit_later *l)
{
	pthread_join(l->thread, NULL);
}
