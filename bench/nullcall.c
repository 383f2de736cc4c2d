/* SPDX-License-Identifier: MIT */
/*
 * vmrpc-bench-nullcall: round-trip latency of a call that does nothing,
 * through vmrpc and through the mechanisms it is measured against, all in
 * one run, caller and callee in two processes pinned to two CPUs.
 *
 * The vmrpc cases run the real call protocol of libvmrpc over the loopback
 * transport, without vmrpc-hostd: this process creates the region and its
 * doorbell socket as hostd would; a forked "host" child answers the
 * doorbell, attaches the channel and serves it with vmrpc_callee_serve();
 * the parent maps the region a second time, as a guest caller would, and
 * calls through vmrpc_outcall_begin()/vmrpc_outcall_invoke(), exactly what
 * a generated stub for `void null()` does.
 *
 * Every case's callee is started first and stays up; the cases then take
 * turns in rounds, so a change of the VM's vCPU placement during the run
 * shifts all of them alike instead of skewing one comparison. An idle
 * callee sleeps (the raw spin callee is parked on a futex between turns).
 *
 * docs/benchmarks.md says how to read the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifdef VMRPC_BENCH_HAVE_TIRPC
#include <arpa/inet.h>
#include <netinet/in.h>
#include <rpc/rpc.h>
#endif

#include "bench_util.h"
#include "benchnull_callee.h"
#include "benchnull_caller.h"
#include "standin.h"
#include "vmrpc/stub.h"
#include "vmrpc_private.h"

#define PROG "vmrpc-bench-nullcall"

struct nc_cfg {
	size_t n_spin, n_sleep;       /* measured calls per case */
	size_t warm_spin, warm_sleep; /* warm-up calls per case, over all rounds */
	unsigned rounds;
	int caller_cpu, callee_cpu;
	int one_cpu; /* caller and callee share a CPU */
};

/* One case: a callee child, a way to call it, and what was measured. */
struct nc_case {
	const char *key;  /* for --only */
	const char *name; /* in the table */
	int spinning;     /* which iteration counts apply */
	/* Start the callee and connect to it: 0, -ENOSYS (not built in),
	 * or another error (reported on stderr). */
	int (*open)(struct nc_case *k);
	bench_call_fn call; /* gets the nc_case */
	void (*park)(struct nc_case *k);   /* optional: quiet the callee */
	void (*resume)(struct nc_case *k); /* optional: undo park */
	void (*close)(struct nc_case *k);  /* disconnect (the child is stopped after) */

	/* run time */
	const struct nc_cfg *cfg;
	void *priv;
	struct bench_child child;
	struct bench_report *report; /* the child counts the calls it served */
	uint64_t calls;              /* calls made, warm-up included */
	int opened, failed;
	const char *note;
	struct bench_samples samples;
	struct bench_stats stats;
};

/* ---- shared helpers ---------------------------------------------------- */

/* What libvmrpc's spin loops do between loads (sync_cpu_relax()). */
static inline void nc_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static inline void nc_cpu_relax(const struct nc_cfg *cfg)
{
	/* On one CPU the peer cannot run while we spin: hand it the CPU. */
	if (cfg->one_cpu)
		sched_yield();
	else
		nc_pause();
}

static int nc_futex_wait(uint32_t *p, uint32_t expected, uint64_t timeout_ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(timeout_ns / 1000000000u),
		.tv_nsec = (long)(timeout_ns % 1000000000u),
	};

	/* Not FUTEX_PRIVATE_FLAG: the word is shared with another process. */
	if (syscall(SYS_futex, p, FUTEX_WAIT, expected, &ts, NULL, 0) == 0)
		return 0;
	return errno == EAGAIN || errno == EINTR ? 0 : -errno;
}

static void nc_futex_wake(uint32_t *p)
{
	syscall(SYS_futex, p, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void nc_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- vmrpc ------------------------------------------------------------- */

/* Spin budget for both sides; NC_SPIN_DEFAULT keeps libvmrpc's own. */
#define NC_SPIN_DEFAULT STANDIN_SPIN_DEFAULT

/* The region the vmrpc-hostd case serves, beside the others' "bench". */
#define NC_HOSTD_REGION "benchd"

/* The host side: the parent sets it up, as hostd would, before it forks
 * the host children, which inherit the mapping and the doorbell socket. */
struct nc_vmrpc_host {
	char dir[64];
	struct vmrpc_region *region;
	int bell_fd;
	int ready;
};

static struct nc_vmrpc_host nc_host = { .bell_fd = -1 };

struct nc_vmrpc {
	uint32_t spin_ns;
	struct vmrpc_region *guest; /* the caller's own mapping */
	struct vmrpc_chan *ch;
	struct vmrpc_binding b;
};

/* benchnull.idl's null(), served by the generated skeleton. Counting is a
 * store to a line the caller does not read while calls run, so it costs the
 * round trip nothing. */
static int nc_null(void *ctx)
{
	struct bench_report *report = ctx;

	report->served++;
	return 0;
}

static const struct benchnull_ops nc_null_ops = { .null = nc_null };

/* Child: act as hostd for one attach, then as the channel's shadow. */
static int nc_vmrpc_host_main(void *arg)
{
	struct nc_case *k = arg;
	struct nc_vmrpc *v = k->priv;
	const struct vmrpc_service svc = benchnull_service(&nc_null_ops, k->report);
	struct vmrpc_callee *callee;
	int err;

	err = standin_chan_accept(nc_host.region, nc_host.bell_fd, 10000, v->spin_ns, &callee);
	if (err < 0) {
		fprintf(stderr, "%s host: no channel attached: %s\n", k->key,
			err == -ETIMEDOUT ? "no attach doorbell within 10 s" : vmrpc_strerror(err));
		return err;
	}
	/* Serves until the parent's SIGTERM ends the process. */
	err = vmrpc_callee_serve(callee, &svc, 1);
	fprintf(stderr, "%s host: vmrpc_callee_serve returned: %s\n", k->key,
		err < 0 ? vmrpc_strerror(err) : "stopped");
	vmrpc_callee_close(callee);
	return err < 0 ? err : -EINTR;
}

static int nc_vmrpc_host_setup(struct nc_vmrpc_host *h)
{
	const struct vmrpc_iface *ifaces[] = { &benchnull_iface };
	const struct vmrpc_region_opts opts = { .n_channels = 4, .chan_size = 64u << 10 };
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	int err;

	snprintf(h->dir, sizeof(h->dir), "%s/vmrpc-bench.XXXXXX", base);
	err = standin_runtime_dir_create(h->dir);
	if (err < 0) {
		fprintf(stderr, PROG ": runtime directory %s: %s\n", h->dir, strerror(-err));
		h->dir[0] = '\0';
		return err;
	}
	err = standin_region_create("bench", &opts, &h->region, &h->bell_fd);
	if (err < 0) {
		fprintf(stderr, PROG ": stand-in region: %s\n", vmrpc_strerror(err));
		return err;
	}
	err = vmrpc_hostd_region_publish(h->region, ifaces, 1);
	if (err < 0) {
		fprintf(stderr, PROG ": vmrpc_hostd_region_publish: %s\n", vmrpc_strerror(err));
		return err;
	}
	h->ready = 1;
	return 0;
}

static void nc_vmrpc_host_teardown(struct nc_vmrpc_host *h)
{
	nc_close_fd(&h->bell_fd);
	vmrpc_region_close(h->region);
	h->region = NULL;
	h->ready = 0;
	if (!h->dir[0])
		return;
	standin_runtime_dir_remove(h->dir);
	h->dir[0] = '\0';
}

static int nc_vmrpc_open(struct nc_case *k)
{
	struct nc_vmrpc *v = k->priv;
	int err;

	if (!nc_host.ready && !nc_host.dir[0]) {
		err = nc_vmrpc_host_setup(&nc_host);
		if (err < 0)
			return err;
	}
	if (!nc_host.ready)
		return -ENODEV;
	/* Forked only now, after the previous vmrpc case's child has taken its
	 * ATTACH doorbell: the next one is for this child. */
	err = bench_child_start(&k->child, k->cfg->callee_cpu, nc_vmrpc_host_main, k);
	if (err < 0) {
		fprintf(stderr, "%s: fork: %s\n", k->key, strerror(-err));
		return err;
	}
	/* A separate mapping of the region file, as a guest caller has. */
	err = vmrpc_region_open("bench", &v->guest);
	if (err < 0) {
		fprintf(stderr, "%s: vmrpc_region_open: %s\n", k->key, vmrpc_strerror(err));
		return err;
	}
	err = vmrpc_chan_open(v->guest, 0, &v->ch);
	if (err < 0) {
		fprintf(stderr, "%s: vmrpc_chan_open: %s\n", k->key, vmrpc_strerror(err));
		return err;
	}
	if (v->spin_ns != NC_SPIN_DEFAULT)
		vmrpc_chan_set_spin(v->ch, v->spin_ns);
	err = benchnull_bind(v->ch, &v->b);
	if (err < 0) {
		fprintf(stderr, "%s: vmrpc_bind: %s\n", k->key, vmrpc_strerror(err));
		return err;
	}
	return 0;
}

/* The generated stub of benchnull.idl's `void null()`. */
static int nc_vmrpc_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_vmrpc *v = k->priv;
	int err = benchnull_null(&v->b);

	if (err < 0)
		fprintf(stderr, "%s: call: %s\n", k->key, vmrpc_strerror(err));
	return err;
}

static void nc_vmrpc_close(struct nc_case *k)
{
	struct nc_vmrpc *v = k->priv;

	vmrpc_chan_close(v->ch);
	v->ch = NULL;
	vmrpc_region_close(v->guest);
	v->guest = NULL;
}

/* ---- vmrpc through vmrpc-hostd: the deployment path ------------------------ */

/* hostd in the callee child (pinned there, as its shadows then are), serving
 * benchnull.idl from a service module; the caller uses generated stubs. */
struct nc_hostd {
	struct vmrpc_region *guest;
	struct vmrpc_chan *ch;
	struct vmrpc_binding b;
};

static int nc_hostd_open(struct nc_case *k)
{
	char *const argv[] = { "vmrpc-hostd", "--loopback", NC_HOSTD_REGION, "--channels", "2",
			       "--service", NC_BENCHNULL_MODULE, NULL };
	struct nc_hostd *v = k->priv;
	char sock[PATH_MAX], log[PATH_MAX];
	int err;

	if (!nc_host.dir[0]) {
		err = nc_vmrpc_host_setup(&nc_host); /* the runtime directory */
		if (err < 0)
			return err;
	}
	err = vmrpc_region_path(NC_HOSTD_REGION, ".sock", sock, sizeof(sock));
	if (err < 0)
		return err;
	/* in the callee child: pinned there, as its shadows then are */
	snprintf(log, sizeof(log), "%s/hostd.log", nc_host.dir);
	err = bench_daemon_start(&k->child, k->cfg->callee_cpu, NC_HOSTD_EXE, argv, log, sock,
				 k->key);
	if (err < 0)
		return err;
	err = vmrpc_region_open(NC_HOSTD_REGION, &v->guest);
	if (err == 0)
		err = vmrpc_chan_open(v->guest, 0, &v->ch);
	if (err == 0)
		err = benchnull_bind(v->ch, &v->b);
	if (err < 0)
		fprintf(stderr, "%s: attach: %s\n", k->key, vmrpc_strerror(err));
	return err;
}

static int nc_hostd_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_hostd *v = k->priv;
	int err = benchnull_null(&v->b);

	if (err < 0)
		fprintf(stderr, "%s: call: %s\n", k->key, vmrpc_strerror(err));
	return err;
}

/* The shadow counted its calls; hand the count to the common check. */
static void nc_hostd_close(struct nc_case *k)
{
	struct nc_hostd *v = k->priv;
	int64_t served = v->ch ? benchnull_served(&v->b) : 0;

	k->report->served = served > 0 ? (uint64_t)served : 0;
	vmrpc_chan_close(v->ch);
	v->ch = NULL;
	vmrpc_region_close(v->guest);
	v->guest = NULL;
}

/* ---- raw shared-memory spin and futex ping-pong -------------------------- */

/* Two sequence words on their own 128-byte line pairs, like req_seq and
 * rep_seq in a vmrpc channel. */
struct nc_words {
	_Alignas(128) uint32_t ping; /* caller writes */
	uint8_t pad0[124];
	_Alignas(128) uint32_t pong; /* callee writes */
	uint8_t pad1[124];
};

/* ping value that parks the spin callee on a futex until ping changes. */
#define NC_PARK UINT32_MAX

struct nc_words_ctx {
	struct nc_words *w;
	uint32_t seq; /* caller: last ping */
};

static int nc_spin_callee(void *arg)
{
	struct nc_case *k = arg;
	struct nc_words *w = ((struct nc_words_ctx *)k->priv)->w;
	uint32_t last = 0, s;

	for (;;) {
		while ((s = __atomic_load_n(&w->ping, __ATOMIC_ACQUIRE)) == last)
			nc_cpu_relax(k->cfg);
		if (s == NC_PARK) {
			while (__atomic_load_n(&w->ping, __ATOMIC_ACQUIRE) == NC_PARK)
				nc_futex_wait(&w->ping, NC_PARK, 1000000000u);
			continue;
		}
		k->report->served++;
		__atomic_store_n(&w->pong, s, __ATOMIC_RELEASE);
		last = s;
	}
	return 0;
}

static int nc_spin_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_words_ctx *x = k->priv;
	struct nc_words *w = x->w;
	uint32_t seq = ++x->seq;

	__atomic_store_n(&w->ping, seq, __ATOMIC_RELEASE);
	for (unsigned n = 1; __atomic_load_n(&w->pong, __ATOMIC_ACQUIRE) != seq; n++) {
		nc_cpu_relax(k->cfg);
		if (n % (1u << 20) == 0 && !bench_child_alive(&k->child)) {
			fprintf(stderr, "%s: callee died\n", k->key);
			return -ECHILD;
		}
	}
	return 0;
}

static void nc_spin_park(struct nc_case *k)
{
	struct nc_words_ctx *x = k->priv;

	__atomic_store_n(&x->w->ping, NC_PARK, __ATOMIC_RELEASE);
}

static void nc_spin_resume(struct nc_case *k)
{
	struct nc_words_ctx *x = k->priv;

	/* Back to the last answered value: the callee spins for the next. */
	__atomic_store_n(&x->w->ping, x->seq, __ATOMIC_RELEASE);
	nc_futex_wake(&x->w->ping);
}

static int nc_futex_callee(void *arg)
{
	struct nc_case *k = arg;
	struct nc_words *w = ((struct nc_words_ctx *)k->priv)->w;
	uint32_t last = 0, s;
	int err;

	for (;;) {
		while ((s = __atomic_load_n(&w->ping, __ATOMIC_ACQUIRE)) == last) {
			err = nc_futex_wait(&w->ping, last, 1000000000u);
			if (err < 0 && err != -ETIMEDOUT) {
				fprintf(stderr, "%s callee: FUTEX_WAIT: %s\n", k->key,
					strerror(-err));
				return err;
			}
		}
		k->report->served++;
		__atomic_store_n(&w->pong, s, __ATOMIC_RELEASE);
		nc_futex_wake(&w->pong);
		last = s;
	}
	return 0;
}

/* No spinning on either side: every call is a FUTEX_WAKE each way, and a
 * FUTEX_WAIT unless the answer is already there. */
static int nc_futex_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_words_ctx *x = k->priv;
	struct nc_words *w = x->w;
	uint32_t seq = ++x->seq, s;
	int err;

	__atomic_store_n(&w->ping, seq, __ATOMIC_RELEASE);
	nc_futex_wake(&w->ping);
	while ((s = __atomic_load_n(&w->pong, __ATOMIC_ACQUIRE)) != seq) {
		err = nc_futex_wait(&w->pong, s, 1000000000u);
		if (err == -ETIMEDOUT && !bench_child_alive(&k->child)) {
			fprintf(stderr, "%s: callee died\n", k->key);
			return -ECHILD;
		}
		if (err < 0 && err != -ETIMEDOUT)
			return err;
	}
	return 0;
}

static int nc_words_open(struct nc_case *k, int (*callee)(void *))
{
	struct nc_words_ctx *x = k->priv;
	int err;

	x->w = bench_shared_alloc(sizeof(*x->w));
	if (!x->w)
		return -errno;
	err = bench_child_start(&k->child, k->cfg->callee_cpu, callee, k);
	if (err < 0)
		fprintf(stderr, "%s: fork: %s\n", k->key, strerror(-err));
	return err;
}

static int nc_spin_open(struct nc_case *k)
{
	return nc_words_open(k, nc_spin_callee);
}

static int nc_futex_open(struct nc_case *k)
{
	return nc_words_open(k, nc_futex_callee);
}

static void nc_words_close(struct nc_case *k)
{
	struct nc_words_ctx *x = k->priv;

	/* The child keeps its own mapping until it is stopped. */
	bench_shared_free(x->w, sizeof(*x->w));
	x->w = NULL;
}

/* ---- pipes and a unix socket pair --------------------------------------- */

struct nc_fd_ctx {
	int use_socket;
	int caller_rd, caller_wr; /* the parent's ends; a socket has only rd */
	int callee_rd, callee_wr; /* the child's ends; likewise */
};

static int nc_fd_callee(void *arg)
{
	struct nc_case *k = arg;
	struct nc_fd_ctx *x = k->priv;
	int rd = x->callee_rd, wr = x->callee_wr >= 0 ? x->callee_wr : x->callee_rd;
	char b;

	nc_close_fd(&x->caller_rd);
	nc_close_fd(&x->caller_wr);
	for (;;) {
		ssize_t r = read(rd, &b, 1);

		if (r == 0)
			return 0; /* the caller is done */
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "%s callee: read: %s\n", k->key, strerror(errno));
			return -errno;
		}
		k->report->served++;
		if (write(wr, &b, 1) != 1) {
			fprintf(stderr, "%s callee: write: %s\n", k->key, strerror(errno));
			return -EIO;
		}
	}
}

static int nc_fd_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_fd_ctx *x = k->priv;
	int wr = x->caller_wr >= 0 ? x->caller_wr : x->caller_rd;
	char b = 'x';
	ssize_t r;

	if (write(wr, &b, 1) != 1) {
		fprintf(stderr, "%s: write: %s\n", k->key, strerror(errno));
		return -EIO;
	}
	do
		r = read(x->caller_rd, &b, 1);
	while (r < 0 && errno == EINTR);
	if (r == 1 && b == 'x')
		return 0;
	fprintf(stderr, "%s: read: %s\n", k->key, r < 0 ? strerror(errno) : "callee hung up");
	return -EPIPE;
}

static int nc_fd_open(struct nc_case *k)
{
	struct nc_fd_ctx *x = k->priv;
	int a[2], b[2], err;

	x->caller_rd = x->caller_wr = x->callee_rd = x->callee_wr = -1;
	if (x->use_socket) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) < 0)
			goto fail_errno;
		x->caller_rd = a[0];
		x->callee_rd = a[1];
	} else {
		if (pipe2(a, O_CLOEXEC) < 0)
			goto fail_errno;
		x->callee_rd = a[0]; /* caller -> callee */
		x->caller_wr = a[1];
		if (pipe2(b, O_CLOEXEC) < 0)
			goto fail_errno;
		x->caller_rd = b[0]; /* callee -> caller */
		x->callee_wr = b[1];
	}
	err = bench_child_start(&k->child, k->cfg->callee_cpu, nc_fd_callee, k);
	if (err < 0) {
		fprintf(stderr, "%s: fork: %s\n", k->key, strerror(-err));
		return err;
	}
	/* Only the child keeps its ends: its death is then EOF here. */
	nc_close_fd(&x->callee_rd);
	nc_close_fd(&x->callee_wr);
	return 0;
fail_errno:
	err = -errno;
	fprintf(stderr, "%s: %s: %s\n", k->key, x->use_socket ? "socketpair" : "pipe2",
		strerror(-err));
	return err;
}

static void nc_fd_close(struct nc_case *k)
{
	struct nc_fd_ctx *x = k->priv;

	nc_close_fd(&x->caller_rd);
	nc_close_fd(&x->caller_wr);
	nc_close_fd(&x->callee_rd);
	nc_close_fd(&x->callee_wr);
}

/* ---- ONC RPC (libtirpc) over TCP on 127.0.0.1 ---------------------------- */

#ifdef VMRPC_BENCH_HAVE_TIRPC
struct nc_rpc_ctx {
	int listen_fd;
	CLIENT *clnt;
};

#define NC_RPC_PROG 0x2076726dul /* transient program number range */
#define NC_RPC_VERS 1ul

/* tirpc declares xdr_void(void); a cast through void (*)(void) is the
 * documented way to say the function-type mismatch is intended. */
#define NC_XDR_VOID ((xdrproc_t)(void (*)(void))xdr_void)

static struct bench_report *nc_rpc_report; /* the callee child's */

static void nc_rpc_dispatch(struct svc_req *rq, SVCXPRT *xprt)
{
	if (rq->rq_proc != NULLPROC) {
		svcerr_noproc(xprt);
		return;
	}
	nc_rpc_report->served++;
	if (!svc_sendreply(xprt, NC_XDR_VOID, NULL))
		svcerr_systemerr(xprt);
}

static int nc_rpc_callee(void *arg)
{
	struct nc_case *k = arg;
	struct nc_rpc_ctx *x = k->priv;
	SVCXPRT *xprt;

	nc_rpc_report = k->report;
	xprt = svctcp_create(x->listen_fd, 0, 0);
	if (!xprt) {
		fprintf(stderr, "%s callee: svctcp_create failed\n", k->key);
		return -EIO;
	}
	/* Protocol 0: do not register with rpcbind; the caller knows the port. */
	if (!svc_register(xprt, NC_RPC_PROG, NC_RPC_VERS, nc_rpc_dispatch, 0)) {
		fprintf(stderr, "%s callee: svc_register failed\n", k->key);
		return -EIO;
	}
	svc_run();
	fprintf(stderr, "%s callee: svc_run returned\n", k->key);
	return -EIO;
}

static int nc_rpc_call(void *arg)
{
	struct nc_case *k = arg;
	struct nc_rpc_ctx *x = k->priv;
	struct timeval tv = { .tv_sec = 10 };
	enum clnt_stat st;

	st = clnt_call(x->clnt, NULLPROC, NC_XDR_VOID, NULL, NC_XDR_VOID, NULL, tv);
	if (st != RPC_SUCCESS) {
		fprintf(stderr, "%s: %s\n", k->key, clnt_sperror(x->clnt, "clnt_call"));
		return -EPROTO;
	}
	return 0;
}

static int nc_rpc_open(struct nc_case *k)
{
	struct nc_rpc_ctx *x = k->priv;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int sock = RPC_ANYSOCK, err;

	x->listen_fd = -1;
	x->clnt = NULL;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	x->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (x->listen_fd < 0 || bind(x->listen_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(x->listen_fd, 16) < 0 ||
	    getsockname(x->listen_fd, (struct sockaddr *)&a, &alen) < 0) {
		err = -errno;
		fprintf(stderr, "%s: listening socket on 127.0.0.1: %s\n", k->key,
			strerror(-err));
		return err;
	}
	err = bench_child_start(&k->child, k->cfg->callee_cpu, nc_rpc_callee, k);
	if (err < 0) {
		fprintf(stderr, "%s: fork: %s\n", k->key, strerror(-err));
		return err;
	}
	nc_close_fd(&x->listen_fd);
	/* A non-zero port: no rpcbind query, a direct connect. */
	x->clnt = clnttcp_create(&a, NC_RPC_PROG, NC_RPC_VERS, &sock, 0, 0);
	if (!x->clnt) {
		fprintf(stderr, "%s: %s\n", k->key, clnt_spcreateerror("clnttcp_create"));
		return -ECONNREFUSED;
	}
	return 0;
}

static void nc_rpc_close(struct nc_case *k)
{
	struct nc_rpc_ctx *x = k->priv;

	if (x->clnt)
		clnt_destroy(x->clnt);
	x->clnt = NULL;
	nc_close_fd(&x->listen_fd);
}
#else
struct nc_rpc_ctx {
	int listen_fd;
};

static int nc_rpc_open(struct nc_case *k)
{
	k->note = "(built without libtirpc)";
	return -ENOSYS;
}

static int nc_rpc_call(void *arg)
{
	return -ENOSYS;
}

static void nc_rpc_close(struct nc_case *k)
{
}
#endif

/* ---- the run ------------------------------------------------------------ */

enum { NC_VMRPC_SPIN, NC_VMRPC_SLEEP, NC_VMRPC_HOSTD, NC_RAW_SPIN, NC_FUTEX, NC_PIPE, NC_UNIX, NC_ONCRPC,
       NC_N_CASES };

static struct nc_vmrpc nc_vmrpc_spin = { .spin_ns = NC_SPIN_DEFAULT };
static struct nc_vmrpc nc_vmrpc_sleep = { .spin_ns = 0 };
static struct nc_hostd nc_hostd;
static struct nc_words_ctx nc_raw_words, nc_futex_words;
static struct nc_fd_ctx nc_pipe_fds = { .use_socket = 0 };
static struct nc_fd_ctx nc_unix_fds = { .use_socket = 1 };
static struct nc_rpc_ctx nc_rpc;

static struct nc_case nc_cases[NC_N_CASES] = {
	[NC_VMRPC_SPIN] = { "vmrpc-spin", "vmrpc null call, spinning", 1, nc_vmrpc_open,
			    nc_vmrpc_call, NULL, NULL, nc_vmrpc_close, .priv = &nc_vmrpc_spin },
	[NC_VMRPC_SLEEP] = { "vmrpc-sleep", "vmrpc null call, sleeping (spin 0)", 0,
			     nc_vmrpc_open, nc_vmrpc_call, NULL, NULL, nc_vmrpc_close,
			     .priv = &nc_vmrpc_sleep },
	[NC_VMRPC_HOSTD] = { "vmrpc-hostd", "vmrpc via hostd shadow + stubs", 1,
			     nc_hostd_open, nc_hostd_call, NULL, NULL, nc_hostd_close,
			     .priv = &nc_hostd },
	[NC_RAW_SPIN] = { "raw-spin", "raw shared-memory spin ping-pong", 1, nc_spin_open,
			  nc_spin_call, nc_spin_park, nc_spin_resume, nc_words_close,
			  .priv = &nc_raw_words },
	[NC_FUTEX] = { "futex", "futex ping-pong", 0, nc_futex_open, nc_futex_call, NULL, NULL,
		       nc_words_close, .priv = &nc_futex_words },
	[NC_PIPE] = { "pipe", "pipe ping-pong (1 byte)", 0, nc_fd_open, nc_fd_call, NULL, NULL,
		      nc_fd_close, .priv = &nc_pipe_fds },
	[NC_UNIX] = { "unix", "unix socketpair ping-pong (1 byte)", 0, nc_fd_open, nc_fd_call,
		      NULL, NULL, nc_fd_close, .priv = &nc_unix_fds },
	[NC_ONCRPC] = { "oncrpc", "ONC RPC NULLPROC, TCP 127.0.0.1", 0, nc_rpc_open,
			nc_rpc_call, NULL, NULL, nc_rpc_close, .priv = &nc_rpc },
};

/* Disconnect, stop the child, check it served every call we made. */
static void nc_case_finish(struct nc_case *k)
{
	int err;

	if (k->close)
		k->close(k);
	if (!k->child.pid)
		return;
	err = bench_child_stop(&k->child, k->key);
	if (err < 0) {
		k->failed = 1;
		return;
	}
	if (!k->failed && k->report->served != k->calls) {
		fprintf(stderr, "%s: callee served %llu calls, caller made %llu\n", k->key,
			(unsigned long long)k->report->served, (unsigned long long)k->calls);
		k->failed = 1;
	}
}

static void nc_usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " [--quick] [-n N] [-r ROUNDS] [--only CASE[,CASE...]]\n"
		"  Round-trip latency of a null call: vmrpc (spinning and sleeping phases)\n"
		"  against raw shared-memory spin, futex, pipe, unix socket and ONC RPC\n"
		"  ping-pongs, caller and callee in two processes on two CPUs.\n"
		"  -n N         measure N calls in spinning cases, N/10 (at least 100) in\n"
		"               sleeping ones (default 200000 / 20000)\n"
		"  -r ROUNDS    split each case's calls into ROUNDS turns, the cases taking\n"
		"               turns (default 100)\n"
		"  --quick      smoke run: 2000 / 500 calls in 2 rounds, short warm-up\n"
		"  --only LIST  run only these cases: vmrpc-spin vmrpc-sleep vmrpc-hostd raw-spin futex\n"
		"               pipe unix oncrpc\n");
}

static void nc_print_machine(const struct nc_cfg *cfg, uint64_t timer_ns)
{
	char model[128] = "unknown", line[256];
	struct utsname u;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');
			if (!strncmp(line, "model name", 10) && colon) {
				snprintf(model, sizeof(model), "%s", colon + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	printf(PROG ": null-call round trip, caller and callee in two processes\n");
	printf("machine: %s, %ld online CPUs, kernel %s\n", model, sysconf(_SC_NPROCESSORS_ONLN),
	       u.release);
	if (cfg->one_cpu)
		printf("cpus:    NOTE: only one CPU available (CPU %d): caller and callee share it;\n"
		       "         spinning cases yield the CPU, so they measure the scheduler, not\n"
		       "         cache-line transfers\n",
		       cfg->caller_cpu);
	else
		printf("cpus:    caller pinned to CPU %d, callee pinned to CPU %d\n",
		       cfg->caller_cpu, cfg->callee_cpu);
	printf("calls:   %zu measured after %zu warm-up (spinning cases), %zu after %zu (sleeping);\n"
	       "         cases take turns in %u rounds\n",
	       cfg->n_spin, cfg->warm_spin, cfg->n_sleep, cfg->warm_sleep, cfg->rounds);
	printf("timing:  CLOCK_MONOTONIC around each call; a reading costs ~%llu ns (not subtracted)\n",
	       (unsigned long long)timer_ns);
	if (getenv("VMRPC_SPIN_NS"))
		printf("NOTE:    VMRPC_SPIN_NS=%s overrides vmrpc's default spin budget\n",
		       getenv("VMRPC_SPIN_NS"));
	printf("\n");
}

static int nc_parse_only(const char *list, int *want)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (int i = 0; i < NC_N_CASES; i++)
		want[i] = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int i;
		for (i = 0; i < NC_N_CASES; i++)
			if (!strcmp(tok, nc_cases[i].key))
				break;
		if (i == NC_N_CASES) {
			fprintf(stderr, PROG ": unknown case '%s'\n", tok);
			err = -EINVAL;
			break;
		}
		want[i] = 1;
	}
	free(copy);
	return err;
}

static int nc_parse_count(const char *s, unsigned long long max, unsigned long long *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Share part r of total among rounds: the first rounds take the remainder. */
static size_t nc_share(size_t total, unsigned rounds, unsigned r)
{
	return total / rounds + (r < total % rounds ? 1 : 0);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nc_cfg cfg = {
		.n_spin = 200000, .n_sleep = 20000, .warm_spin = 10000, .warm_sleep = 2000,
		.rounds = 100,
	};
	int want[NC_N_CASES], failed = 0, ncpu, opt, err;
	unsigned long long v;

	for (int i = 0; i < NC_N_CASES; i++)
		want[i] = 1;
	while ((opt = getopt_long(argc, argv, "n:r:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			cfg.n_spin = 2000;
			cfg.n_sleep = 500;
			cfg.warm_spin = 500;
			cfg.warm_sleep = 100;
			cfg.rounds = 2;
			break;
		case 'n':
			if (nc_parse_count(optarg, 100000000ull, &v) < 0) {
				fprintf(stderr, PROG ": -n wants a count from 1 to 100000000\n");
				return 2;
			}
			cfg.n_spin = (size_t)v;
			cfg.n_sleep = v / 10 > 100 ? (size_t)(v / 10) : 100;
			break;
		case 'r':
			if (nc_parse_count(optarg, 1000, &v) < 0) {
				fprintf(stderr, PROG ": -r wants a count from 1 to 1000\n");
				return 2;
			}
			cfg.rounds = (unsigned)v;
			break;
		case 'o':
			if (nc_parse_only(optarg, want) < 0)
				return 2;
			break;
		case 'h':
			nc_usage(stdout);
			return 0;
		default:
			nc_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		nc_usage(stderr);
		return 2;
	}
	if (cfg.rounds > cfg.n_sleep)
		cfg.rounds = (unsigned)cfg.n_sleep;

	ncpu = bench_pick_cpus(&cfg.caller_cpu, &cfg.callee_cpu);
	if (ncpu < 0) {
		fprintf(stderr, PROG ": sched_getaffinity: %s\n", strerror(-ncpu));
		return 1;
	}
	cfg.one_cpu = ncpu < 2;
	err = bench_pin(cfg.caller_cpu);
	if (err < 0) {
		fprintf(stderr, PROG ": cannot pin to CPU %d: %s\n", cfg.caller_cpu,
			strerror(-err));
		return 1;
	}
	nc_print_machine(&cfg, bench_timer_cost_ns());

	/* Start every callee; vmrpc's in order, one ATTACH at a time. */
	for (int i = 0; i < NC_N_CASES; i++) {
		struct nc_case *k = &nc_cases[i];

		if (!want[i])
			continue;
		k->cfg = &cfg;
		k->report = bench_shared_alloc(sizeof(*k->report));
		err = k->report ? bench_samples_init(&k->samples,
						     k->spinning ? cfg.n_spin : cfg.n_sleep) :
				  -errno;
		if (err == 0)
			err = k->open(k);
		if (err == -ENOSYS) {
			want[i] = 0; /* n/a, with k->note saying why */
			continue;
		}
		if (err < 0) {
			fprintf(stderr, "%s: cannot start: %s\n", k->key, vmrpc_strerror(err));
			k->failed = 1;
			continue;
		}
		k->opened = 1;
		if (k->park)
			k->park(k);
	}

	for (unsigned r = 0; r < cfg.rounds; r++) {
		for (int i = 0; i < NC_N_CASES; i++) {
			struct nc_case *k = &nc_cases[i];
			size_t n, warm;

			if (!want[i] || !k->opened || k->failed)
				continue;
			n = nc_share(k->spinning ? cfg.n_spin : cfg.n_sleep, cfg.rounds, r);
			warm = nc_share(k->spinning ? cfg.warm_spin : cfg.warm_sleep, cfg.rounds, r);
			if (k->resume)
				k->resume(k);
			err = bench_run(k->call, k, warm, n, &k->samples);
			if (err < 0) {
				fprintf(stderr, "%s: call failed: %s\n", k->key, vmrpc_strerror(err));
				k->failed = 1;
				continue;
			}
			k->calls += warm + n;
			if (k->park)
				k->park(k);
		}
	}

	bench_table_header(stdout);
	for (int i = 0; i < NC_N_CASES; i++) {
		struct nc_case *k = &nc_cases[i];

		if (k->cfg)
			nc_case_finish(k);
		if (k->cfg && !want[i] && !k->failed) {
			bench_table_row(stdout, k->name, NULL, k->note);
		} else if (k->failed) {
			bench_table_row(stdout, k->name, NULL, "FAILED (see stderr)");
			failed = 1;
		} else if (want[i]) {
			bench_samples_stats(&k->samples, &k->stats);
			bench_table_row(stdout, k->name, &k->stats, k->note);
		}
		bench_samples_free(&k->samples);
		bench_shared_free(k->report, sizeof(*k->report));
	}
	nc_vmrpc_host_teardown(&nc_host);

	printf("\n");
	if (want[NC_VMRPC_SPIN] && want[NC_RAW_SPIN] && !nc_cases[NC_VMRPC_SPIN].failed &&
	    !nc_cases[NC_RAW_SPIN].failed)
		printf("ratio vmrpc-spin p50 / raw-spin p50: %.2fx (target <= 1.5x)\n",
		       nc_cases[NC_VMRPC_SPIN].stats.p50_us / nc_cases[NC_RAW_SPIN].stats.p50_us);
	else
		printf("ratio vmrpc-spin p50 / raw-spin p50: n/a (a case did not run)\n");
	if (want[NC_VMRPC_HOSTD] && want[NC_RAW_SPIN] && !nc_cases[NC_VMRPC_HOSTD].failed &&
	    !nc_cases[NC_RAW_SPIN].failed)
		printf("ratio vmrpc-hostd p50 / raw-spin p50: %.2fx\n",
		       nc_cases[NC_VMRPC_HOSTD].stats.p50_us / nc_cases[NC_RAW_SPIN].stats.p50_us);
	return failed ? 1 : 0;
}
