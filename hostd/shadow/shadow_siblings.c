/* SPDX-License-Identifier: MIT */
/*
 * The channels a shadow serves besides its own (siblings, hostd/sibling.c):
 * one thread each, sharing the shadow's host context. A thread of its own
 * reads the control socket (SERVE, DROP) and is the only one that takes
 * hostd's cancel signal, which it passes on to the threads whose call was
 * abandoned: a process-directed signal would otherwise interrupt whichever
 * thread the kernel picked, and with it somebody else's call.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shadow_fds.h"
#include "shadow_proto.h"
#include "shadow_siblings.h"
#include "vmrpc_private.h"

/* Slot 0 is the shadow's own channel, served by the main thread. */
#define SERVED_MAX (1 + SHADOW_SIBLINGS_MAX)

struct served {
	bool used;                  /* read by the signal handler: atomic */
	pid_t tid;                  /* the thread serving it; atomic */
	struct vmrpc_chan_hdr *hdr; /* its words, for the cancel check */
	uint32_t chan;
	struct vmrpc_callee *callee;
	pthread_t thread;
	int bell_fd; /* ivshmem-doorbell: its eventfd, ours to close; else -1 */
	int guest_bell_fd; /* ivshmem-doorbell: raises its guest caller's vector,
			    * ours to close; else -1 */
};

static struct served served[SERVED_MAX];
static struct vmrpc_region *sib_region;
static enum vmrpc_transport sib_transport;
static const struct services *sib_services;
static __thread bool serving_own;

bool shadow_serving_own_channel(void)
{
	return serving_own;
}

static pid_t sib_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* hostd's cancel (SHADOW_SIGNAL_CANCEL), in the control thread: interrupt
 * the call of every channel whose caller abandoned it. Async-signal-safe:
 * atomic loads and tgkill. */
static void sib_on_cancel(int sig)
{
	int saved = errno;

	(void)sig;
	for (int i = 0; i < SERVED_MAX; i++) {
		struct served *sv = &served[i];
		pid_t tid;

		if (!__atomic_load_n(&sv->used, __ATOMIC_ACQUIRE))
			continue;
		tid = __atomic_load_n(&sv->tid, __ATOMIC_ACQUIRE);
		if (tid > 0 && __atomic_load_n(&sv->hdr->req.cancel_seq, __ATOMIC_ACQUIRE) ==
				       __atomic_load_n(&sv->hdr->req.req_seq, __ATOMIC_ACQUIRE))
			syscall(SYS_tgkill, getpid(), tid, SHADOW_SIGNAL_CALL);
	}
	errno = saved;
}

static void sib_on_call_signal(int sig)
{
	(void)sig; /* only to interrupt the system call under way: -EINTR */
}

static int sib_reply(uint32_t type, uint32_t chan)
{
	struct shadow_msg m = { .type = type, .chan = chan };

	return send(SHADOW_FD_CONTROL, &m, sizeof(m), MSG_NOSIGNAL) == (ssize_t)sizeof(m) ? 0
											   : -errno;
}

static void *sib_serve_main(void *arg)
{
	struct served *sv = arg;

	__atomic_store_n(&sv->tid, sib_gettid(), __ATOMIC_RELEASE);
	vmrpc_callee_serve(sv->callee, sib_services->svc, sib_services->n);
	return NULL;
}

static struct served *sib_find(uint32_t chan)
{
	for (int i = 1; i < SERVED_MAX; i++)
		if (served[i].used && served[i].chan == chan)
			return &served[i];
	return NULL;
}

/* SERVE chan: a callee and a thread for it; READY once it runs. */
static int sib_serve(uint32_t chan, int bell_fd, int guest_bell_fd)
{
	struct served *sv = NULL;
	sigset_t cancel, old;
	int err;

	for (int i = 1; i < SERVED_MAX && !sv; i++)
		if (!served[i].used)
			sv = &served[i];
	if (!sv || sib_find(chan))
		return -EBUSY;
	*sv = (struct served){ .chan = chan, .bell_fd = bell_fd, .guest_bell_fd = guest_bell_fd,
			       .hdr = vmrpc_region_chan(sib_region, chan) };
	if (!sv->hdr)
		return -EINVAL;
	err = vmrpc_callee_open(sib_region, chan, &sv->callee);
	if (err < 0)
		return err;
	err = vmrpc_callee_set_transport(sv->callee, sib_transport, bell_fd);
	if (err == 0 && guest_bell_fd >= 0)
		err = vmrpc_callee_set_guest_bell(sv->callee, guest_bell_fd);
	if (err < 0)
		goto fail;
	/* The thread starts with the cancel signal blocked, as the main one. */
	sigemptyset(&cancel);
	sigaddset(&cancel, SHADOW_SIGNAL_CANCEL);
	pthread_sigmask(SIG_BLOCK, &cancel, &old);
	err = -pthread_create(&sv->thread, NULL, sib_serve_main, sv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err < 0)
		goto fail;
	while (!__atomic_load_n(&sv->tid, __ATOMIC_ACQUIRE))
		sched_yield();
	__atomic_store_n(&sv->used, true, __ATOMIC_RELEASE);
	return 0;
fail:
	vmrpc_callee_close(sv->callee);
	return err;
}

static void sib_close_fd(int fd)
{
	if (fd >= 0) {
		close(fd);
		shadow_fd_release(fd);
	}
}

/* DROP chan: stop its callee, interrupting a call it may be blocked in
 * (its caller is gone), and wait for the thread. */
static void sib_drop(struct served *sv)
{
	struct timespec ts;

	vmrpc_callee_stop(sv->callee);
	for (;;) {
		syscall(SYS_tgkill, getpid(), sv->tid, SHADOW_SIGNAL_CALL);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(sv->thread, NULL, &ts) == 0)
			break;
	}
	__atomic_store_n(&sv->used, false, __ATOMIC_RELEASE);
	vmrpc_callee_close(sv->callee);
	sib_close_fd(sv->bell_fd);
	sib_close_fd(sv->guest_bell_fd);
}

/* One message from hostd, with at most two descriptors (sibling_tell's
 * bell and guest bell, -1 when absent): 0, or -1 when the socket is closed
 * (hostd is gone; the shadow goes with it anyway). */
static int sib_recv(struct shadow_msg *m, int ret_fds[2])
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	ret_fds[0] = ret_fds[1] = -1;
	/* The socket is non-blocking (hostd made the pair so): wait for it. */
	for (;;) {
		struct pollfd p = { .fd = SHADOW_FD_CONTROL, .events = POLLIN };

		n = recvmsg(SHADOW_FD_CONTROL, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n >= 0 || (errno != EINTR && errno != EAGAIN))
			break;
		if (errno == EAGAIN && poll(&p, 1, -1) < 0 && errno != EINTR)
			return -1;
	}
	if (n <= 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    (c->cmsg_len == CMSG_LEN(sizeof(int)) ||
		     c->cmsg_len == CMSG_LEN(2 * sizeof(int)))) {
			memcpy(ret_fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0));
			shadow_fd_reserve(ret_fds[0]);
			if (ret_fds[1] >= 0)
				shadow_fd_reserve(ret_fds[1]);
		}
	return n == (ssize_t)sizeof(*m) ? 0 : -EPROTO;
}

static void *sib_control_main(void *arg)
{
	sigset_t cancel;

	(void)arg;
	sigemptyset(&cancel);
	sigaddset(&cancel, SHADOW_SIGNAL_CANCEL);
	pthread_sigmask(SIG_UNBLOCK, &cancel, NULL);
	for (;;) {
		struct shadow_msg m;
		struct served *sv;
		int fds[2], err = sib_recv(&m, fds);

		if (err == -1)
			return NULL;
		if (err == 0 && m.type == SHADOW_MSG_SERVE) {
			err = sib_serve(m.chan, fds[0], fds[1]);
			if (err == 0) {
				sib_reply(SHADOW_MSG_READY, m.chan);
				continue;
			}
			/* hostd kills a shadow that does not answer */
			fprintf(stderr, "vmrpc-shadow: cannot serve channel %u too: %s\n", m.chan,
				vmrpc_strerror(err));
		} else if (err == 0 && m.type == SHADOW_MSG_DROP && (sv = sib_find(m.chan))) {
			sib_drop(sv);
			sib_reply(SHADOW_MSG_DROPPED, m.chan);
			continue;
		}
		sib_close_fd(fds[0]);
		sib_close_fd(fds[1]);
	}
}

int shadow_siblings_start(struct vmrpc_region *region, enum vmrpc_transport transport,
			  const struct services *services, uint32_t own_chan)
{
	struct sigaction sa = { 0 };
	sigset_t block;
	pthread_t t;
	int err;

	/* A forked copy starts anew: its parent's siblings are not its own. */
	memset(served, 0, sizeof(served));
	sib_region = region;
	sib_transport = transport;
	sib_services = services;
	serving_own = true;
	served[0] = (struct served){ .chan = own_chan, .tid = sib_gettid(),
				     .hdr = vmrpc_region_chan(region, own_chan), .bell_fd = -1 };
	__atomic_store_n(&served[0].used, true, __ATOMIC_RELEASE);
	/* No SA_RESTART: a cancel must end a blocked system call. */
	sa.sa_handler = sib_on_call_signal;
	sigaction(SHADOW_SIGNAL_CALL, &sa, NULL);
	sa.sa_handler = sib_on_cancel;
	sigfillset(&sa.sa_mask);
	sigaction(SHADOW_SIGNAL_CANCEL, &sa, NULL);
	/* Only the control thread takes hostd's signal. */
	sigemptyset(&block);
	sigaddset(&block, SHADOW_SIGNAL_CANCEL);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	err = -pthread_create(&t, NULL, sib_control_main, NULL);
	if (err < 0)
		return err;
	pthread_detach(t);
	return 0;
}
