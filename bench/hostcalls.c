/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-bench-hostcalls: what a file operation costs through host calls,
 * against the same operation done natively and through a unix-socket file
 * server, all in one run (docs/benchmarks.md).
 *
 * Operations: stat, open+close, a 4 KiB pread, a 1 MiB sequential read (of
 * a file in the page cache, so the figures are the mechanisms' cost, not a
 * disk's). Ways:
 *   native          this process's own system calls
 *   host call       the generated stubs (hostfs_fstatat, hostfs_openat +
 *                   hostfs_close) and vmrpc_host_pread/read into a malloc'd
 *                   buffer: the shadow's read lands in the arena, one copy out
 *   zero-copy       vmrpc_host_pread/read into a vmrpc_host_buf_alloc()
 *                   buffer: the shadow reads into it in place
 *   shim            libvmrpc-preload.so's stat, open, close, pread, read on
 *                   /host/...: the shim is dlopen'd and its functions called
 *   unix socket     a file-server child answering requests on a socketpair
 *                   (the request, the system call, the reply with the data)
 * plus a vmrpc null call (bench/benchnull.idl) on the same channel and a
 * 1-byte unix-socket round trip, so that the target, "overhead at most one
 * null call plus 1 us", can be checked in the same run.
 *
 * The real vmrpc-hostd runs in a child pinned to the second CPU (so do its
 * shadows and the socket server); this process is pinned to the first. The
 * cases take turns in rounds, as in vmrpc-bench-nullcall.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "benchnull_caller.h"
#include "hostfs_caller.h"
#include "vmrpc/hostcall.h"

#define PROG "vmrpc-bench-hostcalls"
#define HC_REGION "benchhc"
#define HC_SMALL (4u << 10)
#define HC_BIG (1u << 20)

struct hc_cfg {
	size_t n_small, n_big; /* measured per case: small ops, 1 MiB reads */
	unsigned rounds;
	const char *chan_size;
	size_t big_file; /* bytes of the file the 1 MiB reads walk */
};

static struct {
	char dir[64], small[PATH_MAX], big[PATH_MAX];
	char host_small[PATH_MAX + 8], host_big[PATH_MAX + 8]; /* the shim's names */
	struct vmrpc_host *h;  /* the host-call rows */
	struct vmrpc_host *hz; /* the zero-copy rows: a host buffer takes its arena */
	struct vmrpc_binding null;
	int hfd_small, hfd_big;   /* host descriptors */
	int zfd_small, zfd_big;   /* hz's host descriptors */
	int fd_small, fd_big;     /* native descriptors */
	int sfd_small, sfd_big;   /* shim descriptors */
	int64_t vfd_small, vfd_big; /* the socket server's descriptors */
	uint64_t big_off[4];      /* each way's position in the big file */
	void *buf;                /* HC_BIG, malloc'd */
	void *zbuf;               /* in the arena */
	size_t zbuf_len;          /* <= HC_BIG: what fits */
	int sock;                 /* the socket server */
	struct bench_child server, hostd;
	struct {
		int (*stat)(const char *, struct stat *);
		int (*open)(const char *, int, ...);
		int (*close)(int);
		ssize_t (*pread)(int, void *, size_t, off_t);
		ssize_t (*read)(int, void *, size_t);
		off_t (*lseek)(int, off_t, int);
	} shim;
	size_t big_file;
} hc = { .sock = -1, .hfd_small = -1, .hfd_big = -1, .fd_small = -1, .fd_big = -1,
	 .sfd_small = -1, .sfd_big = -1, .vfd_small = -1, .vfd_big = -1 };

/* ---- the unix-socket file server ----------------------------------------- */

enum { SRV_NULL, SRV_STAT, SRV_OPEN, SRV_CLOSE, SRV_PREAD };

struct srv_req {
	uint32_t op, len; /* len: path bytes that follow, or bytes to read */
	int32_t fd;
	uint32_t pad;
	uint64_t off;
};

struct srv_rep {
	int64_t ret; /* then ret bytes of data (PREAD), or a struct stat (STAT) */
};

static int io_all(int fd, void *p, size_t n, int out)
{
	while (n) {
		ssize_t r = out ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, MSG_WAITALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EPIPE;
		p = (char *)p + r;
		n -= (size_t)r;
	}
	return 0;
}

static int srv_main(void *arg)
{
	int fd = *(int *)arg;
	char *data = malloc(HC_BIG), path[PATH_MAX];
	struct srv_req q;

	if (!data)
		return -1;
	while (io_all(fd, &q, sizeof(q), 0) == 0) {
		struct srv_rep r = { 0 };
		struct stat st;
		const void *extra = NULL;
		size_t extra_len = 0;

		if ((q.op == SRV_STAT || q.op == SRV_OPEN) &&
		    (q.len >= sizeof(path) || io_all(fd, path, q.len, 0) < 0))
			return -1;
		if (q.op == SRV_STAT || q.op == SRV_OPEN)
			path[q.len] = '\0';
		switch (q.op) {
		case SRV_NULL:
			break;
		case SRV_STAT:
			r.ret = stat(path, &st) < 0 ? -errno : 0;
			extra = &st;
			extra_len = r.ret == 0 ? sizeof(st) : 0;
			break;
		case SRV_OPEN:
			r.ret = open(path, O_RDONLY | O_CLOEXEC);
			r.ret = r.ret < 0 ? -errno : r.ret;
			break;
		case SRV_CLOSE:
			r.ret = close(q.fd) < 0 ? -errno : 0;
			break;
		case SRV_PREAD:
			r.ret = pread(q.fd, data, q.len > HC_BIG ? HC_BIG : q.len, (off_t)q.off);
			r.ret = r.ret < 0 ? -errno : r.ret;
			extra = data;
			extra_len = r.ret > 0 ? (size_t)r.ret : 0;
			break;
		default:
			return -1;
		}
		if (io_all(fd, &r, sizeof(r), 1) < 0 ||
		    (extra_len && io_all(fd, (void *)extra, extra_len, 1) < 0))
			return -1;
	}
	return 0; /* the benchmark closed its end */
}

/* One request, its reply; data (if any) received into buf. */
static int64_t srv_call(uint32_t op, const char *path, int32_t fd, uint32_t len, uint64_t off,
			void *buf)
{
	struct srv_req q = { .op = op, .fd = fd, .off = off,
			     .len = path ? (uint32_t)strlen(path) : len };
	struct srv_rep r;
	int err = io_all(hc.sock, &q, sizeof(q), 1);

	if (err == 0 && path)
		err = io_all(hc.sock, (void *)path, q.len, 1);
	if (err == 0)
		err = io_all(hc.sock, &r, sizeof(r), 0);
	if (err < 0)
		return err;
	if (op == SRV_STAT && r.ret == 0)
		err = io_all(hc.sock, buf, sizeof(struct stat), 0);
	else if (op == SRV_PREAD && r.ret > 0)
		err = io_all(hc.sock, buf, (size_t)r.ret, 0);
	return err < 0 ? err : r.ret;
}

/* ---- the cases --------------------------------------------------------- */

static int ok(int64_t r, const char *what)
{
	if (r >= 0)
		return 0;
	fprintf(stderr, PROG ": %s: %s\n", what, vmrpc_strerror((int)r));
	return (int)r;
}

static int sys_ok(long r, const char *what)
{
	return r < 0 ? ok(errno ? -errno : -EIO, what) : 0;
}

/* Each way's next 1 MiB of the big file, wrapping at its end. */
static uint64_t next_off(int way)
{
	uint64_t off = hc.big_off[way];

	hc.big_off[way] = off + HC_BIG >= hc.big_file ? 0 : off + HC_BIG;
	return off;
}

static int c_null_vmrpc(void *a) { (void)a; return ok(benchnull_null(&hc.null), "null call"); }
static int c_null_sock(void *a) { (void)a; return ok(srv_call(SRV_NULL, NULL, 0, 0, 0, NULL), "socket null"); }

static int c_stat_native(void *a)
{
	struct stat st;
	(void)a;
	return sys_ok(stat(hc.small, &st), "stat");
}

static int c_stat_host(void *a)
{
	struct hostfs_stat st;
	(void)a;
	return ok(hostfs_fstatat(&hc.h->fs, AT_FDCWD, hc.small, 0, &st), "hostfs_fstatat");
}

static int c_stat_shim(void *a)
{
	struct stat st;
	(void)a;
	return sys_ok(hc.shim.stat(hc.host_small, &st), "shim stat");
}

static int c_stat_sock(void *a)
{
	struct stat st;
	(void)a;
	return ok(srv_call(SRV_STAT, hc.small, 0, 0, 0, &st), "socket stat");
}

static int c_open_native(void *a)
{
	int fd = open(hc.small, O_RDONLY | O_CLOEXEC);
	(void)a;
	return sys_ok(fd < 0 ? fd : close(fd), "open+close");
}

static int c_open_host(void *a)
{
	int32_t fd = hostfs_openat(&hc.h->fs, AT_FDCWD, hc.small, O_RDONLY, 0);
	(void)a;
	return ok(fd < 0 ? fd : hostfs_close(&hc.h->fs, fd), "hostfs_openat+close");
}

static int c_open_shim(void *a)
{
	int fd = hc.shim.open(hc.host_small, O_RDONLY | O_CLOEXEC);
	(void)a;
	return sys_ok(fd < 0 ? fd : hc.shim.close(fd), "shim open+close");
}

static int c_open_sock(void *a)
{
	int64_t fd = srv_call(SRV_OPEN, hc.small, 0, 0, 0, NULL);
	(void)a;
	return ok(fd < 0 ? fd : srv_call(SRV_CLOSE, NULL, (int32_t)fd, 0, 0, NULL),
		  "socket open+close");
}

static volatile uint64_t hc_sink;

/* Every read row consumes its data: one load per cache line. Natively the
 * data is in this CPU's cache already; a host buffer's was written by the
 * shadow on the other CPU, and this is where a zero-copy reader pays for
 * moving it (a copying reader paid in the copy). */
static void consume(const void *p, size_t n)
{
	const uint64_t *w = p;
	uint64_t x = 0;

	for (size_t i = 0; i < n / 8; i += 8)
		x ^= w[i];
	hc_sink = x;
}

/* A read must return all it was asked for (the files are large enough);
 * the data is then consumed. */
static int full_at(int64_t r, const void *buf, size_t want, const char *what)
{
	if (r >= 0 && (size_t)r != want)
		r = -EIO;
	if (r >= 0)
		consume(buf, want);
	return ok(r, what);
}


static int c_4k_native(void *a) { (void)a; return full_at(pread(hc.fd_small, hc.buf, HC_SMALL, 0), hc.buf, HC_SMALL, "pread"); }
static int c_4k_host(void *a) { (void)a; return full_at(vmrpc_host_pread(hc.h, hc.hfd_small, hc.buf, HC_SMALL, 0), hc.buf, HC_SMALL, "vmrpc_host_pread"); }
static int c_4k_zc(void *a) { (void)a; return full_at(vmrpc_host_pread(hc.hz, hc.zfd_small, hc.zbuf, HC_SMALL, 0), hc.zbuf, HC_SMALL, "vmrpc_host_pread (host buffer)"); }
static int c_4k_shim(void *a) { (void)a; return full_at(hc.shim.pread(hc.sfd_small, hc.buf, HC_SMALL, 0), hc.buf, HC_SMALL, "shim pread"); }
static int c_4k_sock(void *a) { (void)a; return full_at(srv_call(SRV_PREAD, NULL, (int32_t)hc.vfd_small, HC_SMALL, 0, hc.buf), hc.buf, HC_SMALL, "socket pread"); }

static int c_1m_native(void *a)
{
	(void)a;
	return full_at(pread(hc.fd_big, hc.buf, HC_BIG, (off_t)next_off(0)), hc.buf, HC_BIG, "read 1 MiB");
}

static int c_1m_host(void *a)
{
	(void)a;
	return full_at(vmrpc_host_pread(hc.h, hc.hfd_big, hc.buf, HC_BIG, (int64_t)next_off(1)),
		       hc.buf, HC_BIG, "vmrpc_host_pread 1 MiB");
}

/* The application consumes the data where it lies: a host buffer of
 * zbuf_len (the arena may be smaller than 1 MiB), filled as often as needed. */
static int c_1m_zc(void *a)
{
	uint64_t off = next_off(2);

	(void)a;
	for (size_t done = 0; done < HC_BIG; done += hc.zbuf_len) {
		size_t n = HC_BIG - done < hc.zbuf_len ? HC_BIG - done : hc.zbuf_len;
		int err = full_at(vmrpc_host_pread(hc.hz, hc.zfd_big, hc.zbuf, n,
						   (int64_t)(off + done)), hc.zbuf, n,
			       "vmrpc_host_pread 1 MiB (host buffer)");
		if (err < 0)
			return err;
	}
	return 0;
}

static int c_1m_shim(void *a)
{
	(void)a;
	return full_at(hc.shim.pread(hc.sfd_big, hc.buf, HC_BIG, (off_t)next_off(3)), hc.buf, HC_BIG,
		    "shim pread 1 MiB");
}

static int c_1m_sock(void *a)
{
	static uint64_t off;
	int64_t r = srv_call(SRV_PREAD, NULL, (int32_t)hc.vfd_big, HC_BIG, off, hc.buf);

	(void)a;
	off = off + HC_BIG >= hc.big_file ? 0 : off + HC_BIG;
	return full_at(r, hc.buf, HC_BIG, "socket pread 1 MiB");
}

struct hc_case {
	const char *op, *way;
	bench_call_fn fn;
	int big;
	struct bench_samples s;
	struct bench_stats st;
};


/* Row order: the table's. */
static struct hc_case hc_cases[] = {
	{ .op = "null call", .way = "vmrpc", .fn = c_null_vmrpc },
	{ .op = "null call", .way = "unix socket", .fn = c_null_sock },
	{ .op = "stat", .way = "native", .fn = c_stat_native },
	{ .op = "stat", .way = "host call", .fn = c_stat_host },
	{ .op = "stat", .way = "shim", .fn = c_stat_shim },
	{ .op = "stat", .way = "unix socket", .fn = c_stat_sock },
	{ .op = "open+close", .way = "native", .fn = c_open_native },
	{ .op = "open+close", .way = "host call", .fn = c_open_host },
	{ .op = "open+close", .way = "shim", .fn = c_open_shim },
	{ .op = "open+close", .way = "unix socket", .fn = c_open_sock },
	{ .op = "pread 4 KiB", .way = "native", .fn = c_4k_native },
	{ .op = "pread 4 KiB", .way = "host call", .fn = c_4k_host },
	{ .op = "pread 4 KiB", .way = "zero-copy", .fn = c_4k_zc },
	{ .op = "pread 4 KiB", .way = "shim", .fn = c_4k_shim },
	{ .op = "pread 4 KiB", .way = "unix socket", .fn = c_4k_sock },
	{ .op = "read 1 MiB", .way = "native", .fn = c_1m_native, .big = 1 },
	{ .op = "read 1 MiB", .way = "host call", .fn = c_1m_host, .big = 1 },
	{ .op = "read 1 MiB", .way = "zero-copy", .fn = c_1m_zc, .big = 1 },
	{ .op = "read 1 MiB", .way = "shim", .fn = c_1m_shim, .big = 1 },
	{ .op = "read 1 MiB", .way = "unix socket", .fn = c_1m_sock, .big = 1 },
};
#define HC_N_CASES (sizeof(hc_cases) / sizeof(hc_cases[0]))

static struct hc_case *find(const char *op, const char *way)
{
	for (size_t i = 0; i < HC_N_CASES; i++)
		if (!strcmp(hc_cases[i].op, op) && !strncmp(hc_cases[i].way, way, strlen(way)))
			return &hc_cases[i];
	return NULL;
}

/* ---- set-up ------------------------------------------------------------- */

static int make_file(const char *path, size_t size)
{
	char chunk[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return sys_ok(-1, path);
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (char)(i * 131 + 7);
	for (size_t done = 0; done < size; done += sizeof(chunk))
		if (write(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk)) {
			close(fd);
			return sys_ok(-1, path);
		}
	return sys_ok(close(fd), path);
}

static int load_shim(void)
{
	void *so = dlopen(HC_PRELOAD_SO, RTLD_NOW | RTLD_LOCAL);

	if (!so) {
		fprintf(stderr, PROG ": dlopen %s: %s\n", HC_PRELOAD_SO, dlerror());
		return -ENOENT;
	}
	hc.shim.stat = (int (*)(const char *, struct stat *))dlsym(so, "stat");
	hc.shim.open = (int (*)(const char *, int, ...))dlsym(so, "open");
	hc.shim.close = (int (*)(int))dlsym(so, "close");
	hc.shim.pread = (ssize_t(*)(int, void *, size_t, off_t))dlsym(so, "pread");
	if (!hc.shim.stat || !hc.shim.open || !hc.shim.close || !hc.shim.pread) {
		fprintf(stderr, PROG ": %s lacks stat, open, close or pread\n", HC_PRELOAD_SO);
		return -ENOENT;
	}
	return 0;
}

static int setup(const struct hc_cfg *cfg, int caller_cpu, int callee_cpu)
{
	char *const hostd_argv[] = { "vmrpc-hostd", "--loopback", HC_REGION, "--channels", "4",
				     "--channel-size", (char *)cfg->chan_size, "--service",
				     HC_BENCHNULL_MODULE, NULL };
	char sock[PATH_MAX], log[PATH_MAX];
	int sv[2], err;

	snprintf(hc.dir, sizeof(hc.dir), "/tmp/vmrpc-bench-hc.XXXXXX");
	if (!mkdtemp(hc.dir))
		return sys_ok(-1, "mkdtemp");
	snprintf(hc.small, sizeof(hc.small), "%s/small", hc.dir);
	snprintf(hc.big, sizeof(hc.big), "%s/big", hc.dir);
	snprintf(hc.host_small, sizeof(hc.host_small), "/host%s", hc.small);
	snprintf(hc.host_big, sizeof(hc.host_big), "/host%s", hc.big);
	hc.big_file = cfg->big_file;
	if ((err = make_file(hc.small, 65536)) < 0 || (err = make_file(hc.big, cfg->big_file)) < 0)
		return err;
	/* the region, the shim's and ours, in the run's own directory */
	if (setenv("VMRPC_RUNTIME_DIR", hc.dir, 1) < 0 || setenv("VMRPC_REGION", HC_REGION, 1) < 0 ||
	    setenv("VMRPC_HOST_PREFIX", "/host", 1) < 0)
		return sys_ok(-1, "setenv");
	err = bench_pin(caller_cpu);
	if (err < 0)
		return ok(err, "pin");
	snprintf(sock, sizeof(sock), "%s/" HC_REGION ".sock", hc.dir);
	snprintf(log, sizeof(log), "%s/hostd.log", hc.dir);
	err = bench_daemon_start(&hc.hostd, callee_cpu, HC_HOSTD_EXE, hostd_argv, log, sock,
				 "vmrpc-hostd");
	if (err < 0)
		return err;
	if ((err = ok(vmrpc_host_attach(NULL, &hc.h), "vmrpc_host_attach")) < 0 ||
	    (err = ok(benchnull_bind(hc.h->guest.chan, &hc.null), "benchnull_bind")) < 0)
		return err;
	/* The largest power-of-two host buffer that fits beside the calls'
	 * own arena data, on a context of its own (on hc.h, it would shrink
	 * the split size of the copying rows). */
	if ((err = ok(vmrpc_host_attach(NULL, &hc.hz), "vmrpc_host_attach")) < 0)
		return err;
	for (hc.zbuf_len = HC_BIG; hc.zbuf_len >= HC_SMALL; hc.zbuf_len /= 2)
		if (hc.zbuf_len + 8192 <= hc.hz->chunk + 4096 &&
		    vmrpc_host_buf_alloc(hc.hz, hc.zbuf_len, &hc.zbuf) == 0)
			break;
	hc.buf = malloc(HC_BIG);
	if (!hc.buf || !hc.zbuf)
		return ok(-ENOMEM, "buffers");
	hc.hfd_small = hostfs_openat(&hc.h->fs, AT_FDCWD, hc.small, O_RDONLY, 0);
	hc.hfd_big = hostfs_openat(&hc.h->fs, AT_FDCWD, hc.big, O_RDONLY, 0);
	hc.zfd_small = hostfs_openat(&hc.hz->fs, AT_FDCWD, hc.small, O_RDONLY, 0);
	hc.zfd_big = hostfs_openat(&hc.hz->fs, AT_FDCWD, hc.big, O_RDONLY, 0);
	if ((err = ok(hc.hfd_small, hc.small)) < 0 || (err = ok(hc.hfd_big, hc.big)) < 0 ||
	    (err = ok(hc.zfd_small, hc.small)) < 0 || (err = ok(hc.zfd_big, hc.big)) < 0)
		return err;
	hc.fd_small = open(hc.small, O_RDONLY | O_CLOEXEC);
	hc.fd_big = open(hc.big, O_RDONLY | O_CLOEXEC);
	if (hc.fd_small < 0 || hc.fd_big < 0)
		return sys_ok(-1, "open");
	if ((err = load_shim()) < 0)
		return err;
	hc.sfd_small = hc.shim.open(hc.host_small, O_RDONLY);
	hc.sfd_big = hc.shim.open(hc.host_big, O_RDONLY);
	if (hc.sfd_small < 0 || hc.sfd_big < 0)
		return sys_ok(-1, "shim open");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return sys_ok(-1, "socketpair");
	err = bench_child_start(&hc.server, callee_cpu, srv_main, &sv[1]);
	close(sv[1]);
	hc.sock = sv[0];
	if (err < 0)
		return ok(err, "socket server");
	hc.vfd_small = srv_call(SRV_OPEN, hc.small, 0, 0, 0, NULL);
	hc.vfd_big = srv_call(SRV_OPEN, hc.big, 0, 0, 0, NULL);
	if ((err = ok(hc.vfd_small, "socket open")) < 0 || (err = ok(hc.vfd_big, "socket open")) < 0)
		return err;
	return 0;
}

static int teardown(void)
{
	int err = 0;

	if (hc.sock >= 0) {
		close(hc.sock); /* the server sees end of file and exits 0 */
		if (bench_child_stop(&hc.server, "socket server") < 0)
			err = -ECHILD;
	}
	vmrpc_host_detach(hc.h); /* their descriptors and buffers go with them */
	vmrpc_host_detach(hc.hz);
	if (hc.hostd.pid && bench_child_stop(&hc.hostd, "vmrpc-hostd") < 0)
		err = -ECHILD;
	if (hc.dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", hc.dir);
		if (system(cmd) != 0)
			err = -EIO;
	}
	free(hc.buf);
	return err;
}

/* ---- the run ------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f, "Usage: " PROG " [-n N] [-r ROUNDS] [-s CHANNEL_SIZE] [--quick]\n"
		   "  -n N       measured calls per small-operation case (default 20000;\n"
		   "             the 1 MiB reads: N/10)\n"
		   "  -r ROUNDS  turns the cases take (default 20)\n"
		   "  -s SIZE    vmrpc-hostd --channel-size (default 256K, hostd's default)\n"
		   "  --quick    smoke run: every case, few calls, a small file\n");
}

/* p50 of a case in us; NaN-free: cases always run. */
static double p50(const char *op, const char *way)
{
	return find(op, way)->st.p50_us;
}

static void targets(void)
{
	static const char *const ops[] = { "stat", "open+close", "pread 4 KiB" };
	double null_us = p50("null call", "vmrpc"), limit = null_us + 1.0;
	double native_mbs, host_mbs, zc_mbs, shim_mbs;

	printf("\ntarget: overhead (host call p50 - native p50) <= one null call (%.2f us) + 1 us = "
	       "%.2f us\n", null_us, limit);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		double native = p50(ops[i], "native");
		double host = p50(ops[i], "host call") - native;
		double shim = p50(ops[i], "shim") - native;
		printf("  %-12s host call %+7.2f us %-6s  shim %+7.2f us %s\n", ops[i], host,
		       host <= limit ? "met" : "MISSED", shim, shim <= limit ? "met" : "MISSED");
	}
	native_mbs = find("read 1 MiB", "native")->st.calls_per_s;
	host_mbs = find("read 1 MiB", "host call")->st.calls_per_s;
	zc_mbs = find("read 1 MiB", "zero-copy")->st.calls_per_s;
	shim_mbs = find("read 1 MiB", "shim")->st.calls_per_s;
	printf("target: 1 MiB sequential reads >= 0.5x native throughput (%.0f MiB/s)\n",
	       native_mbs);
	printf("  host call %.0f MiB/s = %.2fx %s; zero-copy %.0f MiB/s = %.2fx %s; "
	       "shim %.0f MiB/s = %.2fx %s\n",
	       host_mbs, host_mbs / native_mbs, host_mbs >= native_mbs / 2 ? "met" : "MISSED",
	       zc_mbs, zc_mbs / native_mbs, zc_mbs >= native_mbs / 2 ? "met" : "MISSED", shim_mbs,
	       shim_mbs / native_mbs, shim_mbs >= native_mbs / 2 ? "met" : "MISSED");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = { { "quick", no_argument, NULL, 'q' },
						  { "help", no_argument, NULL, 'h' },
						  { 0 } };
	struct hc_cfg cfg = { .n_small = 20000, .n_big = 2000, .rounds = 20,
			      .chan_size = "256K", .big_file = 64u << 20 };
	int caller_cpu, callee_cpu, ncpu, c, err = 0;

	while ((c = getopt_long(argc, argv, "n:r:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			cfg.n_small = strtoul(optarg, NULL, 10);
			cfg.n_big = cfg.n_small / 10;
			break;
		case 'r':
			cfg.rounds = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 's':
			cfg.chan_size = optarg;
			break;
		case 'q':
			cfg = (struct hc_cfg){ .n_small = 200, .n_big = 20, .rounds = 2,
					       .chan_size = cfg.chan_size, .big_file = 4u << 20 };
			break;
		default:
			usage(c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 2;
		}
	}
	if (cfg.rounds == 0 || cfg.n_big < cfg.rounds || cfg.n_small < cfg.rounds) {
		fprintf(stderr, PROG ": -n must be at least 10 x ROUNDS\n");
		return 2;
	}
	ncpu = bench_pick_cpus(&caller_cpu, &callee_cpu);
	if (ncpu < 0)
		return ok(ncpu, "CPUs") < 0;
	for (size_t i = 0; i < HC_N_CASES && !err; i++)
		err = bench_samples_init(&hc_cases[i].s, hc_cases[i].big ? cfg.n_big : cfg.n_small);
	if (err == 0)
		err = setup(&cfg, caller_cpu, callee_cpu);

	printf(PROG ": file operations through host calls, natively and over a unix socket\n");
	printf("cpus:    this process on CPU %d, vmrpc-hostd, its shadows and the socket server "
	       "on CPU %d%s\n", caller_cpu, callee_cpu, ncpu == 1 ? " (one CPU: both share it)" : "");
	printf("calls:   %zu per case (1 MiB reads: %zu) in %u rounds; channel %s, "
	       "host buffer %zu KiB\n", cfg.n_small, cfg.n_big, cfg.rounds, cfg.chan_size,
	       hc.zbuf_len >> 10);
	printf("files:   page-cached, on %s; the 1 MiB reads walk a %zu MiB file\n\n", hc.dir,
	       cfg.big_file >> 20);

	for (unsigned r = 0; r < cfg.rounds && err == 0; r++)
		for (size_t i = 0; i < HC_N_CASES && err == 0; i++) {
			struct hc_case *k = &hc_cases[i];
			size_t n = (k->big ? cfg.n_big : cfg.n_small) / cfg.rounds;
			err = bench_run(k->fn, NULL, n / 10 + 1, n, &k->s);
			if (err < 0)
				fprintf(stderr, PROG ": %s, %s: failed\n", k->op, k->way);
		}
	if (err == 0) {
		bench_table_header(stdout);
		for (size_t i = 0; i < HC_N_CASES; i++) {
			struct hc_case *k = &hc_cases[i];
			char note[64] = "", name[80];
			bench_samples_stats(&k->s, &k->st);
			if (k->big)
				snprintf(note, sizeof(note), "%.0f MiB/s", k->st.calls_per_s);
			snprintf(name, sizeof(name), "%s, %s", k->op, k->way);
			bench_table_row(stdout, name, &k->st, note[0] ? note : NULL);
		}
		targets();
	}
	for (size_t i = 0; i < HC_N_CASES; i++)
		bench_samples_free(&hc_cases[i].s);
	if (teardown() < 0 && err == 0)
		err = -ECHILD;
	if (err < 0)
		fprintf(stderr, PROG ": failed: %s\n", vmrpc_strerror(err));
	return err < 0;
}
