/* SPDX-License-Identifier: MIT */
/* The callee side of each transport: how a callee whose spin ran out sleeps
 * until its caller publishes, and how it wakes a caller that sleeps. The
 * caller side of the same transports is libvmrpc/transport_*.c. */
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "callee.h"
#include "sync.h"
#include "vmrpc/dev.h"

/* Only for kernels without futex_waitv (before 5.16): sleeps end this often
 * to look at the stop flag, which a plain futex sleep cannot also wait on. */
#define CALLEE_STOP_POLL_NS (1000u * 1000 * 1000)
/* Polling: an idle callee looks at req_seq this often at the least; the
 * first looks come sooner. */
#define CALLEE_POLL_FIRST_NS (20u * 1000)
#define CALLEE_POLL_MAX_NS (10u * 1000 * 1000)

/* Loopback: sleep until req_seq moves from seen or the stop word is set:
 * one futex_waitv on both, so an idle callee needs no timer to notice a
 * stop. */
static void loopback_sleep(struct vmrpc_callee *c, uint32_t seen, uint64_t *backoff_ns)
{
	struct futex_waitv w[2] = {
		{ .val = seen, .uaddr = (uintptr_t)&c->hdr->req.req_seq, .flags = FUTEX_32 },
		{ .val = 0, .uaddr = (uintptr_t)&c->stop, .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG },
	};

	if (syscall(SYS_futex_waitv, w, 2, 0, NULL, CLOCK_MONOTONIC) < 0 && errno == ENOSYS)
		sync_futex_wait(&c->hdr->req.req_seq, seen, CALLEE_STOP_POLL_NS);
}

static void loopback_wake_caller(struct vmrpc_callee *c)
{
	sync_futex_wake(&c->hdr->rep.rep_seq);
}

/* ivshmem-doorbell: the guest caller rings the channel's vector after it
 * publishes (when callee_waiting says we sleep), which makes bell_fd
 * readable. Drain it after waking: the caller re-checks req_seq before the
 * next sleep, so a ring that lands between the two is never lost. */
static void doorbell_sleep(struct vmrpc_callee *c, uint32_t seen, uint64_t *backoff_ns)
{
	struct pollfd p[2] = {
		{ .fd = c->bell_fd, .events = POLLIN },
		{ .fd = c->stop_fd, .events = POLLIN },
	};
	uint64_t n;

	if (poll(p, 2, -1) > 0 && (p[0].revents & POLLIN) &&
	    read(c->bell_fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: another reader drained it; the caller re-checks */
	}
}

/* ivshmem-doorbell: a guest caller asleep in vmrpc.ko announced it
 * (caller_waiting): raise its channel's vector in the guest. hostd gave the
 * shadow that vector's eventfd (--guest-bell); without it the caller polls. */
static void doorbell_wake_caller(struct vmrpc_callee *c)
{
	uint64_t one = 1;

	if (c->wake_fd >= 0 && write(c->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the guest has an interrupt pending */
	}
}

/* ivshmem-plain: nothing can wake us; sleep with backoff (20 us doubling to
 * 10 ms) and look again. */
static void poll_sleep(struct vmrpc_callee *c, uint32_t seen, uint64_t *backoff_ns)
{
	uint64_t ns = *backoff_ns ? *backoff_ns : CALLEE_POLL_FIRST_NS;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ns };

	nanosleep(&ts, NULL);
	*backoff_ns = ns * 2 < CALLEE_POLL_MAX_NS ? ns * 2 : CALLEE_POLL_MAX_NS;
}

/* vmrpc-guestd on vmrpc.ko: bell_fd is its agent file of /dev/vmrpcN. It
 * sleeps in the kernel until req_seq moves (the host caller raises the
 * channel's vector after publishing, when callee_waiting says we sleep), a
 * stop kicks it, or a signal. Without interrupts it polls. */
static void dev_sleep(struct vmrpc_callee *c, uint32_t seen, uint64_t *backoff_ns)
{
	struct vmrpc_dev_wait w = {
		.offset = (uint64_t)((uint8_t *)&c->hdr->req.req_seq - c->region->base),
		.expected = seen,
	};

	if (ioctl(c->bell_fd, VMRPC_DEV_WAIT, &w) < 0 && errno != EINTR)
		poll_sleep(c, seen, backoff_ns);
}

static void dev_wake_caller(struct vmrpc_callee *c)
{
	struct vmrpc_dev_ring r = { .vector = VMRPC_IVSHMEM_VEC_CHAN(c->index) };

	ioctl(c->bell_fd, VMRPC_DEV_RING, &r);
}

/* The kick stays until a sleep takes it: a stop between our look at the
 * stop word and the sleep is not lost. */
static void dev_stop(struct vmrpc_callee *c)
{
	uint32_t i = c->index;

	ioctl(c->bell_fd, VMRPC_DEV_KICK, &i);
}

static const struct callee_transport callee_transports[] = {
	[VMRPC_TRANSPORT_LOOPBACK] = { .sleep = loopback_sleep,
				       .wake_caller = loopback_wake_caller },
	/* A guest caller cannot sleep on a host futex: it polls, or sleeps in
	 * vmrpc.ko until its channel's vector is raised. */
	[VMRPC_TRANSPORT_IVSHMEM_DOORBELL] = { .sleep = doorbell_sleep,
					       .wake_caller = doorbell_wake_caller,
					       .needs_bell = true },
	[VMRPC_TRANSPORT_IVSHMEM_PLAIN] = { .sleep = poll_sleep },
	[VMRPC_TRANSPORT_GUEST_DEV] = { .sleep = dev_sleep,
					.wake_caller = dev_wake_caller,
					.stop = dev_stop,
					.needs_bell = true },
};

const struct callee_transport *callee_transport_of(enum vmrpc_transport t)
{
	if ((unsigned)t >= sizeof(callee_transports) / sizeof(callee_transports[0]))
		return NULL;
	return &callee_transports[t];
}

static const char *const transport_names[] = {
	[VMRPC_TRANSPORT_LOOPBACK] = "loopback",
	[VMRPC_TRANSPORT_IVSHMEM_DOORBELL] = "ivshmem-doorbell",
	[VMRPC_TRANSPORT_IVSHMEM_PLAIN] = "ivshmem-plain",
	[VMRPC_TRANSPORT_GUEST_DEV] = "vmrpc-device",
};

const char *vmrpc_transport_name(enum vmrpc_transport t)
{
	return (unsigned)t < sizeof(transport_names) / sizeof(transport_names[0])
		       ? transport_names[t]
		       : "unknown";
}

int vmrpc_transport_parse(const char *name, enum vmrpc_transport *ret_transport)
{
	for (unsigned t = 0; t < sizeof(transport_names) / sizeof(transport_names[0]); t++)
		if (!strcmp(name, transport_names[t])) {
			*ret_transport = (enum vmrpc_transport)t;
			return 0;
		}
	return -EINVAL;
}
