/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "standin.h"

static uint64_t standin_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- runtime directory and region ------------------------------------- */

int standin_runtime_dir_create(char *dir_template)
{
	int err;

	if (!mkdtemp(dir_template))
		return -errno;
	if (setenv("VMRPC_RUNTIME_DIR", dir_template, 1) < 0) {
		err = -errno;
		rmdir(dir_template);
		return err;
	}
	return 0;
}

void standin_runtime_dir_remove(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	d = opendir(dir);
	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
			    (int)sizeof(path))
				unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	unsetenv("VMRPC_RUNTIME_DIR");
}

int standin_region_create(const char *name, const struct vmrpc_region_opts *opts,
			  struct vmrpc_region **ret_region, int *ret_bell_fd)
{
	struct vmrpc_region *r;
	int err, fd = -1;

	err = vmrpc_hostd_region_create(name, opts, &r);
	if (err < 0)
		return err;
	if (ret_bell_fd) {
		err = vmrpc_hostd_doorbell_listen(r, &fd);
		if (err < 0) {
			vmrpc_region_close(r);
			return err;
		}
		*ret_bell_fd = fd;
	}
	*ret_region = r;
	return 0;
}

int standin_bell_wait(int bell_fd, int timeout_ms, struct vmrpc_doorbell *ret_bell)
{
	uint64_t deadline = standin_now_ns() + (uint64_t)timeout_ms * 1000000u;

	for (;;) {
		struct pollfd p = { .fd = bell_fd, .events = POLLIN };
		/* read before the receive: a timeout of 0 still takes a queued one */
		uint64_t now = standin_now_ns();
		int err = vmrpc_hostd_doorbell_recv(bell_fd, ret_bell);

		if (err != -EAGAIN)
			return err;
		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)((deadline - now) / 1000000u) + 1) < 0 && errno != EINTR)
			return -errno;
	}
}

/* ---- attaching a channel ------------------------------------------------ */

int standin_chan_attach(struct vmrpc_region *region, uint32_t i, pid_t callee_pid,
			uint32_t spin_ns, struct vmrpc_callee **ret_callee)
{
	struct vmrpc_callee *c;
	int err;

	err = vmrpc_hostd_chan_attach(region, i, callee_pid);
	if (err < 0)
		return err;
	err = vmrpc_callee_open(region, i, &c);
	if (err < 0)
		return err;
	if (spin_ns != STANDIN_SPIN_DEFAULT)
		vmrpc_callee_set_spin(c, spin_ns);
	*ret_callee = c;
	return 0;
}

int standin_chan_accept(struct vmrpc_region *region, int bell_fd, int timeout_ms,
			uint32_t spin_ns, struct vmrpc_callee **ret_callee)
{
	uint64_t deadline = standin_now_ns() + (uint64_t)timeout_ms * 1000000u;
	struct vmrpc_doorbell b;
	int err;

	do {
		uint64_t now = standin_now_ns();

		err = standin_bell_wait(bell_fd,
					now < deadline ? (int)((deadline - now) / 1000000u) : 0, &b);
		if (err < 0)
			return err;
	} while (b.msg.op != VMRPC_DOORBELL_ATTACH);
	/* The check hostd makes before it attaches. */
	err = vmrpc_hostd_claim_check(region, &b);
	if (err < 0)
		return err;
	return standin_chan_attach(region, b.msg.chan_index, getpid(), spin_ns, ret_callee);
}

int standin_callee_fork(struct vmrpc_region *region, int bell_fd,
			const struct vmrpc_service *svcs, size_t n_svcs, uint32_t spin_ns,
			pid_t *ret_pid)
{
	pid_t parent = getpid(), pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct vmrpc_callee *c;

		/* A test killed midway must not leave a callee behind. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(2);
		if (standin_chan_accept(region, bell_fd, 10000, spin_ns, &c) < 0)
			_exit(3);
		vmrpc_callee_serve(c, svcs, n_svcs);
		_exit(0);
	}
	*ret_pid = pid;
	return 0;
}

/* ---- a host side in a thread of this process ---------------------------- */

struct standin_callee_arg {
	struct vmrpc_callee *callee;
	const struct vmrpc_service *svcs;
	size_t n_svcs;
};

static void *standin_callee_main(void *p)
{
	struct standin_callee_arg *a = p;

	vmrpc_callee_serve(a->callee, a->svcs, a->n_svcs);
	free(a);
	return NULL;
}

/* Stop and close channel i's callee, if it has one. */
static void standin_host_reap(struct standin_host *h, uint32_t i)
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

static void standin_host_serve(struct standin_host *h, const struct vmrpc_doorbell *b)
{
	uint32_t i = b->msg.chan_index;
	struct standin_callee_arg *a;
	struct vmrpc_callee *c;

	standin_host_reap(h, i); /* a callee left from an earlier attach of i */
	if (standin_chan_attach(h->region, i, getpid(), h->callee_spin_ns, &c) < 0)
		return;
	a = calloc(1, sizeof(*a));
	if (!a) {
		vmrpc_callee_close(c);
		return;
	}
	a->callee = c;
	a->svcs = h->svcs;
	a->n_svcs = h->n_svcs;
	pthread_mutex_lock(&h->lock);
	if (pthread_create(&h->callee_threads[i], NULL, standin_callee_main, a) == 0) {
		h->callees[i] = c;
	} else {
		free(a);
		vmrpc_callee_close(c);
	}
	pthread_mutex_unlock(&h->lock);
}

static void *standin_host_main(void *p)
{
	struct standin_host *h = p;

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE)) {
		struct vmrpc_doorbell b;

		/* a short wait, so a stop is seen within 20 ms */
		if (standin_bell_wait(h->bell_fd, 20, &b) < 0)
			continue;
		pthread_mutex_lock(&h->lock);
		if (h->n_bells < STANDIN_HOST_MAX_BELLS)
			h->bells[h->n_bells++] = b;
		pthread_mutex_unlock(&h->lock);
		if (!vmrpc_region_chan(h->region, b.msg.chan_index))
			continue;
		if (b.msg.op == VMRPC_DOORBELL_DETACH) {
			standin_host_reap(h, b.msg.chan_index);
			vmrpc_hostd_chan_free(h->region, b.msg.chan_index);
			continue;
		}
		if (vmrpc_hostd_claim_check(h->region, &b) < 0)
			continue;
		switch (h->mode) {
		case STANDIN_HOST_ATTACH:
			standin_host_serve(h, &b);
			break;
		case STANDIN_HOST_REFUSE:
			vmrpc_hostd_chan_refuse(h->region, b.msg.chan_index, h->refuse_err);
			break;
		case STANDIN_HOST_IGNORE:
			break;
		}
	}
	return NULL;
}

int standin_host_start(struct standin_host *h)
{
	int err;

	pthread_mutex_init(&h->lock, NULL);
	__atomic_store_n(&h->stop, 0, __ATOMIC_RELEASE);
	h->n_bells = 0;
	memset(h->callees, 0, sizeof(h->callees));
	err = pthread_create(&h->thread, NULL, standin_host_main, h);
	if (err) {
		pthread_mutex_destroy(&h->lock);
		return -err;
	}
	return 0;
}

void standin_host_stop(struct standin_host *h)
{
	__atomic_store_n(&h->stop, 1, __ATOMIC_RELEASE);
	pthread_join(h->thread, NULL);
	for (uint32_t i = 0; i < VMRPC_CHAN_MAX; i++)
		standin_host_reap(h, i);
	pthread_mutex_destroy(&h->lock);
}

int standin_host_bell(struct standin_host *h, unsigned i, int timeout_ms,
		      struct vmrpc_doorbell *ret_bell)
{
	uint64_t deadline = standin_now_ns() + (uint64_t)timeout_ms * 1000000u;

	for (;;) {
		struct timespec ts = { .tv_nsec = 10 * 1000000 };
		bool have;

		pthread_mutex_lock(&h->lock);
		have = h->n_bells > i;
		if (have)
			*ret_bell = h->bells[i];
		pthread_mutex_unlock(&h->lock);
		if (have)
			return 0;
		if (standin_now_ns() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&ts, NULL);
	}
}
