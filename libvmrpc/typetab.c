/* SPDX-License-Identifier: MIT */
/*
 * Reading type tables (vmrpc/typetab.h). A table comes from a peer (the
 * meta call) or from a file, so nothing in it is believed until checked:
 * the sections must tile the table exactly, every index must point into
 * its array (types only at lower types), every name at a NUL-terminated
 * identifier, every size and offset must agree with the IDL's layout rules
 * and stay inside the blocks it describes. The check runs on a private
 * copy, which is what readers then use: a peer that rewrites its table
 * meanwhile changes nothing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmrpc/dynamic.h"

#define TT_NAME_MAX 255u      /* longest name a table may hold */
#define TT_IDS_MAX 65536u     /* method ids are 0..65535 (docs/idl.md) */
#define TT_STRING_MAX 65535u  /* string<MAX> */
#define TT_ARRAY_MAX 1048576u /* T name[N] */

struct tt_check {
	const struct vmrpc_types *t;
	char *err;
	size_t err_size;
	uint8_t *depth; /* per type: how deep structs and arrays nest in it */
};

__attribute__((format(printf, 2, 3))) static int tt_fail(struct tt_check *c, const char *fmt,
							 ...)
{
	va_list ap;

	if (c->err && c->err_size) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->err_size, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool tt_is_ident(const char *s)
{
	size_t n = 0;

	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (; s[n]; n++)
		if (!((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
			return false;
	return n <= TT_NAME_MAX;
}

/* A name field: inside the strings, and (unless optional and 0) an
 * identifier. The strings end with a NUL, so any offset inside is a
 * terminated string. */
static int tt_name(struct tt_check *c, uint32_t name, bool optional, const char *what,
		   uint32_t index)
{
	const struct vmrpc_types *t = c->t;

	if (name >= t->hdr->strings_len)
		return tt_fail(c, "%s %u: name offset %u is outside the strings", what, index,
			       name);
	if (optional && name == 0)
		return 0;
	if (!tt_is_ident(t->strings + name))
		return tt_fail(c, "%s %u: its name is not an identifier", what, index);
	return 0;
}

static uint32_t tt_scalar_size(uint32_t kind)
{
	switch (kind) {
	case VMRPC_TT_BOOL:
	case VMRPC_TT_INT8:
	case VMRPC_TT_UINT8:
		return 1;
	case VMRPC_TT_INT16:
	case VMRPC_TT_UINT16:
		return 2;
	case VMRPC_TT_INT32:
	case VMRPC_TT_UINT32:
	case VMRPC_TT_FLOAT:
	case VMRPC_TT_ENUM:
		return 4;
	case VMRPC_TT_INT64:
	case VMRPC_TT_UINT64:
	case VMRPC_TT_DOUBLE:
		return 8;
	default:
		return 0;
	}
}

static bool tt_is_integer(uint32_t kind)
{
	return kind >= VMRPC_TT_INT8 && kind <= VMRPC_TT_UINT64;
}

static int tt_check_struct(struct tt_check *c, uint32_t i, const struct vmrpc_tt_type *ty)
{
	const struct vmrpc_types *t = c->t;
	uint64_t end = 0;
	uint32_t align = 1;

	if (ty->b == 0 || (uint64_t)ty->a + ty->b > t->hdr->n_members)
		return tt_fail(c, "type %u: members %u+%u are outside the table", i, ty->a, ty->b);
	for (uint32_t k = ty->a; k < ty->a + ty->b; k++) {
		const struct vmrpc_tt_member *m = &t->members[k];
		const struct vmrpc_tt_type *mt;
		int err = tt_name(c, m->name, false, "member", k);

		if (err < 0)
			return err;
		if (m->type >= i)
			return tt_fail(c, "member %u: type %u is not an earlier type", k, m->type);
		mt = &t->types[m->type];
		if (mt->kind == VMRPC_TT_BUFFER)
			return tt_fail(c, "member %u: a buffer cannot be a member", k);
		if (m->offset % mt->align || m->offset < end)
			return tt_fail(c, "member %u: offset %u is misaligned or overlaps", k,
				       m->offset);
		end = (uint64_t)m->offset + mt->size;
		if (end > ty->size)
			return tt_fail(c, "member %u: it ends past its struct's %u bytes", k,
				       ty->size);
		if (m->reserved)
			return tt_fail(c, "member %u: reserved is not 0", k);
		if (mt->align > align)
			align = mt->align;
	}
	if (ty->align != align || ty->size % align)
		return tt_fail(c, "type %u: alignment %u does not match its members' %u", i,
			       ty->align, align);
	for (uint32_t k = ty->a; k < ty->a + ty->b; k++)
		if (c->depth[t->members[k].type] + 1 > c->depth[i])
			c->depth[i] = (uint8_t)(c->depth[t->members[k].type] + 1);
	if (c->depth[i] > VMRPC_TT_MAX_DEPTH)
		return tt_fail(c, "type %u: structs and arrays nest deeper than %u", i,
			       VMRPC_TT_MAX_DEPTH);
	return 0;
}

static int tt_check_type(struct tt_check *c, uint32_t i)
{
	const struct vmrpc_types *t = c->t;
	const struct vmrpc_tt_type *ty = &t->types[i];
	uint32_t scalar = tt_scalar_size(ty->kind);
	int err = tt_name(c, ty->name, true, "type", i);

	if (err < 0)
		return err;
	c->depth[i] = 1;
	if (ty->size > VMRPC_TT_MAX_INLINE)
		return tt_fail(c, "type %u: %u bytes is more than an inline value may take", i,
			       ty->size);
	if (ty->kind == VMRPC_TT_ENUM) {
		if (ty->size != 4 || ty->align != 4)
			return tt_fail(c, "type %u: an enum takes 4 bytes, aligned", i);
		if (ty->b == 0 || (uint64_t)ty->a + ty->b > t->hdr->n_enumerators)
			return tt_fail(c, "type %u: enumerators %u+%u are outside the table", i,
				       ty->a, ty->b);
		return 0;
	}
	if (scalar) {
		if (ty->size != scalar || ty->align != scalar || ty->a || ty->b)
			return tt_fail(c, "type %u: a scalar of kind %u takes %u bytes, aligned", i,
				       ty->kind, scalar);
		return 0;
	}
	switch (ty->kind) {
	case VMRPC_TT_STRING:
		if (ty->a == 0 || ty->a > TT_STRING_MAX || ty->size != ty->a + 1 ||
		    ty->align != 1 || ty->b)
			return tt_fail(c, "type %u: a string's bound is 1..%u and it takes bound + 1 bytes",
				       i, TT_STRING_MAX);
		return 0;
	case VMRPC_TT_BUFFER:
		/* a and b name parameters: checked with the parameter. */
		if (ty->size || ty->align != 1)
			return tt_fail(c, "type %u: a buffer has no inline bytes", i);
		return 0;
	case VMRPC_TT_STRUCT:
		return tt_check_struct(c, i, ty);
	case VMRPC_TT_ARRAY: {
		const struct vmrpc_tt_type *et;

		if (ty->a >= i)
			return tt_fail(c, "type %u: element type %u is not an earlier type", i,
				       ty->a);
		et = &t->types[ty->a];
		if (et->kind == VMRPC_TT_BUFFER || ty->b == 0 || ty->b > TT_ARRAY_MAX)
			return tt_fail(c, "type %u: an array holds 1..%u elements, not buffers", i,
				       TT_ARRAY_MAX);
		if ((uint64_t)et->size * ty->b != ty->size || ty->align != et->align)
			return tt_fail(c, "type %u: %u elements of %u bytes do not take %u", i, ty->b,
				       et->size, ty->size);
		c->depth[i] = (uint8_t)(c->depth[ty->a] + 1);
		if (c->depth[i] > VMRPC_TT_MAX_DEPTH)
			return tt_fail(c, "type %u: structs and arrays nest deeper than %u", i,
				       VMRPC_TT_MAX_DEPTH);
		return 0;
	}
	default:
		return tt_fail(c, "type %u: unknown kind %u", i, ty->kind);
	}
}

/* A parameter's field in a block: present exactly when it travels there,
 * aligned, and inside the block. */
static int tt_check_field(struct tt_check *c, uint32_t p, const char *block, uint32_t off,
			  bool present, uint32_t size, uint32_t align, uint32_t block_size)
{
	if (!present) {
		if (off != VMRPC_TT_NONE)
			return tt_fail(c, "param %u: it has no field in %s", p, block);
		return 0;
	}
	if (off == VMRPC_TT_NONE || off % align || (uint64_t)off + size > block_size)
		return tt_fail(c, "param %u: its field in %s (offset %u, %u bytes) is misplaced",
			       p, block, off, size);
	return 0;
}

/* A buffer parameter's SIZE and LEN: parameters of the same method, an in
 * integer and an out integer (or the method's result). */
static int tt_check_buffer(struct tt_check *c, const struct vmrpc_tt_method *m, uint32_t p,
			   const struct vmrpc_tt_param *pa, const struct vmrpc_tt_type *ty)
{
	const struct vmrpc_types *t = c->t;
	const struct vmrpc_tt_param *sz, *len;

	if (ty->a >= m->n_params)
		return tt_fail(c, "param %u: its size parameter %u is not in its method", p, ty->a);
	sz = &t->params[m->first_param + ty->a];
	/* A later parameter is checked only later: its type index too. */
	if (sz->type >= t->hdr->n_types || sz->dir != VMRPC_TT_IN ||
	    !tt_is_integer(t->types[sz->type].kind))
		return tt_fail(c, "param %u: its size is not an in integer", p);
	if (ty->b == VMRPC_TT_NONE)
		return 0;
	if (pa->dir == VMRPC_TT_IN)
		return tt_fail(c, "param %u: an in buffer has no length", p);
	if (ty->b == VMRPC_TT_RETURN) {
		if (m->ret == VMRPC_TT_VOID)
			return tt_fail(c, "param %u: its length is the result of a void method", p);
		return 0;
	}
	if (ty->b >= m->n_params)
		return tt_fail(c, "param %u: its length parameter %u is not in its method", p,
			       ty->b);
	len = &t->params[m->first_param + ty->b];
	if (len->type >= t->hdr->n_types || len->dir != VMRPC_TT_OUT ||
	    !tt_is_integer(t->types[len->type].kind))
		return tt_fail(c, "param %u: its length is not an out integer", p);
	return 0;
}

static int tt_check_param(struct tt_check *c, const struct vmrpc_tt_method *m, uint32_t p)
{
	const struct vmrpc_types *t = c->t;
	const struct vmrpc_tt_param *pa = &t->params[p];
	const struct vmrpc_tt_type *ty;
	bool arena;
	uint32_t size, align;
	int err = tt_name(c, pa->name, false, "param", p);

	if (err < 0)
		return err;
	if (pa->type >= t->hdr->n_types || pa->dir > VMRPC_TT_INOUT || pa->reserved)
		return tt_fail(c, "param %u: bad type index, direction or reserved word", p);
	ty = &t->types[pa->type];
	arena = ty->kind == VMRPC_TT_STRING || ty->kind == VMRPC_TT_BUFFER;
	size = ty->kind == VMRPC_TT_STRING ? 16 : ty->kind == VMRPC_TT_BUFFER ? 8 : ty->size;
	align = arena ? 8 : ty->align;
	if ((m->flags & VMRPC_TT_ONEWAY) && pa->dir != VMRPC_TT_IN)
		return tt_fail(c, "param %u: a oneway method has only in parameters", p);
	err = tt_check_field(c, p, "args", pa->args_off, pa->dir != VMRPC_TT_OUT || arena, size,
			     align, m->args_size);
	if (!err)
		err = tt_check_field(c, p, "results", pa->results_off,
				     pa->dir != VMRPC_TT_IN && !arena, size, align, m->results_size);
	if (!err && ty->kind == VMRPC_TT_BUFFER)
		err = tt_check_buffer(c, m, p, pa, ty);
	return err;
}

static int tt_check_methods(struct tt_check *c)
{
	const struct vmrpc_types *t = c->t;
	const struct vmrpc_tt_hdr *h = t->hdr;
	uint8_t *seen = calloc(h->n_ids / 8 + 1, 1);
	uint32_t top = 0;
	int err = 0;

	if (!seen)
		return -ENOMEM;
	for (uint32_t i = 0; i < h->n_methods && !err; i++) {
		const struct vmrpc_tt_method *m = &t->methods[i];

		err = tt_name(c, m->name, false, "method", i);
		if (err)
			break;
		if (m->id >= h->n_ids || (seen[m->id / 8] & (1u << (m->id % 8))))
			err = tt_fail(c, "method %u: id %u is out of range or repeated", i, m->id);
		else if (m->flags & ~VMRPC_TT_ONEWAY)
			err = tt_fail(c, "method %u: unknown flags %#x", i, m->flags);
		else if (m->ret != VMRPC_TT_VOID && m->ret != VMRPC_TT_INT32 &&
			 m->ret != VMRPC_TT_INT64)
			err = tt_fail(c, "method %u: it returns kind %u, not void, int32 or int64", i,
				      m->ret);
		else if ((m->flags & VMRPC_TT_ONEWAY) && m->ret != VMRPC_TT_VOID)
			err = tt_fail(c, "method %u: a oneway method returns void", i);
		else if ((uint64_t)m->first_param + m->n_params > h->n_params)
			err = tt_fail(c, "method %u: params %u+%u are outside the table", i,
				      m->first_param, m->n_params);
		else if (m->args_size > VMRPC_ARGS_SIZE || m->results_size > VMRPC_RESULTS_SIZE)
			err = tt_fail(c, "method %u: its args or results exceed their block", i);
		if (err)
			break;
		seen[m->id / 8] |= (uint8_t)(1u << (m->id % 8));
		if (m->id + 1 > top)
			top = m->id + 1;
		for (uint32_t p = m->first_param; p < m->first_param + m->n_params && !err; p++)
			err = tt_check_param(c, m, p);
	}
	if (!err && top != h->n_ids)
		err = tt_fail(c, "header: n_ids %u, but the highest method id is %u", h->n_ids,
			      top ? top - 1 : 0);
	free(seen);
	return err;
}

/* The header, and the sections' sizes: they tile the table exactly. */
static int tt_check_hdr(struct tt_check *c, size_t len)
{
	const struct vmrpc_tt_hdr *h = c->t->hdr;
	uint64_t size = sizeof(*h);

	if (h->magic != VMRPC_TT_MAGIC || h->version != VMRPC_TT_VERSION)
		return tt_fail(c, "header: not a version %u type table", VMRPC_TT_VERSION);
	if (h->size != len || h->reserved[0] || h->reserved[1])
		return tt_fail(c, "header: size %u, but the table has %zu bytes", h->size, len);
	if (h->n_ids > TT_IDS_MAX || h->n_methods > h->n_ids)
		return tt_fail(c, "header: %u methods with %u ids", h->n_methods, h->n_ids);
	size += (uint64_t)h->n_methods * sizeof(struct vmrpc_tt_method);
	size += (uint64_t)h->n_params * sizeof(struct vmrpc_tt_param);
	size += (uint64_t)h->n_types * sizeof(struct vmrpc_tt_type);
	size += (uint64_t)h->n_members * sizeof(struct vmrpc_tt_member);
	size += (uint64_t)h->n_enumerators * sizeof(struct vmrpc_tt_enumerator);
	size += h->strings_len;
	if (size != len)
		return tt_fail(c, "header: its sections take %llu bytes, the table %zu",
			       (unsigned long long)size, len);
	return 0;
}

static void tt_views(struct vmrpc_types *t, const void *copy)
{
	const char *p = copy;

	t->hdr = copy;
	p += sizeof(*t->hdr);
	t->methods = (const void *)p;
	p += t->hdr->n_methods * sizeof(*t->methods);
	t->params = (const void *)p;
	p += t->hdr->n_params * sizeof(*t->params);
	t->types = (const void *)p;
	p += t->hdr->n_types * sizeof(*t->types);
	t->members = (const void *)p;
	p += t->hdr->n_members * sizeof(*t->members);
	t->enumerators = (const void *)p;
	p += t->hdr->n_enumerators * sizeof(*t->enumerators);
	t->strings = p;
}

static int tt_check(struct tt_check *c)
{
	const struct vmrpc_types *t = c->t;
	const struct vmrpc_tt_hdr *h = t->hdr;
	int err = 0;

	if (h->strings_len == 0 || t->strings[0] || t->strings[h->strings_len - 1])
		return tt_fail(c, "strings: they must start and end with a NUL");
	err = tt_name(c, h->name, false, "interface", 0);
	if (err)
		return err;
	if (strlen(t->strings + h->name) >= VMRPC_REG_NAME_MAX)
		return tt_fail(c, "interface: its name is longer than %u bytes",
			       VMRPC_REG_NAME_MAX - 1);
	for (uint32_t i = 0; i < h->n_enumerators && !err; i++)
		err = tt_name(c, t->enumerators[i].name, false, "enumerator", i);
	c->depth = calloc(h->n_types ? h->n_types : 1, 1);
	if (!c->depth)
		return -ENOMEM;
	for (uint32_t i = 0; i < h->n_types && !err; i++)
		err = tt_check_type(c, i);
	free(c->depth);
	c->depth = NULL;
	if (!err)
		err = tt_check_methods(c);
	return err;
}

VMRPC_API int vmrpc_types_load(const void *buf, size_t len, char *err, size_t err_size,
			       struct vmrpc_types **ret_types)
{
	struct vmrpc_types *t;
	struct tt_check c = { .err = err, .err_size = err_size };
	size_t head = (sizeof(*t) + 7) & ~(size_t)7;
	int rc;

	if (err && err_size)
		err[0] = '\0';
	if (!buf || len < sizeof(struct vmrpc_tt_hdr) || len > VMRPC_TT_MAX_SIZE)
		return tt_fail(&c, "a type table is 64 bytes to 1 MiB, not %zu", len);
	t = malloc(head + len);
	if (!t)
		return -ENOMEM;
	memcpy((char *)t + head, buf, len);
	t->hdr = (const void *)((char *)t + head);
	c.t = t;
	rc = tt_check_hdr(&c, len);
	if (rc == 0) {
		tt_views(t, t->hdr); /* the sections lie inside the copy */
		rc = tt_check(&c);
	}
	if (rc < 0) {
		free(t);
		return rc;
	}
	*ret_types = t;
	return 0;
}

VMRPC_API void vmrpc_types_free(struct vmrpc_types *types)
{
	free(types);
}

VMRPC_API int vmrpc_types_method(const struct vmrpc_types *t, const char *name)
{
	for (uint32_t i = 0; i < t->hdr->n_methods; i++)
		if (!strcmp(t->strings + t->methods[i].name, name))
			return (int)i;
	return -ENOENT;
}
