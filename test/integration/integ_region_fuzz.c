/* SPDX-License-Identifier: MIT */
/*
 * Region-level fuzzing of the real hostd while legitimate callers run and
 * check every answer. A hostile process, the test itself, maps the region
 * like any caller and, in random order:
 *   - writes random values into words of the region header (geometry,
 *     registries, boot id, bells),
 *   - writes random values into the control, request and reply lines and
 *     the args block of every channel but the legitimate callers' (free
 *     ones, its own, the ones in transition),
 *   - rings random doorbells: every op and unknown ones, channels in and
 *     out of range, random and real nonces, FORK_READY with no, one, two or
 *     three descriptors,
 *   - asks its own shadow to fork for random channels with random or
 *     stolen nonces, and attaches and detaches more channels of its own.
 * hostd must keep serving, each legitimate caller must get every answer
 * from its own shadow, and nothing may be left behind when hostd stops.
 * VMRPC_FUZZ_SECONDS (default 4) bounds the run; the seed is printed, and
 * VMRPC_FUZZ_SEED replays one.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "hostcalls_caller.h"
#include "hostproc_caller.h"

#define N_CHANNELS 8
#define N_CHECKERS 2
#define EXTRA_MAX 3

/* One per thread: the writer's sequence is reproducible from the seed; the
 * caller thread's interleaving with it is not. */
static __thread uint64_t fuzz_state;

static uint64_t fuzz_next(void)
{
	/* xorshift64* */
	fuzz_state ^= fuzz_state >> 12;
	fuzz_state ^= fuzz_state << 25;
	fuzz_state ^= fuzz_state >> 27;
	return fuzz_state * 0x2545f4914f6cdd1dull;
}

static uint32_t fuzz_below(uint32_t n)
{
	return (uint32_t)(fuzz_next() % n);
}

/* A value a hostile writer would pick: small, a state, a pid, all ones. */
static uint32_t fuzz_value(void)
{
	switch (fuzz_below(6)) {
	case 0:
		return 0;
	case 1:
		return fuzz_below(10);
	case 2:
		return (uint32_t)getpid();
	case 3:
		return UINT32_MAX;
	case 4:
		return 1u << fuzz_below(32);
	default:
		return (uint32_t)fuzz_next();
	}
}

struct fuzz {
	struct vmrpc_region *r;
	uint32_t protected_chan[N_CHECKERS];
	int bell;
	struct sockaddr_un bell_addr;
	struct vmrpc_chan *own;
	struct vmrpc_binding calls, proc;
	struct vmrpc_chan *extra[EXTRA_MAX];
	int spare[3]; /* descriptors to send with doorbells */
	uint64_t counts[5];
	uint64_t seed;
	int stop;
};

static int fuzz_protected(const struct fuzz *f, uint32_t i)
{
	for (int k = 0; k < N_CHECKERS; k++)
		if (f->protected_chan[k] == i)
			return 1;
	return 0;
}

static void fuzz_header(struct fuzz *f)
{
	uint32_t *w = (uint32_t *)vmrpc_region_hdr(f->r);

	__atomic_store_n(&w[fuzz_below(VMRPC_HDR_SIZE / 4)], fuzz_value(), __ATOMIC_RELAXED);
	f->counts[0]++;
}

static void fuzz_channel(struct fuzz *f)
{
	uint32_t i = fuzz_below(N_CHANNELS), *w;

	if (fuzz_protected(f, i))
		return;
	/* control, request and reply lines, and the args block */
	w = (uint32_t *)vmrpc_region_chan(f->r, i);
	__atomic_store_n(&w[fuzz_below(VMRPC_ARENA_OFF / 4)], fuzz_value(), __ATOMIC_RELAXED);
	f->counts[1]++;
}

static void fuzz_doorbell(struct fuzz *f)
{
	struct vmrpc_doorbell_msg m = {
		.op = fuzz_below(11),
		.chan_index = fuzz_below(4) ? fuzz_below(N_CHANNELS) : fuzz_value(),
	};
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = {
		.msg_name = &f->bell_addr, .msg_namelen = sizeof(f->bell_addr),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	uint32_t n_fds = fuzz_below(4);

	/* a real nonce of some channel half of the time */
	m.nonce = fuzz_below(2) && m.chan_index < N_CHANNELS
			  ? __atomic_load_n(&vmrpc_region_chan(f->r, m.chan_index)->ctl.attach_nonce,
					    __ATOMIC_RELAXED)
			  : fuzz_next();
	if (n_fds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		CMSG_FIRSTHDR(&mh)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&mh)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&mh)->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&mh)), f->spare, n_fds * sizeof(int));
	}
	/* hostd's queue may be full: that is its defence, not a failure */
	sendmsg(f->bell, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	f->counts[2]++;
}

/* Its own channels, on its own mapping (a new one would read the header it
 * scribbles): forks of its shadow for random channels, more channels. The
 * bindings keep the registry slots of the first bind. */
static void fuzz_calls(struct fuzz *f)
{
	uint32_t i = fuzz_below(N_CHANNELS), k = fuzz_below(EXTRA_MAX);

	if (!f->own && vmrpc_chan_open(f->r, 200, &f->own) < 0)
		return;
	f->calls.chan = f->proc.chan = f->own;
	switch (fuzz_below(3)) {
	case 0:
		/* a copy hostd refuses is killed: nothing to wait for */
		(void)hostproc_fork_shadow(&f->proc, i,
					   fuzz_below(2)
						   ? fuzz_next()
						   : vmrpc_region_chan(f->r, i)->ctl.attach_nonce);
		break;
	case 1:
		if (f->extra[k]) {
			vmrpc_chan_close(f->extra[k]);
			f->extra[k] = NULL;
		} else if (vmrpc_chan_open(f->r, 200, &f->extra[k]) < 0) {
			f->extra[k] = NULL;
		}
		break;
	default:
		/* our own channel may have been scribbled by ourselves */
		if (hostcalls_identity(&f->calls, NULL, NULL, NULL) < 0) {
			vmrpc_chan_close(f->own);
			f->own = NULL;
		}
		break;
	}
	f->counts[3]++;
}

/* The host calls run beside the writes, in a thread of their own. */
static void *fuzz_caller_main(void *arg)
{
	struct fuzz *f = arg;

	fuzz_state = f->seed ^ 0x5851f42d4c957f2dull;
	while (!__atomic_load_n(&f->stop, __ATOMIC_RELAXED))
		fuzz_calls(f);
	return NULL;
}

static void test_region_fuzz(void **state)
{
	struct itest_hostd h;
	struct itest_checker k[N_CHECKERS];
	struct fuzz f = { .bell = -1 };
	const char *env = getenv("VMRPC_FUZZ_SECONDS"), *seed_env = getenv("VMRPC_FUZZ_SEED");
	uint64_t seed, end;
	pthread_t caller;
	int sv[2];

	(void)state;
	seed = seed_env && *seed_env ? strtoull(seed_env, NULL, 0) : itest_rand() | 1;
	fuzz_state = f.seed = seed;
	print_message("region fuzz: seed 0x%llx (VMRPC_FUZZ_SEED replays it)\n",
		      (unsigned long long)seed);
	itest_hostd_start(&h, "--channels", "8", "--channel-size", "64K", (char *)NULL);
	for (int i = 0; i < N_CHECKERS; i++) {
		itest_checker_start(&k[i]);
		f.protected_chan[i] = k[i].chan;
	}
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &f.r), 0);
	itest_assert_err(vmrpc_chan_open(f.r, 0, &f.own), 0);
	itest_assert_err(hostcalls_bind(f.own, &f.calls), 0);
	itest_assert_err(hostproc_bind(f.own, &f.proc), 0);
	f.bell = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(f.bell >= 0);
	f.bell_addr.sun_family = AF_UNIX;
	assert_int_equal(vmrpc_region_path(ITEST_REGION, ".sock", f.bell_addr.sun_path,
					   sizeof(f.bell_addr.sun_path)),
			 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	f.spare[0] = sv[0];
	f.spare[1] = sv[1];
	f.spare[2] = open("/dev/null", O_RDWR | O_CLOEXEC);

	assert_int_equal(pthread_create(&caller, NULL, fuzz_caller_main, &f), 0);
	end = itest_now_ms() + 1000 * (env && *env ? strtoull(env, NULL, 10) : 4);
	while (itest_now_ms() < end) {
		switch (fuzz_below(16)) {
		case 0 ... 4:
			fuzz_header(&f);
			break;
		case 5 ... 10:
			fuzz_channel(&f);
			break;
		default:
			fuzz_doorbell(&f);
			break;
		}
		if (f.counts[2] % 64 == 63)
			usleep(200); /* let hostd's queue drain now and then */
	}
	__atomic_store_n(&f.stop, 1, __ATOMIC_RELAXED);
	pthread_join(caller, NULL);
	print_message("region fuzz: %llu header words, %llu channel words, %llu doorbells, "
		      "%llu host calls\n",
		      (unsigned long long)f.counts[0], (unsigned long long)f.counts[1],
		      (unsigned long long)f.counts[2], (unsigned long long)f.counts[3]);

	/* hostd serves on, and the legitimate callers saw nothing */
	assert_true(itest_hostd_alive(&h));
	for (int i = 0; i < N_CHECKERS; i++)
		itest_checker_stop(&k[i]);
	assert_int_equal(itest_log_count(&h, "shadow pid", "exited with signal", (char *)NULL),
			 0);
	for (int i = 0; i < EXTRA_MAX; i++)
		vmrpc_chan_close(f.extra[i]);
	vmrpc_chan_close(f.own);
	vmrpc_region_close(f.r);
	for (int i = 0; i < 3; i++)
		close(f.spare[i]);
	close(f.bell);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_region_fuzz, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_region_fuzz", tests, NULL, NULL);
}
