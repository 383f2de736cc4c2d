/* SPDX-License-Identifier: MIT */
/*
 * Plain libraries served through libffi (vmrpc-hostd --ffi-service
 * FILE.idl:LIBRARY, docs/dynamic.md), against the real hostd and shadows,
 * called from this process with generated caller stubs:
 *
 *   zlib       the example: the host's own libz.so.1 and examples/zlib/zlib.idl;
 *              checksums equal this process's zlib's
 *   all_types  ffi/ffiall.idl, every IDL type in every direction, served by
 *              libffiall.so: every answer equals what its C function gives
 *              when this process calls it directly; the same through a
 *              generated skeleton (ffiall_skel.so), so the two are compared
 *   hostile    requests the stubs would never send (a bool byte of 2, an
 *              undeclared enum value, unterminated strings, buffers outside
 *              the arena, a wrong args_len): the libffi service answers what
 *              the generated skeleton answers, and the function never runs
 *   errors     a spec that is not FILE.idl:LIBRARY, a missing .idl, one with
 *              errors, a library that does not load: hostd and --check
 *              refuse to start, saying why; a method the library lacks is
 *              logged and answers -ENOSYS
 *   config     ffi-service = in hostd.conf, through --check
 *   guestd     ffi-service = in guestd.conf: the zlib example served in the
 *              guest, called by a host caller
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <zlib.h>

#include "ffiall_caller.h"
#include "ffiall_lib.h"
#include "harness.h"
#include "zlib_caller.h"

#define FFIALL_SPEC ITEST_FFIALL_IDL ":" ITEST_FFIALL_LIB

enum served_by { BY_FFI, BY_SKELETON };

struct conn {
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding b;
};

static void conn_start(struct conn *c, enum served_by by)
{
	memset(c, 0, sizeof(*c));
	if (by == BY_FFI)
		itest_hostd_start(&c->h, "--channels", "4", "--ffi-service", FFIALL_SPEC,
				  (char *)NULL);
	else
		itest_hostd_start(&c->h, "--channels", "4", "--service", ITEST_FFIALL_SKEL,
				  (char *)NULL);
	itest_assert_err(vmrpc_guest_attach(NULL, &c->g), 0);
	itest_assert_err(ffiall_bind(c->g.chan, &c->b), 0);
}

static void conn_stop(struct conn *c)
{
	vmrpc_guest_detach(&c->g);
	itest_hostd_stop(&c->h);
}

/* ---- zlib ------------------------------------------------------------------ */

static void test_zlib(void **state)
{
	static unsigned char data[100000];
	const size_t sizes[] = { 0, 1, 7, 4096, sizeof(data) };
	const char *spec = ITEST_ZLIB_IDL ":libz.so.1";
	struct itest_hostd h;
	struct vmrpc_guest g;
	struct vmrpc_binding z;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)itest_rand();
	itest_hostd_start(&h, "--channels", "4", "--ffi-service", spec, (char *)NULL);
	itest_assert_err(vmrpc_guest_attach(NULL, &g), 0);
	itest_assert_err(zlib_bind(g.chan, &z), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uInt n = (uInt)sizes[i];

		assert_int_equal(zlib_crc32(&z, 0, data, n), crc32(0, data, n));
		assert_int_equal(zlib_crc32(&z, 0x12345678, data, n), crc32(0x12345678, data, n));
		assert_int_equal(zlib_adler32(&z, 1, data, n), adler32(1, data, n));
		assert_int_equal(zlib_compressBound(&z, n), compressBound(n));
	}
	assert_int_equal(zlib_compressBound(&z, 1ull << 40), compressBound(1ul << 40));
	/* every function was there: nothing to warn about */
	assert_int_equal(itest_log_count(&h, "ENOSYS", (char *)NULL), 0);
	vmrpc_guest_detach(&g);
	itest_hostd_stop(&h);
}

/* ---- every type, against the C functions themselves ---------------------------- */

static void fill_inner(struct ffiall_inner *v, int k)
{
	memset(v, 0, sizeof(*v));
	v->on = k & 1;
	v->lv = k % 3 == 0 ? FFIALL_LEVEL_LOW : k % 3 == 1 ? FFIALL_LEVEL_MID : FFIALL_LEVEL_HIGH;
	snprintf(v->tag, sizeof(v->tag), "tag-%d", k);
	v->small = (int16_t)(100 * k); /* structs() returns their sum: >= 0 */
}

static void fill_outer(struct ffiall_outer *o)
{
	memset(o, 0, sizeof(*o));
	fill_inner(&o->one, 1);
	fill_inner(&o->two[0], 2);
	fill_inner(&o->two[1], 3);
	o->f = 2.5f;
	o->d = -1e300;
	o->bytes[0] = 0;
	o->bytes[1] = 128;
	o->bytes[2] = 255;
}

static void check_all_types(const struct vmrpc_binding *b)
{
	static char big_in[8001], big_out[8001], big_local[8001];
	int32_t calls = ffiall_counter(b);

	/* scalars in: every width and sign at its edges */
	assert_int_equal(ffiall_ints(b, -128, 255, -32768, 65535, INT32_MIN, UINT32_MAX,
				     INT64_MIN / 2, UINT64_MAX),
			 ints(-128, 255, -32768, 65535, INT32_MIN, UINT32_MAX, INT64_MIN / 2,
			      UINT64_MAX));
	assert_int_equal(ffiall_ints(b, 127, 0, 32767, 0, INT32_MAX, 0, INT64_MAX / 4, 1),
			 ints(127, 0, 32767, 0, INT32_MAX, 0, INT64_MAX / 4, 1));
	assert_int_equal(ffiall_ints(b, -1, 1, -1, 1, -1, 1, -1, 1),
			 ints(-1, 1, -1, 1, -1, 1, -1, 1));
	assert_int_equal(ffiall_flags(b, true, FFIALL_LEVEL_HIGH), flags(true, FFIALL_LEVEL_HIGH));
	assert_int_equal(ffiall_flags(b, false, FFIALL_LEVEL_MID), flags(false, FFIALL_LEVEL_MID));
	assert_int_equal(ffiall_flags(b, true, FFIALL_LEVEL_LOW), 100);
	{
		double sum = 0, want;

		assert_int_equal(ffiall_reals(b, 1.5f, 2000.25, &sum), reals(1.5f, 2000.25, &want));
		assert_true(sum == want);
		assert_int_equal(ffiall_reals(b, -0.0f, 3e300, &sum), reals(-0.0f, 3e300, &want));
		assert_true(sum == want);
	}
	/* structs in, out and inout */
	{
		struct ffiall_outer o, copy, copy_local;
		struct ffiall_inner io, io_local;

		fill_outer(&o);
		fill_inner(&io, 4);
		io_local = io;
		memset(&copy, 0xa5, sizeof(copy));
		memset(&copy_local, 0, sizeof(copy_local));
		assert_int_equal(ffiall_structs(b, &o, &copy, &io),
				 structs(&o, &copy_local, &io_local));
		assert_memory_equal(&copy, &copy_local, sizeof(copy));
		assert_memory_equal(&io, &io_local, sizeof(io));
		assert_true(copy.f == 5.0f && !copy.one.on && copy.two[0].on);
	}
	/* arrays in, out and inout */
	{
		const ffiall_quad q = { 1, -2, INT32_MAX / 2, -7 };
		ffiall_quad doubled, doubled_local;
		int32_t acc[2] = { 10, 20 }, acc_local[2] = { 10, 20 };

		assert_int_equal(ffiall_arrays(b, q, doubled, acc),
				 arrays(q, doubled_local, acc_local));
		assert_memory_equal(doubled, doubled_local, sizeof(doubled));
		assert_memory_equal(acc, acc_local, sizeof(acc));
	}
	/* strings in, out and inout: the function sees the room MAX + 1 */
	{
		char greeting[65], greeting_local[65], word[17] = "MiXed case", word_local[17];

		strcpy(word_local, word);
		assert_int_equal(ffiall_strings(b, "world", greeting, sizeof(greeting), word,
						sizeof(word)),
				 strings("world", greeting_local, sizeof(greeting_local),
					 word_local, sizeof(word_local)));
		assert_string_equal(greeting, greeting_local);
		assert_string_equal(greeting, "hello, world");
		assert_string_equal(word, "MIXED CASE");
		/* the longest name there is */
		assert_int_equal(ffiall_strings(b, "0123456789abcdef0123456789abcdef", greeting,
						sizeof(greeting), word, sizeof(word)),
				 32);
		assert_string_equal(greeting, "hello, 0123456789abcdef0123456789abcdef");
	}
	/* buffers in, out and inout */
	{
		uint8_t src[1000], dst[1000], io[1000], dst_local[1000], io_local[1000];

		for (size_t i = 0; i < sizeof(src); i++) {
			src[i] = (uint8_t)itest_rand();
			io[i] = io_local[i] = (uint8_t)i;
		}
		assert_int_equal(ffiall_bufs(b, src, dst, io, sizeof(src)),
				 bufs(src, dst_local, io_local, sizeof(src)));
		assert_memory_equal(dst, dst_local, sizeof(dst));
		assert_memory_equal(io, io_local, sizeof(io));
		assert_int_equal(ffiall_bufs(b, src, dst, io, 0), 0);
	}
	/* buffer<SIZE, return> and buffer<SIZE, LEN> */
	{
		char data[100] = { 0 }, local[100] = { 0 };
		uint32_t got = 0, got_local = 0;

		assert_int_equal(ffiall_readsome(b, data, 4), readsome(local, 4));
		assert_memory_equal(data, "abcd\0", 5);
		assert_int_equal(ffiall_readsome(b, data, sizeof(data)), 10);
		assert_memory_equal(data, "abcdefghij\0", 11);
		memset(data, 0, sizeof(data));
		assert_int_equal(ffiall_lengths(b, data, 9, &got), lengths(local, 9, &got_local));
		assert_int_equal(got, got_local);
		assert_int_equal(got, 4);
		assert_memory_equal(data, "xxxx\0", 5);
	}
	/* out and inout scalars */
	{
		bool bo, bo_l, bi = false, bi_l = false;
		int8_t i8, i8_l, ii8 = 100, ii8_l = 100;
		uint16_t u16, u16_l;
		uint64_t u64 = UINT64_MAX - 1, u64_l = UINT64_MAX - 1;
		int64_t i64, i64_l;
		float f, f_l;
		double d = 0.75, d_l = 0.75;
		enum ffiall_level lv, lv_l, lvi = FFIALL_LEVEL_LOW, lvi_l = FFIALL_LEVEL_LOW;

		assert_int_equal(ffiall_outs(b, &bo, &i8, &u16, &i64, &f, &lv),
				 outs(&bo_l, &i8_l, &u16_l, &i64_l, &f_l, &lv_l));
		assert_true(bo == bo_l && i8 == i8_l && u16 == u16_l && i64 == i64_l && f == f_l &&
			    lv == lv_l);
		/* out pointers may be NULL: the value is dropped */
		assert_int_equal(ffiall_outs(b, NULL, NULL, NULL, &i64, NULL, NULL), 6);
		assert_int_equal(i64, INT64_MIN);
		assert_int_equal(ffiall_inouts(b, &bi, &ii8, &u64, &d, &lvi),
				 inouts(&bi_l, &ii8_l, &u64_l, &d_l, &lvi_l));
		assert_true(bi == bi_l && ii8 == ii8_l && u64 == u64_l && d == d_l &&
			    lvi == lvi_l);
		assert_true(bi && ii8 == -100 && u64 == UINT64_MAX && d == 1.5 &&
			    lvi == FFIALL_LEVEL_MID);
	}
	/* oneway, then a call that waits for it */
	{
		char text[33];

		assert_int_equal(ffiall_note(b, "a oneway note", 77), 0);
		assert_int_equal(ffiall_last_note(b, text, sizeof(text)), 77);
		assert_string_equal(text, "a oneway note");
	}
	assert_int_equal(ffiall_nothing(b), 0);
	assert_int_equal(ffiall_missing(b, 1), -ENOSYS);
	/* a string too big for the stack: the heap path */
	memset(big_in, 'q', 8000);
	big_in[8000] = '\0';
	assert_int_equal(ffiall_big(b, big_in, big_out, sizeof(big_out)),
			 big(big_in, big_local, sizeof(big_local)));
	assert_string_equal(big_out, big_in);
	/* each call above ran the function once (missing has none) */
	assert_int_equal(ffiall_counter(b), calls + 24);
}

static void test_all_types(void **state)
{
	struct conn c;

	(void)state;
	conn_start(&c, BY_FFI);
	check_all_types(&c.b);
	/* the method the library lacks was logged once, at load */
	itest_log_wait(&c.h, 1, "ffiall.missing answers -ENOSYS", (char *)NULL);
	conn_stop(&c);

	conn_start(&c, BY_SKELETON);
	check_all_types(&c.b);
	conn_stop(&c);
}

/* ---- hostile requests ------------------------------------------------------------ */

/* A request written by hand: what a guest that skips the stubs sends. */
struct raw {
	struct vmrpc_outcall call;
};

static void raw_begin(const struct vmrpc_binding *b, struct raw *r)
{
	itest_assert_err(vmrpc_outcall_begin(b, &r->call), 0);
}

/* len bytes in the arena (room of them at least): their offset. */
static uint64_t raw_put(struct raw *r, const void *bytes, size_t len, size_t room)
{
	uint64_t off;
	void *p;

	itest_assert_err(vmrpc_outcall_alloc(&r->call, room > len ? room : len, &off, &p), 0);
	memcpy(p, bytes, len);
	return off;
}

static int64_t raw_invoke(struct raw *r, uint32_t method, const void *args, uint32_t len)
{
	memcpy(r->call.args, args, len);
	return vmrpc_outcall_invoke(&r->call, method, len);
}

/* A well-formed wire string of s in the arena. */
static struct vmrpc_wire_str raw_str(struct raw *r, const char *s, size_t room)
{
	struct vmrpc_wire_str w = { .len = (uint32_t)strlen(s) };

	w.off = raw_put(r, s, strlen(s) + 1, room);
	return w;
}

#define NOT_IN_ARENA 0ull /* the region's header */

static int64_t hostile_flags(const struct vmrpc_binding *b, uint8_t yes_byte, int32_t lv,
			     uint32_t len)
{
	struct ffiall_flags_args a;
	struct raw r;

	memset(&a, 0, sizeof(a));
	memcpy(&a.yes, &yes_byte, 1); /* a bool object may not hold 2: write the byte */
	memcpy(&a.lv, &lv, sizeof(lv));
	raw_begin(b, &r);
	return raw_invoke(&r, FFIALL_METHOD_FLAGS, &a, len);
}

/* structs() with o and io as made, then spoiled by spoil. */
static int64_t hostile_structs(const struct vmrpc_binding *b,
			       void (*spoil)(struct ffiall_structs_args *))
{
	struct ffiall_structs_args a;
	struct raw r;

	memset(&a, 0, sizeof(a));
	fill_outer(&a.o);
	fill_inner(&a.io, 4);
	spoil(&a);
	raw_begin(b, &r);
	return raw_invoke(&r, FFIALL_METHOD_STRUCTS, &a, sizeof(a));
}

static void spoil_nothing(struct ffiall_structs_args *a)
{
	(void)a;
}

static void spoil_nested_bool(struct ffiall_structs_args *a)
{
	memset(&a->o.two[1].on, 2, 1);
}

static void spoil_nested_enum(struct ffiall_structs_args *a)
{
	int32_t v = 4;

	memcpy(&a->o.two[0].lv, &v, sizeof(v));
}

static void spoil_unterminated_tag(struct ffiall_structs_args *a)
{
	memset(a->o.one.tag, 'A', sizeof(a->o.one.tag));
}

static void spoil_inout_enum(struct ffiall_structs_args *a)
{
	int32_t v = 1;

	memcpy(&a->io.lv, &v, sizeof(v));
}

enum spoil_str { STR_OK, STR_TOO_LONG, STR_UNTERMINATED, STR_INNER_NUL, STR_OUTSIDE };

/* strings() with one string spoiled: which (0 name, 1 greeting's slot, 2
 * word) and how. */
static int64_t hostile_strings(const struct vmrpc_binding *b, int which, enum spoil_str how)
{
	struct ffiall_strings_args a;
	struct vmrpc_wire_str *w;
	uint32_t max = which == 2 ? 16 : 32;
	struct raw r;

	raw_begin(b, &r);
	memset(&a, 0, sizeof(a));
	a.name = raw_str(&r, "name", 0);
	a.greeting.off = raw_put(&r, "", 1, 65);
	a.greeting.len = 65;
	a.word = raw_str(&r, "word", 17);
	w = which == 0 ? &a.name : which == 1 ? &a.greeting : &a.word;
	switch (how) {
	case STR_OK:
		break;
	case STR_TOO_LONG: {
		char s[64];

		memset(s, 'x', max + 1);
		s[max + 1] = '\0';
		w->off = raw_put(&r, s, max + 2, 0);
		w->len = max + 1;
		break;
	}
	case STR_UNTERMINATED:
		w->off = raw_put(&r, "abcd", 4, 0); /* len 3: the byte at 3 is 'd' */
		w->len = 3;
		break;
	case STR_INNER_NUL:
		w->off = raw_put(&r, "ab\0c", 5, 0);
		w->len = 4;
		break;
	case STR_OUTSIDE:
		w->off = NOT_IN_ARENA;
		break;
	}
	return raw_invoke(&r, FFIALL_METHOD_STRINGS, &a, sizeof(a));
}

static void check_hostile(const struct vmrpc_binding *b)
{
	int32_t calls = ffiall_counter(b);
	uint8_t bytes[64] = { 0 };

	/* bools and enums by value */
	itest_assert_err(hostile_flags(b, 2, FFIALL_LEVEL_LOW, 8), -EINVAL);
	itest_assert_err(hostile_flags(b, 0xff, FFIALL_LEVEL_LOW, 8), -EINVAL);
	itest_assert_err(hostile_flags(b, 1, 3, 8), -EINVAL);
	itest_assert_err(hostile_flags(b, 1, -1, 8), -EINVAL);
	itest_assert_err(hostile_flags(b, 1, INT32_MIN, 8), -EINVAL);
	/* the wrong args_len, bad contents or not */
	itest_assert_err(hostile_flags(b, 1, FFIALL_LEVEL_LOW, 7), -EPROTO);
	itest_assert_err(hostile_flags(b, 1, FFIALL_LEVEL_LOW, 0), -EPROTO);
	itest_assert_err(hostile_flags(b, 2, 3, 4), -EPROTO);
	{
		struct raw r;
		uint64_t zero = 0;

		raw_begin(b, &r);
		itest_assert_err(raw_invoke(&r, FFIALL_METHOD_NOTHING, &zero, 8), -EPROTO);
		raw_begin(b, &r);
		itest_assert_err(raw_invoke(&r, FFIALL_METHOD_INTS, bytes,
					    sizeof(struct ffiall_ints_args) - 1), -EPROTO);
		raw_begin(b, &r);
		itest_assert_err(raw_invoke(&r, FFIALL_METHOD_INTS, bytes,
					    sizeof(struct ffiall_ints_args) + 8), -EPROTO);
	}
	/* inout scalars are checked like in ones */
	{
		struct ffiall_inouts_args a;
		int32_t lv = 7;
		struct raw r;

		memset(&a, 0, sizeof(a));
		memset(&a.b, 9, 1);
		raw_begin(b, &r);
		itest_assert_err(raw_invoke(&r, FFIALL_METHOD_INOUTS, &a, sizeof(a)), -EINVAL);
		memset(&a.b, 1, 1);
		memcpy(&a.lv, &lv, sizeof(lv));
		raw_begin(b, &r);
		itest_assert_err(raw_invoke(&r, FFIALL_METHOD_INOUTS, &a, sizeof(a)), -EINVAL);
	}
	/* inside structs and their arrays, in and inout */
	itest_assert_err(hostile_structs(b, spoil_nested_bool), -EINVAL);
	itest_assert_err(hostile_structs(b, spoil_nested_enum), -EINVAL);
	itest_assert_err(hostile_structs(b, spoil_unterminated_tag), -EINVAL);
	itest_assert_err(hostile_structs(b, spoil_inout_enum), -EINVAL);
	/* strings: in, out (its slot) and inout */
	itest_assert_err(hostile_strings(b, 0, STR_TOO_LONG), -EINVAL);
	itest_assert_err(hostile_strings(b, 0, STR_UNTERMINATED), -EINVAL);
	itest_assert_err(hostile_strings(b, 0, STR_INNER_NUL), -EINVAL);
	itest_assert_err(hostile_strings(b, 0, STR_OUTSIDE), -EFAULT);
	itest_assert_err(hostile_strings(b, 1, STR_OUTSIDE), -EFAULT);
	itest_assert_err(hostile_strings(b, 2, STR_TOO_LONG), -EINVAL);
	itest_assert_err(hostile_strings(b, 2, STR_UNTERMINATED), -EINVAL);
	itest_assert_err(hostile_strings(b, 2, STR_OUTSIDE), -EFAULT);
	/* buffers outside the arena, or sized past it */
	{
		struct ffiall_bufs_args a = { .n = 16 };
		struct raw r;

		raw_begin(b, &r);
		a.src_off = raw_put(&r, bytes, 16, 0);
		a.dst_off = raw_put(&r, bytes, 16, 0);
		a.io_off = NOT_IN_ARENA;
		itest_assert_err(raw_invoke(&r, FFIALL_METHOD_BUFS, &a, sizeof(a)), -EFAULT);
		raw_begin(b, &r);
		a.io_off = raw_put(&r, bytes, 16, 0);
		a.src_off = ~0ull - 8;
		itest_assert_err(raw_invoke(&r, FFIALL_METHOD_BUFS, &a, sizeof(a)), -EFAULT);
		raw_begin(b, &r);
		a.src_off = raw_put(&r, bytes, 16, 0);
		a.n = UINT32_MAX;
		itest_assert_err(raw_invoke(&r, FFIALL_METHOD_BUFS, &a, sizeof(a)), -EFAULT);
	}
	{
		/* a negative signed SIZE is far outside any arena */
		struct ffiall_lengths_args a = { .cap = -1 };
		struct raw r;

		raw_begin(b, &r);
		a.data_off = raw_put(&r, bytes, 16, 0);
		itest_assert_err(raw_invoke(&r, FFIALL_METHOD_LENGTHS, &a, sizeof(a)), -EFAULT);
	}
	{
		struct ffiall_readsome_args a = { .data_off = NOT_IN_ARENA, .cap = 4 };
		struct raw r;

		raw_begin(b, &r);
		itest_assert_err(raw_invoke(&r, FFIALL_METHOD_READSOME, &a, sizeof(a)), -EFAULT);
	}
	{
		/* the heap path checks its strings too */
		static char s[8001];
		struct ffiall_big_args a;
		struct raw r;

		memset(s, 'z', sizeof(s));
		raw_begin(b, &r);
		a.text.off = raw_put(&r, s, 8000, 0);
		a.text.len = 7999; /* the byte at 7999 is 'z' */
		a.text.reserved = 0;
		a.echo.off = raw_put(&r, "", 1, 8001);
		a.echo.len = 8001;
		a.echo.reserved = 0;
		itest_assert_err(raw_invoke(&r, FFIALL_METHOD_BIG, &a, sizeof(a)), -EINVAL);
	}
	/* a oneway call with a bad string: dropped, the function not run */
	{
		struct ffiall_note_args a = { .n = 5 };
		char text[33];
		struct raw r;

		raw_begin(b, &r);
		a.text.off = raw_put(&r, "abcd", 4, 0);
		a.text.len = 3;
		memcpy(r.call.args, &a, sizeof(a));
		itest_assert_err(vmrpc_outcall_send(&r.call, FFIALL_METHOD_NOTE, sizeof(a)), 0);
		assert_int_equal(ffiall_last_note(b, text, sizeof(text)), 0);
		assert_string_equal(text, "");
		calls++; /* last_note */
	}
	/* None of the functions ran for any of it. */
	assert_int_equal(ffiall_counter(b), calls);
	/* A well-formed request on the same channel still works. */
	itest_assert_err(hostile_structs(b, spoil_nothing), 100 + 200 + 300);
	itest_assert_err(hostile_strings(b, 0, STR_OK), 4);
	assert_int_equal(ffiall_counter(b), calls + 2);
}

static void test_hostile(void **state)
{
	struct conn c;

	(void)state;
	conn_start(&c, BY_SKELETON);
	check_hostile(&c.b);
	conn_stop(&c);

	conn_start(&c, BY_FFI);
	check_hostile(&c.b);
	conn_stop(&c);
}

/* ---- what does not start ------------------------------------------------------------ */

static void expect_hostd(int want, const char *needle, const char *const *extra)
{
	const char *args[16] = { "--loopback", ITEST_REGION, "--shadow", ITEST_SHADOW };
	size_t n = 4;
	char *err;
	int status;

	for (size_t i = 0; extra[i] && n < 15; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	status = itest_hostd_run(args, &err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != want || (needle && !strstr(err, needle)))
		fail_msg("vmrpc-hostd ... %s %s: wait status 0x%x, stderr \"%s\"; expected exit %d "
			 "and \"%s\"", extra[0], extra[1] ? extra[1] : "", status, err, want,
			 needle ? needle : "");
	free(err);
}

static void test_errors(void **state)
{
	const char text[] = "interface bad version 1 {\n\tint32 f(nosuchtype x);\n}\n";
	char bad_idl[PATH_MAX], spec[2 * PATH_MAX];

	(void)state;
	snprintf(bad_idl, sizeof(bad_idl), "%s/bad.idl", itest_dir());
	itest_write_file(bad_idl, text, sizeof(text) - 1);
	{
		const char *a[] = { "--ffi-service", ITEST_FFIALL_IDL, NULL };
		expect_hostd(2, "is not FILE.idl:LIBRARY", a);
	}
	{
		const char *a[] = { "--ffi-service", "/nonexistent/x.idl:libz.so.1", NULL };
		expect_hostd(2, "/nonexistent/x.idl: No such file or directory", a);
	}
	{
		const char *a[] = { "--ffi-service", ITEST_FFIALL_IDL ":/nonexistent/lib.so",
				    NULL };
		expect_hostd(2, "/nonexistent/lib.so: No such file or directory", a);
	}
	snprintf(spec, sizeof(spec), "%s:libz.so.1", bad_idl);
	{
		const char *a[] = { "--ffi-service", spec, NULL };
		expect_hostd(1, "the .idl has errors", a);
		expect_hostd(1, "bad.idl:2:", a); /* the compiler's own diagnostic */
	}
	{
		const char *a[] = { "--check", "--ffi-service", spec, NULL };
		expect_hostd(1, "cannot load service: ", a);
	}
	{
		const char *a[] = { "--ffi-service", ITEST_FFIALL_IDL ":libnosuchlibrary.so.9",
				    NULL };
		expect_hostd(1, "libnosuchlibrary.so.9", a);
	}
	{
		const char *a[] = { "--check", "--ffi-service",
				    ITEST_FFIALL_IDL ":libnosuchlibrary.so.9",
				    NULL };
		expect_hostd(1, "cannot load service: ", a);
	}
	/* the same interface twice */
	{
		const char *a[] = { "--ffi-service", FFIALL_SPEC, "--service", ITEST_FFIALL_SKEL,
				    NULL };
		expect_hostd(1, "interface 'ffiall' is already served", a);
	}
	/* zlib's idl against a library without those functions: served, each
	 * method -ENOSYS, each logged; and libffiall does not lend libc's */
	{
		const char *a[] = { "--check", "--ffi-service", ITEST_ZLIB_IDL ":" ITEST_FFIALL_LIB,
				    NULL };
		expect_hostd(0, "zlib.crc32 answers -ENOSYS", a);
		expect_hostd(0, "zlib.compressBound answers -ENOSYS", a);
	}
}

/* A name libc has, in an .idl served by a library that lacks it: not
 * borrowed from libc; a name of the library's data: not called. */
static void test_own_symbols_only(void **state)
{
	char idl[PATH_MAX], spec[2 * PATH_MAX];
	const char text[] = "interface borrow version 1 {\n\tint32 getpid();\n"
			    "\tint32 not_a_function();\n\tint32 counter();\n}\n";
	struct itest_hostd h;

	(void)state;
	snprintf(idl, sizeof(idl), "%s/borrow.idl", itest_dir());
	itest_write_file(idl, text, sizeof(text) - 1);
	snprintf(spec, sizeof(spec), "%s:%s", idl, ITEST_FFIALL_LIB);
	itest_hostd_start(&h, "--channels", "4", "--ffi-service", spec, (char *)NULL);
	itest_log_wait(&h, 1, "borrow.getpid answers -ENOSYS", "not the library's own",
		       (char *)NULL);
	/* nor is a data symbol of the library's called */
	itest_log_wait(&h, 1, "borrow.not_a_function answers -ENOSYS", "is not a function",
		       (char *)NULL);
	assert_int_equal(itest_log_count(&h, "borrow.counter", (char *)NULL), 0);
	itest_hostd_stop(&h);
}

/* ---- hostd.conf and guestd.conf ------------------------------------------------- */

static void check_config(const char *key_line, int want, const char *needle)
{
	char conf[PATH_MAX], text[4 * PATH_MAX];
	const char *args[] = { "--check", "--config", conf, NULL };
	const char *argv[8] = { ITEST_HOSTD, "--shadow", ITEST_SHADOW };
	char *out, *err;
	int status;

	snprintf(conf, sizeof(conf), "%s/hostd.conf", itest_dir());
	snprintf(text, sizeof(text),
		 "[vm a]\ntransport = ivshmem-plain\nshm-file = %s/a.shm\nshm-size = 4M\n"
		 "channels = 4\nuser = 65534\n%s\n", itest_dir(), key_line);
	itest_write_file(conf, text, strlen(text));
	for (size_t i = 0; args[i]; i++)
		argv[3 + i] = args[i];
	status = itest_run(argv, &out, &err);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != want ||
	    (needle && !strstr(out, needle) && !strstr(err, needle)))
		fail_msg("vmrpc-hostd --check with '%s': wait status 0x%x, stdout \"%s\", stderr "
			 "\"%s\"; expected exit %d and \"%s\"", key_line, status, out, err, want,
			 needle ? needle : "");
	free(out);
	free(err);
}

static void test_config(void **state)
{
	(void)state;
	check_config("ffi-service = " ITEST_ZLIB_IDL ":libz.so.1", 0, "good");
	check_config("ffi-service = " FFIALL_SPEC, 0, "ffiall.missing answers -ENOSYS");
	check_config("ffi-service = " ITEST_ZLIB_IDL, 2, ":7: ffi-service: '");
	check_config("ffi-service = " ITEST_ZLIB_IDL ":libnosuchlibrary.so.9", 1,
		     "libnosuchlibrary.so.9");
}

static void test_guestd(void **state)
{
	static unsigned char data[5000];
	char conf[PATH_MAX], log[PATH_MAX];
	const char text[] = "ffi-service = " ITEST_ZLIB_IDL ":libz.so.1\n";
	const char *argv[] = { ITEST_GUESTD, "--region", ITEST_REGION, "--config", conf, NULL };
	struct itest_hostd h;
	struct vmrpc_chan *ch;
	struct vmrpc_binding z;
	pid_t guestd;
	int status;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)itest_rand();
	snprintf(conf, sizeof(conf), "%s/guestd.conf", itest_dir());
	snprintf(log, sizeof(log), "%s/guestd.log", itest_dir());
	itest_write_file(conf, text, sizeof(text) - 1);
	itest_hostd_start(&h, (char *)NULL);
	guestd = itest_spawn(argv, NULL, log);
	itest_wait_file_has(log, "serving");
	/* a host caller, the guest's zlib */
	itest_assert_err(vmrpc_vm_open(ITEST_REGION, 0, &ch), 0);
	itest_assert_err(zlib_bind(ch, &z), 0);
	assert_int_equal(zlib_crc32(&z, 0, data, sizeof(data)), crc32(0, data, sizeof(data)));
	assert_int_equal(zlib_adler32(&z, 1, data, sizeof(data)), adler32(1, data, sizeof(data)));
	assert_int_equal(zlib_compressBound(&z, 12345), compressBound(12345));
	vmrpc_chan_close(ch);
	kill(guestd, SIGTERM);
	assert_int_equal(itest_wait_exit(guestd, ITEST_DEADLINE_MS, &status), 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	itest_hostd_stop(&h);

	/* a library that does not load: guestd does not start */
	{
		const char bad[] = "ffi-service = " ITEST_ZLIB_IDL ":libnosuchlibrary.so.9\n";

		itest_write_file(conf, bad, sizeof(bad) - 1);
		guestd = itest_spawn(argv, NULL, log);
		assert_int_equal(itest_wait_exit(guestd, ITEST_DEADLINE_MS, &status), 0);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
		assert_true(itest_file_has(log, "cannot load ffi service: "));
		assert_true(itest_file_has(log, "libnosuchlibrary.so.9"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_zlib, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_all_types, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_hostile, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_errors, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_own_symbols_only, itest_setup,
						itest_teardown),
		cmocka_unit_test_setup_teardown(test_config, itest_setup, itest_teardown),
		cmocka_unit_test_setup_teardown(test_guestd, itest_setup, itest_teardown),
	};

	return cmocka_run_group_tests_name("integ_ffi", tests, NULL, NULL);
}
