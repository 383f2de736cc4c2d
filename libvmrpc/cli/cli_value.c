/* SPDX-License-Identifier: MIT */
/*
 * JSON to typed values and back, against an interface's type table.
 *
 * The mapping (docs/dynamic.md, "CLI"): integers are JSON integers, range
 * checked for their type (64-bit ones also as decimal strings, since JSON
 * readers lose integers above 2^53 and jansson those above 2^63); enums by
 * enumerator name or number; bool; float and double numbers; strings;
 * buffers as base64 strings; arrays of int8 and uint8 as arrays of numbers
 * like any array; structs as objects keyed by member name.
 *
 * Everything is checked here, before libvmrpc checks it again, so that an
 * error can name the JSON field ("pts[2].y") rather than a parameter.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Allocations the values point to, freed together. */
struct arena_blk {
	struct arena_blk *next;
	max_align_t data[];
};

struct conv {
	const struct vmrpc_types *t;
	struct arena_blk *arena;
	char *err;
	size_t err_size;
	unsigned depth; /* structs and arrays entered */
	char path[256];
};

static void *conv_alloc(struct conv *c, size_t n)
{
	struct arena_blk *b = calloc(1, sizeof(*b) + (n ? n : 1));

	if (!b)
		return NULL;
	b->next = c->arena;
	c->arena = b;
	return b->data;
}

void cli_arena_free(void *arena)
{
	for (struct arena_blk *b = arena, *next; b; b = next) {
		next = b->next;
		free(b);
	}
}

__attribute__((format(printf, 2, 3))) static int conv_fail(struct conv *c, const char *fmt, ...)
{
	char what[CLI_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->err_size, "%s: %s", c->path, what);
	return -EINVAL;
}

static const char *json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

static int kind_is_signed(uint32_t k)
{
	return k >= VMRPC_TT_INT8 && k <= VMRPC_TT_INT64;
}

static int kind_is_unsigned(uint32_t k)
{
	return k >= VMRPC_TT_UINT8 && k <= VMRPC_TT_UINT64;
}

static void int_range(uint32_t k, int64_t *lo, uint64_t *hi)
{
	static const unsigned bits[] = { 8, 16, 32, 64 };

	if (kind_is_signed(k)) {
		unsigned b = bits[k - VMRPC_TT_INT8];

		*lo = b == 64 ? INT64_MIN : -((int64_t)1 << (b - 1));
		*hi = b == 64 ? (uint64_t)INT64_MAX : ((uint64_t)1 << (b - 1)) - 1;
	} else {
		unsigned b = bits[k - VMRPC_TT_UINT8];

		*lo = 0;
		*hi = b == 64 ? UINT64_MAX : ((uint64_t)1 << b) - 1;
	}
}

/* An integer of kind k from j: a JSON integer, or for 64-bit kinds a
 * decimal string; range checked. *ret_i holds it (as two's complement for
 * a uint64 above INT64_MAX), *ret_u too when it is not negative. */
static int conv_int(struct conv *c, uint32_t k, const json_t *j, int64_t *ret_i,
		    uint64_t *ret_u)
{
	char type[32];
	int64_t lo;
	uint64_t hi;
	bool neg = false;
	int64_t i = 0;
	uint64_t u = 0;

	int_range(k, &lo, &hi);
	snprintf(type, sizeof(type), "%s%u", kind_is_signed(k) ? "int" : "uint",
		 8u << ((k - (kind_is_signed(k) ? VMRPC_TT_INT8 : VMRPC_TT_UINT8))));
	if (json_is_integer(j)) {
		i = (int64_t)json_integer_value(j);
		neg = i < 0;
		u = (uint64_t)i;
	} else if (json_is_string(j) && (k == VMRPC_TT_INT64 || k == VMRPC_TT_UINT64)) {
		const char *s = json_string_value(j);
		char *end;

		errno = 0;
		if (*s == '-') {
			neg = true;
			i = strtoll(s, &end, 10);
		} else {
			u = strtoull(s, &end, 10);
		}
		if (!*s || *end || errno || (*s != '-' && (*s < '0' || *s > '9')))
			return conv_fail(c, "%s expected, got the string \"%.40s\"", type, s);
	} else {
		return conv_fail(c, "%s expected (an integer%s), got %s", type,
				 k == VMRPC_TT_INT64 || k == VMRPC_TT_UINT64 ? " or a decimal string"
									     : "",
				 json_kind(j));
	}
	if (neg ? i < lo : u > hi) {
		if (neg)
			return conv_fail(c, "%" PRId64 " is out of range for %s (%" PRId64
				       " to %" PRIu64 ")", i, type, lo, hi);
		return conv_fail(c, "%" PRIu64 " is out of range for %s (%" PRId64 " to %" PRIu64
			       ")", u, type, lo, hi);
	}
	*ret_i = neg ? i : (int64_t)u;
	*ret_u = neg ? 0 : u;
	return 0;
}

static int conv_value(struct conv *c, uint32_t type, const json_t *j, struct vmrpc_value *v);

/* An array of int8 or uint8: bytes, as libvmrpc takes them. */
static int conv_byte_array(struct conv *c, const struct vmrpc_tt_type *ty, const json_t *j,
			   struct vmrpc_value *v)
{
	uint32_t ek = c->t->types[ty->a].kind;
	size_t base = strlen(c->path);
	uint8_t *p = conv_alloc(c, ty->b);

	if (!p)
		return -ENOMEM;
	for (uint32_t i = 0; i < ty->b; i++) {
		int64_t x;
		uint64_t u;
		int err;

		snprintf(c->path + base, sizeof(c->path) - base, "[%u]", i);
		err = conv_int(c, ek, json_array_get(j, i), &x, &u);
		if (err < 0)
			return err;
		p[i] = (uint8_t)x;
	}
	c->path[base] = '\0';
	*v = (struct vmrpc_value){ .kind = VMRPC_VAL_BYTES, .n = ty->b, .p = p };
	return 0;
}

static int conv_value_at(struct conv *c, uint32_t type, const json_t *j,
			 struct vmrpc_value *v);

static int conv_value(struct conv *c, uint32_t type, const json_t *j, struct vmrpc_value *v)
{
	int err;

	if (c->depth >= CLI_DEPTH_MAX)
		return conv_fail(c, "structs and arrays nest deeper than %d", CLI_DEPTH_MAX);
	c->depth++;
	err = conv_value_at(c, type, j, v);
	c->depth--;
	return err;
}

static int conv_value_at(struct conv *c, uint32_t type, const json_t *j,
			 struct vmrpc_value *v)
{
	const struct vmrpc_types *t = c->t;
	const struct vmrpc_tt_type *ty = &t->types[type];
	size_t base = strlen(c->path);
	char name[96];
	int err;

	switch (ty->kind) {
	case VMRPC_TT_BOOL:
		if (!json_is_boolean(j))
			return conv_fail(c, "bool expected (true or false), got %s", json_kind(j));
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_BOOL, .b = json_is_true(j) };
		return 0;
	case VMRPC_TT_INT8:
	case VMRPC_TT_INT16:
	case VMRPC_TT_INT32:
	case VMRPC_TT_INT64:
	case VMRPC_TT_UINT8:
	case VMRPC_TT_UINT16:
	case VMRPC_TT_UINT32:
	case VMRPC_TT_UINT64: {
		int64_t i;
		uint64_t u;

		err = conv_int(c, ty->kind, j, &i, &u);
		if (err < 0)
			return err;
		if (kind_is_unsigned(ty->kind))
			*v = (struct vmrpc_value){ .kind = VMRPC_VAL_UINT, .u = u };
		else
			*v = (struct vmrpc_value){ .kind = VMRPC_VAL_INT, .i = i };
		return 0;
	}
	case VMRPC_TT_FLOAT:
	case VMRPC_TT_DOUBLE: {
		double d;

		if (!json_is_number(j))
			return conv_fail(c, "%s expected (a number), got %s",
					 ty->kind == VMRPC_TT_FLOAT ? "float" : "double", json_kind(j));
		d = json_number_value(j);
		if (ty->kind == VMRPC_TT_FLOAT && fabs(d) > FLT_MAX)
			return conv_fail(c, "%g is out of range for float", d);
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_DOUBLE, .d = d };
		return 0;
	}
	case VMRPC_TT_ENUM: {
		const char *ename = vmrpc_types_str(t, ty->name);

		if (json_is_string(j)) {
			for (uint32_t e = ty->a; e < ty->a + ty->b; e++)
				if (!strcmp(vmrpc_types_str(t, t->enumerators[e].name),
					    json_string_value(j))) {
					*v = VMRPC_VAL_I64(t->enumerators[e].value);
					return 0;
				}
			return conv_fail(c, "\"%.40s\" is not a value of enum %s",
					 json_string_value(j), ename);
		}
		if (json_is_integer(j)) {
			json_int_t x = json_integer_value(j);

			for (uint32_t e = ty->a; e < ty->a + ty->b; e++)
				if (t->enumerators[e].value == x) {
					*v = VMRPC_VAL_I64(x);
					return 0;
				}
			return conv_fail(c, "%lld is not a value of enum %s", (long long)x, ename);
		}
		return conv_fail(c, "enum %s expected (a name or its number), got %s", ename,
				 json_kind(j));
	}
	case VMRPC_TT_STRING: {
		size_t n;

		if (!json_is_string(j))
			return conv_fail(c, "string<%u> expected, got %s", ty->a, json_kind(j));
		n = json_string_length(j);
		if (memchr(json_string_value(j), '\0', n))
			return conv_fail(c, "a string may not hold a NUL (\\u0000)");
		if (n > ty->a)
			return conv_fail(c, "string<%u> holds at most %u bytes, got %zu", ty->a,
					 ty->a, n);
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_STRING, .n = (uint32_t)n,
					   .s = json_string_value(j) };
		return 0;
	}
	case VMRPC_TT_BUFFER: {
		void *p;
		size_t n;

		if (!json_is_string(j))
			return conv_fail(c, "a buffer expected (a base64 string), got %s",
					 json_kind(j));
		if (cli_base64_decode(json_string_value(j), json_string_length(j), &p, &n) < 0)
			return conv_fail(c, "a buffer expected (a base64 string), got \"%.40s\"",
					 json_string_value(j));
		if (n > UINT32_MAX) {
			free(p);
			return conv_fail(c, "a buffer of at most 4 GiB");
		}
		/* into the arena, so one free releases everything */
		{
			void *q = conv_alloc(c, n);

			if (!q) {
				free(p);
				return -ENOMEM;
			}
			memcpy(q, p, n);
			free(p);
			p = q;
		}
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_BYTES, .n = (uint32_t)n, .p = p };
		return 0;
	}
	case VMRPC_TT_STRUCT: {
		struct vmrpc_value *items;
		const char *key;
		json_t *val;

		if (!json_is_object(j))
			return conv_fail(c, "struct %s expected (an object), got %s",
					 vmrpc_types_str(t, ty->name), json_kind(j));
		json_object_foreach((json_t *)j, key, val) {
			uint32_t m;

			for (m = ty->a; m < ty->a + ty->b; m++)
				if (!strcmp(vmrpc_types_str(t, t->members[m].name), key))
					break;
			if (m == ty->a + ty->b)
				return conv_fail(c, "struct %s has no member '%.40s'",
						 vmrpc_types_str(t, ty->name), key);
		}
		items = conv_alloc(c, (size_t)ty->b * sizeof(*items));
		if (!items)
			return -ENOMEM;
		for (uint32_t m = 0; m < ty->b; m++) {
			const struct vmrpc_tt_member *mb = &t->members[ty->a + m];
			const char *mname = vmrpc_types_str(t, mb->name);

			val = json_object_get(j, mname);
			if (!val)
				return conv_fail(c, "member '%s' of struct %s is missing", mname,
						 vmrpc_types_str(t, ty->name));
			snprintf(c->path + base, sizeof(c->path) - base, "%s%s",
				 base ? "." : "", mname);
			err = conv_value(c, mb->type, val, &items[m]);
			if (err < 0)
				return err;
			c->path[base] = '\0';
		}
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = ty->b, .items = items };
		return 0;
	}
	case VMRPC_TT_ARRAY: {
		struct vmrpc_value *items;
		uint32_t ek = t->types[ty->a].kind;

		if (!json_is_array(j) || json_array_size(j) != ty->b)
			return conv_fail(c, "%s expected (an array of %u), got %s%s",
					 cli_type_name(t, type, name, sizeof(name)), ty->b,
					 json_kind(j),
					 json_is_array(j) ? " of another length" : "");
		if (ek == VMRPC_TT_INT8 || ek == VMRPC_TT_UINT8)
			return conv_byte_array(c, ty, j, v);
		items = conv_alloc(c, (size_t)ty->b * sizeof(*items));
		if (!items)
			return -ENOMEM;
		for (uint32_t i = 0; i < ty->b; i++) {
			snprintf(c->path + base, sizeof(c->path) - base, "[%u]", i);
			err = conv_value(c, ty->a, json_array_get(j, i), &items[i]);
			if (err < 0)
				return err;
			c->path[base] = '\0';
		}
		*v = (struct vmrpc_value){ .kind = VMRPC_VAL_LIST, .n = ty->b, .items = items };
		return 0;
	}
	default:
		return conv_fail(c, "a parameter of type kind %u cannot be given", ty->kind);
	}
}

/* Whether parameter k of method m is the SIZE of an in or inout buffer,
 * which that buffer's length gives when left out. */
static int param_is_in_size(const struct vmrpc_types *t, const struct vmrpc_tt_method *me,
			    uint32_t k)
{
	for (uint32_t q = 0; q < me->n_params; q++) {
		const struct vmrpc_tt_param *p = &t->params[me->first_param + q];
		const struct vmrpc_tt_type *ty = &t->types[p->type];

		if (ty->kind == VMRPC_TT_BUFFER && ty->a == k && p->dir != VMRPC_TT_OUT)
			return 1;
	}
	return 0;
}

int cli_json_to_args(const struct vmrpc_types *t, uint32_t m, json_t *obj,
		     struct vmrpc_value **ret_args, void **ret_arena, char *err, size_t err_size)
{
	const struct vmrpc_tt_method *me = &t->methods[m];
	const char *mname = vmrpc_types_str(t, me->name);
	struct conv c = { .t = t, .err = err, .err_size = err_size };
	struct vmrpc_value *args;
	const char *key;
	json_t *val;
	int r = 0;

	if (!json_is_object(obj)) {
		snprintf(err, err_size, "%s: the arguments must be a JSON object keyed by "
			 "parameter name", mname);
		return -EINVAL;
	}
	json_object_foreach(obj, key, val) {
		uint32_t k;

		for (k = 0; k < me->n_params; k++)
			if (!strcmp(vmrpc_types_str(t, t->params[me->first_param + k].name), key))
				break;
		if (k == me->n_params) {
			char names[200] = "";
			size_t len = 0;

			for (uint32_t q = 0; q < me->n_params && len < sizeof(names); q++) {
				const struct vmrpc_tt_param *p = &t->params[me->first_param + q];

				if (p->dir != VMRPC_TT_OUT)
					len += (size_t)snprintf(names + len, sizeof(names) - len,
								"%s%s", len ? ", " : "",
								vmrpc_types_str(t, p->name));
			}
			snprintf(err, err_size, "%s: unknown parameter '%.40s' (%s takes: %s)",
				 mname, key, mname, names[0] ? names : "nothing");
			return -EINVAL;
		}
		if (t->params[me->first_param + k].dir == VMRPC_TT_OUT) {
			snprintf(err, err_size, "%s: %s: an out parameter takes no value", mname,
				 key);
			return -EINVAL;
		}
	}
	args = conv_alloc(&c, (size_t)(me->n_params ? me->n_params : 1) * sizeof(*args));
	if (!args)
		return -ENOMEM;
	for (uint32_t k = 0; k < me->n_params; k++) {
		const struct vmrpc_tt_param *p = &t->params[me->first_param + k];
		const char *pname = vmrpc_types_str(t, p->name);

		args[k] = (struct vmrpc_value){ .kind = VMRPC_VAL_NONE };
		if (p->dir == VMRPC_TT_OUT)
			continue;
		val = json_object_get(obj, pname);
		if (!val) {
			if (param_is_in_size(t, me, k))
				continue;
			snprintf(err, err_size, "%s: %s: missing (an %s parameter)", mname, pname,
				 p->dir == VMRPC_TT_IN ? "in" : "inout");
			r = -EINVAL;
			goto fail;
		}
		snprintf(c.path, sizeof(c.path), "%s: %s", mname, pname);
		/* members and elements append to the path after the name */
		r = conv_value(&c, p->type, val, &args[k]);
		if (r < 0)
			goto fail;
	}
	*ret_args = args;
	*ret_arena = c.arena;
	return 0;
fail:
	if (r == -ENOMEM)
		snprintf(err, err_size, "out of memory");
	cli_arena_free(c.arena);
	return r;
}

/* ---- values to JSON -------------------------------------------------------------- */

static json_t *json_bytes_string(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	char *copy;
	size_t k = 0;

	if (j)
		return j;
	/* Not UTF-8 (or a NUL): each byte past ASCII becomes U+FFFD. */
	copy = malloc(n * 3 + 1);
	if (!copy)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x80 || ch == 0) {
			memcpy(copy + k, "\xef\xbf\xbd", 3);
			k += 3;
		} else {
			copy[k++] = (char)ch;
		}
	}
	j = json_stringn(copy, k);
	free(copy);
	return j;
}

static json_t *out_value(struct conv *c, uint32_t type, const struct vmrpc_value *v);

static json_t *out_fail(struct conv *c, const char *what)
{
	snprintf(c->err, c->err_size, "%s: the reply holds %s", c->path, what);
	return NULL;
}

static json_t *out_value_at(struct conv *c, uint32_t type, const struct vmrpc_value *v);

static json_t *out_value(struct conv *c, uint32_t type, const struct vmrpc_value *v)
{
	json_t *j;

	if (c->depth >= CLI_DEPTH_MAX)
		return out_fail(c, "structs and arrays nested too deep");
	c->depth++;
	j = out_value_at(c, type, v);
	c->depth--;
	return j;
}

static json_t *out_value_at(struct conv *c, uint32_t type, const struct vmrpc_value *v)
{
	const struct vmrpc_types *t = c->t;
	const struct vmrpc_tt_type *ty = &t->types[type];
	size_t base = strlen(c->path);
	json_t *j;

	switch (ty->kind) {
	case VMRPC_TT_BOOL:
		if (v->kind != VMRPC_VAL_BOOL)
			return out_fail(c, "no bool");
		return json_boolean(v->b);
	case VMRPC_TT_INT8:
	case VMRPC_TT_INT16:
	case VMRPC_TT_INT32:
	case VMRPC_TT_INT64:
		if (v->kind == VMRPC_VAL_INT)
			return json_integer(v->i);
		if (v->kind == VMRPC_VAL_UINT && v->u <= INT64_MAX)
			return json_integer((json_int_t)v->u);
		return out_fail(c, "no signed integer");
	case VMRPC_TT_UINT8:
	case VMRPC_TT_UINT16:
	case VMRPC_TT_UINT32:
	case VMRPC_TT_UINT64: {
		char num[24];

		if (v->kind == VMRPC_VAL_INT && v->i >= 0)
			return json_integer(v->i);
		if (v->kind != VMRPC_VAL_UINT)
			return out_fail(c, "no unsigned integer");
		if (v->u <= INT64_MAX)
			return json_integer((json_int_t)v->u);
		/* JSON has no such integer for most readers: a decimal string */
		snprintf(num, sizeof(num), "%" PRIu64, v->u);
		return json_string(num);
	}
	case VMRPC_TT_FLOAT:
	case VMRPC_TT_DOUBLE: {
		double d;

		if (v->kind == VMRPC_VAL_FLOAT)
			d = v->f;
		else if (v->kind == VMRPC_VAL_DOUBLE)
			d = v->d;
		else
			return out_fail(c, "no number");
		if (!isfinite(d)) /* JSON has none: its name, as a string */
			return json_string(isnan(d) ? "nan" : d > 0 ? "inf" : "-inf");
		return json_real(d);
	}
	case VMRPC_TT_ENUM:
		if (v->kind != VMRPC_VAL_INT && v->kind != VMRPC_VAL_UINT)
			return out_fail(c, "no enum value");
		for (uint32_t e = ty->a; e < ty->a + ty->b; e++)
			if ((v->kind == VMRPC_VAL_INT ? v->i : (int64_t)v->u) ==
			    t->enumerators[e].value)
				return json_string(vmrpc_types_str(t, t->enumerators[e].name));
		/* an undeclared value: its number */
		return json_integer(v->kind == VMRPC_VAL_INT ? v->i : (json_int_t)v->u);
	case VMRPC_TT_STRING:
		if (v->kind != VMRPC_VAL_STRING || v->n > ty->a || (v->n && !v->s))
			return out_fail(c, "no string of its bound");
		return json_bytes_string(v->s ? v->s : "", v->n);
	case VMRPC_TT_BUFFER: {
		char *s;

		if (v->kind != VMRPC_VAL_BYTES || (v->n && !v->p))
			return out_fail(c, "no buffer");
		s = cli_base64_encode(v->p, v->n);
		if (!s)
			return NULL;
		j = json_string(s);
		free(s);
		return j;
	}
	case VMRPC_TT_STRUCT:
		if (v->kind != VMRPC_VAL_LIST || v->n != ty->b || (v->n && !v->items))
			return out_fail(c, "no struct of its members");
		j = json_object();
		for (uint32_t m = 0; j && m < ty->b; m++) {
			const struct vmrpc_tt_member *mb = &t->members[ty->a + m];
			json_t *x;

			snprintf(c->path + base, sizeof(c->path) - base, ".%s",
				 vmrpc_types_str(t, mb->name));
			x = out_value(c, mb->type, &v->items[m]);
			if (!x || json_object_set_new(j, vmrpc_types_str(t, mb->name), x) < 0) {
				json_decref(j);
				return NULL;
			}
			c->path[base] = '\0';
		}
		return j;
	case VMRPC_TT_ARRAY: {
		uint32_t ek = t->types[ty->a].kind;

		j = json_array();
		if (!j)
			return NULL;
		if (v->kind == VMRPC_VAL_BYTES && (ek == VMRPC_TT_INT8 || ek == VMRPC_TT_UINT8) &&
		    v->n == ty->b && (v->n == 0 || v->p)) {
			const uint8_t *p = v->p;

			for (uint32_t i = 0; i < ty->b; i++)
				json_array_append_new(j, json_integer(ek == VMRPC_TT_INT8
									      ? (int8_t)p[i]
									      : p[i]));
			return j;
		}
		if (v->kind != VMRPC_VAL_LIST || v->n != ty->b || (v->n && !v->items)) {
			json_decref(j);
			return out_fail(c, "no array of its length");
		}
		for (uint32_t i = 0; i < ty->b; i++) {
			json_t *x;

			snprintf(c->path + base, sizeof(c->path) - base, "[%u]", i);
			x = out_value(c, ty->a, &v->items[i]);
			if (!x || json_array_append_new(j, x) < 0) {
				json_decref(j);
				return NULL;
			}
			c->path[base] = '\0';
		}
		return j;
	}
	default:
		return out_fail(c, "a value of an unknown kind");
	}
}

int cli_out_to_json(const struct vmrpc_types *t, uint32_t m, int64_t status,
		    const struct vmrpc_value *out, json_t **ret_obj, char *err, size_t err_size)
{
	const struct vmrpc_tt_method *me = &t->methods[m];
	struct conv c = { .t = t, .err = err, .err_size = err_size };
	json_t *obj = json_object();

	if (!obj || json_object_set_new(obj, "status", json_integer(status)) < 0)
		goto nomem;
	for (uint32_t k = 0; out && k < me->n_params; k++) {
		const struct vmrpc_tt_param *p = &t->params[me->first_param + k];
		json_t *x;

		if (p->dir == VMRPC_TT_IN)
			continue;
		snprintf(c.path, sizeof(c.path), "%s", vmrpc_types_str(t, p->name));
		err[0] = '\0';
		x = out_value(&c, p->type, &out[k]);
		if (!x) {
			json_decref(obj);
			if (!err[0])
				goto nomem;
			return -EPROTO;
		}
		if (json_object_set_new(obj, vmrpc_types_str(t, p->name), x) < 0)
			goto nomem;
	}
	*ret_obj = obj;
	return 0;
nomem:
	json_decref(obj);
	snprintf(err, err_size, "out of memory");
	return -ENOMEM;
}

json_t *cli_json_parse_object(const char *text, char *err, size_t err_size)
{
	json_error_t je;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);

	if (!j) {
		snprintf(err, err_size, "malformed JSON: line %d, column %d: %s", je.line,
			 je.column, je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		snprintf(err, err_size, "the arguments must be a JSON object ({\"name\": value, "
			 "...}), got %s", json_kind(j));
		json_decref(j);
		return NULL;
	}
	return j;
}

/* ---- base64 -------------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *cli_base64_encode(const void *p, size_t n)
{
	const uint8_t *in = p;
	char *s = malloc((n + 2) / 3 * 4 + 1), *o = s;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);

		*o++ = b64[w >> 18 & 63];
		*o++ = b64[w >> 12 & 63];
		*o++ = i + 1 < n ? b64[w >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[w & 63] : '=';
	}
	*o = '\0';
	return s;
}

int cli_base64_decode(const char *s, size_t len, void **ret_p, size_t *ret_n)
{
	uint8_t *out;
	size_t n = 0;
	uint32_t w = 0;
	unsigned bits = 0, pad = 0;

	if (len % 4)
		return -EINVAL;
	out = malloc(len / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		const char *q;

		if (s[i] == '=') {
			/* only at the end, at most two */
			if (i + 2 < len || ++pad > 2)
				goto bad;
			continue;
		}
		if (pad || !s[i] || !(q = strchr(b64, s[i])))
			goto bad;
		w = w << 6 | (uint32_t)(q - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(w >> bits);
		}
	}
	*ret_p = out;
	*ret_n = n;
	return 0;
bad:
	free(out);
	return -EINVAL;
}

int cli_call_exit(int64_t status)
{
	if (status >= 0)
		return CLI_EXIT_OK;
	if (status < -VMRPC_EBASE && status > -VMRPC_ELAST && status != -VMRPC_EDENIED)
		return CLI_EXIT_VMRPC;
	return CLI_EXIT_FAILED;
}

void cli_json_print(FILE *f, json_t *j)
{
	if (!j)
		return;
	json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(j);
}
