/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-vm-guest: host calls from inside a real guest, over an ivshmem
 * device, checked one by one. test/vm/run.sh puts it in the initramfs and
 * runs it in the guest, once per device:
 *
 *   vmrpc-vm-guest REGION HOSTDIR UID GID
 *
 * REGION is "pci:BDF"; HOSTDIR is a host directory the VM's shadows can
 * read, holding hello.txt ("hello from the host\n") and directories d0..d2
 * with a same.txt each ("d0\n", ...); UID and GID are the host user the
 * VM's shadows run as. Prints "ok N - what" or "not ok N - what" per check
 * (TAP), and exits 1 if any failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest_checks.h"
#include "hostcalls_caller.h"
#include "vmrpc/guest.h"

#define N_CALLERS 3
#define N_QUICK_CALLS 2000

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	nanosleep(&ts, NULL);
}

/* Read a whole (small) host file through host calls. */
static int64_t host_read(const struct vmrpc_binding *hc, const char *path, char *buf,
			 size_t size)
{
	int32_t fd = hostcalls_open(hc, path, O_RDONLY, 0);
	int64_t n;

	if (fd < 0)
		return fd;
	memset(buf, 0, size);
	n = hostcalls_read(hc, fd, buf, size - 1);
	hostcalls_close(hc, fd);
	return n;
}

/* One guest process per directory: each chdirs its own shadow, all read
 * the same relative name at once, and each must get its own directory's
 * file. The guest's processes share one VM, but not one host context. */
static void test_per_caller_cwd(const char *region, const char *hostdir)
{
	int ready[2], go[2], ok = 1;
	pid_t pid[N_CALLERS];
	char byte;

	if (pipe(ready) < 0 || pipe(go) < 0) {
		check(0, "pipes for the per-caller cwd test: %s", strerror(errno));
		return;
	}
	for (int k = 0; k < N_CALLERS; k++) {
		pid[k] = fork();
		if (pid[k] == 0) {
			struct vmrpc_binding hc;
			struct vmrpc_guest g;
			char dir[512], want[8], got[64];

			close(ready[0]);
			close(go[1]);
			snprintf(dir, sizeof(dir), "%s/d%d", hostdir, k);
			snprintf(want, sizeof(want), "d%d\n", k);
			if (vmrpc_guest_attach(region, &g) < 0 || hostcalls_bind(g.chan, &hc) < 0 ||
			    hostcalls_chdir(&hc, dir) < 0)
				_exit(2);
			if (write(ready[1], "r", 1) != 1 || read(go[0], &byte, 1) != 0)
				_exit(3); /* go: the parent closes the pipe */
			if (host_read(&hc, "same.txt", got, sizeof(got)) < 0 || strcmp(got, want))
				_exit(4);
			vmrpc_guest_detach(&g);
			_exit(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (int k = 0; k < N_CALLERS; k++)
		if (read(ready[0], &byte, 1) != 1)
			ok = 0;
	close(go[1]); /* all at once */
	for (int k = 0; k < N_CALLERS; k++) {
		int status = 0;

		if (pid[k] < 0 || waitpid(pid[k], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			printf("# caller %d: status %#x\n", k, status);
			ok = 0;
		}
	}
	close(ready[0]);
	check(ok, "%d guest callers each read same.txt in their own host cwd", N_CALLERS);
}

int main(int argc, char **argv)
{
	const char *region, *hostdir;
	struct vmrpc_binding hc;
	struct vmrpc_guest g;
	char buf[512], path[512], cwd[4096];
	uint32_t uid, gid, want_uid, want_gid;
	int32_t pid, fd;
	int64_t r;
	int err, ok;

	if (argc != 5) {
		fprintf(stderr, "usage: vmrpc-vm-guest REGION HOSTDIR UID GID\n");
		return 2;
	}
	region = argv[1];
	hostdir = argv[2];
	want_uid = (uint32_t)strtoul(argv[3], NULL, 10);
	want_gid = (uint32_t)strtoul(argv[4], NULL, 10);

	err = vmrpc_guest_attach(region, &g);
	if (!check(err == 0, "attach %s: %s", region, vmrpc_strerror(err)))
		return 1;
	/* hostd numbers QEMU peers from 1; ivshmem-plain has no peers: 0 */
	check(vmrpc_region_ivshmem_peer(g.region) >= 0, "the device says we are ivshmem peer %d",
	      vmrpc_region_ivshmem_peer(g.region));
	err = hostcalls_bind(g.chan, &hc);
	if (!check(err == 0, "bind hostcalls: %s", vmrpc_strerror(err)))
		return 1;

	r = hostcalls_identity(&hc, &pid, &uid, &gid);
	check(r == 0 && pid > 0 && uid == want_uid && gid == want_gid,
	      "identity: shadow pid %d runs as %u:%u (want %u:%u)", pid, uid, gid, want_uid,
	      want_gid);
	r = hostcalls_getcwd(&hc, cwd, sizeof(cwd));
	check(r == 0 && !strcmp(cwd, "/"), "getcwd: a new shadow starts in '%s'", cwd);

	snprintf(path, sizeof(path), "%s/hello.txt", hostdir);
	r = host_read(&hc, path, buf, sizeof(buf));
	check(r == 20 && !strcmp(buf, "hello from the host\n"), "read a host file: %lld bytes",
	      (long long)r);

	r = hostcalls_chdir(&hc, hostdir);
	check(r == 0, "chdir %s: %s", hostdir, vmrpc_strerror((int)r));
	r = hostcalls_getcwd(&hc, cwd, sizeof(cwd));
	check(r == 0 && !strcmp(cwd, hostdir), "getcwd after chdir: '%s'", cwd);
	r = host_read(&hc, "hello.txt", buf, sizeof(buf));
	check(r == 20, "a relative path resolves in the shadow's cwd: %lld bytes",
	      (long long)r);

	fd = hostcalls_open(&hc, "from-guest.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	r = fd < 0 ? fd : hostcalls_write(&hc, fd, "written by the guest\n", 21);
	check(fd >= 0 && r == 21, "write a host file: %s", vmrpc_strerror((int)r));
	check(fd < 0 || hostcalls_close(&hc, fd) == 0, "close it");

	r = hostcalls_open(&hc, "no-such-file", O_RDONLY, 0);
	check(r == -ENOENT, "a missing host file is -ENOENT: %s", vmrpc_strerror((int)r));
	r = hostcalls_close(&hc, 12345);
	check(r == -EBADF, "closing a bad host fd is -EBADF: %s", vmrpc_strerror((int)r));

	/* Calls back to back (both sides spinning), then calls after a pause
	 * long enough that the shadow gave up spinning and sleeps: only the
	 * Doorbell (or, on ivshmem-plain, its polling) gets it back. */
	ok = 1;
	for (int i = 0; i < N_QUICK_CALLS && ok; i++)
		ok = hostcalls_identity(&hc, &pid, NULL, NULL) == 0;
	check(ok, "%d calls back to back", N_QUICK_CALLS);
	ok = 1;
	for (int i = 0; i < 5 && ok; i++) {
		sleep_ms(200);
		ok = hostcalls_getcwd(&hc, cwd, sizeof(cwd)) == 0 && !strcmp(cwd, hostdir);
	}
	check(ok, "calls to a sleeping shadow wake it");

	vmrpc_guest_detach(&g);
	err = vmrpc_guest_attach(region, &g);
	r = err < 0 ? err : hostcalls_bind(g.chan, &hc);
	if (r == 0)
		r = hostcalls_getcwd(&hc, cwd, sizeof(cwd));
	check(r == 0 && !strcmp(cwd, "/"), "detach and attach again: a new shadow, cwd '%s'",
	      cwd);
	vmrpc_guest_detach(&g);

	test_per_caller_cwd(region, hostdir);

	return checks_done();
}
