/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shadow_fork.h"

#define SHADOW_FORK_TIMEOUT_MS 5000

sigjmp_buf shadow_fork_jmp;
volatile uint32_t shadow_fork_chan;

static struct vmrpc_region *fork_region;
static uint32_t fork_own_chan;
static const char *fork_doorbell;
static pid_t fork_hostd;
static uint64_t fork_nonce;

void shadow_fork_init(struct vmrpc_region *region, uint32_t chan, const char *doorbell)
{
	fork_region = region;
	fork_own_chan = chan;
	fork_doorbell = doorbell;
	fork_hostd = getppid();
}

static void fork_sleep_ms(int ms)
{
	struct timespec ts = { .tv_nsec = (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

static int fork_ring_ready(uint32_t chan, uint64_t nonce)
{
	struct vmrpc_doorbell_msg m = { .op = VMRPC_DOORBELL_FORK_READY, .chan_index = chan,
					.nonce = nonce };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, err = 0;

	if (strlen(fork_doorbell) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	strcpy(a.sun_path, fork_doorbell);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &m, sizeof(m), MSG_NOSIGNAL, (struct sockaddr *)&a, sizeof(a)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* The copy: become hostd's child (our parent, the intermediate, exits at
 * once and hostd is a child subreaper), die with hostd like every shadow,
 * offer ourselves, and jump back into shadow_main. */
static void __attribute__((noreturn)) fork_copy(uint32_t child_chan, uint64_t nonce)
{
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
	if (fork_ring_ready(child_chan, nonce) < 0)
		_exit(1);
	shadow_fork_chan = child_chan;
	fork_nonce = nonce;
	siglongjmp(shadow_fork_jmp, 1);
}

int32_t shadow_fork(uint32_t child_chan, uint64_t nonce)
{
	pid_t mid, copy = -1;
	int p[2], status;

	if (!fork_doorbell)
		return -EOPNOTSUPP;
	if (child_chan >= vmrpc_region_hdr(fork_region)->n_channels ||
	    child_chan == fork_own_chan)
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
	if (read(p[0], &copy, sizeof(copy)) != (ssize_t)sizeof(copy))
		copy = -EAGAIN;
	close(p[0]);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	return copy;
}

int shadow_fork_wait_adopted(void)
{
	struct vmrpc_chan_hdr *h = vmrpc_region_chan(fork_region, shadow_fork_chan);

	if (!h)
		return -EINVAL;
	for (int i = 0; i < SHADOW_FORK_TIMEOUT_MS; i++) {
		uint32_t st = __atomic_load_n(&h->ctl.state, __ATOMIC_ACQUIRE);
		uint32_t pid = __atomic_load_n(&h->ctl.callee_pid, __ATOMIC_RELAXED);

		if (st == VMRPC_CHAN_ATTACHED && pid == (uint32_t)getpid())
			return __atomic_load_n(&h->ctl.attach_nonce, __ATOMIC_RELAXED) ==
					       fork_nonce
				       ? 0
				       : -ESTALE;
		if (st != VMRPC_CHAN_CLAIMED && st != VMRPC_CHAN_ATTACHED)
			return -ESTALE;
		fork_sleep_ms(1);
	}
	return -ETIMEDOUT;
}
