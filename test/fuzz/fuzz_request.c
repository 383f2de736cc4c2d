/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the host side's request validation (docs/security.md,
 * "Fuzzing"). Each input is a hostile guest's write of one channel (request
 * words, args block, arena, results block; format in fuzz_request.h),
 * followed by one request that the real callee code (callee_serve_one, the
 * step vmrpc_callee_serve runs per request) answers through the real
 * skeletons generated from idl/hostcalls.idl, idl/hostfs.idl,
 * idl/hostproc.idl, idl/hostnet.idl (in the shadow's registry slots) and
 * examples/calc/calc.idl, or the meta call (abi.h) that the serving loop
 * answers itself from those interfaces' type tables.
 *
 * The method implementations below do no I/O, but they read every byte of
 * every in buffer and in string and write every byte of every out buffer and
 * out string they are given, so ASan sees any pointer the validation lets
 * through; they also check each pointer against the wire offset it came
 * from and the served channel's arena, and each scalar against what the
 * guest published. While the request is served, the region header and both
 * neighbouring channels are PROT_NONE: any access outside the served channel
 * faults. Afterwards the whole region must equal a model the harness keeps
 * of what it may contain (only the reply words, the out scalars and the
 * out-data slots change), and the status must be exactly the one an oracle
 * derived from docs/abi.md and the IDL predicts (for hostfs, hostproc and
 * hostnet: -EFAULT or -EINVAL, or the call; see expect_before()). Any
 * violation abort()s.
 *
 * The first implementation entered also scribbles over the request words and
 * the args block, as a guest may at any moment: the call must go on with the
 * snapshot it took before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "calc_callee.h"
#include "callee.h" /* libvmrpc-private: callee_serve_one() */
#include "fuzz_request.h"
#include "hostcalls_callee.h"
#include "hostfs_callee.h"
#include "hostnet_callee.h"
#include "hostproc_callee.h"
#include "standin.h"

#define REGION_SIZE ((size_t)VMRPC_HDR_SIZE + (size_t)FUZZ_N_CHANNELS * FUZZ_CHAN_SIZE)
#define CHAN_AT(field) (FUZZ_CHAN_OFF + offsetof(struct vmrpc_chan_hdr, field))

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond))                                                                     \
			fuzz_fail(__LINE__, #cond);                                              \
	} while (0)

static void fuzz_fail(int line, const char *what)
{
	fprintf(stderr, "fuzz_request.c:%d: invariant violated: %s\n", line, what);
	abort();
}

/* Set up once. */
static struct {
	struct vmrpc_region *region;
	uint8_t *base;
	struct vmrpc_chan_hdr *chan; /* the served channel */
	uint8_t *arena;              /* its arena */
	struct vmrpc_callee *callee;
	struct vmrpc_service svcs[FUZZ_N_SLOTS], no_ops[FUZZ_N_SLOTS];
	uint8_t ctl[sizeof(struct vmrpc_chan_ctl)]; /* the channel's ctl line after attach */
	uint32_t seq;
	int verbose; /* $FUZZ_REQUEST_VERBOSE or $FUZZ_VERBOSE: print each status */
} F;

/* What the whole region must hold after the call: the region as it was
 * before, plus every write the callee is allowed to make. */
static _Alignas(64) uint8_t want[REGION_SIZE];

/* This input. */
static struct {
	struct fuzz_req_hdr h;
	uint8_t pub_args[VMRPC_ARGS_SIZE];   /* the args block as published */
	uint8_t pub_arena[FUZZ_ARENA_SIZE];  /* the arena as published */
	int op_called;                       /* implementations entered */
	int64_t op_ret;                      /* what the implementation returned */
	uint8_t res[VMRPC_RESULTS_SIZE];     /* the results struct it implies */
	uint32_t res_len;
} S;

/* The args struct as the guest published it (never the scribbled block). */
#define PUB_ARGS(type, var)                                                                      \
	type var;                                                                                \
	memcpy(&var, S.pub_args, sizeof(var))

static void put32(size_t off, uint32_t v)
{
	memcpy(want + off, &v, sizeof(v));
}

static void put64(size_t off, uint64_t v)
{
	memcpy(want + off, &v, sizeof(v));
}

static int in_region(const void *p)
{
	const uint8_t *q = p;

	return q >= F.base && q < F.base + REGION_SIZE;
}

/* ---- what the implementations check and touch ------------------------ */

/* A pointer to guest memory must be exactly the wire offset it came from,
 * with [p, p+len) inside the served channel's arena. */
static void check_arena_ptr(const void *p, uint64_t off, uint64_t len)
{
	const uint8_t *q = p, *end = F.arena + FUZZ_ARENA_SIZE;

	CHECK(q >= F.arena && q <= end);
	CHECK(len <= (uint64_t)(end - q));
	CHECK((uint64_t)(q - F.base) == off);
}

/* An in string reaches the method as a private, terminated copy of exactly
 * the bytes the guest published. */
static void check_in_str(const char *s, const struct vmrpc_wire_str *w, uint32_t max_len)
{
	size_t n = strlen(s);

	CHECK(!in_region(s));
	CHECK(n == w->len && n <= max_len);
	CHECK(w->off >= FUZZ_ARENA_START && w->off - FUZZ_ARENA_START < FUZZ_ARENA_SIZE);
	CHECK(n + 1 <= FUZZ_ARENA_SIZE - (w->off - FUZZ_ARENA_START));
	CHECK(memcmp(s, S.pub_arena + (w->off - FUZZ_ARENA_START), n + 1) == 0);
}

static void read_all(const void *p, uint64_t n)
{
	const volatile uint8_t *q = p;
	uint8_t x = 0;

	for (uint64_t i = 0; i < n; i++)
		x ^= q[i];
	(void)x;
}

static uint8_t out_byte(uint64_t i)
{
	return (uint8_t)(0xc3 ^ i);
}

/* Write every byte of an out buffer in the arena, and the same into want. */
static void fill_out_buf(void *p, uint64_t n)
{
	uint8_t *q = p, *w = want + (q - F.base);

	for (uint64_t i = 0; i < n; i++)
		q[i] = w[i] = out_byte(i);
}

/* An out string of out_strlen bytes: every byte of buf is written, and it
 * stays unterminated if out_strlen >= size. */
static void make_out_str(char *buf, size_t size)
{
	CHECK(!in_region(buf));
	memset(buf, 'o', size);
	if (S.h.out_strlen < size)
		buf[S.h.out_strlen] = '\0';
}

/* First thing every implementation does. */
static void op_enter(void)
{
	struct vmrpc_chan_hdr *h = F.chan;

	CHECK(++S.op_called == 1);
	/* The guest rewrites the request words and the args block. */
	for (size_t i = 0; i < VMRPC_ARGS_SIZE; i++)
		h->args[i] = (uint8_t)~h->args[i];
	h->req.iface_slot = ~h->req.iface_slot;
	h->req.method = ~h->req.method;
	h->req.args_len = ~h->req.args_len;
	memcpy(want + CHAN_AT(req), &h->req, sizeof(h->req));
	memcpy(want + CHAN_AT(args), h->args, sizeof(h->args));
}

static int32_t op_ret32(void)
{
	S.op_ret = (int32_t)S.h.op_ret;
	return (int32_t)S.h.op_ret;
}

static int64_t op_ret64(void)
{
	S.op_ret = S.h.op_ret;
	return S.h.op_ret;
}

/* ---- hostcalls ------------------------------------------------------- */

static int32_t hc_identity(void *ctx, int32_t *pid, uint32_t *uid, uint32_t *gid)
{
	struct hostcalls_identity_results r = {
		.pid = (int32_t)S.h.op_val,
		.uid = S.h.op_val ^ 0x5555u,
		.gid = ~S.h.op_val,
	};

	op_enter();
	CHECK(!in_region(pid) && !in_region(uid) && !in_region(gid));
	*pid = r.pid;
	*uid = r.uid;
	*gid = r.gid;
	memcpy(S.res, &r, sizeof(r));
	S.res_len = sizeof(r);
	return op_ret32();
}

static int32_t hc_getcwd(void *ctx, char *path, size_t path_size)
{
	op_enter();
	CHECK(path_size == 4095 + 1);
	make_out_str(path, path_size);
	return op_ret32();
}

static int32_t hc_chdir(void *ctx, const char *path)
{
	PUB_ARGS(struct hostcalls_chdir_args, a);

	op_enter();
	check_in_str(path, &a.path, 4095);
	return op_ret32();
}

static int32_t hc_open(void *ctx, const char *path, int32_t flags, uint32_t mode)
{
	PUB_ARGS(struct hostcalls_open_args, a);

	op_enter();
	check_in_str(path, &a.path, 4095);
	CHECK(flags == a.flags && mode == a.mode);
	return op_ret32();
}

static int64_t hc_read(void *ctx, int32_t fd, void *buf, uint64_t count)
{
	PUB_ARGS(struct hostcalls_read_args, a);

	op_enter();
	CHECK(fd == a.fd && count == a.count);
	check_arena_ptr(buf, a.buf_off, count);
	fill_out_buf(buf, count);
	return op_ret64();
}

static int64_t hc_write(void *ctx, int32_t fd, const void *buf, uint64_t count)
{
	PUB_ARGS(struct hostcalls_write_args, a);

	op_enter();
	CHECK(fd == a.fd && count == a.count);
	check_arena_ptr(buf, a.buf_off, count);
	read_all(buf, count);
	return op_ret64();
}

static int32_t hc_close(void *ctx, int32_t fd)
{
	PUB_ARGS(struct hostcalls_close_args, a);

	op_enter();
	CHECK(fd == a.fd);
	return op_ret32();
}

static const struct hostcalls_ops hc_ops = {
	.identity = hc_identity,
	.getcwd = hc_getcwd,
	.chdir = hc_chdir,
	.open = hc_open,
	.read = hc_read,
	.write = hc_write,
	.close = hc_close,
};

/* ---- calc ------------------------------------------------------------ */

static int64_t calc_add(void *ctx, int64_t a, int64_t b)
{
	PUB_ARGS(struct calc_add_args, p);
	int64_t sum;

	op_enter();
	CHECK(a == p.a && b == p.b);
	S.op_ret = __builtin_add_overflow(a, b, &sum) ? -EOVERFLOW : sum;
	return S.op_ret;
}

static int32_t calc_stats(void *ctx, const void *data, uint32_t n, uint64_t *sum, uint8_t *min,
			  uint8_t *max)
{
	PUB_ARGS(struct calc_stats_args, a);
	struct calc_stats_results r = { .sum = 0, .min = 0xff, .max = 0 };
	const volatile uint8_t *d = data;

	op_enter();
	CHECK(n == a.n);
	check_arena_ptr(data, a.data_off, n);
	CHECK(!in_region(sum) && !in_region(min) && !in_region(max));
	for (uint32_t i = 0; i < n; i++) {
		uint8_t b = d[i];

		r.sum += b;
		r.min = b < r.min ? b : r.min;
		r.max = b > r.max ? b : r.max;
	}
	*sum = r.sum;
	*min = r.min;
	*max = r.max;
	memcpy(S.res, &r, sizeof(r));
	S.res_len = sizeof(r);
	return op_ret32();
}

static int32_t calc_greet(void *ctx, const char *name, char *greeting, size_t greeting_size)
{
	PUB_ARGS(struct calc_greet_args, a);

	op_enter();
	check_in_str(name, &a.name, 64);
	CHECK(greeting_size == 128 + 1);
	make_out_str(greeting, greeting_size);
	return op_ret32();
}

static int64_t calc_reverse(void *ctx, const void *data, void *rev, uint64_t n)
{
	PUB_ARGS(struct calc_reverse_args, a);

	op_enter();
	CHECK(n == a.n);
	check_arena_ptr(data, a.data_off, n);
	check_arena_ptr(rev, a.rev_off, n);
	read_all(data, n);
	fill_out_buf(rev, n);
	return op_ret64();
}

static const struct calc_ops calc_impl = {
	.add = calc_add,
	.stats = calc_stats,
	.greet = calc_greet,
	.reverse = calc_reverse,
};

/* ---- hostfs, hostproc, hostnet --------------------------------------- */

/*
 * The shadow's POSIX interfaces. Their refusals get a coarser oracle than
 * hostcalls' and calc's (see "the oracle" below); what the implementations
 * check is as strict: args_len is the args struct's size, every pointer is
 * its wire offset inside the arena (or a private copy of exactly what was
 * published), every scalar is the published one.
 */

/* The published args struct, which a called implementation's args_len
 * must be the size of. */
#define CALLED_WITH(type, var)                                                                   \
	PUB_ARGS(type, var);                                                                     \
	op_enter();                                                                              \
	CHECK(S.h.args_len == sizeof(var))

static void in_arena(const void *p, uint64_t off, uint64_t len)
{
	check_arena_ptr(p, off, len);
	read_all(p, len);
}

static void out_arena(void *p, uint64_t off, uint64_t len)
{
	check_arena_ptr(p, off, len);
	fill_out_buf(p, len);
}

/* An in struct or array the skeleton passes by pointer: a private copy of
 * exactly the published bytes. */
static void in_private(const void *p, const void *pub, size_t n)
{
	CHECK(!in_region(p));
	CHECK(memcmp(p, pub, n) == 0);
	read_all(p, n);
}

/* An out scalar or struct of n bytes that the skeleton copies into results
 * at res_off: private (not in the region), filled byte by byte; S.res gets
 * what the results block must then hold (zeroes around it). */
static void out_private(void *p, size_t n, size_t res_off, size_t res_len)
{
	uint8_t *q = p;

	CHECK(!in_region(p));
	CHECK(res_off + n <= res_len && res_len <= sizeof(S.res));
	for (size_t i = 0; i < n; i++)
		q[i] = S.res[res_off + i] = (uint8_t)(S.h.op_val + 0x1du * i);
	S.res_len = (uint32_t)res_len;
}

#define OUT_RESULT(p, type, member)                                                              \
	out_private((p), sizeof(*(p)), offsetof(type, member), sizeof(type))

static int32_t fs_openat(void *ctx, int32_t dirfd, const char *path, int32_t flags,
			 uint32_t mode)
{
	CALLED_WITH(struct hostfs_openat_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(dirfd == a.dirfd && flags == a.flags && mode == a.mode);
	return op_ret32();
}

static int32_t fs_close(void *ctx, int32_t fd)
{
	CALLED_WITH(struct hostfs_close_args, a);
	CHECK(fd == a.fd);
	return op_ret32();
}

static int64_t fs_read(void *ctx, int32_t fd, void *buf, uint64_t count)
{
	CALLED_WITH(struct hostfs_read_args, a);
	CHECK(fd == a.fd && count == a.count);
	out_arena(buf, a.buf_off, count);
	return op_ret64();
}

static int64_t fs_write(void *ctx, int32_t fd, const void *buf, uint64_t count)
{
	CALLED_WITH(struct hostfs_write_args, a);
	CHECK(fd == a.fd && count == a.count);
	in_arena(buf, a.buf_off, count);
	return op_ret64();
}

static int64_t fs_pread(void *ctx, int32_t fd, void *buf, uint64_t count, int64_t offset)
{
	CALLED_WITH(struct hostfs_pread_args, a);
	CHECK(fd == a.fd && count == a.count && offset == a.offset);
	out_arena(buf, a.buf_off, count);
	return op_ret64();
}

static int64_t fs_pwrite(void *ctx, int32_t fd, const void *buf, uint64_t count, int64_t offset)
{
	CALLED_WITH(struct hostfs_pwrite_args, a);
	CHECK(fd == a.fd && count == a.count && offset == a.offset);
	in_arena(buf, a.buf_off, count);
	return op_ret64();
}

static int64_t fs_lseek(void *ctx, int32_t fd, int64_t offset, int32_t whence)
{
	CALLED_WITH(struct hostfs_lseek_args, a);
	CHECK(fd == a.fd && offset == a.offset && whence == a.whence);
	return op_ret64();
}

static int32_t fs_fstat(void *ctx, int32_t fd, struct hostfs_stat *st)
{
	CALLED_WITH(struct hostfs_fstat_args, a);
	CHECK(fd == a.fd);
	OUT_RESULT(st, struct hostfs_fstat_results, st);
	return op_ret32();
}

static int32_t fs_fstatat(void *ctx, int32_t dirfd, const char *path, int32_t flags,
			  struct hostfs_stat *st)
{
	CALLED_WITH(struct hostfs_fstatat_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(dirfd == a.dirfd && flags == a.flags);
	OUT_RESULT(st, struct hostfs_fstatat_results, st);
	return op_ret32();
}

static int32_t fs_statx(void *ctx, int32_t dirfd, const char *path, int32_t flags, uint32_t mask,
			struct hostfs_statx *stx)
{
	CALLED_WITH(struct hostfs_statx_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(dirfd == a.dirfd && flags == a.flags && mask == a.mask);
	OUT_RESULT(stx, struct hostfs_statx_results, stx);
	return op_ret32();
}

static int32_t fs_fsync(void *ctx, int32_t fd, bool datasync)
{
	CALLED_WITH(struct hostfs_fsync_args, a);
	/* The published byte, not a's bool: it may hold any value. */
	CHECK(fd == a.fd && S.pub_args[offsetof(struct hostfs_fsync_args, datasync)] <= 1);
	CHECK(datasync == S.pub_args[offsetof(struct hostfs_fsync_args, datasync)]);
	return op_ret32();
}

static int32_t fs_ftruncate(void *ctx, int32_t fd, int64_t length)
{
	CALLED_WITH(struct hostfs_ftruncate_args, a);
	CHECK(fd == a.fd && length == a.length);
	return op_ret32();
}

static int32_t fs_truncate(void *ctx, const char *path, int64_t length)
{
	CALLED_WITH(struct hostfs_truncate_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(length == a.length);
	return op_ret32();
}

static int32_t fs_fcntl(void *ctx, int32_t fd, int32_t cmd, int64_t arg)
{
	CALLED_WITH(struct hostfs_fcntl_args, a);
	CHECK(fd == a.fd && cmd == a.cmd && arg == a.arg);
	return op_ret32();
}

static int32_t fs_fcntl_lock(void *ctx, int32_t fd, int32_t cmd, struct hostfs_flock *lock)
{
	CALLED_WITH(struct hostfs_fcntl_lock_args, a);
	CHECK(fd == a.fd && cmd == a.cmd);
	in_private(lock, S.pub_args + offsetof(struct hostfs_fcntl_lock_args, lock),
		   sizeof(*lock));
	OUT_RESULT(lock, struct hostfs_fcntl_lock_results, lock);
	return op_ret32();
}

static int32_t fs_dup(void *ctx, int32_t fd)
{
	CALLED_WITH(struct hostfs_dup_args, a);
	CHECK(fd == a.fd);
	return op_ret32();
}

static int32_t fs_dup3(void *ctx, int32_t oldfd, int32_t newfd, int32_t flags)
{
	CALLED_WITH(struct hostfs_dup3_args, a);
	CHECK(oldfd == a.oldfd && newfd == a.newfd && flags == a.flags);
	return op_ret32();
}

static int32_t fs_renameat(void *ctx, int32_t olddirfd, const char *oldpath, int32_t newdirfd,
			   const char *newpath, uint32_t flags)
{
	CALLED_WITH(struct hostfs_renameat_args, a);
	check_in_str(oldpath, &a.oldpath, 4095);
	check_in_str(newpath, &a.newpath, 4095);
	CHECK(olddirfd == a.olddirfd && newdirfd == a.newdirfd && flags == a.flags);
	return op_ret32();
}

static int32_t fs_unlinkat(void *ctx, int32_t dirfd, const char *path, int32_t flags)
{
	CALLED_WITH(struct hostfs_unlinkat_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(dirfd == a.dirfd && flags == a.flags);
	return op_ret32();
}

static int32_t fs_mkdirat(void *ctx, int32_t dirfd, const char *path, uint32_t mode)
{
	CALLED_WITH(struct hostfs_mkdirat_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(dirfd == a.dirfd && mode == a.mode);
	return op_ret32();
}

static int32_t fs_linkat(void *ctx, int32_t olddirfd, const char *oldpath, int32_t newdirfd,
			 const char *newpath, int32_t flags)
{
	CALLED_WITH(struct hostfs_linkat_args, a);
	check_in_str(oldpath, &a.oldpath, 4095);
	check_in_str(newpath, &a.newpath, 4095);
	CHECK(olddirfd == a.olddirfd && newdirfd == a.newdirfd && flags == a.flags);
	return op_ret32();
}

static int32_t fs_symlinkat(void *ctx, const char *target, int32_t newdirfd, const char *linkpath)
{
	CALLED_WITH(struct hostfs_symlinkat_args, a);
	check_in_str(target, &a.target, 4095);
	check_in_str(linkpath, &a.linkpath, 4095);
	CHECK(newdirfd == a.newdirfd);
	return op_ret32();
}

static int64_t fs_readlinkat(void *ctx, int32_t dirfd, const char *path, void *buf, uint64_t size)
{
	CALLED_WITH(struct hostfs_readlinkat_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(dirfd == a.dirfd && size == a.size);
	out_arena(buf, a.buf_off, size);
	return op_ret64();
}

static int32_t fs_fchmodat(void *ctx, int32_t dirfd, const char *path, uint32_t mode,
			   int32_t flags)
{
	CALLED_WITH(struct hostfs_fchmodat_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(dirfd == a.dirfd && mode == a.mode && flags == a.flags);
	return op_ret32();
}

static int32_t fs_fchmod(void *ctx, int32_t fd, uint32_t mode)
{
	CALLED_WITH(struct hostfs_fchmod_args, a);
	CHECK(fd == a.fd && mode == a.mode);
	return op_ret32();
}

static int32_t fs_fchownat(void *ctx, int32_t dirfd, const char *path, uint32_t owner,
			   uint32_t group, int32_t flags)
{
	CALLED_WITH(struct hostfs_fchownat_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(dirfd == a.dirfd && owner == a.owner && group == a.group && flags == a.flags);
	return op_ret32();
}

static int32_t fs_fchown(void *ctx, int32_t fd, uint32_t owner, uint32_t group)
{
	CALLED_WITH(struct hostfs_fchown_args, a);
	CHECK(fd == a.fd && owner == a.owner && group == a.group);
	return op_ret32();
}

static int32_t fs_utimensat(void *ctx, int32_t dirfd, const char *path,
			    const struct hostfs_timespec times[2], int32_t flags)
{
	CALLED_WITH(struct hostfs_utimensat_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(dirfd == a.dirfd && flags == a.flags);
	in_private(times, S.pub_args + offsetof(struct hostfs_utimensat_args, times),
		   sizeof(a.times));
	return op_ret32();
}

static int32_t fs_futimens(void *ctx, int32_t fd, const struct hostfs_timespec times[2])
{
	CALLED_WITH(struct hostfs_futimens_args, a);
	CHECK(fd == a.fd);
	in_private(times, S.pub_args + offsetof(struct hostfs_futimens_args, times),
		   sizeof(a.times));
	return op_ret32();
}

static int32_t fs_faccessat(void *ctx, int32_t dirfd, const char *path, int32_t mode,
			    int32_t flags)
{
	CALLED_WITH(struct hostfs_faccessat_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(dirfd == a.dirfd && mode == a.mode && flags == a.flags);
	return op_ret32();
}

static int64_t fs_getdents(void *ctx, int32_t fd, void *buf, uint64_t size)
{
	CALLED_WITH(struct hostfs_getdents_args, a);
	CHECK(fd == a.fd && size == a.size);
	out_arena(buf, a.buf_off, size);
	return op_ret64();
}

static int32_t fs_fchdir(void *ctx, int32_t fd)
{
	CALLED_WITH(struct hostfs_fchdir_args, a);
	CHECK(fd == a.fd);
	return op_ret32();
}

static int32_t fs_getcwd(void *ctx, char *path, size_t path_size)
{
	CALLED_WITH(struct hostfs_getcwd_args, a);
	CHECK(path_size == 4095 + 1);
	make_out_str(path, path_size);
	return op_ret32();
}

static int32_t fs_chdir(void *ctx, const char *path)
{
	CALLED_WITH(struct hostfs_chdir_args, a);
	check_in_str(path, &a.path, 4095);
	return op_ret32();
}

static int32_t fs_statfs(void *ctx, int32_t dirfd, const char *path, struct hostfs_statfs *buf)
{
	CALLED_WITH(struct hostfs_statfs_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(dirfd == a.dirfd);
	OUT_RESULT(buf, struct hostfs_statfs_results, buf);
	return op_ret32();
}

static int64_t fs_getxattr(void *ctx, int32_t fd, const char *path, int32_t flags,
			   const char *name, void *value, uint64_t size, uint64_t *len)
{
	CALLED_WITH(struct hostfs_getxattr_args, a);
	check_in_str(path, &a.path, 4095);
	check_in_str(name, &a.name, 255);
	CHECK(fd == a.fd && flags == a.flags && size == a.size);
	out_arena(value, a.value_off, size);
	OUT_RESULT(len, struct hostfs_getxattr_results, len);
	return op_ret64();
}

static int32_t fs_setxattr(void *ctx, int32_t fd, const char *path, int32_t flags,
			   const char *name, const void *value, uint64_t size, int32_t xflags)
{
	CALLED_WITH(struct hostfs_setxattr_args, a);
	check_in_str(path, &a.path, 4095);
	check_in_str(name, &a.name, 255);
	CHECK(fd == a.fd && flags == a.flags && size == a.size && xflags == a.xflags);
	in_arena(value, a.value_off, size);
	return op_ret32();
}

static int64_t fs_listxattr(void *ctx, int32_t fd, const char *path, int32_t flags, void *list,
			    uint64_t size, uint64_t *len)
{
	CALLED_WITH(struct hostfs_listxattr_args, a);
	check_in_str(path, &a.path, 4095);
	CHECK(fd == a.fd && flags == a.flags && size == a.size);
	out_arena(list, a.list_off, size);
	OUT_RESULT(len, struct hostfs_listxattr_results, len);
	return op_ret64();
}

static int32_t fs_removexattr(void *ctx, int32_t fd, const char *path, int32_t flags,
			      const char *name)
{
	CALLED_WITH(struct hostfs_removexattr_args, a);
	check_in_str(path, &a.path, 4095);
	check_in_str(name, &a.name, 255);
	CHECK(fd == a.fd && flags == a.flags);
	return op_ret32();
}

static int32_t fs_flock(void *ctx, int32_t fd, int32_t op)
{
	CALLED_WITH(struct hostfs_flock_args, a);
	CHECK(fd == a.fd && op == a.op);
	return op_ret32();
}

static int32_t fs_fallocate(void *ctx, int32_t fd, int32_t mode, int64_t offset, int64_t len)
{
	CALLED_WITH(struct hostfs_fallocate_args, a);
	CHECK(fd == a.fd && mode == a.mode && offset == a.offset && len == a.len);
	return op_ret32();
}

static int32_t fs_posix_fallocate(void *ctx, int32_t fd, int64_t offset, int64_t len)
{
	CALLED_WITH(struct hostfs_posix_fallocate_args, a);
	CHECK(fd == a.fd && offset == a.offset && len == a.len);
	return op_ret32();
}

static const struct hostfs_ops fs_ops = {
	.openat = fs_openat,	   .close = fs_close,	    .read = fs_read,
	.write = fs_write,	   .pread = fs_pread,	    .pwrite = fs_pwrite,
	.lseek = fs_lseek,	   .fstat = fs_fstat,	    .fstatat = fs_fstatat,
	.statx = fs_statx,	   .fsync = fs_fsync,	    .ftruncate = fs_ftruncate,
	.truncate = fs_truncate,   .fcntl = fs_fcntl,	    .fcntl_lock = fs_fcntl_lock,
	.dup = fs_dup,		   .dup3 = fs_dup3,	    .renameat = fs_renameat,
	.unlinkat = fs_unlinkat,   .mkdirat = fs_mkdirat,   .linkat = fs_linkat,
	.symlinkat = fs_symlinkat, .readlinkat = fs_readlinkat, .fchmodat = fs_fchmodat,
	.fchmod = fs_fchmod,	   .fchownat = fs_fchownat, .fchown = fs_fchown,
	.utimensat = fs_utimensat, .futimens = fs_futimens, .faccessat = fs_faccessat,
	.getdents = fs_getdents,   .fchdir = fs_fchdir,	    .getcwd = fs_getcwd,
	.chdir = fs_chdir,	   .statfs = fs_statfs,	    .getxattr = fs_getxattr,
	.setxattr = fs_setxattr,   .listxattr = fs_listxattr, .removexattr = fs_removexattr,
	.flock = fs_flock,	   .fallocate = fs_fallocate, .posix_fallocate = fs_posix_fallocate,
};

static int32_t proc_pipe(void *ctx, int32_t flags, int32_t *rfd, int32_t *wfd)
{
	CALLED_WITH(struct hostproc_pipe_args, a);
	CHECK(flags == a.flags);
	OUT_RESULT(rfd, struct hostproc_pipe_results, rfd);
	OUT_RESULT(wfd, struct hostproc_pipe_results, wfd);
	return op_ret32();
}

static int32_t proc_spawn(void *ctx, const char *path, const void *argv, uint32_t argv_len,
			  uint32_t argc, const void *envp, uint32_t env_len, uint32_t envc,
			  const char *cwd, int32_t stdin_fd, int32_t stdout_fd, int32_t stderr_fd)
{
	CALLED_WITH(struct hostproc_spawn_args, a);
	check_in_str(path, &a.path, 4095);
	check_in_str(cwd, &a.cwd, 4095);
	CHECK(argv_len == a.argv_len && argc == a.argc && env_len == a.env_len &&
	      envc == a.envc);
	in_arena(argv, a.argv_off, argv_len);
	in_arena(envp, a.envp_off, env_len);
	CHECK(stdin_fd == a.stdin_fd && stdout_fd == a.stdout_fd && stderr_fd == a.stderr_fd);
	return op_ret32();
}

static int32_t proc_wait(void *ctx, int32_t pid, int32_t options, int32_t *status)
{
	CALLED_WITH(struct hostproc_wait_args, a);
	CHECK(pid == a.pid && options == a.options);
	OUT_RESULT(status, struct hostproc_wait_results, status);
	return op_ret32();
}

static int32_t proc_kill(void *ctx, int32_t pid, int32_t sig)
{
	CALLED_WITH(struct hostproc_kill_args, a);
	CHECK(pid == a.pid && sig == a.sig);
	return op_ret32();
}

static int32_t proc_fork_shadow(void *ctx, uint32_t child_chan, uint64_t nonce)
{
	CALLED_WITH(struct hostproc_fork_shadow_args, a);
	CHECK(child_chan == a.child_chan && nonce == a.nonce);
	return op_ret32();
}

static const struct hostproc_ops proc_ops = {
	.pipe = proc_pipe,
	.spawn = proc_spawn,
	.wait = proc_wait,
	.kill = proc_kill,
	.fork_shadow = proc_fork_shadow,
};

static int32_t net_socket(void *ctx, int32_t domain, int32_t type, int32_t protocol)
{
	CALLED_WITH(struct hostnet_socket_args, a);
	CHECK(domain == a.domain && type == a.type && protocol == a.protocol);
	return op_ret32();
}

static int32_t net_bind_addr(void *ctx, int32_t fd, const void *addr, uint32_t addrlen)
{
	CALLED_WITH(struct hostnet_bind_addr_args, a);
	CHECK(fd == a.fd && addrlen == a.addrlen);
	in_arena(addr, a.addr_off, addrlen);
	return op_ret32();
}

static int32_t net_listen(void *ctx, int32_t fd, int32_t backlog)
{
	CALLED_WITH(struct hostnet_listen_args, a);
	CHECK(fd == a.fd && backlog == a.backlog);
	return op_ret32();
}

static int32_t net_accept(void *ctx, int32_t fd, void *addr, uint32_t addr_size,
			  uint32_t *addrlen, int32_t flags)
{
	CALLED_WITH(struct hostnet_accept_args, a);
	CHECK(fd == a.fd && addr_size == a.addr_size && flags == a.flags);
	out_arena(addr, a.addr_off, addr_size);
	OUT_RESULT(addrlen, struct hostnet_accept_results, addrlen);
	return op_ret32();
}

static int32_t net_connect(void *ctx, int32_t fd, const void *addr, uint32_t addrlen)
{
	CALLED_WITH(struct hostnet_connect_args, a);
	CHECK(fd == a.fd && addrlen == a.addrlen);
	in_arena(addr, a.addr_off, addrlen);
	return op_ret32();
}

static int64_t net_send(void *ctx, int32_t fd, const void *buf, uint64_t count, int32_t flags)
{
	CALLED_WITH(struct hostnet_send_args, a);
	CHECK(fd == a.fd && count == a.count && flags == a.flags);
	in_arena(buf, a.buf_off, count);
	return op_ret64();
}

static int64_t net_recv(void *ctx, int32_t fd, void *buf, uint64_t count, int32_t flags)
{
	CALLED_WITH(struct hostnet_recv_args, a);
	CHECK(fd == a.fd && count == a.count && flags == a.flags);
	out_arena(buf, a.buf_off, count);
	return op_ret64();
}

static int32_t net_shutdown(void *ctx, int32_t fd, int32_t how)
{
	CALLED_WITH(struct hostnet_shutdown_args, a);
	CHECK(fd == a.fd && how == a.how);
	return op_ret32();
}

static int32_t net_getsockopt(void *ctx, int32_t fd, int32_t level, int32_t name, void *val,
			      uint32_t size, uint32_t *len)
{
	CALLED_WITH(struct hostnet_getsockopt_args, a);
	CHECK(fd == a.fd && level == a.level && name == a.name && size == a.size);
	out_arena(val, a.val_off, size);
	OUT_RESULT(len, struct hostnet_getsockopt_results, len);
	return op_ret32();
}

static int32_t net_setsockopt(void *ctx, int32_t fd, int32_t level, int32_t name,
			      const void *val, uint32_t len)
{
	CALLED_WITH(struct hostnet_setsockopt_args, a);
	CHECK(fd == a.fd && level == a.level && name == a.name && len == a.len);
	in_arena(val, a.val_off, len);
	return op_ret32();
}

static int32_t net_getsockname(void *ctx, int32_t fd, void *addr, uint32_t addr_size,
			       uint32_t *addrlen)
{
	CALLED_WITH(struct hostnet_getsockname_args, a);
	CHECK(fd == a.fd && addr_size == a.addr_size);
	out_arena(addr, a.addr_off, addr_size);
	OUT_RESULT(addrlen, struct hostnet_getsockname_results, addrlen);
	return op_ret32();
}

static int32_t net_getpeername(void *ctx, int32_t fd, void *addr, uint32_t addr_size,
			       uint32_t *addrlen)
{
	CALLED_WITH(struct hostnet_getpeername_args, a);
	CHECK(fd == a.fd && addr_size == a.addr_size);
	out_arena(addr, a.addr_off, addr_size);
	OUT_RESULT(addrlen, struct hostnet_getpeername_results, addrlen);
	return op_ret32();
}

static int32_t net_resolve(void *ctx, const char *node, const char *service, int32_t family,
			   int32_t socktype, int32_t flags, void *answers, uint32_t answers_size)
{
	CALLED_WITH(struct hostnet_resolve_args, a);
	check_in_str(node, &a.node, 1025);
	check_in_str(service, &a.service, 1025);
	CHECK(family == a.family && socktype == a.socktype && flags == a.flags);
	CHECK(answers_size == a.answers_size);
	out_arena(answers, a.answers_off, answers_size);
	return op_ret32();
}

static const struct hostnet_ops net_ops = {
	.socket = net_socket,
	.bind_addr = net_bind_addr,
	.listen = net_listen,
	.accept = net_accept,
	.connect = net_connect,
	.send = net_send,
	.recv = net_recv,
	.shutdown = net_shutdown,
	.getsockopt = net_getsockopt,
	.setsockopt = net_setsockopt,
	.getsockname = net_getsockname,
	.getpeername = net_getpeername,
	.resolve = net_resolve,
};

static const struct hostcalls_ops hc_none;
static const struct calc_ops calc_none;
static const struct hostfs_ops fs_none;
static const struct hostproc_ops proc_none;
static const struct hostnet_ops net_none;

/* ---- the oracle ------------------------------------------------------ */

/* The interfaces in their registry slots. */
static const struct vmrpc_iface *const ifaces[FUZZ_N_SLOTS] = {
	[FUZZ_SLOT_HOSTCALLS] = &hostcalls_iface, [FUZZ_SLOT_HOSTFS] = &hostfs_iface,
	[FUZZ_SLOT_HOSTPROC] = &hostproc_iface,	  [FUZZ_SLOT_HOSTNET] = &hostnet_iface,
	[FUZZ_SLOT_CALC] = &calc_iface,
};

/* vmrpc_incall_in_buf/out_buf: [off, off+len) inside this channel's arena. */
static int arena_ok(uint64_t off, uint64_t len)
{
	return off >= FUZZ_ARENA_START && off - FUZZ_ARENA_START <= FUZZ_ARENA_SIZE &&
	       len <= FUZZ_ARENA_SIZE - (off - FUZZ_ARENA_START);
}

static int expect_buf(uint64_t off, uint64_t len)
{
	return arena_ok(off, len) ? 0 : -EFAULT;
}

/* vmrpc_incall_get_str: bounded, inside the arena, NUL at len and not before. */
static int expect_get_str(const struct vmrpc_wire_str *w, uint32_t max_len)
{
	const uint8_t *p;

	if (w->len > max_len)
		return -EINVAL;
	if (!arena_ok(w->off, (uint64_t)w->len + 1))
		return -EFAULT;
	p = S.pub_arena + (w->off - FUZZ_ARENA_START);
	if (p[w->len] != '\0' || memchr(p, '\0', w->len))
		return -EINVAL;
	return 0;
}

/* An out string's slot, checked before the implementation runs. Its size
 * is the string's bound + 1, which the skeleton knows: w->len is the
 * caller's word and not trusted. */
static int expect_out_slot(const struct vmrpc_wire_str *w, size_t size)
{
	return arena_ok(w->off, size) ? 0 : -EFAULT;
}

/* vmrpc_incall_put_str of the string make_out_str() made in a size-byte
 * buffer (the skeleton terminates it at size - 1) into its size-byte slot.
 * On success the slot gets it in want. */
static int64_t expect_put_str(const struct vmrpc_wire_str *w, size_t size, int64_t ret)
{
	size_t len = S.h.out_strlen < size - 1 ? S.h.out_strlen : size - 1;

	if (!arena_ok(w->off, size))
		return -EFAULT;
	memset(want + w->off, 'o', len);
	want[w->off + len] = '\0';
	return ret;
}

#define ARGS_LEN_IS(type) (args_len == sizeof(type) ? 0 : -EPROTO)

/* The meta call (abi.h), answered by the serving loop itself: bytes
 * [from, from + room) of slot's type table, cut at its end, go into the
 * arena slot at off (in want), and the status is the table's length. */
static int64_t expect_meta(void)
{
	PUB_ARGS(struct vmrpc_meta_types_args, a);
	const struct vmrpc_iface *iface;
	uint32_t n;

	if (S.h.method != VMRPC_META_TYPES || S.h.args_len != sizeof(a))
		return -EPROTO;
	if (a.slot >= FUZZ_N_SLOTS)
		return -ENOENT;
	iface = ifaces[a.slot];
	CHECK(iface->type_table && iface->type_table_len > 0);
	if (a.from > iface->type_table_len)
		return -EINVAL;
	n = iface->type_table_len - a.from;
	n = n < a.room ? n : a.room;
	if (n) {
		if (!arena_ok(a.off, n))
			return -EFAULT;
		memcpy(want + a.off, (const uint8_t *)iface->type_table + a.from, n);
	}
	return iface->type_table_len;
}

/* expect_before()'s answer for a well-formed request to hostfs, hostproc or
 * hostnet: it is either refused with -EFAULT or -EINVAL (a bad offset,
 * string or bool) or its implementation is called, which then checks
 * everything it is given. */
#define EXPECT_REFUSED_OR_CALLED 1

/* The size of each method's args struct: a request with another args_len
 * gets -EPROTO. */
static const uint32_t fs_args_size[] = {
	[HOSTFS_METHOD_OPENAT] = sizeof(struct hostfs_openat_args),
	[HOSTFS_METHOD_CLOSE] = sizeof(struct hostfs_close_args),
	[HOSTFS_METHOD_READ] = sizeof(struct hostfs_read_args),
	[HOSTFS_METHOD_WRITE] = sizeof(struct hostfs_write_args),
	[HOSTFS_METHOD_PREAD] = sizeof(struct hostfs_pread_args),
	[HOSTFS_METHOD_PWRITE] = sizeof(struct hostfs_pwrite_args),
	[HOSTFS_METHOD_LSEEK] = sizeof(struct hostfs_lseek_args),
	[HOSTFS_METHOD_FSTAT] = sizeof(struct hostfs_fstat_args),
	[HOSTFS_METHOD_FSTATAT] = sizeof(struct hostfs_fstatat_args),
	[HOSTFS_METHOD_STATX] = sizeof(struct hostfs_statx_args),
	[HOSTFS_METHOD_FSYNC] = sizeof(struct hostfs_fsync_args),
	[HOSTFS_METHOD_FTRUNCATE] = sizeof(struct hostfs_ftruncate_args),
	[HOSTFS_METHOD_TRUNCATE] = sizeof(struct hostfs_truncate_args),
	[HOSTFS_METHOD_FCNTL] = sizeof(struct hostfs_fcntl_args),
	[HOSTFS_METHOD_FCNTL_LOCK] = sizeof(struct hostfs_fcntl_lock_args),
	[HOSTFS_METHOD_DUP] = sizeof(struct hostfs_dup_args),
	[HOSTFS_METHOD_DUP3] = sizeof(struct hostfs_dup3_args),
	[HOSTFS_METHOD_RENAMEAT] = sizeof(struct hostfs_renameat_args),
	[HOSTFS_METHOD_UNLINKAT] = sizeof(struct hostfs_unlinkat_args),
	[HOSTFS_METHOD_MKDIRAT] = sizeof(struct hostfs_mkdirat_args),
	[HOSTFS_METHOD_LINKAT] = sizeof(struct hostfs_linkat_args),
	[HOSTFS_METHOD_SYMLINKAT] = sizeof(struct hostfs_symlinkat_args),
	[HOSTFS_METHOD_READLINKAT] = sizeof(struct hostfs_readlinkat_args),
	[HOSTFS_METHOD_FCHMODAT] = sizeof(struct hostfs_fchmodat_args),
	[HOSTFS_METHOD_FCHMOD] = sizeof(struct hostfs_fchmod_args),
	[HOSTFS_METHOD_FCHOWNAT] = sizeof(struct hostfs_fchownat_args),
	[HOSTFS_METHOD_FCHOWN] = sizeof(struct hostfs_fchown_args),
	[HOSTFS_METHOD_UTIMENSAT] = sizeof(struct hostfs_utimensat_args),
	[HOSTFS_METHOD_FUTIMENS] = sizeof(struct hostfs_futimens_args),
	[HOSTFS_METHOD_FACCESSAT] = sizeof(struct hostfs_faccessat_args),
	[HOSTFS_METHOD_GETDENTS] = sizeof(struct hostfs_getdents_args),
	[HOSTFS_METHOD_FCHDIR] = sizeof(struct hostfs_fchdir_args),
	[HOSTFS_METHOD_GETCWD] = sizeof(struct hostfs_getcwd_args),
	[HOSTFS_METHOD_CHDIR] = sizeof(struct hostfs_chdir_args),
	[HOSTFS_METHOD_STATFS] = sizeof(struct hostfs_statfs_args),
	[HOSTFS_METHOD_GETXATTR] = sizeof(struct hostfs_getxattr_args),
	[HOSTFS_METHOD_SETXATTR] = sizeof(struct hostfs_setxattr_args),
	[HOSTFS_METHOD_LISTXATTR] = sizeof(struct hostfs_listxattr_args),
	[HOSTFS_METHOD_REMOVEXATTR] = sizeof(struct hostfs_removexattr_args),
	[HOSTFS_METHOD_FLOCK] = sizeof(struct hostfs_flock_args),
	[HOSTFS_METHOD_FALLOCATE] = sizeof(struct hostfs_fallocate_args),
	[HOSTFS_METHOD_POSIX_FALLOCATE] = sizeof(struct hostfs_posix_fallocate_args),
};

static const uint32_t proc_args_size[] = {
	[HOSTPROC_METHOD_PIPE] = sizeof(struct hostproc_pipe_args),
	[HOSTPROC_METHOD_SPAWN] = sizeof(struct hostproc_spawn_args),
	[HOSTPROC_METHOD_WAIT] = sizeof(struct hostproc_wait_args),
	[HOSTPROC_METHOD_KILL] = sizeof(struct hostproc_kill_args),
	[HOSTPROC_METHOD_FORK_SHADOW] = sizeof(struct hostproc_fork_shadow_args),
};

static const uint32_t net_args_size[] = {
	[HOSTNET_METHOD_SOCKET] = sizeof(struct hostnet_socket_args),
	[HOSTNET_METHOD_BIND_ADDR] = sizeof(struct hostnet_bind_addr_args),
	[HOSTNET_METHOD_LISTEN] = sizeof(struct hostnet_listen_args),
	[HOSTNET_METHOD_ACCEPT] = sizeof(struct hostnet_accept_args),
	[HOSTNET_METHOD_CONNECT] = sizeof(struct hostnet_connect_args),
	[HOSTNET_METHOD_SEND] = sizeof(struct hostnet_send_args),
	[HOSTNET_METHOD_RECV] = sizeof(struct hostnet_recv_args),
	[HOSTNET_METHOD_SHUTDOWN] = sizeof(struct hostnet_shutdown_args),
	[HOSTNET_METHOD_GETSOCKOPT] = sizeof(struct hostnet_getsockopt_args),
	[HOSTNET_METHOD_SETSOCKOPT] = sizeof(struct hostnet_setsockopt_args),
	[HOSTNET_METHOD_GETSOCKNAME] = sizeof(struct hostnet_getsockname_args),
	[HOSTNET_METHOD_GETPEERNAME] = sizeof(struct hostnet_getpeername_args),
	[HOSTNET_METHOD_RESOLVE] = sizeof(struct hostnet_resolve_args),
};
/* The table of slot's interface, with its size in ret_n; NULL for the
 * slots that have a precise oracle. */
static const uint32_t *posix_args_sizes(uint32_t slot, uint32_t *ret_n)
{
	switch (slot) {
	case FUZZ_SLOT_HOSTFS:
		*ret_n = sizeof(fs_args_size) / sizeof(fs_args_size[0]);
		return fs_args_size;
	case FUZZ_SLOT_HOSTPROC:
		*ret_n = sizeof(proc_args_size) / sizeof(proc_args_size[0]);
		return proc_args_size;
	case FUZZ_SLOT_HOSTNET:
		*ret_n = sizeof(net_args_size) / sizeof(net_args_size[0]);
		return net_args_size;
	default:
		return NULL;
	}
}

/* Before any implementation runs: the error the request must get, 0 if it
 * is valid and its implementation must be called, or
 * EXPECT_REFUSED_OR_CALLED. */
static int64_t expect_before(void)
{
	uint32_t slot = S.h.iface_slot, m = S.h.method, args_len = S.h.args_len;
	int no_ops = S.h.flags & FUZZ_F_NO_OPS;
	const uint32_t *sizes;
	uint32_t n;
	int64_t err;

	if (slot == VMRPC_META_SLOT)
		return expect_meta();
	if (slot >= FUZZ_N_SLOTS || args_len > VMRPC_ARGS_SIZE)
		return -EPROTO;
	sizes = posix_args_sizes(slot, &n);
	if (sizes) {
		if (m >= n || args_len != sizes[m])
			return -EPROTO;
		return no_ops ? -ENOSYS : EXPECT_REFUSED_OR_CALLED;
	}
	if (slot == FUZZ_SLOT_HOSTCALLS) {
		switch (m) {
		case HOSTCALLS_METHOD_IDENTITY:
			err = args_len == 0 ? 0 : -EPROTO;
			return err ? err : no_ops ? -ENOSYS : 0;
		case HOSTCALLS_METHOD_GETCWD: {
			PUB_ARGS(struct hostcalls_getcwd_args, a);
			err = ARGS_LEN_IS(a);
			return err ? err : no_ops ? -ENOSYS : expect_out_slot(&a.path, 4095 + 1);
		}
		case HOSTCALLS_METHOD_CHDIR: {
			PUB_ARGS(struct hostcalls_chdir_args, a);
			err = ARGS_LEN_IS(a);
			return err ? err : no_ops ? -ENOSYS : expect_get_str(&a.path, 4095);
		}
		case HOSTCALLS_METHOD_OPEN: {
			PUB_ARGS(struct hostcalls_open_args, a);
			err = ARGS_LEN_IS(a);
			return err ? err : no_ops ? -ENOSYS : expect_get_str(&a.path, 4095);
		}
		case HOSTCALLS_METHOD_READ: {
			PUB_ARGS(struct hostcalls_read_args, a);
			err = ARGS_LEN_IS(a);
			return err ? err : no_ops ? -ENOSYS : expect_buf(a.buf_off, a.count);
		}
		case HOSTCALLS_METHOD_WRITE: {
			PUB_ARGS(struct hostcalls_write_args, a);
			err = ARGS_LEN_IS(a);
			return err ? err : no_ops ? -ENOSYS : expect_buf(a.buf_off, a.count);
		}
		case HOSTCALLS_METHOD_CLOSE:
			err = ARGS_LEN_IS(struct hostcalls_close_args);
			return err ? err : no_ops ? -ENOSYS : 0;
		default:
			return -EPROTO;
		}
	}
	switch (m) {
	case CALC_METHOD_ADD:
		err = ARGS_LEN_IS(struct calc_add_args);
		return err ? err : no_ops ? -ENOSYS : 0;
	case CALC_METHOD_STATS: {
		PUB_ARGS(struct calc_stats_args, a);
		err = ARGS_LEN_IS(a);
		return err ? err : no_ops ? -ENOSYS : expect_buf(a.data_off, a.n);
	}
	case CALC_METHOD_GREET: {
		PUB_ARGS(struct calc_greet_args, a);
		err = ARGS_LEN_IS(a);
		if (err || no_ops)
			return err ? err : -ENOSYS;
		err = expect_get_str(&a.name, 64);
		return err ? err : expect_out_slot(&a.greeting, 128 + 1);
	}
	case CALC_METHOD_REVERSE: {
		PUB_ARGS(struct calc_reverse_args, a);
		err = ARGS_LEN_IS(a);
		if (err || no_ops)
			return err ? err : -ENOSYS;
		err = expect_buf(a.data_off, a.n);
		return err ? err : expect_buf(a.rev_off, a.n);
	}
	default:
		return -EPROTO;
	}
}

/* After the implementation returned ret >= 0: the out strings. */
static int64_t expect_after(int64_t ret)
{
	if (S.h.iface_slot == FUZZ_SLOT_HOSTCALLS && S.h.method == HOSTCALLS_METHOD_GETCWD) {
		PUB_ARGS(struct hostcalls_getcwd_args, a);
		return expect_put_str(&a.path, 4095 + 1, ret);
	}
	if (S.h.iface_slot == FUZZ_SLOT_CALC && S.h.method == CALC_METHOD_GREET) {
		PUB_ARGS(struct calc_greet_args, a);
		return expect_put_str(&a.greeting, 128 + 1, ret);
	}
	if (S.h.iface_slot == FUZZ_SLOT_HOSTFS && S.h.method == HOSTFS_METHOD_GETCWD) {
		PUB_ARGS(struct hostfs_getcwd_args, a);
		return expect_put_str(&a.path, 4095 + 1, ret);
	}
	return ret;
}

/* ---- setup ----------------------------------------------------------- */

static void die(const char *what, int err)
{
	fprintf(stderr, "fuzz_request: %s: %s\n", what, vmrpc_strerror(err));
	abort();
}

/* Another channel's contents: a plausible request with valid-looking
 * strings everywhere, so a check that confused channels would accept it. */
static void fill_neighbour(uint32_t i)
{
	uint8_t *c = F.base + VMRPC_HDR_SIZE + (size_t)i * FUZZ_CHAN_SIZE;

	for (size_t k = 0; k < FUZZ_CHAN_SIZE; k++)
		c[k] = k % 32 == 31 ? 0 : (uint8_t)('a' + k % 26);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vmrpc_region_opts opts = { .n_channels = FUZZ_N_CHANNELS,
					  .chan_size = FUZZ_CHAN_SIZE };
	char dir[] = "/dev/shm/vmrpc-fuzz-XXXXXX", path[4200];
	int err;

	if (!mkdtemp(dir)) {
		perror("fuzz_request: mkdtemp");
		abort();
	}
	F.verbose = getenv("FUZZ_REQUEST_VERBOSE") || getenv("FUZZ_VERBOSE");
	setenv("VMRPC_RUNTIME_DIR", dir, 1);
	err = vmrpc_hostd_region_create("fuzz", &opts, &F.region);
	if (err < 0)
		die("vmrpc_hostd_region_create", err);
	/* The mapping is all we need: leave nothing behind, even on a crash. */
	snprintf(path, sizeof(path), "%s/fuzz.region", dir);
	unlink(path);
	rmdir(dir);
	CHECK(vmrpc_region_size(F.region) == REGION_SIZE);
	err = vmrpc_hostd_region_publish(F.region, ifaces, FUZZ_N_SLOTS);
	if (err < 0)
		die("vmrpc_hostd_region_publish", err);

	F.base = (uint8_t *)vmrpc_region_hdr(F.region);
	F.chan = vmrpc_region_chan(F.region, FUZZ_CHAN);
	F.arena = F.base + FUZZ_ARENA_START;
	CHECK((uint8_t *)F.chan == F.base + FUZZ_CHAN_OFF);
	/* Claim it as a caller would, then attach it as hostd would. */
	CHECK(__atomic_compare_exchange_n(&F.chan->ctl.state, &(uint32_t){ VMRPC_CHAN_FREE },
					  VMRPC_CHAN_CLAIMED, 0, __ATOMIC_ACQ_REL,
					  __ATOMIC_ACQUIRE));
	F.chan->ctl.owner_pid = (uint32_t)getpid();
	F.chan->ctl.attach_nonce = 0x0123456789abcdefull;
	err = standin_chan_attach(F.region, FUZZ_CHAN, getpid(), STANDIN_SPIN_DEFAULT, &F.callee);
	if (err < 0)
		die("standin_chan_attach", err);
	memcpy(F.ctl, &F.chan->ctl, sizeof(F.ctl));

	F.svcs[FUZZ_SLOT_HOSTCALLS] = hostcalls_service(&hc_ops, NULL);
	F.svcs[FUZZ_SLOT_CALC] = calc_service(&calc_impl, NULL);
	F.no_ops[FUZZ_SLOT_HOSTCALLS] = hostcalls_service(&hc_none, NULL);
	F.no_ops[FUZZ_SLOT_CALC] = calc_service(&calc_none, NULL);
	F.svcs[FUZZ_SLOT_HOSTFS] = hostfs_service(&fs_ops, NULL);
	F.svcs[FUZZ_SLOT_HOSTPROC] = hostproc_service(&proc_ops, NULL);
	F.svcs[FUZZ_SLOT_HOSTNET] = hostnet_service(&net_ops, NULL);
	F.no_ops[FUZZ_SLOT_HOSTFS] = hostfs_service(&fs_none, NULL);
	F.no_ops[FUZZ_SLOT_HOSTPROC] = hostproc_service(&proc_none, NULL);
	F.no_ops[FUZZ_SLOT_HOSTNET] = hostnet_service(&net_none, NULL);

	for (uint32_t slot = 0; slot < FUZZ_N_SLOTS; slot++) {
		const uint32_t *sizes;
		uint32_t n;

		sizes = posix_args_sizes(slot, &n);
		if (!sizes)
			continue;
		CHECK(n == ifaces[slot]->n_methods);
		for (uint32_t m = 0; m < n; m++)
			CHECK(sizes[m] > 0);
	}
	for (uint32_t i = 0; i < FUZZ_N_CHANNELS; i++)
		if (i != FUZZ_CHAN)
			fill_neighbour(i);
	memcpy(want, F.base, REGION_SIZE);
	return 0;
}

/* ---- one input ------------------------------------------------------- */

/* The guest's write of the whole channel, into want and then the region. */
static void guest_write(const uint8_t *data, size_t size, uint32_t seq)
{
	uint8_t *c = want + FUZZ_CHAN_OFF;
	struct vmrpc_chan_req rq;
	struct vmrpc_chan_rep rp;
	size_t n, at;

	memset(&S, 0, sizeof(S));
	n = size < sizeof(S.h) ? size : sizeof(S.h);
	memcpy(&S.h, data, n);
	data += n;
	size -= n;
	n = S.h.n_args < VMRPC_ARGS_SIZE ? S.h.n_args : VMRPC_ARGS_SIZE;
	n = n < size ? n : size;
	memcpy(S.pub_args, data, n);
	data += n;
	size -= n;
	for (size_t k = 0; k < FUZZ_ARENA_SIZE; k++)
		S.pub_arena[k] = k % 61 == 60 ? 0 : (uint8_t)('A' + k % 26);
	at = S.h.arena_at % FUZZ_ARENA_SIZE;
	n = size < FUZZ_ARENA_SIZE - at ? size : FUZZ_ARENA_SIZE - at;
	memcpy(S.pub_arena + at, data, n);

	memset(&rq, 0x11, sizeof(rq));
	rq.req_seq = seq;
	rq.caller_waiting = S.h.flags & FUZZ_F_WAITING ? 1 : 0;
	rq.iface_slot = S.h.iface_slot;
	rq.method = S.h.method;
	rq.args_len = S.h.args_len;
	rq.flags = 0;
	memset(&rp, 0x22, sizeof(rp)); /* garbage, but for the previous rep_seq */
	rp.rep_seq = seq - 1;
	rp.callee_waiting = 0;

	memcpy(c + offsetof(struct vmrpc_chan_hdr, ctl), F.ctl, sizeof(F.ctl));
	memcpy(c + offsetof(struct vmrpc_chan_hdr, req), &rq, sizeof(rq));
	memcpy(c + offsetof(struct vmrpc_chan_hdr, rep), &rp, sizeof(rp));
	memset(c + offsetof(struct vmrpc_chan_hdr, pad), 0x33, VMRPC_CACHELINE);
	memcpy(c + offsetof(struct vmrpc_chan_hdr, args), S.pub_args, VMRPC_ARGS_SIZE);
	memset(c + offsetof(struct vmrpc_chan_hdr, results), S.h.results_fill,
	       VMRPC_RESULTS_SIZE);
	memcpy(c + VMRPC_ARENA_OFF, S.pub_arena, FUZZ_ARENA_SIZE);
	memcpy(F.chan, c, FUZZ_CHAN_SIZE);
}

/* Only the served channel is accessible while it is served. */
static void protect_others(int prot)
{
	size_t after = FUZZ_CHAN_OFF + FUZZ_CHAN_SIZE;

	CHECK(mprotect(F.base, FUZZ_CHAN_OFF, prot) == 0);
	CHECK(mprotect(F.base + after, REGION_SIZE - after, prot) == 0);
}

static void check_region(void)
{
	size_t k = 0;

	if (memcmp(F.base, want, REGION_SIZE) == 0)
		return;
	while (F.base[k] == want[k])
		k++;
	if (k < VMRPC_HDR_SIZE)
		fprintf(stderr, "fuzz_request: region header byte %zu", k);
	else
		fprintf(stderr, "fuzz_request: channel %zu byte %zu",
			(k - VMRPC_HDR_SIZE) / FUZZ_CHAN_SIZE,
			(k - VMRPC_HDR_SIZE) % FUZZ_CHAN_SIZE);
	fprintf(stderr, " is 0x%02x, expected 0x%02x\n", F.base[k], want[k]);
	fuzz_fail(__LINE__, "the region holds only what the callee may write");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t expect, status;
	uint32_t seq, res_len;
	int woke;

	if (++F.seq == 0)
		++F.seq;
	seq = F.seq;
	guest_write(data, size, seq);
	expect = expect_before();

	protect_others(PROT_NONE);
	woke = callee_serve_one(F.callee, seq,
				S.h.flags & FUZZ_F_NO_OPS ? F.no_ops : F.svcs, FUZZ_N_SLOTS);
	protect_others(PROT_READ | PROT_WRITE);

	status = F.chan->rep.status;
	res_len = F.chan->rep.res_len;
	CHECK(woke == !!(S.h.flags & FUZZ_F_WAITING));
	CHECK(F.chan->rep.rep_seq == seq);
	if (S.h.iface_slot == VMRPC_META_SLOT) {
		/* No implementation runs; expect_meta() said what is answered. */
		CHECK(!S.op_called);
	} else if (expect == EXPECT_REFUSED_OR_CALLED && !S.op_called) {
		CHECK(status == -EFAULT || status == -EINVAL);
		expect = status;
	} else if (expect == EXPECT_REFUSED_OR_CALLED) {
		CHECK(S.op_called == 1);
		expect = S.op_ret < 0 ? S.op_ret : expect_after(S.op_ret);
	} else if (expect != 0) {
		/* Refused before any implementation ran, with a documented error. */
		CHECK(!S.op_called);
		CHECK(expect == -EPROTO || expect == -ENOSYS || expect == -EFAULT ||
		      expect == -EINVAL);
	} else {
		CHECK(S.op_called == 1);
		expect = S.op_ret < 0 ? S.op_ret : expect_after(S.op_ret);
	}
	if (F.verbose)
		fprintf(stderr, "slot %u method %u args_len %u: status %lld (%s), res_len %u\n",
			S.h.iface_slot, S.h.method, S.h.args_len, (long long)status,
			status < 0 && status >= INT32_MIN ? vmrpc_strerror((int)status) : "value",
			res_len);
	if (status != expect)
		fprintf(stderr, "fuzz_request: status %lld, expected %lld\n", (long long)status,
			(long long)expect);
	CHECK(status == expect);
	if (status >= 0 && S.res_len) {
		CHECK(res_len == S.res_len);
		memcpy(want + CHAN_AT(results), S.res, S.res_len);
	} else {
		CHECK(res_len == 0);
	}
	put32(CHAN_AT(rep.rep_seq), seq);
	put64(CHAN_AT(rep.status), (uint64_t)status);
	put32(CHAN_AT(rep.res_len), res_len);
	check_region();
	return 0;
}
