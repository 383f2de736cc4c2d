/* SPDX-License-Identifier: MIT */
/*
 * A hostile caller, beside legitimate ones, against the real hostd: each
 * attack an adversarial guest found (issue 10) must now fail, and the
 * legitimate callers must get every answer right.
 *
 *   region_size    nobody can resize the region: not a caller with its own
 *                  descriptor, not a guest through host calls naming the
 *                  shadow's descriptors (ftruncate, dup, spawn's stdio)
 *   fork_copy      a shadow copy forked for another caller's channel, or a
 *                  free one, is refused and killed: it serves nobody
 *   geometry       a header rewritten just before an attach does not move
 *                  the new shadow onto another caller's channel
 *   callee_waiting another channel's callee_waiting held at 0 stalls none
 *                  of its calls
 *   root           --root confines every path: "..", absolute and relative
 *                  symlinks, /proc/self/root, renames racing the lookup
 *   private        a shadow's programs cannot trace it, read its
 *                  environment or descriptors, or write hostd's log
 *   stale_claim    a claim whose claimant never rang is taken back, and a
 *                  full region is logged
 *   scribbled_claim  a claim written over before hostd reads it is refused
 *                  at once (the claimant claims again), not left to time out
 *   cancel         a handled signal interrupts a caller blocked in a host
 *                  call with EINTR, and the channel goes on working
 *   runtime_dir    a runtime directory another user owns is refused
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "hostcalls_caller.h"
#include "hostfs_caller.h"
#include "hostproc_caller.h"
#include "vmrpc/hostcall.h"

static void start_hostd(struct itest_hostd *h)
{
	itest_hostd_start(h, "--channels", "6", "--channel-size", "64K", (char *)NULL);
}

/* ---- region_size --------------------------------------------------------- */

static void test_region_size(void **state)
{
	struct itest_hostd h;
	struct itest_checker k;
	struct vmrpc_host *host;
	struct stat st;
	off_t size;
	int fd;

	(void)state;
	start_hostd(&h);
	itest_checker_start(&k);
	itest_assert_err(vmrpc_host_attach(NULL, &host), 0);

	/* a caller's own descriptor of the region: sealed */
	fd = vmrpc_region_fd(host->guest.region);
	assert_int_equal(fstat(fd, &st), 0);
	size = st.st_size;
	assert_int_equal(ftruncate(fd, 4096), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(fd, size * 2), -1);
	assert_int_equal(errno, EPERM);
	assert_int_not_equal(fallocate(fd, 0, 0, size * 2), 0);

	/* through host calls, every descriptor the shadow keeps for itself */
	for (int32_t n = 0; n < 64; n++) {
		itest_assert_err(hostfs_ftruncate(&host->fs, n, 4096), -EBADF);
		itest_assert_err(hostfs_dup(&host->fs, n), -EBADF);
		itest_assert_err(hostfs_fcntl(&host->fs, n, F_GETFD, 0), -EBADF);
		itest_assert_err(hostproc_spawn(&host->proc, "/bin/true", "true", 5, 1, "", 0, 0,
						"", n, -1, -1),
				 n < 0 ? 0 : -EBADF);
	}
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, size);
	assert_true(itest_hostd_alive(&h));
	itest_assert_err(hostcalls_identity(&host->calls, NULL, NULL, NULL), 0);
	vmrpc_host_detach(host);
	itest_checker_stop(&k);
	itest_hostd_stop(&h);
}

/* ---- fork_copy ------------------------------------------------------------ */

static void test_fork_copy(void **state)
{
	struct itest_hostd h;
	struct itest_checker k;
	struct vmrpc_host *a, *b;
	struct vmrpc_chan_hdr *victim;
	char line[64];
	int32_t copy, shadow;
	uint64_t end;
	uint32_t free_chan;

	(void)state;
	start_hostd(&h);
	itest_checker_start(&k);
	itest_assert_err(vmrpc_host_attach(NULL, &a), 0);
	/* the victim's nonce is in its control line, which any caller reads */
	victim = vmrpc_region_chan(a->guest.region, k.chan);
	copy = hostproc_fork_shadow(&a->proc, k.chan,
				    __atomic_load_n(&victim->ctl.attach_nonce, __ATOMIC_RELAXED));
	assert_true(copy > 0);
	/* and the copy's pid written where a copy used to look for adoption */
	end = itest_now_ms() + 50;
	while (itest_now_ms() < end)
		__atomic_store_n(&victim->ctl.callee_pid, (uint32_t)copy, __ATOMIC_RELAXED);
	__atomic_store_n(&victim->ctl.callee_pid, (uint32_t)k.shadow, __ATOMIC_RELAXED);
	snprintf(line, sizeof(line), "offer from pid %d refused", copy);
	itest_log_wait(&h, 1, line, "killed it", (char *)NULL);
	assert_int_equal(itest_wait_gone(copy, ITEST_DEADLINE_MS), 0);

	/* the same on a free channel: the next newcomer's shadow is its own */
	free_chan = vmrpc_chan_index(a->guest.chan) + 1;
	copy = hostproc_fork_shadow(&a->proc, free_chan, 12345);
	assert_true(copy > 0);
	snprintf(line, sizeof(line), "offer from pid %d refused", copy);
	itest_log_wait(&h, 1, line, "killed it", (char *)NULL);
	assert_int_equal(itest_wait_gone(copy, ITEST_DEADLINE_MS), 0);
	itest_assert_err(vmrpc_host_attach(NULL, &b), 0);
	assert_int_equal(vmrpc_chan_index(b->guest.chan), free_chan);
	itest_assert_err(hostcalls_identity(&b->calls, &shadow, NULL, NULL), 0);
	assert_int_not_equal(shadow, copy);
	assert_int_equal(itest_proc_ppid(shadow), h.pid);
	vmrpc_host_detach(b);
	vmrpc_host_detach(a);
	itest_checker_stop(&k);
	itest_hostd_stop(&h);
}

/* ---- geometry -------------------------------------------------------------- */

static void test_geometry(void **state)
{
	struct itest_hostd h;
	struct itest_checker k;
	struct vmrpc_region *r;
	struct vmrpc_chan *ch;
	struct vmrpc_binding hc;
	struct vmrpc_region_hdr *hdr;
	uint32_t real;
	int32_t shadow, pid;

	(void)state;
	start_hostd(&h);
	itest_checker_start(&k);
	/* mapped before the header changes, like the attacker's own view */
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &r), 0);
	hdr = vmrpc_region_hdr(r);
	real = hdr->chan_size;
	hdr->chan_size = real / 2;
	hdr->n_channels = 2 * hdr->n_channels;
	itest_assert_err(vmrpc_chan_open(r, 0, &ch), 0);
	itest_assert_err(hostcalls_bind(ch, &hc), 0);
	vmrpc_chan_set_timeout(ch, 3000);
	for (int i = 0; i < 2000; i++) {
		itest_assert_err(hostcalls_identity(&hc, &pid, NULL, NULL), 0);
		if (i == 0) {
			shadow = pid;
			/* the new shadow serves by now: put the header back */
			hdr->n_channels /= 2;
			hdr->chan_size = real;
		}
		assert_int_equal(pid, shadow);
	}
	assert_int_not_equal(shadow, k.shadow);
	vmrpc_chan_close(ch);
	vmrpc_region_close(r);
	itest_checker_stop(&k);
	itest_hostd_stop(&h);
}

/* ---- callee_waiting ---------------------------------------------------------- */

struct holder {
	uint32_t *word;
	int stop;
};

static void *holder_main(void *arg)
{
	struct holder *hd = arg;

	while (!__atomic_load_n(&hd->stop, __ATOMIC_RELAXED))
		__atomic_store_n(hd->word, 0, __ATOMIC_RELAXED);
	return NULL;
}

static void test_callee_waiting(void **state)
{
	struct itest_hostd h;
	struct vmrpc_host *v;
	struct holder hd = { 0 };
	pthread_t t;

	(void)state;
	start_hostd(&h);
	itest_assert_err(vmrpc_host_attach(NULL, &v), 0);
	/* a hang shows as a timeout, not a stuck test */
	vmrpc_chan_set_timeout(v->guest.chan, 3000);
	hd.word = &vmrpc_region_chan(v->guest.region, vmrpc_chan_index(v->guest.chan))
			   ->rep.callee_waiting;
	assert_int_equal(pthread_create(&t, NULL, holder_main, &hd), 0);
	for (int i = 0; i < 100; i++) {
		itest_assert_err(hostcalls_identity(&v->calls, NULL, NULL, NULL), 0);
		usleep(2000); /* long enough for the shadow to go to sleep */
	}
	__atomic_store_n(&hd.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	vmrpc_host_detach(v);
	itest_hostd_stop(&h);
}

/* ---- root ------------------------------------------------------------------- */

struct renamer {
	char a[PATH_MAX + 8], b[PATH_MAX + 8];
	int stop;
};

/* Another process of the host renames a directory back and forth across
 * the tree's edge while the guest looks paths up through it. */
static void *renamer_main(void *arg)
{
	struct renamer *rn = arg;

	while (!__atomic_load_n(&rn->stop, __ATOMIC_RELAXED)) {
		rename(rn->a, rn->b);
		rename(rn->b, rn->a);
	}
	return NULL;
}

static void test_root(void **state)
{
	struct itest_hostd h;
	struct vmrpc_host *v;
	struct renamer rn = { 0 };
	char root[PATH_MAX], outside[PATH_MAX], p[PATH_MAX + 64], q[PATH_MAX + 64], buf[64];
	pthread_t t;
	int32_t fd;

	(void)state;
	snprintf(root, sizeof(root), "%s/tree", itest_dir());
	snprintf(outside, sizeof(outside), "%s/outside", itest_dir());
	assert_int_equal(mkdir(root, 0755), 0);
	assert_int_equal(mkdir(outside, 0755), 0);
	snprintf(p, sizeof(p), "%s/secret", outside);
	itest_write_file(p, "SECRET\n", 7);
	snprintf(p, sizeof(p), "%s/inside.txt", root);
	itest_write_file(p, "inside\n", 7);
	snprintf(p, sizeof(p), "%s/abs", root);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/rel", root);
	assert_int_equal(symlink("../outside/secret", p), 0);
	snprintf(p, sizeof(p), "%s/slash", root);
	assert_int_equal(symlink("/", p), 0);

	itest_hostd_start(&h, "--root", root, (char *)NULL);
	itest_assert_err(vmrpc_host_attach(NULL, &v), 0);
	/* inside: as usual */
	fd = hostfs_openat(&v->fs, AT_FDCWD, "inside.txt", O_RDONLY, 0);
	assert_true(fd >= 0);
	itest_assert_err(hostfs_close(&v->fs, fd), 0);
	itest_assert_err(hostfs_mkdirat(&v->fs, AT_FDCWD, "made", 0755), 0);
	fd = hostfs_openat(&v->fs, AT_FDCWD, "made/new", O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	itest_assert_err(hostfs_close(&v->fs, fd), 0);
	itest_assert_err(hostfs_renameat(&v->fs, AT_FDCWD, "made/new", AT_FDCWD, "moved", 0), 0);
	/* every way out: refused */
	static const char *const escapes[] = {
		"/etc/passwd", "../outside/secret", "../../../../../etc/passwd",
		"abs", "rel", "slash/etc/passwd", "/proc/self/root/etc/passwd",
		"made/../../outside/secret",
	};
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		fd = hostfs_openat(&v->fs, AT_FDCWD, escapes[i], O_RDONLY, 0);
		if (fd >= 0)
			fail_msg("%s opened outside the root", escapes[i]);
		if (fd != -EACCES && fd != -ENOENT)
			fail_msg("%s: %d (%s)", escapes[i], fd, vmrpc_strerror(fd));
	}
	fd = hostfs_openat(&v->fs, AT_FDCWD, "../outside/new", O_WRONLY | O_CREAT, 0644);
	assert_true(fd < 0);
	/* metadata too: nothing outside can be looked at or changed */
	{
		struct hostfs_stat st;
		static const char *const outside_paths[] = {
			"../outside/secret", "/etc/passwd", "rel", "slash/etc",
			"/proc/self/root/etc/passwd",
		};
		for (size_t i = 0; i < sizeof(outside_paths) / sizeof(outside_paths[0]); i++) {
			const char *o = outside_paths[i];
			if (hostfs_fstatat(&v->fs, AT_FDCWD, o, 0, &st) == 0)
				fail_msg("stat %s: it was there", o);
			assert_true(hostfs_fchmodat(&v->fs, AT_FDCWD, o, 0777, 0) < 0);
			assert_true(hostfs_fchownat(&v->fs, AT_FDCWD, o, 65534, 65534, 0) < 0);
			assert_true(hostfs_chdir(&v->fs, o) < 0);
		}
		/* (unlinking "rel" removes the link, which is inside) */
		assert_true(hostfs_unlinkat(&v->fs, AT_FDCWD, "../outside/secret", 0) < 0);
		assert_true(hostfs_unlinkat(&v->fs, AT_FDCWD, "slash/etc/passwd", 0) < 0);
		assert_true(hostfs_unlinkat(&v->fs, AT_FDCWD, "/proc/self/root/etc/passwd", 0) <
			    0);
		assert_true(hostfs_chdir(&v->fs, "..") == 0); /* the root's parent is itself */
		fd = hostfs_openat(&v->fs, AT_FDCWD, "inside.txt", O_RDONLY, 0);
		assert_true(fd >= 0);
		itest_assert_err(hostfs_close(&v->fs, fd), 0);
	}
	assert_true(hostfs_renameat(&v->fs, AT_FDCWD, "moved", AT_FDCWD, "../outside/moved",
				    0) < 0);
	assert_true(hostfs_symlinkat(&v->fs, "x", AT_FDCWD, "../outside/link") < 0);
	/* host programs outside the tree cannot be run */
	assert_true(hostproc_spawn(&v->proc, "/bin/true", "true", 5, 1, "", 0, 0, "", -1, -1,
				   -1) < 0);

	/* renames racing the lookup: never the secret */
	snprintf(rn.a, sizeof(rn.a), "%s/d", root);
	snprintf(rn.b, sizeof(rn.b), "%s/d", outside);
	snprintf(q, sizeof(q), "%s/d/e", root);
	mkdir(rn.a, 0755);
	mkdir(q, 0755);
	assert_int_equal(pthread_create(&t, NULL, renamer_main, &rn), 0);
	for (int i = 0; i < 2000; i++) {
		fd = hostfs_openat(&v->fs, AT_FDCWD, "d/e/../../../outside/secret", O_RDONLY, 0);
		if (fd < 0)
			continue;
		memset(buf, 0, sizeof(buf));
		hostfs_read(&v->fs, fd, buf, sizeof(buf) - 1);
		hostfs_close(&v->fs, fd);
		if (strstr(buf, "SECRET"))
			fail_msg("read the secret outside the root through a racing rename");
	}
	__atomic_store_n(&rn.stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	/* the file outside is untouched, its mode and owner too */
	{
		struct stat st;
		char *s;
		snprintf(p, sizeof(p), "%s/secret", outside);
		s = itest_read_file(p, NULL);
		assert_string_equal(s, "SECRET\n");
		free(s);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0644);
		assert_int_equal(st.st_uid, geteuid());
	}
	vmrpc_host_detach(v);
	itest_hostd_stop(&h);
}

/* ---- private ---------------------------------------------------------------- */

/* A host program that tries to reach its own shadow ($PPID) and another
 * caller's ($1); what it managed is in OUT. */
static const char probe_script[] =
	"for p in $PPID $1; do "
	"  cat /proc/$p/environ >/dev/null 2>&1 && echo environ $p; "
	"  ls /proc/$p/fd >/dev/null 2>&1 && echo fds $p; "
	"  (echo 'vmrpc-hostd: region forged' >/proc/$p/fd/2) 2>/dev/null && echo log $p; "
	"done; "
	"kill -0 $1 2>/dev/null && echo signal $1; "
	"echo done";

#define NOBODY 65534

static void become_nobody(void)
{
	ITEST_CHECK(setgroups(0, NULL) == 0 && setgid(NOBODY) == 0 && setuid(NOBODY) == 0);
}


struct probe {
	char out[PATH_MAX + 32];
	pid_t victim;
};

/* As nobody: run probe_script as a host program, its output into out. */
static int prober_main(int rd, int wr, void *arg)
{
	const struct probe *pr = arg;
	struct vmrpc_host *v;
	char args[512 + sizeof(probe_script)];
	int32_t fd, pid, status = 0;
	size_t n = 0;

	(void)rd;
	become_nobody();
	ITEST_CHECK_EQ(vmrpc_host_attach(NULL, &v), 0);
	fd = hostfs_openat(&v->fs, AT_FDCWD, pr->out, O_WRONLY | O_TRUNC, 0);
	ITEST_CHECK(fd >= 0);
	n += (size_t)snprintf(args + n, sizeof(args) - n, "sh") + 1;
	n += (size_t)snprintf(args + n, sizeof(args) - n, "-c") + 1;
	n += (size_t)snprintf(args + n, sizeof(args) - n, "%s", probe_script) + 1;
	n += (size_t)snprintf(args + n, sizeof(args) - n, "sh") + 1;
	n += (size_t)snprintf(args + n, sizeof(args) - n, "%d", (int)pr->victim) + 1;
	pid = hostproc_spawn(&v->proc, "/bin/sh", args, (uint32_t)n, 5, "PATH=/usr/bin:/bin", 19,
			     1, "", -1, fd, fd);
	ITEST_CHECK(pid > 0);
	ITEST_CHECK_EQ(hostproc_wait(&v->proc, pid, 0, &status), pid);
	ITEST_CHECK_EQ(hostfs_close(&v->fs, fd), 0);
	vmrpc_host_detach(v);
	ITEST_CHECK(itest_send(wr, 0) == 0);
	return 0;
}

static void test_private(void **state)
{
	struct itest_hostd h;
	struct itest_checker k;
	struct itest_child c;
	struct probe pr;
	char *text;

	(void)state;
	if (geteuid() != 0)
		skip(); /* callers of another uid than hostd's need a root hostd */
	itest_hostd_start(&h, "--channels", "6", "--mode", "0666", (char *)NULL);
	/* the victim is a caller of the prober's own uid */
	itest_checker_start_as(&k, NOBODY);
	snprintf(pr.out, sizeof(pr.out), "%s/probe.out", itest_dir());
	itest_write_file(pr.out, "", 0);
	assert_int_equal(chmod(pr.out, 0666), 0);
	pr.victim = k.shadow;
	itest_child_start(&c, prober_main, &pr);
	itest_expect(&c);
	assert_int_equal(itest_child_wait(&c), 0);
	text = itest_read_file(pr.out, NULL);
	if (strcmp(text, "done\n"))
		fail_msg("a shadow's program reached a shadow: %s", text);
	free(text);
	assert_int_equal(itest_log_count(&h, "region forged", (char *)NULL), 0);
	itest_checker_stop(&k);
	itest_hostd_stop(&h);
}

/* ---- stale_claim and scribbled_claim ---------------------------------------- */

/* Claim channel index by hand, as a guest library would, and never ring. */
static int claim_and_hold(int rd, int wr, void *arg)
{
	struct vmrpc_region *r;
	struct vmrpc_chan_hdr *c;
	uint32_t st = VMRPC_CHAN_FREE;
	int64_t go;

	(void)arg;
	ITEST_CHECK_EQ(vmrpc_region_open(ITEST_REGION, &r), 0);
	c = vmrpc_region_chan(r, 0);
	ITEST_CHECK(__atomic_compare_exchange_n(&c->ctl.state, &st, VMRPC_CHAN_CLAIMED, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	__atomic_store_n(&c->ctl.owner_pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
	__atomic_store_n(&c->ctl.attach_nonce, 7, __ATOMIC_RELEASE);
	ITEST_CHECK(itest_send(wr, 0) == 0);
	ITEST_CHECK(itest_recv(rd, &go, ITEST_DEADLINE_MS) == 0); /* dies when told */
	return 0;
}

static void test_stale_claim(void **state)
{
	struct itest_hostd h;
	struct itest_child k;
	struct vmrpc_host *a, *b;
	uint64_t deadline;
	int err;

	(void)state;
	itest_hostd_start(&h, "--channels", "2", (char *)NULL);
	itest_child_start(&k, claim_and_hold, NULL);
	itest_expect(&k);
	itest_assert_err(vmrpc_host_attach(NULL, &a), 0);
	/* every channel taken: said in the log */
	itest_assert_err(vmrpc_host_attach(NULL, &b), -VMRPC_ENOCHAN);
	itest_log_wait(&h, 1, "found no free channel", (char *)NULL);
	/* its claimant lives and never rings: taken back after a while */
	deadline = itest_now_ms() + ITEST_DEADLINE_MS;
	while ((err = vmrpc_host_attach(NULL, &b)) == -VMRPC_ENOCHAN &&
	       itest_now_ms() < deadline)
		usleep(200 * 1000);
	itest_assert_err(err, 0);
	itest_log_wait(&h, 1, "claim by pid", "never rang; taken back", (char *)NULL);
	vmrpc_host_detach(b);
	itest_send(k.to_child, 1);
	assert_int_equal(itest_child_wait(&k), 0);
	vmrpc_host_detach(a);
	itest_hostd_stop(&h);
}

static void test_scribbled_claim(void **state)
{
	struct itest_hostd h;
	struct vmrpc_region *r;
	struct vmrpc_chan_hdr *c;
	struct vmrpc_doorbell_msg m = { .op = VMRPC_DOORBELL_ATTACH, .chan_index = 0, .nonce = 41 };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	uint32_t st = VMRPC_CHAN_FREE;
	uint64_t deadline;
	int fd;

	(void)state;
	itest_hostd_start(&h, "--channels", "2", (char *)NULL);
	itest_assert_err(vmrpc_region_open(ITEST_REGION, &r), 0);
	c = vmrpc_region_chan(r, 0);
	assert_true(__atomic_compare_exchange_n(&c->ctl.state, &st, VMRPC_CHAN_CLAIMED, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	__atomic_store_n(&c->ctl.owner_pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
	/* another process wrote over the nonce before hostd read it */
	__atomic_store_n(&c->ctl.attach_nonce, 42, __ATOMIC_RELEASE);
	assert_int_equal(vmrpc_region_path(ITEST_REGION, ".sock", a.sun_path, sizeof(a.sun_path)),
			 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(sendto(fd, &m, sizeof(m), 0, (struct sockaddr *)&a, sizeof(a)),
			 (ssize_t)sizeof(m));
	close(fd);
	/* refused at once (before, hostd ignored it and the claimant waited
	 * out its 5 s): -EAGAIN tells the library to claim again */
	deadline = itest_now_ms() + ITEST_DEADLINE_MS;
	while (__atomic_load_n(&c->ctl.state, __ATOMIC_ACQUIRE) != VMRPC_CHAN_REFUSED &&
	       itest_now_ms() < deadline)
		usleep(1000);
	assert_int_equal(c->ctl.state, VMRPC_CHAN_REFUSED);
	assert_int_equal(c->ctl.attach_error, -EAGAIN);
	st = VMRPC_CHAN_REFUSED;
	assert_true(__atomic_compare_exchange_n(&c->ctl.state, &st, VMRPC_CHAN_FREE, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	vmrpc_region_close(r);
	itest_hostd_stop(&h);
}

/* ---- cancel ------------------------------------------------------------------ */

static void on_alarm(int sig)
{
	(void)sig;
}

/* Blocked in a host read of a FIFO nobody writes, with a SIGALRM handler:
 * the alarm ends the call with EINTR; the channel then works. */
static int blocked_main(int rd, int wr, void *arg)
{
	const char *fifo = arg;
	struct sigaction sa = { .sa_handler = on_alarm };
	/* SIGALRM after 1 s, then every 200 ms: one that lands while the
	 * caller is between two sleeps is not seen (docs/hostcalls.md) */
	struct itimerval every = { .it_value = { .tv_sec = 1 },
				   .it_interval = { .tv_usec = 200 * 1000 } };
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	char byte;
	int32_t fd;

	(void)rd;
	fd = itest_caller_open_fifo(fifo, wr, &g, &hc);
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &every, NULL);
	ITEST_CHECK(itest_send(wr, hostcalls_read(&hc, fd, &byte, 1)) == 0);
	setitimer(ITIMER_REAL, &(struct itimerval){ 0 }, NULL);
	ITEST_CHECK(itest_send(wr, hostcalls_identity(&hc, NULL, NULL, NULL)) == 0);
	vmrpc_guest_detach(&g);
	return 0;
}

static void test_cancel(void **state)
{
	struct itest_hostd h;
	struct itest_child c;
	static char fifo[PATH_MAX];

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/fifo", itest_dir());
	assert_int_equal(mkfifo(fifo, 0600), 0);
	start_hostd(&h);
	itest_child_start(&c, blocked_main, fifo);
	itest_expect(&c); /* channel */
	itest_expect(&c); /* shadow */
	itest_assert_err(itest_expect(&c), -EINTR);
	itest_assert_err(itest_expect(&c), 0);
	assert_int_equal(itest_child_wait(&c), 0);
	itest_hostd_stop(&h);
}

/* ---- limit_clamped -------------------------------------------------------------- */

/* A limit hostd cannot give was once clamped without a word: hostd says so
 * at start, and shadows still start, with the most it can give. hostd
 * without CAP_SYS_RESOURCE, under a hard limit of 4096 descriptors (the
 * capability leaves this process for good: this test runs last). */
static void test_limit_clamped(void **state)
{
	struct rlimit rl = { 1024, 4096 };
	struct itest_hostd h;
	struct vmrpc_host *a;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(prctl(PR_CAPBSET_DROP, CAP_SYS_RESOURCE, 0, 0, 0), 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	itest_hostd_start(&h, "--limit-nofile", "100000", (char *)NULL);
	itest_log_wait(&h, 1, "limit-nofile 100000 is more than hostd may give a process",
		       "shadows get 4096", (char *)NULL);
	itest_assert_err(vmrpc_host_attach(NULL, &a), 0);
	itest_assert_err(hostcalls_identity(&a->calls, NULL, NULL, NULL), 0);
	vmrpc_host_detach(a);
	itest_hostd_stop(&h);
}

/* ---- runtime_dir --------------------------------------------------------------- */

static void test_runtime_dir(void **state)
{
	const char *args[] = { "--loopback", ITEST_REGION, "--shadow", ITEST_SHADOW, NULL };
	char dir[PATH_MAX], *err;
	int status;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(dir, sizeof(dir), "%s/theirs", itest_dir());
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	setenv("VMRPC_RUNTIME_DIR", dir, 1);
	status = itest_hostd_run(args, &err);
	setenv("VMRPC_RUNTIME_DIR", itest_rt_dir(), 1);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
	if (!strstr(err, "owned by uid 65534, mode 0777: another user could replace"))
		fail_msg("hostd said: %s", err);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_region_size, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_fork_copy, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_geometry, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_callee_waiting, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_root, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_private, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_stale_claim, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_scribbled_claim, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_cancel, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_runtime_dir, itest_setup, itest_teardown),
		/* last: it gives up CAP_SYS_RESOURCE */
		cmocka_unit_test_setup_teardown(test_limit_clamped, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_hostile", tests, NULL, NULL);
}
