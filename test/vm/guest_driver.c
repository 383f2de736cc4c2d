/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-vm-driver: vmrpc.ko in a real guest, for test/vm/run.sh. Prints
 * "ok N - what" or "not ok N - what" per check (TAP) and exits 1 if any
 * failed.
 *
 *   vmrpc-vm-driver isolate DEV
 *       A caller holds a channel through DEV (/dev/vmrpc0); a second open
 *       file of the same device, and a child the caller forked, can neither
 *       map it, nor wait on it, nor ring its vector; nobody but the agent
 *       maps the header writable; one file holds one channel. A sibling
 *       goes to the same shadow; a host call that sleeps on the host wakes
 *       its caller by the channel's own vector, on the caller's channel and
 *       on a sibling's (its file polls readable and counts the wake-up).
 *   vmrpc-vm-driver nonroot REGION UID GID GROUP
 *       As UID:GID with the supplementary group GROUP (the device's group,
 *       as the udev rule sets it), attach to REGION (pci:ADDR: the driver's
 *       device, found by libvmrpc-guest) and make host calls; without GROUP,
 *       the attach fails with EACCES; as neither, VMRPC_DEV_AGENT is EPERM.
 *   vmrpc-vm-driver idle REGION
 *       Attach, print "attached N", then wait for a line on stdin before
 *       each call ("call": one host call; EOF: detach and exit). Lets the
 *       script unbind the device or rmmod the module while a channel is
 *       held.
 *   vmrpc-vm-driver events REGION
 *       Three host calls in flight at once on three channels (a host
 *       program's waitpid, for `sleep` of 1.5, 0.5 and 1 s), each started
 *       split-phase and waited for with one epoll over the channels'
 *       descriptors (vmrpc_chan_poll_fd): each descriptor fires for its own
 *       call's answer, so they complete in the order of their lengths. The
 *       third channel is a sibling of the first (vmrpc_chan_open_sibling),
 *       served by the same shadow: its vector fires too (hostd once gave
 *       siblings no way to raise it, and their sleeping callers found
 *       their replies only at the 100 ms liveness check).
 *   vmrpc-vm-driver no-events REGION
 *       Without the driver's interrupts (the sysfs mapping, ivshmem-plain)
 *       there is no descriptor to poll: EOPNOTSUPP.
 *   vmrpc-vm-driver corrupt BDF
 *       As root, with vmrpc.ko bound to PCI function BDF: write what a
 *       hostile host (or a root process in the guest) could write into the
 *       region through its sysfs mapping and check that the driver refuses
 *       it with an error, never an oops (run.sh checks the kernel log): a
 *       channel whose state word holds garbage is never claimed, and a
 *       garbage state under a held channel is left as it is on close; a
 *       header with a bad magic, ABI version or geometry is not bound (the
 *       device is unbound and bound again for each), the intact one is.
 *   vmrpc-vm-driver bench REGION CALLS
 *       TCG figures (bench/vm.sh, docs/benchmarks.md), not checks: the p50
 *       of CALLS null calls (hostcalls.identity), and of a host call that
 *       blocks about 10 ms on the host (hostnet.recv on a datagram socket
 *       with SO_RCVTIMEO 10 ms, which the host rounds up to its jiffies).
 *   vmrpc-vm-driver native-block
 *       On the host: the p50 of that same receive timeout, natively, which
 *       bench/vm.sh subtracts to get the reply delay.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_checks.h"
#include "hostcalls_caller.h"
#include "hostnet_caller.h"
#include "hostproc_caller.h"
#include "vmrpc/stub.h"
#include "vmrpc/abi.h"
#include "vmrpc/dev.h"
#include "vmrpc/dynamic.h"
#include "vmrpc/guest.h"

/* mmap through fd at region offset off: 0 or -errno (the mapping is undone). */
static int try_map(int fd, uint64_t off, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

static int try_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* In a child: does touching p kill it with signal sig? */
static int touch_dies(volatile const uint32_t *p, int sig)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		(void)*p;
		_exit(0);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	       WTERMSIG(status) == sig;
}

/* A host call on ch that blocks 50 ms on the host (the caller sleeps in
 * vmrpc.ko), then poll_fd, ch's file: 0 when it polls readable (the shadow
 * raised ch's vector) and reads the count of wake-ups into *count. */
static int vector_after_blocking_call(struct vmrpc_chan *ch, int poll_fd, uint64_t *count)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 50000 };
	struct pollfd p = { .fd = poll_fd, .events = POLLIN };
	struct vmrpc_binding hn;
	int32_t sock;
	char byte;
	int err;

	if (poll_fd < 0)
		return poll_fd;
	if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN))
		(void)read(p.fd, count, sizeof(*count)); /* earlier wake-ups */
	err = hostnet_bind(ch, &hn);
	sock = err < 0 ? err : hostnet_socket(&hn, AF_UNIX, SOCK_DGRAM, 0);
	err = sock < 0 ? sock
		       : hostnet_setsockopt(&hn, sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	err = err < 0 ? err : (int)hostnet_recv(&hn, sock, &byte, 1, 0);
	if (err != -EAGAIN)
		return err < 0 ? err : -EPROTO;
	*count = 0;
	if (poll(&p, 1, 1000) != 1 || !(p.revents & POLLIN) ||
	    read(p.fd, count, sizeof(*count)) != sizeof(*count) || *count < 1)
		return -ETIMEDOUT;
	return 0;
}

static int isolate(const char *dev)
{
	char name[256];
	struct vmrpc_guest g;
	struct vmrpc_binding hc;
	struct vmrpc_dev_info info;
	struct vmrpc_dev_claim claim = {0};
	uint64_t off_a;
	uint32_t a;
	int32_t pid;
	int fd, err, status = 0;
	pid_t child;

	snprintf(name, sizeof(name), "dev:%s", dev);
	err = vmrpc_guest_attach(name, &g);
	if (!check(err == 0, "attach %s: %s", name, vmrpc_strerror(err)))
		return checks_done();
	a = vmrpc_chan_index(g.chan);
	err = hostcalls_bind(g.chan, &hc);
	err = err < 0 ? err : hostcalls_identity(&hc, &pid, NULL, NULL);
	check(err == 0, "a host call on our own channel %u: %s", a, vmrpc_strerror(err));

	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (!check(fd >= 0 && try_ioctl(fd, VMRPC_DEV_INFO, &info) == 0, "open %s again", dev))
		return checks_done();
	off_a = VMRPC_HDR_SIZE + (uint64_t)a * info.chan_size;
	err = try_map(fd, off_a, info.chan_size, PROT_READ);
	check(err == -EACCES, "another open file cannot map channel %u: %s", a, strerror(-err));
	claim.state = VMRPC_CHAN_ATTACHED;
	err = try_ioctl(fd, VMRPC_DEV_CLAIM, &claim);
	check(err == -EINVAL, "it cannot claim into a state of hostd's (ATTACHED): %s",
	      strerror(-err));
	claim.state = 0;
	err = try_ioctl(fd, VMRPC_DEV_CLAIM, &claim);
	check(err == 0 && claim.index != a, "it claims a channel of its own: %u", claim.index);
	err = try_map(fd, off_a, info.chan_size, PROT_READ | PROT_WRITE);
	check(err == -EACCES, "holding channel %u, it still cannot map channel %u: %s", claim.index,
	      a, strerror(-err));
	err = try_map(fd, VMRPC_HDR_SIZE + (uint64_t)claim.index * info.chan_size, info.chan_size,
	              PROT_READ | PROT_WRITE);
	check(err == 0, "it maps its own channel %u read-write: %s", claim.index, strerror(-err));
	err = try_map(fd, VMRPC_HDR_SIZE + (uint64_t)claim.index * info.chan_size,
	              info.chan_size + 4096, PROT_READ);
	check(err == -EACCES, "but not one byte beyond it: %s", strerror(-err));
	err = try_map(fd, 0, VMRPC_HDR_SIZE, PROT_READ | PROT_WRITE);
	check(err == -EACCES, "the header cannot be mapped writable: %s", strerror(-err));
	{
		void *h = mmap(NULL, VMRPC_HDR_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		err = h == MAP_FAILED                                           ? -errno
		      : mprotect(h, VMRPC_HDR_SIZE, PROT_READ | PROT_WRITE) < 0 ? -errno
		                                                                : 0;
		check(h != MAP_FAILED && err == -EACCES,
		      "the header maps read-only, and mprotect cannot make it writable: %s",
		      strerror(-err));
		if (h != MAP_FAILED)
			munmap(h, VMRPC_HDR_SIZE);
	}
	err = try_ioctl(fd, VMRPC_DEV_CLAIM, &claim);
	check(err == -EBUSY, "a second claim on one open file: %s", strerror(-err));
	{
		struct vmrpc_dev_wait w = {
		        .offset = off_a + 256, .expected = 0, .timeout_ns = 1000};
		struct vmrpc_dev_ring r = {.vector = VMRPC_IVSHMEM_VEC_CHAN(a)};
		struct vmrpc_dev_wait h = {.offset = 64, .timeout_ns = 1000};

		err = try_ioctl(fd, VMRPC_DEV_WAIT, &w);
		check(err == -EINVAL, "it cannot wait on channel %u's words: %s", a,
		      strerror(-err));
		err = try_ioctl(fd, VMRPC_DEV_WAIT, &h);
		check(err == -EINVAL, "nor on the header's (the agent's): %s", strerror(-err));
		err = try_ioctl(fd, VMRPC_DEV_RING, &r);
		check(err == -EINVAL, "nor ring channel %u's vector: %s", a, strerror(-err));
	}
	close(fd);

	/* The library's own mapping: the other channels' pages are not there. */
	check(touch_dies((const uint32_t *)vmrpc_region_chan(g.region, a == 0 ? 1 : 0), SIGSEGV),
	      "the library maps no channel but its own (a touch of another is SIGSEGV)");
	/* A fork: the child inherits the descriptor, not the channel. */
	child = fork();
	if (child == 0) {
		int fds[4], n = vmrpc_region_fds(g.region, fds, 4), bad = 0;

		for (int k = 0; k < n; k++)
			if (try_map(fds[k], off_a, info.chan_size, PROT_READ) != -EACCES)
				bad = 1;
		if (bad)
			_exit(1);
		if (!touch_dies((const uint32_t *)vmrpc_region_chan(g.region, a), SIGSEGV))
			_exit(2);
		/* In a VM a child starts without host state: a channel of its own. */
		{
			struct vmrpc_guest cg;
			struct vmrpc_binding chc;
			int32_t cpid;

			if (vmrpc_guest_attach(name, &cg) < 0 ||
			    hostcalls_bind(cg.chan, &chc) < 0 ||
			    hostcalls_identity(&chc, &cpid, NULL, NULL) < 0 ||
			    vmrpc_chan_index(cg.chan) == a)
				_exit(3);
			vmrpc_guest_detach(&cg);
		}
		_exit(0);
	}
	check(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	              WEXITSTATUS(status) == 0,
	      "a forked child neither inherits nor can map its parent's channel, and attaches "
	      "one of its own (%#x)",
	      status);
	err = hostcalls_identity(&hc, &pid, NULL, NULL);
	check(err == 0, "the parent's channel still serves it: %s", vmrpc_strerror(err));
	/* A sibling: the kernel claims it into CLAIMING, the library names
	 * its parent, hostd gives it to the same shadow. */
	{
		struct vmrpc_chan *sib = NULL;
		struct vmrpc_binding hs;
		int32_t spid = -1;

		err = vmrpc_chan_open_sibling(g.chan, 0, &sib);
		err = err < 0 ? err : hostcalls_bind(sib, &hs);
		err = err < 0 ? err : hostcalls_identity(&hs, &spid, NULL, NULL);
		check(err == 0 && spid == pid,
		      "a sibling through the driver (channel %d) is served by the same shadow "
		      "(pid %d, %d): %s",
		      sib ? (int)vmrpc_chan_index(sib) : -1, spid, pid, vmrpc_strerror(err));
		vmrpc_chan_close(sib);
	}
	/* The channel's file reports its vector to poll and read: after a
	 * host call that blocks 50 ms (the caller sleeps; the shadow raises
	 * the channel's vector), it is readable, and read returns the count. */
	{
		uint64_t count = 0;
		int fds[8], n = vmrpc_region_fds(g.region, fds, 8);

		err = vector_after_blocking_call(g.chan, n > 0 ? fds[n - 1] : -1, &count);
		check(err == 0,
		      "after a host call that slept, the channel's file polls readable and read "
		      "counts %llu wake-up(s): %s",
		      (unsigned long long)count, vmrpc_strerror(err));
	}
	/* The same on a sibling: its shadow thread raises the sibling's own
	 * vector (else the caller sleeps until its 100 ms liveness check) */
	{
		struct vmrpc_chan *sib = NULL;
		uint64_t count = 0;

		err = vmrpc_chan_open_sibling(g.chan, 0, &sib);
		err = err < 0 ? err : vector_after_blocking_call(sib, vmrpc_chan_poll_fd(sib), &count);
		check(err == 0,
		      "after a host call on a sibling that slept, the sibling's file polls readable "
		      "and read counts %llu wake-up(s): %s",
		      (unsigned long long)count, vmrpc_strerror(err));
		vmrpc_chan_close(sib);
	}
	vmrpc_guest_detach(&g);
	return checks_done();
}

static int attach_as(const char *region, uid_t uid, gid_t gid, const gid_t *groups, size_t n)
{
	struct vmrpc_binding hc;
	struct vmrpc_guest g;
	uint32_t huid;
	int32_t pid;
	int err;

	if (setgroups(n, groups) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return -errno;
	err = vmrpc_guest_attach(region, &g);
	if (err < 0)
		return err;
	err = hostcalls_bind(g.chan, &hc);
	for (int i = 0; i < 100 && err == 0; i++)
		err = hostcalls_identity(&hc, &pid, &huid, NULL);
	vmrpc_guest_detach(&g);
	return err;
}

/* In a child, so that the ids this drops stay dropped there. */
static int in_child_as(const char *region, uid_t uid, gid_t gid, const gid_t *groups, size_t n)
{
	int status = 0, err;
	pid_t pid = fork();

	if (pid == 0) {
		err = attach_as(region, uid, gid, groups, n);
		_exit(err == 0 ? 0 : err == -EACCES ? 13 : err == -EPERM ? 1 : 2);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status);
}

static int nonroot(const char *region, uid_t uid, gid_t gid, gid_t group)
{
	int fd, err, status = 0;
	pid_t pid;

	err = in_child_as(region, uid, gid, &group, 1);
	check(err == 0, "uid %u in group %u attaches to %s and makes 100 host calls (%d)", uid,
	      group, region, err);
	err = in_child_as(region, uid, gid, NULL, 0);
	check(err == 13, "uid %u in no group of the device is refused: EACCES (%d)", uid, err);
	pid = fork();
	if (pid == 0) {
		if (setgroups(1, &group) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
			_exit(2);
		fd = open("/dev/vmrpc0", O_RDWR | O_CLOEXEC);
		_exit(fd >= 0 && try_ioctl(fd, VMRPC_DEV_AGENT, NULL) == -EPERM ? 0 : 1);
	}
	check(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	              WEXITSTATUS(status) == 0,
	      "and cannot make its file the agent's: EPERM (%#x)", status);
	return checks_done();
}

#define EVENTS_N 3

static int events(const char *region)
{
	static const char *const secs[EVENTS_N] = { "1.5", "0.5", "1" };
	static const int expect[EVENTS_N] = { 1, 2, 0 }; /* by length */
	struct vmrpc_guest g[EVENTS_N - 1] = { { 0 } };
	struct vmrpc_chan *ch[EVENTS_N] = { NULL };
	struct vmrpc_binding b[EVENTS_N];
	struct vmrpc_outcall oc[EVENTS_N];
	struct epoll_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC), order[EVENTS_N], done = 0, err, fd;

	/* Every channel first, then the calls: opening a sibling takes hostd a
	 * round trip, which must not eat into the first call's sleep. */
	for (int i = 0; i < EVENTS_N; i++) {
		if (i < EVENTS_N - 1) {
			err = vmrpc_guest_attach(region, &g[i]);
			ch[i] = g[i].chan;
		} else {
			err = vmrpc_chan_open_sibling(ch[0], 5000, &ch[i]);
		}
		if (!check(err == 0, "channel %d: %s %s (%d)", i,
			   i < EVENTS_N - 1 ? "attach" : "a sibling of channel 0 on", region, err))
			return checks_done();
		fd = vmrpc_chan_poll_fd(ch[i]);
		if (!check(fd >= 0, "channel %d: a descriptor to poll (%d)", i, fd))
			return checks_done();
		ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = (uint32_t)i };
		check(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "channel %d: epoll takes it", i);
		if (hostproc_bind(ch[i], &b[i]) < 0)
			return check(0, "bind hostproc"), checks_done();
	}
	for (int i = 0; i < EVENTS_N; i++) {
		char *argv[] = { "sleep", (char *)secs[i] }, *packed;
		size_t len;
		struct hostproc_wait_args a = { 0 };
		int32_t pid;

		if (vmrpc_strv_pack(argv, 2, &packed, &len) < 0)
			return check(0, "pack argv"), checks_done();
		pid = hostproc_spawn(&b[i], "/bin/sleep", packed, (uint32_t)len, 2, NULL, 0, 0, "/",
				     -1, -1, -1);
		free(packed);
		if (!check(pid > 0, "channel %d: the host runs sleep %s (%d)", i, secs[i], pid))
			return checks_done();
		a.pid = pid;
		err = vmrpc_outcall_begin(&b[i], &oc[i]);
		if (err == 0) {
			memcpy(oc[i].args, &a, sizeof(a));
			err = vmrpc_outcall_start(&oc[i], HOSTPROC_METHOD_WAIT, sizeof(a));
		}
		check(err == 0, "channel %d: its waitpid started (%d)", i, err);
		check(vmrpc_outcall_ready(&oc[i]) == 0, "channel %d: and not answered yet", i);
	}
	while (done < EVENTS_N) {
		struct epoll_event evs[EVENTS_N];
		int n = epoll_wait(ep, evs, EVENTS_N, 20000);

		if (!check(n > 0, "an answer within 20 s (%d)", n))
			break;
		for (int k = 0; k < n; k++) {
			int i = (int)evs[k].data.u32, r = vmrpc_outcall_ready(&oc[i]);
			struct hostproc_wait_results res;
			int64_t st;

			if (r == 0)
				continue; /* not this call's answer after all: wait on */
			st = vmrpc_outcall_finish(&oc[i]);
			memcpy(&res, oc[i].results, sizeof(res));
			check(r == 1 && st > 0 && oc[i].res_len == sizeof(res) &&
				      WIFEXITED(res.status) && WEXITSTATUS(res.status) == 0,
			      "channel %d: sleep %s answered (ready %d, status %lld, exit %#x)", i,
			      secs[i], r, (long long)st, res.status);
			order[done++] = i;
			epoll_ctl(ep, EPOLL_CTL_DEL, vmrpc_chan_poll_fd(ch[i]), NULL);
		}
	}
	for (int k = 0; k < done; k++)
		check(order[k] == expect[k], "answer %d came from channel %d (expected %d)", k,
		      order[k], expect[k]);
	vmrpc_chan_close(ch[EVENTS_N - 1]);
	for (int i = 0; i < EVENTS_N - 1; i++)
		vmrpc_guest_detach(&g[i]);
	close(ep);
	return checks_done();
}

/* Without interrupts: no descriptor, said plainly. */
static int no_events(const char *region)
{
	struct vmrpc_guest g = { 0 };
	int err = vmrpc_guest_attach(region, &g);

	if (check(err == 0, "attach %s (%d)", region, err))
		check(vmrpc_chan_poll_fd(g.chan) == -EOPNOTSUPP,
		      "no descriptor to poll without interrupts: EOPNOTSUPP (%d)",
		      vmrpc_chan_poll_fd(g.chan));
	vmrpc_guest_detach(&g);
	return checks_done();
}

static int idle(const char *region)
{
	struct vmrpc_binding hc;
	struct vmrpc_guest g;
	char line[64];
	int32_t pid;
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	err = vmrpc_guest_attach(region, &g);
	err = err < 0 ? err : hostcalls_bind(g.chan, &hc);
	if (err < 0) {
		printf("idle: attach %s: %s\n", region, vmrpc_strerror(err));
		return 1;
	}
	printf("attached %u\n", vmrpc_chan_index(g.chan));
	while (fgets(line, sizeof(line), stdin)) {
		err = hostcalls_identity(&hc, &pid, NULL, NULL);
		printf("call: %s\n", err == 0 ? "ok" : vmrpc_strerror(err));
	}
	vmrpc_guest_detach(&g);
	printf("detached\n");
	return 0;
}

/* ---- a corrupt region ------------------------------------------------ */

#define SYSFS_PCI "/sys/bus/pci/devices/"
#define SYSFS_DRV "/sys/bus/pci/drivers/vmrpc/"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static int is_bound(const char *bdf)
{
	char path[256];

	snprintf(path, sizeof(path), SYSFS_PCI "%s/vmrpc", bdf);
	return access(path, F_OK) == 0;
}

/* The /dev node vmrpc.ko made for bdf. */
static int dev_node(const char *bdf, char *buf, size_t size)
{
	char path[256];
	struct dirent *d;
	DIR *dir;
	int err = -ENODEV;

	snprintf(path, sizeof(path), SYSFS_PCI "%s/vmrpc", bdf);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir)))
		if (!strncmp(d->d_name, "vmrpc", 5)) {
			snprintf(buf, size, "/dev/%.32s", d->d_name);
			err = 0;
			break;
		}
	closedir(dir);
	return err;
}

/* Unbind bdf, store val into the 32- or 64-bit header field at off, bind
 * again; the field is restored after. 1 when the driver refused to bind. */
static int bind_with(const char *bdf, volatile uint8_t *shm, size_t off, int wide, uint64_t val)
{
	uint64_t old64 = 0;
	uint32_t old32 = 0;
	int bound;

	(void)write_str(SYSFS_DRV "unbind", bdf);
	if (wide) {
		old64 = *(volatile uint64_t *)(shm + off);
		*(volatile uint64_t *)(shm + off) = val;
	} else {
		old32 = *(volatile uint32_t *)(shm + off);
		*(volatile uint32_t *)(shm + off) = (uint32_t)val;
	}
	(void)write_str(SYSFS_DRV "bind", bdf); /* fails when the probe does */
	bound = is_bound(bdf);
	(void)write_str(SYSFS_DRV "unbind", bdf);
	if (wide)
		*(volatile uint64_t *)(shm + off) = old64;
	else
		*(volatile uint32_t *)(shm + off) = old32;
	return !bound;
}

static int corrupt(const char *bdf)
{
	char path[256], node[64];
	struct vmrpc_region_hdr *h;
	struct vmrpc_dev_claim claim = {0};
	struct stat st;
	volatile uint32_t *state = NULL;
	uint32_t n, cs, k;
	uint8_t *shm;
	int fd, dev;

	snprintf(path, sizeof(path), SYSFS_PCI "%s/resource2", bdf);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (!check(fd >= 0 && fstat(fd, &st) == 0, "open %s: %s", path, strerror(errno)))
		return checks_done();
	shm = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!check(shm != MAP_FAILED, "mmap it read-write: %s", strerror(errno)))
		return checks_done();
	h = (struct vmrpc_region_hdr *)shm;
	n = h->n_channels;
	cs = h->chan_size;
	if (!check(is_bound(bdf) && dev_node(bdf, node, sizeof(node)) == 0 && n >= 2 &&
	                   n <= VMRPC_CHAN_MAX &&
	                   (uint64_t)VMRPC_HDR_SIZE + (uint64_t)n * cs <= (uint64_t)st.st_size,
	           "vmrpc.ko drives %s (%s), %u channels", bdf, node, n))
		return checks_done();

	/* The highest FREE channel gets a state no caller may claim. */
	for (k = n; k-- > 0;) {
		state = &((struct vmrpc_chan_ctl *)(shm + VMRPC_HDR_SIZE + (size_t)k * cs))->state;
		if (__atomic_compare_exchange_n(state, &(uint32_t){VMRPC_CHAN_FREE}, 0xdeadbeefu, 0,
		                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			break;
	}
	if (!check(k < n, "a free channel to corrupt"))
		return checks_done();
	{
		int fds[VMRPC_CHAN_MAX], m = 0, got_k = 0, err = 0;

		/* Claim every channel there is: never k. */
		while (m < (int)n && (fds[m] = open(node, O_RDWR | O_CLOEXEC)) >= 0) {
			err = try_ioctl(fds[m], VMRPC_DEV_CLAIM, &claim);
			m++;
			if (err < 0)
				break;
			got_k |= claim.index == k;
		}
		check(!got_k && err == -ENOSPC,
		      "a channel whose state holds 0xdeadbeef is never claimed (%d claims, then "
		      "%s)",
		      m - 1, strerror(-err));
		for (int i = 0; i < m; i++)
			close(fds[i]);
	}
	*state = VMRPC_CHAN_FREE;

	/* Garbage under a held channel: closing leaves it, and rings nothing. */
	dev = open(node, O_RDWR | O_CLOEXEC);
	if (check(dev >= 0 && try_ioctl(dev, VMRPC_DEV_CLAIM, &claim) == 0 && claim.index < n,
	          "claim a channel")) {
		state = &((struct vmrpc_chan_ctl *)(shm + VMRPC_HDR_SIZE +
		                                    (size_t)claim.index * cs))
		                 ->state;
		*state = 0x7777u;
		close(dev);
		check(*state == 0x7777u,
		      "a garbage state under a held channel is left alone on close (%#x)", *state);
		*state = VMRPC_CHAN_FREE;
	}

	/* A bad header is never bound. */
#define HDR(f) offsetof(struct vmrpc_region_hdr, f)
	check(bind_with(bdf, shm, HDR(magic), 1, VMRPC_MAGIC ^ 1), "a bad magic is not bound");
	check(bind_with(bdf, shm, HDR(abi_version), 0, VMRPC_ABI_VERSION + 1),
	      "nor another ABI version");
	check(bind_with(bdf, shm, HDR(hdr_size), 0, 64), "nor a header of another size");
	check(bind_with(bdf, shm, HDR(chan_off), 0, 0), "nor channels inside the header");
	check(bind_with(bdf, shm, HDR(region_size), 1, (uint64_t)st.st_size * 2),
	      "nor a region larger than the BAR");
	check(bind_with(bdf, shm, HDR(n_channels), 0, 0), "nor zero channels");
	check(bind_with(bdf, shm, HDR(n_channels), 0, 0xffffffffu), "nor 2^32-1 channels");
	check(bind_with(bdf, shm, HDR(n_channels), 0,
	                (uint32_t)(((uint64_t)st.st_size - VMRPC_HDR_SIZE) / cs + 1)),
	      "nor more channels than the BAR holds");
	check(bind_with(bdf, shm, HDR(chan_size), 0, 1), "nor channels of 1 byte");
	check(bind_with(bdf, shm, HDR(chan_size), 0, cs + 1), "nor channels not page-sized");
	check(bind_with(bdf, shm, HDR(chan_size), 0, 0x80000000u),
	      "nor channels of 2 GiB (n * size overflows 32 bits)");
#undef HDR
	(void)write_str(SYSFS_DRV "bind", bdf);
	check(is_bound(bdf), "the intact header is bound again");
	munmap(shm, (size_t)st.st_size);
	close(fd);
	return checks_done();
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t mean(const uint64_t *v, size_t n)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return n ? sum / n : 0;
}

static uint64_t p50(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

#define BENCH_BLOCKS 200
#define BENCH_BLOCK_NS (10u * 1000 * 1000)

/* With bench/vm.sh's benchnull_service.so: host calls that sleep 10 ms
 * on the host and say how long they slept there; the caller's total less
 * that is how late the reply reached the caller (the guest's clock under
 * TCG follows the host's). Called through the dynamic path: the guest has
 * no stubs of benchnull.idl. */
static void bench_reply_delay(struct vmrpc_chan *ch, uint64_t *t)
{
	struct vmrpc_value ns = VMRPC_VAL_U64(BENCH_BLOCK_NS);
	struct vmrpc_dyn *bn;
	int64_t slept = 0;
	int m, n = 0;

	if (vmrpc_dyn_bind(ch, "benchnull", &bn) < 0)
		return;
	m = vmrpc_dyn_method(bn, "block");
	for (int i = 0; m >= 0 && i < BENCH_BLOCKS; i++) {
		uint64_t t0 = now_ns(), total;

		slept = vmrpc_dyn_call(bn, (uint32_t)m, &ns, 1, NULL);
		total = now_ns() - t0;
		if (slept > 0 && total > (uint64_t)slept)
			t[n++] = total - (uint64_t)slept;
	}
	if (n)
		printf("; a host call that sleeps 10 ms on the host: reply delay p50 %.0f us, "
		       "mean %.0f us (%d of %d)",
		       p50(t, (size_t)n) / 1000.0, mean(t, (size_t)n) / 1000.0, n, BENCH_BLOCKS);
	vmrpc_dyn_free(bn);
}

/* What a sleep and a wake-up cost inside this guest, with no vmrpc in
 * them: a pipe ping-pong between two guest processes, per one-way wake.
 * Under TCG the guest kernel's interrupt, wake-up and switch paths are
 * emulated; this is the yardstick for the reply delay above. */
static void bench_guest_wake(uint64_t *t)
{
	int ab[2], ba[2], n = 0;
	char byte = 0;
	pid_t pid;

	if (pipe(ab) < 0 || pipe(ba) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		close(ab[1]); /* so that the parent's close ends the loop */
		close(ba[0]);
		while (read(ab[0], &byte, 1) == 1 && write(ba[1], &byte, 1) == 1)
			;
		_exit(0);
	}
	close(ab[0]);
	close(ba[1]);
	for (int i = 0; pid > 0 && i < BENCH_BLOCKS; i++) {
		uint64_t t0 = now_ns();

		if (write(ab[1], &byte, 1) != 1 || read(ba[0], &byte, 1) != 1)
			break;
		t[n++] = (now_ns() - t0) / 2;
		usleep(1000); /* let both sleep for real, as a blocked caller does */
	}
	close(ab[1]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	close(ba[0]);
	if (n)
		printf("; a wake-up inside the guest (pipe ping-pong, one way) p50 %.0f us (%d)",
		       p50(t, (size_t)n) / 1000.0, n);
}

static int bench(const char *region, int calls)
{
	struct vmrpc_binding hc, hn;
	struct vmrpc_guest g;
	struct timeval tv = {.tv_sec = 0, .tv_usec = BENCH_BLOCK_NS / 1000};
	uint64_t *t = calloc((size_t)(calls > BENCH_BLOCKS ? calls : BENCH_BLOCKS), sizeof(*t));
	uint64_t t0, null_p50, block_p50, block_mean;
	char byte;
	int32_t pid, sock;
	int err, n = 0;

	err = t ? vmrpc_guest_attach(region, &g) : -ENOMEM;
	err = err < 0 ? err : hostcalls_bind(g.chan, &hc);
	err = err < 0 ? err : hostnet_bind(g.chan, &hn);
	if (err < 0) {
		printf("bench: attach %s: %s\n", region, vmrpc_strerror(err));
		return 1;
	}
	for (int i = 0; i < calls && err == 0; i++) {
		t0 = now_ns();
		err = hostcalls_identity(&hc, &pid, NULL, NULL);
		t[i] = now_ns() - t0;
	}
	null_p50 = p50(t, (size_t)calls);
	sock = hostnet_socket(&hn, AF_UNIX, SOCK_DGRAM, 0);
	if (sock < 0 ||
	    hostnet_setsockopt(&hn, sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		printf("bench: a host socket with a 10 ms receive timeout: %s\n",
		       vmrpc_strerror(sock < 0 ? sock : -EINVAL));
		return 1;
	}
	for (int i = 0; i < BENCH_BLOCKS; i++) {
		t0 = now_ns();
		err = (int)hostnet_recv(&hn, sock, &byte, 1, 0);
		t[n] = now_ns() - t0;
		if (err == -EAGAIN)
			n++;
	}
	block_mean = mean(t, (size_t)n);
	block_p50 = n ? p50(t, (size_t)n) : 0;
	/* The host's timer rounds SO_RCVTIMEO up to its jiffies: compare with
	 * native_block's figure on the host, not with 10 ms. */
	printf("bench %s: null call p50 %.1f us (%d calls); a host call blocked by a 10 ms "
	       "SO_RCVTIMEO p50 %.0f us, mean %.0f us (%d of %d)",
	       region, null_p50 / 1000.0, calls, block_p50 / 1000.0, block_mean / 1000.0, n,
	       BENCH_BLOCKS);
	bench_reply_delay(g.chan, t);
	bench_guest_wake(t);
	printf("\n");
	vmrpc_guest_detach(&g);
	free(t);
	return 0;
}

/* The same 10 ms receive timeout, natively: what the host call's block
 * costs on the host itself (bench/vm.sh runs it there). */
static int native_block(void)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = BENCH_BLOCK_NS / 1000};
	uint64_t t[BENCH_BLOCKS], t0;
	char byte;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return 1;
	for (int i = 0; i < BENCH_BLOCKS; i++) {
		t0 = now_ns();
		(void)recv(fd, &byte, 1, 0);
		t[i] = now_ns() - t0;
	}
	printf("native: a 10 ms SO_RCVTIMEO p50 %.0f us", p50(t, BENCH_BLOCKS) / 1000.0);
	printf(", mean %.0f us (%d)\n", mean(t, BENCH_BLOCKS) / 1000.0, BENCH_BLOCKS);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "isolate"))
		return isolate(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "nonroot"))
		return nonroot(argv[2], (uid_t)strtoul(argv[3], NULL, 10),
		               (gid_t)strtoul(argv[4], NULL, 10),
		               (gid_t)strtoul(argv[5], NULL, 10));
	if (argc == 3 && !strcmp(argv[1], "idle"))
		return idle(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "native-block"))
		return native_block();
	if (argc == 3 && !strcmp(argv[1], "events"))
		return events(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "no-events"))
		return no_events(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "corrupt"))
		return corrupt(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "bench"))
		return bench(argv[2], atoi(argv[3]) > 0 ? atoi(argv[3]) : 1000);
	fprintf(stderr, "usage: vmrpc-vm-driver isolate DEV | nonroot REGION UID GID GROUP | "
	                "idle REGION | events REGION | no-events REGION | corrupt BDF | "
	                "bench REGION CALLS | native-block\n");
	return 2;
}
