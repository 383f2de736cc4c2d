/* SPDX-License-Identifier: MIT */
/*
 * ffiall_skel.so: libffiall.so's functions served the usual way, by a
 * generated skeleton in a service module (vmrpc-hostd --service). The
 * integration test sends the same requests, hostile ones included, to this
 * and to the libffi service, and expects the same answers. Each entry
 * calls the library's function with the arguments it got: the compiler
 * checks that the library's prototypes are the ops' without ctx.
 */
#include "ffiall_callee.h"
#include "ffiall_lib.h"
#include "vmrpc/module.h"

static int64_t s_ints(void *ctx, int8_t a, uint8_t b, int16_t c, uint16_t d, int32_t e,
		      uint32_t f, int64_t g, uint64_t h)
{
	(void)ctx;
	return ints(a, b, c, d, e, f, g, h);
}

static int32_t s_flags(void *ctx, bool yes, enum ffiall_level lv)
{
	(void)ctx;
	return flags(yes, lv);
}

static int64_t s_reals(void *ctx, float x, double y, double *sum)
{
	(void)ctx;
	return reals(x, y, sum);
}

static int32_t s_structs(void *ctx, const struct ffiall_outer *o, struct ffiall_outer *copy,
			 struct ffiall_inner *io)
{
	(void)ctx;
	return structs(o, copy, io);
}

static int32_t s_arrays(void *ctx, const int32_t q[4], int32_t doubled[4], int32_t acc[2])
{
	(void)ctx;
	return arrays(q, doubled, acc);
}

static int32_t s_strings(void *ctx, const char *name, char *greeting, size_t greeting_size,
			 char *word, size_t word_size)
{
	(void)ctx;
	return strings(name, greeting, greeting_size, word, word_size);
}

static int64_t s_bufs(void *ctx, const void *src, void *dst, void *io, uint32_t n)
{
	(void)ctx;
	return bufs(src, dst, io, n);
}

static int64_t s_readsome(void *ctx, void *data, uint64_t cap)
{
	(void)ctx;
	return readsome(data, cap);
}

static int32_t s_lengths(void *ctx, void *data, int32_t cap, uint32_t *got)
{
	(void)ctx;
	return lengths(data, cap, got);
}

static int32_t s_outs(void *ctx, bool *b, int8_t *i8, uint16_t *u16, int64_t *i64, float *f,
		      enum ffiall_level *lv)
{
	(void)ctx;
	return outs(b, i8, u16, i64, f, lv);
}

static int32_t s_inouts(void *ctx, bool *b, int8_t *i8, uint64_t *u64, double *d,
			enum ffiall_level *lv)
{
	(void)ctx;
	return inouts(b, i8, u64, d, lv);
}

static int s_note(void *ctx, const char *text, int32_t n)
{
	(void)ctx;
	note(text, n);
	return 0;
}

static int32_t s_last_note(void *ctx, char *text, size_t text_size)
{
	(void)ctx;
	return last_note(text, text_size);
}

static int s_nothing(void *ctx)
{
	(void)ctx;
	nothing();
	return 0;
}

static int32_t s_counter(void *ctx)
{
	(void)ctx;
	return counter();
}

static int32_t s_big(void *ctx, const char *text, char *echo, size_t echo_size)
{
	(void)ctx;
	return big(text, echo, echo_size);
}

static const struct ffiall_ops ops = {
	.ints = s_ints,
	.flags = s_flags,
	.reals = s_reals,
	.structs = s_structs,
	.arrays = s_arrays,
	.strings = s_strings,
	.bufs = s_bufs,
	.readsome = s_readsome,
	.lengths = s_lengths,
	.outs = s_outs,
	.inouts = s_inouts,
	.note = s_note,
	.last_note = s_last_note,
	.nothing = s_nothing,
	.counter = s_counter,
	.missing = NULL, /* as the library: not there */
	.big = s_big,
};

static const struct vmrpc_service services[] = {
	{ &ffiall_iface, ffiall_dispatch, &ops, NULL },
};

VMRPC_MODULE_EXPORT const struct vmrpc_module vmrpc_module = {
	VMRPC_ABI_VERSION, 1, services,
};
