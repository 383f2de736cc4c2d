/* SPDX-License-Identifier: MIT */
/*
 * Dynamic calls: a generated caller stub's work, driven by a type table.
 * Values are checked and laid out into a private args block first (so a
 * bad value sends nothing), strings and buffers go into the arena as the
 * stubs put them, and the reply is checked as hard as a stub checks it
 * before any out value is made.
 */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "vmrpc/dynamic.h"
#include "vmrpc/stub.h"

#define DYN_ERR_MAX 256
#define DYN_PATH_MAX 160
#define DYN_STACK_PARAMS 16

struct vmrpc_dyn {
	struct vmrpc_binding binding;
	struct vmrpc_types *types;
	char err[DYN_ERR_MAX];
};

struct dyn_param {
	uint64_t bits; /* an integer's value, sign-extended (a buffer's SIZE) */
	uint64_t slot; /* a string's or buffer's arena slot */
	uint32_t room; /* its bytes */
	bool given;    /* an in value was given, or taken from its buffer */
};

/* One call's state while values are checked and laid out. */
struct dyn_call {
	struct vmrpc_dyn *d;
	const struct vmrpc_tt_method *m;
	struct vmrpc_outcall oc;
	uint8_t args[VMRPC_ARGS_SIZE];
	struct dyn_param *ps; /* per parameter */
	char path[DYN_PATH_MAX]; /* where in the value we are, for errors */
};

__attribute__((format(printf, 2, 3))) static int dyn_fail(struct dyn_call *c, const char *fmt,
							  ...)
{
	size_t n = (size_t)snprintf(c->d->err, sizeof(c->d->err), "%s: ", c->path);
	va_list ap;

	if (n < sizeof(c->d->err)) {
		va_start(ap, fmt);
		vsnprintf(c->d->err + n, sizeof(c->d->err) - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* Extend or cut the error path: returns the old length to restore. */
__attribute__((format(printf, 2, 3))) static size_t dyn_path_push(struct dyn_call *c,
								  const char *fmt, ...)
{
	size_t n = strlen(c->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->path + n, sizeof(c->path) - n, fmt, ap);
	va_end(ap);
	return n;
}

static const char *const dyn_kind_names[] = {
	[VMRPC_TT_BOOL] = "bool",     [VMRPC_TT_INT8] = "int8",     [VMRPC_TT_INT16] = "int16",
	[VMRPC_TT_INT32] = "int32",   [VMRPC_TT_INT64] = "int64",   [VMRPC_TT_UINT8] = "uint8",
	[VMRPC_TT_UINT16] = "uint16", [VMRPC_TT_UINT32] = "uint32", [VMRPC_TT_UINT64] = "uint64",
	[VMRPC_TT_FLOAT] = "float",   [VMRPC_TT_DOUBLE] = "double", [VMRPC_TT_STRING] = "string",
	[VMRPC_TT_BUFFER] = "buffer", [VMRPC_TT_ENUM] = "enum",     [VMRPC_TT_STRUCT] = "struct",
	[VMRPC_TT_ARRAY] = "array",
};

static const char *dyn_kind_name(uint32_t kind)
{
	return kind < sizeof(dyn_kind_names) / sizeof(dyn_kind_names[0]) && dyn_kind_names[kind]
		       ? dyn_kind_names[kind]
		       : "?";
}

static bool dyn_is_integer(uint32_t kind)
{
	return kind >= VMRPC_TT_INT8 && kind <= VMRPC_TT_UINT64;
}

/* An array of these travels as BYTES. */
static bool dyn_is_byte(uint32_t kind)
{
	return kind == VMRPC_TT_UINT8 || kind == VMRPC_TT_INT8;
}

static bool dyn_is_signed(uint32_t kind)
{
	return kind >= VMRPC_TT_INT8 && kind <= VMRPC_TT_INT64;
}

/* ---- integers ------------------------------------------------------------ */

/* v as an integer of kind (its two's complement bits), if it fits. */
static int dyn_int_bits(struct dyn_call *c, uint32_t kind, const struct vmrpc_value *v,
			uint64_t *ret_bits)
{
	static const uint8_t bits[] = {
		[VMRPC_TT_INT8] = 8,   [VMRPC_TT_INT16] = 16,  [VMRPC_TT_INT32] = 32,
		[VMRPC_TT_INT64] = 64, [VMRPC_TT_UINT8] = 8,   [VMRPC_TT_UINT16] = 16,
		[VMRPC_TT_UINT32] = 32, [VMRPC_TT_UINT64] = 64,
	};
	unsigned w = bits[kind];

	if (v->kind != VMRPC_VAL_INT && v->kind != VMRPC_VAL_UINT)
		return dyn_fail(c, "%s expects an integer", dyn_kind_name(kind));
	if (dyn_is_signed(kind)) {
		int64_t lo = w == 64 ? INT64_MIN : -((int64_t)1 << (w - 1));
		int64_t hi = w == 64 ? INT64_MAX : ((int64_t)1 << (w - 1)) - 1;

		if (v->kind == VMRPC_VAL_UINT ? v->u > (uint64_t)hi : v->i < lo || v->i > hi)
			goto range;
		*ret_bits = v->kind == VMRPC_VAL_UINT ? v->u : (uint64_t)v->i;
		return 0;
	}
	if (v->kind == VMRPC_VAL_INT && v->i < 0)
		goto range;
	*ret_bits = v->kind == VMRPC_VAL_INT ? (uint64_t)v->i : v->u;
	if (w < 64 && *ret_bits >> w)
		goto range;
	return 0;
range:
	if (v->kind == VMRPC_VAL_INT)
		return dyn_fail(c, "%lld is out of range for %s", (long long)v->i,
				dyn_kind_name(kind));
	return dyn_fail(c, "%llu is out of range for %s", (unsigned long long)v->u,
			dyn_kind_name(kind));
}

static void dyn_put_bits(uint8_t *dst, uint64_t bits, uint32_t size)
{
	/* Little-endian, like the layout: the low size bytes. */
	for (uint32_t i = 0; i < size; i++)
		dst[i] = (uint8_t)(bits >> (8 * i));
}

static uint64_t dyn_get_bits(const uint8_t *src, uint32_t size, bool sign)
{
	uint64_t bits = 0;

	for (uint32_t i = 0; i < size; i++)
		bits |= (uint64_t)src[i] << (8 * i);
	if (sign && size < 8 && (bits >> (8 * size - 1)) & 1)
		bits |= ~(uint64_t)0 << (8 * size);
	return bits;
}

static bool dyn_enum_has(const struct vmrpc_types *t, const struct vmrpc_tt_type *ty,
			 int64_t value)
{
	for (uint32_t k = ty->a; k < ty->a + ty->b; k++)
		if (t->enumerators[k].value == value)
			return true;
	return false;
}

/* ---- values into bytes ------------------------------------------------------ */

/* An inline value of type ti at dst (size bytes, zeroed). */
static int dyn_put_inline(struct dyn_call *c, uint32_t ti, const struct vmrpc_value *v,
			  uint8_t *dst)
{
	const struct vmrpc_types *t = c->d->types;
	const struct vmrpc_tt_type *ty = &t->types[ti];
	uint64_t bits = 0; /* set before use; gcc -O2 cannot tell */
	int err;

	switch (ty->kind) {
	case VMRPC_TT_BOOL:
		if (v->kind != VMRPC_VAL_BOOL)
			return dyn_fail(c, "bool expects true or false");
		dst[0] = v->b ? 1 : 0;
		return 0;
	case VMRPC_TT_FLOAT:
	case VMRPC_TT_DOUBLE: {
		double d = v->kind == VMRPC_VAL_DOUBLE ? v->d
			   : v->kind == VMRPC_VAL_FLOAT ? (double)v->f
			   : v->kind == VMRPC_VAL_INT  ? (double)v->i
			   : v->kind == VMRPC_VAL_UINT ? (double)v->u
						       : NAN;

		if (v->kind != VMRPC_VAL_DOUBLE && v->kind != VMRPC_VAL_FLOAT &&
		    v->kind != VMRPC_VAL_INT && v->kind != VMRPC_VAL_UINT)
			return dyn_fail(c, "%s expects a number", dyn_kind_name(ty->kind));
		if (ty->kind == VMRPC_TT_DOUBLE) {
			memcpy(dst, &d, 8);
		} else if (v->kind == VMRPC_VAL_FLOAT) {
			memcpy(dst, &v->f, 4); /* every bit, a signaling NaN's too */
		} else {
			float f = (float)d;

			if (isfinite(d) && (d > FLT_MAX || d < -FLT_MAX))
				return dyn_fail(c, "%g is out of range for float", d);
			memcpy(dst, &f, 4);
		}
		return 0;
	}
	case VMRPC_TT_ENUM: {
		int64_t e = v->kind == VMRPC_VAL_INT ? v->i : v->u > INT32_MAX ? INT64_MAX : (int64_t)v->u;

		if (v->kind != VMRPC_VAL_INT && v->kind != VMRPC_VAL_UINT)
			return dyn_fail(c, "enum %s expects one of its values",
					vmrpc_types_str(t, ty->name));
		if (e < INT32_MIN || e > INT32_MAX || !dyn_enum_has(t, ty, e))
			return dyn_fail(c, "enum %s has no such value", vmrpc_types_str(t, ty->name));
		dyn_put_bits(dst, (uint64_t)e, 4);
		return 0;
	}
	case VMRPC_TT_STRING:
		if (v->kind != VMRPC_VAL_STRING)
			return dyn_fail(c, "string expects a string");
		if (v->n > ty->a)
			return dyn_fail(c, "%u bytes is longer than string<%u>", v->n, ty->a);
		if (memchr(v->s, '\0', v->n))
			return dyn_fail(c, "the string holds a NUL byte");
		memcpy(dst, v->s, v->n);
		return 0;
	case VMRPC_TT_STRUCT:
		if (v->kind != VMRPC_VAL_LIST || v->n != ty->b)
			return dyn_fail(c, "struct %s expects a list of its %u members",
					vmrpc_types_str(t, ty->name), ty->b);
		for (uint32_t k = 0; k < ty->b; k++) {
			const struct vmrpc_tt_member *mb = &t->members[ty->a + k];
			size_t mark = dyn_path_push(c, ".%s", vmrpc_types_str(t, mb->name));

			err = dyn_put_inline(c, mb->type, &v->items[k], dst + mb->offset);
			c->path[mark] = '\0';
			if (err < 0)
				return err;
		}
		return 0;
	case VMRPC_TT_ARRAY: {
		const struct vmrpc_tt_type *et = &t->types[ty->a];

		if (v->kind == VMRPC_VAL_BYTES && dyn_is_byte(et->kind)) {
			if (v->n != ty->b)
				return dyn_fail(c, "%u bytes for an array of %u", v->n, ty->b);
			memcpy(dst, v->p, v->n);
			return 0;
		}
		if (v->kind != VMRPC_VAL_LIST || v->n != ty->b)
			return dyn_fail(c, "an array of %u expects a list of %u", ty->b, ty->b);
		for (uint32_t k = 0; k < ty->b; k++) {
			size_t mark = dyn_path_push(c, "[%u]", k);

			err = dyn_put_inline(c, ty->a, &v->items[k], dst + (size_t)k * et->size);
			c->path[mark] = '\0';
			if (err < 0)
				return err;
		}
		return 0;
	}
	default:
		if (!dyn_is_integer(ty->kind))
			return dyn_fail(c, "%s cannot be inline", dyn_kind_name(ty->kind));
		err = dyn_int_bits(c, ty->kind, v, &bits);
		if (err < 0)
			return err;
		dyn_put_bits(dst, bits, ty->size);
		return 0;
	}
}

/* A buffer's SIZE, from its parameter or, for an in or inout buffer whose
 * SIZE was left NONE, from the buffer: then written into args too. */
static int dyn_buffer_size(struct dyn_call *c, const struct vmrpc_tt_param *pa,
			   const struct vmrpc_value *args, uint64_t *ret_size)
{
	const struct vmrpc_types *t = c->d->types;
	const struct vmrpc_tt_type *ty = &t->types[pa->type];
	uint32_t si = ty->a;
	const struct vmrpc_tt_param *sp = &t->params[c->m->first_param + si];
	const struct vmrpc_tt_type *st = &t->types[sp->type];
	const struct vmrpc_value *bv = &args[pa - &t->params[c->m->first_param]];

	if (!c->ps[si].given) {
		struct vmrpc_value n = VMRPC_VAL_U64(bv->n);
		size_t mark;
		int err;

		if (pa->dir == VMRPC_TT_OUT)
			return dyn_fail(c, "an out buffer needs its size '%s'",
					vmrpc_types_str(t, sp->name));
		mark = dyn_path_push(c, " (its size '%s')", vmrpc_types_str(t, sp->name));
		err = dyn_put_inline(c, sp->type, &n, c->args + sp->args_off);
		c->path[mark] = '\0';
		if (err < 0)
			return err;
		c->ps[si].bits = bv->n;
		c->ps[si].given = true;
	} else if (dyn_is_signed(st->kind) && (int64_t)c->ps[si].bits < 0) {
		return dyn_fail(c, "its size '%s' is negative", vmrpc_types_str(t, sp->name));
	}
	*ret_size = c->ps[si].bits;
	if (pa->dir != VMRPC_TT_OUT && bv->n != *ret_size)
		return dyn_fail(c, "%u bytes, but its size '%s' is %llu", bv->n,
				vmrpc_types_str(t, sp->name), (unsigned long long)*ret_size);
	return 0;
}

/* A string or buffer parameter: its arena slot, filled for in and inout. */
static int dyn_put_arena(struct dyn_call *c, uint32_t p, const struct vmrpc_value *args)
{
	const struct vmrpc_types *t = c->d->types;
	const struct vmrpc_tt_param *pa = &t->params[c->m->first_param + p];
	const struct vmrpc_tt_type *ty = &t->types[pa->type];
	const struct vmrpc_value *v = &args[p];
	uint8_t *field = c->args + pa->args_off;
	uint64_t off, size = 0; /* set before use; gcc -O2 cannot tell */
	void *slot;
	int err;

	if (pa->dir != VMRPC_TT_OUT &&
	    v->kind != (ty->kind == VMRPC_TT_STRING ? VMRPC_VAL_STRING : VMRPC_VAL_BYTES))
		return dyn_fail(c, "%s expects %s", dyn_kind_name(ty->kind),
				ty->kind == VMRPC_TT_STRING ? "a string" : "bytes");
	if (ty->kind == VMRPC_TT_STRING) {
		struct vmrpc_wire_str w = { 0 };
		uint32_t room = pa->dir == VMRPC_TT_IN ? v->n + 1 : ty->a + 1;

		if (pa->dir != VMRPC_TT_OUT) {
			if (v->n > ty->a)
				return dyn_fail(c, "%u bytes is longer than string<%u>", v->n, ty->a);
			if (memchr(v->s, '\0', v->n))
				return dyn_fail(c, "the string holds a NUL byte");
		}
		err = vmrpc_outcall_alloc(&c->oc, room, &off, &slot);
		if (err < 0)
			return dyn_fail(c, "the arena is full"), -VMRPC_E2BIG;
		if (pa->dir != VMRPC_TT_OUT) {
			memcpy(slot, v->s, v->n);
			((char *)slot)[v->n] = '\0';
		}
		w.off = off;
		w.len = pa->dir == VMRPC_TT_OUT ? room : v->n;
		memcpy(field, &w, sizeof(w));
		c->ps[p].slot = off;
		c->ps[p].room = room;
		return 0;
	}
	err = dyn_buffer_size(c, pa, args, &size);
	if (err < 0)
		return err;
	if (size > UINT32_MAX)
		return dyn_fail(c, "a buffer of %llu bytes does not fit the arena",
				(unsigned long long)size);
	err = vmrpc_outcall_alloc(&c->oc, size, &off, &slot);
	if (err < 0)
		return dyn_fail(c, "%llu bytes do not fit the arena", (unsigned long long)size),
		       -VMRPC_E2BIG;
	if (pa->dir != VMRPC_TT_OUT && size)
		memcpy(slot, v->p, (size_t)size);
	memcpy(field, &off, sizeof(off));
	c->ps[p].slot = off;
	c->ps[p].room = (uint32_t)size;
	return 0;
}

/* Every value into the private args block and the arena. */
static int dyn_put_args(struct dyn_call *c, const struct vmrpc_value *args)
{
	const struct vmrpc_types *t = c->d->types;
	const struct vmrpc_tt_method *m = c->m;
	int err;

	memset(c->args, 0, m->args_size);
	/* Inline values first: buffers need their sizes. */
	for (uint32_t p = 0; p < m->n_params; p++) {
		const struct vmrpc_tt_param *pa = &t->params[m->first_param + p];
		const struct vmrpc_tt_type *ty = &t->types[pa->type];

		c->path[0] = '\0';
		dyn_path_push(c, "parameter '%s'", vmrpc_types_str(t, pa->name));
		if (pa->dir == VMRPC_TT_OUT) {
			if (args[p].kind != VMRPC_VAL_NONE)
				return dyn_fail(c, "an out parameter takes no value");
			continue;
		}
		if (ty->kind == VMRPC_TT_STRING || ty->kind == VMRPC_TT_BUFFER)
			continue;
		if (args[p].kind == VMRPC_VAL_NONE)
			continue; /* a buffer's SIZE may come from its buffer */
		err = dyn_put_inline(c, pa->type, &args[p], c->args + pa->args_off);
		if (err < 0)
			return err;
		c->ps[p].given = true;
		if (dyn_is_integer(ty->kind))
			c->ps[p].bits = dyn_get_bits(c->args + pa->args_off, ty->size,
						     dyn_is_signed(ty->kind));
	}
	for (uint32_t p = 0; p < m->n_params; p++) {
		const struct vmrpc_tt_param *pa = &t->params[m->first_param + p];
		const struct vmrpc_tt_type *ty = &t->types[pa->type];

		c->path[0] = '\0';
		dyn_path_push(c, "parameter '%s'", vmrpc_types_str(t, pa->name));
		if (ty->kind == VMRPC_TT_STRING || ty->kind == VMRPC_TT_BUFFER) {
			err = dyn_put_arena(c, p, args);
			if (err < 0)
				return err;
		}
	}
	/* Every in value is now placed; any SIZE still NONE belonged to no
	 * in buffer. */
	for (uint32_t p = 0; p < m->n_params; p++) {
		const struct vmrpc_tt_param *pa = &t->params[m->first_param + p];
		const struct vmrpc_tt_type *ty = &t->types[pa->type];

		if (pa->dir != VMRPC_TT_OUT && !c->ps[p].given && ty->kind != VMRPC_TT_STRING &&
		    ty->kind != VMRPC_TT_BUFFER) {
			c->path[0] = '\0';
			dyn_path_push(c, "parameter '%s'", vmrpc_types_str(t, pa->name));
			return dyn_fail(c, "missing");
		}
	}
	return 0;
}

/* ---- the reply into values ---------------------------------------------------- */

/* Room an out value of type ti takes: value nodes and bytes. */
static void dyn_out_room(const struct vmrpc_types *t, uint32_t ti, size_t *nodes, size_t *bytes)
{
	const struct vmrpc_tt_type *ty = &t->types[ti];

	*nodes += 1;
	switch (ty->kind) {
	case VMRPC_TT_STRING:
		*bytes += ty->size;
		break;
	case VMRPC_TT_STRUCT:
		for (uint32_t k = ty->a; k < ty->a + ty->b; k++)
			dyn_out_room(t, t->members[k].type, nodes, bytes);
		break;
	case VMRPC_TT_ARRAY:
		if (dyn_is_byte(t->types[ty->a].kind)) {
			*bytes += ty->b;
			break;
		}
		for (uint32_t k = 0; k < ty->b; k++)
			dyn_out_room(t, ty->a, nodes, bytes);
		break;
	default:
		break;
	}
}

/* Where decoded values go: one block, nodes then bytes. */
struct dyn_out {
	struct vmrpc_value *nodes;
	uint8_t *bytes;
};

static int dyn_get_inline(struct dyn_call *c, uint32_t ti, const uint8_t *src,
			  struct vmrpc_value *v, struct dyn_out *o)
{
	const struct vmrpc_types *t = c->d->types;
	const struct vmrpc_tt_type *ty = &t->types[ti];
	struct vmrpc_value *items;
	const uint8_t *nul;
	int err;

	switch (ty->kind) {
	case VMRPC_TT_BOOL:
		if (!vmrpc_wire_bool_ok(src))
			return -EPROTO;
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_BOOL, .b = src[0] != 0 };
		return 0;
	case VMRPC_TT_FLOAT:
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_FLOAT };
		memcpy(&v->f, src, 4);
		return 0;
	case VMRPC_TT_DOUBLE:
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_DOUBLE };
		memcpy(&v->d, src, 8);
		return 0;
	case VMRPC_TT_ENUM: {
		int64_t e = (int64_t)dyn_get_bits(src, 4, true);

		if (!dyn_enum_has(t, ty, e))
			return -EPROTO;
		*v = VMRPC_VAL_I64(e);
		return 0;
	}
	case VMRPC_TT_STRING:
		nul = memchr(src, '\0', ty->size);
		if (!nul)
			return -EPROTO;
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_STRING, .n = (uint32_t)(nul - src),
					   .s = (const char *)o->bytes };
		memcpy(o->bytes, src, v->n);
		o->bytes[v->n] = '\0';
		o->bytes += ty->size;
		return 0;
	case VMRPC_TT_STRUCT:
		items = o->nodes;
		o->nodes += ty->b;
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = ty->b, .items = items };
		for (uint32_t k = 0; k < ty->b; k++) {
			const struct vmrpc_tt_member *mb = &t->members[ty->a + k];

			err = dyn_get_inline(c, mb->type, src + mb->offset, &items[k], o);
			if (err < 0)
				return err;
		}
		return 0;
	case VMRPC_TT_ARRAY: {
		const struct vmrpc_tt_type *et = &t->types[ty->a];

		if (dyn_is_byte(et->kind)) {
			*v = (struct vmrpc_value){ .kind = VMRPC_VAL_BYTES, .n = ty->b,
						   .p = o->bytes };
			memcpy(o->bytes, src, ty->b);
			o->bytes += ty->b;
			return 0;
		}
		items = o->nodes;
		o->nodes += ty->b;
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = ty->b, .items = items };
		for (uint32_t k = 0; k < ty->b; k++) {
			err = dyn_get_inline(c, ty->a, src + (size_t)k * et->size, &items[k], o);
			if (err < 0)
				return err;
		}
		return 0;
	}
	default: {
		uint64_t bits = dyn_get_bits(src, ty->size, dyn_is_signed(ty->kind));

		*v = dyn_is_signed(ty->kind) ? VMRPC_VAL_I64((int64_t)bits) : VMRPC_VAL_U64(bits);
		return 0;
	}
	}
}

/* A buffer's length in the reply: its LEN, the status or its SIZE. */
static int dyn_out_len(struct dyn_call *c, const struct vmrpc_tt_type *ty, const uint8_t *res,
		       int64_t status, uint32_t room, uint32_t *ret_len)
{
	const struct vmrpc_types *t = c->d->types;
	uint64_t len = room;

	if (ty->b == VMRPC_TT_RETURN) {
		len = (uint64_t)status;
	} else if (ty->b != VMRPC_TT_NONE) {
		const struct vmrpc_tt_param *lp = &t->params[c->m->first_param + ty->b];
		const struct vmrpc_tt_type *lt = &t->types[lp->type];

		len = dyn_get_bits(res + lp->results_off, lt->size, dyn_is_signed(lt->kind));
	}
	if (len > room)
		return -EPROTO; /* also a negative signed LEN */
	*ret_len = (uint32_t)len;
	return 0;
}

static int dyn_get_results(struct dyn_call *c, int64_t status, struct vmrpc_value **ret_out)
{
	const struct vmrpc_types *t = c->d->types;
	const struct vmrpc_tt_method *m = c->m;
	uint8_t res[VMRPC_RESULTS_SIZE];
	struct vmrpc_value *vals;
	struct dyn_out o;
	size_t nodes = 0, bytes = 0;
	int err = 0;

	if (m->results_size && c->oc.res_len != m->results_size)
		return -EPROTO;
	memcpy(res, c->oc.results, m->results_size);
	for (uint32_t p = 0; p < m->n_params; p++) {
		const struct vmrpc_tt_param *pa = &t->params[m->first_param + p];
		const struct vmrpc_tt_type *ty = &t->types[pa->type];

		if (pa->dir == VMRPC_TT_IN)
			continue;
		if (ty->kind == VMRPC_TT_STRING || ty->kind == VMRPC_TT_BUFFER)
			bytes += c->ps[p].room;
		else
			dyn_out_room(t, pa->type, &nodes, &bytes);
	}
	vals = calloc(1, (m->n_params + nodes) * sizeof(*vals) + bytes + 1);
	if (!vals)
		return -ENOMEM;
	o.nodes = vals + m->n_params;
	o.bytes = (uint8_t *)(vals + m->n_params + nodes);
	for (uint32_t p = 0; p < m->n_params && !err; p++) {
		const struct vmrpc_tt_param *pa = &t->params[m->first_param + p];
		const struct vmrpc_tt_type *ty = &t->types[pa->type];
		const uint8_t *src = region_off_to_ptr(&c->oc.chan->arena, c->ps[p].slot);
		uint32_t len;

		if (pa->dir == VMRPC_TT_IN)
			continue;
		if (ty->kind == VMRPC_TT_STRING) {
			/* The callee may still rewrite the slot: copy, then look. */
			memcpy(o.bytes, src, c->ps[p].room);
			len = (uint32_t)strnlen((const char *)o.bytes, c->ps[p].room);
			if (len == c->ps[p].room) {
				err = -EPROTO;
				break;
			}
			vals[p] = (struct vmrpc_value){ .kind = VMRPC_VAL_STRING, .n = len,
							.s = (const char *)o.bytes };
			o.bytes += c->ps[p].room;
		} else if (ty->kind == VMRPC_TT_BUFFER) {
			err = dyn_out_len(c, ty, res, status, c->ps[p].room, &len);
			if (err < 0)
				break;
			memcpy(o.bytes, src, len);
			vals[p] = (struct vmrpc_value){ .kind = VMRPC_VAL_BYTES, .n = len,
							.p = o.bytes };
			o.bytes += c->ps[p].room;
		} else {
			err = dyn_get_inline(c, pa->type, res + pa->results_off, &vals[p], &o);
		}
	}
	if (err < 0 || !ret_out)
		free(vals);
	else
		*ret_out = vals;
	return err;
}

/* ---- the API -------------------------------------------------------------------- */

VMRPC_API int vmrpc_dyn_bind(struct vmrpc_chan *chan, const char *iface,
			     struct vmrpc_dyn **ret_dyn)
{
	struct vmrpc_reg_entry entries[VMRPC_REG_MAX];
	int n = vmrpc_chan_registry(chan, entries, VMRPC_REG_MAX);
	struct vmrpc_iface want;
	struct vmrpc_dyn *d;
	int err, slot = -1;

	for (int i = 0; i < n && i < (int)VMRPC_REG_MAX; i++)
		if (!strcmp(entries[i].name, iface))
			slot = i;
	if (slot < 0)
		return -VMRPC_ENOIFACE;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	err = vmrpc_chan_types(chan, (uint32_t)slot, &d->types);
	if (err < 0)
		goto fail;
	want = (struct vmrpc_iface){
		.name = vmrpc_types_str(d->types, d->types->hdr->name),
		.version = d->types->hdr->iface_version,
		.n_methods = d->types->hdr->n_ids,
		.sig_hash = d->types->hdr->sig_hash,
	};
	err = vmrpc_bind(chan, &want, &d->binding);
	if (err < 0)
		goto fail;
	*ret_dyn = d;
	return 0;
fail:
	vmrpc_dyn_free(d);
	return err;
}

VMRPC_API void vmrpc_dyn_free(struct vmrpc_dyn *d)
{
	if (!d)
		return;
	vmrpc_types_free(d->types);
	free(d);
}

VMRPC_API const struct vmrpc_types *vmrpc_dyn_types(const struct vmrpc_dyn *d)
{
	return d->types;
}

VMRPC_API int vmrpc_dyn_method(const struct vmrpc_dyn *d, const char *name)
{
	return vmrpc_types_method(d->types, name);
}

VMRPC_API const char *vmrpc_dyn_error(const struct vmrpc_dyn *d)
{
	return d->err;
}

static int64_t dyn_status(const struct vmrpc_tt_method *m, int64_t status)
{
	if (m->ret != VMRPC_TT_INT64 && (status < INT32_MIN || status > INT32_MAX))
		return -EPROTO;
	if (m->ret == VMRPC_TT_VOID && status > 0)
		return 0;
	return status;
}

VMRPC_API int64_t vmrpc_dyn_call(struct vmrpc_dyn *d, uint32_t method,
				 const struct vmrpc_value *args, uint32_t n_args,
				 struct vmrpc_value **ret_out)
{
	struct dyn_param stack_ps[DYN_STACK_PARAMS];
	struct dyn_call c;
	int64_t status;
	int err;

	d->err[0] = '\0';
	c.d = d;
	c.path[0] = '\0';
	if (method >= d->types->hdr->n_methods) {
		snprintf(d->err, sizeof(d->err), "no method %u in %s", method,
			 vmrpc_types_str(d->types, d->types->hdr->name));
		return -EINVAL;
	}
	c.m = &d->types->methods[method];
	if (n_args != c.m->n_params) {
		snprintf(d->err, sizeof(d->err), "%s takes %u parameters, not %u",
			 vmrpc_types_str(d->types, c.m->name), c.m->n_params, n_args);
		return -EINVAL;
	}
	c.ps = n_args <= DYN_STACK_PARAMS ? stack_ps : calloc(n_args, sizeof(*c.ps));
	if (!c.ps)
		return -ENOMEM;
	memset(c.ps, 0, n_args * sizeof(*c.ps));
	err = vmrpc_outcall_begin(&d->binding, &c.oc);
	if (err == 0)
		err = dyn_put_args(&c, args);
	if (err < 0) {
		status = err;
		goto out;
	}
	memcpy(c.oc.args, c.args, c.m->args_size);
	if (c.m->flags & VMRPC_TT_ONEWAY) {
		status = vmrpc_outcall_send(&c.oc, c.m->id, c.m->args_size);
		goto out;
	}
	status = dyn_status(c.m, vmrpc_outcall_invoke(&c.oc, c.m->id, c.m->args_size));
	if (status >= 0) {
		bool outs = false;

		for (uint32_t p = 0; p < n_args; p++)
			outs |= d->types->params[c.m->first_param + p].dir != VMRPC_TT_IN;
		if (outs) {
			err = dyn_get_results(&c, status, ret_out);
			if (err < 0)
				status = err;
		}
	}
out:
	if (c.ps != stack_ps)
		free(c.ps);
	return status;
}
