/* SPDX-License-Identifier: MIT */
/*
 * The null call as one byte each way through the kernel: a pair of pipes,
 * and a unix socketpair. What a call between two processes costs with the
 * most common descriptors, each side sleeping in read().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nullcall.h"

struct nc_fd_ctx {
	bool use_socket;
	int caller_rd, caller_wr; /* the parent's ends; a socket has only rd */
	int callee_rd, callee_wr; /* the child's ends; likewise */
};

static struct nc_fd_ctx nc_pipe_fds = { .use_socket = false };
static struct nc_fd_ctx nc_unix_fds = { .use_socket = true };

static int nc_fd_callee(void *arg)
{
	struct nc_case *k = arg;
	struct nc_fd_ctx *x = k->priv;
	int rd = x->callee_rd, wr = x->callee_wr >= 0 ? x->callee_wr : x->callee_rd;
	char b;

	nc_close_fd(&x->caller_rd);
	nc_close_fd(&x->caller_wr);
	for (;;) {
		ssize_t r = read(rd, &b, 1);

		if (r == 0)
			return 0; /* the caller is done */
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s callee: read: %s\n", k->peer->key, strerror(errno));
			return -errno;
		}
		k->report->served++;
		if (write(wr, &b, 1) != 1) {
			fprintf(stderr, "%s callee: write: %s\n", k->peer->key, strerror(errno));
			return -EIO;
		}
	}
}

static int nc_fd_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_fd_ctx *x = k->priv;
	int wr = x->caller_wr >= 0 ? x->caller_wr : x->caller_rd;
	char b = 'x';
	ssize_t r;

	if (write(wr, &b, 1) != 1) {
		fprintf(stderr, "%s: write: %s\n", k->peer->key, strerror(errno));
		return -EIO;
	}
	do
		r = read(x->caller_rd, &b, 1);
	while (r < 0 && errno == EINTR);
	if (r == 1 && b == 'x')
		return 0;
	fprintf(stderr, "%s: read: %s\n", k->peer->key, r < 0 ? strerror(errno) : "callee hung up");
	return -EPIPE;
}

static int nc_fd_open(struct nc_case *k, struct nc_fd_ctx *x)
{
	int a[2], b[2], err;

	k->priv = x;
	x->caller_rd = x->caller_wr = x->callee_rd = x->callee_wr = -1;
	if (x->use_socket) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) < 0)
			goto fail_errno;
		x->caller_rd = a[0];
		x->callee_rd = a[1];
	} else {
		if (pipe2(a, O_CLOEXEC) < 0)
			goto fail_errno;
		x->callee_rd = a[0]; /* caller -> callee */
		x->caller_wr = a[1];
		if (pipe2(b, O_CLOEXEC) < 0)
			goto fail_errno;
		x->caller_rd = b[0]; /* callee -> caller */
		x->callee_wr = b[1];
	}
	err = bench_child_start(&k->child, k->cfg->callee_cpu, nc_fd_callee, k);
	if (err < 0) {
		fprintf(stderr, "%s: fork: %s\n", k->peer->key, strerror(-err));
		return err;
	}
	/* Only the child keeps its ends: its death is then EOF here. */
	nc_close_fd(&x->callee_rd);
	nc_close_fd(&x->callee_wr);
	return 0;
fail_errno:
	err = -errno;
	fprintf(stderr, "%s: %s: %s\n", k->peer->key, x->use_socket ? "socketpair" : "pipe2",
		strerror(-err));
	return err;
}

static int nc_pipe_open(struct nc_case *k)
{
	return nc_fd_open(k, &nc_pipe_fds);
}

static int nc_unix_open(struct nc_case *k)
{
	return nc_fd_open(k, &nc_unix_fds);
}

static void nc_fd_close(struct nc_case *k)
{
	struct nc_fd_ctx *x = k->priv;

	if (!x)
		return;
	nc_close_fd(&x->caller_rd);
	nc_close_fd(&x->caller_wr);
	nc_close_fd(&x->callee_rd);
	nc_close_fd(&x->callee_wr);
}

const struct nc_peer nc_peer_pipe = {
	.key = "pipe",
	.name = "pipe ping-pong (1 byte)",
	.spinning = false,
	.open = nc_pipe_open,
	.call = nc_fd_call,
	.close = nc_fd_close,
};

const struct nc_peer nc_peer_unix = {
	.key = "unix",
	.name = "unix socketpair ping-pong (1 byte)",
	.spinning = false,
	.open = nc_unix_open,
	.call = nc_fd_call,
	.close = nc_fd_close,
};
