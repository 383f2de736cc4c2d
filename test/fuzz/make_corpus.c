/* SPDX-License-Identifier: MIT */
/*
 * Writes the request fuzzer's seed corpus (test/fuzz/corpus) into DIR:
 * valid calls of every method of hostcalls and calc, and invalid requests
 * that sit on either side of each check. Input format: fuzz_request.h.
 *
 *	fuzz_make_corpus test/fuzz/corpus
 *
 * Files whose names start with "crash-" or "regress-" in the corpus are
 * inputs found by fuzzing, kept as regression tests; this program does not
 * write or remove them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calc_common.h"
#include "fuzz_request.h"
#include "hostcalls_common.h"

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
	emit("bad-slot", (struct seed){ .h = HDR(2, 0), ARGS(add) });
	emit("bad-slot-all-ones", (struct seed){ .h = HDR(UINT32_MAX, UINT32_MAX), ARGS(add) });
	emit("zero-header", (struct seed){ .h = { 0 } });
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: fuzz_make_corpus DIR\n");
		return 2;
	}
	out_dir = argv[1];
	hostcalls_seeds();
	calc_seeds();
	return failed;
}
