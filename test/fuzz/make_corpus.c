/* SPDX-License-Identifier: MIT */
/*
 * Writes the request fuzzer's seed corpus (test/fuzz/corpus) into DIR:
 * valid calls of every method of hostcalls, hostfs, hostproc, hostnet and
 * calc, the meta call, and invalid requests that sit on either side of each
 * check. Input format: fuzz_request.h.
 *
 *	fuzz_make_corpus test/fuzz/corpus
 *
 * Files whose names start with "crash-" or "regress-" in the corpus are
 * inputs found by fuzzing, kept as regression tests; this program does not
 * write or remove them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calc_common.h"
#include "fuzz_request.h"
#include "hostcalls_common.h"
#include "hostfs_common.h"
#include "hostnet_common.h"
#include "hostproc_common.h"

#define ARENA(off) (FUZZ_ARENA_START + (uint64_t)(off))
#define ARENA_END (FUZZ_ARENA_START + FUZZ_ARENA_SIZE)

static const char *out_dir;
static int failed;

struct seed {
	struct fuzz_req_hdr h;
	const void *args;
	size_t args_size;
	const void *arena; /* written at h.arena_at */
	size_t arena_size;
};

static void emit(const char *name, struct seed s)
{
	char path[4096];
	FILE *f;

	if (s.args_size)
		s.h.n_args = (uint16_t)s.args_size;
	if (!s.h.args_len)
		s.h.args_len = (uint32_t)s.args_size;
	snprintf(path, sizeof(path), "%s/%s", out_dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(&s.h, sizeof(s.h), 1, f) != 1 ||
	    fwrite(s.args, 1, s.args_size, f) != s.args_size ||
	    fwrite(s.arena, 1, s.arena_size, f) != s.arena_size || fclose(f) != 0) {
		fprintf(stderr, "fuzz_make_corpus: %s: %s\n", path, strerror(errno));
		failed = 1;
	}
}

/* A valid call, and the same call refused or failed each way a valid call
 * can be: a wrong args_len (-EPROTO), no implementation (-ENOSYS), the
 * implementation failing (-EIO). */
static void emit_call(const char *name, struct seed s)
{
	char variant[256];
	struct seed v;

	emit(name, s);
	v = s;
	v.h.args_len = s.args_size ? (uint32_t)s.args_size - 1 : 1;
	snprintf(variant, sizeof(variant), "%s-bad-args-len", name);
	emit(variant, v);
	v = s;
	v.h.flags |= FUZZ_F_NO_OPS;
	snprintf(variant, sizeof(variant), "%s-no-ops", name);
	emit(variant, v);
	v = s;
	v.h.op_ret = -EIO;
	snprintf(variant, sizeof(variant), "%s-fails", name);
	emit(variant, v);
}

#define HDR(slot, m, ...)                                                                        \
	((struct fuzz_req_hdr){ .iface_slot = (slot), .method = (m), __VA_ARGS__ })
#define HC(m, ...) HDR(FUZZ_SLOT_HOSTCALLS, HOSTCALLS_METHOD_##m, __VA_ARGS__)
#define CALC(m, ...) HDR(FUZZ_SLOT_CALC, CALC_METHOD_##m, __VA_ARGS__)
#define ARGS(a) .args = &(a), .args_size = sizeof(a)
#define STR(s) .arena = (s), .arena_size = sizeof(s) /* with its NUL */
#define WIRE(o, n) { .off = (o), .len = (n) }

static void hostcalls_seeds(void)
{
	static const char path[] = "/etc/hostname";
	static uint8_t bytes[256];
	struct hostcalls_getcwd_args cwd = { WIRE(ARENA(0), 4096) };
	struct hostcalls_getcwd_args cwd_small = { WIRE(ARENA(0), 8) };
	struct hostcalls_chdir_args chdir_ok = { WIRE(ARENA(0), 4) };
	struct hostcalls_chdir_args chdir_end = { WIRE(ARENA_END - 2, 1) };
	struct hostcalls_chdir_args chdir_past = { WIRE(ARENA_END - 1, 1) };
	struct hostcalls_chdir_args chdir_unterminated = { WIRE(ARENA(0), 3) };
	struct hostcalls_chdir_args chdir_nul = { WIRE(ARENA(0), 4) };
	struct hostcalls_open_args open_ok = { WIRE(ARENA(0), sizeof(path) - 1), 0, 0644 };
	struct hostcalls_open_args open_long = { WIRE(ARENA(0), 4096), 0, 0 };
	struct hostcalls_read_args read_ok = { 3, 0, ARENA(64), 128 };
	struct hostcalls_read_args read_all = { 3, 0, ARENA(0), FUZZ_ARENA_SIZE };
	struct hostcalls_read_args read_over = { 3, 0, ARENA(1), FUZZ_ARENA_SIZE };
	struct hostcalls_read_args read_below = { 3, 0, ARENA(0) - 1, 1 };
	struct hostcalls_read_args read_next = { 3, 0, ARENA(FUZZ_CHAN_SIZE), 16 };
	struct hostcalls_read_args read_wrap = { 3, 0, UINT64_MAX - 7, 16 };
	struct hostcalls_write_args write_ok = { 1, 0, ARENA(0), sizeof(bytes) };
	struct hostcalls_write_args write_empty = { 1, 0, ARENA_END, 0 };
	struct hostcalls_write_args write_over = { 1, 0, ARENA_END, 1 };
	struct hostcalls_close_args close_ok = { 3 };

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)i;
	emit_call("hostcalls-identity", (struct seed){ .h = HC(IDENTITY, .op_val = 1234) });
	emit_call("hostcalls-getcwd",
		  (struct seed){ .h = HC(GETCWD, .out_strlen = 12), ARGS(cwd) });
	emit("hostcalls-getcwd-unterminated",
	     (struct seed){ .h = HC(GETCWD, .out_strlen = 5000), ARGS(cwd) });
	emit("hostcalls-getcwd-slot-too-small",
	     (struct seed){ .h = HC(GETCWD, .out_strlen = 8), ARGS(cwd_small) });
	emit_call("hostcalls-chdir", (struct seed){ .h = HC(CHDIR), ARGS(chdir_ok), STR("/tmp") });
	emit("hostcalls-chdir-at-arena-end",
	     (struct seed){ .h = HC(CHDIR, .arena_at = FUZZ_ARENA_SIZE - 2), ARGS(chdir_end),
			    STR("x") });
	emit("hostcalls-chdir-past-arena-end",
	     (struct seed){ .h = HC(CHDIR, .arena_at = FUZZ_ARENA_SIZE - 1), ARGS(chdir_past),
			    .arena = "x", .arena_size = 1 });
	emit("hostcalls-chdir-unterminated",
	     (struct seed){ .h = HC(CHDIR), ARGS(chdir_unterminated), .arena = "abcd",
			    .arena_size = 4 });
	emit("hostcalls-chdir-embedded-nul",
	     (struct seed){ .h = HC(CHDIR), ARGS(chdir_nul), STR("a\0cd") });
	emit_call("hostcalls-open", (struct seed){ .h = HC(OPEN), ARGS(open_ok), STR(path) });
	emit("hostcalls-open-too-long", (struct seed){ .h = HC(OPEN), ARGS(open_long) });
	emit_call("hostcalls-read", (struct seed){ .h = HC(READ, .op_ret = 128), ARGS(read_ok) });
	emit("hostcalls-read-whole-arena", (struct seed){ .h = HC(READ), ARGS(read_all) });
	emit("hostcalls-read-past-arena-end", (struct seed){ .h = HC(READ), ARGS(read_over) });
	emit("hostcalls-read-below-arena", (struct seed){ .h = HC(READ), ARGS(read_below) });
	emit("hostcalls-read-next-channel", (struct seed){ .h = HC(READ), ARGS(read_next) });
	emit("hostcalls-read-offset-wraps", (struct seed){ .h = HC(READ), ARGS(read_wrap) });
	emit_call("hostcalls-write",
		  (struct seed){ .h = HC(WRITE, .op_ret = sizeof(bytes), .flags = FUZZ_F_WAITING),
				 ARGS(write_ok), .arena = bytes, .arena_size = sizeof(bytes) });
	emit("hostcalls-write-empty-at-end", (struct seed){ .h = HC(WRITE), ARGS(write_empty) });
	emit("hostcalls-write-past-arena-end", (struct seed){ .h = HC(WRITE), ARGS(write_over) });
	emit_call("hostcalls-close", (struct seed){ .h = HC(CLOSE), ARGS(close_ok) });
	emit("hostcalls-bad-method",
	     (struct seed){ .h = HDR(FUZZ_SLOT_HOSTCALLS, 7), ARGS(close_ok) });
}

static void calc_seeds(void)
{
	static uint8_t data[100];
	struct calc_add_args add = { 40, 2 };
	struct calc_add_args add_overflow = { INT64_MAX, 1 };
	struct calc_stats_args stats = { ARENA(0), sizeof(data), 0 };
	struct calc_stats_args stats_over = { ARENA_END - 99, sizeof(data), 0 };
	struct calc_greet_args greet = { WIRE(ARENA(0), 5), WIRE(ARENA(16), 129) };
	struct calc_greet_args greet_long = { WIRE(ARENA(0), 65), WIRE(ARENA(128), 129) };
	struct calc_greet_args greet_small = { WIRE(ARENA(0), 5), WIRE(ARENA(16), 12) };
	struct calc_greet_args greet_out_overlaps = { WIRE(ARENA(0), 5), WIRE(ARENA(0), 6) };
	struct calc_reverse_args rev = { ARENA(0), ARENA(256), sizeof(data) };
	struct calc_reverse_args rev_overlap = { ARENA(0), ARENA(10), sizeof(data) };
	struct calc_reverse_args rev_in_bad = { ARENA(0) - 1, ARENA(256), sizeof(data) };
	struct calc_reverse_args rev_out_bad = { ARENA(0), ARENA_END - 10, sizeof(data) };

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	emit_call("calc-add", (struct seed){ .h = CALC(ADD), ARGS(add) });
	emit("calc-add-overflow", (struct seed){ .h = CALC(ADD), ARGS(add_overflow) });
	emit("calc-add-args-len-1025",
	     (struct seed){ .h = CALC(ADD, .args_len = 1025), ARGS(add) });
	emit_call("calc-stats",
		  (struct seed){ .h = CALC(STATS), ARGS(stats), .arena = data,
				 .arena_size = sizeof(data) });
	emit_call("calc-greet",
		  (struct seed){ .h = CALC(GREET, .out_strlen = 12), ARGS(greet), STR("world") });
	emit("calc-stats-past-arena-end", (struct seed){ .h = CALC(STATS), ARGS(stats_over) });
	emit("calc-greet-slot-too-small",
	     (struct seed){ .h = CALC(GREET, .out_strlen = 12), ARGS(greet_small), STR("world") });
	emit("calc-greet-name-too-long", (struct seed){ .h = CALC(GREET), ARGS(greet_long) });
	emit("calc-greet-out-over-name",
	     (struct seed){ .h = CALC(GREET, .out_strlen = 5), ARGS(greet_out_overlaps),
			    STR("world") });
	emit_call("calc-reverse",
		  (struct seed){ .h = CALC(REVERSE, .op_ret = sizeof(data)), ARGS(rev),
				 .arena = data, .arena_size = sizeof(data) });
	emit("calc-reverse-overlapping",
	     (struct seed){ .h = CALC(REVERSE), ARGS(rev_overlap), .arena = data,
			    .arena_size = sizeof(data) });
	emit("calc-reverse-in-below-arena", (struct seed){ .h = CALC(REVERSE), ARGS(rev_in_bad) });
	emit("calc-reverse-out-past-end", (struct seed){ .h = CALC(REVERSE), ARGS(rev_out_bad) });
	emit("bad-slot", (struct seed){ .h = HDR(FUZZ_N_SLOTS, 0), ARGS(add) });
	emit("bad-slot-all-ones", (struct seed){ .h = HDR(UINT32_MAX, UINT32_MAX), ARGS(add) });
	emit("zero-header", (struct seed){ .h = { 0 } });
}

/* The meta call: pieces of a type table, and each way it is refused. */
static void meta_seeds(void)
{
	static const struct vmrpc_meta_types_args whole = { .slot = FUZZ_SLOT_HOSTFS,
							    .off = ARENA(0), .room = 4096 };
	static const struct vmrpc_meta_types_args piece = { .slot = FUZZ_SLOT_CALC, .from = 16,
							    .off = ARENA(100), .room = 64 };
	static const struct vmrpc_meta_types_args past_end = { .slot = FUZZ_SLOT_CALC,
							       .from = UINT32_MAX,
							       .off = ARENA(0), .room = 64 };
	static const struct vmrpc_meta_types_args no_slot = { .slot = FUZZ_N_SLOTS,
							      .off = ARENA(0), .room = 64 };
	static const struct vmrpc_meta_types_args outside = { .slot = FUZZ_SLOT_HOSTCALLS,
							      .off = ARENA_END - 8, .room = 64 };
	static const struct vmrpc_meta_types_args no_room = { .slot = FUZZ_SLOT_HOSTCALLS,
							      .off = 0, .room = 0 };

	emit("meta-types-whole", (struct seed){ .h = HDR(VMRPC_META_SLOT, VMRPC_META_TYPES),
						ARGS(whole) });
	emit("meta-types-piece", (struct seed){ .h = HDR(VMRPC_META_SLOT, VMRPC_META_TYPES),
						ARGS(piece) });
	emit("meta-types-from-past-end",
	     (struct seed){ .h = HDR(VMRPC_META_SLOT, VMRPC_META_TYPES), ARGS(past_end) });
	emit("meta-types-no-such-slot",
	     (struct seed){ .h = HDR(VMRPC_META_SLOT, VMRPC_META_TYPES), ARGS(no_slot) });
	emit("meta-types-past-arena-end",
	     (struct seed){ .h = HDR(VMRPC_META_SLOT, VMRPC_META_TYPES), ARGS(outside) });
	emit("meta-types-no-room", (struct seed){ .h = HDR(VMRPC_META_SLOT, VMRPC_META_TYPES),
						  ARGS(no_room) });
	emit("meta-bad-method", (struct seed){ .h = HDR(VMRPC_META_SLOT, 1), ARGS(whole) });
	emit("meta-bad-args-len", (struct seed){ .h = HDR(VMRPC_META_SLOT, VMRPC_META_TYPES,
							  .args_len = sizeof(whole) - 1),
						 ARGS(whole) });
}

#define FS(m, ...) HDR(FUZZ_SLOT_HOSTFS, HOSTFS_METHOD_##m, __VA_ARGS__)
#define PROC(m, ...) HDR(FUZZ_SLOT_HOSTPROC, HOSTPROC_METHOD_##m, __VA_ARGS__)
#define NET(m, ...) HDR(FUZZ_SLOT_HOSTNET, HOSTNET_METHOD_##m, __VA_ARGS__)
#define BLOB(b) .arena = (b), .arena_size = sizeof(b)
#define AT_FDCWD_ (-100)

/* Two paths: "old" at ARENA(0), "new" at ARENA(4). */
static const char two_paths[] = "old\0new";
#define OLD WIRE(ARENA(0), 3)
#define NEW WIRE(ARENA(4), 3)

static void hostfs_seeds(void)
{
	static const char path[] = "/etc/hostname";
	static uint8_t bytes[256];
	struct hostfs_openat_args openat = { .dirfd = AT_FDCWD_, .path = WIRE(ARENA(0), 13),
					     .flags = 0, .mode = 0644 };
	struct hostfs_openat_args openat_long = { .dirfd = AT_FDCWD_,
						  .path = WIRE(ARENA(0), 4096) };
	struct hostfs_close_args fd3 = { .fd = 3 };
	struct hostfs_read_args read = { .fd = 3, .buf_off = ARENA(64), .count = 128 };
	struct hostfs_write_args write = { .fd = 1, .buf_off = ARENA(0), .count = sizeof(bytes) };
	struct hostfs_pread_args pread = { .fd = 3, .buf_off = ARENA(0),
					   .count = FUZZ_ARENA_SIZE, .offset = 4096 };
	struct hostfs_pread_args pread_over = { .fd = 3, .buf_off = ARENA(1),
						.count = FUZZ_ARENA_SIZE };
	struct hostfs_pwrite_args pwrite = { .fd = 3, .buf_off = ARENA(0), .count = 100,
					     .offset = 7 };
	struct hostfs_lseek_args lseek = { .fd = 3, .offset = 100, .whence = 0 };
	struct hostfs_fstatat_args fstatat = { .dirfd = AT_FDCWD_, .path = WIRE(ARENA(0), 4),
					       .flags = 0x100 };
	struct hostfs_fstatat_args fstatat_unterminated = { .dirfd = AT_FDCWD_,
							    .path = WIRE(ARENA(0), 3) };
	struct hostfs_statx_args statx = { .dirfd = AT_FDCWD_, .path = WIRE(ARENA(0), 4),
					   .mask = 0xfff };
	struct hostfs_fsync_args fsync = { .fd = 3, .datasync = true };
	uint8_t fsync_bad[sizeof(fsync)];
	struct hostfs_ftruncate_args ftruncate = { .fd = 3, .length = 4096 };
	struct hostfs_truncate_args truncate = { .path = WIRE(ARENA(0), 4), .length = 0 };
	struct hostfs_fcntl_args fcntl = { .fd = 3, .cmd = 2, .arg = 1 };
	struct hostfs_fcntl_lock_args lock = { .fd = 3, .cmd = 5,
					       .lock = { .type = 1, .len = 100, .pid = -1 } };
	struct hostfs_dup3_args dup3 = { .oldfd = 3, .newfd = 10, .flags = 0x80000 };
	struct hostfs_renameat_args rename = { .olddirfd = AT_FDCWD_, .oldpath = OLD,
					       .newdirfd = AT_FDCWD_, .newpath = NEW };
	struct hostfs_renameat_args rename_unterminated = { .oldpath = OLD,
							    .newpath = WIRE(ARENA(4), 2) };
	struct hostfs_renameat_args rename_past_end = { .oldpath = OLD,
							.newpath = WIRE(ARENA_END - 1, 5) };
	struct hostfs_unlinkat_args unlinkat = { .dirfd = AT_FDCWD_, .path = OLD, .flags = 0x200 };
	struct hostfs_mkdirat_args mkdirat = { .dirfd = AT_FDCWD_, .path = OLD, .mode = 0755 };
	struct hostfs_linkat_args linkat = { .olddirfd = AT_FDCWD_, .oldpath = OLD,
					     .newdirfd = 3, .newpath = NEW, .flags = 0x400 };
	struct hostfs_symlinkat_args symlinkat = { .target = OLD, .newdirfd = AT_FDCWD_,
						   .linkpath = NEW };
	struct hostfs_readlinkat_args readlinkat = { .dirfd = AT_FDCWD_, .path = OLD,
						     .buf_off = ARENA(64), .size = 256 };
	struct hostfs_readlinkat_args readlinkat_over_path = { .dirfd = AT_FDCWD_, .path = OLD,
							       .buf_off = ARENA(0), .size = 8 };
	struct hostfs_fchmodat_args fchmodat = { .dirfd = AT_FDCWD_, .path = OLD, .mode = 0600 };
	struct hostfs_fchmod_args fchmod = { .fd = 3, .mode = 0600 };
	struct hostfs_fchownat_args fchownat = { .dirfd = AT_FDCWD_, .path = OLD, .owner = 1000,
						 .group = 1000, .flags = 0x100 };
	struct hostfs_fchown_args fchown = { .fd = 3, .owner = 0, .group = UINT32_MAX };
	struct hostfs_utimensat_args utimensat = { .dirfd = AT_FDCWD_, .path = OLD,
						   .times = { { 1, 2 }, { 3, (1l << 30) - 2 } } };
	struct hostfs_futimens_args futimens = { .fd = 3, .times = { { -1, 999999999 } } };
	struct hostfs_faccessat_args faccessat = { .dirfd = AT_FDCWD_, .path = OLD, .mode = 4 };
	struct hostfs_getdents_args getdents = { .fd = 3, .buf_off = ARENA(0),
						 .size = FUZZ_ARENA_SIZE };
	struct hostfs_getdents_args getdents_next = { .fd = 3, .buf_off = ARENA(FUZZ_CHAN_SIZE),
						      .size = 64 };
	struct hostfs_getcwd_args cwd = { WIRE(ARENA(0), 4096) };
	struct hostfs_getcwd_args cwd_at_end = { WIRE(ARENA_END - 4095, 4096) };
	struct hostfs_chdir_args chdir = { WIRE(ARENA(0), 4) };
	struct hostfs_statfs_args statfs = { .dirfd = AT_FDCWD_, .path = WIRE(ARENA(0), 4) };
	struct hostfs_statfs_args fstatfs = { .dirfd = 3, .path = WIRE(ARENA(0), 0) };
	/* xattrs: path "old", name "new", "" at ARENA(3), values from ARENA(64) */
	struct hostfs_getxattr_args getxattr = { .fd = AT_FDCWD_, .path = OLD, .name = NEW,
						 .value_off = ARENA(64), .size = 128 };
	struct hostfs_getxattr_args fgetxattr_size = { .fd = 3, .path = WIRE(ARENA(3), 0),
						       .name = NEW, .value_off = ARENA(64) };
	struct hostfs_getxattr_args getxattr_name_long = { .fd = AT_FDCWD_, .path = OLD,
							   .name = WIRE(ARENA(0), 256),
							   .value_off = ARENA(64), .size = 8 };
	struct hostfs_setxattr_args lsetxattr = { .fd = AT_FDCWD_, .path = OLD, .flags = 0x100,
						  .name = NEW, .value_off = ARENA(4),
						  .size = 4, .xflags = 1 };
	struct hostfs_setxattr_args setxattr_value_past_end = {
		.fd = 3, .path = WIRE(ARENA(3), 0), .name = NEW, .value_off = ARENA_END - 4,
		.size = 8 };
	struct hostfs_listxattr_args listxattr = { .fd = AT_FDCWD_, .path = OLD,
						   .list_off = ARENA(64), .size = 4096 };
	struct hostfs_listxattr_args flistxattr_past_end = { .fd = 3, .path = WIRE(ARENA(3), 0),
							     .list_off = ARENA_END - 16,
							     .size = 4096 };
	struct hostfs_removexattr_args fremovexattr = { .fd = 3, .path = WIRE(ARENA(3), 0),
							.name = NEW };
	struct hostfs_removexattr_args removexattr_name_unterminated = {
		.fd = AT_FDCWD_, .path = OLD, .name = WIRE(ARENA(4), 2) };
	struct hostfs_flock_args flock = { .fd = 3, .op = 2 | 4 };
	struct hostfs_fallocate_args fallocate = { .fd = 3, .mode = 1, .offset = 4096,
						   .len = 1 << 20 };
	struct hostfs_posix_fallocate_args posix_fallocate = { .fd = 3, .offset = 0,
							       .len = INT64_MAX };

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)i;
	memcpy(fsync_bad, &fsync, sizeof(fsync));
	fsync_bad[offsetof(struct hostfs_fsync_args, datasync)] = 2;
	emit_call("hostfs-openat", (struct seed){ .h = FS(OPENAT, .op_ret = 3), ARGS(openat),
						  STR(path) });
	emit("hostfs-openat-too-long", (struct seed){ .h = FS(OPENAT), ARGS(openat_long) });
	emit_call("hostfs-close", (struct seed){ .h = FS(CLOSE), ARGS(fd3) });
	emit_call("hostfs-read", (struct seed){ .h = FS(READ, .op_ret = 128), ARGS(read) });
	emit_call("hostfs-write", (struct seed){ .h = FS(WRITE, .op_ret = sizeof(bytes)),
						 ARGS(write), BLOB(bytes) });
	emit_call("hostfs-pread", (struct seed){ .h = FS(PREAD, .flags = FUZZ_F_WAITING),
						 ARGS(pread) });
	emit("hostfs-pread-past-arena-end", (struct seed){ .h = FS(PREAD), ARGS(pread_over) });
	emit_call("hostfs-pwrite", (struct seed){ .h = FS(PWRITE), ARGS(pwrite), BLOB(bytes) });
	emit_call("hostfs-lseek", (struct seed){ .h = FS(LSEEK, .op_ret = 100), ARGS(lseek) });
	emit_call("hostfs-fstat", (struct seed){ .h = FS(FSTAT, .op_val = 77), ARGS(fd3) });
	emit_call("hostfs-fstatat", (struct seed){ .h = FS(FSTATAT, .op_val = 5), ARGS(fstatat),
						   STR("/tmp") });
	emit("hostfs-fstatat-unterminated",
	     (struct seed){ .h = FS(FSTATAT), ARGS(fstatat_unterminated), STR("/tmp") });
	emit_call("hostfs-statx",
		  (struct seed){ .h = FS(STATX, .op_val = 9), ARGS(statx), STR("/tmp") });
	emit_call("hostfs-fsync", (struct seed){ .h = FS(FSYNC), ARGS(fsync) });
	emit("hostfs-fsync-bool-2", (struct seed){ .h = FS(FSYNC), ARGS(fsync_bad) });
	emit_call("hostfs-ftruncate", (struct seed){ .h = FS(FTRUNCATE), ARGS(ftruncate) });
	emit_call("hostfs-truncate", (struct seed){ .h = FS(TRUNCATE), ARGS(truncate),
						    STR("/tmp") });
	emit_call("hostfs-fcntl", (struct seed){ .h = FS(FCNTL), ARGS(fcntl) });
	emit_call("hostfs-fcntl-lock",
		  (struct seed){ .h = FS(FCNTL_LOCK, .op_val = 3), ARGS(lock) });
	emit_call("hostfs-dup", (struct seed){ .h = FS(DUP, .op_ret = 4), ARGS(fd3) });
	emit_call("hostfs-dup3", (struct seed){ .h = FS(DUP3, .op_ret = 10), ARGS(dup3) });
	emit_call("hostfs-renameat",
		  (struct seed){ .h = FS(RENAMEAT), ARGS(rename), BLOB(two_paths) });
	emit("hostfs-renameat-new-unterminated",
	     (struct seed){ .h = FS(RENAMEAT), ARGS(rename_unterminated), BLOB(two_paths) });
	emit("hostfs-renameat-new-past-end",
	     (struct seed){ .h = FS(RENAMEAT), ARGS(rename_past_end), BLOB(two_paths) });
	emit_call("hostfs-unlinkat",
		  (struct seed){ .h = FS(UNLINKAT), ARGS(unlinkat), BLOB(two_paths) });
	emit_call("hostfs-mkdirat",
		  (struct seed){ .h = FS(MKDIRAT), ARGS(mkdirat), BLOB(two_paths) });
	emit_call("hostfs-linkat", (struct seed){ .h = FS(LINKAT), ARGS(linkat), BLOB(two_paths) });
	emit_call("hostfs-symlinkat",
		  (struct seed){ .h = FS(SYMLINKAT), ARGS(symlinkat), BLOB(two_paths) });
	emit_call("hostfs-readlinkat", (struct seed){ .h = FS(READLINKAT, .op_ret = 10),
						      ARGS(readlinkat), BLOB(two_paths) });
	emit("hostfs-readlinkat-buf-over-path",
	     (struct seed){ .h = FS(READLINKAT, .op_ret = 8), ARGS(readlinkat_over_path),
			    BLOB(two_paths) });
	emit_call("hostfs-fchmodat",
		  (struct seed){ .h = FS(FCHMODAT), ARGS(fchmodat), BLOB(two_paths) });
	emit_call("hostfs-fchmod", (struct seed){ .h = FS(FCHMOD), ARGS(fchmod) });
	emit_call("hostfs-fchownat",
		  (struct seed){ .h = FS(FCHOWNAT), ARGS(fchownat), BLOB(two_paths) });
	emit_call("hostfs-fchown", (struct seed){ .h = FS(FCHOWN), ARGS(fchown) });
	emit_call("hostfs-utimensat",
		  (struct seed){ .h = FS(UTIMENSAT), ARGS(utimensat), BLOB(two_paths) });
	emit_call("hostfs-futimens", (struct seed){ .h = FS(FUTIMENS), ARGS(futimens) });
	emit_call("hostfs-faccessat",
		  (struct seed){ .h = FS(FACCESSAT), ARGS(faccessat), BLOB(two_paths) });
	emit_call("hostfs-getdents",
		  (struct seed){ .h = FS(GETDENTS, .op_ret = 48), ARGS(getdents) });
	emit("hostfs-getdents-next-channel", (struct seed){ .h = FS(GETDENTS), ARGS(getdents_next) });
	emit_call("hostfs-fchdir", (struct seed){ .h = FS(FCHDIR), ARGS(fd3) });
	emit_call("hostfs-getcwd", (struct seed){ .h = FS(GETCWD, .out_strlen = 12), ARGS(cwd) });
	emit("hostfs-getcwd-unterminated",
	     (struct seed){ .h = FS(GETCWD, .out_strlen = 5000), ARGS(cwd) });
	emit("hostfs-getcwd-slot-past-end",
	     (struct seed){ .h = FS(GETCWD, .out_strlen = 8), ARGS(cwd_at_end) });
	emit_call("hostfs-chdir", (struct seed){ .h = FS(CHDIR), ARGS(chdir), STR("/tmp") });
	emit_call("hostfs-statfs",
		  (struct seed){ .h = FS(STATFS, .op_val = 11), ARGS(statfs), STR("/tmp") });
	emit("hostfs-fstatfs", (struct seed){ .h = FS(STATFS, .op_val = 12), ARGS(fstatfs),
					      STR("") });
	emit_call("hostfs-getxattr", (struct seed){ .h = FS(GETXATTR, .op_ret = 5, .op_val = 5),
						    ARGS(getxattr), BLOB(two_paths) });
	emit("hostfs-fgetxattr-size-query",
	     (struct seed){ .h = FS(GETXATTR, .op_ret = 300), ARGS(fgetxattr_size),
			    BLOB(two_paths) });
	emit("hostfs-getxattr-name-too-long",
	     (struct seed){ .h = FS(GETXATTR), ARGS(getxattr_name_long), BLOB(two_paths) });
	emit_call("hostfs-lsetxattr",
		  (struct seed){ .h = FS(SETXATTR), ARGS(lsetxattr), BLOB(two_paths) });
	emit("hostfs-fsetxattr-value-past-end",
	     (struct seed){ .h = FS(SETXATTR), ARGS(setxattr_value_past_end), BLOB(two_paths) });
	emit_call("hostfs-listxattr", (struct seed){ .h = FS(LISTXATTR, .op_ret = 12),
						     ARGS(listxattr), BLOB(two_paths) });
	emit("hostfs-flistxattr-past-end",
	     (struct seed){ .h = FS(LISTXATTR), ARGS(flistxattr_past_end), BLOB(two_paths) });
	emit_call("hostfs-fremovexattr",
		  (struct seed){ .h = FS(REMOVEXATTR), ARGS(fremovexattr), BLOB(two_paths) });
	emit("hostfs-removexattr-name-unterminated",
	     (struct seed){ .h = FS(REMOVEXATTR), ARGS(removexattr_name_unterminated),
			    BLOB(two_paths) });
	emit_call("hostfs-flock", (struct seed){ .h = FS(FLOCK), ARGS(flock) });
	emit_call("hostfs-fallocate", (struct seed){ .h = FS(FALLOCATE), ARGS(fallocate) });
	emit_call("hostfs-posix-fallocate",
		  (struct seed){ .h = FS(POSIX_FALLOCATE), ARGS(posix_fallocate) });
	emit("hostfs-bad-method",
	     (struct seed){ .h = HDR(FUZZ_SLOT_HOSTFS, HOSTFS_METHOD_POSIX_FALLOCATE + 1),
			    ARGS(fd3) });
}

/* spawn's arena: path at 0, argv at 16, envp at 32, cwd "" at 40. */
static const char spawn_arena[48] = "/bin/echo\0\0\0\0\0\0\0"
				    "echo\0hi\0\0\0\0\0\0\0\0\0"
				    "A=1\0\0\0\0\0";

static void hostproc_seeds(void)
{
	struct hostproc_pipe_args pipe = { .flags = 0x800 };
	struct hostproc_spawn_args spawn = {
		.path = WIRE(ARENA(0), 9), .argv_off = ARENA(16), .argv_len = 8, .argc = 2,
		.envp_off = ARENA(32), .env_len = 4, .envc = 1, .cwd = WIRE(ARENA(40), 0),
		.stdin_fd = -1, .stdout_fd = 1, .stderr_fd = 2,
	};
	struct hostproc_spawn_args spawn_argv_over = spawn, spawn_envp_below = spawn,
				   spawn_cwd_unterminated = spawn, spawn_cwd_long = spawn;
	struct hostproc_wait_args wait = { .pid = 1234, .options = 1 };
	struct hostproc_kill_args kill = { .pid = 1234, .sig = 15 };
	struct hostproc_fork_shadow_args fork = { .child_chan = 2, .nonce = 0x1234567890ull };

	spawn_argv_over.argv_off = ARENA_END - 4;
	spawn_envp_below.envp_off = ARENA(0) - 1;
	spawn_cwd_unterminated.cwd = (struct vmrpc_wire_str)WIRE(ARENA(16), 3);
	spawn_cwd_long.cwd = (struct vmrpc_wire_str)WIRE(ARENA(40), 4096);
	emit_call("hostproc-pipe", (struct seed){ .h = PROC(PIPE, .op_val = 3), ARGS(pipe) });
	emit_call("hostproc-spawn",
		  (struct seed){ .h = PROC(SPAWN, .op_ret = 4321), ARGS(spawn), BLOB(spawn_arena) });
	emit("hostproc-spawn-argv-past-end",
	     (struct seed){ .h = PROC(SPAWN), ARGS(spawn_argv_over), BLOB(spawn_arena) });
	emit("hostproc-spawn-envp-below-arena",
	     (struct seed){ .h = PROC(SPAWN), ARGS(spawn_envp_below), BLOB(spawn_arena) });
	emit("hostproc-spawn-cwd-unterminated",
	     (struct seed){ .h = PROC(SPAWN), ARGS(spawn_cwd_unterminated), BLOB(spawn_arena) });
	emit("hostproc-spawn-cwd-too-long",
	     (struct seed){ .h = PROC(SPAWN), ARGS(spawn_cwd_long), BLOB(spawn_arena) });
	emit_call("hostproc-wait",
		  (struct seed){ .h = PROC(WAIT, .op_ret = 1234, .op_val = 256), ARGS(wait) });
	emit_call("hostproc-kill", (struct seed){ .h = PROC(KILL), ARGS(kill) });
	emit_call("hostproc-fork-shadow",
		  (struct seed){ .h = PROC(FORK_SHADOW, .op_ret = 999), ARGS(fork) });
	emit("hostproc-bad-method",
	     (struct seed){ .h = HDR(FUZZ_SLOT_HOSTPROC, HOSTPROC_METHOD_FORK_SHADOW + 1),
			    ARGS(kill) });
}

/* resolve's arena: node at 0, service at 16. */
static const char resolve_arena[] = "localhost\0\0\0\0\0\0\0" "80";

static void hostnet_seeds(void)
{
	static const uint8_t sin[16] = { 2, 0, 0, 80, 127, 0, 0, 1 };
	static uint8_t bytes[256];
	struct hostnet_socket_args socket = { .domain = 2, .type = 1, .protocol = 0 };
	struct hostnet_bind_addr_args bind = { .fd = 3, .addr_off = ARENA(0), .addrlen = 16 };
	struct hostnet_listen_args listen = { .fd = 3, .backlog = 128 };
	struct hostnet_accept_args accept = { .fd = 3, .addr_off = ARENA(0), .addr_size = 128,
					      .flags = 0x80000 };
	struct hostnet_accept_args accept_over = { .fd = 3, .addr_off = ARENA_END - 16,
						   .addr_size = 128 };
	struct hostnet_connect_args connect = { .fd = 3, .addr_off = ARENA(0), .addrlen = 16 };
	struct hostnet_send_args send = { .fd = 3, .buf_off = ARENA(0), .count = sizeof(bytes) };
	struct hostnet_recv_args recv = { .fd = 3, .buf_off = ARENA(0), .count = FUZZ_ARENA_SIZE,
					  .flags = 0x40 };
	struct hostnet_shutdown_args shutdown = { .fd = 3, .how = 2 };
	struct hostnet_getsockopt_args getsockopt = { .fd = 3, .level = 1, .name = 4,
						      .val_off = ARENA(0), .size = 4 };
	struct hostnet_setsockopt_args setsockopt = { .fd = 3, .level = 1, .name = 2,
						      .val_off = ARENA(0), .len = 4 };
	struct hostnet_setsockopt_args setsockopt_wrap = { .fd = 3, .val_off = UINT64_MAX - 1,
							   .len = 4 };
	struct hostnet_getsockname_args getsockname = { .fd = 3, .addr_off = ARENA(0),
							.addr_size = 128 };
	struct hostnet_getpeername_args getpeername = { .fd = 3, .addr_off = ARENA(256),
							.addr_size = 28 };
	struct hostnet_resolve_args resolve = {
		.node = WIRE(ARENA(0), 9), .service = WIRE(ARENA(16), 2), .family = 2,
		.socktype = 1, .answers_off = ARENA(64),
		.answers_size = 4 * sizeof(struct hostnet_addrinfo),
	};
	struct hostnet_resolve_args resolve_long = resolve, resolve_over = resolve;

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(i * 3);
	resolve_long.node = (struct vmrpc_wire_str)WIRE(ARENA(0), 1026);
	resolve_over.answers_off = ARENA_END - 100;
	emit_call("hostnet-socket", (struct seed){ .h = NET(SOCKET, .op_ret = 3), ARGS(socket) });
	emit_call("hostnet-bind-addr", (struct seed){ .h = NET(BIND_ADDR), ARGS(bind), BLOB(sin) });
	emit_call("hostnet-listen", (struct seed){ .h = NET(LISTEN), ARGS(listen) });
	emit_call("hostnet-accept",
		  (struct seed){ .h = NET(ACCEPT, .op_ret = 4, .op_val = 16), ARGS(accept) });
	emit("hostnet-accept-addr-past-end", (struct seed){ .h = NET(ACCEPT), ARGS(accept_over) });
	emit_call("hostnet-connect", (struct seed){ .h = NET(CONNECT), ARGS(connect), BLOB(sin) });
	emit_call("hostnet-send", (struct seed){ .h = NET(SEND, .op_ret = sizeof(bytes)),
						 ARGS(send), BLOB(bytes) });
	emit_call("hostnet-recv", (struct seed){ .h = NET(RECV, .op_ret = 10), ARGS(recv) });
	emit_call("hostnet-shutdown", (struct seed){ .h = NET(SHUTDOWN), ARGS(shutdown) });
	emit_call("hostnet-getsockopt",
		  (struct seed){ .h = NET(GETSOCKOPT, .op_val = 4), ARGS(getsockopt) });
	emit_call("hostnet-setsockopt",
		  (struct seed){ .h = NET(SETSOCKOPT), ARGS(setsockopt), BLOB(sin) });
	emit("hostnet-setsockopt-offset-wraps",
	     (struct seed){ .h = NET(SETSOCKOPT), ARGS(setsockopt_wrap) });
	emit_call("hostnet-getsockname",
		  (struct seed){ .h = NET(GETSOCKNAME, .op_val = 16), ARGS(getsockname) });
	emit_call("hostnet-getpeername",
		  (struct seed){ .h = NET(GETPEERNAME, .op_val = 28), ARGS(getpeername) });
	emit_call("hostnet-resolve", (struct seed){ .h = NET(RESOLVE, .op_ret = 144),
						    ARGS(resolve), BLOB(resolve_arena) });
	emit("hostnet-resolve-node-too-long",
	     (struct seed){ .h = NET(RESOLVE), ARGS(resolve_long), BLOB(resolve_arena) });
	emit("hostnet-resolve-answers-past-end",
	     (struct seed){ .h = NET(RESOLVE), ARGS(resolve_over), BLOB(resolve_arena) });
	emit("hostnet-bad-method",
	     (struct seed){ .h = HDR(FUZZ_SLOT_HOSTNET, HOSTNET_METHOD_RESOLVE + 1), ARGS(listen) });
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_make_corpus DIR\n");
		return 2;
	}
	out_dir = argv[1];
	hostcalls_seeds();
	hostfs_seeds();
	hostproc_seeds();
	hostnet_seeds();
	calc_seeds();
	meta_seeds();
	return failed;
}
