/* SPDX-License-Identifier: MIT */
/* The callee side of each transport: how a callee whose spin ran out sleeps
 * until its caller publishes, and how it wakes a caller that sleeps. The
 * caller side of the same transports is libvmrpc/transport_*.c. */
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "callee.h"
#include "sync.h"

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

/* ivshmem-plain: nothing can wake us; sleep with backoff (20 us doubling to
 * 10 ms) and look again. */
static void poll_sleep(struct vmrpc_callee *c, uint32_t seen, uint64_t *backoff_ns)
{
	uint64_t ns = *backoff_ns ? *backoff_ns : CALLEE_POLL_FIRST_NS;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ns };

	nanosleep(&ts, NULL);
	*backoff_ns = ns * 2 < CALLEE_POLL_MAX_NS ? ns * 2 : CALLEE_POLL_MAX_NS;
}

static const struct callee_transport callee_transports[] = {
	[VMRPC_TRANSPORT_LOOPBACK] = { .sleep = loopback_sleep,
				       .wake_caller = loopback_wake_caller },
	/* A guest caller cannot sleep on a host futex: it polls (and, with a
	 * guest MSI-X driver, would be woken through its own vector). */
	[VMRPC_TRANSPORT_IVSHMEM_DOORBELL] = { .sleep = doorbell_sleep, .needs_bell = true },
	[VMRPC_TRANSPORT_IVSHMEM_PLAIN] = { .sleep = poll_sleep },
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
