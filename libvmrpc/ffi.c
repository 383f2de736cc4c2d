/* SPDX-License-Identifier: MIT */
/*
 * Serving plain C functions through libffi (vmrpc/dynamic.h): a callee
 * without a generated skeleton. Everything a call needs that does not
 * depend on the call (an ffi_cif per method, where each parameter lives,
 * which values need checking, how much private memory a call takes) is
 * worked out once from the type table, in vmrpc_ffi_service(); the
 * dispatcher then makes, per call, exactly the checks a generated skeleton
 * makes (stubgen/emit_callee.c), in the same order, so a request gets the
 * same answer from either.
 *
 * The call itself: through ffi_call() with the method's cif; or, where the
 * platform's calling convention makes it exact, directly (FFI_DIRECT
 * below), since ffi_call() classifies every argument again on every call,
 * which costs a small call more than everything else the callee does.
 *
 * A struct vmrpc_ffi is never written after it is built: one service may be
 * dispatched by several threads at once (sibling channels of a shadow).
 * Each call's private memory (the argument pointers, the results, the
 * string copies) is on the dispatching thread's stack, or malloc'd for the
 * few methods whose strings do not fit there, as generated skeletons do.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <ffi.h>

#include "vmrpc/dynamic.h"
#include "vmrpc/stub.h"

/* A call whose private memory fits this runs without malloc. */
#define FFI_STACK_SCRATCH 16384u
/* Checking a value recurses as deep as its type nests: vmrpc_types_load()
 * refuses deeper tables, and the service checks again. */
#define FFI_MAX_DEPTH VMRPC_TT_MAX_DEPTH

/*
 * Direct calls. On x86-64 (System V) and AArch64 the first six integer or
 * pointer arguments travel in registers whatever their C types, each
 * widened to 64 bits by us (the callee may rely on the caller extending
 * narrow ones on x86-64, as clang's code does), a function ignores
 * registers beyond its parameters, and an int32 or int64 result comes back
 * in the first result register. So a method whose C arguments are all
 * integers, enums, bools and pointers, at most six, is called as a
 * function of six uint64_t, exactly as libffi would call it after
 * classifying them; anything else (a float or double by value, more
 * arguments) goes through ffi_call(). VMRPC_FFI_DIRECT=0 in the
 * environment of the program that builds the service turns this off
 * (bench/ffi.c measures both).
 */
#if (defined(__x86_64__) && !defined(_WIN64)) || (defined(__aarch64__) && !defined(_WIN32))
#define FFI_DIRECT_MAX 6
#else
#define FFI_DIRECT_MAX 0
#endif

typedef int64_t (*ffi_direct_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

/* How a direct call widens one C argument to its register. */
enum ffi_load {
	FFI_LOAD_U64, /* a pointer, a size_t, an int64 or uint64 */
	FFI_LOAD_I8,
	FFI_LOAD_U8,
	FFI_LOAD_I16,
	FFI_LOAD_U16,
	FFI_LOAD_I32,
	FFI_LOAD_U32,
};

/* How one parameter reaches its function; from FFI_PASS_STR_IN on, through
 * the arena. */
enum ffi_pass {
	FFI_PASS_VALUE,   /* an in scalar: by value, from the args snapshot */
	FFI_PASS_ARGS,    /* an in struct or array: a pointer into the snapshot */
	FFI_PASS_RESULTS, /* an out or inout value: a pointer into the results */
	FFI_PASS_STR_IN,  /* an in string: a pointer to its private copy */
	FFI_PASS_STR_OUT, /* an out or inout string: its private copy and room */
	FFI_PASS_BUF_IN,  /* an in buffer: a pointer into the arena */
	FFI_PASS_BUF_OUT, /* an out or inout buffer: the same, writable */
};

struct ffi_param {
	uint8_t pass;     /* enum ffi_pass */
	uint8_t check;    /* an in or inout value with bools, enums or strings */
	uint8_t copy_in;  /* an inout value: the results start as the caller's */
	uint8_t size_kind; /* a buffer: its SIZE parameter's kind */
	uint32_t type;
	uint32_t args_off;
	uint32_t results_off;
	uint32_t size;     /* a value's inline bytes */
	uint32_t str_max;  /* a string's bound */
	uint32_t str_off;  /* a string: its private copy in the scratch */
	uint32_t size_off; /* a buffer: its SIZE parameter's args_off */
};

struct ffi_method {
	const struct vmrpc_tt_method *tm; /* NULL: no method has this id */
	void (*fn)(void);                 /* NULL: -ENOSYS */
	ffi_cif cif;
	ffi_type **atypes;
	struct ffi_param *params;
	uint32_t n_cargs;      /* C arguments */
	bool direct;           /* called without ffi_call() (FFI_DIRECT_MAX) */
	bool fast;             /* direct, and every parameter an in scalar */
	uint32_t args_size;    /* tm's, here to save a load per call */
	struct { /* the fast path's arguments */
		uint16_t off;   /* in the args snapshot */
		uint8_t load;   /* enum ffi_load */
		uint8_t check;  /* VMRPC_TT_BOOL, VMRPC_TT_ENUM, or 0 */
		uint32_t type;
	} fast_args[FFI_DIRECT_MAX > 0 ? FFI_DIRECT_MAX : 1];
	/* a direct call: how each C argument is widened (enum ffi_load) */
	uint8_t loads[FFI_DIRECT_MAX > 0 ? FFI_DIRECT_MAX : 1];
	uint32_t results_at;   /* the results' offset in the scratch */
	uint32_t scratch_size; /* the private memory a call takes */
	bool writes_back;      /* results or out strings after the call */
	bool has_arena;        /* strings or buffers to take from the arena */
	bool has_out_str;      /* out or inout strings to write back */
	uint32_t n_checks;     /* in and inout values to check: their indices */
	uint32_t *checks;
};

struct vmrpc_ffi {
	const struct vmrpc_types *types;
	struct vmrpc_iface iface;
	const char **method_names; /* n_ids */
	struct ffi_method *by_id;  /* n_ids */
	uint8_t *type_check;       /* n_types: values of this type need a look */
	bool direct;               /* direct calls allowed (VMRPC_FFI_DIRECT) */
};

static bool ffi_kind_is_int(uint32_t kind)
{
	return kind >= VMRPC_TT_INT8 && kind <= VMRPC_TT_UINT64;
}

/* The libffi type of an in value passed by value; NULL if it is not one. */
static ffi_type *ffi_scalar_type(uint32_t kind)
{
	switch (kind) {
	case VMRPC_TT_BOOL:
		return &ffi_type_uint8;
	case VMRPC_TT_INT8:
		return &ffi_type_sint8;
	case VMRPC_TT_INT16:
		return &ffi_type_sint16;
	case VMRPC_TT_INT32:
	case VMRPC_TT_ENUM:
		return &ffi_type_sint32;
	case VMRPC_TT_INT64:
		return &ffi_type_sint64;
	case VMRPC_TT_UINT8:
		return &ffi_type_uint8;
	case VMRPC_TT_UINT16:
		return &ffi_type_uint16;
	case VMRPC_TT_UINT32:
		return &ffi_type_uint32;
	case VMRPC_TT_UINT64:
		return &ffi_type_uint64;
	case VMRPC_TT_FLOAT:
		return &ffi_type_float;
	case VMRPC_TT_DOUBLE:
		return &ffi_type_double;
	default:
		return NULL;
	}
}

static ffi_type *ffi_size_t_type(void)
{
	return sizeof(size_t) == 8 ? &ffi_type_uint64 : &ffi_type_uint32;
}

/* ---- checking values the caller wrote --------------------------------- */

/* Are the bytes at p a valid value of type (bools 0 or 1, enum values
 * declared, strings terminated)? What P_T_valid() and vmrpc_wire_bool_ok()
 * check in a generated skeleton. */
static bool ffi_value_ok(const struct vmrpc_ffi *f, uint32_t type, const unsigned char *p)
{
	const struct vmrpc_types *t = f->types;
	const struct vmrpc_tt_type *ty = &t->types[type];

	switch (ty->kind) {
	case VMRPC_TT_BOOL:
		return vmrpc_wire_bool_ok(p);
	case VMRPC_TT_ENUM: {
		int32_t v;

		memcpy(&v, p, sizeof(v));
		for (uint32_t i = 0; i < ty->b; i++)
			if (t->enumerators[ty->a + i].value == v)
				return true;
		return false;
	}
	case VMRPC_TT_STRING:
		return memchr(p, '\0', ty->size) != NULL;
	case VMRPC_TT_STRUCT:
		for (uint32_t i = 0; i < ty->b; i++) {
			const struct vmrpc_tt_member *m = &t->members[ty->a + i];

			if (f->type_check[m->type] && !ffi_value_ok(f, m->type, p + m->offset))
				return false;
		}
		return true;
	case VMRPC_TT_ARRAY: {
		uint32_t step = t->types[ty->a].size;

		if (!f->type_check[ty->a])
			return true;
		for (uint32_t i = 0; i < ty->b; i++)
			if (!ffi_value_ok(f, ty->a, p + (size_t)i * step))
				return false;
		return true;
	}
	default:
		return true;
	}
}

/* ---- serving a call ------------------------------------------------------ */

/* A buffer's size: its SIZE parameter's value, as the generated skeleton
 * converts it (a signed one through int64_t, so -1 is far outside any
 * arena). */
static uint64_t ffi_buf_size(const struct ffi_param *fp, const unsigned char *args)
{
	union {
		int8_t i8;
		int16_t i16;
		int32_t i32;
		int64_t i64;
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;
		uint64_t u64;
	} v;

	switch (fp->size_kind) {
	case VMRPC_TT_INT8:
		memcpy(&v.i8, args + fp->size_off, 1);
		return (uint64_t)(int64_t)v.i8;
	case VMRPC_TT_INT16:
		memcpy(&v.i16, args + fp->size_off, 2);
		return (uint64_t)(int64_t)v.i16;
	case VMRPC_TT_INT32:
		memcpy(&v.i32, args + fp->size_off, 4);
		return (uint64_t)(int64_t)v.i32;
	case VMRPC_TT_INT64:
		memcpy(&v.i64, args + fp->size_off, 8);
		return (uint64_t)v.i64;
	case VMRPC_TT_UINT8:
		memcpy(&v.u8, args + fp->size_off, 1);
		return v.u8;
	case VMRPC_TT_UINT16:
		memcpy(&v.u16, args + fp->size_off, 2);
		return v.u16;
	case VMRPC_TT_UINT32:
		memcpy(&v.u32, args + fp->size_off, 4);
		return v.u32;
	default:
		memcpy(&v.u64, args + fp->size_off, 8);
		return v.u64;
	}
}

/* The C argument at p widened to its register. */
static inline uint64_t ffi_widen(const void *p, uint8_t load)
{
	switch (load) {
	case FFI_LOAD_I8:
		return (uint64_t)(int64_t) * (const int8_t *)p;
	case FFI_LOAD_U8:
		return *(const uint8_t *)p;
	case FFI_LOAD_I16:
		return (uint64_t)(int64_t) * (const int16_t *)p;
	case FFI_LOAD_U16:
		return *(const uint16_t *)p;
	case FFI_LOAD_I32:
		return (uint64_t)(int64_t) * (const int32_t *)p;
	case FFI_LOAD_U32:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

/* The method's status from what its function returned in the first result
 * register (or through ffi_call()'s ffi_arg). */
static inline int64_t ffi_result_of(uint32_t ret_kind, int64_t raw)
{
	switch (ret_kind) {
	case VMRPC_TT_INT32:
		return (int32_t)raw; /* the upper half is not the function's */
	case VMRPC_TT_INT64:
		return raw;
	default:
		return 0;
	}
}

/* Call fm->fn with the C arguments avalues points to, as registers. */
static int64_t ffi_call_direct(const struct ffi_method *fm, void **avalues)
{
	uint64_t r[6] = { 0 };

	for (uint32_t i = 0; i < fm->n_cargs; i++)
		r[i] = ffi_widen(avalues[i], fm->loads[i]);
	/* The calling convention above, not C's rules, makes this call exact. */
	return ((ffi_direct_fn)fm->fn)(r[0], r[1], r[2], r[3], r[4], r[5]);
}

static bool ffi_value_ok(const struct vmrpc_ffi *f, uint32_t type, const unsigned char *p);

/* A method whose parameters are all in scalars, called directly: each
 * checked (bools and enums, as the skeleton does before anything else; no
 * other step follows) and widened straight from the snapshot; no scratch,
 * nothing written back. About the work the generated skeleton does. */
static int64_t ffi_call_fast(const struct vmrpc_ffi *f, const struct ffi_method *fm,
			     const unsigned char *args)
{
	uint64_t r[6] = { 0 };

	for (uint32_t i = 0; i < fm->n_cargs; i++) {
		const unsigned char *p = args + fm->fast_args[i].off;

		if (fm->fast_args[i].check == VMRPC_TT_BOOL && !vmrpc_wire_bool_ok(p))
			return -EINVAL;
		if (fm->fast_args[i].check == VMRPC_TT_ENUM &&
		    !ffi_value_ok(f, fm->fast_args[i].type, p))
			return -EINVAL;
		r[i] = ffi_widen(p, fm->fast_args[i].load);
	}
	return ffi_result_of(fm->tm->ret,
			     ((ffi_direct_fn)fm->fn)(r[0], r[1], r[2], r[3], r[4], r[5]));
}

/* One C argument's storage in the scratch: a pointer or a size. */
union ffi_slot {
	void *p;
	const void *cp;
	size_t z;
};

static int64_t ffi_serve(const struct ffi_method *fm, struct vmrpc_incall *call,
			 unsigned char *scratch)
{
	const struct vmrpc_tt_method *tm = fm->tm;
	const unsigned char *args = call->args;
	void **avalues = (void **)(void *)scratch;
	union ffi_slot *slots = (union ffi_slot *)(void *)(scratch + fm->n_cargs * sizeof(void *));
	unsigned char *res = scratch + fm->results_at;
	union {
		ffi_sarg s;
		int64_t i64;
	} rv;
	uint32_t c = 0;
	int64_t ret;
	int err;

	/* Strings and buffers from the arena, in the order of the parameters. */
	for (uint32_t i = 0; fm->has_arena && i < tm->n_params; i++) {
		const struct ffi_param *fp = &fm->params[i];
		char *str = (char *)scratch + fp->str_off;
		const struct vmrpc_wire_str *wire =
			(const struct vmrpc_wire_str *)(const void *)(args + fp->args_off);
		uint64_t off;

		switch (fp->pass) {
		case FFI_PASS_STR_IN:
			err = vmrpc_incall_get_str(call, wire, fp->str_max, str);
			if (err < 0)
				return err;
			break;
		case FFI_PASS_STR_OUT:
			if (fp->copy_in) {
				err = vmrpc_incall_get_str(call, wire, fp->str_max, str);
				if (err < 0)
					return err;
			} else {
				str[0] = '\0';
			}
			/* Check the slot now: a bad one must not cost a run. */
			err = vmrpc_incall_out_buf(call, wire->off, (uint64_t)fp->str_max + 1,
						   NULL);
			if (err < 0)
				return err;
			break;
		case FFI_PASS_BUF_IN:
			memcpy(&off, args + fp->args_off, sizeof(off));
			err = vmrpc_incall_in_buf(call, off, ffi_buf_size(fp, args), &slots[c].cp);
			if (err < 0)
				return err;
			break;
		case FFI_PASS_BUF_OUT:
			memcpy(&off, args + fp->args_off, sizeof(off));
			err = vmrpc_incall_out_buf(call, off, ffi_buf_size(fp, args), &slots[c].p);
			if (err < 0)
				return err;
			break;
		default:
			break;
		}
		c += fp->pass == FFI_PASS_STR_OUT ? 2 : 1;
	}
	if (tm->results_size)
		memset(res, 0, tm->results_size);
	c = 0;
	for (uint32_t i = 0; i < tm->n_params; i++) {
		const struct ffi_param *fp = &fm->params[i];

		switch (fp->pass) {
		case FFI_PASS_VALUE:
			/* The snapshot is private and aligned: libffi reads it. */
			avalues[c++] = (void *)(uintptr_t)(args + fp->args_off);
			break;
		case FFI_PASS_ARGS:
			slots[c].cp = args + fp->args_off;
			avalues[c] = &slots[c];
			c++;
			break;
		case FFI_PASS_RESULTS:
			if (fp->copy_in)
				memcpy(res + fp->results_off, args + fp->args_off, fp->size);
			slots[c].p = res + fp->results_off;
			avalues[c] = &slots[c];
			c++;
			break;
		case FFI_PASS_STR_IN:
			slots[c].p = scratch + fp->str_off;
			avalues[c] = &slots[c];
			c++;
			break;
		case FFI_PASS_STR_OUT:
			slots[c].p = scratch + fp->str_off;
			avalues[c] = &slots[c];
			c++;
			slots[c].z = (size_t)fp->str_max + 1;
			avalues[c] = &slots[c];
			c++;
			break;
		default: /* buffers: their slot was filled above */
			avalues[c] = &slots[c];
			c++;
			break;
		}
	}

	rv.i64 = 0;
	if (fm->direct)
		rv.i64 = ffi_call_direct(fm, avalues);
	else
		ffi_call((ffi_cif *)&fm->cif, fm->fn, &rv, avalues);
	/* libffi widens a small result to ffi_arg; ffi_result_of() takes the
	 * int32 back out of it either way. */
	ret = ffi_result_of(tm->ret, rv.i64);
	if (!fm->writes_back || ret < 0)
		return ret;

	/* After the method succeeded: out strings into their slots, out values
	 * into the results block. */
	for (uint32_t i = 0; fm->has_out_str && i < tm->n_params; i++) {
		const struct ffi_param *fp = &fm->params[i];
		const struct vmrpc_wire_str *wire;
		char *str;

		if (fp->pass != FFI_PASS_STR_OUT)
			continue;
		wire = (const struct vmrpc_wire_str *)(const void *)(args + fp->args_off);
		str = (char *)scratch + fp->str_off;
		/* The function may have filled the buffer without a NUL. */
		str[fp->str_max] = '\0';
		err = vmrpc_incall_put_str(call, wire->off, fp->str_max + 1, str);
		if (err < 0)
			return err;
	}
	if (tm->results_size) {
		memcpy(call->results, res, tm->results_size);
		call->res_len = tm->results_size;
	}
	return ret;
}

/* Everything but the fast path: the checks, then the call with its
 * private memory. Apart, so that the fast path's frame stays small. */
static __attribute__((noinline)) int64_t ffi_dispatch_full(const struct vmrpc_ffi *f,
							   const struct ffi_method *fm,
							   struct vmrpc_incall *call)
{
	const unsigned char *args = call->args;
	alignas(16) unsigned char stack[FFI_STACK_SCRATCH];
	unsigned char *scratch = stack;
	int64_t ret;

	/* The values the caller wrote into the args block: bools, enums,
	 * strings in structs. Checked before anything else happens. */
	for (uint32_t i = 0; i < fm->n_checks; i++) {
		const struct ffi_param *fp = &fm->params[fm->checks[i]];

		if (!ffi_value_ok(f, fp->type, args + fp->args_off))
			return -EINVAL;
	}
	if (fm->scratch_size > sizeof(stack)) {
		scratch = malloc(fm->scratch_size);
		if (!scratch)
			return -ENOMEM;
	}
	ret = ffi_serve(fm, call, scratch);
	if (scratch != stack)
		free(scratch);
	return ret;
}

static int64_t ffi_dispatch(const void *ops, void *ctx, struct vmrpc_incall *call)
{
	const struct vmrpc_ffi *f = ops;
	const struct ffi_method *fm;

	(void)ctx;
	if (call->method >= f->iface.n_methods || !f->by_id[call->method].tm)
		return -EPROTO;
	fm = &f->by_id[call->method];
	if (call->args_len != fm->args_size)
		return -EPROTO;
	if (!fm->fn)
		return -ENOSYS;
	if (fm->fast)
		return ffi_call_fast(f, fm, call->args);
	return ffi_dispatch_full(f, fm, call);
}

/* ---- building the service -------------------------------------------------- */

static uint32_t ffi_align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Does [off, off + size) fit in limit bytes, aligned to align? */
static bool ffi_field_ok(uint32_t off, uint32_t size, uint32_t align, uint32_t limit)
{
	return off != VMRPC_TT_NONE && off % align == 0 && size <= limit && off <= limit - size;
}

/* Which types need a look at their values, and how deep they nest. The
 * table lists every type after the types it holds (vmrpc/typetab.h). */
static int ffi_types_prepare(struct vmrpc_ffi *f)
{
	const struct vmrpc_types *t = f->types;
	uint32_t n = t->hdr->n_types;
	uint16_t *depth;

	f->type_check = calloc(n ? n : 1, 1);
	depth = calloc(n ? n : 1, sizeof(*depth));
	if (!f->type_check || !depth) {
		free(depth);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct vmrpc_tt_type *ty = &t->types[i];
		uint32_t d = 0;

		switch (ty->kind) {
		case VMRPC_TT_BOOL:
		case VMRPC_TT_ENUM:
		case VMRPC_TT_STRING:
			f->type_check[i] = 1;
			break;
		case VMRPC_TT_STRUCT:
			for (uint32_t j = 0; j < ty->b; j++) {
				const struct vmrpc_tt_member *m = &t->members[ty->a + j];

				if (m->type >= i || m->offset > ty->size ||
				    t->types[m->type].size > ty->size - m->offset)
					goto bad;
				f->type_check[i] |= f->type_check[m->type];
				if (depth[m->type] > d)
					d = depth[m->type];
			}
			break;
		case VMRPC_TT_ARRAY:
			if (ty->a >= i || (uint64_t)t->types[ty->a].size * ty->b > ty->size)
				goto bad;
			f->type_check[i] = f->type_check[ty->a];
			d = depth[ty->a];
			break;
		default:
			break;
		}
		if (d + 1 > FFI_MAX_DEPTH)
			goto bad;
		depth[i] = (uint16_t)(d + 1);
	}
	free(depth);
	return 0;
bad:
	free(depth);
	return -EINVAL;
}

/* Plan one method: where each parameter lives, its C arguments, the
 * scratch a call takes; and prepare its cif. */
static int ffi_method_prepare(struct vmrpc_ffi *f, uint32_t index, void (*fn)(void))
{
	const struct vmrpc_types *t = f->types;
	const struct vmrpc_tt_method *tm = &t->methods[index];
	struct ffi_method *fm = &f->by_id[tm->id];
	uint32_t n_cargs = 0, strings = 0, c = 0;
	ffi_type *rtype;

	if (tm->id >= t->hdr->n_ids || fm->tm)
		return -EINVAL;
	fm->tm = tm;
	fm->fn = fn;
	fm->args_size = tm->args_size;
	switch (tm->ret) {
	case VMRPC_TT_VOID:
		rtype = &ffi_type_void;
		break;
	case VMRPC_TT_INT32:
		rtype = &ffi_type_sint32;
		break;
	case VMRPC_TT_INT64:
		rtype = &ffi_type_sint64;
		break;
	default:
		return -EINVAL;
	}
	if (tm->args_size > VMRPC_ARGS_SIZE || tm->results_size > VMRPC_RESULTS_SIZE)
		return -EINVAL;
	fm->params = calloc(tm->n_params ? tm->n_params : 1, sizeof(*fm->params));
	fm->checks = calloc(tm->n_params ? tm->n_params : 1, sizeof(*fm->checks));
	if (!fm->params || !fm->checks)
		return -ENOMEM;

	/* Where each parameter is, and how it is passed. */
	for (uint32_t i = 0; i < tm->n_params; i++) {
		const struct vmrpc_tt_param *p = &t->params[tm->first_param + i];
		const struct vmrpc_tt_type *ty = &t->types[p->type];
		struct ffi_param *fp = &fm->params[i];
		bool in = p->dir == VMRPC_TT_IN;

		if (p->dir > VMRPC_TT_INOUT)
			return -EINVAL;
		fp->type = p->type;
		fp->args_off = p->args_off;
		fp->results_off = p->results_off;
		fp->size = ty->size;
		fp->copy_in = p->dir == VMRPC_TT_INOUT;
		n_cargs++;
		switch (ty->kind) {
		case VMRPC_TT_STRING:
			if (!ffi_field_ok(p->args_off, sizeof(struct vmrpc_wire_str), 8,
					  tm->args_size) || ty->a == 0 || ty->a > 65535)
				return -EINVAL;
			fp->pass = in ? FFI_PASS_STR_IN : FFI_PASS_STR_OUT;
			fp->str_max = ty->a;
			fp->str_off = strings; /* relative until the layout below */
			strings = ffi_align_up(strings + ty->a + 1, 16);
			if (!in)
				n_cargs++;
			break;
		case VMRPC_TT_BUFFER: {
			const struct vmrpc_tt_param *sp;

			if (!ffi_field_ok(p->args_off, 8, 8, tm->args_size) ||
			    ty->a >= tm->n_params)
				return -EINVAL;
			sp = &t->params[tm->first_param + ty->a];
			if (sp->dir != VMRPC_TT_IN || !ffi_kind_is_int(t->types[sp->type].kind) ||
			    !ffi_field_ok(sp->args_off, t->types[sp->type].size,
					  t->types[sp->type].align, tm->args_size))
				return -EINVAL;
			fp->pass = in ? FFI_PASS_BUF_IN : FFI_PASS_BUF_OUT;
			fp->size_kind = (uint8_t)t->types[sp->type].kind;
			fp->size_off = sp->args_off;
			break;
		}
		case VMRPC_TT_STRUCT:
		case VMRPC_TT_ARRAY:
		default:
			if (ty->kind != VMRPC_TT_STRUCT && ty->kind != VMRPC_TT_ARRAY &&
			    !ffi_scalar_type(ty->kind))
				return -EINVAL;
			if (ty->align == 0 || ty->align > 16 || (ty->align & (ty->align - 1)))
				return -EINVAL;
			if (p->dir != VMRPC_TT_OUT) {
				if (!ffi_field_ok(p->args_off, ty->size, ty->align, tm->args_size))
					return -EINVAL;
				fp->check = f->type_check[p->type];
			}
			if (p->dir != VMRPC_TT_IN) {
				if (!ffi_field_ok(p->results_off, ty->size, ty->align,
						  tm->results_size))
					return -EINVAL;
				fp->pass = FFI_PASS_RESULTS;
			} else {
				fp->pass = ffi_scalar_type(ty->kind) ? FFI_PASS_VALUE
								     : FFI_PASS_ARGS;
			}
			break;
		}
		if (fp->pass == FFI_PASS_STR_OUT || fp->pass == FFI_PASS_RESULTS)
			fm->writes_back = true;
		if (fp->pass >= FFI_PASS_STR_IN)
			fm->has_arena = true;
		if (fp->pass == FFI_PASS_STR_OUT)
			fm->has_out_str = true;
		if (fp->check)
			fm->checks[fm->n_checks++] = i;
	}
	fm->writes_back = fm->writes_back || tm->results_size;

	/* Scratch: argument pointers, their storage, the results, the strings. */
	fm->n_cargs = n_cargs;
	fm->results_at = ffi_align_up(n_cargs * (uint32_t)(sizeof(void *) + sizeof(union ffi_slot)),
				      16);
	fm->scratch_size = ffi_align_up(fm->results_at + tm->results_size, 16);
	for (uint32_t i = 0; i < tm->n_params; i++)
		if (fm->params[i].pass == FFI_PASS_STR_IN || fm->params[i].pass == FFI_PASS_STR_OUT)
			fm->params[i].str_off += fm->scratch_size;
	fm->scratch_size += strings;
	if (fm->scratch_size == 0)
		fm->scratch_size = 16;

	/* The C signature of a generated ops entry, without its ctx. */
	fm->atypes = calloc(n_cargs ? n_cargs : 1, sizeof(*fm->atypes));
	if (!fm->atypes)
		return -ENOMEM;
	for (uint32_t i = 0; i < tm->n_params; i++) {
		const struct ffi_param *fp = &fm->params[i];

		if (fp->pass == FFI_PASS_VALUE) {
			fm->atypes[c++] = ffi_scalar_type(t->types[fp->type].kind);
		} else {
			fm->atypes[c++] = &ffi_type_pointer;
			if (fp->pass == FFI_PASS_STR_OUT)
				fm->atypes[c++] = ffi_size_t_type();
		}
	}
	if (ffi_prep_cif(&fm->cif, FFI_DEFAULT_ABI, n_cargs, rtype, fm->atypes) != FFI_OK)
		return -EINVAL;
	fm->direct = f->direct && n_cargs <= FFI_DIRECT_MAX;
	for (uint32_t i = 0; fm->direct && i < n_cargs; i++) {
		const ffi_type *at = fm->atypes[i];

		if (at == &ffi_type_sint8)
			fm->loads[i] = FFI_LOAD_I8;
		else if (at == &ffi_type_uint8)
			fm->loads[i] = FFI_LOAD_U8;
		else if (at == &ffi_type_sint16)
			fm->loads[i] = FFI_LOAD_I16;
		else if (at == &ffi_type_uint16)
			fm->loads[i] = FFI_LOAD_U16;
		else if (at == &ffi_type_sint32)
			fm->loads[i] = FFI_LOAD_I32;
		else if (at == &ffi_type_uint32)
			fm->loads[i] = FFI_LOAD_U32;
		else if (at == &ffi_type_sint64 || at == &ffi_type_uint64 ||
			 at == &ffi_type_pointer)
			fm->loads[i] = FFI_LOAD_U64;
		else
			fm->direct = false; /* float, double: ffi_call() */
	}
	fm->fast = fm->direct && tm->results_size == 0 && tm->args_size <= UINT16_MAX;
	for (uint32_t i = 0; fm->fast && i < tm->n_params; i++) {
		const struct ffi_param *fp = &fm->params[i];
		uint32_t kind = t->types[fp->type].kind;

		fm->fast = fp->pass == FFI_PASS_VALUE;
		fm->fast_args[i].off = (uint16_t)fp->args_off;
		fm->fast_args[i].load = fm->loads[i];
		fm->fast_args[i].check =
			kind == VMRPC_TT_BOOL || kind == VMRPC_TT_ENUM ? (uint8_t)kind : 0;
		fm->fast_args[i].type = fp->type;
	}
	return 0;
}

VMRPC_API int vmrpc_ffi_service(const struct vmrpc_types *types, void (*const *fns)(void),
				struct vmrpc_ffi **ret_ffi, struct vmrpc_service *ret_svc)
{
	const struct vmrpc_tt_hdr *h = types->hdr;
	struct vmrpc_ffi *f;
	const char *env;
	int err;

	if (h->n_ids == 0 || h->n_ids > 65536)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->types = types;
	env = getenv("VMRPC_FFI_DIRECT");
	f->direct = FFI_DIRECT_MAX > 0 && !(env && !strcmp(env, "0"));
	f->method_names = calloc(h->n_ids, sizeof(*f->method_names));
	f->by_id = calloc(h->n_ids, sizeof(*f->by_id));
	if (!f->method_names || !f->by_id) {
		err = -ENOMEM;
		goto fail;
	}
	err = ffi_types_prepare(f);
	if (err < 0)
		goto fail;
	for (uint32_t i = 0; i < h->n_methods; i++) {
		err = ffi_method_prepare(f, i, fns[i]);
		if (err < 0)
			goto fail;
		f->method_names[types->methods[i].id] =
			vmrpc_types_str(types, types->methods[i].name);
	}
	f->iface = (struct vmrpc_iface){
		.name = vmrpc_types_str(types, h->name),
		.version = h->iface_version,
		.n_methods = h->n_ids,
		.sig_hash = h->sig_hash,
		.method_names = f->method_names,
		.type_table = h,
		.type_table_len = h->size,
	};
	*ret_svc = (struct vmrpc_service){
		.iface = &f->iface,
		.dispatch = ffi_dispatch,
		.ops = f,
		.ctx = NULL,
	};
	*ret_ffi = f;
	return 0;
fail:
	vmrpc_ffi_free(f);
	return err;
}

VMRPC_API void vmrpc_ffi_free(struct vmrpc_ffi *ffi)
{
	if (!ffi)
		return;
	if (ffi->by_id) {
		for (uint32_t i = 0; i < ffi->types->hdr->n_ids; i++) {
			free(ffi->by_id[i].params);
			free(ffi->by_id[i].checks);
			free(ffi->by_id[i].atypes);
		}
	}
	free(ffi->by_id);
	free(ffi->method_names);
	free(ffi->type_check);
	free(ffi);
}
