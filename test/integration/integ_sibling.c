/* SPDX-License-Identifier: MIT */
/*
 * Siblings (vmrpc_chan_open_sibling): more channels of one caller served by
 * its one shadow, in parallel, against the real hostd and shadow.
 *
 *   shares_context  a sibling is served by the same shadow: same pid, same
 *                   working directory, the same descriptors
 *   parallel        a call blocked on one channel does not hold up the
 *                   other's calls; one channel's call releases the other's
 *   cancel          a signal cancels the call of the channel whose caller
 *                   took it, and not the call blocked on the other
 *   detach          closing a sibling frees its channel; the shadow serves
 *                   its own channel on; the channel is claimed again
 *   root_closed     closing the shadow's own channel ends its siblings:
 *                   their calls say the callee died
 *   other_process   a claim naming another process's channel is refused
 *   limit           a shadow serves at most 16 siblings
 *   caller_exit     a caller that exits frees every channel it held
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "hostcalls_caller.h"
#include "vmrpc/guest.h"

static void start_hostd(struct itest_hostd *h)
{
	itest_hostd_start(h, "--channels", "20", (char *)NULL);
}

/* A sibling of g's channel, bound to hostcalls. */
static struct vmrpc_chan *sibling(struct vmrpc_guest *g, struct vmrpc_binding *ret_hc)
{
	struct vmrpc_chan *ch;

	itest_assert_err(vmrpc_chan_open_sibling(g->chan, 0, &ch), 0);
	itest_assert_err(hostcalls_bind(ch, ret_hc), 0);
	return ch;
}

static void test_shares_context(void **state)
{
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding hc, hs;
	struct vmrpc_chan *sib;
	int32_t shadow, shadow2, fd;
	char cwd[PATH_MAX], path[PATH_MAX], byte = 0;

	(void)state;
	start_hostd(&h);
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	itest_assert_err(hostcalls_bind(g.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, &shadow, NULL, NULL), 0);
	itest_assert_err(hostcalls_chdir(&hc, itest_dir()), 0);
	snprintf(path, sizeof(path), "%s/one", itest_dir());
	itest_write_file(path, "x", 1);
	fd = hostcalls_open(&hc, "one", O_RDONLY, 0);
	assert_true(fd >= 0);

	sib = sibling(&g, &hs);
	assert_int_not_equal(vmrpc_chan_index(sib), vmrpc_chan_index(g.chan));
	itest_assert_err(hostcalls_identity(&hs, &shadow2, NULL, NULL), 0);
	assert_int_equal(shadow2, shadow);
	itest_assert_err(hostcalls_getcwd(&hs, cwd, sizeof(cwd)), 0);
	assert_string_equal(cwd, itest_dir());
	/* the descriptor the first channel opened */
	assert_int_equal(hostcalls_read(&hs, fd, &byte, 1), 1);
	assert_int_equal(byte, 'x');
	itest_log_wait(&h, 1, "a sibling of channel", (char *)NULL);

	vmrpc_chan_close(sib);
	vmrpc_guest_detach(&g);
	itest_hostd_stop(&h);
}

struct blocked_read {
	struct vmrpc_binding *hc;
	int32_t fd;
	int64_t got;
	pthread_t thread;
	volatile int done;
};

static void *blocked_read_main(void *arg)
{
	struct blocked_read *b = arg;
	char byte;

	b->got = hostcalls_read(b->hc, b->fd, &byte, 1);
	__atomic_store_n(&b->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void blocked_read_start(struct blocked_read *b, struct vmrpc_binding *hc, int32_t fd)
{
	*b = (struct blocked_read){ .hc = hc, .fd = fd };
	assert_int_equal(pthread_create(&b->thread, NULL, blocked_read_main, b), 0);
}

static void blocked_read_join(struct blocked_read *b)
{
	assert_int_equal(pthread_join(b->thread, NULL), 0);
}

/* A FIFO in the test's directory, opened O_RDWR by the shadow: a read
 * waits for a write, forever. */
static int32_t fifo_open(struct vmrpc_binding *hc, const char *name)
{
	char path[PATH_MAX];
	int32_t fd;

	snprintf(path, sizeof(path), "%s/%s", itest_dir(), name);
	assert_int_equal(mkfifo(path, 0600), 0);
	fd = hostcalls_open(hc, path, O_RDWR, 0);
	assert_true(fd >= 0);
	return fd;
}

/* Wait until n threads of pid sleep in read(2). */
static void wait_readers(pid_t pid, int n)
{
	uint64_t deadline = itest_now_ms() + ITEST_DEADLINE_MS;
	char dir[64], path[PATH_MAX];

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	for (;;) {
		DIR *d = opendir(dir);
		struct dirent *e;
		int found = 0;

		assert_non_null(d);
		while ((e = readdir(d))) {
			char *sc;

			if (e->d_name[0] == '.')
				continue;
			/* the system call it sleeps in, by number, then its arguments */
			snprintf(path, sizeof(path), "%s/%s/syscall", dir, e->d_name);
			sc = itest_read_file(path, NULL);
			if (strtol(sc, NULL, 10) == SYS_read)
				found++;
			free(sc);
		}
		closedir(d);
		if (found >= n)
			return;
		if (itest_now_ms() > deadline)
			fail_msg("shadow pid %d: %d of %d threads blocked in read", (int)pid, found,
				 n);
		usleep(2000);
	}
}

static void test_parallel(void **state)
{
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding hc, hs;
	struct vmrpc_chan *sib;
	struct blocked_read b;
	int32_t shadow, fd, again;

	(void)state;
	start_hostd(&h);
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	itest_assert_err(hostcalls_bind(g.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, &shadow, NULL, NULL), 0);
	fd = fifo_open(&hc, "fifo");
	sib = sibling(&g, &hs);

	blocked_read_start(&b, &hc, fd);
	wait_readers(shadow, 1);
	/* the shadow is blocked for the first channel; the sibling answers */
	for (int i = 0; i < 100; i++) {
		itest_assert_err(hostcalls_identity(&hs, &again, NULL, NULL), 0);
		assert_int_equal(again, shadow);
	}
	assert_false(__atomic_load_n(&b.done, __ATOMIC_ACQUIRE));
	/* and its write ends the first channel's read */
	assert_int_equal(hostcalls_write(&hs, fd, "y", 1), 1);
	blocked_read_join(&b);
	assert_int_equal(b.got, 1);

	vmrpc_chan_close(sib);
	vmrpc_guest_detach(&g);
	itest_hostd_stop(&h);
}

static void on_signal(int sig)
{
	(void)sig;
}

static void test_cancel(void **state)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding hc, hs;
	struct vmrpc_chan *sib;
	struct blocked_read own, other;
	int32_t shadow, fd_own, fd_other;
	uint64_t deadline;

	(void)state;
	sigaction(SIGUSR1, &sa, NULL);
	start_hostd(&h);
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	itest_assert_err(hostcalls_bind(g.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, &shadow, NULL, NULL), 0);
	fd_own = fifo_open(&hc, "own");
	fd_other = fifo_open(&hc, "other");
	sib = sibling(&g, &hs);

	/* the shadow's own channel and the sibling, each blocked in a read */
	blocked_read_start(&own, &hc, fd_own);
	blocked_read_start(&other, &hs, fd_other);
	wait_readers(shadow, 2);
	/* the sibling's caller takes signals until its call ends */
	deadline = itest_now_ms() + ITEST_DEADLINE_MS;
	while (!__atomic_load_n(&other.done, __ATOMIC_ACQUIRE) && itest_now_ms() < deadline) {
		pthread_kill(other.thread, SIGUSR1);
		usleep(50 * 1000);
	}
	blocked_read_join(&other);
	itest_assert_err(other.got, -EINTR);
	/* the other call was not interrupted: it still waits, and its byte
	 * comes through the sibling */
	usleep(100 * 1000);
	assert_false(__atomic_load_n(&own.done, __ATOMIC_ACQUIRE));
	assert_int_equal(hostcalls_write(&hs, fd_own, "z", 1), 1);
	blocked_read_join(&own);
	assert_int_equal(own.got, 1);

	vmrpc_chan_close(sib);
	vmrpc_guest_detach(&g);
	itest_hostd_stop(&h);
	signal(SIGUSR1, SIG_DFL);
}

static void test_detach(void **state)
{
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding hc, hs;
	struct vmrpc_chan *sib;
	int32_t shadow, again;
	uint32_t index;

	(void)state;
	start_hostd(&h);
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	itest_assert_err(hostcalls_bind(g.chan, &hc), 0);
	itest_assert_err(hostcalls_identity(&hc, &shadow, NULL, NULL), 0);
	for (int round = 1; round <= 3; round++) {
		sib = sibling(&g, &hs);
		index = vmrpc_chan_index(sib);
		itest_assert_err(hostcalls_identity(&hs, &again, NULL, NULL), 0);
		vmrpc_chan_close(sib);
		itest_log_wait(&h, round, "detached", "a sibling of channel", (char *)NULL);
		/* the shadow goes on serving its own channel */
		itest_assert_err(hostcalls_identity(&hc, &again, NULL, NULL), 0);
		assert_int_equal(again, shadow);
		assert_int_equal(vmrpc_region_chan(g.region, index)->ctl.state, VMRPC_CHAN_FREE);
	}
	vmrpc_guest_detach(&g);
	itest_hostd_stop(&h);
}

static void test_root_closed(void **state)
{
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding hs;
	struct vmrpc_chan *sib;
	int32_t pid;
	int64_t err;

	(void)state;
	start_hostd(&h);
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	sib = sibling(&g, &hs);
	itest_assert_err(hostcalls_identity(&hs, &pid, NULL, NULL), 0);
	vmrpc_chan_close(g.chan);
	g.chan = NULL;
	itest_log_wait(&h, 1, "its shadow (channel", "is gone", (char *)NULL);
	err = hostcalls_identity(&hs, &pid, NULL, NULL);
	itest_assert_err(err, -VMRPC_EPEERDIED);
	vmrpc_chan_close(sib);
	vmrpc_region_close(g.region);
	itest_hostd_stop(&h);
}

static int holder_main(int rd, int wr, void *arg)
{
	struct vmrpc_guest g;
	int64_t v;

	(void)arg;
	ITEST_CHECK_EQ(vmrpc_guest_attach(NULL, &g), 0);
	ITEST_CHECK(itest_send(wr, vmrpc_chan_index(g.chan)) == 0);
	itest_recv(rd, &v, ITEST_DEADLINE_MS);
	vmrpc_guest_detach(&g);
	return 0;
}

static void test_other_process(void **state)
{
	struct itest_hostd h;
	struct itest_child holder;
	struct vmrpc_guest g;
	struct vmrpc_chan_hdr *c = NULL;
	struct vmrpc_doorbell_msg m = { .op = VMRPC_DOORBELL_ATTACH, .nonce = 77 };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	uint32_t theirs, k, n, cs;
	uint64_t deadline;
	int fd;

	(void)state;
	start_hostd(&h);
	itest_child_start(&holder, holder_main, NULL);
	theirs = (uint32_t)itest_expect(&holder);
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	/* a sibling claim, by hand, naming the other process's channel */
	vmrpc_region_geometry(g.region, &n, &cs);
	for (k = 0; k < n; k++) {
		c = vmrpc_region_chan(g.region, k);
		if (vmrpc_ctl_move(&c->ctl, VMRPC_CHAN_FREE, VMRPC_CHAN_CLAIMING))
			break;
	}
	assert_true(k < n);
	vmrpc_ctl_set_owner(&c->ctl, getpid());
	vmrpc_ctl_set_nonce(&c->ctl, m.nonce);
	vmrpc_ctl_set_claim_parent(&c->ctl, theirs + 1);
	vmrpc_ctl_set_state(&c->ctl, VMRPC_CHAN_CLAIMED);
	m.chan_index = k;
	assert_int_equal(vmrpc_region_path(ITEST_REGION, ".sock", a.sun_path, sizeof(a.sun_path)),
			 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(sendto(fd, &m, sizeof(m), 0, (struct sockaddr *)&a, sizeof(a)),
			 (ssize_t)sizeof(m));
	close(fd);
	deadline = itest_now_ms() + ITEST_DEADLINE_MS;
	while (vmrpc_ctl_state(&c->ctl) == VMRPC_CHAN_CLAIMED && itest_now_ms() < deadline)
		usleep(1000);
	assert_int_equal(vmrpc_ctl_state(&c->ctl), VMRPC_CHAN_REFUSED);
	assert_int_equal(vmrpc_ctl_error(&c->ctl), -VMRPC_EREFUSED);
	itest_log_wait(&h, 1, "another process's", (char *)NULL);
	vmrpc_ctl_set_claim_parent(&c->ctl, 0);
	assert_true(vmrpc_ctl_move(&c->ctl, VMRPC_CHAN_REFUSED, VMRPC_CHAN_FREE));

	itest_send(holder.to_child, 1);
	assert_int_equal(itest_child_wait(&holder), 0);
	vmrpc_guest_detach(&g);
	itest_hostd_stop(&h);
}

static void test_limit(void **state)
{
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_chan *sibs[17], *one_more;
	struct vmrpc_binding hs;
	int32_t pid;

	(void)state;
	start_hostd(&h);
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	for (int i = 0; i < 16; i++)
		itest_assert_err(vmrpc_chan_open_sibling(g.chan, 0, &sibs[i]), 0);
	itest_assert_err(vmrpc_chan_open_sibling(g.chan, 0, &one_more), -VMRPC_EREFUSED);
	itest_log_wait(&h, 1, "as many siblings as it may", (char *)NULL);
	/* every one of them serves */
	for (int i = 0; i < 16; i++) {
		itest_assert_err(hostcalls_bind(sibs[i], &hs), 0);
		itest_assert_err(hostcalls_identity(&hs, &pid, NULL, NULL), 0);
	}
	for (int i = 0; i < 16; i++)
		vmrpc_chan_close(sibs[i]);
	vmrpc_guest_detach(&g);
	itest_hostd_stop(&h);
}

static int siblings_main(int rd, int wr, void *arg)
{
	struct vmrpc_guest g;
	struct vmrpc_chan *sib[3];
	int64_t v;

	(void)arg;
	ITEST_CHECK_EQ(vmrpc_guest_attach(NULL, &g), 0);
	for (int i = 0; i < 3; i++)
		ITEST_CHECK_EQ(vmrpc_chan_open_sibling(g.chan, 0, &sib[i]), 0);
	ITEST_CHECK(itest_send(wr, 1) == 0);
	itest_recv(rd, &v, ITEST_DEADLINE_MS);
	_exit(0); /* without detaching anything */
}

static void test_caller_exit(void **state)
{
	struct itest_hostd h;
	struct itest_child c;
	struct vmrpc_region *r;
	uint32_t n, cs;

	(void)state;
	start_hostd(&h);
	itest_child_start(&c, siblings_main, NULL);
	itest_expect(&c);
	itest_send(c.to_child, 1);
	assert_int_equal(itest_child_wait(&c), 0);
	itest_log_wait(&h, 3, "detached", "a sibling of channel", (char *)NULL);
	itest_log_wait(&h, 1, "detached", "reaped", (char *)NULL);
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &r), 0);
	vmrpc_region_geometry(r, &n, &cs);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(vmrpc_region_chan(r, i)->ctl.state, VMRPC_CHAN_FREE);
	vmrpc_region_close(r);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shares_context, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_parallel, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_cancel, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_detach, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_root_closed, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_other_process, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_limit, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_caller_exit, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_sibling", tests, NULL, NULL);
}
