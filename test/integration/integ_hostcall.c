/* SPDX-License-Identifier: MIT */
/*
 * The host-call library (include/vmrpc/hostcall.h) against the real hostd
 * and shadows: transfers split at and around the arena size, zero-copy
 * host buffers, readv/writev, host programs and pipes, sockets, bad input
 * answered with errors, extended attributes, flock and fallocate, and the
 * guest-fork protocol when a parent, a child or the forked shadow dies;
 * and, through the shim, exec keeping host
 * descriptors except close-on-exec ones. The host is this machine
 * (loopback), so every result is checked against the file system itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "harness.h"
#include "hostcalls_caller.h"
#include "hostfs_caller.h"
#include "hostnet_caller.h"
#include "hostproc_caller.h"
#include "vmrpc/hostcall.h"

static void start_hostd(struct itest_hostd *h)
{
	itest_hostd_start(h, "--channels", "8", (char *)NULL);
}

static struct vmrpc_host *attach(void)
{
	struct vmrpc_host *host = NULL;

	itest_assert_err(vmrpc_host_attach(NULL, &host), 0);
	return host;
}

static uint8_t *random_bytes(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)itest_rand();
	return p;
}

static int32_t host_create(struct vmrpc_host *host, const char *path)
{
	int32_t fd = hostfs_openat(&host->fs, AT_FDCWD, path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 3);
	return fd;
}

/* What the file holds, read natively: it must be want. */
static void assert_file(const char *path, const void *want, size_t n)
{
	size_t len;
	char *got = itest_read_file(path, &len);

	assert_int_equal(len, n);
	assert_memory_equal(got, want, n);
	free(got);
}

static void test_split_and_zero_copy(void **state)
{
	struct itest_hostd h;
	struct vmrpc_host *host;
	char path[PATH_MAX];
	uint64_t c;
	void *hb, *hb2, *keep;

	(void)state;
	snprintf(path, sizeof(path), "%s/split.bin", itest_dir());
	start_hostd(&h);
	host = attach();
	c = host->chunk;
	assert_true(c >= 4096);
	/* At, below, above one arena-full, and several with a remainder. */
	const size_t sizes[] = { 1, (size_t)c - 1, (size_t)c, (size_t)c + 1, 3 * (size_t)c + 5 };
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		uint8_t *data = random_bytes(n), *back = malloc(n + 64);
		int32_t fd = host_create(host, path);

		assert_int_equal(vmrpc_host_write(host, fd, data, n), (int64_t)n);
		assert_file(path, data, n);
		memset(back, 0xa5, n + 64);
		/* more than the file: the short read ends the loop */
		assert_int_equal(vmrpc_host_pread(host, fd, back, n + 64, 0), (int64_t)n);
		assert_memory_equal(back, data, n);
		assert_int_equal(back[n], 0xa5);
		assert_int_equal(vmrpc_host_read(host, fd, back, n), 0); /* at end of file */
		itest_assert_err(hostfs_close(&host->fs, fd), 0);
		free(data);
		free(back);
	}
	itest_assert_err(vmrpc_host_pread(host, 3, path, 1, -1), -EINVAL);

	/* A kept buffer takes half the arena: a transfer of two arena-fulls
	 * still works (the pieces get smaller). */
	{
		size_t n = 2 * (size_t)c;
		uint8_t *data = random_bytes(n);
		int32_t fd = host_create(host, path);

		itest_assert_err(vmrpc_host_buf_alloc(host, (size_t)c / 2, &keep), 0);
		assert_int_equal(vmrpc_host_pwrite(host, fd, data, n, 0), (int64_t)n);
		assert_file(path, data, n);
		vmrpc_host_buf_free(host, keep);
		hostfs_close(&host->fs, fd);
		free(data);
	}

	/* Zero-copy: host buffers in the arena, used in place both ways. */
	{
		const size_t n = 64 << 10;
		uint8_t *data = random_bytes(n);
		int32_t fd = host_create(host, path);

		itest_assert_err(vmrpc_host_buf_alloc(host, n, &hb), 0);
		itest_assert_err(vmrpc_host_buf_alloc(host, n, &hb2), 0);
		assert_ptr_not_equal(hb, hb2);
		memcpy(hb, data, n);
		assert_int_equal(vmrpc_host_pwrite(host, fd, hb, n, 0), (int64_t)n);
		assert_file(path, data, n);
		assert_int_equal(vmrpc_host_pread(host, fd, hb2, n, 0), (int64_t)n);
		assert_memory_equal(hb2, data, n);
		vmrpc_host_buf_free(host, hb);
		vmrpc_host_buf_free(host, hb2);
		/* larger than the arena: refused, nothing allocated */
		itest_assert_err(vmrpc_host_buf_alloc(host, 64u << 20, &hb), -EINVAL);
		hostfs_close(&host->fs, fd);
		free(data);
	}
	vmrpc_host_detach(host);
	itest_hostd_stop(&h);
}

static void test_vectors(void **state)
{
	struct itest_hostd h;
	struct vmrpc_host *host;
	char path[PATH_MAX];
	uint8_t *data, *back;
	size_t len[3], total;
	struct iovec iov[3];
	int32_t fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/vec.bin", itest_dir());
	start_hostd(&h);
	host = attach();
	/* The middle piece straddles an arena-full. */
	len[0] = 10;
	len[1] = (size_t)host->chunk + 3;
	len[2] = 7;
	total = len[0] + len[1] + len[2];
	data = random_bytes(total);
	back = malloc(total);
	fd = host_create(host, path);
	for (size_t i = 0, at = 0; i < 3; at += len[i], i++)
		iov[i] = (struct iovec){ data + at, len[i] };
	assert_int_equal(vmrpc_host_writev(host, fd, iov, 3), (int64_t)total);
	assert_file(path, data, total);
	/* read back in other pieces */
	len[0] = 1;
	len[1] = total / 2;
	len[2] = total - 1 - total / 2;
	for (size_t i = 0, at = 0; i < 3; at += len[i], i++)
		iov[i] = (struct iovec){ back + at, len[i] };
	assert_int_equal(hostfs_lseek(&host->fs, fd, 0, SEEK_SET), 0);
	assert_int_equal(vmrpc_host_readv(host, fd, iov, 3), (int64_t)total);
	assert_memory_equal(back, data, total);
	/* bad vectors */
	itest_assert_err(vmrpc_host_readv(host, fd, iov, -1), -EINVAL);
	itest_assert_err(vmrpc_host_writev(host, fd, iov, 100000), -EINVAL);
	assert_int_equal(vmrpc_host_readv(host, fd, iov, 0), 0);
	hostfs_close(&host->fs, fd);
	free(data);
	free(back);
	vmrpc_host_detach(host);
	itest_hostd_stop(&h);
}

/* argv strings packed as hostproc.spawn wants them. */
static int32_t spawn(struct vmrpc_host *host, const char *const *argv, int32_t in, int32_t out)
{
	char packed[1024];
	uint32_t len = 0, argc = 0;

	for (; argv[argc]; argc++) {
		size_t l = strlen(argv[argc]) + 1;
		memcpy(packed + len, argv[argc], l);
		len += (uint32_t)l;
	}
	return hostproc_spawn(&host->proc, argv[0], packed, len, argc, "PATH=/usr/bin:/bin", 19,
			      1, "", in, out, -1);
}

static void test_processes(void **state)
{
	struct itest_hostd h;
	struct vmrpc_host *host;
	int32_t in_r, in_w, out_r, out_w, pid, st, p2, self;
	uint32_t uid, gid;
	char buf[64];

	(void)state;
	start_hostd(&h);
	host = attach();
	/* cat between two host pipes */
	itest_assert_err(hostproc_pipe(&host->proc, 0, &in_r, &in_w), 0);
	itest_assert_err(hostproc_pipe(&host->proc, 0, &out_r, &out_w), 0);
	{
		const char *argv[] = { "cat", NULL };
		pid = spawn(host, argv, in_r, out_w);
	}
	assert_true(pid > 0);
	hostfs_close(&host->fs, in_r);
	hostfs_close(&host->fs, out_w);
	assert_int_equal(vmrpc_host_write(host, in_w, "hello host\n", 11), 11);
	hostfs_close(&host->fs, in_w);
	assert_int_equal(vmrpc_host_read(host, out_r, buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "hello host\n", 11);
	assert_int_equal(vmrpc_host_read(host, out_r, buf, sizeof(buf)), 0);
	hostfs_close(&host->fs, out_r);
	assert_int_equal(hostproc_wait(&host->proc, pid, 0, &st), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* reaped: no second wait, no kill */
	itest_assert_err(hostproc_wait(&host->proc, pid, 0, &st), -ECHILD);
	itest_assert_err(hostproc_kill(&host->proc, pid, SIGTERM), -ESRCH);

	/* kill, WNOHANG */
	{
		const char *argv[] = { "sleep", "60", NULL };
		pid = spawn(host, argv, -1, -1);
	}
	assert_true(pid > 0);
	assert_int_equal(hostproc_wait(&host->proc, pid, WNOHANG, &st), 0);
	itest_assert_err(hostproc_kill(&host->proc, pid, 12345), -EINVAL);
	itest_assert_err(hostproc_kill(&host->proc, pid, SIGKILL), 0);
	assert_int_equal(hostproc_wait(&host->proc, pid, 0, &st), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	/* A spawned program gets SIGPIPE at its default action although the
	 * shadow ignores it (regression: yes wrote into a closed pipe forever
	 * with EPIPE, or exited 1). */
	itest_assert_err(hostproc_pipe(&host->proc, 0, &out_r, &out_w), 0);
	{
		const char *argv[] = { "yes", NULL };
		pid = spawn(host, argv, -1, out_w);
	}
	assert_true(pid > 0);
	hostfs_close(&host->fs, out_w);
	hostfs_close(&host->fs, out_r);
	assert_int_equal(hostproc_wait(&host->proc, pid, 0, &st), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE);
	/* The shadow itself meets EPIPE, and lives. */
	itest_assert_err(hostproc_pipe(&host->proc, 0, &out_r, &out_w), 0);
	hostfs_close(&host->fs, out_r);
	itest_assert_err(vmrpc_host_write(host, out_w, "x", 1), -EPIPE);
	hostfs_close(&host->fs, out_w);
	itest_assert_err(hostcalls_identity(&host->calls, &self, &uid, &gid), 0);

	/* Errors: no such program, other processes, bad stdio, bad argv. */
	{
		const char *argv[] = { "/no/such/program", NULL };
		itest_assert_err(spawn(host, argv, -1, -1), -ENOENT);
	}
	itest_assert_err(hostproc_wait(&host->proc, 1, 0, &st), -ECHILD);
	itest_assert_err(hostproc_wait(&host->proc, self, 0, &st), -ECHILD);
	itest_assert_err(hostproc_kill(&host->proc, 1, 0), -ESRCH);
	itest_assert_err(hostproc_kill(&host->proc, getppid(), SIGKILL), -ESRCH);
	{
		const char *argv[] = { "true", NULL };
		itest_assert_err(spawn(host, argv, 2, -1), -EBADF);     /* hostd's log */
		itest_assert_err(spawn(host, argv, 999, -1), -EBADF);
	}
	itest_assert_err(hostproc_spawn(&host->proc, "true", "true", 5, 2, "", 0, 0, "", -1, -1, -1),
			 -EINVAL); /* argc says 2, one string */
	itest_assert_err(hostproc_spawn(&host->proc, "true", "true", 4, 1, "", 0, 0, "", -1, -1, -1),
			 -EINVAL); /* not terminated */
	itest_assert_err(hostproc_spawn(&host->proc, "true", "", 0, 0, "", 0, 0, "", -1, -1, -1),
			 -EINVAL); /* no argv[0] */
	itest_assert_err(hostproc_pipe(&host->proc, O_APPEND, &p2, &p2), -EINVAL);
	vmrpc_host_detach(host);
	itest_hostd_stop(&h);
}

static void test_sockets(void **state)
{
	struct itest_hostd h;
	struct vmrpc_host *host;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in got;
	struct hostnet_addrinfo ai[8];
	uint32_t alen, olen;
	int32_t ls, cs, as, one = 1, val = 0, r;
	char buf[16];

	(void)state;
	start_hostd(&h);
	host = attach();
	ls = hostnet_socket(&host->net, AF_INET, SOCK_STREAM, 0);
	assert_true(ls >= 3);
	itest_assert_err(hostnet_setsockopt(&host->net, ls, SOL_SOCKET, SO_REUSEADDR, &one, 4), 0);
	itest_assert_err(hostnet_getsockopt(&host->net, ls, SOL_SOCKET, SO_REUSEADDR, &val,
					    sizeof(val), &olen), 0);
	assert_int_equal(olen, 4);
	assert_int_equal(val, 1);
	itest_assert_err(hostnet_bind_addr(&host->net, ls, &a, sizeof(a)), 0);
	itest_assert_err(hostnet_listen(&host->net, ls, 4), 0);
	itest_assert_err(hostnet_getsockname(&host->net, ls, &got, sizeof(got), &alen), 0);
	assert_int_equal(alen, sizeof(got));
	assert_int_equal(got.sin_family, AF_INET);
	assert_int_not_equal(got.sin_port, 0);
	a.sin_port = got.sin_port;

	cs = hostnet_socket(&host->net, AF_INET, SOCK_STREAM, 0);
	assert_true(cs >= 3);
	itest_assert_err(hostnet_connect(&host->net, cs, &a, sizeof(a)), 0);
	memset(&got, 0, sizeof(got));
	as = hostnet_accept(&host->net, ls, &got, sizeof(got), &alen, 0);
	assert_true(as >= 3);
	assert_int_equal(got.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(hostnet_send(&host->net, cs, "ping", 4, 0), 4);
	assert_int_equal(hostnet_recv(&host->net, as, buf, sizeof(buf), 0), 4);
	assert_memory_equal(buf, "ping", 4);
	/* hostfs.write and read work on sockets too */
	assert_int_equal(vmrpc_host_write(host, as, "pong", 4), 4);
	assert_int_equal(vmrpc_host_read(host, cs, buf, 4), 4);
	assert_memory_equal(buf, "pong", 4);
	itest_assert_err(hostnet_getpeername(&host->net, cs, &got, sizeof(got), &alen), 0);
	assert_int_equal(got.sin_port, a.sin_port);
	itest_assert_err(hostnet_shutdown(&host->net, cs, SHUT_WR), 0);
	assert_int_equal(hostnet_recv(&host->net, as, buf, sizeof(buf), 0), 0);
	/* bad input */
	{
		int32_t fresh = hostnet_socket(&host->net, AF_INET, SOCK_STREAM, 0);
		itest_assert_err(hostnet_connect(&host->net, fresh, &a, 3), -EINVAL);
		hostfs_close(&host->fs, fresh);
	}
	itest_assert_err(hostnet_send(&host->net, 2, "x", 1, 0), -EBADF);
	itest_assert_err(hostnet_setsockopt(&host->net, ls, SOL_SOCKET, SO_REUSEADDR, buf, 0),
			 -EINVAL);
	for (int32_t fd = as; fd >= ls; fd--)
		if (fd == as || fd == cs || fd == ls)
			itest_assert_err(hostfs_close(&host->fs, fd), 0);

	/* resolve */
	r = hostnet_resolve(&host->net, "localhost", "80", AF_INET, SOCK_STREAM, 0, ai,
			    sizeof(ai));
	assert_true(r >= (int32_t)sizeof(ai[0]));
	assert_int_equal(r % (int32_t)sizeof(ai[0]), 0);
	assert_int_equal(ai[0].family, AF_INET);
	memcpy(&got, ai[0].addr, sizeof(got));
	assert_int_equal(got.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(ntohs(got.sin_port), 80);
	r = hostnet_resolve(&host->net, "no-such-host.invalid", "", AF_UNSPEC, 0, 0, ai,
			    sizeof(ai));
	assert_true(r <= -3000 && r > -3100); /* -(HOSTNET_EAI_BASE - EAI_x), not an errno */
	vmrpc_host_detach(host);
	itest_hostd_stop(&h);
}

static void test_bad_input(void **state)
{
	struct itest_hostd h;
	struct vmrpc_host *host;
	static char big[1 << 20];
	struct hostfs_statfs sfs;
	char buf[16];
	int32_t fd, self;
	uint32_t uid, gid;

	(void)state;
	start_hostd(&h);
	host = attach();
	/* The shadow's own descriptors (0, 1: /dev/null; 2: hostd's log) and
	 * descriptors that do not exist: EBADF for every call. */
	for (int32_t bad = 0; bad < 3; bad++) {
		itest_assert_err(hostfs_read(&host->fs, bad, buf, 1), -EBADF);
		itest_assert_err(hostfs_write(&host->fs, bad, "forged log line\n", 16), -EBADF);
		itest_assert_err(hostfs_close(&host->fs, bad), -EBADF);
		itest_assert_err(hostfs_dup(&host->fs, bad), -EBADF);
		itest_assert_err(hostfs_fcntl(&host->fs, bad, F_GETFL, 0), -EBADF);
		itest_assert_err(hostfs_statfs(&host->fs, bad, "", &sfs), -EBADF);
		itest_assert_err(hostfs_statfs(&host->fs, bad, "x", &sfs), -EBADF);
	}
	itest_assert_err(hostfs_read(&host->fs, 999, buf, 1), -EBADF);
	itest_assert_err(hostfs_read(&host->fs, -1, buf, 1), -EBADF);
	assert_int_equal(itest_log_count(&h, "forged log line", (char *)NULL), 0);
	fd = hostfs_openat(&host->fs, AT_FDCWD, "/etc/hostname", O_RDONLY, 0);
	assert_true(fd >= 3);
	/* dup onto the shadow's own descriptors: refused */
	itest_assert_err(hostfs_dup3(&host->fs, fd, 2, 0), -EBADF);
	/* huge counts: a stub refuses what does not fit its arena, and the
	 * channel goes on working */
	itest_assert_err(hostfs_read(&host->fs, fd, big, sizeof(big)), -VMRPC_E2BIG);
	itest_assert_err(hostfs_read(&host->fs, fd, big, UINT64_MAX), -VMRPC_E2BIG);
	assert_true(vmrpc_host_read(host, fd, big, sizeof(big)) > 0);
	/* fcntl commands that would make the shadow's kernel follow a pointer */
	itest_assert_err(hostfs_fcntl(&host->fs, fd, F_GETOWN_EX, 0x1000), -EINVAL);
	itest_assert_err(hostfs_fcntl(&host->fs, fd, F_SETSIG + 100, 0), -EINVAL);
	/* bad paths and flags, as the host says */
	itest_assert_err(hostfs_openat(&host->fs, AT_FDCWD, "", O_RDONLY, 0), -ENOENT);
	itest_assert_err(hostfs_openat(&host->fs, 2, "x", O_RDONLY, 0), -EBADF);
	/* statfs: of fd, of a path (symlinks followed), of nothing */
	itest_assert_err(hostfs_statfs(&host->fs, fd, "", &sfs), 0);
	assert_true(sfs.bsize > 0 && sfs.namelen > 0);
	itest_assert_err(hostfs_statfs(&host->fs, AT_FDCWD, "/proc/self/root", &sfs), 0);
	assert_true(sfs.bsize > 0 && sfs.namelen > 0);
	itest_assert_err(hostfs_statfs(&host->fs, AT_FDCWD, "", &sfs), -ENOENT);
	itest_assert_err(hostfs_statfs(&host->fs, AT_FDCWD, "/nonexistent/x", &sfs), -ENOENT);
	itest_assert_err(hostfs_close(&host->fs, fd), 0);
	itest_assert_err(hostfs_close(&host->fs, fd), -EBADF);
	itest_assert_err(hostcalls_identity(&host->calls, &self, &uid, &gid), 0);
	vmrpc_host_detach(host);
	itest_hostd_stop(&h);
}

/* Extended attributes, flock and fallocate of host files, by path and by
 * descriptor, each checked against the file system itself. */
static void test_xattr_flock_fallocate(void **state)
{
	char path[PATH_MAX], link[PATH_MAX], val[64], list[256], native[256];
	static char huge[HOSTFS_XATTR_SIZE_MAX + 1];
	struct itest_hostd h;
	struct vmrpc_host *host;
	struct stat st;
	uint64_t len;
	int64_t n;
	int32_t fd;
	int nfd;

	(void)state;
	snprintf(path, sizeof(path), "%s/attrs", itest_dir());
	snprintf(link, sizeof(link), "%s/attrs-link", itest_dir());
	assert_int_equal(symlink(path, link), 0);
	start_hostd(&h);
	host = attach();
	fd = host_create(host, path);

	/* set by path and by descriptor; XATTR_CREATE as the kernel has it */
	itest_assert_err(hostfs_setxattr(&host->fs, AT_FDCWD, path, 0, "user.a", "one", 3, 0), 0);
	itest_assert_err(hostfs_setxattr(&host->fs, fd, "", 0, "user.b", "two!", 4, XATTR_CREATE),
			 0);
	itest_assert_err(hostfs_setxattr(&host->fs, fd, "", 0, "user.b", "x", 1, XATTR_CREATE),
			 -EEXIST);
	assert_int_equal(getxattr(path, "user.b", val, sizeof(val)), 4);
	assert_memory_equal(val, "two!", 4);
	/* get: a size query copies nothing; too small a buffer is ERANGE */
	len = 99;
	itest_assert_err(hostfs_getxattr(&host->fs, fd, "", 0, "user.a", val, 0, &len), 3);
	assert_int_equal(len, 0);
	itest_assert_err(hostfs_getxattr(&host->fs, fd, "", 0, "user.a", val, sizeof(val), &len),
			 3);
	assert_int_equal(len, 3);
	assert_memory_equal(val, "one", 3);
	itest_assert_err(hostfs_getxattr(&host->fs, fd, "", 0, "user.a", val, 2, &len), -ERANGE);
	itest_assert_err(hostfs_getxattr(&host->fs, AT_FDCWD, path, 0, "user.none", val,
					 sizeof(val), &len),
			 -ENODATA);
	/* through a symlink, and of the symlink itself */
	itest_assert_err(hostfs_getxattr(&host->fs, AT_FDCWD, link, 0, "user.a", val, sizeof(val),
					 &len),
			 3);
	itest_assert_err(hostfs_getxattr(&host->fs, AT_FDCWD, link, AT_SYMLINK_NOFOLLOW, "user.a",
					 val, sizeof(val), &len),
			 -ENODATA);
	/* list: the kernel's own list, byte for byte */
	n = listxattr(path, native, sizeof(native));
	assert_true(n > 0);
	itest_assert_err(hostfs_listxattr(&host->fs, fd, "", 0, list, sizeof(list), &len), n);
	assert_int_equal(len, (uint64_t)n);
	assert_memory_equal(list, native, (size_t)n);
	itest_assert_err(hostfs_listxattr(&host->fs, AT_FDCWD, path, 0, list, 0, &len), n);
	assert_int_equal(len, 0);
	/* remove */
	itest_assert_err(hostfs_removexattr(&host->fs, AT_FDCWD, path, 0, "user.a"), 0);
	assert_int_equal(getxattr(path, "user.a", val, sizeof(val)), -1);
	assert_int_equal(errno, ENODATA);
	itest_assert_err(hostfs_removexattr(&host->fs, fd, "", 0, "user.a"), -ENODATA);
	/* what no call may ask: a dirfd with a path, unknown flags, a value
	 * larger than the kernel takes, the shadow's own descriptors */
	itest_assert_err(hostfs_getxattr(&host->fs, fd, "x", 0, "user.b", val, 8, &len), -EINVAL);
	itest_assert_err(hostfs_removexattr(&host->fs, AT_FDCWD, path, 1, "user.b"), -EINVAL);
	itest_assert_err(hostfs_setxattr(&host->fs, fd, "", 0, "user.c", huge, sizeof(huge), 0),
			 -E2BIG);
	for (int32_t bad = 0; bad < 3; bad++) {
		itest_assert_err(hostfs_getxattr(&host->fs, bad, "", 0, "user.b", val, 8, &len),
				 -EBADF);
		itest_assert_err(hostfs_setxattr(&host->fs, bad, "", 0, "user.b", "x", 1, 0),
				 -EBADF);
		itest_assert_err(hostfs_listxattr(&host->fs, bad, "", 0, list, 8, &len), -EBADF);
		itest_assert_err(hostfs_removexattr(&host->fs, bad, "", 0, "user.b"), -EBADF);
		itest_assert_err(hostfs_flock(&host->fs, bad, LOCK_SH), -EBADF);
		itest_assert_err(hostfs_fallocate(&host->fs, bad, 0, 0, 4096), -EBADF);
		itest_assert_err(hostfs_posix_fallocate(&host->fs, bad, 0, 4096), -EBADF);
	}

	/* flock: the shadow's lock is the file's, as another open sees it */
	itest_assert_err(hostfs_flock(&host->fs, fd, LOCK_EX), 0);
	nfd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(nfd >= 0);
	assert_int_equal(flock(nfd, LOCK_SH | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	/* and the other way round, without blocking the shadow */
	itest_assert_err(hostfs_flock(&host->fs, fd, LOCK_UN), 0);
	assert_int_equal(flock(nfd, LOCK_EX), 0);
	itest_assert_err(hostfs_flock(&host->fs, fd, LOCK_SH | LOCK_NB), -EWOULDBLOCK);
	assert_int_equal(flock(nfd, LOCK_UN), 0);
	itest_assert_err(hostfs_flock(&host->fs, fd, LOCK_SH | LOCK_NB), 0);
	close(nfd);

	/* fallocate and posix_fallocate: the size and the blocks */
	itest_assert_err(hostfs_fallocate(&host->fs, fd, 0, 0, 1 << 20), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 1 << 20);
	itest_assert_err(hostfs_fallocate(&host->fs, fd, FALLOC_FL_KEEP_SIZE, 1 << 20, 1 << 20),
			 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 1 << 20);
	assert_true(st.st_blocks * 512 >= 2 << 20);
	itest_assert_err(hostfs_posix_fallocate(&host->fs, fd, 0, 3 << 20), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 3 << 20);
	itest_assert_err(hostfs_posix_fallocate(&host->fs, fd, 0, -1), -EINVAL);
	itest_assert_err(hostfs_fallocate(&host->fs, fd, 0, 0, 0), -EINVAL);

	itest_assert_err(hostfs_close(&host->fs, fd), 0);
	vmrpc_host_detach(host);
	itest_hostd_stop(&h);
}

/* ---- guest fork ----------------------------------------------------------- */

enum fork_case {
	FORK_OK,
	FORK_PARENT_DIES,
	FORK_SHADOW_DIES,
	FORK_CHILD_DIES,
	FORK_PARENT_EXITS,
	FORK_CHILD_FIRST, /* the child is done with its channel before the handover */
};

struct fork_arg {
	enum fork_case what;
	char path[PATH_MAX];
};

/* A caller that forks with host state. It reports on wr: its shadow's pid,
 * then per case what the test needs; it waits on rd where the test acts. */
static int fork_caller(int rd, int wr, void *arg)
{
	const struct fork_arg *fa = arg;
	struct vmrpc_host *host;
	struct vmrpc_host_fork f;
	int32_t fd, self, r;
	uint32_t uid, gid;
	int64_t go;
	char buf[8];
	pid_t child;
	int st, done[2];

	ITEST_CHECK(pipe(done) == 0);
	ITEST_CHECK_EQ(vmrpc_host_attach(NULL, &host), 0);
	ITEST_CHECK_EQ(hostcalls_identity(&host->calls, &self, &uid, &gid), 0);
	fd = hostfs_openat(&host->fs, AT_FDCWD, fa->path, O_RDONLY, 0);
	ITEST_CHECK(fd >= 3);
	ITEST_CHECK_EQ(vmrpc_host_read(host, fd, buf, 3), 3);
	ITEST_CHECK_EQ(vmrpc_host_fork_prepare(host, &f), 0);
	itest_send(wr, self);
	if (fa->what == FORK_PARENT_DIES)
		_exit(0); /* between prepare and fork(): the forked shadow must go */
	if (fa->what == FORK_SHADOW_DIES)
		ITEST_CHECK_EQ(itest_recv(rd, &go, ITEST_DEADLINE_MS), 0); /* test killed it */
	child = fork();
	ITEST_CHECK(child >= 0);
	if (child == 0) {
		int32_t mine;
		vmrpc_host_fork_child(host, &f);
		if (fa->what == FORK_CHILD_DIES)
			_exit(0);
		if (fa->what == FORK_PARENT_EXITS) /* until hostd saw the parent go */
			ITEST_CHECK_EQ(itest_recv(rd, &go, ITEST_DEADLINE_MS), 0);
		r = hostcalls_identity(&host->calls, &mine, &uid, &gid);
		if (fa->what == FORK_SHADOW_DIES) {
			/* a clear error, at once */
			ITEST_CHECK(r == -VMRPC_EPEERDIED || r == -VMRPC_ERESET ||
				    r == -VMRPC_ENOCHAN);
			_exit(0);
		}
		ITEST_CHECK_EQ(r, 0);
		ITEST_CHECK(mine != self); /* a shadow of its own */
		/* the descriptor and its offset came along: the next 3 bytes */
		ITEST_CHECK_EQ(vmrpc_host_read(host, fd, buf, 3), 3);
		ITEST_CHECK(memcmp(buf, "def", 3) == 0);
		if (fa->what == FORK_PARENT_EXITS)
			itest_send(wr, getpid());
		vmrpc_host_detach(host);
		itest_send(done[1], 1);
		_exit(0);
	}
	if (fa->what == FORK_CHILD_FIRST) /* its DETACH reaches hostd first */
		ITEST_CHECK_EQ(itest_recv(done[0], &go, ITEST_DEADLINE_MS), 0);
	r = vmrpc_host_fork_parent(host, &f, child);
	if (fa->what == FORK_OK || fa->what == FORK_PARENT_EXITS || fa->what == FORK_CHILD_FIRST)
		ITEST_CHECK_EQ(r, 0);
	if (fa->what == FORK_PARENT_EXITS)
		_exit(0); /* at once: the child's channel must stay */
	ITEST_CHECK_EQ(waitpid(child, &st, 0), child);
	ITEST_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The parent's shadow still serves it; the offset is shared (a fork
	 * shares open file descriptions): the child read "def". */
	ITEST_CHECK_EQ(hostcalls_identity(&host->calls, &r, &uid, &gid), 0);
	ITEST_CHECK_EQ(r, self);
	if (fa->what == FORK_OK) {
		ITEST_CHECK_EQ(vmrpc_host_read(host, fd, buf, 3), 2);
		ITEST_CHECK(memcmp(buf, "gh", 2) == 0);
	}
	vmrpc_host_detach(host);
	return 0;
}

/* The shadows hostd runs now. */
static int shadows(const struct itest_hostd *h, pid_t *ret, int max)
{
	return itest_proc_children(h->pid, ret, max);
}

static void test_fork_lifecycle(void **state)
{
	struct itest_hostd h;
	struct itest_child c;
	struct fork_arg fa;
	pid_t pids[8];

	(void)state;
	snprintf(fa.path, sizeof(fa.path), "%s/abc", itest_dir());
	itest_write_file(fa.path, "abcdefgh", 8);
	start_hostd(&h);

	/* It works: the child's shadow is a fork with the parent's fds. The
	 * parent waited for hostd to take the handover. */
	fa.what = FORK_OK;
	itest_child_start(&c, fork_caller, &fa);
	itest_expect(&c);
	assert_int_equal(itest_child_wait(&c), 0);
	itest_log_wait(&h, 1, "handed over", (char *)NULL);
	itest_log_wait(&h, 2, "reaped", (char *)NULL);

	/* The child detaches before the parent hands the channel over: the
	 * parent's handover still succeeds, and hostd, once the channel is the
	 * child's, honours the detach it could not match before. */
	fa.what = FORK_CHILD_FIRST;
	itest_child_start(&c, fork_caller, &fa);
	itest_expect(&c);
	assert_int_equal(itest_child_wait(&c), 0);
	itest_log_wait(&h, 2, "handed over", (char *)NULL);
	/* two per case so far: the parent's channel and the child's */
	itest_log_wait(&h, 4, "detached: caller pid", "detached, shadow pid", (char *)NULL);
	itest_log_wait(&h, 4, "reaped", (char *)NULL);

	/* The parent exits right after fork(): once hostd has seen it go,
	 * the child still reads its host descriptor in its own shadow. */
	fa.what = FORK_PARENT_EXITS;
	itest_child_start(&c, fork_caller, &fa);
	itest_expect(&c);
	{
		char pid[32];
		snprintf(pid, sizeof(pid), "caller pid %d exited", (int)c.pid);
		itest_log_wait(&h, 1, pid, (char *)NULL);
	}
	itest_send(c.to_child, 1);
	{
		/* The orphaned child is ours (the test is a subreaper): reap it. */
		pid_t child = (pid_t)itest_expect(&c);
		int st;
		assert_int_equal(itest_child_wait(&c), 0);
		assert_int_equal(itest_wait_exit(child, ITEST_DEADLINE_MS, &st), 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	itest_log_wait(&h, 6, "reaped", (char *)NULL);

	/* The parent dies after the shadow forked, before fork(): both its
	 * shadow and the forked copy go. */
	fa.what = FORK_PARENT_DIES;
	itest_child_start(&c, fork_caller, &fa);
	itest_expect(&c);
	assert_int_equal(itest_child_wait(&c), 0);
	itest_log_wait(&h, 8, "reaped", (char *)NULL);
	for (int i = 0; shadows(&h, pids, 8) > 0; i++) {
		assert_true(i < ITEST_DEADLINE_MS / 10);
		usleep(10000);
	}

	/* The forked shadow dies before the handover: the child gets an
	 * error it can act on, nobody hangs, nothing is left. */
	fa.what = FORK_SHADOW_DIES;
	itest_child_start(&c, fork_caller, &fa);
	{
		int64_t parent_shadow = itest_expect(&c);
		int n = shadows(&h, pids, 8), killed = 0;
		for (int i = 0; i < n; i++)
			if (pids[i] != parent_shadow) {
				assert_int_equal(kill(pids[i], SIGKILL), 0);
				killed++;
			}
		assert_int_equal(killed, 1);
		itest_log_wait(&h, 1, "exited with signal 9", (char *)NULL);
	}
	itest_send(c.to_child, 1);
	assert_int_equal(itest_child_wait(&c), 0);

	/* The child exits at once: its channel and forked shadow go. */
	fa.what = FORK_CHILD_DIES;
	itest_child_start(&c, fork_caller, &fa);
	itest_expect(&c);
	assert_int_equal(itest_child_wait(&c), 0);
	for (int i = 0; shadows(&h, pids, 8) > 0; i++) {
		assert_true(i < ITEST_DEADLINE_MS / 10);
		usleep(10000);
	}
	itest_hostd_stop(&h);
}

/* ---- exec through the shim ------------------------------------------------ */

static void test_exec_keeps_host_fds(void **state)
{
	struct itest_hostd h;
	char a[PATH_MAX], b[PATH_MAX], script[3 * PATH_MAX];
	char *out, *err;
	int status;

	(void)state;
#ifdef ITEST_SANITIZE
	skip(); /* a sanitized shim in python3 needs its runtimes preloaded first */
#endif
	if (access("/usr/bin/python3", X_OK) < 0)
		skip();
	snprintf(a, sizeof(a), "%s/kept", itest_dir());
	snprintf(b, sizeof(b), "%s/cloexec", itest_dir());
	itest_write_file(a, "kept across exec\n", 17);
	itest_write_file(b, "must not be seen\n", 17);
	/* python3 opens both through the shim (O_CLOEXEC by default), makes
	 * one inheritable, and execs python3 again, which reads both. */
	snprintf(script, sizeof(script),
		 "import os, sys\n"
		 "a = os.open('/host%s', os.O_RDONLY)\n"
		 "b = os.open('/host%s', os.O_RDONLY)\n"
		 "os.set_inheritable(a, True)\n"
		 "os.execv(sys.executable, [sys.executable, '-c', '''\n"
		 "import os\n"
		 "print(os.read(%%d, 100).decode(), end='')\n"
		 "try:\n"
		 "    os.read(%%d, 100)\n"
		 "except OSError as e:\n"
		 "    print(os.strerror(e.errno))\n"
		 "''' %% (a, b)])\n",
		 a, b);
	start_hostd(&h);
	setenv("LD_PRELOAD", ITEST_PRELOAD, 1);
	{
		const char *argv[] = { "/usr/bin/python3", "-c", script, NULL };
		status = itest_run(argv, &out, &err);
	}
	unsetenv("LD_PRELOAD");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("python3: status 0x%x, stderr: %s", status, err);
	assert_string_equal(out, "kept across exec\nBad file descriptor\n");
	free(out);
	free(err);
	itest_log_wait(&h, 1, "reaped", (char *)NULL);
	itest_hostd_stop(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_split_and_zero_copy, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_vectors, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_processes, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_sockets, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_xattr_flock_fallocate, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_fork_lifecycle, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_exec_keeps_host_fds, itest_setup,
						itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_hostcall", tests, NULL, NULL);
}
