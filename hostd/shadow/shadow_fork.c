/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shadow_fork.h"
#include "shadow_proto.h"
#include "vmrpc_private.h"

#define SHADOW_FORK_TIMEOUT_MS 5000

sigjmp_buf shadow_fork_jmp;
volatile uint32_t shadow_fork_chan;

static struct vmrpc_region *fork_region;
static uint32_t fork_own_chan;
static int fork_bell = -1;
static pid_t fork_hostd;

void shadow_fork_init(struct vmrpc_region *region, uint32_t chan, int doorbell_fd)
{
	fork_region = region;
	fork_own_chan = chan;
	fork_bell = doorbell_fd;
	fork_hostd = getppid();
}

static void fork_sleep_ms(int ms)
{
	struct timespec ts = { .tv_nsec = (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* FORK_READY for chan, with the hostd ends of our new control socket and
 * log pipe: hostd answers on the first, and logs what comes on the second. */
static int fork_ring_ready(uint32_t chan, uint64_t nonce, int ctl_fd, int log_fd)
{
	struct vmrpc_doorbell_msg m = { .op = VMRPC_DOORBELL_FORK_READY, .chan_index = chan,
					.nonce = nonce };
	int fds[2] = { ctl_fd, log_fd };

	return vmrpc_send_fds(fork_bell, &m, sizeof(m), fds, 2, 0);
}

/* hostd's verdict on our offer, on the control socket that is ours now:
 * ADOPT for chan, or the socket closed (refused). */
static int fork_wait_adopted(uint32_t chan)
{
	struct pollfd p = { .fd = SHADOW_FD_CONTROL, .events = POLLIN };
	struct shadow_msg msg;

	if (poll(&p, 1, SHADOW_FORK_TIMEOUT_MS) <= 0)
		return -ETIMEDOUT;
	if (recv(SHADOW_FD_CONTROL, &msg, sizeof(msg), 0) != (ssize_t)sizeof(msg) ||
	    msg.type != SHADOW_MSG_ADOPT || msg.chan != chan)
		return -ESTALE;
	return 0;
}

/* The copy: become hostd's child (our parent, the intermediate, exits at
 * once and hostd is a child subreaper), die with hostd like every shadow,
 * take a control socket and a log of our own in place of the parent's,
 * offer ourselves, and jump back into shadow_main once hostd adopted us.
 * Until then we serve nothing: whatever the region says. */
static void __attribute__((noreturn)) fork_copy(uint32_t child_chan, uint64_t nonce)
{
	int sv[2], lp[2];

	for (int i = 0; getppid() != fork_hostd; i++) {
		if (i == SHADOW_FORK_TIMEOUT_MS)
			_exit(1);
		fork_sleep_ms(1);
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != fork_hostd)
		_exit(1);
	/* A session of its own, as every shadow has: without cgroups it is
	 * what hostd kills the shadow's programs by. */
	if (setsid() < 0)
		_exit(1);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(lp, O_CLOEXEC) < 0 || fcntl(lp[1], F_SETFL, O_NONBLOCK) < 0)
		_exit(1);
	if (fork_ring_ready(child_chan, nonce, sv[0], lp[0]) < 0)
		_exit(1);
	close(sv[0]);
	close(lp[0]);
	/* The parent's socket and log stay the parent's: ours take their
	 * numbers, which are already the shadow's own (shadow_fds). */
	if (dup3(sv[1], SHADOW_FD_CONTROL, O_CLOEXEC) < 0 || dup2(lp[1], 2) < 0)
		_exit(1);
	close(sv[1]);
	close(lp[1]);
	if (fork_wait_adopted(child_chan) < 0)
		_exit(1);
	shadow_fork_chan = child_chan;
	siglongjmp(shadow_fork_jmp, 1);
}

int32_t shadow_fork(uint32_t child_chan, uint64_t nonce)
{
	pid_t mid, copy = -1;
	int p[2], status;
	ssize_t n;

	if (fork_bell < 0)
		return -EOPNOTSUPP;
	/* The geometry hostd gave us, never the header's. */
	if (!vmrpc_region_chan(fork_region, child_chan) || child_chan == fork_own_chan)
		return -EINVAL;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	mid = fork();
	if (mid < 0) {
		int err = -errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (mid == 0) {
		close(p[0]);
		copy = fork();
		if (copy == 0) {
			close(p[1]);
			fork_copy(child_chan, nonce);
		}
		if (copy < 0)
			copy = -errno;
		_exit(write(p[1], &copy, sizeof(copy)) == (ssize_t)sizeof(copy) ? 0 : 1);
	}
	close(p[1]);
	/* A cancel's signal interrupts nothing here: the fork is quick, and
	 * its outcome must be known. */
	do
		n = read(p[0], &copy, sizeof(copy));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(copy))
		copy = -EAGAIN;
	close(p[0]);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	return copy;
}
